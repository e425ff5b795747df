//! PostgreSQL: the admin token (`settings`), tenants and their API keys (`tenants`,
//! `api_keys`). Every query on keys is scoped by tenant, except those of authentication: the
//! lookups by secret hash or key id (which return the key's tenant with it) and the mark of a
//! key's last use. A tenant and its first key are written in one transaction, so that no tenant
//! exists without a key.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row};
use uuid::Uuid;

use super::micros;
use crate::auth::{ApiKey, Scope};
use crate::store::StoreError;
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};

const ADMIN_TOKEN_KEY: &str = "admin_token_sha256";

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

fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
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

pub(super) async fn admin_token_hash(pool: &PgPool) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(ADMIN_TOKEN_KEY)
            .fetch_optional(pool)
            .await?,
    )
}

pub(super) async fn init_admin_token_hash(pool: &PgPool, hash: &[u8]) -> Result<bool, StoreError> {
    let result = sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(ADMIN_TOKEN_KEY)
    .bind(hash)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn create(
    pool: &PgPool,
    tenant: &Tenant,
    first_key: &ApiKey,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
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

pub(super) async fn list(pool: &PgPool) -> Result<Vec<Tenant>, StoreError> {
    let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created_at, id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
        .iter()
        .map(tenant_from_row)
        .collect()
}

pub(super) async fn get(pool: &PgPool, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
    let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.0)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(tenant_from_row)
        .transpose()
}

pub(super) async fn update(
    pool: &PgPool,
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
        .fetch_optional(pool)
        .await;
    match result {
        Err(error) if unique_violation(&error) => Err(StoreError::Conflict("tenant name")),
        Err(error) => Err(error.into()),
        Ok(row) => row.as_ref().map(tenant_from_row).transpose(),
    }
}

pub(super) async fn create_key(pool: &PgPool, key: &ApiKey) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    insert_key(&mut tx, key).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_keys(pool: &PgPool, tenant: TenantId) -> Result<Vec<ApiKey>, StoreError> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tenant.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(key_from_row)
        .collect()
}

pub(super) async fn revoke_key(
    pool: &PgPool,
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
    .fetch_one(pool)
    .await?;
    Ok(exists)
}

pub(super) async fn find_key_by_hash(
    pool: &PgPool,
    secret_hash: &[u8],
) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
    let sql = format!("{KEY_AND_TENANT} WHERE k.secret_hash = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(secret_hash)
        .fetch_optional(pool)
        .await?
        .map(|row| Ok((key_from_row(&row)?, tenant_from_row(&row)?)))
        .transpose()
}

pub(super) async fn find_key_by_id(
    pool: &PgPool,
    key_id: Uuid,
) -> Result<Option<(ApiKey, Tenant)>, StoreError> {
    let sql = format!("{KEY_AND_TENANT} WHERE k.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key_id)
        .fetch_optional(pool)
        .await?
        .map(|row| Ok((key_from_row(&row)?, tenant_from_row(&row)?)))
        .transpose()
}

pub(super) async fn touch_key(
    pool: &PgPool,
    key_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(micros(at))
        .bind(key_id)
        .execute(pool)
        .await?;
    Ok(())
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
