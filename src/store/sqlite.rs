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

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    SqliteTransactionManager,
};
use sqlx_core::transaction::TransactionManager;
use uuid::Uuid;

use super::{Backend, SearchCursor, SearchHit, Store, StoreError};
use crate::auth::ApiKey;
use crate::config::Durability;
use crate::events::rollup::{MinuteCount, UnitKey, UnitSpan, UnitValues};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
    ValueCounts,
};
use crate::tenants::{Tenant, TenantId, TenantUpdate};
use crate::textquery::Query;
use crate::webhooks as hooks;

mod audit;
mod delivery_queue;
mod event_writer;
mod events;
mod privacy;
mod replays;
mod retention;
mod schemas;
mod search;
mod search_index;
mod stats;
mod tenants;
mod webhook_stats;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub struct SqliteStore {
    /// Reads: a pool of connections that read in parallel (WAL), never waiting on the writer.
    pool: SqlitePool,
    /// Every write: one connection, so that writers queue in the process, each woken as the
    /// previous one commits. Several writing connections would meet at SQLite's file lock
    /// instead, where a writer that finds it taken sleeps 1, 2, 5 … up to 100 ms between
    /// tries and nobody wakes it: under load (the ingest committer, the webhook worker's
    /// claims and attempt results, key touches) those sleeps were the queue.
    writer: SqlitePool,
    /// Writes the group commits of events, on a thread of its own, while holding `writer`.
    event_writer: event_writer::EventWriter,
    /// Writes the full-text index behind the commits; `None` only to measure the index's
    /// cost ([`SqliteStore::without_search_index`]).
    indexer: Option<search_index::Indexer>,
    /// How long a read of events may run; `None`: until it is dropped.
    statement_timeout: Option<Duration>,
    /// How each tenant's searches find their matches (see [`search`]).
    search_plans: search::Plans,
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
        let path = options.get_filename().to_owned();
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let pool_options = |max_connections: u32| {
            SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                // A ping per acquire is a round trip to the connection's worker thread, and a
                // SQLite connection does not drop the way a network one does.
                .test_before_acquire(false)
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
        search_index::backfill(&writer).await?;
        let pool = pool_options(max_connections.max(2))
            .connect_with(options)
            .await?;
        let indexer = search_index::Indexer::start(pool.clone(), writer.clone()).await?;
        let event_writer = event_writer::EventWriter::start(&path, sync)?;
        Ok(SqliteStore {
            pool,
            writer,
            event_writer,
            indexer: Some(indexer),
            statement_timeout,
            search_plans: search::Plans::default(),
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
        tenants::admin_token_hash(&self.pool).await
    }

    async fn init_admin_token_hash(&self, hash: &[u8]) -> Result<bool, StoreError> {
        tenants::init_admin_token_hash(&self.writer, hash).await
    }

    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError> {
        tenants::create(&self.writer, tenant, first_key).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        tenants::list(&self.pool).await
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        tenants::get(&self.pool, tenant).await
    }

    async fn update_tenant(
        &self,
        tenant: TenantId,
        update: &TenantUpdate,
    ) -> Result<Option<Tenant>, StoreError> {
        tenants::update(&self.pool, &self.writer, tenant, update).await
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        tenants::create_key(&self.writer, key).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
        tenants::list_keys(&self.pool, tenant).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        tenants::revoke_key(&self.writer, tenant, key_id, at).await
    }

    async fn find_api_key_by_hash(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        tenants::find_key_by_hash(&self.pool, secret_hash).await
    }

    async fn find_api_key_by_id(
        &self,
        key_id: Uuid,
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        tenants::find_key_by_id(&self.pool, key_id).await
    }

    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        tenants::touch_key(&self.writer, key_id, at).await
    }

    async fn insert_events(
        &self,
        events: Arc<Vec<NewEvent>>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        events::insert(self, events).await
    }

    async fn list_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        events::list(self, tenant, filter, after, limit).await
    }

    async fn get_event(&self, tenant: TenantId, id: Uuid) -> Result<Option<Event>, StoreError> {
        events::get(&self.pool, tenant, id).await
    }

    async fn events_after(
        &self,
        tenant: TenantId,
        after: Uuid,
        event_types: &[String],
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        events::list_after(&self.pool, tenant, after, event_types, limit).await
    }

    async fn count_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        interval: StatsInterval,
    ) -> Result<EventCounts, StoreError> {
        events::counts(self, tenant, filter, interval).await
    }

    async fn top_values(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        path: &[String],
        limit: u32,
    ) -> Result<ValueCounts, StoreError> {
        events::top_values(self, tenant, filter, path, limit).await
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
        query: &Query,
        filter: &EventFilter,
        after: Option<SearchCursor>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        search::events(self, tenant, query, filter, after, limit).await
    }

    async fn create_webhook_endpoint(&self, endpoint: &hooks::Endpoint) -> Result<(), StoreError> {
        webhooks::create_endpoint(&self.writer, endpoint).await
    }

    async fn list_webhook_endpoints(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<hooks::Endpoint>, StoreError> {
        webhooks::list_endpoints(&self.pool, tenant).await
    }

    async fn get_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<hooks::Endpoint>, StoreError> {
        webhooks::get_endpoint(&self.pool, tenant, id).await
    }

    async fn update_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        update: &hooks::EndpointUpdate,
    ) -> Result<Option<hooks::Endpoint>, StoreError> {
        webhooks::update_endpoint(&self.pool, &self.writer, tenant, id, update).await
    }

    async fn delete_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        webhooks::delete_endpoint(&self.writer, tenant, id).await
    }

    async fn create_webhook_test_delivery(
        &self,
        delivery: &hooks::NewTestDelivery,
    ) -> Result<(), StoreError> {
        webhooks::create_test_delivery(&self.writer, delivery).await
    }

    async fn get_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<hooks::Delivery>, StoreError> {
        webhooks::get_delivery(&self.pool, tenant, endpoint_id, id).await
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
        webhooks::list_deliveries(
            &self.pool,
            tenant,
            endpoint_id,
            status,
            event_id,
            after,
            limit,
        )
        .await
    }

    async fn list_event_deliveries(
        &self,
        tenant: TenantId,
        event_id: Uuid,
    ) -> Result<Vec<hooks::Delivery>, StoreError> {
        webhooks::list_event_deliveries(&self.pool, tenant, event_id).await
    }

    async fn retry_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        webhooks::retry_delivery(&self.writer, tenant, endpoint_id, id, at).await
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
        webhooks::release_delivery(&self.writer, id, instance).await
    }

    async fn record_webhook_attempt(
        &self,
        record: &hooks::AttemptRecord,
    ) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
        webhooks::record_one(&self.writer, record).await
    }

    async fn record_webhook_attempts(
        &self,
        records: &[hooks::AttemptRecord],
    ) -> Result<Vec<Option<(hooks::EndpointHealth, bool)>>, StoreError> {
        webhooks::record_all(&self.writer, records).await
    }

    async fn disable_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        failing_since: DateTime<Utc>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        webhooks::disable_endpoint(&self.writer, tenant, id, failing_since, reason, at).await
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
        webhooks::queue_stats(&self.pool).await
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
        retention::prune_events(&self.writer, tenant, before, limit).await
    }

    async fn prune_webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        retention::prune_deliveries(&self.writer, before, limit).await
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

/// What the backend's own unit tests share.
#[cfg(test)]
mod test_support {
    use chrono::Utc;
    use uuid::Uuid;

    use super::SqliteStore;
    use crate::auth::{ApiKey, Scope};
    use crate::store::Store;
    use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus};

    /// Creates an active tenant named `name` (with a key whose secret is the name) and returns
    /// its id.
    pub(super) async fn add_tenant(store: &SqliteStore, name: &str) -> TenantId {
        let tenant = Tenant {
            id: TenantId(Uuid::now_v7()),
            name: name.into(),
            status: TenantStatus::Active,
            created_at: Utc::now(),
            rate_limit: RateLimit {
                per_second: 1,
                burst: 1,
            },
            retention_days: None,
        };
        let key = ApiKey {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            name: "k".into(),
            prefix: format!("trb_{name}"),
            secret_hash: name.as_bytes().to_vec(),
            scopes: Scope::ALL.to_vec(),
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        };
        store.create_tenant(&tenant, &key).await.unwrap();
        tenant.id
    }
}
