//! SQLite: the full-text index written behind the commit, not in it. A commit stores its
//! events (and their outbox rows); this module's indexer task then writes their FTS rows in
//! large batches. One FTS5 segment per batch of up to [`BATCH`] events instead of one per
//! group commit (a few dozen single events) is most of the saving: FTS5 merges small segments
//! over and over.
//!
//! Invariants:
//! - the watermark (`settings.search_indexed`) is the highest rowid whose FTS row is written,
//!   and it moves in the same transaction as the rows it covers: after a crash the indexer
//!   resumes from it, so nothing is missed and nothing indexed twice;
//! - every event above the watermark is indexed by the task; an event stored at or below it
//!   (SQLite reuses the largest rowids after the newest events were deleted) is indexed in
//!   its own commit ([`SearchIndex::covers`]);
//! - a read that matches text first waits for the index to reach what was committed when it
//!   started ([`SearchIndex::catch_up`], at most [`FRESHNESS`]): an event acknowledged before
//!   a search started is found, unless the index is more than that behind;
//! - ingestion waits while the index is more than [`MAX_BEHIND`] events behind, so that the
//!   lag stays bounded (backpressure) instead of growing with the load;
//! - after a batch that reached what was committed, the task waits [`GATHER`] before the next
//!   one, or less when a text read or a held-back commit waits for it: the lag grows by at most
//!   that much.
//!
//! Two writers of FTS rows besides the task live here too: [`index_events`], inside the commit
//! of events stored at or below the watermark, and [`backfill`], at start, for the events
//! stored before search existed.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqlitePool;
use sqlx::{Row, Sqlite};
use tokio::sync::{Notify, watch};
use tokio_util::sync::{CancellationToken, DropGuard};
use uuid::Uuid;

use super::{from_micros, parse_uuid};
use crate::events::NewEvent;
use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::textquery::render::{fts5_event_document, fts5_tenant_document};

/// Most events indexed in one transaction.
const BATCH: i64 = 2000;
/// How long a text search waits for the index to cover what was committed before it.
const FRESHNESS: Duration = Duration::from_secs(1);
/// Ingestion waits while more events than this are committed but not indexed. It sets the lag
/// under sustained load: with 10,000 its p99 was 1.26 s (over the promised second), with 5,000
/// 0.83 s, for about 0.9x the events per second (30 s of batches, same hour).
const MAX_BEHIND: i64 = 5_000;
/// How long one commit waits for the index at most; then it goes ahead (and says so).
const BACKPRESSURE_WAIT: Duration = Duration::from_secs(5);
/// After a failed batch (a full disk, say), the indexer tries again after this long.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// After a batch that caught up with the commits, the indexer lets this long pass before the
/// next, unless a text read is waiting: under a trickle of single events one batch then covers
/// dozens of group commits instead of one. Each batch is a transaction of its own (with its
/// sync) and an FTS5 segment that later merges rewrite, so small batches cost several times
/// more per event. Under load batches are full and follow each other at once.
const GATHER: Duration = Duration::from_millis(200);

const WATERMARK_KEY: &str = "search_indexed";

pub(super) struct SearchIndex {
    /// The highest rowid a commit has stored.
    committed: AtomicI64,
    /// The highest rowid stored when the store opened: a backlog found then (a crash between
    /// commit and index, or migration 0017's rebuild) is not the load's doing, and
    /// backpressure does not count it.
    committed_at_open: i64,
    /// The watermark as the writer sees it: moved by a batch just before it commits.
    watermark: AtomicI64,
    /// The watermark once committed (with the rows it covers): what readers wait for.
    indexed: watch::Sender<i64>,
    /// Woken after each commit of events.
    wake: Notify,
    /// Woken by a text read or a commit waiting for the index: the indexer skips its [`GATHER`]
    /// pause.
    hurry: Notify,
}

/// Stops the indexer task when the store is dropped.
pub(super) struct Indexer {
    pub(super) index: Arc<SearchIndex>,
    _stop: DropGuard,
}

impl Indexer {
    /// Reads the watermark (all events stored before the index moved off the commit are
    /// indexed: migration 0016 set it to their largest rowid) and starts the task, in the
    /// current runtime, writing through `writer` and reading through `reader`.
    pub(super) async fn start(
        reader: SqlitePool,
        writer: SqlitePool,
    ) -> Result<Indexer, StoreError> {
        let watermark: Option<String> = sqlx::query_scalar(
            "SELECT CAST(value AS TEXT) FROM settings WHERE key = 'search_indexed'",
        )
        .fetch_optional(&writer)
        .await?;
        let watermark = match watermark {
            Some(text) => text
                .parse::<i64>()
                .map_err(|_| StoreError::Invalid(format!("{WATERMARK_KEY} {text:?}")))?,
            None => 0,
        };
        let committed: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM events")
            .fetch_one(&writer)
            .await?;
        let index = Arc::new(SearchIndex::new(committed, committed, watermark));
        let stop = CancellationToken::new();
        tokio::spawn(run(index.clone(), reader, writer, stop.clone()));
        Ok(Indexer {
            index,
            _stop: stop.drop_guard(),
        })
    }
}

impl SearchIndex {
    fn new(committed: i64, committed_at_open: i64, watermark: i64) -> SearchIndex {
        SearchIndex {
            committed: AtomicI64::new(committed),
            committed_at_open,
            watermark: AtomicI64::new(watermark),
            indexed: watch::Sender::new(watermark),
            wake: Notify::new(),
            hurry: Notify::new(),
        }
    }

    /// Whether the task will index an event stored at `rowid` (it is above the watermark).
    /// Read inside the commit's transaction: the watermark cannot move meanwhile (one
    /// writer), and [`index_batch`] sets it before its own commit.
    pub(super) fn covers(&self, rowid: i64) -> bool {
        rowid > self.watermark.load(Ordering::Acquire)
    }

    /// Called after a commit that stored events up to `rowid`.
    pub(super) fn committed(&self, rowid: i64) {
        self.committed.fetch_max(rowid, Ordering::AcqRel);
        self.wake.notify_one();
    }

    /// Waits (at most [`FRESHNESS`]) until everything committed before this call is indexed.
    pub(super) async fn catch_up(&self) {
        let target = self.committed.load(Ordering::Acquire);
        if *self.indexed.borrow() >= target {
            return;
        }
        self.hurry.notify_one();
        let mut indexed = self.indexed.subscribe();
        if tokio::time::timeout(FRESHNESS, indexed.wait_for(|&at| at >= target))
            .await
            .is_err()
        {
            metrics::counter!("tributary_search_index_stale_reads_total").increment(1);
        }
    }

    /// Backpressure: waits while the index is more than [`MAX_BEHIND`] events behind on what
    /// was committed since the store opened.
    pub(super) async fn keep_up(&self) {
        let behind = |indexed: &i64| {
            self.committed.load(Ordering::Acquire) - (*indexed).max(self.committed_at_open)
        };
        if behind(&self.indexed.borrow()) <= MAX_BEHIND {
            return;
        }
        metrics::counter!("tributary_search_index_backpressure_total").increment(1);
        // A commit waiting for the index is as urgent as a read: no gathering pause.
        self.hurry.notify_one();
        let mut indexed = self.indexed.subscribe();
        let waited = tokio::time::timeout(
            BACKPRESSURE_WAIT,
            indexed.wait_for(|at| behind(at) <= MAX_BEHIND),
        )
        .await;
        if waited.is_err() {
            tracing::warn!("the search index is far behind and not catching up; ingesting anyway");
        }
    }
}

async fn run(
    index: Arc<SearchIndex>,
    reader: SqlitePool,
    writer: SqlitePool,
    stop: CancellationToken,
) {
    loop {
        let behind = *index.indexed.borrow() < index.committed.load(Ordering::Acquire);
        if !behind {
            metrics::gauge!("tributary_search_index_lag_seconds").set(0.0);
            tokio::select! {
                () = stop.cancelled() => return,
                () = index.wake.notified() => {}
            }
            continue;
        }
        let step = tokio::select! {
            () = stop.cancelled() => return,
            step = index_batch(&index, &reader, &writer) => step,
        };
        match step {
            Ok(Reached::Target) => {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(GATHER) => {}
                    () = index.hurry.notified() => {}
                }
            }
            Ok(Reached::BatchEnd) => {}
            Err(error) => {
                tracing::warn!(error = ?error, "indexing events for search failed; retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(RETRY_AFTER) => {}
                }
            }
        }
    }
}

/// How far a batch went: to what was committed when it started, or to the end of a full batch
/// with more waiting after it.
#[derive(Debug, PartialEq, Eq)]
enum Reached {
    Target,
    BatchEnd,
}

/// Indexes the next events above the watermark. The documents are built from a read,
/// without holding the writer; the writer's transaction inserts those of events that still
/// exist as they were read (same rowid and id) and moves the watermark. When the range
/// changed in between (events deleted, their rowids reused), the batch is built again inside
/// the transaction.
async fn index_batch(
    index: &SearchIndex,
    reader: &SqlitePool,
    writer: &SqlitePool,
) -> Result<Reached, StoreError> {
    let from = *index.indexed.borrow();
    let target = index.committed.load(Ordering::Acquire);
    let batch = read_batch(reader, from, target).await?;
    if let Some(received_at) = batch.oldest_received_at {
        let oldest = from_micros(received_at)?;
        let lag = (Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::gauge!("tributary_search_index_lag_seconds").set(lag);
    }
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let mut written = insert_documents(&mut tx, &batch.documents).await?;
    let present: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE rowid > ? AND rowid <= ?")
            .bind(from)
            .bind(batch.until)
            .fetch_one(&mut *tx)
            .await?;
    let mut until = batch.until;
    if present != written {
        tx.rollback().await?;
        tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        let again = read_batch(&mut *tx, from, until).await?;
        written = insert_documents(&mut tx, &again.documents).await?;
        until = again.until;
    }
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(WATERMARK_KEY)
    .bind(until.to_string())
    .execute(&mut *tx)
    .await?;
    // Moved before the commit, while this transaction holds the one writer: a commit of
    // events that runs next must see it (see `covers`). Put back if the commit fails.
    index.watermark.store(until, Ordering::Release);
    if let Err(error) = tx.commit().await {
        index.watermark.store(from, Ordering::Release);
        return Err(error.into());
    }
    index.indexed.send_replace(until);
    metrics::counter!("tributary_search_indexed_events_total").increment(written as u64);
    Ok(if until >= target {
        Reached::Target
    } else {
        Reached::BatchEnd
    })
}

struct Batch {
    /// `[rowid, id, body, tenant]` per event, as a JSON array (bound as one parameter).
    documents: Vec<Value>,
    /// The watermark once these are written: the last row of a full batch, else `target`.
    until: i64,
    oldest_received_at: Option<i64>,
}

async fn read_batch<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    from: i64,
    target: i64,
) -> Result<Batch, StoreError> {
    let rows = sqlx::query(
        "SELECT rowid, id, tenant_id, event_type, metadata, received_at FROM events \
         WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
    )
    .bind(from)
    .bind(target)
    .bind(BATCH)
    .fetch_all(executor)
    .await?;
    let mut documents = Vec::with_capacity(rows.len());
    for row in &rows {
        let metadata: String = row.try_get("metadata")?;
        // Unreadable metadata (never written by Tributary) is indexed as empty rather than
        // stopping the index.
        let metadata = serde_json::from_str(&metadata).unwrap_or_default();
        let event_type: String = row.try_get("event_type")?;
        let tenant = parse_uuid(row.try_get("tenant_id")?)?;
        documents.push(Value::Array(vec![
            Value::from(row.try_get::<i64, _>("rowid")?),
            Value::from(row.try_get::<String, _>("id")?),
            Value::from(fts5_event_document(&event_type, &metadata)),
            Value::from(fts5_tenant_document(tenant)),
        ]));
    }
    let until = match rows.last() {
        Some(last) if rows.len() as i64 == BATCH => last.try_get("rowid")?,
        _ => target,
    };
    let oldest_received_at = match rows.first() {
        Some(first) => Some(first.try_get("received_at")?),
        None => None,
    };
    Ok(Batch {
        documents,
        until,
        oldest_received_at,
    })
}

/// Inserts the documents of the events that exist as read; how many.
async fn insert_documents(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    documents: &[Value],
) -> Result<i64, StoreError> {
    if documents.is_empty() {
        return Ok(0);
    }
    let written = sqlx::query(
        "INSERT INTO events_fts (rowid, body, tenant) \
         SELECT j.value ->> 0, j.value ->> 2, j.value ->> 3 FROM json_each(?) j JOIN events e ON e.rowid = j.value ->> 0 AND e.id = j.value ->> 1",
    )
    .bind(serde_json::to_string(documents).map_err(|e| StoreError::Invalid(e.to_string()))?)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(i64::try_from(written).unwrap_or(i64::MAX))
}

/// Adds events to the full-text index (migrations/sqlite/0017_search_tenant_column.sql), each
/// under the rowid its row got. One statement for all of them: a statement costs more than the
/// FTS5 work for one event.
pub(super) async fn index_events(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    events: &[(i64, &NewEvent)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = events
        .iter()
        .map(|(rowid, event)| {
            Value::Array(vec![
                Value::from(*rowid),
                Value::from(fts5_event_document(&event.event_type, &event.metadata)),
                Value::from(fts5_tenant_document(event.tenant_id.0)),
            ])
        })
        .collect();
    sqlx::query(
        "INSERT INTO events_fts (rowid, body, tenant) \
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)",
    )
    .bind(Value::Array(rows).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Indexes the events stored before the search migration, which left their rowid range in
/// the `search_backfill` setting. One transaction per chunk, recording progress with it, so
/// that an interrupted start resumes where it stopped.
pub(super) async fn backfill(pool: &SqlitePool) -> Result<(), StoreError> {
    const CHUNK: i64 = 1000;
    let mut indexed = 0u64;
    loop {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let marker: Option<String> = sqlx::query_scalar(
            "SELECT CAST(value AS TEXT) FROM settings WHERE key = 'search_backfill'",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(marker) = marker else {
            tx.commit().await?;
            if indexed > 0 {
                tracing::info!(indexed, "indexed the events stored before search existed");
            }
            return Ok(());
        };
        let range = marker
            .split_once(' ')
            .and_then(|(next, last)| Some((next.parse::<i64>().ok()?, last.parse::<i64>().ok()?)));
        let Some((next, last)) = range else {
            return Err(StoreError::Invalid(format!("search_backfill {marker:?}")));
        };
        let rows = sqlx::query(
            "SELECT rowid, tenant_id, event_type, metadata FROM events \
             WHERE rowid >= ? AND rowid <= ? ORDER BY rowid LIMIT ?",
        )
        .bind(next)
        .bind(last)
        .bind(CHUNK)
        .fetch_all(&mut *tx)
        .await?;
        let mut last_done = next - 1;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let rowid: i64 = row.try_get("rowid")?;
            let metadata: String = row.try_get("metadata")?;
            let event = NewEvent {
                id: Uuid::nil(),
                tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
                event_type: row.try_get("event_type")?,
                timestamp: DateTime::UNIX_EPOCH,
                received_at: DateTime::UNIX_EPOCH,
                // Unreadable metadata (never written by Tributary) is indexed as empty rather
                // than stopping the start.
                metadata: serde_json::from_str(&metadata).unwrap_or_default(),
                event_id: None,
                violations: Vec::new(),
            };
            events.push((rowid, event));
            last_done = rowid;
        }
        let events: Vec<(i64, &NewEvent)> = events.iter().map(|(rowid, e)| (*rowid, e)).collect();
        index_events(&mut tx, &events).await?;
        if (rows.len() as i64) < CHUNK || last_done >= last {
            sqlx::query("DELETE FROM settings WHERE key = 'search_backfill'")
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE settings SET value = ? WHERE key = 'search_backfill'")
                .bind(format!("{} {last}", last_done + 1))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        indexed += rows.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};
    use uuid::Uuid;

    use super::super::test_support::add_tenant;
    use super::*;
    use crate::events::NewEvent;
    use crate::store::Store;
    use crate::store::sqlite::SqliteStore;

    async fn store_with_events(dir: &tempfile::TempDir, words: &[&str]) -> SqliteStore {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        // Not indexed by the task: the test writes the documents itself.
        let store = SqliteStore::connect(&url, 2, None)
            .await
            .unwrap()
            .without_search_index();
        let tenant = add_tenant(&store, "t").await;
        let events: Vec<NewEvent> = words
            .iter()
            .map(|word| NewEvent {
                id: Uuid::now_v7(),
                tenant_id: tenant,
                event_type: "note".into(),
                timestamp: Utc::now(),
                received_at: Utc::now(),
                metadata: Map::from_iter([("w".to_owned(), json!(word))]),
                event_id: None,
                violations: Vec::new(),
            })
            .collect();
        store.insert_events(Arc::new(events)).await.unwrap();
        store
    }

    async fn matches(store: &SqliteStore, word: &str) -> Vec<i64> {
        sqlx::query_scalar("SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid")
            .bind(format!("\"{word}\""))
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    /// The fallback of `index_batch` relies on the count: a document is written only for an
    /// event that exists with the rowid and id it was read with, and the count says so.
    #[tokio::test]
    async fn documents_are_written_only_for_events_as_they_were_read_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_events(&dir, &["alpha", "beta"]).await;
        let batch = read_batch(&store.pool, 0, i64::MAX).await.unwrap();
        assert_eq!(batch.documents.len(), 2);
        assert_eq!(batch.until, i64::MAX, "a short batch reaches its target");
        let mut documents = batch.documents.clone();
        // The second as if its rowid now held another event; a third that no longer exists.
        documents[1][1] = json!(Uuid::now_v7().to_string());
        documents.push(json!([99, Uuid::now_v7().to_string(), "gamma"]));

        let mut tx = store.writer.begin().await.unwrap();
        assert_eq!(insert_documents(&mut tx, &documents).await.unwrap(), 1);
        tx.commit().await.unwrap();
        assert_eq!(matches(&store, "alpha").await.len(), 1);
        assert!(matches(&store, "beta").await.is_empty());
        assert!(matches(&store, "gamma").await.is_empty());
    }

    /// A batch writes the rows of the range, moves the watermark in the same transaction and
    /// then tells the readers; the task, started on the same database, finds nothing to redo.
    /// A backlog found when the store opens (migration 0017's rebuild, a crash) does not hold
    /// ingestion back; one that the load made does.
    #[tokio::test]
    async fn backpressure_counts_only_what_was_committed_since_the_open() {
        let index = |committed_at_open| SearchIndex::new(MAX_BEHIND * 5, committed_at_open, 0);
        let short = Duration::from_millis(200);
        let rebuilding = index(MAX_BEHIND * 5);
        assert!(
            tokio::time::timeout(short, rebuilding.keep_up())
                .await
                .is_ok()
        );
        let loaded = index(MAX_BEHIND * 3);
        assert!(tokio::time::timeout(short, loaded.keep_up()).await.is_err());
        assert!(
            tokio::time::timeout(short, loaded.hurry.notified())
                .await
                .is_ok(),
            "a commit held back hurries the indexer"
        );
        loaded.indexed.send_replace(MAX_BEHIND * 4);
        assert!(tokio::time::timeout(short, loaded.keep_up()).await.is_ok());
    }

    #[tokio::test]
    async fn a_batch_indexes_its_range_once_and_moves_the_watermark_durably() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_events(&dir, &["alpha", "beta", "alpha"]).await;
        let index = SearchIndex::new(3, 0, 0);
        let reached = index_batch(&index, &store.pool, &store.writer)
            .await
            .unwrap();
        assert_eq!(reached, Reached::Target);
        assert_eq!(*index.indexed.borrow(), 3);
        assert!(!index.covers(3) && index.covers(4));
        assert_eq!(matches(&store, "alpha").await, [1, 3]);
        let stored: String = sqlx::query_scalar(
            "SELECT CAST(value AS TEXT) FROM settings WHERE key = 'search_indexed'",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(stored, "3");

        // Caught up: a second batch writes nothing (a rowid indexed twice would be refused).
        index_batch(&index, &store.pool, &store.writer)
            .await
            .unwrap();
        let indexer = Indexer::start(store.pool.clone(), store.writer.clone())
            .await
            .unwrap();
        indexer.index.catch_up().await;
        assert_eq!(matches(&store, "alpha").await, [1, 3]);
        assert_eq!(matches(&store, "beta").await, [2]);
    }

    /// A full batch says that more is waiting (the task goes on at once); the next, shorter
    /// one that it reached what was committed (the task may then gather for a while).
    #[tokio::test]
    async fn a_full_batch_leaves_the_rest_for_the_next_which_reaches_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let words: Vec<String> = (0..BATCH + 5).map(|i| format!("w{i}")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let store = store_with_events(&dir, &words).await;
        let index = SearchIndex::new(BATCH + 5, 0, 0);
        let first = index_batch(&index, &store.pool, &store.writer);
        assert_eq!(first.await.unwrap(), Reached::BatchEnd);
        assert_eq!(*index.indexed.borrow(), BATCH);
        let second = index_batch(&index, &store.pool, &store.writer);
        assert_eq!(second.await.unwrap(), Reached::Target);
        assert_eq!(*index.indexed.borrow(), BATCH + 5);
        assert_eq!(
            matches(&store, &format!("w{}", BATCH + 4)).await,
            [BATCH + 5]
        );
    }

    /// The indexer pauses after catching up ([`GATHER`]); a text read that finds the index
    /// behind tells it to go on at once, and one that finds it caught up does not.
    #[tokio::test]
    async fn a_text_read_waiting_for_the_index_cuts_its_gathering_pause_short() {
        let index = Arc::new(SearchIndex::new(10, 0, 10));
        index.catch_up().await;
        let short = Duration::from_millis(50);
        assert!(
            tokio::time::timeout(short, index.hurry.notified())
                .await
                .is_err(),
            "a caught-up index is not hurried"
        );

        index.committed(12);
        let reader = tokio::spawn({
            let index = index.clone();
            async move { index.catch_up().await }
        });
        tokio::time::timeout(FRESHNESS, index.hurry.notified())
            .await
            .expect("the waiting read hurries the indexer");
        index.indexed.send_replace(12);
        reader.await.unwrap();
    }
}
