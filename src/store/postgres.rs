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
//!
//! `insert_events` is one multi-row `INSERT … ON CONFLICT DO NOTHING` per call, with the same
//! outcomes as inserting one by one. Concurrent ingest from several instances relies on
//! `ON CONFLICT DO NOTHING` waiting for the other transaction that holds the same
//! `(tenant_id, event_id)`: after it commits, the losing insert does nothing and reads the
//! winner's id. Every call inserts its keys in one global order, so such waits never deadlock.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{Backend, Store, StoreError};
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
mod stats;
mod webhook_stats;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

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
            backfill_search_index(&setup).await?;
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

/// The `tsvector` literal of an event (see migrations/postgres/0002_search.sql).
fn search_vector(tenant: TenantId, event_type: &str, metadata: &Map<String, Value>) -> String {
    search::render::tsvector(tenant, &search::text::document(event_type, metadata))
}

/// The instant as both stores keep it: floored to the microsecond (the SQLite store stores
/// `timestamp_micros()`; sqlx would truncate toward 2000-01-01 instead).
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Invalid(format!("negative count {value}")))
}

fn tenant_from_row(row: &PgRow) -> Result<Tenant, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Tenant {
        id: TenantId(row.try_get("id")?),
        name: row.try_get("name")?,
        status: TenantStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("tenant status {status:?}")))?,
        created_at: row.try_get("created_at")?,
        rate_limit: RateLimit {
            per_second: u32::try_from(row.try_get::<i64, _>("rate_per_second")?)
                .map_err(|_| StoreError::Invalid("rate_per_second".into()))?,
            burst: u32::try_from(row.try_get::<i64, _>("rate_burst")?)
                .map_err(|_| StoreError::Invalid("rate_burst".into()))?,
        },
        retention_days: row
            .try_get::<Option<i32>, _>("retention_days")?
            .map(|days| {
                u32::try_from(days).map_err(|_| StoreError::Invalid("retention_days".into()))
            })
            .transpose()?,
    })
}

/// A retention in days as the `INTEGER` column holds it (validated to at most 36,500).
fn retention_column(days: Option<u32>) -> Option<i32> {
    days.map(|days| i32::try_from(days).unwrap_or(i32::MAX))
}

/// Reads a key from columns named `k_<column>` (so that it can share a row with its tenant).
fn key_from_row(row: &PgRow) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: row.try_get("k_id")?,
        tenant_id: TenantId(row.try_get("k_tenant_id")?),
        name: row.try_get("k_name")?,
        prefix: row.try_get("k_prefix")?,
        secret_hash: row.try_get("k_secret_hash")?,
        scopes: Scope::split(row.try_get("k_scopes")?),
        created_at: row.try_get("k_created_at")?,
        last_used_at: row.try_get("k_last_used_at")?,
        revoked_at: row.try_get("k_revoked_at")?,
    })
}

fn event_from_row(row: &PgRow) -> Result<Event, StoreError> {
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

const TENANT_COLUMNS: &str =
    "id, name, status, rate_per_second, rate_burst, created_at, retention_days";

const KEY_COLUMNS: &str = "id AS k_id, tenant_id AS k_tenant_id, name AS k_name, \
     prefix AS k_prefix, secret_hash AS k_secret_hash, scopes AS k_scopes, \
     created_at AS k_created_at, last_used_at AS k_last_used_at, revoked_at AS k_revoked_at";

const KEY_AND_TENANT: &str = "SELECT k.id AS k_id, k.tenant_id AS k_tenant_id, k.name AS k_name, \
     k.prefix AS k_prefix, k.secret_hash AS k_secret_hash, k.scopes AS k_scopes, \
     k.created_at AS k_created_at, k.last_used_at AS k_last_used_at, k.revoked_at AS k_revoked_at, \
     t.id, t.name, t.status, t.rate_per_second, t.rate_burst, t.created_at, t.retention_days \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id";

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
const SEARCHABLE_METADATA: &str = concat!(
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
fn push_filter(query: &mut QueryBuilder<Postgres>, filter: &EventFilter) {
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
            .push_bind(search::render::tsquery_filter(text))
            .push("::text::tsquery");
    }
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
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(ADMIN_TOKEN_KEY)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn init_admin_token_hash(&self, hash: &[u8]) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(ADMIN_TOKEN_KEY)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, name, status, rate_per_second, rate_burst, created_at, \
             retention_days) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant.id.0)
        .bind(&tenant.name)
        .bind(tenant.status.as_str())
        .bind(i64::from(tenant.rate_limit.per_second))
        .bind(i64::from(tenant.rate_limit.burst))
        .bind(micros(tenant.created_at))
        .bind(retention_column(tenant.retention_days))
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
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created_at, id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(tenant_from_row)
            .collect()
    }

    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
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
        let sql = format!(
            "UPDATE tenants SET name = COALESCE($1, name), status = COALESCE($2, status), \
             rate_per_second = COALESCE($3, rate_per_second), \
             rate_burst = COALESCE($4, rate_burst), \
             retention_days = CASE WHEN $5 THEN $6 ELSE retention_days END \
             WHERE id = $7 RETURNING {TENANT_COLUMNS}"
        );
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(update.name.as_deref())
            .bind(update.status.map(TenantStatus::as_str))
            .bind(update.rate_limit.map(|r| i64::from(r.per_second)))
            .bind(update.rate_limit.map(|r| i64::from(r.burst)))
            .bind(update.retention_days.is_some())
            .bind(retention_column(update.retention_days.flatten()))
            .bind(tenant.0)
            .fetch_optional(&self.pool)
            .await;
        match result {
            Err(error) if unique_violation(&error) => Err(StoreError::Conflict("tenant name")),
            Err(error) => Err(error.into()),
            Ok(row) => row.as_ref().map(tenant_from_row).transpose(),
        }
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_key(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_api_keys(&self, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(key_from_row)
            .collect()
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One statement: the update and the existence check see the same snapshot, and the
        // key exists whether or not this call is the one that revoked it.
        let exists: bool = sqlx::query_scalar(
            "WITH revoked AS ( \
                 UPDATE api_keys SET revoked_at = $3 \
                 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING 1 \
             ) \
             SELECT EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2)",
        )
        .bind(tenant.0)
        .bind(key_id)
        .bind(micros(at))
        .fetch_one(&self.pool)
        .await?;
        Ok(exists)
    }

    async fn find_api_key_by_hash(
        &self,
        secret_hash: &[u8],
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        let sql = format!("{KEY_AND_TENANT} WHERE k.secret_hash = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok((key_from_row(&row)?, tenant_from_row(&row)?)))
            .transpose()
    }

    async fn find_api_key_by_id(
        &self,
        key_id: Uuid,
    ) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
        let sql = format!("{KEY_AND_TENANT} WHERE k.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| Ok((key_from_row(&row)?, tenant_from_row(&row)?)))
            .transpose()
    }

    async fn touch_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(micros(at))
            .bind(key_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError> {
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
                    serde_json::to_string(&event.violations).map_err(|error| {
                        StoreError::Invalid(format!("event violations: {error}"))
                    })?,
                )
            });
            vectors.push(
                self.search_index
                    .then(|| search_vector(event.tenant_id, &event.event_type, &event.metadata)),
            );
        }

        let mut tx = self.pool.begin().await?;
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
        enqueue_webhook_deliveries(&mut tx, &fresh).await?;
        stats::add_events(&mut tx, self.shard, &fresh).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn list_events(
        &self,
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
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn get_event(&self, tenant: TenantId, id: Uuid) -> Result<Option<Event>, StoreError> {
        let sql = format!("{EVENT_COLUMNS}$1 AND id = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(id)
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
        let mut by_type = QueryBuilder::<Postgres>::new(
            "SELECT event_type, COUNT(*) AS n FROM events WHERE tenant_id = ",
        );
        by_type.push_bind(tenant.0);
        push_filter(&mut by_type, filter);
        // Ties in bytewise order, as SQLite's BINARY collation gives.
        by_type.push(" GROUP BY event_type ORDER BY n DESC, event_type COLLATE \"C\"");
        let by_type: Vec<(String, u64)> = by_type
            .build()
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
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

    async fn top_values(
        &self,
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
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut counts = ValueCounts::default();
        for row in &rows {
            counts.with_key = count(row.try_get("with_key")?)?;
            counts
                .top
                .push((row.try_get("v")?, count(row.try_get("n")?)?));
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
        query: &search::Query,
        filter: &EventFilter,
        after: Option<SearchCursor>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let query = match &filter.text {
            Some(text) => query.and(text),
            None => query.clone(),
        };
        let filter = EventFilter {
            text: None,
            ..filter.clone()
        };
        // PostgreSQL keeps no corpus statistics, so rarity is measured among the matches:
        // each term that an event matches multiplies in 1 + its BM25-style idf over the hits
        // (an AND-only query gives every hit the same weight, and cover density decides).
        let mut sql = QueryBuilder::<Postgres>::new(
            "WITH hits AS MATERIALIZED (\
               SELECT id, tenant_id, event_type, ts, received_at, metadata, event_id, violations, search \
               FROM events WHERE tenant_id = ",
        );
        sql.push_bind(tenant.0)
            .push(" AND search @@ ")
            .push_bind(search::render::tsquery_search(&query, tenant))
            .push("::text::tsquery");
        push_filter(&mut sql, &filter);
        // The window: the tenant's most recent matches by id (commit order), as on SQLite.
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(search::RANK_WINDOW));
        sql.push(
            "), total AS (SELECT count(*)::float8 AS m FROM hits), \
             terms AS MATERIALIZED (\
               SELECT t.q, ln(1 + (total.m - t.df + 0.5) / (t.df + 0.5)) AS idf \
               FROM (SELECT q, (SELECT count(*) FROM hits WHERE hits.search @@ q)::float8 AS df \
                     FROM unnest(",
        )
        .push_bind(search::render::tsquery_terms(&query))
        .push(
            "::text[]::tsquery[]) AS q) AS t, total), \
             scored AS (\
               SELECT hits.*, ts_rank_cd(hits.search, ",
        )
        .push_bind(search::render::tsquery_rank(&query))
        .push(
            "::text::tsquery, 1)::float8 \
               * (1 + COALESCE((SELECT sum(terms.idf) FROM terms WHERE hits.search @@ terms.q), 0)) \
               AS score FROM hits) \
             SELECT id, tenant_id, event_type, ts, received_at, metadata::text AS metadata, \
                    event_id, violations::text AS violations, score \
             FROM scored WHERE TRUE",
        );
        if let Some(cursor) = after {
            sql.push(" AND (score < ")
                .push_bind(cursor.score)
                .push(" OR (score = ")
                .push_bind(cursor.score)
                .push(" AND (ts, id) < (")
                .push_bind(micros(cursor.timestamp))
                .push(", ")
                .push_bind(cursor.id)
                .push(")))");
        }
        sql.push(" ORDER BY score DESC, ts DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit));
        sql.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(endpoint.id)
        .bind(endpoint.tenant_id.0)
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_webhook_endpoints(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<hooks::Endpoint>, StoreError> {
        sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id")
            .bind(tenant.0)
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
        sqlx::query("SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id)
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
        sqlx::query(
            "UPDATE webhook_endpoints SET \
               url = COALESCE($1, url), \
               description = COALESCE($2, description), \
               event_types = COALESCE($3, event_types), \
               filter = CASE WHEN $10 THEN $11 ELSE filter END, \
               previous_secret = CASE WHEN $4::text IS NULL THEN previous_secret ELSE secret END, \
               previous_secret_until = CASE WHEN $4::text IS NULL THEN previous_secret_until ELSE $5 END, \
               secret = COALESCE($4, secret), \
               enabled = COALESCE($6, enabled), \
               disabled_reason = CASE WHEN $6::boolean IS NULL THEN disabled_reason ELSE NULL END, \
               failing_since = CASE WHEN $6::boolean THEN NULL ELSE failing_since END, \
               consecutive_failures = CASE WHEN $6::boolean THEN 0 ELSE consecutive_failures END, \
               circuit_open_until = CASE WHEN $6::boolean THEN NULL ELSE circuit_open_until END, \
               updated_at = $7 \
             WHERE tenant_id = $8 AND id = $9 RETURNING *",
        )
        .bind(update.url.as_deref())
        .bind(update.description.as_deref())
        .bind(update.event_types.as_deref().map(hooks::stored_event_types))
        .bind(new_secret)
        .bind(previous_until)
        .bind(update.enabled)
        .bind(micros(update.updated_at))
        .bind(tenant.0)
        .bind(id)
        .bind(update.filter.is_some())
        .bind(update.filter.as_ref().and_then(Option::as_deref))
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(webhook_endpoint_from_row)
        .transpose()
    }

    async fn delete_webhook_endpoint(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        // Deliveries and their attempts go with it (ON DELETE CASCADE).
        let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id)
            .execute(&self.pool)
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
             VALUES ($1, $2, $3, NULL, $4, 'pending', 0, $5, $5, $5)",
        )
        .bind(delivery.id)
        .bind(delivery.tenant_id.0)
        .bind(delivery.endpoint_id)
        .bind(&delivery.payload)
        .bind(micros(delivery.created_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_webhook_delivery(
        &self,
        tenant: TenantId,
        endpoint_id: Uuid,
        id: Uuid,
    ) -> Result<Option<hooks::Delivery>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0)
            .push(" AND d.endpoint_id = ")
            .push_bind(endpoint_id)
            .push(" AND d.id = ")
            .push_bind(id);
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
        let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0)
            .push(" AND d.endpoint_id = ")
            .push_bind(endpoint_id);
        if let Some(status) = status {
            query.push(" AND d.status = ").push_bind(status.as_str());
        }
        if let Some(event_id) = event_id {
            query.push(" AND d.event_id = ").push_bind(event_id);
        }
        if let Some(cursor) = after {
            query
                .push(" AND (d.created_at, d.id) < (")
                .push_bind(micros(cursor.timestamp))
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
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
        let mut query = QueryBuilder::<Postgres>::new(WEBHOOK_DELIVERIES);
        query
            .push_bind(hooks::TEST_EVENT_TYPE)
            .push(WEBHOOK_DELIVERIES_FROM)
            .push_bind(tenant.0)
            .push(" AND d.event_id = ")
            .push_bind(event_id)
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
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1 \
             WHERE tenant_id = $2 AND endpoint_id = $3 AND id = $4",
        )
        .bind(micros(at))
        .bind(tenant.0)
        .bind(endpoint_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
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
        sqlx::query(
            "UPDATE webhook_deliveries SET lease_until = NULL, leased_by = NULL \
             WHERE id = $1 AND leased_by = $2",
        )
        .bind(id)
        .bind(instance)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_webhook_attempt(
        &self,
        record: &hooks::AttemptRecord,
    ) -> Result<Option<(hooks::EndpointHealth, bool)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let at = micros(record.attempted_at);
        let succeeded = record.next == hooks::NextStep::Succeeded;
        // The endpoint's row first, then the delivery's: the order in which deleting an
        // endpoint locks them (it cascades to its deliveries), so that the two never wait on
        // each other in a cycle.
        let endpoint = sqlx::query(
            "UPDATE webhook_endpoints SET \
               consecutive_failures = CASE WHEN $1 THEN 0 ELSE consecutive_failures + 1 END, \
               failing_since = CASE WHEN $1 THEN NULL ELSE COALESCE(failing_since, $2) END, \
               last_success_at = CASE WHEN $1 THEN $2 ELSE last_success_at END, \
               last_failure_at = CASE WHEN $1 THEN last_failure_at ELSE $2 END, \
               circuit_open_until = CASE WHEN $1 THEN NULL ELSE circuit_open_until END \
             WHERE id = $3 \
             RETURNING failing_since, consecutive_failures, last_success_at, last_failure_at, \
               circuit_open_until, enabled",
        )
        .bind(succeeded)
        .bind(at)
        .bind(record.endpoint_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Locked, so that the holder cannot change between this read and the update.
        let holder: Option<Option<String>> =
            sqlx::query_scalar("SELECT leased_by FROM webhook_deliveries WHERE id = $1 FOR UPDATE")
                .bind(record.delivery_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (Some(endpoint), Some(holder)) = (endpoint, holder) else {
            // Deleted meanwhile (with its endpoint): nothing to record.
            tx.rollback().await?;
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, tenant_id, attempted_at, status_code, \
             error, latency_ms, response_body, request_headers, request_body, rule) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(record.id)
        .bind(record.delivery_id)
        .bind(record.tenant_id.0)
        .bind(at)
        .bind(record.status_code.map(i32::from))
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
        .execute(&mut *tx)
        .await?;
        let (status, next) = webhook_next_step(record.next);
        // The attempt counts whoever holds the lease; the state is the holder's to set.
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, updated_at = $1, \
               status = CASE WHEN $2 THEN $3 ELSE status END, \
               next_attempt_at = CASE WHEN $2 THEN $4 ELSE next_attempt_at END, \
               lease_until = CASE WHEN $2 THEN NULL ELSE lease_until END, \
               leased_by = CASE WHEN $2 THEN NULL ELSE leased_by END \
             WHERE id = $5",
        )
        .bind(at)
        .bind(holder.as_deref() == Some(record.instance.as_str()))
        .bind(status)
        .bind(next.map(micros))
        .bind(record.delivery_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((
            webhook_health_from_row(&endpoint)?,
            endpoint.try_get("enabled")?,
        )))
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
            "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND enabled AND failing_since = $5",
        )
        .bind(reason)
        .bind(micros(at))
        .bind(tenant.0)
        .bind(id)
        .bind(micros(failing_since))
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
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
        let (depth, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(d.created_at) FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status IN ('pending', 'failed') AND e.enabled",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(hooks::QueueStats {
            depth: count(depth)?,
            oldest_created_at: oldest,
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
        // Deliveries go by cascade; the search vector is a column of the row; the rollup in
        // the same statement.
        let chosen = |query: &mut QueryBuilder<Postgres>| match tenant {
            Some(tenant) => {
                query
                    .push("SELECT id FROM events WHERE tenant_id = ")
                    .push_bind(tenant.0)
                    .push(" AND id < ")
                    .push_bind(before)
                    .push(" ORDER BY id LIMIT ")
                    .push_bind(i64::from(limit));
            }
            None => {
                query
                    .push("SELECT id FROM events WHERE id < ")
                    .push_bind(before)
                    .push(
                        " AND tenant_id IN (SELECT id FROM tenants WHERE retention_days IS NULL) \
                         ORDER BY id LIMIT ",
                    )
                    .push_bind(i64::from(limit));
            }
        };
        stats::delete_events(&self.pool, -1 - self.shard, chosen).await
    }

    async fn prune_webhook_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE id IN \
             (SELECT id FROM webhook_deliveries \
              WHERE status IN ('succeeded', 'dead') AND updated_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(deleted.rows_affected())
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

async fn insert_key(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    key: &ApiKey,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, created_at, \
         last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.id)
    .bind(key.tenant_id.0)
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

/// Indexes the events stored before the search migration (their `search` is NULL), in chunks.
/// Several instances starting together may index the same rows; the result is the same.
async fn backfill_search_index(pool: &PgPool) -> Result<(), StoreError> {
    const CHUNK: i64 = 1000;
    let mut indexed = 0u64;
    loop {
        let rows: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(
            "SELECT id, tenant_id, event_type, metadata::text FROM events \
             WHERE search IS NULL ORDER BY id LIMIT $1",
        )
        .bind(CHUNK)
        .fetch_all(pool)
        .await?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut vectors = Vec::with_capacity(rows.len());
        for (id, tenant, event_type, metadata) in &rows {
            // Unreadable metadata (never written by Tributary) is indexed as empty rather than
            // stopping the start.
            let metadata: Map<String, Value> = serde_json::from_str(metadata).unwrap_or_default();
            ids.push(*id);
            vectors.push(search_vector(TenantId(*tenant), event_type, &metadata));
        }
        if !ids.is_empty() {
            sqlx::query(
                "UPDATE events SET search = input.search::tsvector \
                 FROM unnest($1::uuid[], $2::text[]) AS input (id, search) \
                 WHERE events.id = input.id AND events.search IS NULL",
            )
            .bind(&ids)
            .bind(&vectors)
            .execute(pool)
            .await?;
        }
        indexed += rows.len() as u64;
        if (rows.len() as i64) < CHUNK {
            if indexed > 0 {
                tracing::info!(indexed, "indexed the events stored before search existed");
            }
            return Ok(());
        }
    }
}

// --- webhooks ------------------------------------------------------------------------------

/// The webhook outbox, written inside `insert_events`' transaction: one pending delivery,
/// due at once, per enabled endpoint of each fresh event's tenant whose filter matches. The
/// endpoints of every tenant in the call are read with one query, the deliveries written with
/// another.
async fn enqueue_webhook_deliveries(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    fresh: &[&NewEvent],
) -> Result<(), StoreError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let tenants: Vec<Uuid> = fresh
        .iter()
        .map(|event| event.tenant_id.0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<(Uuid, Uuid, String, Option<String>)> = sqlx::query_as(
        "SELECT id, tenant_id, event_types, filter FROM webhook_endpoints \
         WHERE tenant_id = ANY($1) AND enabled",
    )
    .bind(&tenants)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut endpoints: HashMap<Uuid, Vec<hooks::OutboxEndpoint<Uuid>>> = HashMap::new();
    for (id, tenant, event_types, filter) in rows {
        endpoints
            .entry(tenant)
            .or_default()
            .push(hooks::OutboxEndpoint::from_stored(
                id,
                &event_types,
                filter.as_deref(),
            )?);
    }
    let mut ids = Vec::new();
    let mut tenant_ids = Vec::new();
    let mut endpoint_ids = Vec::new();
    let mut event_ids = Vec::new();
    let mut due = Vec::new();
    for event in fresh {
        let mut document = None;
        for target in endpoints.get(&event.tenant_id.0).into_iter().flatten() {
            if target.wants(&event.event_type, &event.metadata, &mut document) {
                ids.push(Uuid::now_v7());
                tenant_ids.push(event.tenant_id.0);
                endpoint_ids.push(target.id);
                event_ids.push(event.id);
                due.push(micros(event.received_at));
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at) \
         SELECT id, tenant_id, endpoint_id, event_id, 'pending', 0, due, due, due \
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[]) \
              AS input (id, tenant_id, endpoint_id, event_id, due)",
    )
    .bind(ids)
    .bind(tenant_ids)
    .bind(endpoint_ids)
    .bind(event_ids)
    .bind(due)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deliveries with their event type (`$1` binds the test deliveries' type); continue with a
/// tenant id bind.
const WEBHOOK_DELIVERIES: &str = "SELECT d.id, d.endpoint_id, d.event_id, d.status, d.attempts, \
     d.next_attempt_at, d.created_at, d.updated_at, COALESCE(ev.event_type, ";
const WEBHOOK_DELIVERIES_FROM: &str = ") AS event_type FROM webhook_deliveries d \
     LEFT JOIN events ev ON ev.id = d.event_id WHERE d.tenant_id = ";

fn webhook_health_from_row(row: &PgRow) -> Result<hooks::EndpointHealth, StoreError> {
    Ok(hooks::EndpointHealth {
        failing_since: row.try_get("failing_since")?,
        consecutive_failures: count(row.try_get("consecutive_failures")?)?,
        last_success_at: row.try_get("last_success_at")?,
        last_failure_at: row.try_get("last_failure_at")?,
        circuit_open_until: row.try_get("circuit_open_until")?,
    })
}

fn webhook_endpoint_from_row(row: &PgRow) -> Result<hooks::Endpoint, StoreError> {
    let previous_secret: Option<String> = row.try_get("previous_secret")?;
    let previous_until: Option<DateTime<Utc>> = row.try_get("previous_secret_until")?;
    Ok(hooks::Endpoint {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: hooks::parse_stored_event_types(row.try_get("event_types")?)?,
        filter: row.try_get("filter")?,
        secret: row.try_get("secret")?,
        previous_secret: previous_secret.zip(previous_until),
        enabled: row.try_get("enabled")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        health: webhook_health_from_row(row)?,
    })
}

fn webhook_delivery_from_row(row: &PgRow) -> Result<hooks::Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(hooks::Delivery {
        id: row.try_get("id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        status: hooks::DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("delivery status {status:?}")))?,
        attempts: u32::try_from(row.try_get::<i32, _>("attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        attempt_log: Vec::new(),
    })
}

/// Fills each delivery's `attempt_log`, oldest attempt first.
async fn attach_webhook_attempts(
    pool: &PgPool,
    deliveries: &mut [hooks::Delivery],
) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = deliveries.iter().map(|delivery| delivery.id).collect();
    let rows = sqlx::query(
        "SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY attempted_at, id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut by_delivery: HashMap<Uuid, Vec<hooks::Attempt>> = HashMap::new();
    for row in &rows {
        let attempt = hooks::Attempt {
            id: row.try_get("id")?,
            attempted_at: row.try_get("attempted_at")?,
            status_code: row
                .try_get::<Option<i32>, _>("status_code")?
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
        by_delivery
            .entry(row.try_get("delivery_id")?)
            .or_default()
            .push(attempt);
    }
    for delivery in deliveries {
        delivery.attempt_log = by_delivery.remove(&delivery.id).unwrap_or_default();
    }
    Ok(())
}

fn claimed_webhook_delivery_from_row(row: &PgRow) -> Result<hooks::ClaimedDelivery, StoreError> {
    let payload: Option<String> = row.try_get("d_payload")?;
    let message = match payload {
        Some(body) => hooks::Message::Body(body),
        None => hooks::Message::Event(event_from_row(row)?),
    };
    let previous_secret: Option<String> = row.try_get("e_previous_secret")?;
    let previous_until: Option<DateTime<Utc>> = row.try_get("e_previous_secret_until")?;
    Ok(hooks::ClaimedDelivery {
        id: row.try_get("d_id")?,
        tenant_id: TenantId(row.try_get("d_tenant_id")?),
        endpoint_id: row.try_get("d_endpoint_id")?,
        attempts: u32::try_from(row.try_get::<i32, _>("d_attempts")?)
            .map_err(|_| StoreError::Invalid("delivery attempts".into()))?,
        url: row.try_get("e_url")?,
        secret: row.try_get("e_secret")?,
        previous_secret: previous_secret.zip(previous_until),
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
