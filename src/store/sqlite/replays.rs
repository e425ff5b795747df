//! SQLite: webhook replay jobs (`webhook_replays`; migration 0014) and the deliveries they
//! queue. Every query names the job's tenant, except a worker's claim of the next job, which
//! names the job's tenant and endpoint in all it does after.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{from_micros, micros, parse_uuid};
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

pub(super) async fn create(pool: &SqlitePool, job: &Replay) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_replays (id, tenant_id, endpoint_id, from_at, to_at, event_types, \
         only_failed, state, phase, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(job.id.to_string())
    .bind(job.tenant_id.0.to_string())
    .bind(job.endpoint_id.to_string())
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
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint: Uuid,
    limit: u32,
) -> Result<Vec<Replay>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r WHERE r.tenant_id = ? AND r.endpoint_id = ? \
         ORDER BY r.created_at DESC, r.id DESC LIMIT ?"
    )))
    .bind(tenant.0.to_string())
    .bind(endpoint.to_string())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(replay).collect()
}

pub(super) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint: Uuid,
    id: Uuid,
) -> Result<Option<Replay>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r \
         WHERE r.tenant_id = ? AND r.endpoint_id = ? AND r.id = ?"
    )))
    .bind(tenant.0.to_string())
    .bind(endpoint.to_string())
    .bind(id.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(replay).transpose()
}

pub(super) async fn cancel(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Replay>, StoreError> {
    sqlx::query(
        "UPDATE webhook_replays SET state = 'cancelled', finished_at = ?, updated_at = ?, \
         leased_by = NULL, lease_until = NULL \
         WHERE tenant_id = ? AND endpoint_id = ? AND id = ? AND state IN ('pending', 'running')",
    )
    .bind(micros(at))
    .bind(micros(at))
    .bind(tenant.0.to_string())
    .bind(endpoint.to_string())
    .bind(id.to_string())
    .execute(pool)
    .await?;
    get(pool, tenant, endpoint, id).await
}

pub(super) async fn claim(
    pool: &SqlitePool,
    instance: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<Replay>, StoreError> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE webhook_replays SET state = 'running', leased_by = ?, lease_until = ?, \
         updated_at = ? \
         WHERE id = (SELECT id FROM webhook_replays WHERE state IN ('pending', 'running') \
                     AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at LIMIT 1) \
         RETURNING id",
    )
    .bind(instance)
    .bind(micros(until))
    .bind(micros(now))
    .bind(micros(now))
    .fetch_optional(pool)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhook_replays r WHERE r.id = ?"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(replay).transpose()
}

pub(super) async fn advance(
    pool: &SqlitePool,
    lease: &Lease<'_>,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let held = sqlx::query(
        "UPDATE webhook_replays SET lease_until = ?, updated_at = ? \
         WHERE id = ? AND tenant_id = ? AND leased_by = ? AND state = 'running'",
    )
    .bind(micros(lease.until))
    .bind(micros(lease.now))
    .bind(lease.replay.to_string())
    .bind(lease.tenant.0.to_string())
    .bind(lease.instance)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if held == 0 {
        return Ok(false);
    }
    let id = lease.replay.to_string();
    match step {
        Step::Counted { events, cursor } => {
            sqlx::query("UPDATE webhook_replays SET total = total + ?, cursor = ? WHERE id = ?")
                .bind(i64::try_from(events).unwrap_or(i64::MAX))
                .bind(cursor)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        Step::CountingDone => {
            sqlx::query("UPDATE webhook_replays SET phase = 'queue', cursor = NULL WHERE id = ?")
                .bind(&id)
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
                "UPDATE webhook_replays SET created = created + ?, cursor = ? WHERE id = ?",
            )
            .bind(i64::try_from(created).unwrap_or(i64::MAX))
            .bind(cursor)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
        Step::Renew => {}
        Step::Finish { state, error } => {
            sqlx::query(
                "UPDATE webhook_replays SET state = ?, error = ?, finished_at = ?, \
                 leased_by = NULL, lease_until = NULL WHERE id = ?",
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

/// Queues the deliveries of `events` to the lease's endpoint: an existing delivery (not in
/// flight) again under its own id, with `only_failed` only a failed or dead one; otherwise
/// (not `only_failed`) a new one. How many it queued.
async fn queue(
    tx: &mut sqlx::SqliteConnection,
    lease: &Lease<'_>,
    events: &[Uuid],
    only_failed: bool,
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let now = micros(lease.now);
    let mut again = QueryBuilder::<Sqlite>::new(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ",
    );
    again
        .push_bind(now)
        .push(", updated_at = ")
        .push_bind(now)
        .push(", replay_id = ")
        .push_bind(lease.replay.to_string())
        .push(" WHERE tenant_id = ")
        .push_bind(lease.tenant.0.to_string())
        .push(" AND endpoint_id = ")
        .push_bind(lease.endpoint.to_string())
        .push(" AND (lease_until IS NULL OR lease_until < ")
        .push_bind(now)
        .push(")");
    if only_failed {
        again.push(" AND status IN ('failed', 'dead')");
    }
    again.push(" AND event_id IN (");
    let mut ids = again.separated(", ");
    for event in events {
        ids.push_bind(event.to_string());
    }
    again.push(")");
    let mut queued = again.build().execute(&mut *tx).await?.rows_affected();
    if only_failed {
        return Ok(queued);
    }
    // The tenant's events among them that have no delivery to the endpoint yet.
    let mut fresh = QueryBuilder::<Sqlite>::new(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at, replay_id) \
         SELECT v.column1, ev.tenant_id, ",
    );
    fresh
        .push_bind(lease.endpoint.to_string())
        .push(", ev.id, 'pending', 0, ")
        .push_bind(now)
        .push(", ")
        .push_bind(now)
        .push(", ")
        .push_bind(now)
        .push(", ")
        .push_bind(lease.replay.to_string())
        .push(" FROM (");
    fresh.push_values(events, |mut row, event| {
        row.push_bind(Uuid::now_v7().to_string())
            .push_bind(event.to_string());
    });
    fresh
        .push(") v JOIN events ev ON ev.id = v.column2 AND ev.tenant_id = ")
        .push_bind(lease.tenant.0.to_string())
        .push(
            " WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
             WHERE d.event_id = ev.id AND d.endpoint_id = ",
        )
        .push_bind(lease.endpoint.to_string())
        .push(")");
    queued += fresh.build().execute(&mut *tx).await?.rows_affected();
    Ok(queued)
}

pub(super) async fn waiting(pool: &SqlitePool, id: Uuid) -> Result<u64, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE replay_id = ? \
         AND status IN ('pending', 'failed')",
    )
    .bind(id.to_string())
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(super) async fn count_failed(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint: Uuid,
    events: &[Uuid],
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT COUNT(DISTINCT event_id) FROM webhook_deliveries WHERE tenant_id = ",
    );
    query
        .push_bind(tenant.0.to_string())
        .push(" AND endpoint_id = ")
        .push_bind(endpoint.to_string())
        .push(" AND status IN ('failed', 'dead') AND event_id IN (");
    let mut ids = query.separated(", ");
    for event in events {
        ids.push_bind(event.to_string());
    }
    query.push(")");
    let count: i64 = query.build_query_scalar().fetch_one(pool).await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn replay(row: &SqliteRow) -> Result<Replay, StoreError> {
    let count = |column: &str| -> Result<u64, StoreError> {
        Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
    };
    Ok(Replay {
        id: parse_uuid(row.try_get("id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
        endpoint_id: parse_uuid(row.try_get("endpoint_id")?)?,
        from: from_micros(row.try_get("from_at")?)?,
        to: from_micros(row.try_get("to_at")?)?,
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
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")?
            .map(from_micros)
            .transpose()?,
    })
}
