//! SQLite: the schemas capability's tables (`schemas`, `schema_policies`, `schema_counts`,
//! `schema_examples`; migration 0006). Every query is scoped by tenant, except the writes of
//! gathered counts (which carry their tenant per row) and pruning.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{from_micros, micros, parse_uuid};
use crate::events::StatsInterval;
use crate::schemas::{Counts, CountsRow, Example, MAX_EXAMPLES_PER_TYPE, Mode, Schema, Unplanned};
use crate::store::StoreError;
use crate::tenants::TenantId;

fn invalid(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("{what}: {error}"))
}

fn schema_from_row(row: &SqliteRow) -> Result<Schema, StoreError> {
    let mode: String = row.try_get("mode")?;
    let schema: String = row.try_get("schema")?;
    Ok(Schema {
        event_type: row.try_get("event_type")?,
        mode: Mode::parse(&mode).ok_or_else(|| invalid("schema mode", &mode))?,
        schema: serde_json::from_str(&schema).map_err(|e| invalid("schema", e))?,
        version: row.try_get("version")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    })
}

pub(super) async fn list(pool: &SqlitePool, tenant: TenantId) -> Result<Vec<Schema>, StoreError> {
    sqlx::query("SELECT * FROM schemas WHERE tenant_id = ? ORDER BY event_type")
        .bind(tenant.0.to_string())
        .fetch_all(pool)
        .await?
        .iter()
        .map(schema_from_row)
        .collect()
}

pub(super) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
    event_type: &str,
) -> Result<Option<Schema>, StoreError> {
    sqlx::query("SELECT * FROM schemas WHERE tenant_id = ? AND event_type = ?")
        .bind(tenant.0.to_string())
        .bind(event_type)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(schema_from_row)
        .transpose()
}

pub(super) async fn put(
    pool: &SqlitePool,
    tenant: TenantId,
    event_type: &str,
    mode: Mode,
    schema: &Value,
    at: DateTime<Utc>,
) -> Result<(Schema, bool), StoreError> {
    let text = serde_json::to_string(schema).map_err(|e| invalid("schema", e))?;
    let row = sqlx::query(
        "INSERT INTO schemas (tenant_id, event_type, mode, schema, version, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 1, ?, ?) \
         ON CONFLICT (tenant_id, event_type) DO UPDATE SET mode = excluded.mode, \
           schema = excluded.schema, version = schemas.version + 1, updated_at = excluded.updated_at \
         RETURNING *",
    )
    .bind(tenant.0.to_string())
    .bind(event_type)
    .bind(mode.as_str())
    .bind(text)
    .bind(micros(at))
    .bind(micros(at))
    .fetch_one(pool)
    .await?;
    let stored = schema_from_row(&row)?;
    let created = stored.version == 1;
    Ok((stored, created))
}

pub(super) async fn delete(
    pool: &SqlitePool,
    tenant: TenantId,
    event_type: &str,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM schemas WHERE tenant_id = ? AND event_type = ?")
        .bind(tenant.0.to_string())
        .bind(event_type)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn policy(pool: &SqlitePool, tenant: TenantId) -> Result<Unplanned, StoreError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT unplanned FROM schema_policies WHERE tenant_id = ?")
            .bind(tenant.0.to_string())
            .fetch_optional(pool)
            .await?;
    match stored {
        None => Ok(Unplanned::Allow),
        Some(raw) => Unplanned::parse(&raw).ok_or_else(|| invalid("unplanned policy", raw)),
    }
}

pub(super) async fn set_policy(
    pool: &SqlitePool,
    tenant: TenantId,
    unplanned: Unplanned,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO schema_policies (tenant_id, unplanned) VALUES (?, ?) \
         ON CONFLICT (tenant_id) DO UPDATE SET unplanned = excluded.unplanned",
    )
    .bind(tenant.0.to_string())
    .bind(unplanned.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn record(
    pool: &SqlitePool,
    counts: &[CountsRow],
    examples: &[Example],
) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    for row in counts {
        sqlx::query(
            "INSERT INTO schema_counts (tenant_id, event_type, minute, checked, violations, blocked) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, event_type, minute) DO UPDATE SET \
             checked = checked + excluded.checked, violations = violations + excluded.violations, \
             blocked = blocked + excluded.blocked",
        )
        .bind(row.tenant_id.0.to_string())
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(example.tenant_id.0.to_string())
        .bind(&example.event_type)
        .bind(micros(example.at))
        .bind(example.event_id.map(|id| id.to_string()))
        .bind(example.mode.as_str())
        .bind(serde_json::to_string(&example.violations).map_err(|e| invalid("violations", e))?)
        .bind(serde_json::to_string(&example.metadata).map_err(|e| invalid("metadata", e))?)
        .execute(&mut *tx)
        .await?;
        trimmed.insert((example.tenant_id, example.event_type.as_str()));
    }
    for (tenant, event_type) in trimmed {
        sqlx::query(
            "DELETE FROM schema_examples WHERE tenant_id = ?1 AND event_type = ?2 AND id NOT IN \
             (SELECT id FROM schema_examples WHERE tenant_id = ?1 AND event_type = ?2 \
              ORDER BY id DESC LIMIT ?3)",
        )
        .bind(tenant.0.to_string())
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
    pool: &SqlitePool,
    tenant: TenantId,
    event_type: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: StatsInterval,
) -> Result<Vec<(String, i64, Counts)>, StoreError> {
    let width = interval.seconds();
    let mut query = QueryBuilder::<Sqlite>::new("SELECT event_type, (minute / ");
    query
        .push_bind(width)
        .push(") * ")
        .push_bind(width)
        .push(
            " AS bucket, SUM(checked) AS checked, SUM(violations) AS violations, \
             SUM(blocked) AS blocked FROM schema_counts WHERE tenant_id = ",
        )
        .push_bind(tenant.0.to_string())
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
    pool: &SqlitePool,
    tenant: TenantId,
    event_type: &str,
    limit: u32,
) -> Result<Vec<Example>, StoreError> {
    sqlx::query(
        "SELECT * FROM schema_examples WHERE tenant_id = ? AND event_type = ? \
         ORDER BY id DESC LIMIT ?",
    )
    .bind(tenant.0.to_string())
    .bind(event_type)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let mode: String = row.try_get("mode")?;
        let violations: String = row.try_get("violations")?;
        let metadata: String = row.try_get("metadata")?;
        let event_id: Option<String> = row.try_get("event_id")?;
        Ok(Example {
            tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
            event_type: row.try_get("event_type")?,
            at: from_micros(row.try_get("at")?)?,
            event_id: event_id.as_deref().map(parse_uuid).transpose()?,
            mode: Mode::parse(&mode).ok_or_else(|| invalid("example mode", &mode))?,
            violations: serde_json::from_str(&violations).map_err(|e| invalid("violations", e))?,
            metadata: serde_json::from_str(&metadata).map_err(|e| invalid("metadata", e))?,
        })
    })
    .collect()
}

pub(super) async fn prune_counts(
    pool: &SqlitePool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM schema_counts WHERE (tenant_id, event_type, minute) IN \
         (SELECT tenant_id, event_type, minute FROM schema_counts WHERE minute < ? LIMIT ?)",
    )
    .bind(before.timestamp())
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
