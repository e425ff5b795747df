//! SQLite: retention's deletes (see [`crate::retention`]): old events (taken out of the stats
//! rollup in the same transaction) and finished webhook deliveries. Each call deletes at most
//! `limit` rows, so that ingestion never waits long for the write lock. The other prunes belong
//! to what they prune: audit entries ([`super::audit`]), the breakdown cache ([`super::stats`])
//! and schema counts ([`super::schemas`]).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::{micros, stats};
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn prune_events(
    writer: &SqlitePool,
    tenant: Option<TenantId>,
    before: Uuid,
    limit: u32,
) -> Result<u64, StoreError> {
    // The FTS rows go by trigger, deliveries by cascade; the rollup in the same
    // transaction.
    let chosen = |query: &mut QueryBuilder<Sqlite>| match tenant {
        Some(tenant) => {
            query
                .push("SELECT id FROM events WHERE tenant_id = ")
                .push_bind(tenant.0.to_string())
                .push(" AND id < ")
                .push_bind(before.to_string());
            query
                .push(" ORDER BY id LIMIT ")
                .push_bind(i64::from(limit));
        }
        None => {
            query
                .push("SELECT id FROM events WHERE id < ")
                .push_bind(before.to_string())
                .push(
                    " AND tenant_id IN (SELECT id FROM tenants WHERE retention_days IS NULL) \
                     ORDER BY id LIMIT ",
                )
                .push_bind(i64::from(limit));
        }
    };
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let deleted = stats::delete_events(&mut tx, chosen).await?;
    tx.commit().await?;
    Ok(deleted)
}

pub(super) async fn prune_deliveries(
    writer: &SqlitePool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE id IN \
         (SELECT id FROM webhook_deliveries \
          WHERE status IN ('succeeded', 'dead') AND updated_at < ? LIMIT ?)",
    )
    .bind(micros(before))
    .bind(i64::from(limit))
    .execute(writer)
    .await?;
    Ok(deleted.rows_affected())
}
