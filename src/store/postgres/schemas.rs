//! PostgreSQL: the schemas capability's tables (`schemas`, `schema_policies`, `schema_counts`,
//! `schema_examples`; migration 0006). Every query is scoped by tenant, except the writes of
//! gathered counts (which carry their tenant per row) and pruning.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};

use super::micros;
use crate::events::StatsInterval;
use crate::schemas::{Counts, CountsRow, Example, MAX_EXAMPLES_PER_TYPE, Mode, Schema, Unplanned};
use crate::store::StoreError;
use crate::tenants::TenantId;

fn invalid(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("{what}: {error}"))
}

/// The columns a [`Schema`] is read from, for `concat!` (queries stay `&'static str`).
macro_rules! schema_columns {
    () => {
        "event_type, mode, schema::text AS schema, version, created_at, updated_at"
    };
}

fn schema_from_row(row: &PgRow) -> Result<Schema, StoreError> {
    let mode: String = row.try_get("mode")?;
    let schema: String = row.try_get("schema")?;
    Ok(Schema {
        event_type: row.try_get("event_type")?,
        mode: Mode::parse(&mode).ok_or_else(|| invalid("schema mode", &mode))?,
        schema: serde_json::from_str(&schema).map_err(|e| invalid("schema", e))?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) async fn list(pool: &PgPool, tenant: TenantId) -> Result<Vec<Schema>, StoreError> {
    sqlx::query(concat!(
        "SELECT ",
        schema_columns!(),
        " FROM schemas WHERE tenant_id = $1 ORDER BY event_type COLLATE \"C\""
    ))
    .bind(tenant.0)
    .fetch_all(pool)
    .await?
    .iter()
    .map(schema_from_row)
    .collect()
}

pub(super) async fn get(
    pool: &PgPool,
    tenant: TenantId,
    event_type: &str,
) -> Result<Option<Schema>, StoreError> {
    sqlx::query(concat!(
        "SELECT ",
        schema_columns!(),
        " FROM schemas WHERE tenant_id = $1 AND event_type = $2"
    ))
    .bind(tenant.0)
    .bind(event_type)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(schema_from_row)
    .transpose()
}

pub(super) async fn put(
    pool: &PgPool,
    tenant: TenantId,
    event_type: &str,
    mode: Mode,
    schema: &Value,
    at: DateTime<Utc>,
) -> Result<(Schema, bool), StoreError> {
    let text = serde_json::to_string(schema).map_err(|e| invalid("schema", e))?;
    let row = sqlx::query(concat!(
        "INSERT INTO schemas (tenant_id, event_type, mode, schema, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4::json, 1, $5, $5) \
         ON CONFLICT (tenant_id, event_type) DO UPDATE SET mode = excluded.mode, \
           schema = excluded.schema, version = schemas.version + 1, updated_at = excluded.updated_at \
         RETURNING ",
        schema_columns!()
    ))
    .bind(tenant.0)
    .bind(event_type)
    .bind(mode.as_str())
    .bind(text)
    .bind(micros(at))
    .fetch_one(pool)
    .await?;
    let stored = schema_from_row(&row)?;
    let created = stored.version == 1;
    Ok((stored, created))
}

pub(super) async fn delete(
    pool: &PgPool,
    tenant: TenantId,
    event_type: &str,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM schemas WHERE tenant_id = $1 AND event_type = $2")
        .bind(tenant.0)
        .bind(event_type)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn policy(pool: &PgPool, tenant: TenantId) -> Result<Unplanned, StoreError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT unplanned FROM schema_policies WHERE tenant_id = $1")
            .bind(tenant.0)
            .fetch_optional(pool)
            .await?;
    match stored {
        None => Ok(Unplanned::Allow),
        Some(raw) => Unplanned::parse(&raw).ok_or_else(|| invalid("unplanned policy", raw)),
    }
}

pub(super) async fn set_policy(
    pool: &PgPool,
    tenant: TenantId,
    unplanned: Unplanned,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO schema_policies (tenant_id, unplanned) VALUES ($1, $2) \
         ON CONFLICT (tenant_id) DO UPDATE SET unplanned = excluded.unplanned",
    )
    .bind(tenant.0)
    .bind(unplanned.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn record(
    pool: &PgPool,
    counts: &[CountsRow],
    examples: &[Example],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    // Every instance upserts its rows in the same key order, so two flushes wait on each
    // other instead of deadlocking.
    let mut sorted: Vec<&CountsRow> = counts.iter().collect();
    sorted.sort_by(|a, b| {
        (a.tenant_id.0, &a.event_type, a.minute).cmp(&(b.tenant_id.0, &b.event_type, b.minute))
    });
    for row in sorted {
        sqlx::query(
            "INSERT INTO schema_counts AS c (tenant_id, event_type, minute, checked, violations, blocked) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, event_type, minute) DO UPDATE SET \
             checked = c.checked + excluded.checked, violations = c.violations + excluded.violations, \
             blocked = c.blocked + excluded.blocked",
        )
        .bind(row.tenant_id.0)
        .bind(&row.event_type)
        .bind(row.minute)
        .bind(count(row.counts.checked))
        .bind(count(row.counts.violations))
        .bind(count(row.counts.blocked))
        .execute(&mut *tx)
        .await?;
    }
    let mut trimmed = std::collections::HashSet::new();
    for example in examples {
        sqlx::query(
            "INSERT INTO schema_examples (tenant_id, event_type, at, event_id, mode, violations, metadata) \
             VALUES ($1, $2, $3, $4, $5, $6::json, $7::json)",
        )
        .bind(example.tenant_id.0)
        .bind(&example.event_type)
        .bind(micros(example.at))
        .bind(example.event_id)
        .bind(example.mode.as_str())
        .bind(serde_json::to_string(&example.violations).map_err(|e| invalid("violations", e))?)
        .bind(serde_json::to_string(&example.metadata).map_err(|e| invalid("metadata", e))?)
        .execute(&mut *tx)
        .await?;
        trimmed.insert((example.tenant_id, example.event_type.as_str()));
    }
    for (tenant, event_type) in trimmed {
        sqlx::query(
            "DELETE FROM schema_examples WHERE tenant_id = $1 AND event_type = $2 AND id NOT IN \
             (SELECT id FROM schema_examples WHERE tenant_id = $1 AND event_type = $2 \
              ORDER BY id DESC LIMIT $3)",
        )
        .bind(tenant.0)
        .bind(event_type)
        .bind(MAX_EXAMPLES_PER_TYPE as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) async fn counts(
    pool: &PgPool,
    tenant: TenantId,
    event_type: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: StatsInterval,
) -> Result<Vec<(String, i64, Counts)>, StoreError> {
    let width = interval.seconds();
    let mut query = QueryBuilder::<Postgres>::new("SELECT event_type, (minute / ");
    // Integer division floors toward zero; minutes before 1970 never occur.
    query
        .push_bind(width)
        .push(") * ")
        .push_bind(width)
        .push(
            " AS bucket, SUM(checked)::int8 AS checked, SUM(violations)::int8 AS violations, \
             SUM(blocked)::int8 AS blocked FROM schema_counts WHERE tenant_id = ",
        )
        .push_bind(tenant.0)
        .push(" AND minute >= ")
        .push_bind(from.timestamp())
        .push(" AND minute < ")
        .push_bind(to.timestamp());
    if let Some(event_type) = event_type {
        query
            .push(" AND event_type = ")
            .push_bind(event_type.to_owned());
    }
    query.push(" GROUP BY event_type, bucket ORDER BY event_type, bucket");
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let get = |name: &str| -> Result<u64, StoreError> {
                Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
            };
            Ok((
                row.try_get("event_type")?,
                row.try_get("bucket")?,
                Counts {
                    checked: get("checked")?,
                    violations: get("violations")?,
                    blocked: get("blocked")?,
                },
            ))
        })
        .collect()
}

pub(super) async fn examples(
    pool: &PgPool,
    tenant: TenantId,
    event_type: &str,
    limit: u32,
) -> Result<Vec<Example>, StoreError> {
    sqlx::query(
        "SELECT tenant_id, event_type, at, event_id, mode, violations::text AS violations, \
         metadata::text AS metadata FROM schema_examples WHERE tenant_id = $1 AND event_type = $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant.0)
    .bind(event_type)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let mode: String = row.try_get("mode")?;
        let violations: String = row.try_get("violations")?;
        let metadata: String = row.try_get("metadata")?;
        Ok(Example {
            tenant_id: TenantId(row.try_get("tenant_id")?),
            event_type: row.try_get("event_type")?,
            at: row.try_get("at")?,
            event_id: row.try_get("event_id")?,
            mode: Mode::parse(&mode).ok_or_else(|| invalid("example mode", &mode))?,
            violations: serde_json::from_str(&violations).map_err(|e| invalid("violations", e))?,
            metadata: serde_json::from_str(&metadata).map_err(|e| invalid("metadata", e))?,
        })
    })
    .collect()
}

pub(super) async fn prune_counts(
    pool: &PgPool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM schema_counts WHERE (tenant_id, event_type, minute) IN \
         (SELECT tenant_id, event_type, minute FROM schema_counts WHERE minute < $1 LIMIT $2)",
    )
    .bind(before.timestamp())
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
