//! SQLite: the `events` table: storing a batch (written by the event writer's thread, with
//! the webhook outbox, the search index rows of reused rowids and the stats rollup in its
//! transaction: [`super::event_writer`]), and the reads that list
//! events, count them and find a metadata key's top values, all scoped by tenant. The filter
//! ([`push_filter`]) is shared with search, so that a filter narrows a list, a count and a
//! search alike.
//!
//! The reads a request makes over many events (list, count, top values) run on an
//! interruptible connection ([`SqliteStore::interruptible`]), and those that match text first
//! wait for the search index to cover what was committed before them
//! ([`SqliteStore::index_caught_up`]).

use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{SqliteStore, from_micros, micros, parse_uuid, stats};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
    ValueCounts,
};
use crate::store::{StoreError, sqlite_json_path};
use crate::tenants::TenantId;
use crate::textquery::render::fts5_filter;

pub(super) fn event_from_row(row: &SqliteRow) -> Result<Event, StoreError> {
    let metadata: String = row.try_get("metadata")?;
    let metadata: Map<String, Value> = serde_json::from_str(&metadata)
        .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?;
    Ok(Event {
        id: parse_uuid(row.try_get("id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
        event_type: row.try_get("event_type")?,
        timestamp: from_micros(row.try_get("ts")?)?,
        received_at: from_micros(row.try_get("received_at")?)?,
        metadata,
        event_id: row.try_get("event_id")?,
        violations: violations_from_column(row.try_get("violations")?)?,
    })
}

fn violations_from_column(
    text: Option<String>,
) -> Result<Vec<crate::events::Violation>, StoreError> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|error| StoreError::Invalid(format!("event violations: {error}"))),
    }
}

/// Appends the metadata value at `path` as the `meta.*` filters compare it: the value's JSON
/// text, as PostgreSQL's `#>>` gives it (json_extract would turn numbers into SQL values and
/// re-render them, 1e20 as 1.0e+20, so non-strings are read with `->`, which keeps their JSON
/// text); strings by their content; NULL for a JSON null or a missing key.
fn push_meta_value(query: &mut QueryBuilder<Sqlite>, path: &[String]) {
    let path = sqlite_json_path(path);
    query
        .push("(CASE json_type(metadata, ")
        .push_bind(path.clone())
        .push(") WHEN 'text' THEN json_extract(metadata, ")
        .push_bind(path.clone())
        .push(") WHEN 'null' THEN NULL ELSE metadata -> ")
        .push_bind(path)
        .push(" END)");
}

/// Appends the filter's conditions (each starting with AND) for the `events` table.
pub(super) fn push_filter(query: &mut QueryBuilder<Sqlite>, filter: &EventFilter) {
    if !filter.event_types.is_empty() {
        query.push(" AND event_type IN (");
        let mut list = query.separated(", ");
        for event_type in &filter.event_types {
            list.push_bind(event_type.clone());
        }
        query.push(")");
    }
    if let Some(from) = filter.from {
        query.push(" AND ts >= ").push_bind(micros(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND ts < ").push_bind(micros(to));
    }
    for (path, value) in &filter.meta {
        query.push(" AND ");
        push_meta_value(query, path);
        query.push(" = ").push_bind(value.clone());
    }
    // The exact complement of `=`: a missing key or a JSON null gives NULL, and `IS NOT`
    // (unlike `<>`) is true for NULL, so events without the key are kept.
    for (path, value) in &filter.meta_not {
        query.push(" AND ");
        push_meta_value(query, path);
        query.push(" IS NOT ").push_bind(value.clone());
    }
    match filter.violations {
        Some(true) => {
            query.push(" AND violations IS NOT NULL");
        }
        Some(false) => {
            query.push(" AND violations IS NULL");
        }
        None => {}
    }
    if let Some(text) = &filter.text {
        query
            .push(" AND rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ")
            .push_bind(fts5_filter(text))
            .push(")");
    }
}

pub(super) async fn insert(
    store: &SqliteStore,
    events: Arc<Vec<NewEvent>>,
) -> Result<Vec<InsertOutcome>, StoreError> {
    let index = store.indexer.as_ref().map(|indexer| indexer.index.clone());
    if let Some(index) = &index {
        index.keep_up().await;
    }
    // Holding the writer slot, the event writer's connection is the only one writing.
    let slot = store.writer.acquire().await?;
    let written = store.event_writer.write(events, index.clone()).await;
    drop(slot);
    let written = written?;
    if let Some(index) = index
        && let Some(last) = written.last_rowid
    {
        index.committed(last);
    }
    Ok(written.outcomes)
}

pub(super) async fn list(
    store: &SqliteStore,
    tenant: TenantId,
    filter: &EventFilter,
    after: Option<EventCursor>,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    store.index_caught_up(filter.text.is_some()).await;
    let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM events WHERE tenant_id = ");
    query.push_bind(tenant.0.to_string());
    push_filter(&mut query, filter);
    if let Some(cursor) = after {
        let ts = micros(cursor.timestamp);
        query
            .push(" AND (ts < ")
            .push_bind(ts)
            .push(" OR (ts = ")
            .push_bind(ts)
            .push(" AND id < ")
            .push_bind(cursor.id.to_string())
            .push("))");
    }
    query
        .push(" ORDER BY ts DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit));
    let mut read = store.interruptible().await?;
    let rows = query.build().fetch_all(&mut *read.connection).await?;
    read.finish();
    rows.iter().map(event_from_row).collect()
}

pub(super) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Event>, StoreError> {
    sqlx::query("SELECT * FROM events WHERE tenant_id = ? AND id = ?")
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()
}

pub(super) async fn list_after(
    pool: &SqlitePool,
    tenant: TenantId,
    after: Uuid,
    event_types: &[String],
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM events WHERE tenant_id = ");
    query.push_bind(tenant.0.to_string());
    query.push(" AND id > ").push_bind(after.to_string());
    let filter = EventFilter {
        event_types: event_types.to_vec(),
        ..EventFilter::default()
    };
    push_filter(&mut query, &filter);
    query
        .push(" ORDER BY id LIMIT ")
        .push_bind(i64::from(limit));
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(event_from_row)
        .collect()
}

pub(super) async fn counts(
    store: &SqliteStore,
    tenant: TenantId,
    filter: &EventFilter,
    interval: StatsInterval,
) -> Result<EventCounts, StoreError> {
    store.index_caught_up(filter.text.is_some()).await;
    let mut by_type = QueryBuilder::<Sqlite>::new(
        "SELECT event_type, COUNT(*) AS n FROM events WHERE tenant_id = ",
    );
    by_type.push_bind(tenant.0.to_string());
    push_filter(&mut by_type, filter);
    by_type.push(" GROUP BY event_type ORDER BY n DESC, event_type");
    let mut read = store.interruptible().await?;
    let by_type: Vec<(String, u64)> = by_type
        .build()
        .fetch_all(&mut *read.connection)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("event_type")?,
                row.try_get::<i64, _>("n")? as u64,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;

    let width = interval.seconds() * 1_000_000;
    // Floor division, so that times before 1970 fall into the bucket that starts before
    // them (SQLite's `/` truncates toward zero).
    let mut buckets = QueryBuilder::<Sqlite>::new("SELECT (ts / ");
    buckets
        .push_bind(width)
        .push(" - (ts % ")
        .push_bind(width)
        .push(" < 0)) AS bucket, COUNT(*) AS n FROM events WHERE tenant_id = ")
        .push_bind(tenant.0.to_string());
    push_filter(&mut buckets, filter);
    buckets.push(" GROUP BY bucket ORDER BY bucket");
    let buckets: Vec<(i64, u64)> = buckets
        .build()
        .fetch_all(&mut *read.connection)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64, _>("bucket")? * interval.seconds(),
                row.try_get::<i64, _>("n")? as u64,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    read.finish();

    Ok(EventCounts {
        total: by_type.iter().map(|(_, n)| n).sum(),
        by_type,
        buckets,
    })
}

pub(super) async fn top_values(
    store: &SqliteStore,
    tenant: TenantId,
    filter: &EventFilter,
    path: &[String],
    limit: u32,
) -> Result<ValueCounts, StoreError> {
    store.index_caught_up(filter.text.is_some()).await;
    // The value as the metadata filters compare it (see push_filter): strings by content,
    // numbers and booleans by their JSON text; null, objects and arrays are left out. The
    // window sum runs before LIMIT, so it counts every event that has a value.
    let mut query =
        QueryBuilder::<Sqlite>::new("SELECT v, n, SUM(n) OVER () AS with_key FROM (SELECT ");
    stats::push_value(&mut query, path);
    query
        .push(" AS v, COUNT(*) AS n FROM events WHERE tenant_id = ")
        .push_bind(tenant.0.to_string());
    push_filter(&mut query, filter);
    query
        .push(" GROUP BY v) WHERE v IS NOT NULL ORDER BY n DESC, v LIMIT ")
        .push_bind(i64::from(limit));
    let mut read = store.interruptible().await?;
    let rows = query.build().fetch_all(&mut *read.connection).await?;
    read.finish();
    let mut counts = ValueCounts::default();
    for row in &rows {
        counts.with_key = row.try_get::<i64, _>("with_key")? as u64;
        counts
            .top
            .push((row.try_get("v")?, row.try_get::<i64, _>("n")? as u64));
    }
    Ok(counts)
}
