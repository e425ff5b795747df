//! The embedded store: one SQLite file in WAL mode with foreign keys on and
//! `synchronous = FULL`, so that a committed transaction survives a crash of the process or the
//! machine. Writes of events come from the single group committer, so write transactions
//! rarely wait on each other; `BEGIN IMMEDIATE` takes the write lock up front, which avoids the
//! deadlock-prone upgrade from a read lock.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::{Backend, Store, StoreError, sqlite_json_path};
use crate::auth::{ApiKey, Scope};
use crate::events::{
    Event, EventCounts, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval,
};
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(parent) = Path::new(options.get_filename()).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
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
    })
}

const KEY_AND_TENANT: &str = "SELECT k.id AS k_id, k.tenant_id AS k_tenant_id, k.name AS k_name, \
     k.prefix AS k_prefix, k.secret_hash AS k_secret_hash, k.scopes AS k_scopes, \
     k.created_at AS k_created_at, k.last_used_at AS k_last_used_at, k.revoked_at AS k_revoked_at, \
     t.id, t.name, t.status, t.rate_per_second, t.rate_burst, t.created_at \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id";

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
        // Compare the value's JSON text, as PostgreSQL's #>> does: json_extract would turn
        // numbers into SQL values and re-render them (1e20 as 1.0e+20), so non-strings are
        // read with ->, which keeps their JSON text.
        let path = sqlite_json_path(path);
        query
            .push(" AND (CASE json_type(metadata, ")
            .push_bind(path.clone())
            .push(") WHEN 'text' THEN json_extract(metadata, ")
            .push_bind(path.clone())
            .push(") WHEN 'null' THEN NULL ELSE metadata -> ")
            .push_bind(path)
            .push(" END) = ")
            .push_bind(value.clone());
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
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn create_tenant(&self, tenant: &Tenant, first_key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, name, status, rate_per_second, rate_burst, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.id.0.to_string())
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
             rate_per_second = COALESCE(?, rate_per_second), rate_burst = COALESCE(?, rate_burst) \
             WHERE id = ?",
        )
        .bind(update.name.as_deref())
        .bind(update.status.map(TenantStatus::as_str))
        .bind(update.rate_limit.map(|r| i64::from(r.per_second)))
        .bind(update.rate_limit.map(|r| i64::from(r.burst)))
        .bind(tenant.0.to_string())
        .execute(&self.pool)
        .await;
        match result {
            Err(error) if unique_violation(&error) => Err(StoreError::Conflict("tenant name")),
            Err(error) => Err(error.into()),
            Ok(_) => self.get_tenant(tenant).await,
        }
    }

    async fn create_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut outcomes = Vec::with_capacity(events.len());
        for event in events {
            let metadata = serde_json::to_string(&event.metadata)
                .map_err(|error| StoreError::Invalid(format!("event metadata: {error}")))?;
            let inserted = sqlx::query(
                "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata, event_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, event_id) DO NOTHING",
            )
            .bind(event.id.to_string())
            .bind(event.tenant_id.0.to_string())
            .bind(&event.event_type)
            .bind(micros(event.timestamp))
            .bind(micros(event.received_at))
            .bind(metadata)
            .bind(event.event_id.as_deref())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
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
        query
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
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
        let mut by_type = QueryBuilder::<Sqlite>::new(
            "SELECT event_type, COUNT(*) AS n FROM events WHERE tenant_id = ",
        );
        by_type.push_bind(tenant.0.to_string());
        push_filter(&mut by_type, filter);
        by_type.push(" GROUP BY event_type ORDER BY n DESC, event_type");
        let by_type: Vec<(String, u64)> = by_type
            .build()
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<i64, _>("bucket")? * interval.seconds(),
                    row.try_get::<i64, _>("n")? as u64,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?;

        Ok(EventCounts {
            total: by_type.iter().map(|(_, n)| n).sum(),
            by_type,
            buckets,
        })
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
