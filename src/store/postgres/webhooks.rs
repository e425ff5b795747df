//! PostgreSQL: webhook endpoints (`webhook_endpoints`), their deliveries (`webhook_deliveries`,
//! the outbox) and the attempts made (`webhook_attempts`). Every query a request makes is
//! scoped by tenant; the worker's (releasing a lease, recording an attempt) name the delivery
//! and its endpoint alone, and the queue's depth is counted over all tenants. The outbox rows
//! of new events are written in the events' own transaction ([`enqueue_webhook_deliveries`]),
//! so that an event is never stored without its deliveries. Which deliveries are due,
//! claiming them and the circuit breaker are in [`super::delivery_queue`]; replays in
//! [`super::replays`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::events::event_from_row;
use super::{count, micros};
use crate::events::{EventCursor, NewEvent};
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks as hooks;

pub(super) async fn create_endpoint(
    pool: &PgPool,
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(endpoint.id)
    .bind(endpoint.tenant_id.0)
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
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn list_endpoints(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<hooks::Endpoint>, StoreError> {
    sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id")
        .bind(tenant.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(webhook_endpoint_from_row)
        .collect()
}

pub(super) async fn get_endpoint(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<hooks::Endpoint>, StoreError> {
    sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(webhook_endpoint_from_row)
        .transpose()
}

pub(super) async fn update_endpoint(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
    update: &hooks::EndpointUpdate,
) -> Result<Option<hooks::Endpoint>, StoreError> {
    let (new_secret, previous_until) = match &update.rotate_secret {
        Some((secret, until)) => (Some(secret.as_str()), Some(micros(*until))),
        None => (None, None),
    };
    // Every right-hand side reads the row as it was before this UPDATE.
    sqlx::query(
        "UPDATE webhook_endpoints SET \
           url = COALESCE($1, url), \
           description = COALESCE($2, description), \
           event_types = COALESCE($3, event_types), \
           filter = CASE WHEN $10 THEN $11 ELSE filter END, \
           previous_secret = CASE WHEN $4::text IS NULL THEN previous_secret ELSE secret END, \
           previous_secret_until = CASE WHEN $4::text IS NULL THEN previous_secret_until ELSE $5 END, \
           secret = COALESCE($4, secret), \
           enabled = COALESCE($6, enabled), \
           disabled_reason = CASE WHEN $6::boolean IS NULL THEN disabled_reason ELSE NULL END, \
           failing_since = CASE WHEN $6::boolean THEN NULL ELSE failing_since END, \
           consecutive_failures = CASE WHEN $6::boolean THEN 0 ELSE consecutive_failures END, \
           circuit_open_until = CASE WHEN $6::boolean THEN NULL ELSE circuit_open_until END, \
           updated_at = $7 \
         WHERE tenant_id = $8 AND id = $9 RETURNING *",
    )
    .bind(update.url.as_deref())
    .bind(update.description.as_deref())
    .bind(update.event_types.as_deref().map(hooks::stored_event_types))
    .bind(new_secret)
    .bind(previous_until)
    .bind(update.enabled)
    .bind(micros(update.updated_at))
    .bind(tenant.0)
    .bind(id)
    .bind(update.filter.is_some())
    .bind(update.filter.as_ref().and_then(Option::as_deref))
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(webhook_endpoint_from_row)
    .transpose()
}

pub(super) async fn delete_endpoint(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, StoreError> {
    // Deliveries and their attempts go with it (ON DELETE CASCADE).
    let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

pub(super) async fn disable_endpoint(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
    failing_since: DateTime<Utc>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $1, updated_at = $2 \
         WHERE tenant_id = $3 AND id = $4 AND enabled AND failing_since = $5",
    )
    .bind(reason)
    .bind(micros(at))
    .bind(tenant.0)
    .bind(id)
    .bind(micros(failing_since))
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub(super) async fn create_test_delivery(
    pool: &PgPool,
    delivery: &hooks::NewTestDelivery,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, payload, status, \
         attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(delivery.id)
    .bind(delivery.tenant_id.0)
    .bind(delivery.endpoint_id)
    .bind(&delivery.payload)
    .bind(micros(delivery.created_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn get_delivery(
    pool: &PgPool,
    tenant: TenantId,
    endpoint_id: Uuid,
    id: Uuid,
) -> Result<Option<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0)
        .push(" AND d.endpoint_id = ")
        .push_bind(endpoint_id)
        .push(" AND d.id = ")
        .push_bind(id);
    let rows = query.build().fetch_all(pool).await?;
    let mut deliveries = rows
        .iter()
        .map(webhook_delivery_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    attach_webhook_attempts(pool, &mut deliveries).await?;
    Ok(deliveries.pop())
}

pub(super) async fn list_deliveries(
    pool: &PgPool,
    tenant: TenantId,
    endpoint_id: Uuid,
    status: Option<hooks::DeliveryStatus>,
    event_id: Option<Uuid>,
    after: Option<EventCursor>,
    limit: u32,
) -> Result<Vec<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0)
        .push(" AND d.endpoint_id = ")
        .push_bind(endpoint_id);
    if let Some(status) = status {
        query.push(" AND d.status = ").push_bind(status.as_str());
    }
    if let Some(event_id) = event_id {
        query.push(" AND d.event_id = ").push_bind(event_id);
    }
    if let Some(cursor) = after {
        query
            .push(" AND (d.created_at, d.id) < (")
            .push_bind(micros(cursor.timestamp))
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
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
    pool: &PgPool,
    tenant: TenantId,
    event_id: Uuid,
) -> Result<Vec<hooks::Delivery>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
    query
        .push_bind(hooks::TEST_EVENT_TYPE)
        .push(WEBHOOK_DELIVERIES_FROM)
        .push_bind(tenant.0)
        .push(" AND d.event_id = ")
        .push_bind(event_id)
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
    pool: &PgPool,
    tenant: TenantId,
    endpoint_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1 \
         WHERE tenant_id = $2 AND endpoint_id = $3 AND id = $4",
    )
    .bind(micros(at))
    .bind(tenant.0)
    .bind(endpoint_id)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub(super) async fn release_delivery(
    pool: &PgPool,
    id: Uuid,
    instance: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = NULL, leased_by = NULL \
         WHERE id = $1 AND leased_by = $2",
    )
    .bind(id)
    .bind(instance)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn record_attempt(
    pool: &PgPool,
    record: &hooks::AttemptRecord,
) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
    let mut tx = pool.begin().await?;
    let at = micros(record.attempted_at);
    let succeeded = record.next == hooks::NextStep::Succeeded;
    // The endpoint's row first, then the delivery's: the order in which deleting an
    // endpoint locks them (it cascades to its deliveries), so that the two never wait on
    // each other in a cycle.
    let endpoint = sqlx::query(
        "UPDATE webhook_endpoints SET \
           consecutive_failures = CASE WHEN $1 THEN 0 ELSE consecutive_failures + 1 END, \
           failing_since = CASE WHEN $1 THEN NULL ELSE COALESCE(failing_since, $2) END, \
           last_success_at = CASE WHEN $1 THEN $2 ELSE last_success_at END, \
           last_failure_at = CASE WHEN $1 THEN last_failure_at ELSE $2 END, \
           circuit_open_until = CASE WHEN $1 THEN NULL ELSE circuit_open_until END \
         WHERE id = $3 \
         RETURNING failing_since, consecutive_failures, last_success_at, last_failure_at, \
           circuit_open_until, enabled",
    )
    .bind(succeeded)
    .bind(at)
    .bind(record.endpoint_id)
    .fetch_optional(&mut *tx)
    .await?;
    // Locked, so that the holder cannot change between this read and the update.
    let holder: Option<Option<String>> =
        sqlx::query_scalar("SELECT leased_by FROM webhook_deliveries WHERE id = $1 FOR UPDATE")
            .bind(record.delivery_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (Some(endpoint), Some(holder)) = (endpoint, holder) else {
        // Deleted meanwhile (with its endpoint): nothing to record.
        tx.rollback().await?;
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, tenant_id, attempted_at, status_code, \
         error, latency_ms, response_body, request_headers, request_body, rule) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(record.id)
    .bind(record.delivery_id)
    .bind(record.tenant_id.0)
    .bind(at)
    .bind(record.status_code.map(i32::from))
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
    .execute(&mut *tx)
    .await?;
    let (status, next) = webhook_next_step(record.next);
    // The attempt counts whoever holds the lease; the state is the holder's to set.
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = $1, \
           status = CASE WHEN $2 THEN $3 ELSE status END, \
           next_attempt_at = CASE WHEN $2 THEN $4 ELSE next_attempt_at END, \
           lease_until = CASE WHEN $2 THEN NULL ELSE lease_until END, \
           leased_by = CASE WHEN $2 THEN NULL ELSE leased_by END \
         WHERE id = $5",
    )
    .bind(at)
    .bind(holder.as_deref() == Some(record.instance.as_str()))
    .bind(status)
    .bind(next.map(micros))
    .bind(record.delivery_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some((
        webhook_health_from_row(&endpoint)?,
        endpoint.try_get("enabled")?,
    )))
}

pub(super) async fn queue_stats(pool: &PgPool) -> Result<hooks::QueueStats, StoreError> {
    let (depth, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(d.created_at) FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status IN ('pending', 'failed') AND e.enabled",
    )
    .fetch_one(pool)
    .await?;
    Ok(hooks::QueueStats {
        depth: count(depth)?,
        oldest_created_at: oldest,
    })
}

/// The webhook outbox, written inside `insert_events`' transaction: one pending delivery,
/// due at once, per enabled endpoint of each fresh event's tenant whose filter matches. The
/// endpoints of every tenant in the call are read with one query, the deliveries written with
/// another.
pub(super) async fn enqueue_webhook_deliveries(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    fresh: &[&NewEvent],
) -> Result<(), StoreError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let tenants: Vec<Uuid> = fresh
        .iter()
        .map(|event| event.tenant_id.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<(Uuid, Uuid, String, Option<String>)> = sqlx::query_as(
        "SELECT id, tenant_id, event_types, filter FROM webhook_endpoints \
         WHERE tenant_id = ANY($1) AND enabled",
    )
    .bind(&tenants)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut endpoints: HashMap<Uuid, Vec<hooks::OutboxEndpoint<Uuid>>> = HashMap::new();
    for (id, tenant, event_types, filter) in rows {
        endpoints
            .entry(tenant)
            .or_default()
            .push(hooks::OutboxEndpoint::from_stored(
                id,
                &event_types,
                filter.as_deref(),
            )?);
    }
    let mut ids = Vec::new();
    let mut tenant_ids = Vec::new();
    let mut endpoint_ids = Vec::new();
    let mut event_ids = Vec::new();
    let mut due = Vec::new();
    for event in fresh {
        let mut document = None;
        for target in endpoints.get(&event.tenant_id.0).into_iter().flatten() {
            if target.wants(&event.event_type, &event.metadata, &mut document) {
                ids.push(Uuid::now_v7());
                tenant_ids.push(event.tenant_id.0);
                endpoint_ids.push(target.id);
                event_ids.push(event.id);
                due.push(micros(event.received_at));
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at) \
         SELECT id, tenant_id, endpoint_id, event_id, 'pending', 0, due, due, due \
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[]) \
              AS input (id, tenant_id, endpoint_id, event_id, due)",
    )
    .bind(ids)
    .bind(tenant_ids)
    .bind(endpoint_ids)
    .bind(event_ids)
    .bind(due)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deliveries with their event type (`$1` binds the test deliveries' type); continue with a
/// tenant id bind.
const WEBHOOK_DELIVERIES: &str = "SELECT d.id, d.endpoint_id, d.event_id, d.status, d.attempts, \
     d.next_attempt_at, d.created_at, d.updated_at, COALESCE(ev.event_type, ";
const WEBHOOK_DELIVERIES_FROM: &str = ") AS event_type FROM webhook_deliveries d \
     LEFT JOIN events ev ON ev.id = d.event_id WHERE d.tenant_id = ";

fn webhook_health_from_row(row: &PgRow) -> Result<hooks::EndpointHealth, StoreError> {
    Ok(hooks::EndpointHealth {
        failing_since: row.try_get("failing_since")?,
        consecutive_failures: count(row.try_get("consecutive_failures")?)?,
        last_success_at: row.try_get("last_success_at")?,
        last_failure_at: row.try_get("last_failure_at")?,
        circuit_open_until: row.try_get("circuit_open_until")?,
    })
}

fn webhook_endpoint_from_row(row: &PgRow) -> Result<hooks::Endpoint, StoreError> {
    let previous_secret: Option<String> = row.try_get("previous_secret")?;
    let previous_until: Option<DateTime<Utc>> = row.try_get("previous_secret_until")?;
    Ok(hooks::Endpoint {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: hooks::parse_stored_event_types(row.try_get("event_types")?)?,
        filter: row.try_get("filter")?,
        secret: row.try_get("secret")?,
        previous_secret: previous_secret.zip(previous_until),
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        health: webhook_health_from_row(row)?,
    })
}

fn webhook_delivery_from_row(row: &PgRow) -> Result<hooks::Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(hooks::Delivery {
        id: row.try_get("id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        status: hooks::DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("delivery status {status:?}")))?,
        attempts: u32::try_from(row.try_get::<i32, _>("attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        attempt_log: Vec::new(),
    })
}

/// Fills each delivery's `attempt_log`, oldest attempt first.
async fn attach_webhook_attempts(
    pool: &PgPool,
    deliveries: &mut [hooks::Delivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = deliveries.iter().map(|delivery| delivery.id).collect();
    let rows = sqlx::query(
        "SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY attempted_at, id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut by_delivery: HashMap<Uuid, Vec<hooks::Attempt>> = HashMap::new();
    for row in &rows {
        let attempt = hooks::Attempt {
            id: row.try_get("id")?,
            attempted_at: row.try_get("attempted_at")?,
            status_code: row
                .try_get::<Option<i32>, _>("status_code")?
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
        by_delivery
            .entry(row.try_get("delivery_id")?)
            .or_default()
            .push(attempt);
    }
    for delivery in deliveries {
        delivery.attempt_log = by_delivery.remove(&delivery.id).unwrap_or_default();
    }
    Ok(())
}

pub(super) fn claimed_webhook_delivery_from_row(
    row: &PgRow,
) -> Result<hooks::ClaimedDelivery, StoreError> {
    let payload: Option<String> = row.try_get("d_payload")?;
    let message = match payload {
        Some(body) => hooks::Message::Body(body),
        None => hooks::Message::Event(event_from_row(row)?),
    };
    let previous_secret: Option<String> = row.try_get("e_previous_secret")?;
    let previous_until: Option<DateTime<Utc>> = row.try_get("e_previous_secret_until")?;
    Ok(hooks::ClaimedDelivery {
        id: row.try_get("d_id")?,
        tenant_id: TenantId(row.try_get("d_tenant_id")?),
        endpoint_id: row.try_get("d_endpoint_id")?,
        attempts: u32::try_from(row.try_get::<i32, _>("d_attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        url: row.try_get("e_url")?,
        secret: row.try_get("e_secret")?,
        previous_secret: previous_secret.zip(previous_until),
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
