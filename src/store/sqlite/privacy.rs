//! SQLite: the privacy capability's table (`privacy_policies`; migration 0009), scoped by
//! tenant.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use super::{from_micros, micros};
use crate::privacy::{Policy, StoredPolicy};
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn get(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Option<StoredPolicy>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT policy, hash_key, updated_at FROM privacy_policies WHERE tenant_id = ?",
    )
    .bind(tenant.0.to_string())
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let policy: String = row.try_get("policy")?;
    Ok(Some(StoredPolicy {
        policy: serde_json::from_str(&policy)
            .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?,
        hash_key: row.try_get("hash_key")?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    }))
}

pub(super) async fn set(
    pool: &SqlitePool,
    tenant: TenantId,
    policy: &Policy,
    new_key: &[u8],
    at: DateTime<Utc>,
) -> Result<StoredPolicy, StoreError> {
    let text = serde_json::to_string(policy)
        .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?;
    sqlx::query(
        "INSERT INTO privacy_policies (tenant_id, policy, hash_key, updated_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE \
         SET policy = excluded.policy, updated_at = excluded.updated_at",
    )
    .bind(tenant.0.to_string())
    .bind(text)
    .bind(new_key)
    .bind(micros(at))
    .execute(pool)
    .await?;
    get(pool, tenant)
        .await?
        .ok_or_else(|| StoreError::Invalid("privacy policy vanished after saving".into()))
}
