//! PostgreSQL: the privacy capability's table (`privacy_policies`; migration 0009), scoped by
//! tenant.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::privacy::{Policy, StoredPolicy};
use crate::store::StoreError;
use crate::tenants::TenantId;

pub(super) async fn set(
    pool: &PgPool,
    tenant: TenantId,
    policy: &Policy,
    new_key: &[u8],
    at: DateTime<Utc>,
) -> Result<StoredPolicy, StoreError> {
    let text = serde_json::to_string(policy)
        .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?;
    let row = sqlx::query(
        "INSERT INTO privacy_policies (tenant_id, policy, hash_key, updated_at) \
         VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (tenant_id) DO UPDATE \
         SET policy = excluded.policy, updated_at = excluded.updated_at \
         RETURNING policy::text AS policy, hash_key, updated_at",
    )
    .bind(tenant.0)
    .bind(text)
    .bind(new_key)
    .bind(super::micros(at))
    .fetch_one(pool)
    .await?;
    stored(&row)
}

pub(super) async fn get(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Option<StoredPolicy>, StoreError> {
    sqlx::query(
        "SELECT policy::text AS policy, hash_key, updated_at FROM privacy_policies \
         WHERE tenant_id = $1",
    )
    .bind(tenant.0)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

fn stored(row: &sqlx::postgres::PgRow) -> Result<StoredPolicy, StoreError> {
    let policy: String = row.try_get("policy")?;
    Ok(StoredPolicy {
        policy: serde_json::from_str(&policy)
            .map_err(|error| StoreError::Invalid(format!("privacy policy: {error}")))?,
        hash_key: row.try_get("hash_key")?,
        updated_at: row.try_get("updated_at")?,
    })
}
