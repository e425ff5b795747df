//! The scaled store: PostgreSQL, shared by any number of instances. It answers exactly like the
//! SQLite store (same ordering, same duplicate handling, same conflicts); where PostgreSQL's
//! defaults differ from SQLite's, the SQL here pins the SQLite behaviour down explicitly:
//!
//! - times are truncated to the microsecond the way the SQLite store does (floor), so an instant
//!   written to either store reads back identically;
//! - text that is sorted is sorted bytewise (`COLLATE "C"`), like SQLite's BINARY collation,
//!   whatever the database's default collation is;
//! - metadata is a `json` (not `jsonb`) column so that it comes back byte for byte, key order
//!   included; it is bound as text and cast, and read back as text;
//! - a metadata path only descends into objects, as SQLite's quoted `$."a"."b"` paths do, never
//!   into arrays by index; metadata holding `\u0000` (which PostgreSQL's JSON operators refuse)
//!   stays filterable.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
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
mod events;
mod privacy;
mod replays;
mod retention;
mod schemas;
mod search;
mod stats;
mod tenants;
mod webhook_stats;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct PostgresStore {
    pool: PgPool,
    /// Whether inserts maintain the full-text index: always, except to measure its cost.
    search_index: bool,
    /// This store's rows of the stats rollup (see `stats`): commits write `shard`, retention
    /// `-1 - shard`.
    shard: i32,
}

impl PostgresStore {
    /// Connects and applies the migrations. sqlx takes an advisory lock while migrating, so
    /// several instances starting together on one database do not race.
    ///
    /// Every pooled connection starts with `statement_timeout` set to `statement_timeout`:
    /// PostgreSQL cancels a statement that runs longer (SQLSTATE 57014, answered 503), because
    /// dropping a query's future on our side (the request timed out) does not stop it there.
    /// The migrations and the search backfill run before, on a connection without that bound.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        statement_timeout: Option<Duration>,
    ) -> Result<Self, StoreError> {
        Self::connect_with_sync(url, max_connections, statement_timeout, Durability::Full).await
    }

    /// [`PostgresStore::connect`] with `synchronous_commit = off` for [`Durability::Normal`]:
    /// a commit is acknowledged before the server has flushed its WAL (it does so within
    /// 3 × `wal_writer_delay`); a crash of this process keeps it, a crash of the database
    /// server's machine may not.
    pub async fn connect_with_sync(
        url: &str,
        max_connections: u32,
        statement_timeout: Option<Duration>,
        sync: Durability,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        {
            let setup = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.clone())
                .await?;
            MIGRATOR.run(&setup).await?;
            search::backfill(&setup).await?;
            setup.close().await;
        }
        let options = match statement_timeout {
            Some(limit) => options.options([(
                "statement_timeout",
                format!("{}ms", limit.as_millis().max(1)),
            )]),
            None => options,
        };
        let options = match sync {
            Durability::Full => options,
            Durability::Normal => options.options([("synchronous_commit", "off")]),
        };
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(PostgresStore {
            pool,
            search_index: true,
            shard: rand::random_range(0..STATS_SHARDS),
        })
    }

    /// Stops indexing the events inserted from now on, so that a benchmark can measure what
    /// the full-text index costs. Search misses those events until the next start indexes them.
    #[doc(hidden)]
    pub fn without_search_index(mut self) -> Self {
        self.search_index = false;
        self
    }
}

/// How many shards the stats rollup's writers pick from; readers sum them.
const STATS_SHARDS: i32 = 64;

/// The instant as both stores keep it: floored to the microsecond (the SQLite store stores
/// `timestamp_micros()`; sqlx would truncate toward 2000-01-01 instead).
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Invalid(format!("negative count {value}")))
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn admin_token_hash(&self) -> Result<Option<Vec<u8>>, StoreError> {
        tenants::admin_token_hash(&self.pool).await
    }

    async fn init_admin_token_hash(&self, hash: &[u8]) -> Result<bool, StoreError> {
        tenants::init_admin_token_hash(&self.pool, hash).await
    }

    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError> {
        tenants::create(&self.pool, tenant, first_key).await
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
        tenants::update(&self.pool, tenant, update).await
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        tenants::create_key(&self.pool, key).await
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
        tenants::revoke_key(&self.pool, tenant, key_id, at).await
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
        tenants::touch_key(&self.pool, key_id, at).await
    }

    async fn insert_events(
        &self,
        events: Arc<Vec<NewEvent>>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        events::insert(&self.pool, self.search_index, self.shard, &events).await
    }

    async fn list_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        events::list(&self.pool, tenant, filter, after, limit).await
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
        events::counts(&self.pool, tenant, filter, interval).await
    }

    async fn top_values(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        path: &[String],
        limit: u32,
    ) -> Result<ValueCounts, StoreError> {
        events::top_values(&self.pool, tenant, filter, path, limit).await
    }

    async fn rollup_counts(
        &self,
        tenant: TenantId,
        event_types: &[String],
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<MinuteCount>, StoreError> {
        stats::counts(&self.pool, tenant, event_types, from, to, width).await
    }

    async fn breakdown_units(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<UnitValues>, StoreError> {
        stats::units(&self.pool, tenant, path, spans, event_types).await
    }

    async fn breakdown_sum(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<(String, u64)>, StoreError> {
        stats::sum(&self.pool, tenant, path, spans, event_types).await
    }

    async fn compute_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[UnitKey],
        max_values: usize,
    ) -> Result<Vec<UnitValues>, StoreError> {
        stats::compute(&self.pool, tenant, path, units, max_values).await
    }

    async fn store_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[UnitValues],
    ) -> Result<(), StoreError> {
        stats::store(&self.pool, tenant, path, units).await
    }

    async fn search_events(
        &self,
        tenant: TenantId,
        query: &Query,
        filter: &EventFilter,
        after: Option<SearchCursor>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        search::events(&self.pool, tenant, query, filter, after, limit).await
    }

    async fn create_webhook_endpoint(&self, endpoint: &hooks::Endpoint) -> Result<(), StoreError> {
        webhooks::create_endpoint(&self.pool, endpoint).await
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
        webhooks::update_endpoint(&self.pool, tenant, id, update).await
    }

    async fn delete_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        webhooks::delete_endpoint(&self.pool, tenant, id).await
    }

    async fn create_webhook_test_delivery(
        &self,
        delivery: &hooks::NewTestDelivery,
    ) -> Result<(), StoreError> {
        webhooks::create_test_delivery(&self.pool, delivery).await
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
        webhooks::retry_delivery(&self.pool, tenant, endpoint_id, id, at).await
    }

    async fn due_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<hooks::fairness::DueEndpoint>, StoreError> {
        delivery_queue::due_endpoints(&self.pool, micros(now), limit).await
    }

    async fn claim_webhook_deliveries(
        &self,
        claim: &hooks::Claim<'_>,
    ) -> Result<Vec<hooks::ClaimedDelivery>, StoreError> {
        delivery_queue::claim(&self.pool, claim).await
    }

    async fn open_webhook_circuit(
        &self,
        endpoint_id: Uuid,
        failed_at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        delivery_queue::open_circuit(&self.pool, endpoint_id, micros(failed_at), micros(until))
            .await
    }

    async fn release_webhook_delivery(&self, id: Uuid, instance: &str) -> Result<(), StoreError> {
        webhooks::release_delivery(&self.pool, id, instance).await
    }

    async fn record_webhook_attempt(
        &self,
        record: &hooks::AttemptRecord,
    ) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
        webhooks::record_attempt(&self.pool, record).await
    }

    async fn disable_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        failing_since: DateTime<Utc>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        webhooks::disable_endpoint(&self.pool, tenant, id, failing_since, reason, at).await
    }

    async fn create_webhook_replay(&self, job: &hooks::replay::Replay) -> Result<(), StoreError> {
        replays::create(&self.pool, job).await
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
        replays::cancel(&self.pool, tenant, endpoint_id, id, at).await
    }

    async fn claim_webhook_replay(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<hooks::replay::Replay>, StoreError> {
        replays::claim(&self.pool, instance, now, until).await
    }

    async fn advance_webhook_replay(
        &self,
        lease: &hooks::replay::Lease<'_>,
        step: hooks::replay::Step<'_>,
    ) -> Result<bool, StoreError> {
        replays::advance(&self.pool, lease, step).await
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
        retention::prune_events(&self.pool, -1 - self.shard, tenant, before, limit).await
    }

    async fn prune_webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        retention::prune_deliveries(&self.pool, before, limit).await
    }

    async fn insert_audit_entry(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError> {
        audit::insert(&self.pool, entry).await
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
        audit::prune(&self.pool, before, limit).await
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
        privacy::set(&self.pool, tenant, policy, new_key, at).await
    }

    async fn create_deletion(
        &self,
        job: &crate::privacy::deletions::Deletion,
    ) -> Result<(), StoreError> {
        privacy::create_deletion(&self.pool, job).await
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
        privacy::cancel_deletion(&self.pool, tenant, id, at).await
    }

    async fn claim_deletion(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<crate::privacy::deletions::Deletion>, StoreError> {
        privacy::claim_deletion(&self.pool, instance, now, until).await
    }

    async fn advance_deletion(
        &self,
        lease: &crate::privacy::deletions::Lease<'_>,
        step: crate::privacy::deletions::Step<'_>,
    ) -> Result<bool, StoreError> {
        privacy::advance_deletion(&self.pool, -1 - self.shard, lease, step).await
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
        privacy::create_suppression(&self.pool, new).await
    }

    async fn delete_suppression(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
        privacy::delete_suppression(&self.pool, tenant, id).await
    }

    async fn count_suppressed(
        &self,
        tenant: TenantId,
        id: Uuid,
        events: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        privacy::count_suppressed(&self.pool, tenant, id, events, at).await
    }

    async fn prune_breakdown_cache(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        stats::prune_cache(&self.pool, before.timestamp(), limit).await
    }

    async fn prune_schema_counts(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        schemas::prune_counts(&self.pool, before, limit).await
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
        schemas::put(&self.pool, tenant, event_type, mode, schema, at).await
    }

    async fn delete_schema(&self, tenant: TenantId, event_type: &str) -> Result<bool, StoreError> {
        schemas::delete(&self.pool, tenant, event_type).await
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
        schemas::set_policy(&self.pool, tenant, unplanned).await
    }

    async fn record_schema_checks(
        &self,
        counts: &[crate::schemas::CountsRow],
        examples: &[crate::schemas::Example],
    ) -> Result<(), StoreError> {
        schemas::record(&self.pool, counts, examples).await
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
