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
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{Backend, Store, StoreError};
use crate::auth::{ApiKey, Scope};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
};
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects and applies the migrations. sqlx takes an advisory lock while migrating, so
    /// several instances starting together on one database do not race.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostgresStore { pool })
    }
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
    })
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
    })
}

const TENANT_COLUMNS: &str = "id, name, status, rate_per_second, rate_burst, created_at";

const KEY_COLUMNS: &str = "id AS k_id, tenant_id AS k_tenant_id, name AS k_name, \
     prefix AS k_prefix, secret_hash AS k_secret_hash, scopes AS k_scopes, \
     created_at AS k_created_at, last_used_at AS k_last_used_at, revoked_at AS k_revoked_at";

const KEY_AND_TENANT: &str = "SELECT k.id AS k_id, k.tenant_id AS k_tenant_id, k.name AS k_name, \
     k.prefix AS k_prefix, k.secret_hash AS k_secret_hash, k.scopes AS k_scopes, \
     k.created_at AS k_created_at, k.last_used_at AS k_last_used_at, k.revoked_at AS k_revoked_at, \
     t.id, t.name, t.status, t.rate_per_second, t.rate_burst, t.created_at \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id";

/// Metadata goes out as text so that PostgreSQL never re-renders it (`json` keeps the text).
const EVENT_COLUMNS: &str = "SELECT id, tenant_id, event_type, ts, received_at, metadata::text AS metadata, event_id \
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
        // `#>>` would also index into arrays ("0" as an element number); SQLite's quoted path
        // segments only name object keys, so require every container on the way to be an
        // object. The root always is one.
        for depth in 1..path.len() {
            query
                .push(" AND json_typeof(")
                .push(SEARCHABLE_METADATA)
                .push(" #> ")
                .push_bind(path[..depth].to_vec())
                .push("::text[]) = 'object'");
        }
        // `#>>` renders strings by content and numbers and booleans by their JSON text, which
        // is what the SQLite store's CASE over json_type produces.
        query
            .push(" AND ")
            .push(SEARCHABLE_METADATA)
            .push(" #>> ")
            .push_bind(path.clone())
            .push("::text[] = ")
            .push_bind(value.clone());
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
            "INSERT INTO tenants (id, name, status, rate_per_second, rate_burst, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant.id.0)
        .bind(&tenant.name)
        .bind(tenant.status.as_str())
        .bind(i64::from(tenant.rate_limit.per_second))
        .bind(i64::from(tenant.rate_limit.burst))
        .bind(micros(tenant.created_at))
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
             rate_burst = COALESCE($4, rate_burst) \
             WHERE id = $5 RETURNING {TENANT_COLUMNS}"
        );
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(update.name.as_deref())
            .bind(update.status.map(TenantStatus::as_str))
            .bind(update.rate_limit.map(|r| i64::from(r.per_second)))
            .bind(update.rate_limit.map(|r| i64::from(r.burst)))
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
        }

        let mut tx = self.pool.begin().await?;
        // unnest yields the rows in array order, which keeps the lock order above.
        let inserted: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata, event_id) \
             SELECT id, tenant_id, event_type, ts, received_at, metadata::json, event_id \
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], \
                         $5::timestamptz[], $6::text[], $7::text[]) \
                  AS input (id, tenant_id, event_type, ts, received_at, metadata, event_id) \
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
