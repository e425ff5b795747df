//! SQLite: the admin token (`settings`), tenants and their API keys (`tenants`, `api_keys`).
//! Every query on keys is scoped by tenant, except those of authentication: the lookups by
//! secret hash or key id (which return the key's tenant with it) and the mark of a key's last
//! use. A tenant and its first key are written in one transaction, so that no tenant exists
//! without a key.

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite};
use uuid::Uuid;

use super::{from_micros, micros, parse_uuid};
use crate::auth::{ApiKey, Scope};
use crate::store::StoreError;
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

const KEY_AND_TENANT: &str = "SELECT k.id AS k_id, k.tenant_id AS k_tenant_id, k.name AS k_name, \
     k.prefix AS k_prefix, k.secret_hash AS k_secret_hash, k.scopes AS k_scopes, \
     k.created_at AS k_created_at, k.last_used_at AS k_last_used_at, k.revoked_at AS k_revoked_at, \
     t.id, t.name, t.status, t.rate_per_second, t.rate_burst, t.created_at, t.retention_days \
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id";

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

pub(super) async fn admin_token_hash(pool: &SqlitePool) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(ADMIN_TOKEN_KEY)
            .fetch_optional(pool)
            .await?,
    )
}

pub(super) async fn init_admin_token_hash(
    writer: &SqlitePool,
    hash: &[u8],
) -> Result<bool, StoreError> {
    let result =
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(ADMIN_TOKEN_KEY)
            .bind(hash)
            .execute(writer)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn create(
    writer: &SqlitePool,
    tenant: &Tenant,
    first_key: &ApiKey,
) -> Result<(), StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
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

pub(super) async fn list(pool: &SqlitePool) -> Result<Vec<Tenant>, StoreError> {
    sqlx::query("SELECT * FROM tenants ORDER BY created_at, id")
        .fetch_all(pool)
        .await?
        .iter()
        .map(tenant_from_row)
        .collect()
}

pub(super) async fn get(pool: &SqlitePool, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
    sqlx::query("SELECT * FROM tenants WHERE id = ?")
        .bind(tenant.0.to_string())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(tenant_from_row)
        .transpose()
}

/// Writes on `writer`, then reads the tenant back on `pool`.
pub(super) async fn update(
    pool: &SqlitePool,
    writer: &SqlitePool,
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
    .execute(writer)
    .await;
    match result {
        Err(error) if unique_violation(&error) => Err(StoreError::Conflict("tenant name")),
        Err(error) => Err(error.into()),
        Ok(_) => get(pool, tenant).await,
    }
}

pub(super) async fn create_key(writer: &SqlitePool, key: &ApiKey) -> Result<(), StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    insert_key(&mut tx, key).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_keys(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<ApiKey>, StoreError> {
    sqlx::query(
        "SELECT id AS k_id, tenant_id AS k_tenant_id, name AS k_name, prefix AS k_prefix, \
         secret_hash AS k_secret_hash, scopes AS k_scopes, created_at AS k_created_at, \
         last_used_at AS k_last_used_at, revoked_at AS k_revoked_at \
         FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
    )
    .bind(tenant.0.to_string())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| key_from_row(row, "k_"))
    .collect()
}

pub(super) async fn revoke_key(
    writer: &SqlitePool,
    tenant: TenantId,
    key_id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
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

pub(super) async fn find_key_by_hash(
    pool: &SqlitePool,
    secret_hash: &[u8],
) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
    let sql = format!("{KEY_AND_TENANT} WHERE k.secret_hash = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(secret_hash)
        .fetch_optional(pool)
        .await?
        .map(|row| Ok((key_from_row(&row, "k_")?, tenant_from_row(&row)?)))
        .transpose()
}

pub(super) async fn find_key_by_id(
    pool: &SqlitePool,
    key_id: Uuid,
) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
    let sql = format!("{KEY_AND_TENANT} WHERE k.id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key_id.to_string())
        .fetch_optional(pool)
        .await?
        .map(|row| Ok((key_from_row(&row, "k_")?, tenant_from_row(&row)?)))
        .transpose()
}

pub(super) async fn touch_key(
    writer: &SqlitePool,
    key_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
        .bind(micros(at))
        .bind(key_id.to_string())
        .execute(writer)
        .await?;
    Ok(())
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
