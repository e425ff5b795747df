//! The embedded store: one SQLite file in WAL mode with foreign keys on and
//! `synchronous = FULL`, so that a committed transaction survives a crash of the process or the
//! machine. Writes of events come from the single group committer, so write transactions
//! rarely wait on each other; `BEGIN IMMEDIATE` takes the write lock up front, which avoids the
//! deadlock-prone upgrade from a read lock.
//!
//! Reads of events (list, stats, search) run on an [`Interruptible`] connection: a progress
//! handler stops the statement (SQLITE_INTERRUPT, answered 503) once it has run longer than
//! the statement timeout, or at once when the request that asked for it is dropped (it timed
//! out, or the client left). Without it a dropped request's query would go on burning CPU on
//! the connection's worker thread until it finished by itself.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous, SqliteTransactionManager,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use sqlx_core::transaction::TransactionManager;
use uuid::Uuid;

use super::{Backend, Store, StoreError, sqlite_json_path};
use crate::auth::{ApiKey, Scope};
use crate::config::Durability;
use crate::events::rollup::{MinuteCount, UnitKey, UnitSpan, UnitValues};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
    ValueCounts,
};
use crate::search::{self, SearchCursor, SearchHit};
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};
use crate::webhooks as hooks;

mod audit;
mod delivery_queue;
mod privacy;
mod replays;
mod schemas;
mod search_index;
mod stats;
mod webhook_stats;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

pub struct SqliteStore {
    /// Reads: a pool of connections that read in parallel (WAL), never waiting on the writer.
    pool: SqlitePool,
    /// Every write: one connection, so that writers queue in the process, each woken as the
    /// previous one commits. Several writing connections would meet at SQLite's file lock
    /// instead, where a writer that finds it taken sleeps 1, 2, 5 … up to 100 ms between
    /// tries and nobody wakes it: under load (the ingest committer, the webhook worker's
    /// claims and attempt results, key touches) those sleeps were the queue.
    writer: SqlitePool,
    /// Writes the full-text index behind the commits; `None` only to measure the index's
    /// cost ([`SqliteStore::without_search_index`]).
    indexer: Option<search_index::Indexer>,
    /// How long a read of events may run; `None`: until it is dropped.
    statement_timeout: Option<Duration>,
}

impl SqliteStore {
    pub async fn connect(
        url: &str,
        max_connections: u32,
        statement_timeout: Option<Duration>,
    ) -> Result<Self, StoreError> {
        Self::connect_with_sync(url, max_connections, statement_timeout, Durability::Full).await
    }

    /// [`SqliteStore::connect`] with `synchronous = NORMAL` for [`Durability::Normal`]: in WAL
    /// mode a commit is then written but not synced; a crash of the process keeps it, a power
    /// cut may not.
    pub async fn connect_with_sync(
        url: &str,
        max_connections: u32,
        statement_timeout: Option<Duration>,
        sync: Durability,
    ) -> Result<Self, StoreError> {
        let synchronous = match sync {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(parent) = Path::new(options.get_filename()).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let pool_options = |max_connections: u32| {
            SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                // When a COMMIT fails (a full disk: SQLITE_FULL), SQLite has already rolled the
                // transaction back, sqlx's ROLLBACK then fails and sqlx keeps counting the
                // transaction as open: every later BEGIN on that connection would be refused
                // (InvalidSavePointStatement, a 500), even once space is back. A connection
                // that comes back with a transaction still counted (that, or a rollback still
                // queued) is closed instead of pooled.
                .after_release(|connection, _| {
                    Box::pin(async move {
                        Ok(SqliteTransactionManager::get_transaction_depth(connection) == 0)
                    })
                })
        };
        let writer = pool_options(1).connect_with(options.clone()).await?;
        MIGRATOR.run(&writer).await?;
        backfill_search_index(&writer).await?;
        let pool = pool_options(max_connections.max(2))
            .connect_with(options)
            .await?;
        let indexer = search_index::Indexer::start(pool.clone(), writer.clone()).await?;
        Ok(SqliteStore {
            pool,
            writer,
            indexer: Some(indexer),
            statement_timeout,
        })
    }

    /// A pooled connection whose statements stop when [`Self::statement_timeout`] has passed
    /// or when the returned guard is dropped before [`Interruptible::finish`].
    async fn interruptible(&self) -> Result<Interruptible, StoreError> {
        let mut connection = self.pool.acquire().await?;
        let state = Arc::new(InterruptState {
            armed: AtomicBool::new(true),
            cancelled: AtomicBool::new(false),
        });
        let handler = state.clone();
        let deadline = self.statement_timeout.map(|limit| Instant::now() + limit);
        // Called every PROGRESS_OPS virtual machine steps: returning false interrupts the
        // statement. Once disarmed (the read finished) it lets every later statement of the
        // connection run, until the next read replaces it.
        connection
            .lock_handle()
            .await?
            .set_progress_handler(PROGRESS_OPS, move || {
                !handler.armed.load(Ordering::Relaxed)
                    || !(handler.cancelled.load(Ordering::Relaxed)
                        || deadline.is_some_and(|at| Instant::now() >= at))
            });
        Ok(Interruptible { connection, state })
    }

    /// Before a read that matches text (`search` says whether it does): waits until the index
    /// holds what was committed before it ([`search_index::SearchIndex::catch_up`]).
    async fn index_caught_up(&self, search: bool) {
        if search && let Some(indexer) = &self.indexer {
            indexer.index.catch_up().await;
        }
    }

    /// Stops indexing the events inserted from now on, so that a benchmark can measure what
    /// the full-text index costs (bench/search_bench.rs). Search misses those events.
    #[doc(hidden)]
    pub fn without_search_index(mut self) -> Self {
        self.indexer = None;
        self
    }
}

/// Virtual machine steps between two calls of the progress handler: about a millisecond or
/// less of work, so that a stop takes effect at once, for the cost of one check per call.
const PROGRESS_OPS: i32 = 10_000;

struct InterruptState {
    /// Whether the read is still running (the handler may stop statements).
    armed: AtomicBool,
    /// Set when the guard is dropped while armed.
    cancelled: AtomicBool,
}

/// A connection for one read; see [`SqliteStore::interruptible`].
struct Interruptible {
    connection: PoolConnection<Sqlite>,
    state: Arc<InterruptState>,
}

impl Interruptible {
    /// The read is done: the connection goes back to the pool, its handler disarmed.
    fn finish(self) {
        self.state.armed.store(false, Ordering::Relaxed);
    }
}

impl Drop for Interruptible {
    fn drop(&mut self) {
        if self.state.armed.load(Ordering::Relaxed) {
            // Dropped mid-read (or after an error): stop what runs, and close the connection
            // rather than pool it, since its handler would go on stopping statements.
            self.state.cancelled.store(true, Ordering::Relaxed);
            self.connection.close_on_drop();
        }
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(value: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| StoreError::Invalid(format!("timestamp out of range: {value}")))
}

fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Invalid(format!("bad uuid {text:?}")))
}

fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn tenant_from_row(row: &SqliteRow) -> Result<Tenant, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Tenant {
        id: TenantId(parse_uuid(row.try_get("id")?)?),
        name: row.try_get("name")?,
        status: TenantStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("tenant status {status:?}")))?,
        created_at: from_micros(row.try_get("created_at")?)?,
        rate_limit: RateLimit {
            per_second: u32::try_from(row.try_get::<i64, _>("rate_per_second")?)
                .map_err(|_| StoreError::Invalid("rate_per_second".into()))?,
            burst: u32::try_from(row.try_get::<i64, _>("rate_burst")?)
                .map_err(|_| StoreError::Invalid("rate_burst".into()))?,
        },
        retention_days: row
            .try_get::<Option<i64>, _>("retention_days")?
            .map(|days| {
                u32::try_from(days).map_err(|_| StoreError::Invalid("retention_days".into()))
            })
            .transpose()?,
    })
}

fn key_from_row(row: &SqliteRow, prefix: &str) -> Result<ApiKey, StoreError> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(ApiKey {
        id: parse_uuid(row.try_get(col("id").as_str())?)?,
        tenant_id: TenantId(parse_uuid(row.try_get(col("tenant_id").as_str())?)?),
        name: row.try_get(col("name").as_str())?,
        prefix: row.try_get(col("prefix").as_str())?,
        secret_hash: row.try_get(col("secret_hash").as_str())?,
        scopes: Scope::split(row.try_get(col("scopes").as_str())?),
        created_at: from_micros(row.try_get(col("created_at").as_str())?)?,
        last_used_at: row
            .try_get::<Option<i64>, _>(col("last_used_at").as_str())?
            .map(from_micros)
            .transpose()?,
        revoked_at: row
            .try_get::<Option<i64>, _>(col("revoked_at").as_str())?
            .map(from_micros)
            .transpose()?,
    })
}

fn event_from_row(row: &SqliteRow) -> Result<Event, StoreError> {
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

/// The violations column's value: NULL when there are none.
/// Events per multi-row INSERT: 8 binds each, far below SQLite's 32,766, and few enough
/// distinct statement shapes (1 to 100 rows) for sqlx's statement cache to keep them all.
const INSERT_CHUNK: usize = 100;

fn violations_column(event: &NewEvent) -> Result<Option<String>, StoreError> {
    if event.violations.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&event.violations)
        .map(Some)
        .map_err(|error| StoreError::Invalid(format!("event violations: {error}")))
}

const KEY_AND_TENANT: &str = "SELECT k.id AS k_id, k.tenant_id AS k_tenant_id, k.name AS k_name, \
     k.prefix AS k_prefix, k.secret_hash AS k_secret_hash, k.scopes AS k_scopes, \
     k.created_at AS k_created_at, k.last_used_at AS k_last_used_at, k.revoked_at AS k_revoked_at, \
     t.id, t.name, t.status, t.rate_per_second, t.rate_burst, t.created_at, t.retention_days \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id";

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
fn push_filter(query: &mut QueryBuilder<Sqlite>, filter: &EventFilter) {
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
            .push_bind(search::render::fts5_filter(text))
            .push(")");
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn admin_token_hash(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(ADMIN_TOKEN_KEY)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn init_admin_token_hash(&self, hash: &[u8]) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        )
        .bind(ADMIN_TOKEN_KEY)
        .bind(hash)
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, name, status, rate_per_second, rate_burst, created_at, \
             retention_days) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.id.0.to_string())
        .bind(&tenant.name)
        .bind(tenant.status.as_str())
        .bind(i64::from(tenant.rate_limit.per_second))
        .bind(i64::from(tenant.rate_limit.burst))
        .bind(micros(tenant.created_at))
        .bind(tenant.retention_days.map(i64::from))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if unique_violation(&error) => {
                return Err(StoreError::Conflict("tenant name"));
            }
            other => other?,
        };
        insert_key(&mut tx, first_key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        sqlx::query("SELECT * FROM tenants ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(tenant_from_row)
            .collect()
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        sqlx::query("SELECT * FROM tenants WHERE id = ?")
            .bind(tenant.0.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn update_tenant(
        &self,
        tenant: TenantId,
        update: &TenantUpdate,
    ) -> Result<Option<Tenant>, StoreError> {
        let result = sqlx::query(
            "UPDATE tenants SET name = COALESCE(?, name), status = COALESCE(?, status), \
             rate_per_second = COALESCE(?, rate_per_second), rate_burst = COALESCE(?, rate_burst), \
             retention_days = CASE WHEN ? THEN ? ELSE retention_days END \
             WHERE id = ?",
        )
        .bind(update.name.as_deref())
        .bind(update.status.map(TenantStatus::as_str))
        .bind(update.rate_limit.map(|r| i64::from(r.per_second)))
        .bind(update.rate_limit.map(|r| i64::from(r.burst)))
        .bind(update.retention_days.is_some())
        .bind(update.retention_days.flatten().map(i64::from))
        .bind(tenant.0.to_string())
        .execute(&self.writer)
        .await;
        match result {
            Err(error) if unique_violation(&error) => Err(StoreError::Conflict("tenant name")),
            Err(error) => Err(error.into()),
            Ok(_) => self.get_tenant(tenant).await,
        }
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        insert_key(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
        sqlx::query(
            "SELECT id AS k_id, tenant_id AS k_tenant_id, name AS k_name, prefix AS k_prefix, \
             secret_hash AS k_secret_hash, scopes AS k_scopes, created_at AS k_created_at, \
             last_used_at AS k_last_used_at, revoked_at AS k_revoked_at \
             FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
        )
        .bind(tenant.0.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| key_from_row(row, "k_"))
        .collect()
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL",
        )
        .bind(micros(at))
        .bind(tenant.0.to_string())
        .bind(key_id.to_string())
        .execute(&mut *tx)
        .await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?")
                .bind(tenant.0.to_string())
                .bind(key_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(exists.is_some())
    }

    async fn find_api_key_by_hash(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        let sql = format!("{KEY_AND_TENANT} WHERE k.secret_hash = ?");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok((key_from_row(&row, "k_")?, tenant_from_row(&row)?)))
            .transpose()
    }

    async fn find_api_key_by_id(
        &self,
        key_id: Uuid,
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        let sql = format!("{KEY_AND_TENANT} WHERE k.id = ?");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok((key_from_row(&row, "k_")?, tenant_from_row(&row)?)))
            .transpose()
    }

    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
            .bind(micros(at))
            .bind(key_id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError> {
        let index = self.indexer.as_ref().map(|indexer| &indexer.index);
        if let Some(index) = index {
            index.keep_up().await;
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // The rowid each stored event got; an event missing here was a duplicate.
        let mut stored: std::collections::HashMap<Uuid, i64> =
            std::collections::HashMap::with_capacity(events.len());
        for chunk in events.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata, \
                 event_id, violations) ",
            );
            let mut rows = Vec::with_capacity(chunk.len());
            for event in chunk {
                let metadata = serde_json::to_string(&event.metadata)
                    .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?;
                rows.push((event, metadata, violations_column(event)?));
            }
            insert.push_values(&rows, |mut row, (event, metadata, violations)| {
                row.push_bind(event.id.to_string())
                    .push_bind(event.tenant_id.0.to_string())
                    .push_bind(&event.event_type)
                    .push_bind(micros(event.timestamp))
                    .push_bind(micros(event.received_at))
                    .push_bind(metadata)
                    .push_bind(event.event_id.as_deref())
                    .push_bind(violations.as_deref());
            });
            // Rows are inserted in order, so an `event_id` repeated within the statement
            // keeps its first event, as across statements.
            insert.push(" ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING rowid, id");
            for row in insert.build().fetch_all(&mut *tx).await? {
                let id: String = row.try_get("id")?;
                stored.insert(parse_uuid(&id)?, row.try_get(0)?);
            }
        }
        let mut outcomes = Vec::with_capacity(events.len());
        // Events stored (not duplicates), for the webhook outbox. The search index takes them
        // after the commit, except those stored at or below its watermark (rowids reused),
        // which are indexed here.
        let mut fresh = Vec::with_capacity(stored.len());
        let mut to_index = Vec::new();
        for event in events {
            if let Some(&rowid) = stored.get(&event.id) {
                fresh.push(event);
                if index.is_some_and(|index| !index.covers(rowid)) {
                    to_index.push((rowid, event));
                }
                outcomes.push(InsertOutcome {
                    id: event.id,
                    duplicate: false,
                });
                continue;
            }
            let original: String =
                sqlx::query_scalar("SELECT id FROM events WHERE tenant_id = ? AND event_id = ?")
                    .bind(event.tenant_id.0.to_string())
                    .bind(event.event_id.as_deref())
                    .fetch_one(&mut *tx)
                    .await?;
            outcomes.push(InsertOutcome {
                id: parse_uuid(&original)?,
                duplicate: true,
            });
        }
        enqueue_webhook_deliveries(&mut tx, &fresh).await?;
        index_events(&mut tx, &to_index).await?;
        stats::add_events(&mut tx, &fresh).await?;
        tx.commit().await?;
        if let Some(index) = index
            && let Some(&last) = stored.values().max()
        {
            index.committed(last);
        }
        Ok(outcomes)
    }

    async fn list_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        self.index_caught_up(filter.text.is_some()).await;
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
        let mut read = self.interruptible().await?;
        let rows = query.build().fetch_all(&mut *read.connection).await?;
        read.finish();
        rows.iter().map(event_from_row).collect()
    }

    async fn get_event(&self, tenant: TenantId, id: Uuid) -> Result<Option<Event>, StoreError> {
        sqlx::query("SELECT * FROM events WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(event_from_row)
            .transpose()
    }

    async fn events_after(
        &self,
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
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn count_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        interval: StatsInterval,
    ) -> Result<EventCounts, StoreError> {
        self.index_caught_up(filter.text.is_some()).await;
        let mut by_type = QueryBuilder::<Sqlite>::new(
            "SELECT event_type, COUNT(*) AS n FROM events WHERE tenant_id = ",
        );
        by_type.push_bind(tenant.0.to_string());
        push_filter(&mut by_type, filter);
        by_type.push(" GROUP BY event_type ORDER BY n DESC, event_type");
        let mut read = self.interruptible().await?;
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

    async fn top_values(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        path: &[String],
        limit: u32,
    ) -> Result<ValueCounts, StoreError> {
        self.index_caught_up(filter.text.is_some()).await;
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
        let mut read = self.interruptible().await?;
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

    async fn rollup_counts(
        &self,
        tenant: TenantId,
        event_types: &[String],
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<MinuteCount>, StoreError> {
        let mut read = self.interruptible().await?;
        let counts = stats::counts(&mut read, tenant, event_types, from, to, width).await?;
        read.finish();
        Ok(counts)
    }

    async fn breakdown_units(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<UnitValues>, StoreError> {
        let mut read = self.interruptible().await?;
        let units = stats::units(&mut read, tenant, path, spans, event_types).await?;
        read.finish();
        Ok(units)
    }

    async fn breakdown_sum(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut read = self.interruptible().await?;
        let values = stats::sum(&mut read, tenant, path, spans, event_types).await?;
        read.finish();
        Ok(values)
    }

    async fn compute_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[UnitKey],
        max_values: usize,
    ) -> Result<Vec<UnitValues>, StoreError> {
        let mut read = self.interruptible().await?;
        let units = stats::compute(&mut read, tenant, path, units, max_values).await?;
        read.finish();
        Ok(units)
    }

    async fn store_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[UnitValues],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        stats::store(&mut tx, tenant, path, units).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn search_events(
        &self,
        tenant: TenantId,
        query: &search::Query,
        filter: &EventFilter,
        after: Option<SearchCursor>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        self.index_caught_up(true).await;
        let query = match &filter.text {
            Some(text) => query.and(text),
            None => query.clone(),
        };
        let filter = EventFilter {
            text: None,
            ..filter.clone()
        };
        // The window: the tenant's most recent matches (by rowid, which is commit order),
        // found by walking the full-text index backwards (CROSS JOIN keeps it the outer loop)
        // and stopping after RANK_WINDOW; bm25 is computed for those only.
        let mut sql = QueryBuilder::<Sqlite>::new(
            "WITH c AS MATERIALIZED (SELECT events.*, events_fts.rowid AS fts_rowid, \
             -bm25(events_fts) AS relevance FROM events_fts CROSS JOIN events \
             ON events.rowid = events_fts.rowid WHERE events_fts MATCH ",
        );
        sql.push_bind(search::render::fts5_filter(&query))
            .push(" AND events.tenant_id = ")
            .push_bind(tenant.0.to_string());
        push_filter(&mut sql, &filter);
        sql.push(" ORDER BY events_fts.rowid DESC LIMIT ")
            .push_bind(i64::from(search::RANK_WINDOW))
            .push(")");
        // Events of the window holding two adjacent query words as a phrase score double.
        match search::render::fts5_pairs(&query) {
            Some(pairs) => {
                sql.push(
                    ", p AS MATERIALIZED (SELECT rowid AS p_rowid FROM events_fts \
                     WHERE events_fts MATCH ",
                )
                .push_bind(pairs)
                .push(
                    " AND rowid >= (SELECT min(fts_rowid) FROM c)), \
                     s AS (SELECT c.*, c.relevance * (CASE WHEN p.p_rowid IS NULL THEN 1 ELSE 2 END) \
                     AS score FROM c LEFT JOIN p ON p.p_rowid = c.fts_rowid)",
                );
            }
            None => {
                sql.push(", s AS (SELECT c.*, c.relevance AS score FROM c)");
            }
        }
        sql.push(" SELECT * FROM s WHERE TRUE");
        if let Some(cursor) = after {
            let ts = micros(cursor.timestamp);
            sql.push(" AND (score < ")
                .push_bind(cursor.score)
                .push(" OR (score = ")
                .push_bind(cursor.score)
                .push(" AND (ts < ")
                .push_bind(ts)
                .push(" OR (ts = ")
                .push_bind(ts)
                .push(" AND id < ")
                .push_bind(cursor.id.to_string())
                .push("))))");
        }
        sql.push(" ORDER BY score DESC, ts DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let mut read = self.interruptible().await?;
        let rows = sql.build().fetch_all(&mut *read.connection).await?;
        read.finish();
        rows.iter()
            .map(|row| {
                Ok(SearchHit {
                    event: event_from_row(row)?,
                    score: row.try_get("score")?,
                })
            })
            .collect()
    }

    async fn create_webhook_endpoint(&self, endpoint: &hooks::Endpoint) -> Result<(), StoreError> {
        let (previous_secret, previous_until) = match &endpoint.previous_secret {
            Some((secret, until)) => (Some(secret.as_str()), Some(micros(*until))),
            None => (None, None),
        };
        let health = &endpoint.health;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret, \
             previous_secret, previous_secret_until, enabled, disabled_reason, created_at, \
             updated_at, failing_since, consecutive_failures, last_success_at, last_failure_at, \
             filter) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(endpoint.id.to_string())
        .bind(endpoint.tenant_id.0.to_string())
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(hooks::stored_event_types(&endpoint.event_types))
        .bind(&endpoint.secret)
        .bind(previous_secret)
        .bind(previous_until)
        .bind(endpoint.enabled)
        .bind(endpoint.disabled_reason.as_deref())
        .bind(micros(endpoint.created_at))
        .bind(micros(endpoint.updated_at))
        .bind(health.failing_since.map(micros))
        .bind(i64::try_from(health.consecutive_failures).unwrap_or(i64::MAX))
        .bind(health.last_success_at.map(micros))
        .bind(health.last_failure_at.map(micros))
        .bind(endpoint.filter.as_deref())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn list_webhook_endpoints(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<hooks::Endpoint>, StoreError> {
        sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = ? ORDER BY created_at, id")
            .bind(tenant.0.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(webhook_endpoint_from_row)
            .collect()
    }

    async fn get_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<hooks::Endpoint>, StoreError> {
        sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(webhook_endpoint_from_row)
            .transpose()
    }

    async fn update_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        update: &hooks::EndpointUpdate,
    ) -> Result<Option<hooks::Endpoint>, StoreError> {
        let (new_secret, previous_until) = match &update.rotate_secret {
            Some((secret, until)) => (Some(secret.as_str()), Some(micros(*until))),
            None => (None, None),
        };
        // Every right-hand side reads the row as it was before this UPDATE.
        let updated = sqlx::query(
            "UPDATE webhook_endpoints SET \
               url = COALESCE(?, url), \
               description = COALESCE(?, description), \
               event_types = COALESCE(?, event_types), \
               filter = CASE WHEN ? THEN ? ELSE filter END, \
               previous_secret = CASE WHEN ? IS NULL THEN previous_secret ELSE secret END, \
               previous_secret_until = CASE WHEN ? IS NULL THEN previous_secret_until ELSE ? END, \
               secret = COALESCE(?, secret), \
               enabled = COALESCE(?, enabled), \
               disabled_reason = CASE WHEN ? IS NULL THEN disabled_reason ELSE NULL END, \
               failing_since = CASE WHEN ? = 1 THEN NULL ELSE failing_since END, \
               consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures END, \
               circuit_open_until = CASE WHEN ? = 1 THEN NULL ELSE circuit_open_until END, \
               updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(update.url.as_deref())
        .bind(update.description.as_deref())
        .bind(update.event_types.as_deref().map(hooks::stored_event_types))
        .bind(update.filter.is_some())
        .bind(update.filter.as_ref().and_then(Option::as_deref))
        .bind(new_secret)
        .bind(new_secret)
        .bind(previous_until)
        .bind(new_secret)
        .bind(update.enabled)
        .bind(update.enabled)
        .bind(update.enabled)
        .bind(update.enabled)
        .bind(update.enabled)
        .bind(micros(update.updated_at))
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        self.get_webhook_endpoint(tenant, id).await
    }

    async fn delete_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        // Deliveries and their attempts go with it (ON DELETE CASCADE).
        let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0.to_string())
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn create_webhook_test_delivery(
        &self,
        delivery: &hooks::NewTestDelivery,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, payload, status, \
             attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?, ?, ?, NULL, ?, 'pending', 0, ?, ?, ?)",
        )
        .bind(delivery.id.to_string())
        .bind(delivery.tenant_id.0.to_string())
        .bind(delivery.endpoint_id.to_string())
        .bind(&delivery.payload)
        .bind(micros(delivery.created_at))
        .bind(micros(delivery.created_at))
        .bind(micros(delivery.created_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn get_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<hooks::Delivery>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0.to_string())
            .push(" AND d.endpoint_id = ")
            .push_bind(endpoint_id.to_string())
            .push(" AND d.id = ")
            .push_bind(id.to_string());
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut deliveries = rows
            .iter()
            .map(webhook_delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_webhook_attempts(&self.pool, &mut deliveries).await?;
        Ok(deliveries.pop())
    }

    async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        status: Option<hooks::DeliveryStatus>,
        event_id: Option<Uuid>,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<hooks::Delivery>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0.to_string())
            .push(" AND d.endpoint_id = ")
            .push_bind(endpoint_id.to_string());
        if let Some(status) = status {
            query.push(" AND d.status = ").push_bind(status.as_str());
        }
        if let Some(event_id) = event_id {
            query
                .push(" AND d.event_id = ")
                .push_bind(event_id.to_string());
        }
        if let Some(cursor) = after {
            let at = micros(cursor.timestamp);
            query
                .push(" AND (d.created_at < ")
                .push_bind(at)
                .push(" OR (d.created_at = ")
                .push_bind(at)
                .push(" AND d.id < ")
                .push_bind(cursor.id.to_string())
                .push("))");
        }
        query
            .push(" ORDER BY d.created_at DESC, d.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut deliveries = rows
            .iter()
            .map(webhook_delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_webhook_attempts(&self.pool, &mut deliveries).await?;
        Ok(deliveries)
    }

    async fn list_event_deliveries(
        &self,
        tenant: TenantId,
        event_id: Uuid,
    ) -> Result<Vec<hooks::Delivery>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0.to_string())
            .push(" AND d.event_id = ")
            .push_bind(event_id.to_string())
            .push(" ORDER BY d.created_at, d.id");
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut deliveries = rows
            .iter()
            .map(webhook_delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_webhook_attempts(&self.pool, &mut deliveries).await?;
        Ok(deliveries)
    }

    async fn retry_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? \
             WHERE tenant_id = ? AND endpoint_id = ? AND id = ?",
        )
        .bind(micros(at))
        .bind(micros(at))
        .bind(tenant.0.to_string())
        .bind(endpoint_id.to_string())
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn due_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<hooks::fairness::DueEndpoint>, StoreError> {
        delivery_queue::due_endpoints(&self.pool, now, limit).await
    }

    async fn claim_webhook_deliveries(
        &self,
        claim: &hooks::Claim<'_>,
    ) -> Result<Vec<hooks::ClaimedDelivery>, StoreError> {
        delivery_queue::claim(&self.pool, &self.writer, claim).await
    }

    async fn open_webhook_circuit(
        &self,
        endpoint_id: Uuid,
        failed_at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        delivery_queue::open_circuit(&self.writer, endpoint_id, failed_at, until).await
    }

    async fn release_webhook_delivery(&self, id: Uuid, instance: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET lease_until = NULL, leased_by = NULL \
             WHERE id = ? AND leased_by = ?",
        )
        .bind(id.to_string())
        .bind(instance)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn record_webhook_attempt(
        &self,
        record: &hooks::AttemptRecord,
    ) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let answer = record_attempt(&mut tx, record).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn record_webhook_attempts(
        &self,
        records: &[hooks::AttemptRecord],
    ) -> Result<Vec<Option<(hooks::EndpointHealth, bool)>>, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut answers = Vec::with_capacity(records.len());
        for record in records {
            answers.push(record_attempt(&mut tx, record).await?);
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn disable_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        failing_since: DateTime<Utc>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ? AND enabled = 1 AND failing_since = ?",
        )
        .bind(reason)
        .bind(micros(at))
        .bind(tenant.0.to_string())
        .bind(id.to_string())
        .bind(micros(failing_since))
        .execute(&self.writer)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn create_webhook_replay(&self, job: &hooks::replay::Replay) -> Result<(), StoreError> {
        replays::create(&self.writer, job).await
    }

    async fn list_webhook_replays(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<hooks::replay::Replay>, StoreError> {
        replays::list(&self.pool, tenant, endpoint_id, limit).await
    }

    async fn get_webhook_replay(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<hooks::replay::Replay>, StoreError> {
        replays::get(&self.pool, tenant, endpoint_id, id).await
    }

    async fn cancel_webhook_replay(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<hooks::replay::Replay>, StoreError> {
        replays::cancel(&self.writer, tenant, endpoint_id, id, at).await
    }

    async fn claim_webhook_replay(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<hooks::replay::Replay>, StoreError> {
        replays::claim(&self.writer, instance, now, until).await
    }

    async fn advance_webhook_replay(
        &self,
        lease: &hooks::replay::Lease<'_>,
        step: hooks::replay::Step<'_>,
    ) -> Result<bool, StoreError> {
        replays::advance(&self.writer, lease, step).await
    }

    async fn webhook_replay_waiting(&self, id: Uuid) -> Result<u64, StoreError> {
        replays::waiting(&self.pool, id).await
    }

    async fn count_failed_webhook_events(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        events: &[Uuid],
    ) -> Result<u64, StoreError> {
        replays::count_failed(&self.pool, tenant, endpoint_id, events).await
    }

    async fn webhook_queue_stats(&self) -> Result<hooks::QueueStats, StoreError> {
        let (depth, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(d.created_at) FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status IN ('pending', 'failed') AND e.enabled = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(hooks::QueueStats {
            depth: u64::try_from(depth).unwrap_or(0),
            oldest_created_at: oldest.map(from_micros).transpose()?,
        })
    }

    async fn webhook_attempt_cells(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        width: i64,
        classes: &[u64],
    ) -> Result<Vec<hooks::stats::AttemptCell>, StoreError> {
        webhook_stats::cells(&self.pool, tenant, endpoint_id, from, to, width, classes).await
    }

    async fn prune_events(
        &self,
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let deleted = stats::delete_events(&mut tx, chosen).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn prune_webhook_deliveries(
        &self,
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
        .execute(&self.writer)
        .await?;
        Ok(deleted.rows_affected())
    }

    async fn insert_audit_entry(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError> {
        audit::insert(&self.writer, entry).await
    }

    async fn list_audit_entries(
        &self,
        of: crate::audit::EntriesOf,
        filter: &crate::audit::AuditFilter,
        after: Option<crate::audit::AuditCursor>,
        limit: u32,
    ) -> Result<Vec<crate::audit::AuditEntry>, StoreError> {
        audit::list(&self.pool, of, filter, after, limit).await
    }

    async fn prune_audit_entries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        audit::prune(&self.writer, before, limit).await
    }

    async fn privacy_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::privacy::StoredPolicy>, StoreError> {
        privacy::get(&self.pool, tenant).await
    }

    async fn set_privacy_policy(
        &self,
        tenant: TenantId,
        policy: &crate::privacy::Policy,
        new_key: &[u8],
        at: DateTime<Utc>,
    ) -> Result<crate::privacy::StoredPolicy, StoreError> {
        privacy::set(&self.writer, tenant, policy, new_key, at).await
    }

    async fn create_deletion(
        &self,
        job: &crate::privacy::deletions::Deletion,
    ) -> Result<(), StoreError> {
        privacy::create_deletion(&self.writer, job).await
    }

    async fn get_deletion(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<crate::privacy::deletions::Deletion>, StoreError> {
        privacy::get_deletion(&self.pool, tenant, id).await
    }

    async fn list_deletions(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<crate::privacy::deletions::Deletion>, StoreError> {
        privacy::list_deletions(&self.pool, tenant, limit).await
    }

    async fn cancel_deletion(
        &self,
        tenant: TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<crate::privacy::deletions::Deletion>, StoreError> {
        privacy::cancel_deletion(&self.writer, tenant, id, at).await
    }

    async fn claim_deletion(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<crate::privacy::deletions::Deletion>, StoreError> {
        privacy::claim_deletion(&self.writer, instance, now, until).await
    }

    async fn advance_deletion(
        &self,
        lease: &crate::privacy::deletions::Lease<'_>,
        step: crate::privacy::deletions::Step<'_>,
    ) -> Result<bool, StoreError> {
        privacy::advance_deletion(&self.writer, lease, step).await
    }

    async fn list_suppressions(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::privacy::suppressions::Suppression>, StoreError> {
        privacy::list_suppressions(&self.pool, tenant).await
    }

    async fn create_suppression(
        &self,
        new: &crate::privacy::suppressions::Suppression,
    ) -> Result<(crate::privacy::suppressions::Suppression, bool), StoreError> {
        privacy::create_suppression(&self.writer, new).await
    }

    async fn delete_suppression(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
        privacy::delete_suppression(&self.writer, tenant, id).await
    }

    async fn count_suppressed(
        &self,
        tenant: TenantId,
        id: Uuid,
        events: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        privacy::count_suppressed(&self.writer, tenant, id, events, at).await
    }

    async fn prune_breakdown_cache(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        stats::prune_cache(&self.writer, before.timestamp(), limit).await
    }

    async fn prune_schema_counts(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        schemas::prune_counts(&self.writer, before, limit).await
    }

    async fn list_schemas(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::schemas::Schema>, StoreError> {
        schemas::list(&self.pool, tenant).await
    }

    async fn get_schema(
        &self,
        tenant: TenantId,
        event_type: &str,
    ) -> Result<Option<crate::schemas::Schema>, StoreError> {
        schemas::get(&self.pool, tenant, event_type).await
    }

    async fn put_schema(
        &self,
        tenant: TenantId,
        event_type: &str,
        mode: crate::schemas::Mode,
        schema: &Value,
        at: DateTime<Utc>,
    ) -> Result<(crate::schemas::Schema, bool), StoreError> {
        schemas::put(&self.writer, tenant, event_type, mode, schema, at).await
    }

    async fn delete_schema(&self, tenant: TenantId, event_type: &str) -> Result<bool, StoreError> {
        schemas::delete(&self.writer, tenant, event_type).await
    }

    async fn schema_policy(
        &self,
        tenant: TenantId,
    ) -> Result<crate::schemas::Unplanned, StoreError> {
        schemas::policy(&self.pool, tenant).await
    }

    async fn set_schema_policy(
        &self,
        tenant: TenantId,
        unplanned: crate::schemas::Unplanned,
    ) -> Result<(), StoreError> {
        schemas::set_policy(&self.writer, tenant, unplanned).await
    }

    async fn record_schema_checks(
        &self,
        counts: &[crate::schemas::CountsRow],
        examples: &[crate::schemas::Example],
    ) -> Result<(), StoreError> {
        schemas::record(&self.writer, counts, examples).await
    }

    async fn schema_counts(
        &self,
        tenant: TenantId,
        event_type: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        interval: StatsInterval,
    ) -> Result<Vec<(String, i64, crate::schemas::Counts)>, StoreError> {
        schemas::counts(&self.pool, tenant, event_type, from, to, interval).await
    }

    async fn schema_examples(
        &self,
        tenant: TenantId,
        event_type: &str,
        limit: u32,
    ) -> Result<Vec<crate::schemas::Example>, StoreError> {
        schemas::examples(&self.pool, tenant, event_type, limit).await
    }
}

async fn insert_key(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    key: &ApiKey,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, created_at, \
         last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(key.id.to_string())
    .bind(key.tenant_id.0.to_string())
    .bind(&key.name)
    .bind(&key.prefix)
    .bind(&key.secret_hash)
    .bind(Scope::join(&key.scopes))
    .bind(micros(key.created_at))
    .bind(key.last_used_at.map(micros))
    .bind(key.revoked_at.map(micros))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds events to the full-text index (migrations/sqlite/0002_search.sql), each under the
/// rowid its row got. One statement for all of them: a statement costs more than the FTS5 work
/// for one event.
async fn index_events(
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
                Value::from(search::render::fts5_event_document(
                    &event.event_type,
                    &event.metadata,
                )),
            ])
        })
        .collect();
    sqlx::query(
        "INSERT INTO events_fts (rowid, body) SELECT value ->> 0, value ->> 1 FROM json_each(?)",
    )
    .bind(Value::Array(rows).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Indexes the events stored before the search migration, which left their rowid range in
/// the `search_backfill` setting. One transaction per chunk, recording progress with it, so
/// that an interrupted start resumes where it stopped.
async fn backfill_search_index(pool: &SqlitePool) -> Result<(), StoreError> {
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

// --- webhooks ------------------------------------------------------------------------------

/// The webhook outbox, written inside `insert_events`' transaction: one pending delivery,
/// due at once, per enabled endpoint of each fresh event's tenant whose filter matches. Each
/// tenant's endpoints are read once per call.
/// One attempt's rows (see [`Store::record_webhook_attempt`]), in `tx`; `None`, with nothing
/// written, when the delivery or its endpoint no longer exists.
async fn record_attempt(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    record: &hooks::AttemptRecord,
) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
    let at = micros(record.attempted_at);
    let succeeded = record.next == hooks::NextStep::Succeeded;
    // The delivery first: when it is gone (deleted with its endpoint) nothing is written, so
    // that the other attempts of the same transaction stand.
    let holder: Option<Option<String>> =
        sqlx::query_scalar("SELECT leased_by FROM webhook_deliveries WHERE id = ?")
            .bind(record.delivery_id.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let Some(holder) = holder else {
        return Ok(None);
    };
    let endpoint = sqlx::query(
        "UPDATE webhook_endpoints SET \
           consecutive_failures = CASE WHEN ? THEN 0 ELSE consecutive_failures + 1 END, \
           failing_since = CASE WHEN ? THEN NULL ELSE COALESCE(failing_since, ?) END, \
           last_success_at = CASE WHEN ? THEN ? ELSE last_success_at END, \
           last_failure_at = CASE WHEN ? THEN last_failure_at ELSE ? END, \
           circuit_open_until = CASE WHEN ? THEN NULL ELSE circuit_open_until END \
         WHERE id = ? \
         RETURNING failing_since, consecutive_failures, last_success_at, last_failure_at, \
           circuit_open_until, enabled",
    )
    .bind(succeeded)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(at)
    .bind(succeeded)
    .bind(record.endpoint_id.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, tenant_id, attempted_at, status_code, \
         error, latency_ms, response_body, request_headers, request_body, rule) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.id.to_string())
    .bind(record.delivery_id.to_string())
    .bind(record.tenant_id.0.to_string())
    .bind(at)
    .bind(record.status_code.map(i64::from))
    .bind(record.error.as_deref())
    .bind(i64::try_from(record.latency_ms).unwrap_or(i64::MAX))
    .bind(record.response_body.as_deref())
    .bind(
        record
            .request_headers
            .as_ref()
            .map(hooks::stored_request_headers),
    )
    .bind(record.request_body.as_deref())
    .bind(record.rule.as_str())
    .execute(&mut **tx)
    .await?;
    let (status, next) = webhook_next_step(record.next);
    let holds_lease = holder.as_deref() == Some(record.instance.as_str());
    // The attempt counts whoever holds the lease; the state is the holder's to set.
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = ?, \
           status = CASE WHEN ? THEN ? ELSE status END, \
           next_attempt_at = CASE WHEN ? THEN ? ELSE next_attempt_at END, \
           lease_until = CASE WHEN ? THEN NULL ELSE lease_until END, \
           leased_by = CASE WHEN ? THEN NULL ELSE leased_by END \
         WHERE id = ?",
    )
    .bind(at)
    .bind(holds_lease)
    .bind(status)
    .bind(holds_lease)
    .bind(next.map(micros))
    .bind(holds_lease)
    .bind(holds_lease)
    .bind(record.delivery_id.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(Some((
        webhook_health_from_row(&endpoint)?,
        endpoint.try_get("enabled")?,
    )))
}

async fn enqueue_webhook_deliveries(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    fresh: &[&NewEvent],
) -> Result<(), StoreError> {
    let mut endpoints: std::collections::HashMap<TenantId, Vec<hooks::OutboxEndpoint<String>>> =
        std::collections::HashMap::new();
    for event in fresh {
        let targets = match endpoints.entry(event.tenant_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let rows = sqlx::query(
                    "SELECT id, event_types, filter FROM webhook_endpoints \
                     WHERE tenant_id = ? AND enabled = 1",
                )
                .bind(event.tenant_id.0.to_string())
                .fetch_all(&mut **tx)
                .await?;
                let found = rows
                    .iter()
                    .map(|row| {
                        hooks::OutboxEndpoint::from_stored(
                            row.try_get::<String, _>("id")?,
                            row.try_get("event_types")?,
                            row.try_get("filter")?,
                        )
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                slot.insert(found)
            }
        };
        let mut document = None;
        for target in targets.iter() {
            if !target.wants(&event.event_type, &event.metadata, &mut document) {
                continue;
            }
            let endpoint_id = &target.id;
            let at = micros(event.received_at);
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, \
                 attempts, next_attempt_at, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(event.tenant_id.0.to_string())
            .bind(endpoint_id)
            .bind(event.id.to_string())
            .bind(at)
            .bind(at)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Deliveries with their event type (`?` binds the test deliveries' type); continue with a
/// tenant id bind.
const WEBHOOK_DELIVERIES: &str = "SELECT d.id, d.endpoint_id, d.event_id, d.status, d.attempts, \
     d.next_attempt_at, d.created_at, d.updated_at, COALESCE(ev.event_type, ";
const WEBHOOK_DELIVERIES_FROM: &str = ") AS event_type FROM webhook_deliveries d \
     LEFT JOIN events ev ON ev.id = d.event_id WHERE d.tenant_id = ";

fn optional_micros(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.try_get::<Option<i64>, _>(column)?
        .map(from_micros)
        .transpose()
}

fn webhook_health_from_row(row: &SqliteRow) -> Result<hooks::EndpointHealth, StoreError> {
    Ok(hooks::EndpointHealth {
        failing_since: optional_micros(row, "failing_since")?,
        consecutive_failures: u64::try_from(row.try_get::<i64, _>("consecutive_failures")?)
            .map_err(|_| StoreError::Invalid("consecutive_failures".into()))?,
        last_success_at: optional_micros(row, "last_success_at")?,
        last_failure_at: optional_micros(row, "last_failure_at")?,
        circuit_open_until: optional_micros(row, "circuit_open_until")?,
    })
}

fn webhook_endpoint_from_row(row: &SqliteRow) -> Result<hooks::Endpoint, StoreError> {
    let previous_secret: Option<String> = row.try_get("previous_secret")?;
    let previous_until = optional_micros(row, "previous_secret_until")?;
    Ok(hooks::Endpoint {
        id: parse_uuid(row.try_get("id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("tenant_id")?)?),
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: hooks::parse_stored_event_types(row.try_get("event_types")?)?,
        filter: row.try_get("filter")?,
        secret: row.try_get("secret")?,
        previous_secret: previous_secret.zip(previous_until),
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        health: webhook_health_from_row(row)?,
    })
}

fn webhook_delivery_from_row(row: &SqliteRow) -> Result<hooks::Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(hooks::Delivery {
        id: parse_uuid(row.try_get("id")?)?,
        endpoint_id: parse_uuid(row.try_get("endpoint_id")?)?,
        event_id: row
            .try_get::<Option<&str>, _>("event_id")?
            .map(parse_uuid)
            .transpose()?,
        event_type: row.try_get("event_type")?,
        status: hooks::DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("delivery status {status:?}")))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        next_attempt_at: optional_micros(row, "next_attempt_at")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        attempt_log: Vec::new(),
    })
}

/// Fills each delivery's `attempt_log`, oldest attempt first.
async fn attach_webhook_attempts(
    pool: &SqlitePool,
    deliveries: &mut [hooks::Delivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let mut query =
        QueryBuilder::<Sqlite>::new("SELECT * FROM webhook_attempts WHERE delivery_id IN (");
    let mut list = query.separated(", ");
    for delivery in deliveries.iter() {
        list.push_bind(delivery.id.to_string());
    }
    query.push(") ORDER BY attempted_at, id");
    let rows = query.build().fetch_all(pool).await?;
    let mut by_delivery: std::collections::HashMap<Uuid, Vec<hooks::Attempt>> =
        std::collections::HashMap::new();
    for row in &rows {
        let delivery_id = parse_uuid(row.try_get("delivery_id")?)?;
        let attempt = hooks::Attempt {
            id: parse_uuid(row.try_get("id")?)?,
            attempted_at: from_micros(row.try_get("attempted_at")?)?,
            status_code: row
                .try_get::<Option<i64>, _>("status_code")?
                .and_then(|code| u16::try_from(code).ok()),
            error: row.try_get("error")?,
            latency_ms: u64::try_from(row.try_get::<i64, _>("latency_ms")?).unwrap_or(0),
            response_body: row.try_get("response_body")?,
            rule: row.try_get("rule")?,
            request_headers: hooks::parse_stored_request_headers(
                row.try_get::<Option<&str>, _>("request_headers")?,
            )?,
            request_body: row.try_get("request_body")?,
        };
        by_delivery.entry(delivery_id).or_default().push(attempt);
    }
    for delivery in deliveries {
        delivery.attempt_log = by_delivery.remove(&delivery.id).unwrap_or_default();
    }
    Ok(())
}

fn claimed_webhook_delivery_from_row(
    row: &SqliteRow,
) -> Result<hooks::ClaimedDelivery, StoreError> {
    let payload: Option<String> = row.try_get("d_payload")?;
    let message = match payload {
        Some(body) => hooks::Message::Body(body),
        None => hooks::Message::Event(event_from_row(row)?),
    };
    let previous_secret: Option<String> = row.try_get("e_previous_secret")?;
    Ok(hooks::ClaimedDelivery {
        id: parse_uuid(row.try_get("d_id")?)?,
        tenant_id: TenantId(parse_uuid(row.try_get("d_tenant_id")?)?),
        endpoint_id: parse_uuid(row.try_get("d_endpoint_id")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("d_attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        url: row.try_get("e_url")?,
        secret: row.try_get("e_secret")?,
        previous_secret: previous_secret.zip(optional_micros(row, "e_previous_secret_until")?),
        message,
    })
}

/// The stored status and next due time of a delivery after an attempt.
fn webhook_next_step(next: hooks::NextStep) -> (&'static str, Option<DateTime<Utc>>) {
    match next {
        hooks::NextStep::Succeeded => (hooks::DeliveryStatus::Succeeded.as_str(), None),
        hooks::NextStep::RetryAt(at) => (hooks::DeliveryStatus::Failed.as_str(), Some(at)),
        hooks::NextStep::Dead => (hooks::DeliveryStatus::Dead.as_str(), None),
    }
}
