//! PostgreSQL: retention's deletes (see [`crate::retention`]): old events (taken out of the
//! stats rollup in the same statement, on this store's retention shard) and finished webhook
//! deliveries. Each call deletes at most `limit` rows, so that ingestion never waits long on
//! them. The other prunes belong to what they prune: audit entries ([`super::audit`]), the
//! breakdown cache ([`super::stats`]) and schema counts ([`super::schemas`]).

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::stats;
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn prune_events(
    pool: &PgPool,
    shard: i32,
    tenant: Option<TenantId>,
    before: Uuid,
    limit: u32,
) -> Result<u64, StoreError> {
    // Deliveries go by cascade; the search vector is a column of the row; the rollup in
    // the same statement.
    let chosen = |query: &mut QueryBuilder<Postgres>| match tenant {
        Some(tenant) => {
            query
                .push("SELECT id FROM events WHERE tenant_id = ")
                .push_bind(tenant.0)
                .push(" AND id < ")
                .push_bind(before)
                .push(" ORDER BY id LIMIT ")
                .push_bind(i64::from(limit));
        }
        None => {
            query
                .push("SELECT id FROM events WHERE id < ")
                .push_bind(before)
                .push(
                    " AND tenant_id IN (SELECT id FROM tenants WHERE retention_days IS NULL) \
                     ORDER BY id LIMIT ",
                )
                .push_bind(i64::from(limit));
        }
    };
    stats::delete_events(pool, shard, chosen).await
}

pub(super) async fn prune_deliveries(
    pool: &PgPool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE id IN \
         (SELECT id FROM webhook_deliveries \
          WHERE status IN ('succeeded', 'dead') AND updated_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
