//! PostgreSQL: the delivery queue as the worker sees it: which endpoints have deliveries due,
//! claiming them endpoint by endpoint (live before replayed) with `FOR UPDATE SKIP LOCKED`,
//! and the circuit breaker's column (`webhook_endpoints.circuit_open_until`; migration 0014).
//! See [`crate::webhooks::fairness`] for the policy; this file only carries it out.
//!
//! Lock order: an endpoint's row before its deliveries' rows, as recording an attempt and
//! deleting an endpoint take them, so that a claim never waits on them in a cycle.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgPool;
use uuid::Uuid;

use super::micros;
use super::webhooks::claimed_webhook_delivery_from_row;
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks::fairness::DueEndpoint;
use crate::webhooks::{Claim, ClaimedDelivery};

/// A waiting delivery that no live lease holds, due at `$1` (the partial index
/// `webhook_deliveries_endpoint_due` serves it).
const WAITING: &str = "d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1 \
     AND (d.lease_until IS NULL OR d.lease_until < $1)";

pub(super) async fn due_endpoints(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DueEndpoint>, StoreError> {
    let first = |replayed: bool| {
        format!(
            "(SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
             AND (d.replay_id IS NOT NULL) = {replayed} AND {WAITING} \
             ORDER BY d.next_attempt_at LIMIT 1)"
        )
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, tenant_id, circuit_open_until, LEAST(live, replayed) AS due \
         FROM (SELECT e.id, e.tenant_id, e.circuit_open_until, {} AS live, {} AS replayed \
               FROM webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id \
               WHERE e.enabled AND t.status = 'active' \
                 AND (e.circuit_open_until IS NULL OR e.circuit_open_until <= $1)) due \
         WHERE live IS NOT NULL OR replayed IS NOT NULL ORDER BY due LIMIT $2",
        first(false),
        first(true)
    )))
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueEndpoint {
                id: row.try_get("id")?,
                tenant_id: TenantId(row.try_get("tenant_id")?),
                oldest_due: row.try_get("due")?,
                probe: row
                    .try_get::<Option<DateTime<Utc>>, _>("circuit_open_until")?
                    .is_some(),
            })
        })
        .collect()
}

pub(super) async fn claim(
    pool: &PgPool,
    claim: &Claim<'_>,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let now = micros(claim.now);
    let lease_until = micros(claim.lease_until);
    let mut tx = pool.begin().await?;
    let mut ids: Vec<Uuid> = Vec::new();
    for share in claim.shares {
        if share.probe {
            // The probe goes only if no other claim has marked it in flight; a concurrent
            // claimer waits for this row, then finds the mark and takes nothing.
            let marked = sqlx::query(
                "UPDATE webhook_endpoints SET circuit_open_until = $1 WHERE id = $2 \
                 AND enabled AND circuit_open_until IS NOT NULL AND circuit_open_until <= $3",
            )
            .bind(lease_until)
            .bind(share.endpoint_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 0 {
                continue;
            }
        }
        let count = if share.probe { 1 } else { share.count };
        let mut taken = 0usize;
        for replayed in [false, true] {
            let want = i64::from(count) - taken as i64;
            if want <= 0 {
                break;
            }
            // SKIP LOCKED: concurrent claimers pass over the rows another is claiming; a row
            // whose lease another claimer just set is re-checked against the WHERE and dropped.
            let more: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT d.id FROM webhook_deliveries d WHERE d.endpoint_id = $2 \
                 AND (d.replay_id IS NOT NULL) = $3 AND {WAITING} \
                 ORDER BY d.next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED"
            )))
            .bind(now)
            .bind(share.endpoint_id)
            .bind(replayed)
            .bind(want)
            .fetch_all(&mut *tx)
            .await?;
            taken += more.len();
            ids.extend(more);
        }
    }
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = $1, leased_by = $2 WHERE id = ANY($3)",
    )
    .bind(lease_until)
    .bind(claim.instance)
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    let rows = sqlx::query(
        "SELECT d.id AS d_id, d.tenant_id AS d_tenant_id, d.endpoint_id AS d_endpoint_id, \
         d.attempts AS d_attempts, d.payload AS d_payload, e.url AS e_url, \
         e.secret AS e_secret, e.previous_secret AS e_previous_secret, \
         e.previous_secret_until AS e_previous_secret_until, \
         ev.id, ev.tenant_id, ev.event_type, ev.ts, ev.received_at, \
         ev.metadata::text AS metadata, ev.event_id, ev.violations::text AS violations \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         LEFT JOIN events ev ON ev.id = d.event_id WHERE d.id = ANY($1) \
         ORDER BY d.next_attempt_at, d.id",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter().map(claimed_webhook_delivery_from_row).collect()
}

pub(super) async fn open_circuit(
    pool: &PgPool,
    endpoint_id: Uuid,
    failed_at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A success after the failure (last_success_at later) has closed it: leave it closed.
    sqlx::query(
        "UPDATE webhook_endpoints SET circuit_open_until = $1 WHERE id = $2 \
         AND consecutive_failures > 0 AND (last_success_at IS NULL OR last_success_at < $3)",
    )
    .bind(until)
    .bind(endpoint_id)
    .bind(failed_at)
    .execute(pool)
    .await?;
    Ok(())
}
