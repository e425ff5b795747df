//! PostgreSQL: the stats rollup (`stats_counts`) and the breakdown's cache
//! (`stats_breakdown_units`, `stats_breakdown_values`; migration 0007). See
//! [`crate::events::rollup`] for what they hold and why the answers stay exact.
//!
//! Each store (instance) writes the rollup under its own shard, and retention under another,
//! so the committers of several instances never wait on each other's rows (the current
//! minute's row of a busy tenant would otherwise serialise their transactions); readers sum
//! the shards. Reads that must agree run in one REPEATABLE READ transaction (one snapshot).
//! Every query is scoped by tenant, except the rollup's writes, which carry the tenant per row.

use std::collections::{BTreeMap, HashMap};

use chrono::DateTime;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};

use super::events::SEARCHABLE_METADATA;
use crate::events::NewEvent;
use crate::events::rollup::{MinuteCount, UnitKey, UnitSpan, UnitValues};
use crate::store::StoreError;
use crate::tenants::TenantId;

/// The UTC minute of `ts`, in seconds since the Unix epoch.
const MINUTE_OF_TS: &str = "(floor(extract(epoch FROM ts) / 60) * 60)::bigint";

/// Adds the events just stored to their minutes' rows of this store's shard, in key order.
pub(super) async fn add_events(
    tx: &mut PgConnection,
    shard: i32,
    events: &[&NewEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows: BTreeMap<(uuid::Uuid, i64, &str), i64> = BTreeMap::new();
    for event in events {
        let minute = event.timestamp.timestamp().div_euclid(60) * 60;
        *rows
            .entry((event.tenant_id.0, minute, &event.event_type))
            .or_default() += 1;
    }
    let (mut tenants, mut minutes, mut types, mut counts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((tenant, minute, event_type), events) in rows {
        tenants.push(tenant);
        minutes.push(minute);
        types.push(event_type.to_owned());
        counts.push(events);
    }
    sqlx::query(
        "INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
         SELECT tenant_id, minute, event_type, $5, events, 1 \
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[]) \
              AS input (tenant_id, minute, event_type, events) \
         ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
         SET events = stats_counts.events + excluded.events, version = stats_counts.version + 1",
    )
    .bind(tenants)
    .bind(minutes)
    .bind(types)
    .bind(counts)
    .bind(shard)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes the events selected by `chosen` (an `id IN (…)` subquery with its binds) and takes
/// them out of the rollup under `shard`, in one statement.
pub(super) async fn delete_events(
    executor: impl sqlx::PgExecutor<'_>,
    shard: i32,
    push_chosen: impl Fn(&mut QueryBuilder<Postgres>),
) -> Result<u64, StoreError> {
    let mut query =
        QueryBuilder::<Postgres>::new("WITH deleted AS (DELETE FROM events WHERE id IN (");
    push_chosen(&mut query);
    query.push(format!(
        ") RETURNING tenant_id, ts, event_type), \
         taken AS (INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
           SELECT tenant_id, {MINUTE_OF_TS}, event_type, "
    ));
    query.push_bind(shard).push(
        ", -COUNT(*), 1 FROM deleted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
           ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
           SET events = stats_counts.events + excluded.events, \
               version = stats_counts.version + 1) \
         SELECT COUNT(*) FROM deleted",
    );
    let deleted: i64 = query.build_query_scalar().fetch_one(executor).await?;
    Ok(u64::try_from(deleted).unwrap_or(0))
}

pub(super) async fn counts(
    pool: &PgPool,
    tenant: TenantId,
    event_types: &[String],
    from: i64,
    to: i64,
    width: i64,
) -> Result<Vec<MinuteCount>, StoreError> {
    // The bucket's start: the minute floored to a multiple of the width (also before 1970).
    let mut query = QueryBuilder::<Postgres>::new("SELECT minute - (((minute % ");
    query
        .push_bind(width)
        .push(") + ")
        .push_bind(width)
        .push(") % ")
        .push_bind(width)
        .push(
            ") AS bucket, event_type, SUM(events)::bigint AS events, \
             SUM(version)::bigint AS version FROM stats_counts WHERE tenant_id = ",
        )
        .push_bind(tenant.0)
        .push(" AND minute >= ")
        .push_bind(from)
        .push(" AND minute < ")
        .push_bind(to);
    push_types(&mut query, event_types);
    query.push(" GROUP BY bucket, event_type");
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(MinuteCount {
                minute: row.try_get("bucket")?,
                event_type: row.try_get("event_type")?,
                events: row.try_get("events")?,
                version: row.try_get("version")?,
            })
        })
        .collect()
}

fn push_types(query: &mut QueryBuilder<Postgres>, event_types: &[String]) {
    if !event_types.is_empty() {
        query
            .push(" AND event_type = ANY(")
            .push_bind(event_types.to_vec())
            .push(")");
    }
}

async fn snapshot(pool: &PgPool) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

pub(super) async fn units(
    pool: &PgPool,
    tenant: TenantId,
    path: &[String],
    spans: &[UnitSpan],
    event_types: &[String],
) -> Result<Vec<UnitValues>, StoreError> {
    let mut units = Vec::new();
    for span in spans {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT width, bucket, event_type, stamp, overflow FROM stats_breakdown_units \
             WHERE tenant_id = ",
        );
        push_span(&mut query, tenant, path, span);
        push_types(&mut query, event_types);
        for row in query.build().fetch_all(pool).await? {
            units.push(UnitValues {
                key: unit_key(&row)?,
                stamp: row.try_get("stamp")?,
                overflow: row.try_get("overflow")?,
                values: Vec::new(),
            });
        }
    }
    Ok(units)
}

pub(super) async fn sum(
    pool: &PgPool,
    tenant: TenantId,
    path: &[String],
    spans: &[UnitSpan],
    event_types: &[String],
) -> Result<Vec<(String, u64)>, StoreError> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT value, SUM(events)::bigint AS events FROM stats_breakdown_values WHERE (",
    );
    for (index, span) in spans.iter().enumerate() {
        if index > 0 {
            query.push(" OR ");
        }
        query.push("(tenant_id = ");
        push_span(&mut query, tenant, path, span);
        query.push(")");
    }
    query.push(")");
    push_types(&mut query, event_types);
    query.push(" GROUP BY value");
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let events: i64 = row.try_get("events")?;
            Ok((row.try_get("value")?, u64::try_from(events).unwrap_or(0)))
        })
        .collect()
}

fn push_span(
    query: &mut QueryBuilder<Postgres>,
    tenant: TenantId,
    path: &[String],
    span: &UnitSpan,
) {
    query
        .push_bind(tenant.0)
        .push(" AND path = ")
        .push_bind(path.to_vec())
        .push(" AND width = ")
        .push_bind(span.width)
        .push(" AND bucket >= ")
        .push_bind(span.from)
        .push(" AND bucket < ")
        .push_bind(span.to);
}

fn unit_key(row: &PgRow) -> Result<UnitKey, StoreError> {
    Ok(UnitKey {
        width: row.try_get("width")?,
        bucket: row.try_get("bucket")?,
        event_type: row.try_get("event_type")?,
    })
}

/// The value at `path` as the breakdown and the metadata filters read it: `#>>` renders
/// strings by content and numbers and booleans by their JSON text; NULL for null, objects,
/// arrays and a missing key.
pub(super) fn push_value(query: &mut QueryBuilder<Postgres>, path: &[String]) {
    query
        .push("CASE WHEN json_typeof(")
        .push(SEARCHABLE_METADATA)
        .push(" #> ")
        .push_bind(path.to_vec())
        .push("::text[]) IN ('string', 'number', 'boolean') THEN ")
        .push(SEARCHABLE_METADATA)
        .push(" #>> ")
        .push_bind(path.to_vec())
        .push("::text[] END");
}

/// Conditions (each starting with AND) that every container on the way to `path` is an
/// object: `#>` would also index into arrays, where SQLite's paths name object keys only.
pub(super) fn push_path_through_objects(query: &mut QueryBuilder<Postgres>, path: &[String]) {
    for depth in 1..path.len() {
        query
            .push(" AND json_typeof(")
            .push(SEARCHABLE_METADATA)
            .push(" #> ")
            .push_bind(path[..depth].to_vec())
            .push("::text[]) = 'object'");
    }
}

pub(super) async fn compute(
    pool: &PgPool,
    tenant: TenantId,
    path: &[String],
    units: &[UnitKey],
    max_values: usize,
) -> Result<Vec<UnitValues>, StoreError> {
    // One statement per (width, bucket), for the types asked for in it.
    let mut spans: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    for unit in units {
        spans
            .entry((unit.width, unit.bucket))
            .or_default()
            .push(unit.event_type.clone());
    }
    let mut computed = Vec::with_capacity(units.len());
    let mut tx = snapshot(pool).await?;
    for ((width, bucket), event_types) in spans {
        let stamps: HashMap<String, i64> = sqlx::query_as(
            "SELECT event_type, SUM(version)::bigint FROM stats_counts WHERE tenant_id = $1 \
             AND minute >= $2 AND minute < $3 AND event_type = ANY($4) GROUP BY event_type",
        )
        .bind(tenant.0)
        .bind(bucket)
        .bind(bucket + width)
        .bind(&event_types)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();

        let (Some(from), Some(to)) = (
            DateTime::from_timestamp(bucket, 0),
            DateTime::from_timestamp(bucket + width, 0),
        ) else {
            return Err(StoreError::Invalid(format!("stats bucket {bucket}")));
        };
        let mut values = QueryBuilder::<Postgres>::new(
            "SELECT event_type, v, COUNT(*) AS n FROM (SELECT event_type, ",
        );
        push_value(&mut values, path);
        values
            .push(" AS v FROM events WHERE tenant_id = ")
            .push_bind(tenant.0)
            .push(" AND ts >= ")
            .push_bind(from)
            .push(" AND ts < ")
            .push_bind(to);
        push_types(&mut values, &event_types);
        push_path_through_objects(&mut values, path);
        values.push(") AS valued WHERE v IS NOT NULL GROUP BY event_type, v");
        let mut found: HashMap<String, Vec<(String, u64)>> = HashMap::new();
        for row in values.build().fetch_all(&mut *tx).await? {
            let n: i64 = row.try_get("n")?;
            found
                .entry(row.try_get("event_type")?)
                .or_default()
                .push((row.try_get("v")?, u64::try_from(n).unwrap_or(0)));
        }
        for event_type in event_types {
            let values = found.remove(&event_type).unwrap_or_default();
            let overflow = values.len() > max_values;
            computed.push(UnitValues {
                stamp: stamps.get(&event_type).copied().unwrap_or(0),
                key: UnitKey {
                    width,
                    bucket,
                    event_type,
                },
                overflow,
                values: if overflow { Vec::new() } else { values },
            });
        }
    }
    tx.commit().await?;
    Ok(computed)
}

/// Replaces the cached units. Two readers may cache the same unit at once: the units are
/// written in key order, so they wait on each other instead of deadlocking.
pub(super) async fn store(
    pool: &PgPool,
    tenant: TenantId,
    path: &[String],
    units: &[UnitValues],
) -> Result<(), StoreError> {
    let mut units: Vec<&UnitValues> = units.iter().collect();
    units.sort_by(|a, b| a.key.cmp(&b.key));
    let mut tx = pool.begin().await?;
    for unit in units {
        let key = &unit.key;
        sqlx::query(
            "INSERT INTO stats_breakdown_units (tenant_id, path, width, bucket, event_type, stamp, \
             overflow) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, path, width, bucket, event_type) DO UPDATE \
             SET stamp = excluded.stamp, overflow = excluded.overflow",
        )
        .bind(tenant.0)
        .bind(path)
        .bind(key.width)
        .bind(key.bucket)
        .bind(&key.event_type)
        .bind(unit.stamp)
        .bind(unit.overflow)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM stats_breakdown_values WHERE tenant_id = $1 AND path = $2 AND width = $3 \
             AND bucket = $4 AND event_type = $5",
        )
        .bind(tenant.0)
        .bind(path)
        .bind(key.width)
        .bind(key.bucket)
        .bind(&key.event_type)
        .execute(&mut *tx)
        .await?;
        let (values, counts): (Vec<String>, Vec<i64>) = unit
            .values
            .iter()
            .map(|(value, n)| (value.clone(), i64::try_from(*n).unwrap_or(i64::MAX)))
            .unzip();
        sqlx::query(
            "INSERT INTO stats_breakdown_values (tenant_id, path, width, bucket, event_type, \
             value, events) SELECT $1, $2, $3, $4, $5, value, events \
             FROM unnest($6::text[], $7::bigint[]) AS input (value, events)",
        )
        .bind(tenant.0)
        .bind(path)
        .bind(key.width)
        .bind(key.bucket)
        .bind(&key.event_type)
        .bind(values)
        .bind(counts)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes at most `limit` cached units of buckets before `before` (seconds), with their
/// values.
pub(super) async fn prune_cache(pool: &PgPool, before: i64, limit: u32) -> Result<u64, StoreError> {
    let deleted: i64 = sqlx::query_scalar(
        "WITH units AS (DELETE FROM stats_breakdown_units WHERE (tenant_id, path, width, bucket, \
           event_type) IN (SELECT tenant_id, path, width, bucket, event_type \
             FROM stats_breakdown_units WHERE bucket < $1 LIMIT $2) \
           RETURNING tenant_id, path, width, bucket, event_type), \
         values_ AS (DELETE FROM stats_breakdown_values v USING units u \
           WHERE v.tenant_id = u.tenant_id AND v.path = u.path AND v.width = u.width \
             AND v.bucket = u.bucket AND v.event_type = u.event_type) \
         SELECT COUNT(*) FROM units",
    )
    .bind(before)
    .bind(i64::from(limit))
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(deleted).unwrap_or(0))
}
