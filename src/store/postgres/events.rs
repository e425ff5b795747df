//! PostgreSQL: the `events` table: storing a batch (with, in its transaction, the webhook
//! outbox and the stats rollup; the search vector is a column of the row), and the reads that
//! list events, count them and find a metadata key's top values, all scoped by tenant. The
//! filter ([`push_filter`]) is shared with search, so that a filter narrows a list, a count and
//! a search alike.
//!
//! `insert_events` is one multi-row `INSERT … ON CONFLICT DO NOTHING` per call, with the same
//! outcomes as inserting one by one. Concurrent ingest from several instances relies on
//! `ON CONFLICT DO NOTHING` waiting for the other transaction that holds the same
//! `(tenant_id, event_id)`: after it commits, the losing insert does nothing and reads the
//! winner's id. Every call inserts its keys in one global order, so such waits never deadlock.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::search::search_vector;
use super::{count, micros, stats, webhooks};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
    ValueCounts,
};
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::textquery::render::tsquery_filter;

pub(super) fn event_from_row(row: &PgRow) -> Result<Event, StoreError> {
    let metadata: String = row.try_get("metadata")?;
    let metadata: Map<String, Value> = serde_json::from_str(&metadata)
        .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?;
    Ok(Event {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        event_type: row.try_get("event_type")?,
        timestamp: row.try_get("ts")?,
        received_at: row.try_get("received_at")?,
        metadata,
        event_id: row.try_get("event_id")?,
        violations: match row.try_get::<Option<String>, _>("violations")? {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text)
                .map_err(|error| StoreError::Invalid(format!("event violations: {error}")))?,
        },
    })
}

/// Metadata goes out as text so that PostgreSQL never re-renders it (`json` keeps the text).
const EVENT_COLUMNS: &str = "SELECT id, tenant_id, event_type, ts, received_at, metadata::text AS metadata, event_id, \
     violations::text AS violations \
     FROM events WHERE tenant_id = ";

/// The metadata to look paths up in. PostgreSQL stores any valid JSON text in a `json` column
/// but cannot navigate one that contains `\u0000` (text cannot hold NUL: every `#>`/`#>>` on
/// it fails), so one such event would break every metadata filter over its tenant. For those
/// rare rows only, look up in a copy where NUL reads as U+FFFD: escaped backslashes are first
/// rewritten to the equivalent `\u005c` (leftmost-first replacement follows JSON's escape
/// tokenisation), so every `\u0000` left is a real NUL escape and not a literal backslash.
pub(super) const SEARCHABLE_METADATA: &str = concat!(
    r"(CASE WHEN strpos(metadata::text, '\u0000') = 0 THEN metadata ",
    r"ELSE replace(replace(metadata::text, '\\', '\u005c'), '\u0000', '\ufffd')::json END)",
);

/// Appends `(<the metadata value at path> = value)`, as the `meta.*` filters compare: NULL
/// when the key is missing or holds a JSON null.
fn push_meta_equals(query: &mut QueryBuilder<Postgres>, path: &[String], value: &str) {
    query.push("(");
    // `#>>` would also index into arrays ("0" as an element number); SQLite's quoted path
    // segments only name object keys, so require every container on the way to be an
    // object. The root always is one.
    for depth in 1..path.len() {
        query
            .push("json_typeof(")
            .push(SEARCHABLE_METADATA)
            .push(" #> ")
            .push_bind(path[..depth].to_vec())
            .push("::text[]) = 'object' AND ");
    }
    // `#>>` renders strings by content and numbers and booleans by their JSON text, which
    // is what the SQLite store's CASE over json_type produces.
    query
        .push(SEARCHABLE_METADATA)
        .push(" #>> ")
        .push_bind(path.to_vec())
        .push("::text[] = ")
        .push_bind(value.to_owned())
        .push(")");
}

/// Appends the filter's conditions (each starting with AND) for the `events` table.
pub(super) fn push_filter(query: &mut QueryBuilder<Postgres>, filter: &EventFilter) {
    if !filter.event_types.is_empty() {
        query
            .push(" AND event_type = ANY(")
            .push_bind(filter.event_types.clone())
            .push(")");
    }
    if let Some(from) = filter.from {
        query.push(" AND ts >= ").push_bind(micros(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND ts < ").push_bind(micros(to));
    }
    for (path, value) in &filter.meta {
        query.push(" AND ");
        push_meta_equals(query, path, value);
    }
    // The exact complement of `=`: where the key is missing (or a container on the way is not
    // an object) the condition is NULL or false, and COALESCE makes both "not equal", so
    // events without the key are kept.
    for (path, value) in &filter.meta_not {
        query.push(" AND NOT COALESCE(");
        push_meta_equals(query, path, value);
        query.push(", false)");
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
            .push(" AND search @@ ")
            .push_bind(tsquery_filter(text))
            .push("::text::tsquery");
    }
}

pub(super) async fn insert(
    pool: &PgPool,
    search_index: bool,
    shard: i32,
    events: &[NewEvent],
) -> Result<Vec<InsertOutcome>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }

    // A repeat of an (tenant_id, event_id) earlier in this call takes the outcome of its
    // first occurrence (with duplicate: true), exactly as inserting one by one would give.
    let mut first_of: HashMap<(Uuid, &str), usize> = HashMap::new();
    let mut repeat_of: Vec<Option<usize>> = Vec::with_capacity(events.len());
    let mut rows: Vec<usize> = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let repeat = event.event_id.as_deref().and_then(|event_id| {
            match first_of.entry((event.tenant_id.0, event_id)) {
                Entry::Occupied(first) => Some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(index);
                    None
                }
            }
        });
        if repeat.is_none() {
            rows.push(index);
        }
        repeat_of.push(repeat);
    }
    // Every transaction inserts its keys in the same global order, so two instances
    // inserting overlapping keys wait on each other instead of deadlocking.
    rows.sort_by_key(|&i| (events[i].tenant_id.0, events[i].event_id.as_deref()));

    let mut ids = Vec::with_capacity(rows.len());
    let mut tenant_ids = Vec::with_capacity(rows.len());
    let mut event_types = Vec::with_capacity(rows.len());
    let mut timestamps = Vec::with_capacity(rows.len());
    let mut received = Vec::with_capacity(rows.len());
    let mut metadata = Vec::with_capacity(rows.len());
    let mut event_ids = Vec::with_capacity(rows.len());
    let mut vectors: Vec<Option<String>> = Vec::with_capacity(rows.len());
    let mut violations: Vec<Option<String>> = Vec::with_capacity(rows.len());
    for &index in &rows {
        let event = &events[index];
        ids.push(event.id);
        tenant_ids.push(event.tenant_id.0);
        event_types.push(event.event_type.clone());
        timestamps.push(micros(event.timestamp));
        received.push(micros(event.received_at));
        metadata.push(
            serde_json::to_string(&event.metadata)
                .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?,
        );
        event_ids.push(event.event_id.clone());
        violations.push(if event.violations.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&event.violations)
                    .map_err(|error| StoreError::Invalid(format!("event violations: {error}")))?,
            )
        });
        vectors.push(
            search_index
                .then(|| search_vector(event.tenant_id, &event.event_type, &event.metadata)),
        );
    }

    let mut tx = pool.begin().await?;
    // unnest yields the rows in array order, which keeps the lock order above.
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata, event_id, search, \
                             violations) \
         SELECT id, tenant_id, event_type, ts, received_at, metadata::json, event_id, search::tsvector, \
                violations::json \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], \
                     $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[]) \
              AS input (id, tenant_id, event_type, ts, received_at, metadata, event_id, search, \
                        violations) \
         ON CONFLICT (tenant_id, event_id) DO NOTHING \
         RETURNING id",
    )
    .bind(ids)
    .bind(tenant_ids)
    .bind(event_types)
    .bind(timestamps)
    .bind(received)
    .bind(metadata)
    .bind(event_ids)
    .bind(vectors)
    .bind(violations)
    .fetch_all(&mut *tx)
    .await?;
    let inserted: HashSet<Uuid> = inserted.into_iter().collect();

    // The rows that clashed were committed by someone else before the insert returned
    // (ON CONFLICT waits for them); this statement's fresh snapshot sees them.
    let clashed: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&index| !inserted.contains(&events[index].id))
        .collect();
    let mut originals: HashMap<(Uuid, String), Uuid> = HashMap::new();
    if !clashed.is_empty() {
        let found: Vec<(Uuid, String, Uuid)> = sqlx::query_as(
            "SELECT e.tenant_id, e.event_id, e.id FROM events e \
             JOIN unnest($1::uuid[], $2::text[]) AS wanted (tenant_id, event_id) \
               ON e.tenant_id = wanted.tenant_id AND e.event_id = wanted.event_id",
        )
        .bind(
            clashed
                .iter()
                .map(|&i| events[i].tenant_id.0)
                .collect::<Vec<_>>(),
        )
        .bind(
            clashed
                .iter()
                .map(|&i| events[i].event_id.clone())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await?;
        originals = found
            .into_iter()
            .map(|(tenant, event_id, id)| ((tenant, event_id), id))
            .collect();
    }

    let mut outcomes: Vec<InsertOutcome> = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let outcome = if let Some(first) = repeat_of[index] {
            InsertOutcome {
                id: outcomes[first].id,
                duplicate: true,
            }
        } else if inserted.contains(&event.id) {
            InsertOutcome {
                id: event.id,
                duplicate: false,
            }
        } else {
            // Only an event with an event_id can clash (NULLs never do).
            let original = event
                .event_id
                .as_ref()
                .and_then(|event_id| originals.get(&(event.tenant_id.0, event_id.clone())))
                .ok_or(sqlx::Error::RowNotFound)?;
            InsertOutcome {
                id: *original,
                duplicate: true,
            }
        };
        outcomes.push(outcome);
    }
    // The webhook outbox, for the events stored (not duplicates).
    let fresh: Vec<&NewEvent> = events
        .iter()
        .filter(|event| inserted.contains(&event.id))
        .collect();
    webhooks::enqueue_webhook_deliveries(&mut tx, &fresh).await?;
    stats::add_events(&mut tx, shard, &fresh).await?;
    tx.commit().await?;
    Ok(outcomes)
}

pub(super) async fn list(
    pool: &PgPool,
    tenant: TenantId,
    filter: &EventFilter,
    after: Option<EventCursor>,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(EVENT_COLUMNS);
    query.push_bind(tenant.0);
    push_filter(&mut query, filter);
    if let Some(cursor) = after {
        query
            .push(" AND (ts, id) < (")
            .push_bind(micros(cursor.timestamp))
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
    }
    query
        .push(" ORDER BY ts DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit));
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(event_from_row)
        .collect()
}

pub(super) async fn get(
    pool: &PgPool,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Event>, StoreError> {
    let sql = format!("{EVENT_COLUMNS}$1 AND id = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()
}

pub(super) async fn list_after(
    pool: &PgPool,
    tenant: TenantId,
    after: Uuid,
    event_types: &[String],
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(EVENT_COLUMNS);
    query.push_bind(tenant.0);
    query.push(" AND id > ").push_bind(after);
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
    pool: &PgPool,
    tenant: TenantId,
    filter: &EventFilter,
    interval: StatsInterval,
) -> Result<EventCounts, StoreError> {
    let mut by_type = QueryBuilder::<Postgres>::new(
        "SELECT event_type, COUNT(*) AS n FROM events WHERE tenant_id = ",
    );
    by_type.push_bind(tenant.0);
    push_filter(&mut by_type, filter);
    // Ties in bytewise order, as SQLite's BINARY collation gives.
    by_type.push(" GROUP BY event_type ORDER BY n DESC, event_type COLLATE \"C\"");
    let by_type: Vec<(String, u64)> = by_type
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("event_type")?, count(row.try_get("n")?)?)))
        .collect::<Result<_, StoreError>>()?;

    // extract(epoch) is numeric (exact to the microsecond); floor keeps buckets aligned for
    // times before 1970 too.
    let width = interval.seconds();
    let mut buckets = QueryBuilder::<Postgres>::new("SELECT (floor(extract(epoch FROM ts) / ");
    buckets
        .push_bind(width)
        .push("::bigint) * ")
        .push_bind(width)
        .push("::bigint)::bigint AS bucket, COUNT(*) AS n FROM events WHERE tenant_id = ")
        .push_bind(tenant.0);
    push_filter(&mut buckets, filter);
    buckets.push(" GROUP BY bucket ORDER BY bucket");
    let buckets: Vec<(i64, u64)> = buckets
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("bucket")?, count(row.try_get("n")?)?)))
        .collect::<Result<_, StoreError>>()?;

    Ok(EventCounts {
        total: by_type.iter().map(|(_, n)| n).sum(),
        by_type,
        buckets,
    })
}

pub(super) async fn top_values(
    pool: &PgPool,
    tenant: TenantId,
    filter: &EventFilter,
    path: &[String],
    limit: u32,
) -> Result<ValueCounts, StoreError> {
    // As push_filter reads a value: `#>>` renders strings by content and numbers and
    // booleans by their JSON text; every container on the way must be an object (as in
    // SQLite's paths); null, objects and arrays are left out. The window sum (numeric in
    // PostgreSQL, hence the cast) runs before LIMIT.
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT v, n, (SUM(n) OVER ())::bigint AS with_key FROM (SELECT ",
    );
    stats::push_value(&mut query, path);
    query
        .push(" AS v, COUNT(*) AS n FROM events WHERE tenant_id = ")
        .push_bind(tenant.0);
    push_filter(&mut query, filter);
    stats::push_path_through_objects(&mut query, path);
    query
        .push(" GROUP BY v) AS counted WHERE v IS NOT NULL ORDER BY n DESC, v COLLATE \"C\" LIMIT ")
        .push_bind(i64::from(limit));
    let rows = query.build().fetch_all(pool).await?;
    let mut counts = ValueCounts::default();
    for row in &rows {
        counts.with_key = count(row.try_get("with_key")?)?;
        counts
            .top
            .push((row.try_get("v")?, count(row.try_get("n")?)?));
    }
    Ok(counts)
}
