//! SQLite: the stats rollup (`stats_counts`) and the breakdown's cache
//! (`stats_breakdown_units`, `stats_breakdown_values`; migration 0007). See
//! [`crate::events::rollup`] for what they hold and why the answers stay exact. SQLite has one
//! writer, so every row is shard 0. New events are added to the rollup by the event writer
//! ([`super::event_writer`]), in their commit. Every query is scoped by tenant, except the
//! rollup's writes, which carry the tenant per row.

use std::collections::{BTreeMap, HashMap};

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};

use super::Interruptible;
use crate::events::rollup::{MinuteCount, UnitKey, UnitSpan, UnitValues};
use crate::store::{StoreError, sqlite_json_path};
use crate::tenants::TenantId;

/// Bound parameters per statement, under SQLite's limit of 32,766.
const MAX_PARAMETERS: usize = 30_000;

/// The UTC minute of `ts` (microseconds), floored also before 1970 (SQLite's `/` truncates
/// toward zero), in seconds.
const MINUTE_OF_TS: &str = "((ts / 60000000) - (ts % 60000000 < 0)) * 60";

/// Takes the events selected by `chosen` (an `id IN (…)` subquery, with its binds pushed by
/// `bind`) out of the rollup, then deletes them: one write transaction, so that the rollup
/// always matches the events.
pub(super) async fn delete_events(
    tx: &mut SqliteConnection,
    push_chosen: impl Fn(&mut QueryBuilder<Sqlite>),
) -> Result<u64, StoreError> {
    let mut take_out = QueryBuilder::<Sqlite>::new(format!(
        "INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
         SELECT tenant_id, {MINUTE_OF_TS}, event_type, 0, -COUNT(*), 1 FROM events WHERE id IN ("
    ));
    push_chosen(&mut take_out);
    take_out.push(
        ") GROUP BY 1, 2, 3 ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
         SET events = events + excluded.events, version = version + 1",
    );
    take_out.build().execute(&mut *tx).await?;
    let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM events WHERE id IN (");
    push_chosen(&mut delete);
    delete.push(")");
    Ok(delete.build().execute(&mut *tx).await?.rows_affected())
}

pub(super) async fn counts(
    read: &mut Interruptible,
    tenant: TenantId,
    event_types: &[String],
    from: i64,
    to: i64,
    width: i64,
) -> Result<Vec<MinuteCount>, StoreError> {
    // The bucket's start: the minute floored to a multiple of the width (also before 1970).
    let mut query = QueryBuilder::<Sqlite>::new("SELECT minute - (((minute % ");
    query
        .push_bind(width)
        .push(") + ")
        .push_bind(width)
        .push(") % ")
        .push_bind(width)
        .push(
            ") AS bucket, event_type, SUM(events) AS events, SUM(version) AS version \
             FROM stats_counts WHERE tenant_id = ",
        )
        .push_bind(tenant.0.to_string())
        .push(" AND minute >= ")
        .push_bind(from)
        .push(" AND minute < ")
        .push_bind(to);
    push_types(&mut query, event_types);
    query.push(" GROUP BY bucket, event_type");
    query
        .build()
        .fetch_all(&mut *read.connection)
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

fn push_types(query: &mut QueryBuilder<Sqlite>, event_types: &[String]) {
    if !event_types.is_empty() {
        query.push(" AND event_type IN (");
        let mut list = query.separated(", ");
        for event_type in event_types {
            list.push_bind(event_type.clone());
        }
        query.push(")");
    }
}

fn path_key(path: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(path).map_err(|error| StoreError::Invalid(format!("path: {error}")))
}

pub(super) async fn units(
    read: &mut Interruptible,
    tenant: TenantId,
    path: &[String],
    spans: &[UnitSpan],
    event_types: &[String],
) -> Result<Vec<UnitValues>, StoreError> {
    let tenant_text = tenant.0.to_string();
    let path = path_key(path)?;
    let mut units = Vec::new();
    for span in spans {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT width, bucket, event_type, stamp, overflow FROM stats_breakdown_units \
             WHERE tenant_id = ",
        );
        push_span(&mut query, &tenant_text, &path, span);
        push_types(&mut query, event_types);
        for row in query.build().fetch_all(&mut *read.connection).await? {
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
    read: &mut Interruptible,
    tenant: TenantId,
    path: &[String],
    spans: &[UnitSpan],
    event_types: &[String],
) -> Result<Vec<(String, u64)>, StoreError> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let tenant_text = tenant.0.to_string();
    let path = path_key(path)?;
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT value, SUM(events) AS events FROM stats_breakdown_values WHERE (",
    );
    for (index, span) in spans.iter().enumerate() {
        if index > 0 {
            query.push(" OR ");
        }
        query.push("(tenant_id = ");
        push_span(&mut query, &tenant_text, &path, span);
        query.push(")");
    }
    query.push(")");
    push_types(&mut query, event_types);
    query.push(" GROUP BY value");
    query
        .build()
        .fetch_all(&mut *read.connection)
        .await?
        .iter()
        .map(|row| {
            let events: i64 = row.try_get("events")?;
            Ok((row.try_get("value")?, u64::try_from(events).unwrap_or(0)))
        })
        .collect()
}

fn push_span(query: &mut QueryBuilder<Sqlite>, tenant: &str, path: &str, span: &UnitSpan) {
    query
        .push_bind(tenant.to_owned())
        .push(" AND path = ")
        .push_bind(path.to_owned())
        .push(" AND width = ")
        .push_bind(span.width)
        .push(" AND bucket >= ")
        .push_bind(span.from)
        .push(" AND bucket < ")
        .push_bind(span.to);
}

fn unit_key(row: &sqlx::sqlite::SqliteRow) -> Result<UnitKey, StoreError> {
    Ok(UnitKey {
        width: row.try_get("width")?,
        bucket: row.try_get("bucket")?,
        event_type: row.try_get("event_type")?,
    })
}

/// The value at `path` as the breakdown and the metadata filters read it: strings by content,
/// numbers by their JSON text (`->` keeps it; json_extract would re-render 1e20), booleans
/// as `true`/`false`; NULL for null, objects, arrays and a missing key.
pub(super) fn push_value(query: &mut QueryBuilder<Sqlite>, path: &[String]) {
    let json_path = sqlite_json_path(path);
    query
        .push("CASE json_type(metadata, ")
        .push_bind(json_path.clone())
        .push(") WHEN 'text' THEN json_extract(metadata, ")
        .push_bind(json_path.clone())
        .push(") WHEN 'integer' THEN metadata -> ")
        .push_bind(json_path.clone())
        .push(" WHEN 'real' THEN metadata -> ")
        .push_bind(json_path)
        .push(" WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END");
}

pub(super) async fn compute(
    read: &mut Interruptible,
    tenant: TenantId,
    path: &[String],
    units: &[UnitKey],
    max_values: usize,
) -> Result<Vec<UnitValues>, StoreError> {
    let tenant_text = tenant.0.to_string();
    // One statement per (width, bucket), for the types asked for in it.
    let mut spans: BTreeMap<(i64, i64), Vec<&str>> = BTreeMap::new();
    for unit in units {
        spans
            .entry((unit.width, unit.bucket))
            .or_default()
            .push(&unit.event_type);
    }
    let mut computed = Vec::with_capacity(units.len());
    let mut tx = Connection::begin(&mut *read.connection).await?;
    for ((width, bucket), event_types) in spans {
        let event_types: Vec<String> = event_types.into_iter().map(str::to_owned).collect();
        let mut stamps = QueryBuilder::<Sqlite>::new(
            "SELECT event_type, SUM(version) AS stamp FROM stats_counts WHERE tenant_id = ",
        );
        stamps
            .push_bind(tenant_text.clone())
            .push(" AND minute >= ")
            .push_bind(bucket)
            .push(" AND minute < ")
            .push_bind(bucket + width);
        push_types(&mut stamps, &event_types);
        stamps.push(" GROUP BY event_type");
        let stamps: HashMap<String, i64> = stamps
            .build()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("event_type")?, row.try_get("stamp")?)))
            .collect::<Result<_, sqlx::Error>>()?;

        let mut values = QueryBuilder::<Sqlite>::new(
            "SELECT event_type, v, COUNT(*) AS n FROM (SELECT event_type, ",
        );
        push_value(&mut values, path);
        values
            .push(" AS v FROM events WHERE tenant_id = ")
            .push_bind(tenant_text.clone())
            .push(" AND ts >= ")
            .push_bind(bucket * 1_000_000)
            .push(" AND ts < ")
            .push_bind((bucket + width) * 1_000_000);
        push_types(&mut values, &event_types);
        values.push(") WHERE v IS NOT NULL GROUP BY event_type, v");
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

pub(super) async fn store(
    tx: &mut SqliteConnection,
    tenant: TenantId,
    path: &[String],
    units: &[UnitValues],
) -> Result<(), StoreError> {
    let tenant_text = tenant.0.to_string();
    let path = path_key(path)?;
    for unit in units {
        let key = &unit.key;
        sqlx::query(
            "DELETE FROM stats_breakdown_values WHERE tenant_id = ? AND path = ? AND width = ? \
             AND bucket = ? AND event_type = ?",
        )
        .bind(&tenant_text)
        .bind(&path)
        .bind(key.width)
        .bind(key.bucket)
        .bind(&key.event_type)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO stats_breakdown_units (tenant_id, path, width, bucket, event_type, stamp, \
             overflow) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id, path, width, bucket, event_type) DO UPDATE \
             SET stamp = excluded.stamp, overflow = excluded.overflow",
        )
        .bind(&tenant_text)
        .bind(&path)
        .bind(key.width)
        .bind(key.bucket)
        .bind(&key.event_type)
        .bind(unit.stamp)
        .bind(unit.overflow)
        .execute(&mut *tx)
        .await?;
        for chunk in unit.values.chunks(MAX_PARAMETERS / 7) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO stats_breakdown_values (tenant_id, path, width, bucket, event_type, \
                 value, events) ",
            );
            query.push_values(chunk, |mut row, (value, events)| {
                row.push_bind(tenant_text.clone())
                    .push_bind(path.clone())
                    .push_bind(key.width)
                    .push_bind(key.bucket)
                    .push_bind(key.event_type.clone())
                    .push_bind(value.clone())
                    .push_bind(i64::try_from(*events).unwrap_or(i64::MAX));
            });
            query.build().execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// Deletes at most `limit` cached units of buckets before `before` (seconds), values first.
pub(super) async fn prune_cache(
    pool: &SqlitePool,
    before: i64,
    limit: u32,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    macro_rules! chosen {
        () => {
            "(tenant_id, path, width, bucket, event_type) IN (SELECT tenant_id, path, width, \
             bucket, event_type FROM stats_breakdown_units WHERE bucket < ?1 LIMIT ?2)"
        };
    }
    sqlx::query(concat!(
        "DELETE FROM stats_breakdown_values WHERE ",
        chosen!()
    ))
    .bind(before)
    .bind(i64::from(limit))
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query(concat!(
        "DELETE FROM stats_breakdown_units WHERE ",
        chosen!()
    ))
    .bind(before)
    .bind(i64::from(limit))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}
