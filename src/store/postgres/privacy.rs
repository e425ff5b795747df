//! PostgreSQL: the privacy capability's tables: redaction policies (`privacy_policies`;
//! migration 0009), deletion jobs and suppressions (migration 0010). Every query is scoped by
//! tenant, except a worker's claim of the next job, which names the job's tenant in all it does
//! after.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::privacy::deletions::{Deletion, DeliveredTo, Lease, Phase, State, Step, StoredSpec};
use crate::privacy::subject::Subject;
use crate::privacy::suppressions::Suppression;
use crate::privacy::{Policy, StoredPolicy};
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn set(
    pool: &PgPool,
    tenant: TenantId,
    policy: &Policy,
    new_key: &[u8],
    at: DateTime<Utc>,
) -> Result<StoredPolicy, StoreError> {
    let text = serde_json::to_string(policy)
        .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?;
    let row = sqlx::query(
        "INSERT INTO privacy_policies (tenant_id, policy, hash_key, updated_at) \
         VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
         SET policy = excluded.policy, updated_at = excluded.updated_at \
         RETURNING policy::text AS policy, hash_key, updated_at",
    )
    .bind(tenant.0)
    .bind(text)
    .bind(new_key)
    .bind(super::micros(at))
    .fetch_one(pool)
    .await?;
    stored(&row)
}

pub(super) async fn get(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Option<StoredPolicy>, StoreError> {
    sqlx::query(
        "SELECT policy::text AS policy, hash_key, updated_at FROM privacy_policies \
         WHERE tenant_id = $1",
    )
    .bind(tenant.0)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

fn stored(row: &sqlx::postgres::PgRow) -> Result<StoredPolicy, StoreError> {
    let policy: String = row.try_get("policy")?;
    Ok(StoredPolicy {
        policy: serde_json::from_str(&policy)
            .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?,
        hash_key: row.try_get("hash_key")?,
        updated_at: row.try_get("updated_at")?,
    })
}

// Deletion jobs (`deletions`, `deletion_endpoints`; migration 0010).

const DELETION_COLUMNS: &str = "id, tenant_id, spec::text AS spec, dry_run, state, phase, cursor, \
     matched, deleted, error, created_at, updated_at, finished_at";

pub(super) async fn create_deletion(pool: &PgPool, job: &Deletion) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deletions (id, tenant_id, spec, dry_run, state, phase, cursor, matched, \
         deleted, error, created_at, updated_at) \
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, NULL, 0, 0, NULL, $7, $8)",
    )
    .bind(job.id)
    .bind(job.tenant_id.0)
    .bind(spec_text(&job.spec)?)
    .bind(job.dry_run)
    .bind(job.state.as_str())
    .bind(job.phase.as_str())
    .bind(super::micros(job.created_at))
    .bind(super::micros(job.updated_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn get_deletion(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Deletion>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELETION_COLUMNS} FROM deletions WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => Ok(Some(with_endpoints(pool, deletion(&row)?).await?)),
        None => Ok(None),
    }
}

pub(super) async fn list_deletions(
    pool: &PgPool,
    tenant: TenantId,
    limit: u32,
) -> Result<Vec<Deletion>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DELETION_COLUMNS} FROM deletions WHERE tenant_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(tenant.0)
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
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Deletion>, StoreError> {
    sqlx::query(
        "UPDATE deletions SET state = 'cancelled', finished_at = $1, updated_at = $1, \
         leased_by = NULL, lease_until = NULL \
         WHERE tenant_id = $2 AND id = $3 AND state IN ('pending', 'running')",
    )
    .bind(super::micros(at))
    .bind(tenant.0)
    .bind(id)
    .execute(pool)
    .await?;
    get_deletion(pool, tenant, id).await
}

pub(super) async fn claim_deletion(
    pool: &PgPool,
    instance: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Deletion>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE deletions SET state = 'running', leased_by = $1, lease_until = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM deletions WHERE state IN ('pending', 'running') \
                     AND (lease_until IS NULL OR lease_until < $3) ORDER BY created_at LIMIT 1 \
                     FOR UPDATE SKIP LOCKED) \
         RETURNING {DELETION_COLUMNS}"
    )))
    .bind(instance)
    .bind(super::micros(until))
    .bind(super::micros(now))
    .fetch_optional(pool)
    .await?;
    row.map(|row| deletion(&row)).transpose()
}

pub(super) async fn advance_deletion(
    pool: &PgPool,
    shard: i32,
    lease: &Lease<'_>,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    // Holding the job's row until the commit: a cancel waits for this batch, then wins.
    let held = sqlx::query(
        "UPDATE deletions SET lease_until = $1, updated_at = $2 \
         WHERE id = $3 AND tenant_id = $4 AND leased_by = $5 AND state = 'running'",
    )
    .bind(super::micros(lease.until))
    .bind(super::micros(lease.now))
    .bind(lease.deletion)
    .bind(lease.tenant.0)
    .bind(lease.instance)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if held == 0 {
        return Ok(false);
    }
    match step {
        Step::Counted {
            events,
            cursor,
            list_endpoints,
        } => {
            if list_endpoints {
                add_endpoints(&mut tx, lease, events).await?;
            }
            sqlx::query("UPDATE deletions SET matched = matched + $1, cursor = $2 WHERE id = $3")
                .bind(events.len() as i64)
                .bind(cursor)
                .bind(lease.deletion)
                .execute(&mut *tx)
                .await?;
        }
        Step::CountingDone => {
            sqlx::query("UPDATE deletions SET phase = 'delete', cursor = NULL WHERE id = $1")
                .bind(lease.deletion)
                .execute(&mut *tx)
                .await?;
        }
        Step::Delete { events } => {
            add_endpoints(&mut tx, lease, events).await?;
            let chosen = |query: &mut QueryBuilder<Postgres>| {
                query
                    .push("SELECT id FROM events WHERE tenant_id = ")
                    .push_bind(lease.tenant.0)
                    .push(" AND id = ANY(")
                    .push_bind(events.to_vec())
                    .push(")");
            };
            let deleted = super::stats::delete_events(&mut *tx, shard, chosen).await?;
            sqlx::query("UPDATE deletions SET deleted = deleted + $1 WHERE id = $2")
                .bind(deleted as i64)
                .bind(lease.deletion)
                .execute(&mut *tx)
                .await?;
        }
        Step::Finish { state, error } => {
            sqlx::query(
                "UPDATE deletions SET state = $1, error = $2, finished_at = $3, \
                 matched = GREATEST(matched, deleted), leased_by = NULL, lease_until = NULL \
                 WHERE id = $4",
            )
            .bind(state.as_str())
            .bind(error)
            .bind(super::micros(lease.now))
            .bind(lease.deletion)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Lists the endpoints that at least one attempt sent some of `events` to.
async fn add_endpoints(
    tx: &mut PgConnection,
    lease: &Lease<'_>,
    events: &[Uuid],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deletion_endpoints (deletion_id, endpoint_id, url, events) \
         SELECT $1, d.endpoint_id, e.url, COUNT(DISTINCT d.event_id) FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.tenant_id = $2 AND d.attempts > 0 AND d.event_id = ANY($3) \
         GROUP BY d.endpoint_id, e.url \
         ON CONFLICT (deletion_id, endpoint_id) \
         DO UPDATE SET events = deletion_endpoints.events + excluded.events",
    )
    .bind(lease.deletion)
    .bind(lease.tenant.0)
    .bind(events)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn with_endpoints(pool: &PgPool, mut job: Deletion) -> Result<Deletion, StoreError> {
    let rows = sqlx::query(
        "SELECT endpoint_id, url, events FROM deletion_endpoints WHERE deletion_id = $1 \
         ORDER BY events DESC, url",
    )
    .bind(job.id)
    .fetch_all(pool)
    .await?;
    job.delivered_to = rows
        .iter()
        .map(|row| {
            Ok(DeliveredTo {
                endpoint_id: row.try_get("endpoint_id")?,
                url: row.try_get("url")?,
                events: count(row.try_get("events")?),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(job)
}

fn deletion(row: &PgRow) -> Result<Deletion, StoreError> {
    let spec: String = row.try_get("spec")?;
    Ok(Deletion {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
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
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
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

const SUPPRESSION_COLUMNS: &str =
    "id, tenant_id, subject, reason, dropped, last_dropped_at, created_at";

pub(super) async fn list_suppressions(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<Suppression>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE tenant_id = $1 ORDER BY created_at, id"
    )))
    .bind(tenant.0)
    .fetch_all(pool)
    .await?;
    rows.iter().map(suppression).collect()
}

/// Adds the suppression, or returns the tenant's existing one of the same subject.
pub(super) async fn create_suppression(
    pool: &PgPool,
    new: &Suppression,
) -> Result<(Suppression, bool), StoreError> {
    let subject = serde_json::to_string(&new.subject.to_json())
        .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))?;
    let created = sqlx::query(
        "INSERT INTO suppressions (id, tenant_id, subject, reason, dropped, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (tenant_id, subject) DO NOTHING",
    )
    .bind(new.id)
    .bind(new.tenant_id.0)
    .bind(&subject)
    .bind(&new.reason)
    .bind(super::micros(new.created_at))
    .execute(pool)
    .await?
    .rows_affected()
        > 0;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE tenant_id = $1 AND subject = $2"
    )))
    .bind(new.tenant_id.0)
    .bind(&subject)
    .fetch_one(pool)
    .await?;
    Ok((suppression(&row)?, created))
}

pub(super) async fn delete_suppression(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM suppressions WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn count_suppressed(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
    events: u64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE suppressions SET dropped = dropped + $1, last_dropped_at = GREATEST(last_dropped_at, $2) \
         WHERE tenant_id = $3 AND id = $4",
    )
    .bind(i64::try_from(events).unwrap_or(i64::MAX))
    .bind(super::micros(at))
    .bind(tenant.0)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

fn suppression(row: &PgRow) -> Result<Suppression, StoreError> {
    let subject: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.try_get::<String, _>("subject")?)
            .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))?;
    Ok(Suppression {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        subject: Subject::parse("match", &subject)
            .map_err(|error| StoreError::Invalid(format!("suppression subject: {error}")))?,
        reason: row.try_get("reason")?,
        dropped: count(row.try_get("dropped")?),
        last_dropped_at: row.try_get("last_dropped_at")?,
        created_at: row.try_get("created_at")?,
    })
}
