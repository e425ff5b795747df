//! SQLite: the delivery queue as the worker sees it: which endpoints have deliveries due,
//! claiming them endpoint by endpoint (live before replayed), and the circuit breaker's
//! column (`webhook_endpoints.circuit_open_until`; migration 0014). See
//! [`crate::webhooks::fairness`] for the policy; this file only carries it out.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::webhooks::claimed_webhook_delivery_from_row;
use super::{from_micros, micros, parse_uuid};
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks::fairness::DueEndpoint;
use crate::webhooks::{Claim, ClaimedDelivery};

/// A waiting delivery that no live lease holds, due at `?1` (the partial index
/// `webhook_deliveries_endpoint_due` serves it).
const WAITING: &str = "d.status IN ('pending', 'failed') AND d.next_attempt_at <= ?1 \
     AND (d.lease_until IS NULL OR d.lease_until < ?1)";

pub(super) async fn due_endpoints(
    pool: &SqlitePool,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DueEndpoint>, StoreError> {
    let first = |replayed: u8| {
        format!(
            "(SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
             AND (d.replay_id IS NOT NULL) = {replayed} AND {WAITING} \
             ORDER BY d.next_attempt_at LIMIT 1)"
        )
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, tenant_id, circuit_open_until, COALESCE(MIN(live, replayed), live, replayed) AS due \
         FROM (SELECT e.id, e.tenant_id, e.circuit_open_until, {} AS live, {} AS replayed \
               FROM webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id \
               WHERE e.enabled = 1 AND t.status = 'active' \
                 AND (e.circuit_open_until IS NULL OR e.circuit_open_until <= ?1)) \
         WHERE live IS NOT NULL OR replayed IS NOT NULL ORDER BY due LIMIT ?2",
        first(0),
        first(1)
    )))
    .bind(micros(now))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueEndpoint {
                id: parse_uuid(row.try_get("id")?)?,
                tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
                oldest_due: from_micros(row.try_get("due")?)?,
                probe: row
                    .try_get::<Option<i64>, _>("circuit_open_until")?
                    .is_some(),
            })
        })
        .collect()
}

/// Chooses on `reader`, leases on `writer`.
pub(super) async fn claim(
    reader: &SqlitePool,
    writer: &SqlitePool,
    claim: &Claim<'_>,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let now = micros(claim.now);
    // Choose outside the write lock (reads do not hold up the group committer); the UPDATE
    // below checks again that each is still waiting and free.
    let mut chosen: Vec<(Uuid, Vec<String>)> = Vec::with_capacity(claim.shares.len());
    for share in claim.shares {
        let mut ids = Vec::new();
        for replayed in [0, 1] {
            let want = i64::from(share.count) - ids.len() as i64;
            if want <= 0 {
                break;
            }
            let more: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT d.id FROM webhook_deliveries d WHERE d.endpoint_id = ?2 \
                 AND (d.replay_id IS NOT NULL) = {replayed} AND {WAITING} \
                 ORDER BY d.next_attempt_at LIMIT ?3"
            )))
            .bind(now)
            .bind(share.endpoint_id.to_string())
            .bind(want)
            .fetch_all(reader)
            .await?;
            ids.extend(more);
        }
        if !ids.is_empty() {
            chosen.push((share.endpoint_id, ids));
        }
    }
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut leasable = Vec::new();
    for (endpoint, ids) in chosen {
        let probe = claim
            .shares
            .iter()
            .any(|share| share.endpoint_id == endpoint && share.probe);
        let allowed = if probe {
            // The probe goes only if no other claim has marked it in flight.
            sqlx::query(
                "UPDATE webhook_endpoints SET circuit_open_until = ?1 WHERE id = ?2 \
                 AND enabled = 1 AND circuit_open_until IS NOT NULL AND circuit_open_until <= ?3",
            )
            .bind(micros(claim.lease_until))
            .bind(endpoint.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        } else {
            true
        };
        if allowed {
            leasable.extend(ids.into_iter().take(if probe { 1 } else { usize::MAX }));
        }
    }
    if leasable.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let mut update = QueryBuilder::<Sqlite>::new("UPDATE webhook_deliveries SET lease_until = ");
    update
        .push_bind(micros(claim.lease_until))
        .push(", leased_by = ")
        .push_bind(claim.instance)
        .push(" WHERE id IN (");
    let mut list = update.separated(", ");
    for id in &leasable {
        list.push_bind(id.clone());
    }
    // The unary `+` keeps SQLite's planner off the (status, next_attempt_at) index, which it
    // otherwise picks over the primary key: with a backlog of 100k due deliveries every claim
    // walked all of them (bench/fairness.sh: seconds of delay for every endpoint).
    update
        .push(") AND +status IN ('pending', 'failed') AND +next_attempt_at <= ")
        .push_bind(now)
        .push(" AND (lease_until IS NULL OR lease_until < ")
        .push_bind(now)
        .push(") RETURNING id");
    let ids: Vec<String> = update.build_query_scalar().fetch_all(&mut *tx).await?;
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT d.id AS d_id, d.tenant_id AS d_tenant_id, d.endpoint_id AS d_endpoint_id, \
         d.attempts AS d_attempts, d.payload AS d_payload, e.url AS e_url, \
         e.secret AS e_secret, e.previous_secret AS e_previous_secret, \
         e.previous_secret_until AS e_previous_secret_until, ev.* \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         LEFT JOIN events ev ON ev.id = d.event_id WHERE d.id IN (",
    );
    let mut list = query.separated(", ");
    for id in &ids {
        list.push_bind(id.clone());
    }
    query.push(") ORDER BY d.next_attempt_at, d.id");
    let rows = query.build().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(claimed_webhook_delivery_from_row).collect()
}

pub(super) async fn open_circuit(
    pool: &SqlitePool,
    endpoint_id: Uuid,
    failed_at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A success after the failure (last_success_at later) has closed it: leave it closed.
    sqlx::query(
        "UPDATE webhook_endpoints SET circuit_open_until = ?1 WHERE id = ?2 \
         AND consecutive_failures > 0 AND (last_success_at IS NULL OR last_success_at < ?3)",
    )
    .bind(micros(until))
    .bind(endpoint_id.to_string())
    .bind(micros(failed_at))
    .execute(pool)
    .await?;
    Ok(())
}
