//! PostgreSQL: webhook replay jobs (`webhook_replays`; migration 0014) and the deliveries they
//! queue. Every query names the job's tenant, except a worker's claim of the next job, which
//! names the job's tenant and endpoint in all it does after.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use uuid::Uuid;

use super::micros;
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks::replay::{Lease, Phase, Progress, Replay, State, Step};
use crate::webhooks::{parse_stored_event_types, stored_event_types};

const COLUMNS: &str = "r.id, r.tenant_id, r.endpoint_id, r.from_at, r.to_at, r.event_types, \
     r.only_failed, r.state, r.phase, r.cursor, r.total, r.created, r.error, r.created_at, \
     r.updated_at, r.finished_at, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.replay_id = r.id \
        AND d.status = 'succeeded') AS delivered, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.replay_id = r.id \
        AND d.status = 'dead') AS dead, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.replay_id = r.id \
        AND d.status IN ('pending', 'failed')) AS waiting";

pub(super) async fn create(pool: &PgPool, job: &Replay) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_replays (id, tenant_id, endpoint_id, from_at, to_at, event_types, \
         only_failed, state, phase, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(job.id)
    .bind(job.tenant_id.0)
    .bind(job.endpoint_id)
    .bind(micros(job.from))
    .bind(micros(job.to))
    .bind(stored_event_types(&job.event_types))
    .bind(job.only_failed)
    .bind(job.state.as_str())
    .bind(job.phase.as_str())
    .bind(micros(job.created_at))
    .bind(micros(job.updated_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn list(
    pool: &PgPool,
    tenant: TenantId,
    endpoint: Uuid,
    limit: u32,
) -> Result<Vec<Replay>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r WHERE r.tenant_id = $1 AND r.endpoint_id = $2 \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
    )))
    .bind(tenant.0)
    .bind(endpoint)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(replay).collect()
}

pub(super) async fn get(
    pool: &PgPool,
    tenant: TenantId,
    endpoint: Uuid,
    id: Uuid,
) -> Result<Option<Replay>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r \
         WHERE r.tenant_id = $1 AND r.endpoint_id = $2 AND r.id = $3"
    )))
    .bind(tenant.0)
    .bind(endpoint)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(replay).transpose()
}

pub(super) async fn cancel(
    pool: &PgPool,
    tenant: TenantId,
    endpoint: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Replay>, StoreError> {
    sqlx::query(
        "UPDATE webhook_replays SET state = 'cancelled', finished_at = $1, updated_at = $1, \
         leased_by = NULL, lease_until = NULL \
         WHERE tenant_id = $2 AND endpoint_id = $3 AND id = $4 AND state IN ('pending', 'running')",
    )
    .bind(micros(at))
    .bind(tenant.0)
    .bind(endpoint)
    .bind(id)
    .execute(pool)
    .await?;
    get(pool, tenant, endpoint, id).await
}

pub(super) async fn claim(
    pool: &PgPool,
    instance: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Replay>, StoreError> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE webhook_replays SET state = 'running', leased_by = $1, lease_until = $2, \
         updated_at = $3 \
         WHERE id = (SELECT id FROM webhook_replays WHERE state IN ('pending', 'running') \
                     AND (lease_until IS NULL OR lease_until < $3) ORDER BY created_at LIMIT 1 \
                     FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind(instance)
    .bind(micros(until))
    .bind(micros(now))
    .fetch_optional(pool)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(replay).transpose()
}

pub(super) async fn advance(
    pool: &PgPool,
    lease: &Lease<'_>,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    // Holding the job's row until the commit: a cancel waits for this batch, then wins.
    let held = sqlx::query(
        "UPDATE webhook_replays SET lease_until = $1, updated_at = $2 \
         WHERE id = $3 AND tenant_id = $4 AND leased_by = $5 AND state = 'running'",
    )
    .bind(micros(lease.until))
    .bind(micros(lease.now))
    .bind(lease.replay)
    .bind(lease.tenant.0)
    .bind(lease.instance)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if held == 0 {
        return Ok(false);
    }
    match step {
        Step::Counted { events, cursor } => {
            sqlx::query("UPDATE webhook_replays SET total = total + $1, cursor = $2 WHERE id = $3")
                .bind(i64::try_from(events).unwrap_or(i64::MAX))
                .bind(cursor)
                .bind(lease.replay)
                .execute(&mut *tx)
                .await?;
        }
        Step::CountingDone => {
            sqlx::query("UPDATE webhook_replays SET phase = 'queue', cursor = NULL WHERE id = $1")
                .bind(lease.replay)
                .execute(&mut *tx)
                .await?;
        }
        Step::Queue {
            events,
            only_failed,
            cursor,
        } => {
            let created = queue(&mut tx, lease, events, only_failed).await?;
            sqlx::query(
                "UPDATE webhook_replays SET created = created + $1, cursor = $2 WHERE id = $3",
            )
            .bind(i64::try_from(created).unwrap_or(i64::MAX))
            .bind(cursor)
            .bind(lease.replay)
            .execute(&mut *tx)
            .await?;
        }
        Step::Renew => {}
        Step::Finish { state, error } => {
            sqlx::query(
                "UPDATE webhook_replays SET state = $1, error = $2, finished_at = $3, \
                 leased_by = NULL, lease_until = NULL WHERE id = $4",
            )
            .bind(state.as_str())
            .bind(error)
            .bind(micros(lease.now))
            .bind(lease.replay)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Queues the deliveries of `events` to the lease's endpoint: an existing delivery (not in
/// flight) again under its own id, with `only_failed` only a failed or dead one; otherwise
/// (not `only_failed`) a new one. How many it queued.
async fn queue(
    tx: &mut PgConnection,
    lease: &Lease<'_>,
    events: &[Uuid],
    only_failed: bool,
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let now = micros(lease.now);
    // The endpoint's row first (see delivery_queue.rs on lock order).
    sqlx::query("SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR UPDATE")
        .bind(lease.endpoint)
        .execute(&mut *tx)
        .await?;
    let mut queued = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, \
         updated_at = $1, replay_id = $2 \
         WHERE tenant_id = $3 AND endpoint_id = $4 AND event_id = ANY($5) \
           AND (lease_until IS NULL OR lease_until < $1) \
           AND (NOT $6 OR status IN ('failed', 'dead'))",
    )
    .bind(now)
    .bind(lease.replay)
    .bind(lease.tenant.0)
    .bind(lease.endpoint)
    .bind(events)
    .bind(only_failed)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if only_failed {
        return Ok(queued);
    }
    // The tenant's events among them that have no delivery to the endpoint yet.
    let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
    queued += sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at, replay_id) \
         SELECT v.id, ev.tenant_id, $3, ev.id, 'pending', 0, $4, $4, $4, $5 \
         FROM unnest($1::uuid[], $2::uuid[]) AS v (id, event_id) \
         JOIN events ev ON ev.id = v.event_id AND ev.tenant_id = $6 \
         WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                           WHERE d.event_id = ev.id AND d.endpoint_id = $3)",
    )
    .bind(&ids)
    .bind(events)
    .bind(lease.endpoint)
    .bind(now)
    .bind(lease.replay)
    .bind(lease.tenant.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(queued)
}

pub(super) async fn waiting(pool: &PgPool, id: Uuid) -> Result<u64, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE replay_id = $1 \
         AND status IN ('pending', 'failed')",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(super) async fn count_failed(
    pool: &PgPool,
    tenant: TenantId,
    endpoint: Uuid,
    events: &[Uuid],
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT event_id) FROM webhook_deliveries WHERE tenant_id = $1 \
         AND endpoint_id = $2 AND status IN ('failed', 'dead') AND event_id = ANY($3)",
    )
    .bind(tenant.0)
    .bind(endpoint)
    .bind(events)
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn replay(row: &PgRow) -> Result<Replay, StoreError> {
    let count = |column: &str| -> Result<u64, StoreError> {
        Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
    };
    Ok(Replay {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        endpoint_id: row.try_get("endpoint_id")?,
        from: row.try_get("from_at")?,
        to: row.try_get("to_at")?,
        event_types: parse_stored_event_types(row.try_get("event_types")?)?,
        only_failed: row.try_get("only_failed")?,
        state: State::parse(row.try_get("state")?)?,
        phase: Phase::parse(row.try_get("phase")?)?,
        cursor: row.try_get("cursor")?,
        total: count("total")?,
        created: count("created")?,
        progress: Progress {
            delivered: count("delivered")?,
            failed: count("dead")?,
            waiting: count("waiting")?,
        },
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}
