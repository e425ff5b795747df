//! SQLite: webhook endpoints (`webhook_endpoints`), their deliveries (`webhook_deliveries`,
//! the outbox) and the attempts made (`webhook_attempts`). Every query a request makes is
//! scoped by tenant; the worker's (releasing a lease, recording an attempt) name the delivery
//! and its endpoint alone, and the queue's depth is counted over all tenants. The outbox rows
//! of new events are written in the events' own transaction (by the event writer,
//! [`super::event_writer`]),
//! so that an event is never stored without its deliveries. Which deliveries are due,
//! claiming them and the circuit breaker are in [`super::delivery_queue`]; replays in
//! [`super::replays`].

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::events::event_from_row;
use super::{from_micros, micros, parse_uuid};
use crate::events::EventCursor;
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks as hooks;

pub(super) async fn create_endpoint(
    writer: &SqlitePool,
    endpoint: &hooks::Endpoint,
) -> Result<(), StoreError> {
    let (previous_secret, previous_until) = match &endpoint.previous_secret {
        Some((secret, until)) => (Some(secret.as_str()), Some(micros(*until))),
        None => (None, None),
    };
    let health = &endpoint.health;
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret, \
         previous_secret, previous_secret_until, enabled, disabled_reason, created_at, \
         updated_at, failing_since, consecutive_failures, last_success_at, last_failure_at, \
         filter) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(endpoint.id.to_string())
    .bind(endpoint.tenant_id.0.to_string())
    .bind(&endpoint.url)
    .bind(&endpoint.description)
    .bind(hooks::stored_event_types(&endpoint.event_types))
    .bind(&endpoint.secret)
    .bind(previous_secret)
    .bind(previous_until)
    .bind(endpoint.enabled)
    .bind(endpoint.disabled_reason.as_deref())
    .bind(micros(endpoint.created_at))
    .bind(micros(endpoint.updated_at))
    .bind(health.failing_since.map(micros))
    .bind(i64::try_from(health.consecutive_failures).unwrap_or(i64::MAX))
    .bind(health.last_success_at.map(micros))
    .bind(health.last_failure_at.map(micros))
    .bind(endpoint.filter.as_deref())
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn list_endpoints(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<hooks::Endpoint>, StoreError> {
    sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = ? ORDER BY created_at, id")
        .bind(tenant.0.to_string())
        .fetch_all(pool)
        .await?
        .iter()
        .map(webhook_endpoint_from_row)
        .collect()
}

pub(super) async fn get_endpoint(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<hooks::Endpoint>, StoreError> {
    sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = ? AND id = ?")
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(webhook_endpoint_from_row)
        .transpose()
}

/// Writes on `writer`, then reads the endpoint back on `pool`.
pub(super) async fn update_endpoint(
    pool: &SqlitePool,
    writer: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
    update: &hooks::EndpointUpdate,
) -> Result<Option<hooks::Endpoint>, StoreError> {
    let (new_secret, previous_until) = match &update.rotate_secret {
        Some((secret, until)) => (Some(secret.as_str()), Some(micros(*until))),
        None => (None, None),
    };
    // Every right-hand side reads the row as it was before this UPDATE.
    let updated = sqlx::query(
        "UPDATE webhook_endpoints SET \
           url = COALESCE(?, url), \
           description = COALESCE(?, description), \
           event_types = COALESCE(?, event_types), \
           filter = CASE WHEN ? THEN ? ELSE filter END, \
           previous_secret = CASE WHEN ? IS NULL THEN previous_secret ELSE secret END, \
           previous_secret_until = CASE WHEN ? IS NULL THEN previous_secret_until ELSE ? END, \
           secret = COALESCE(?, secret), \
           enabled = COALESCE(?, enabled), \
           disabled_reason = CASE WHEN ? IS NULL THEN disabled_reason ELSE NULL END, \
           failing_since = CASE WHEN ? = 1 THEN NULL ELSE failing_since END, \
           consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures END, \
           circuit_open_until = CASE WHEN ? = 1 THEN NULL ELSE circuit_open_until END, \
           updated_at = ? \
         WHERE tenant_id = ? AND id = ?",
    )
    .bind(update.url.as_deref())
    .bind(update.description.as_deref())
    .bind(update.event_types.as_deref().map(hooks::stored_event_types))
    .bind(update.filter.is_some())
    .bind(update.filter.as_ref().and_then(Option::as_deref))
    .bind(new_secret)
    .bind(new_secret)
    .bind(previous_until)
    .bind(new_secret)
    .bind(update.enabled)
    .bind(update.enabled)
    .bind(update.enabled)
    .bind(update.enabled)
    .bind(update.enabled)
    .bind(micros(update.updated_at))
    .bind(tenant.0.to_string())
    .bind(id.to_string())
    .execute(writer)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    get_endpoint(pool, tenant, id).await
}

pub(super) async fn delete_endpoint(
    writer: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, StoreError> {
    // Deliveries and their attempts go with it (ON DELETE CASCADE).
    let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?")
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .execute(writer)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

pub(super) async fn disable_endpoint(
    writer: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
    failing_since: DateTime<Utc>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? \
         WHERE tenant_id = ? AND id = ? AND enabled = 1 AND failing_since = ?",
    )
    .bind(reason)
    .bind(micros(at))
    .bind(tenant.0.to_string())
    .bind(id.to_string())
    .bind(micros(failing_since))
    .execute(writer)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub(super) async fn create_test_delivery(
    writer: &SqlitePool,
    delivery: &hooks::NewTestDelivery,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, payload, status, \
         attempts, next_attempt_at, created_at, updated_at) \
         VALUES (?, ?, ?, NULL, ?, 'pending', 0, ?, ?, ?)",
    )
    .bind(delivery.id.to_string())
    .bind(delivery.tenant_id.0.to_string())
    .bind(delivery.endpoint_id.to_string())
    .bind(&delivery.payload)
    .bind(micros(delivery.created_at))
    .bind(micros(delivery.created_at))
    .bind(micros(delivery.created_at))
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn get_delivery(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint_id: Uuid,
    id: Uuid,
) -> Result<Option<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0.to_string())
        .push(" AND d.endpoint_id = ")
        .push_bind(endpoint_id.to_string())
        .push(" AND d.id = ")
        .push_bind(id.to_string());
    let rows = query.build().fetch_all(pool).await?;
    let mut deliveries = rows
        .iter()
        .map(webhook_delivery_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    attach_webhook_attempts(pool, &mut deliveries).await?;
    Ok(deliveries.pop())
}

pub(super) async fn list_deliveries(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint_id: Uuid,
    status: Option<hooks::DeliveryStatus>,
    event_id: Option<Uuid>,
    after: Option<EventCursor>,
    limit: u32,
) -> Result<Vec<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0.to_string())
        .push(" AND d.endpoint_id = ")
        .push_bind(endpoint_id.to_string());
    if let Some(status) = status {
        query.push(" AND d.status = ").push_bind(status.as_str());
    }
    if let Some(event_id) = event_id {
        query
            .push(" AND d.event_id = ")
            .push_bind(event_id.to_string());
    }
    if let Some(cursor) = after {
        let at = micros(cursor.timestamp);
        query
            .push(" AND (d.created_at < ")
            .push_bind(at)
            .push(" OR (d.created_at = ")
            .push_bind(at)
            .push(" AND d.id < ")
            .push_bind(cursor.id.to_string())
            .push("))");
    }
    query
        .push(" ORDER BY d.created_at DESC, d.id DESC LIMIT ")
        .push_bind(i64::from(limit));
    let rows = query.build().fetch_all(pool).await?;
    let mut deliveries = rows
        .iter()
        .map(webhook_delivery_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    attach_webhook_attempts(pool, &mut deliveries).await?;
    Ok(deliveries)
}

pub(super) async fn list_event_deliveries(
    pool: &SqlitePool,
    tenant: TenantId,
    event_id: Uuid,
) -> Result<Vec<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0.to_string())
        .push(" AND d.event_id = ")
        .push_bind(event_id.to_string())
        .push(" ORDER BY d.created_at, d.id");
    let rows = query.build().fetch_all(pool).await?;
    let mut deliveries = rows
        .iter()
        .map(webhook_delivery_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    attach_webhook_attempts(pool, &mut deliveries).await?;
    Ok(deliveries)
}

pub(super) async fn retry_delivery(
    writer: &SqlitePool,
    tenant: TenantId,
    endpoint_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? \
         WHERE tenant_id = ? AND endpoint_id = ? AND id = ?",
    )
    .bind(micros(at))
    .bind(micros(at))
    .bind(tenant.0.to_string())
    .bind(endpoint_id.to_string())
    .bind(id.to_string())
    .execute(writer)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub(super) async fn release_delivery(
    writer: &SqlitePool,
    id: Uuid,
    instance: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = NULL, leased_by = NULL \
         WHERE id = ? AND leased_by = ?",
    )
    .bind(id.to_string())
    .bind(instance)
    .execute(writer)
    .await?;
    Ok(())
}

pub(super) async fn record_one(
    writer: &SqlitePool,
    record: &hooks::AttemptRecord,
) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let answer = record_attempt(&mut tx, record).await?;
    tx.commit().await?;
    Ok(answer)
}

pub(super) async fn record_all(
    writer: &SqlitePool,
    records: &[hooks::AttemptRecord],
) -> Result<Vec<Option<(hooks::EndpointHealth, bool)>>, StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut answers = Vec::with_capacity(records.len());
    for record in records {
        answers.push(record_attempt(&mut tx, record).await?);
    }
    tx.commit().await?;
    Ok(answers)
}

pub(super) async fn queue_stats(pool: &SqlitePool) -> Result<hooks::QueueStats, StoreError> {
    let (depth, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(d.created_at) FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status IN ('pending', 'failed') AND e.enabled = 1",
    )
    .fetch_one(pool)
    .await?;
    Ok(hooks::QueueStats {
        depth: u64::try_from(depth).unwrap_or(0),
        oldest_created_at: oldest.map(from_micros).transpose()?,
    })
}

/// One attempt's rows (see [`Store::record_webhook_attempt`]), in `tx`; `None`, with nothing
/// written, when the delivery or its endpoint no longer exists.
///
/// [`Store::record_webhook_attempt`]: crate::store::Store::record_webhook_attempt
async fn record_attempt(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    record: &hooks::AttemptRecord,
) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
    let at = micros(record.attempted_at);
    let succeeded = record.next == hooks::NextStep::Succeeded;
    // The delivery first: when it is gone (deleted with its endpoint) nothing is written, so
    // that the other attempts of the same transaction stand.
    let holder: Option<Option<String>> =
        sqlx::query_scalar("SELECT leased_by FROM webhook_deliveries WHERE id = ?")
            .bind(record.delivery_id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let Some(holder) = holder else {
        return Ok(None);
    };
    let endpoint = sqlx::query(
        "UPDATE webhook_endpoints SET \
           consecutive_failures = CASE WHEN ? THEN 0 ELSE consecutive_failures + 1 END, \
           failing_since = CASE WHEN ? THEN NULL ELSE COALESCE(failing_since, ?) END, \
           last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END, \
           last_failure_at = CASE WHEN ? THEN last_failure_at ELSE ? END, \
           circuit_open_until = CASE WHEN ? THEN NULL ELSE circuit_open_until END \
         WHERE id = ? \
         RETURNING failing_since, consecutive_failures, last_success_at, last_failure_at, \
           circuit_open_until, enabled",
    )
    .bind(succeeded)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(record.endpoint_id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, tenant_id, attempted_at, status_code, \
         error, latency_ms, response_body, request_headers, request_body, rule) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.id.to_string())
    .bind(record.delivery_id.to_string())
    .bind(record.tenant_id.0.to_string())
    .bind(at)
    .bind(record.status_code.map(i64::from))
    .bind(record.error.as_deref())
    .bind(i64::try_from(record.latency_ms).unwrap_or(i64::MAX))
    .bind(record.response_body.as_deref())
    .bind(
        record
            .request_headers
            .as_ref()
            .map(hooks::stored_request_headers),
    )
    .bind(record.request_body.as_deref())
    .bind(record.rule.as_str())
    .execute(&mut **tx)
    .await?;
    let (status, next) = webhook_next_step(record.next);
    let holds_lease = holder.as_deref() == Some(record.instance.as_str());
    // The attempt counts whoever holds the lease; the state is the holder's to set.
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = ?, \
           status = CASE WHEN ? THEN ? ELSE status END, \
           next_attempt_at = CASE WHEN ? THEN ? ELSE next_attempt_at END, \
           lease_until = CASE WHEN ? THEN NULL ELSE lease_until END, \
           leased_by = CASE WHEN ? THEN NULL ELSE leased_by END \
         WHERE id = ?",
    )
    .bind(at)
    .bind(holds_lease)
    .bind(status)
    .bind(holds_lease)
    .bind(next.map(micros))
    .bind(holds_lease)
    .bind(holds_lease)
    .bind(record.delivery_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(Some((
        webhook_health_from_row(&endpoint)?,
        endpoint.try_get("enabled")?,
    )))
}

/// Deliveries with their event type (`?` binds the test deliveries' type); continue with a
/// tenant id bind.
const WEBHOOK_DELIVERIES: &str = "SELECT d.id, d.endpoint_id, d.event_id, d.status, d.attempts, \
     d.next_attempt_at, d.created_at, d.updated_at, COALESCE(ev.event_type, ";
const WEBHOOK_DELIVERIES_FROM: &str = ") AS event_type FROM webhook_deliveries d \
     LEFT JOIN events ev ON ev.id = d.event_id WHERE d.tenant_id = ";

fn optional_micros(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.try_get::<Option<i64>, _>(column)?
        .map(from_micros)
        .transpose()
}

fn webhook_health_from_row(row: &SqliteRow) -> Result<hooks::EndpointHealth, StoreError> {
    Ok(hooks::EndpointHealth {
        failing_since: optional_micros(row, "failing_since")?,
        consecutive_failures: u64::try_from(row.try_get::<i64, _>("consecutive_failures")?)
            .map_err(|_| StoreError::Invalid("consecutive_failures".into()))?,
        last_success_at: optional_micros(row, "last_success_at")?,
        last_failure_at: optional_micros(row, "last_failure_at")?,
        circuit_open_until: optional_micros(row, "circuit_open_until")?,
    })
}

fn webhook_endpoint_from_row(row: &SqliteRow) -> Result<hooks::Endpoint, StoreError> {
    let previous_secret: Option<String> = row.try_get("previous_secret")?;
    let previous_until = optional_micros(row, "previous_secret_until")?;
    Ok(hooks::Endpoint {
        id: parse_uuid(row.try_get("id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: hooks::parse_stored_event_types(row.try_get("event_types")?)?,
        filter: row.try_get("filter")?,
        secret: row.try_get("secret")?,
        previous_secret: previous_secret.zip(previous_until),
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        health: webhook_health_from_row(row)?,
    })
}

fn webhook_delivery_from_row(row: &SqliteRow) -> Result<hooks::Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(hooks::Delivery {
        id: parse_uuid(row.try_get("id")?)?,
        endpoint_id: parse_uuid(row.try_get("endpoint_id")?)?,
        event_id: row
            .try_get::<Option<&str>, _>("event_id")?
            .map(parse_uuid)
            .transpose()?,
        event_type: row.try_get("event_type")?,
        status: hooks::DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("delivery status {status:?}")))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        next_attempt_at: optional_micros(row, "next_attempt_at")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        attempt_log: Vec::new(),
    })
}

/// Fills each delivery's `attempt_log`, oldest attempt first.
async fn attach_webhook_attempts(
    pool: &SqlitePool,
    deliveries: &mut [hooks::Delivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut query =
        QueryBuilder::<Sqlite>::new("SELECT * FROM webhook_attempts WHERE delivery_id IN (");
    let mut list = query.separated(", ");
    for delivery in deliveries.iter() {
        list.push_bind(delivery.id.to_string());
    }
    query.push(") ORDER BY attempted_at, id");
    let rows = query.build().fetch_all(pool).await?;
    let mut by_delivery: std::collections::HashMap<Uuid, Vec<hooks::Attempt>> =
        std::collections::HashMap::new();
    for row in &rows {
        let delivery_id = parse_uuid(row.try_get("delivery_id")?)?;
        let attempt = hooks::Attempt {
            id: parse_uuid(row.try_get("id")?)?,
            attempted_at: from_micros(row.try_get("attempted_at")?)?,
            status_code: row
                .try_get::<Option<i64>, _>("status_code")?
                .and_then(|code| u16::try_from(code).ok()),
            error: row.try_get("error")?,
            latency_ms: u64::try_from(row.try_get::<i64, _>("latency_ms")?).unwrap_or(0),
            response_body: row.try_get("response_body")?,
            rule: row.try_get("rule")?,
            request_headers: hooks::parse_stored_request_headers(
                row.try_get::<Option<&str>, _>("request_headers")?,
            )?,
            request_body: row.try_get("request_body")?,
        };
        by_delivery.entry(delivery_id).or_default().push(attempt);
    }
    for delivery in deliveries {
        delivery.attempt_log = by_delivery.remove(&delivery.id).unwrap_or_default();
    }
    Ok(())
}

pub(super) fn claimed_webhook_delivery_from_row(
    row: &SqliteRow,
) -> Result<hooks::ClaimedDelivery, StoreError> {
    let payload: Option<String> = row.try_get("d_payload")?;
    let message = match payload {
        Some(body) => hooks::Message::Body(body),
        None => hooks::Message::Event(event_from_row(row)?),
    };
    let previous_secret: Option<String> = row.try_get("e_previous_secret")?;
    Ok(hooks::ClaimedDelivery {
        id: parse_uuid(row.try_get("d_id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("d_tenant_id")?)?),
        endpoint_id: parse_uuid(row.try_get("d_endpoint_id")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("d_attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        url: row.try_get("e_url")?,
        secret: row.try_get("e_secret")?,
        previous_secret: previous_secret.zip(optional_micros(row, "e_previous_secret_until")?),
        message,
    })
}

/// The stored status and next due time of a delivery after an attempt.
fn webhook_next_step(next: hooks::NextStep) -> (&'static str, Option<DateTime<Utc>>) {
    match next {
        hooks::NextStep::Succeeded => (hooks::DeliveryStatus::Succeeded.as_str(), None),
        hooks::NextStep::RetryAt(at) => (hooks::DeliveryStatus::Failed.as_str(), Some(at)),
        hooks::NextStep::Dead => (hooks::DeliveryStatus::Dead.as_str(), None),
    }
}
