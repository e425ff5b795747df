//! SQLite: the event writer. One thread owns one rusqlite connection with its prepared
//! statements cached and writes each group commit (the events, their webhook outbox rows, the
//! stats rollup, the FTS rows of events stored at or below the index's watermark) in one
//! transaction: one hand-off to the thread and one back per group. Through sqlx every
//! statement was a round trip to the connection's worker thread (a wake-up each way), and every
//! multi-row INSERT of a new size was a new statement to prepare.
//!
//! Invariants:
//! - the thread writes only while its caller holds the store's writer slot (the one connection
//!   of the sqlx writer pool, [`super::SqliteStore::insert_events`]): every other write goes
//!   through that slot, so this connection never meets another writer at SQLite's file lock,
//!   and the index's watermark cannot move while a commit runs ([`SearchIndex::covers`]);
//! - a job's events are dropped by the thread before it answers, so that the committer gets
//!   them back without a copy ([`std::sync::Arc::try_unwrap`]);
//! - the transaction is rolled back on any error, including a failed COMMIT (a full disk):
//!   the connection is ready for the next group once space is back.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rusqlite::{Connection, params};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::micros;
use super::search_index::SearchIndex;
use crate::config::Durability;
use crate::events::{InsertOutcome, NewEvent};
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::textquery;
use crate::webhooks::OutboxEndpoint;

/// What a commit wrote.
pub(super) struct Written {
    /// One per event, in order.
    pub outcomes: Vec<InsertOutcome>,
    /// The largest rowid stored, if any event was new.
    pub last_rowid: Option<i64>,
}

struct Job {
    events: Arc<Vec<NewEvent>>,
    /// `None` when the store runs without the index (a benchmark of its cost).
    index: Option<Arc<SearchIndex>>,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

/// The handle; the thread ends when it is dropped (after the job it is writing).
pub(super) struct EventWriter {
    jobs: mpsc::Sender<Job>,
}

impl EventWriter {
    /// Opens a connection to the database at `path` (migrated already) and starts its thread.
    pub(super) fn start(path: &Path, sync: Durability) -> Result<EventWriter, StoreError> {
        let connection = open(path, sync)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-event-writer".into())
            .spawn(move || run(connection, queue))
            .map_err(|error| StoreError::Invalid(format!("event writer thread: {error}")))?;
        Ok(EventWriter { jobs })
    }

    /// Writes the events in one transaction. The caller holds the writer slot.
    pub(super) async fn write(
        &self,
        events: Arc<Vec<NewEvent>>,
        index: Option<Arc<SearchIndex>>,
    ) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                events,
                index,
                reply,
            })
            .map_err(|_| StoreError::Invalid("the event writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Invalid("the event writer has stopped".into()))?
    }
}

fn open(path: &Path, sync: Durability) -> Result<Connection, StoreError> {
    let connection = Connection::open(PathBuf::from(path))?;
    connection.busy_timeout(Duration::from_secs(5))?;
    // As the sqlx connections are opened (WAL is a property of the file, set by them).
    let synchronous = match sync {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    // temp_store: each INSERT inside the group's transaction keeps a statement journal (to
    // undo that statement alone if it fails), by default a temporary file: its pwrite()s were
    // a large share of this thread's time under batches. A statement here changes one row
    // and its index entries, so the journal in memory stays small.
    connection.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {synchronous}; \
         PRAGMA temp_store = MEMORY;"
    ))?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

fn run(mut connection: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(Job {
        events,
        index,
        reply,
    }) = queue.recv()
    {
        let written = write(&mut connection, index.as_deref(), &events);
        drop(events);
        // The committer may have gone (shutdown); the commit stands all the same.
        let _ = reply.send(written);
    }
}

fn write(
    connection: &mut Connection,
    index: Option<&SearchIndex>,
    events: &[NewEvent],
) -> Result<Written, StoreError> {
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let written = write_rows(connection, index, events)
        .and_then(|written| Ok(connection.execute_batch("COMMIT").map(|()| written)?));
    if written.is_err() && !connection.is_autocommit() {
        // SQLite rolls back by itself after some failures (a full disk at COMMIT); otherwise
        // it is ours to do, and a failing ROLLBACK leaves nothing more to try.
        let _ = connection.execute_batch("ROLLBACK");
    }
    written
}

/// Rows per INSERT statement, largest first: a group is written in chunks of these sizes, so
/// that at most this many statements are ever prepared. One statement for many rows matters
/// inside a transaction: each statement journals every page it changes (to undo itself alone
/// if it fails), and each is a round of reset, bind and step; one per row was a quarter of this
/// thread's time under batches (perf).
const CHUNKS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// `INSERT INTO events … VALUES (…), (…) …` for each size of [`CHUNKS`], in that order.
static INSERT_EVENTS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    CHUNKS
        .iter()
        .map(|&rows| {
            let values = (0..rows)
                .map(|row| {
                    let first = row * 8 + 1;
                    let params: Vec<String> = (first..first + 8)
                        .map(|param| format!("?{param}"))
                        .collect();
                    format!("({})", params.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata, \
                 event_id, violations) VALUES {values} \
                 ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING rowid, id"
            )
        })
        .collect()
});

/// The size of the next chunk of a group with `left` events still to write, and its
/// statement.
fn next_chunk(left: usize) -> (usize, &'static str) {
    let at = CHUNKS
        .iter()
        .position(|&rows| rows <= left)
        .unwrap_or(CHUNKS.len() - 1);
    (CHUNKS[at], INSERT_EVENTS[at].as_str())
}

fn write_rows(
    connection: &Connection,
    index: Option<&SearchIndex>,
    events: &[NewEvent],
) -> Result<Written, StoreError> {
    let mut original = connection
        .prepare_cached("SELECT id FROM events WHERE tenant_id = ?1 AND event_id = ?2")?;
    let mut outcomes = Vec::with_capacity(events.len());
    let mut fresh = Vec::with_capacity(events.len());
    let mut to_index = Vec::new();
    let mut last_rowid = None;
    // The bound text of one chunk: ids, tenants, metadata and violations, 4 per event.
    let mut texts: Vec<String> = Vec::new();
    let mut stored: Vec<(Uuid, i64)> = Vec::new();
    let mut rest = events;
    while !rest.is_empty() {
        let (rows, sql) = next_chunk(rest.len());
        let (chunk, after) = rest.split_at(rows);
        rest = after;
        texts.clear();
        for event in chunk {
            texts.push(event.id.hyphenated().to_string());
            texts.push(event.tenant_id.0.hyphenated().to_string());
            texts.push(
                serde_json::to_string(&event.metadata)
                    .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?,
            );
            texts.push(violations_column(event)?.unwrap_or_default());
        }
        let mut insert = connection.prepare_cached(sql)?;
        for (at, event) in chunk.iter().enumerate() {
            let first = at * 8 + 1;
            let text = &texts[at * 4..at * 4 + 4];
            insert.raw_bind_parameter(first, &text[0])?;
            insert.raw_bind_parameter(first + 1, &text[1])?;
            insert.raw_bind_parameter(first + 2, &event.event_type)?;
            insert.raw_bind_parameter(first + 3, micros(event.timestamp))?;
            insert.raw_bind_parameter(first + 4, micros(event.received_at))?;
            insert.raw_bind_parameter(first + 5, &text[2])?;
            insert.raw_bind_parameter(first + 6, &event.event_id)?;
            insert.raw_bind_parameter(first + 7, (!text[3].is_empty()).then_some(&text[3]))?;
        }
        stored.clear();
        let mut returned = insert.raw_query();
        while let Some(row) = returned.next()? {
            let id = row.get_ref(1)?;
            let id = id
                .as_str()
                .ok()
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or_else(|| StoreError::Invalid(format!("event id {id:?}")))?;
            stored.push((id, row.get(0)?));
        }
        // RETURNING gives its rows in no promised order: each event looks for its own.
        for (at, event) in chunk.iter().enumerate() {
            let found = match stored.get(at) {
                Some(&(id, rowid)) if id == event.id => Some(rowid),
                _ => stored
                    .iter()
                    .find(|(id, _)| *id == event.id)
                    .map(|&(_, rowid)| rowid),
            };
            match found {
                Some(rowid) => {
                    if index.is_some_and(|index| !index.covers(rowid)) {
                        to_index.push((rowid, event));
                    }
                    last_rowid = last_rowid.max(Some(rowid));
                    fresh.push(event);
                    outcomes.push(InsertOutcome {
                        id: event.id,
                        duplicate: false,
                    });
                }
                None => {
                    // Rows are inserted in order: an `event_id` repeated within the group
                    // keeps its first event, as across groups.
                    let tenant = &texts[at * 4 + 1];
                    let id: String =
                        original.query_row(params![tenant, event.event_id], |row| row.get(0))?;
                    outcomes.push(InsertOutcome {
                        id: Uuid::parse_str(&id)
                            .map_err(|_| StoreError::Invalid(format!("event id {id:?}")))?,
                        duplicate: true,
                    });
                }
            }
        }
    }
    enqueue_webhook_deliveries(connection, &fresh)?;
    index_reused_rowids(connection, &to_index)?;
    add_to_rollup(connection, &fresh)?;
    Ok(Written {
        outcomes,
        last_rowid,
    })
}

fn violations_column(event: &NewEvent) -> Result<Option<String>, StoreError> {
    if event.violations.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&event.violations)
        .map(Some)
        .map_err(|error| StoreError::Invalid(format!("event violations: {error}")))
}

/// The webhook outbox: one pending delivery, due at once, per enabled endpoint of each fresh
/// event's tenant whose filter matches. Each tenant's endpoints are read once per commit.
fn enqueue_webhook_deliveries(
    connection: &Connection,
    fresh: &[&NewEvent],
) -> Result<(), StoreError> {
    let mut endpoints_of = connection.prepare_cached(
        "SELECT id, event_types, filter FROM webhook_endpoints WHERE tenant_id = ?1 AND enabled = 1",
    )?;
    let mut deliver = connection.prepare_cached(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5, ?5)",
    )?;
    let mut endpoints: HashMap<TenantId, Vec<OutboxEndpoint<String>>> = HashMap::new();
    for event in fresh {
        let tenant = event.tenant_id.0.to_string();
        let targets = match endpoints.entry(event.tenant_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let mut found = Vec::new();
                let mut rows = endpoints_of.query(params![tenant])?;
                while let Some(row) = rows.next()? {
                    let event_types: String = row.get(1)?;
                    let filter: Option<String> = row.get(2)?;
                    found.push(OutboxEndpoint::from_stored(
                        row.get::<_, String>(0)?,
                        &event_types,
                        filter.as_deref(),
                    )?);
                }
                slot.insert(found)
            }
        };
        let mut document = None;
        for target in targets.iter() {
            if target.wants(&event.event_type, &event.metadata, &mut document) {
                deliver.execute(params![
                    Uuid::now_v7().to_string(),
                    tenant,
                    target.id,
                    event.id.to_string(),
                    micros(event.received_at),
                ])?;
            }
        }
    }
    Ok(())
}

/// FTS rows for events the index task will not write: those stored at or below its
/// watermark (SQLite reuses the largest rowids once the newest events are deleted).
fn index_reused_rowids(
    connection: &Connection,
    events: &[(i64, &NewEvent)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = connection
        .prepare_cached("INSERT INTO events_fts (rowid, body, tenant) VALUES (?1, ?2, ?3)")?;
    for (rowid, event) in events {
        let document = textquery::render::fts5_event_document(&event.event_type, &event.metadata);
        let tenant = textquery::render::fts5_tenant_document(event.tenant_id.0);
        insert.execute(params![rowid, document, tenant])?;
    }
    Ok(())
}

/// Adds the events to the rollup of their (tenant, UTC minute of their timestamp, type).
fn add_to_rollup(connection: &Connection, events: &[&NewEvent]) -> Result<(), StoreError> {
    let mut counts: BTreeMap<(TenantId, i64, &str), i64> = BTreeMap::new();
    for event in events {
        let minute = event.timestamp.timestamp().div_euclid(60) * 60;
        *counts
            .entry((event.tenant_id, minute, &event.event_type))
            .or_default() += 1;
    }
    let mut add = connection.prepare_cached(
        "INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
         VALUES (?1, ?2, ?3, 0, ?4, 1) \
         ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
         SET events = events + excluded.events, version = version + 1",
    )?;
    for ((tenant, minute, event_type), events) in counts {
        add.execute(params![tenant.0.to_string(), minute, event_type, events])?;
    }
    Ok(())
}
