//! SQLite: the privacy capability's tables: redaction policies (`privacy_policies`; migration
//! 0009), deletion jobs and suppressions (migration 0010). Every query is scoped by tenant,
//! except a worker's claim of the next job, which names the job's tenant in all it does after.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{from_micros, micros, parse_uuid};
use crate::privacy::deletions::{Deletion, DeliveredTo, Lease, Phase, State, Step, StoredSpec};
use crate::privacy::subject::Subject;
use crate::privacy::suppressions::Suppression;
use crate::privacy::{Policy, StoredPolicy};
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Option<StoredPolicy>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT policy, hash_key, updated_at FROM privacy_policies WHERE tenant_id = ?",
    )
    .bind(tenant.0.to_string())
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let policy: String = row.try_get("policy")?;
    Ok(Some(StoredPolicy {
        policy: serde_json::from_str(&policy)
            .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?,
        hash_key: row.try_get("hash_key")?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    }))
}

pub(super) async fn set(
    pool: &SqlitePool,
    tenant: TenantId,
    policy: &Policy,
    new_key: &[u8],
    at: DateTime<Utc>,
) -> Result<StoredPolicy, StoreError> {
    let text = serde_json::to_string(policy)
        .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?;
    sqlx::query(
        "INSERT INTO privacy_policies (tenant_id, policy, hash_key, updated_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE \
         SET policy = excluded.policy, updated_at = excluded.updated_at",
    )
    .bind(tenant.0.to_string())
    .bind(text)
    .bind(new_key)
    .bind(micros(at))
    .execute(pool)
    .await?;
    get(pool, tenant)
        .await?
        .ok_or_else(|| StoreError::Invalid("privacy policy vanished after saving".into()))
}

// Deletion jobs (`deletions`, `deletion_endpoints`; migration 0010).

const DELETION_COLUMNS: &str = "id, tenant_id, spec, dry_run, state, phase, cursor, matched, \
     deleted, error, created_at, updated_at, finished_at";

pub(super) async fn create_deletion(pool: &SqlitePool, job: &Deletion) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deletions (id, tenant_id, spec, dry_run, state, phase, cursor, matched, \
         deleted, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, 0, 0, NULL, ?, ?)",
    )
    .bind(job.id.to_string())
    .bind(job.tenant_id.0.to_string())
    .bind(spec_text(&job.spec)?)
    .bind(job.dry_run)
    .bind(job.state.as_str())
    .bind(job.phase.as_str())
    .bind(micros(job.created_at))
    .bind(micros(job.updated_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn get_deletion(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Deletion>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELETION_COLUMNS} FROM deletions WHERE tenant_id = ? AND id = ?"
    )))
    .bind(tenant.0.to_string())
    .bind(id.to_string())
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => Ok(Some(with_endpoints(pool, deletion(&row)?).await?)),
        None => Ok(None),
    }
}

pub(super) async fn list_deletions(
    pool: &SqlitePool,
    tenant: TenantId,
    limit: u32,
) -> Result<Vec<Deletion>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELETION_COLUMNS} FROM deletions WHERE tenant_id = ? \
         ORDER BY created_at DESC, id DESC LIMIT ?"
    )))
    .bind(tenant.0.to_string())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for row in &rows {
        jobs.push(with_endpoints(pool, deletion(row)?).await?);
    }
    Ok(jobs)
}

pub(super) async fn cancel_deletion(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Deletion>, StoreError> {
    sqlx::query(
        "UPDATE deletions SET state = 'cancelled', finished_at = ?, updated_at = ?, \
         leased_by = NULL, lease_until = NULL \
         WHERE tenant_id = ? AND id = ? AND state IN ('pending', 'running')",
    )
    .bind(micros(at))
    .bind(micros(at))
    .bind(tenant.0.to_string())
    .bind(id.to_string())
    .execute(pool)
    .await?;
    get_deletion(pool, tenant, id).await
}

pub(super) async fn claim_deletion(
    pool: &SqlitePool,
    instance: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Deletion>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE deletions SET state = 'running', leased_by = ?, lease_until = ?, updated_at = ? \
         WHERE id = (SELECT id FROM deletions WHERE state IN ('pending', 'running') \
                     AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at LIMIT 1) \
         RETURNING {DELETION_COLUMNS}"
    )))
    .bind(instance)
    .bind(micros(until))
    .bind(micros(now))
    .bind(micros(now))
    .fetch_optional(pool)
    .await?;
    row.map(|row| deletion(&row)).transpose()
}

pub(super) async fn advance_deletion(
    pool: &SqlitePool,
    lease: &Lease<'_>,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let held = sqlx::query(
        "UPDATE deletions SET lease_until = ?, updated_at = ? \
         WHERE id = ? AND tenant_id = ? AND leased_by = ? AND state = 'running'",
    )
    .bind(micros(lease.until))
    .bind(micros(lease.now))
    .bind(lease.deletion.to_string())
    .bind(lease.tenant.0.to_string())
    .bind(lease.instance)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if held == 0 {
        return Ok(false);
    }
    let id = lease.deletion.to_string();
    match step {
        Step::Counted {
            events,
            cursor,
            list_endpoints,
        } => {
            if list_endpoints {
                add_endpoints(&mut tx, lease, events).await?;
            }
            sqlx::query("UPDATE deletions SET matched = matched + ?, cursor = ? WHERE id = ?")
                .bind(events.len() as i64)
                .bind(cursor)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        Step::CountingDone => {
            sqlx::query("UPDATE deletions SET phase = 'delete', cursor = NULL WHERE id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        Step::Delete { events } => {
            add_endpoints(&mut tx, lease, events).await?;
            let chosen = |query: &mut QueryBuilder<Sqlite>| {
                query
                    .push("SELECT id FROM events WHERE tenant_id = ")
                    .push_bind(lease.tenant.0.to_string())
                    .push(" AND id IN (");
                let mut ids = query.separated(", ");
                for event in events {
                    ids.push_bind(event.to_string());
                }
                ids.push_unseparated(")");
            };
            let deleted = super::stats::delete_events(&mut tx, chosen).await?;
            sqlx::query("UPDATE deletions SET deleted = deleted + ? WHERE id = ?")
                .bind(deleted as i64)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        Step::Finish { state, error } => {
            sqlx::query(
                "UPDATE deletions SET state = ?, error = ?, finished_at = ?, \
                 matched = MAX(matched, deleted), leased_by = NULL, lease_until = NULL \
                 WHERE id = ?",
            )
            .bind(state.as_str())
            .bind(error)
            .bind(micros(lease.now))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Lists the endpoints that at least one attempt sent some of `events` to.
async fn add_endpoints(
    tx: &mut SqliteConnection,
    lease: &Lease<'_>,
    events: &[Uuid],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO deletion_endpoints (deletion_id, endpoint_id, url, events) SELECT ",
    );
    query
        .push_bind(lease.deletion.to_string())
        .push(
            ", d.endpoint_id, e.url, COUNT(DISTINCT d.event_id) FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.tenant_id = ",
        )
        .push_bind(lease.tenant.0.to_string())
        .push(" AND d.attempts > 0 AND d.event_id IN (");
    let mut ids = query.separated(", ");
    for event in events {
        ids.push_bind(event.to_string());
    }
    ids.push_unseparated(
        ") GROUP BY d.endpoint_id, e.url \
         ON CONFLICT (deletion_id, endpoint_id) DO UPDATE SET events = events + excluded.events",
    );
    query.build().execute(&mut *tx).await?;
    Ok(())
}

async fn with_endpoints(pool: &SqlitePool, mut job: Deletion) -> Result<Deletion, StoreError> {
    let rows = sqlx::query(
        "SELECT endpoint_id, url, events FROM deletion_endpoints WHERE deletion_id = ? \
         ORDER BY events DESC, url",
    )
    .bind(job.id.to_string())
    .fetch_all(pool)
    .await?;
    job.delivered_to = rows
        .iter()
        .map(|row| {
            Ok(DeliveredTo {
                endpoint_id: parse_uuid(&row.try_get::<String, _>("endpoint_id")?)?,
                url: row.try_get("url")?,
                events: count(row.try_get("events")?),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(job)
}

fn deletion(row: &SqliteRow) -> Result<Deletion, StoreError> {
    let spec: String = row.try_get("spec")?;
    Ok(Deletion {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        tenant_id: TenantId(parse_uuid(&row.try_get::<String, _>("tenant_id")?)?),
        spec: serde_json::from_str(&spec)
            .map_err(|error| StoreError::Invalid(format!("deletion spec: {error}")))?,
        dry_run: row.try_get("dry_run")?,
        state: State::parse(&row.try_get::<String, _>("state")?)?,
        phase: Phase::parse(&row.try_get::<String, _>("phase")?)?,
        cursor: row.try_get("cursor")?,
        matched: count(row.try_get("matched")?),
        deleted: count(row.try_get("deleted")?),
        error: row.try_get("error")?,
        delivered_to: Vec::new(),
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")?
            .map(from_micros)
            .transpose()?,
    })
}

fn spec_text(spec: &StoredSpec) -> Result<String, StoreError> {
    serde_json::to_string(spec)
        .map_err(|error| StoreError::Invalid(format!("deletion spec: {error}")))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

// Suppressions (`suppressions`; migration 0010).

pub(super) async fn list_suppressions(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<Suppression>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, subject, reason, dropped, last_dropped_at, created_at \
         FROM suppressions WHERE tenant_id = ? ORDER BY created_at, id",
    )
    .bind(tenant.0.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter().map(suppression).collect()
}

/// Adds the suppression, or returns the tenant's existing one of the same subject.
pub(super) async fn create_suppression(
    pool: &SqlitePool,
    new: &Suppression,
) -> Result<(Suppression, bool), StoreError> {
    let subject = subject_text(new)?;
    let created = sqlx::query(
        "INSERT INTO suppressions (id, tenant_id, subject, reason, dropped, created_at) \
         VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (tenant_id, subject) DO NOTHING",
    )
    .bind(new.id.to_string())
    .bind(new.tenant_id.0.to_string())
    .bind(&subject)
    .bind(&new.reason)
    .bind(micros(new.created_at))
    .execute(pool)
    .await?
    .rows_affected()
        > 0;
    let row = sqlx::query(
        "SELECT id, tenant_id, subject, reason, dropped, last_dropped_at, created_at \
         FROM suppressions WHERE tenant_id = ? AND subject = ?",
    )
    .bind(new.tenant_id.0.to_string())
    .bind(&subject)
    .fetch_one(pool)
    .await?;
    Ok((suppression(&row)?, created))
}

pub(super) async fn delete_suppression(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM suppressions WHERE tenant_id = ? AND id = ?")
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn count_suppressed(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
    events: u64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE suppressions SET dropped = dropped + ?, last_dropped_at = ? \
         WHERE tenant_id = ? AND id = ?",
    )
    .bind(i64::try_from(events).unwrap_or(i64::MAX))
    .bind(micros(at))
    .bind(tenant.0.to_string())
    .bind(id.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

fn subject_text(suppression: &Suppression) -> Result<String, StoreError> {
    serde_json::to_string(&suppression.subject.to_json())
        .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))
}

fn suppression(row: &SqliteRow) -> Result<Suppression, StoreError> {
    let subject: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.try_get::<String, _>("subject")?)
            .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))?;
    Ok(Suppression {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        tenant_id: TenantId(parse_uuid(&row.try_get::<String, _>("tenant_id")?)?),
        subject: Subject::parse("match", &subject)
            .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))?,
        reason: row.try_get("reason")?,
        dropped: count(row.try_get("dropped")?),
        last_dropped_at: row
            .try_get::<Option<i64>, _>("last_dropped_at")?
            .map(from_micros)
            .transpose()?,
        created_at: from_micros(row.try_get("created_at")?)?,
    })
}
