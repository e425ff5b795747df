//! Storage behind one trait with two real implementations: SQLite (embedded mode) and
//! PostgreSQL (scaled mode). Handlers never build SQL; they call the services, which call
//! this trait. Every method that touches tenant data takes the [`TenantId`] first and filters
//! by it in SQL, so that no query can return another tenant's rows.

pub mod backup;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::ApiKey;
use crate::config::Durability;
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
    ValueCounts,
};
use crate::privacy::deletions::{Deletion, Lease, Step};
use crate::privacy::suppressions::Suppression;
use crate::tenants::{Tenant, TenantId, TenantUpdate};
use crate::textquery::Query;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the string names what clashed (for example "tenant name").
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// From the SQLite event writer's own connection ([`sqlite::SqliteStore`]).
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row that cannot be turned back into a domain value (corruption or a bad migration).
    #[error("stored data is invalid: {0}")]
    Invalid(String),
}

impl StoreError {
    /// Whether the database could not be reached or is overloaded, as opposed to a bug or bad
    /// data. Callers answer 503 for these so that clients retry.
    pub fn is_unavailable(&self) -> bool {
        match self {
            // The same conditions as sqlx's below: busy, locked, interrupted, a full disk.
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::OperationInterrupted
                    | rusqlite::ErrorCode::DiskFull
            ),
            StoreError::Database(error) => {
                matches!(
                    error,
                    sqlx::Error::Io(_)
                        | sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::WorkerCrashed
                        | sqlx::Error::Tls(_)
                ) || is_busy(error)
            }
            _ => false,
        }
    }
}

fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        // SQLITE_BUSY / SQLITE_LOCKED, PostgreSQL's "too many connections" and shutdown codes;
        // a statement stopped for running past the statement timeout (SQLITE_INTERRUPT,
        // PostgreSQL's query_canceled); a full disk (SQLITE_FULL, PostgreSQL's disk_full).
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("5")
                | Some("6")
                | Some("9")
                | Some("13")
                | Some("53100")
                | Some("53300")
                | Some("57014")
                | Some("57P01")
                | Some("57P03")
        ),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub type DynStore = Arc<dyn Store>;

/// An event and how well it matches a search, as [`Store::search_events`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub event: Event,
    /// Higher is more relevant; comparable only between hits of one query on one store.
    pub score: f64,
}

/// Position after which the next page of a search starts, in the ranked order (score desc,
/// then timestamp desc, id desc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    pub score: f64,
    pub timestamp: DateTime<Utc>,
    pub id: Uuid,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// A cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- the admin token -------------------------------------------------------------------

    /// The stored hash of the generated admin token, if one was generated.
    async fn admin_token_hash(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores the hash unless one is already stored; returns whether it was stored. Two
    /// instances starting together on one database agree on a single token this way.
    async fn init_admin_token_hash(&self, hash: &[u8]) -> Result<bool, StoreError>;

    // --- tenants and keys ------------------------------------------------------------------

    /// Creates a tenant and its first key in one transaction. `Conflict("tenant name")` when
    /// the name is taken.
    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError>;

    /// All tenants, oldest first.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Applies the fields that are `Some`; `Ok(None)` when there is no such tenant.
    /// `Conflict("tenant name")` when renaming to a taken name.
    async fn update_tenant(
        &self,
        tenant: TenantId,
        update: &TenantUpdate,
    ) -> Result<Option<Tenant>, StoreError>;

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The tenant's keys, revoked ones included, oldest first.
    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError>;

    /// Sets `revoked_at` if the key belongs to the tenant and is not yet revoked. Returns
    /// whether such a key exists (revoking twice is not an error).
    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The key whose secret hashes to `secret_hash`, with its tenant. Revoked keys are
    /// returned too: the caller decides.
    async fn find_api_key_by_hash(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError>;

    /// The key with this id, with its tenant (used for JWTs, which name the key in `sub`).
    async fn find_api_key_by_id(
        &self,
        key_id: Uuid,
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError>;

    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;

    // --- events ----------------------------------------------------------------------------

    /// Inserts the events, possibly of several tenants, in one transaction, in order.
    /// An event whose `(tenant_id, event_id)` is already stored (or appears earlier in the
    /// same call) is not stored again: its outcome carries the original id and
    /// `duplicate: true`. Returns one outcome per input, in input order.
    /// The events are shared so that a store may write them on a thread of its own; it
    /// drops its share before it answers, so that the caller gets them back uncopied.
    async fn insert_events(
        &self,
        events: Arc<Vec<NewEvent>>,
    ) -> Result<Vec<InsertOutcome>, StoreError>;

    /// Events matching the filter, newest first by (timestamp, id), strictly after `after`
    /// in that order, at most `limit`.
    async fn list_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;

    async fn get_event(&self, tenant: TenantId, id: Uuid) -> Result<Option<Event>, StoreError>;

    /// Events with an id greater than `after`, oldest id first, at most `limit`, optionally
    /// only of the given types (empty: all). Ids increase in commit order, so this is "what
    /// was committed after `after`": the live stream's resume reads it.
    async fn events_after(
        &self,
        tenant: TenantId,
        after: Uuid,
        event_types: &[String],
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;

    /// Counts over events matching the filter; `filter.from` and `filter.to` are always set
    /// by the caller. Buckets are aligned to the interval in UTC.
    async fn count_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        interval: StatsInterval,
    ) -> Result<EventCounts, StoreError>;

    /// The `limit` most frequent values at metadata `path` over events matching the filter
    /// (`filter.from` and `filter.to` set by the caller), for the stats breakdown.
    async fn top_values(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        path: &[String],
        limit: u32,
    ) -> Result<ValueCounts, StoreError>;

    // --- the stats rollup (see crate::events::rollup) ---------------------------------------
    //
    // `insert_events` adds each stored event to the rollup row of its (tenant, UTC minute of
    // its timestamp, type), and `prune_events` takes the events it deletes back out, each in
    // the same transaction; both bump the `version` of every row they change.

    /// The rollup's counts of minutes `from..to` (seconds, multiples of 60) per bucket of
    /// `width` seconds (a multiple of 60; buckets start at multiples of it) and type,
    /// optionally only of the given types (empty: all): events and the sum of the minute rows'
    /// versions, over every shard. `MinuteCount::minute` is the bucket's start.
    async fn rollup_counts(
        &self,
        tenant: TenantId,
        event_types: &[String],
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<crate::events::rollup::MinuteCount>, StoreError>;

    /// The cached breakdown units of `path` within the spans (their stamps and overflow, not
    /// their values), optionally only of the given types.
    async fn breakdown_units(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[crate::events::rollup::UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<crate::events::rollup::UnitValues>, StoreError>;

    /// The cached values of `path` summed over every unit within the spans (optionally only
    /// of the given types), in one snapshot.
    async fn breakdown_sum(
        &self,
        tenant: TenantId,
        path: &[String],
        spans: &[crate::events::rollup::UnitSpan],
        event_types: &[String],
    ) -> Result<Vec<(String, u64)>, StoreError>;

    /// Computes the units' values from the events, each with its stamp from the same
    /// snapshot; a unit with more than `max_values` distinct values comes back `overflow`.
    async fn compute_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[crate::events::rollup::UnitKey],
        max_values: usize,
    ) -> Result<Vec<crate::events::rollup::UnitValues>, StoreError>;

    /// Caches computed units, replacing what was cached for them.
    async fn store_breakdown(
        &self,
        tenant: TenantId,
        path: &[String],
        units: &[crate::events::rollup::UnitValues],
    ) -> Result<(), StoreError>;

    // --- search ----------------------------------------------------------------------------

    /// Events matching `query` and `filter` (whose `text`, if any, must match as well), most
    /// relevant first: by score (higher is better; see [`crate::textquery`] for how each store
    /// scores), then newest first by (timestamp, id); strictly after `after` in that order; at
    /// most `limit`. Every event committed by `insert_events` is searchable as soon as that
    /// call returns: the index is written in the same transaction.
    async fn search_events(
        &self,
        tenant: TenantId,
        query: &Query,
        filter: &EventFilter,
        after: Option<SearchCursor>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError>;

    // --- webhooks (see crate::webhooks) ----------------------------------------------------
    //
    // `insert_events` is also the webhook outbox: for each event it stores (not for
    // duplicates), it writes in the same transaction one `pending` delivery, due at the
    // event's `received_at`, per enabled endpoint of the event's tenant whose filter matches
    // ([`crate::webhooks::matches`]).

    /// Stores a new endpoint.
    async fn create_webhook_endpoint(
        &self,
        endpoint: &crate::webhooks::Endpoint,
    ) -> Result<(), StoreError>;

    /// The tenant's endpoints, oldest first.
    async fn list_webhook_endpoints(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::webhooks::Endpoint>, StoreError>;

    async fn get_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<crate::webhooks::Endpoint>, StoreError>;

    /// Applies the update (see [`crate::webhooks::EndpointUpdate`] for what enabling and
    /// rotating do); `Ok(None)` when the tenant has no such endpoint.
    async fn update_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        update: &crate::webhooks::EndpointUpdate,
    ) -> Result<Option<crate::webhooks::Endpoint>, StoreError>;

    /// Deletes the endpoint with its deliveries and their attempts; whether it existed.
    async fn delete_webhook_endpoint(&self, tenant: TenantId, id: Uuid)
    -> Result<bool, StoreError>;

    /// Stores a pending test delivery, due at its `created_at`.
    async fn create_webhook_test_delivery(
        &self,
        delivery: &crate::webhooks::NewTestDelivery,
    ) -> Result<(), StoreError>;

    /// One delivery of the tenant's endpoint, with its attempts.
    async fn get_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<crate::webhooks::Delivery>, StoreError>;

    /// The endpoint's deliveries (optionally of one status, optionally of one event), newest
    /// first by (created_at, id), strictly after `after` in that order, at most `limit`, each
    /// with its attempts.
    async fn list_webhook_deliveries(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        status: Option<crate::webhooks::DeliveryStatus>,
        event_id: Option<Uuid>,
        after: Option<EventCursor>,
        limit: u32,
    ) -> Result<Vec<crate::webhooks::Delivery>, StoreError>;

    /// Every delivery of one of the tenant's events, to any of its endpoints, oldest first by
    /// (created_at, id), each with its attempts. Empty for another tenant's event.
    async fn list_event_deliveries(
        &self,
        tenant: TenantId,
        event_id: Uuid,
    ) -> Result<Vec<crate::webhooks::Delivery>, StoreError>;

    /// Makes the delivery `pending` and due at `at`, whatever its status (a lease held by an
    /// attempt in flight is left alone). Whether the tenant's endpoint has such a delivery.
    async fn retry_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Endpoints with deliveries due at `now` (`pending` or `failed`, `next_attempt_at <=
    /// now`, no lease or an expired one) that may be attempted: enabled, of an active (not
    /// suspended) tenant, circuit not open at `now`; longest waiting first, at most `limit`.
    /// Only reads: when nothing is due, polling takes no write lock.
    async fn due_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<crate::webhooks::fairness::DueEndpoint>, StoreError>;

    /// Claims, for each share, up to `count` of the endpoint's due deliveries (as
    /// [`Store::due_webhook_endpoints`] has them, endpoint still enabled and circuit not open),
    /// live ones before replayed ones, soonest due first, leasing them to `claim.instance`
    /// until `claim.lease_until`. A probe share is taken only by the claim that marks the
    /// endpoint's probe in flight (its `circuit_open_until` moved to the lease's end).
    /// Concurrent claimers, in this process or another, never get the same delivery while its
    /// lease runs.
    async fn claim_webhook_deliveries(
        &self,
        claim: &crate::webhooks::Claim<'_>,
    ) -> Result<Vec<crate::webhooks::ClaimedDelivery>, StoreError>;

    /// Opens the endpoint's circuit until `until`, if it is still failing (no success was
    /// recorded since `failed_at`, the failure that opens it).
    async fn open_webhook_circuit(
        &self,
        endpoint_id: Uuid,
        failed_at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Gives a claimed delivery back unattempted (its lease cleared) if `instance` holds it.
    async fn release_webhook_delivery(&self, id: Uuid, instance: &str) -> Result<(), StoreError>;

    /// Records an attempt in one transaction: the attempt row; the delivery's new state (only
    /// if `record.instance` still holds its lease: otherwise another worker has taken it over
    /// and decides); the endpoint's health. Returns the endpoint's health and whether it is
    /// enabled, or `None` when the delivery no longer exists (its endpoint was deleted).
    async fn record_webhook_attempt(
        &self,
        record: &crate::webhooks::AttemptRecord,
    ) -> Result<Option<(crate::webhooks::EndpointHealth, bool)>, StoreError>;

    /// Records several attempts, each as [`Store::record_webhook_attempt`] would, in order;
    /// one answer per record. A store whose commits are costly (SQLite: one writer, one sync
    /// per commit) writes them in one transaction.
    async fn record_webhook_attempts(
        &self,
        records: &[crate::webhooks::AttemptRecord],
    ) -> Result<Vec<Option<(crate::webhooks::EndpointHealth, bool)>>, StoreError> {
        let mut answers = Vec::with_capacity(records.len());
        for record in records {
            answers.push(self.record_webhook_attempt(record).await?);
        }
        Ok(answers)
    }

    /// Disables the endpoint with a reason, if it is enabled and still failing since
    /// `failing_since` (a success or an operator's change in between wins). Whether it did.
    async fn disable_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
        failing_since: DateTime<Utc>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    // --- webhook replays (see crate::webhooks::replay; SQL in each backend's replays.rs) ---

    async fn create_webhook_replay(
        &self,
        job: &crate::webhooks::replay::Replay,
    ) -> Result<(), StoreError>;

    /// The endpoint's jobs, newest first, at most `limit`, with their progress.
    async fn list_webhook_replays(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        limit: u32,
    ) -> Result<Vec<crate::webhooks::replay::Replay>, StoreError>;

    async fn get_webhook_replay(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<crate::webhooks::replay::Replay>, StoreError>;

    /// Cancels the job if it has not finished; the job as it is then (`None`: no such job).
    async fn cancel_webhook_replay(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<crate::webhooks::replay::Replay>, StoreError>;

    /// Takes the oldest job that is pending, or running under a lease that has run out.
    async fn claim_webhook_replay(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<crate::webhooks::replay::Replay>, StoreError>;

    /// Writes the step with the renewal of the lease, in one transaction; false (and nothing
    /// written) when the lease is no longer the instance's or the job is not running.
    async fn advance_webhook_replay(
        &self,
        lease: &crate::webhooks::replay::Lease<'_>,
        step: crate::webhooks::replay::Step<'_>,
    ) -> Result<bool, StoreError>;

    /// The job's deliveries waiting for an attempt or a retry.
    async fn webhook_replay_waiting(&self, id: Uuid) -> Result<u64, StoreError>;

    /// How many of `events` have a delivery to the endpoint that failed or died.
    async fn count_failed_webhook_events(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        events: &[Uuid],
    ) -> Result<u64, StoreError>;

    /// Deliveries waiting for an attempt (pending or failed, of enabled endpoints), all
    /// tenants together, and the creation time of the oldest.
    async fn webhook_queue_stats(&self) -> Result<crate::webhooks::QueueStats, StoreError>;

    /// The endpoint's attempts made in `from..to`, counted (never loaded) per cell of (time
    /// bucket of `width` seconds from `from`, latency class by the inclusive upper bounds
    /// `classes`, one more class for the rest): attempts, 2xx answers, least and greatest
    /// latency. Only cells with attempts (see [`crate::webhooks::stats`]; the SQL is in each
    /// backend's `webhook_stats.rs`).
    async fn webhook_attempt_cells(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        width: i64,
        classes: &[u64],
    ) -> Result<Vec<crate::webhooks::stats::AttemptCell>, StoreError>;

    // --- schemas (see crate::schemas; the SQL is in each backend's `schemas.rs`) ----------

    /// The tenant's schemas, by event type (pattern) in text order.
    async fn list_schemas(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::schemas::Schema>, StoreError>;

    async fn get_schema(
        &self,
        tenant: TenantId,
        event_type: &str,
    ) -> Result<Option<crate::schemas::Schema>, StoreError>;

    /// Creates the schema (version 1) or replaces it (version + 1, `created_at` kept).
    /// Returns it as stored, and whether it was created.
    async fn put_schema(
        &self,
        tenant: TenantId,
        event_type: &str,
        mode: crate::schemas::Mode,
        schema: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(crate::schemas::Schema, bool), StoreError>;

    /// Whether the tenant had such a schema.
    async fn delete_schema(&self, tenant: TenantId, event_type: &str) -> Result<bool, StoreError>;

    /// The tenant's policy for event types no schema matches (`allow` when never set).
    async fn schema_policy(
        &self,
        tenant: TenantId,
    ) -> Result<crate::schemas::Unplanned, StoreError>;

    async fn set_schema_policy(
        &self,
        tenant: TenantId,
        unplanned: crate::schemas::Unplanned,
    ) -> Result<(), StoreError>;

    /// Adds the counts to the stored ones (several tenants at once) and stores the examples,
    /// keeping only the newest [`crate::schemas::MAX_EXAMPLES_PER_TYPE`] per tenant and type.
    async fn record_schema_checks(
        &self,
        counts: &[crate::schemas::CountsRow],
        examples: &[crate::schemas::Example],
    ) -> Result<(), StoreError>;

    /// Counts of the tenant's checked events with `from <= minute < to`, summed per concrete
    /// event type (only `event_type` if given) and bucket of `interval` (aligned in UTC):
    /// `(event_type, bucket start in seconds, counts)`, by type then bucket.
    async fn schema_counts(
        &self,
        tenant: TenantId,
        event_type: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        interval: StatsInterval,
    ) -> Result<Vec<(String, i64, crate::schemas::Counts)>, StoreError>;

    /// The newest examples of the tenant's event type, newest first.
    async fn schema_examples(
        &self,
        tenant: TenantId,
        event_type: &str,
        limit: u32,
    ) -> Result<Vec<crate::schemas::Example>, StoreError>;

    // --- privacy (see crate::privacy) -------------------------------------------------------

    async fn privacy_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::privacy::StoredPolicy>, StoreError>;

    /// Saves the tenant's policy. The hashing key is `new_key` when the tenant has none yet,
    /// else the one it has (so hashes stay comparable across changes).
    async fn set_privacy_policy(
        &self,
        tenant: TenantId,
        policy: &crate::privacy::Policy,
        new_key: &[u8],
        at: DateTime<Utc>,
    ) -> Result<crate::privacy::StoredPolicy, StoreError>;

    async fn create_deletion(&self, job: &Deletion) -> Result<(), StoreError>;

    /// The job with its endpoints, if it is the tenant's.
    async fn get_deletion(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<Option<Deletion>, StoreError>;

    /// The tenant's newest jobs first.
    async fn list_deletions(
        &self,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<Deletion>, StoreError>;

    /// Cancels the job if it has not finished; the job as it is after, if it is the tenant's.
    async fn cancel_deletion(
        &self,
        tenant: TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<Deletion>, StoreError>;

    /// Leases the oldest job that is pending, or running under a lease that ran out before
    /// `now`, to `instance` until `until`.
    async fn claim_deletion(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Deletion>, StoreError>;

    /// Writes one step of a job with the renewal of its lease, in one transaction; false
    /// (and nothing written) when the lease is no longer `lease.instance`'s or the job is no
    /// longer running.
    async fn advance_deletion(&self, lease: &Lease<'_>, step: Step<'_>)
    -> Result<bool, StoreError>;

    /// The tenant's suppressions, oldest first.
    async fn list_suppressions(&self, tenant: TenantId) -> Result<Vec<Suppression>, StoreError>;

    /// Adds `new`, or finds the tenant's suppression of the same subject; true when added.
    async fn create_suppression(
        &self,
        new: &Suppression,
    ) -> Result<(Suppression, bool), StoreError>;

    async fn delete_suppression(&self, tenant: TenantId, id: Uuid) -> Result<bool, StoreError>;

    /// Adds `events` dropped at `at` to the suppression's count.
    async fn count_suppressed(
        &self,
        tenant: TenantId,
        id: Uuid,
        events: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    // --- the audit log (see crate::audit; the SQL is in each backend's `audit.rs`) -------

    /// Stores one entry.
    async fn insert_audit_entry(&self, entry: &crate::audit::AuditEntry) -> Result<(), StoreError>;

    /// The entries of `of` matching the filter, newest first by (at, id), strictly after
    /// `after` in that order, at most `limit`.
    async fn list_audit_entries(
        &self,
        of: crate::audit::EntriesOf,
        filter: &crate::audit::AuditFilter,
        after: Option<crate::audit::AuditCursor>,
        limit: u32,
    ) -> Result<Vec<crate::audit::AuditEntry>, StoreError>;

    // --- retention -------------------------------------------------------------------------

    /// Deletes at most `limit` events whose id is below `before` (ids increase in commit
    /// order), oldest first, with their search entries and webhook deliveries: of `tenant`, or
    /// with `None` of every tenant that has no retention of its own. Returns how many.
    async fn prune_events(
        &self,
        tenant: Option<TenantId>,
        before: Uuid,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes at most `limit` webhook deliveries that finished (succeeded or dead) before
    /// `before`, with their attempts. Deliveries still to be made are never pruned.
    async fn prune_webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes at most `limit` cached breakdown units (with their values) of buckets that
    /// start before `before`.
    async fn prune_breakdown_cache(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes at most `limit` schema count rows of minutes before `before`.
    async fn prune_schema_counts(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Deletes at most `limit` audit entries recorded before `before`, oldest first.
    async fn prune_audit_entries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;
}

/// Opens the store named by the URL (`sqlite://…` or `postgres://…`) and applies migrations.
///
/// `statement_timeout` bounds how long the database works on one read of events (list, stats,
/// search) before it stops it: PostgreSQL's `statement_timeout` on every pooled connection,
/// SQLite's progress handler (see [`sqlite::SqliteStore`]). The server passes its request
/// timeout, so that a request answered 503 leaves nothing running behind it; `None` (the CLI)
/// sets no bound.
pub async fn connect(
    url: &str,
    max_connections: u32,
    statement_timeout: Option<Duration>,
) -> Result<DynStore, anyhow::Error> {
    connect_with_sync(url, max_connections, statement_timeout, Durability::Full).await
}

/// [`connect`], with the durability of commits (see [`Durability`]).
pub async fn connect_with_sync(
    url: &str,
    max_connections: u32,
    statement_timeout: Option<Duration>,
    sync: Durability,
) -> Result<DynStore, anyhow::Error> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::connect_with_sync(url, max_connections, statement_timeout, sync)
                .await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(
            postgres::PostgresStore::connect_with_sync(
                url,
                max_connections,
                statement_timeout,
                sync,
            )
            .await?,
        ))
    } else {
        anyhow::bail!("database.url must start with sqlite:// or postgres:// (got {url:?})")
    }
}

/// Renders a metadata path as an SQLite JSON path (`$."a"."b"`). Callers have refused
/// segments containing quotes or backslashes.
pub(crate) fn sqlite_json_path(path: &[String]) -> String {
    let mut rendered = String::from("$");
    for segment in path {
        rendered.push_str(".\"");
        rendered.push_str(segment);
        rendered.push('"');
    }
    rendered
}
