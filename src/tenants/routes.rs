//! Tenant and API key endpoints. Creating and changing tenants is for the admin; a tenant's
//! own credential sees its own record, and with `manage` handles its keys. Another tenant's
//! record or keys are reported as not found.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate, parse_tenant_name,
    validate_retention_days,
};
use crate::audit::AuditNote;
use crate::auth::keys::{generate_api_key, hash_secret};
use crate::auth::principal::credentials_changed;
use crate::auth::{ApiKey, Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AppJson, AppPath, parse_id};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Unique, 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Defaults from the server's configuration.
    pub rate_limit: Option<RateLimit>,
    /// Days the tenant's events are kept, 0 (forever) to 36,500; absent or null: the server's
    /// `retention.events_days`.
    #[schema(minimum = 0, maximum = 36500)]
    pub retention_days: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub status: Option<TenantStatus>,
    /// Days the tenant's events are kept, 0 (forever) to 36,500; null goes back to the
    /// server's `retention.events_days`; absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 36500)]
    pub retention_days: Option<Option<u32>>,
}

/// Tells a field given as null (`Some(None)`) from one left out (`None`, through `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// 1–100 characters, to tell keys apart.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// At least one of `ingest`, `read`, `manage`.
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

/// An API key as shown by the API. `key` (the secret) is present only when it was just made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The first characters of the key, to recognize it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyView {
    fn from_key(key: ApiKey, secret: Option<String>) -> Self {
        ApiKeyView {
            id: key.id,
            name: key.name,
            key: secret,
            prefix: key.prefix,
            scopes: key.scopes,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedTenant {
    #[serde(flatten)]
    pub tenant: Tenant,
    /// The first key, with all scopes; its secret is shown only here.
    pub api_key: ApiKeyView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<Tenant>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<ApiKeyView>,
}

fn require_admin(principal: &Principal) -> Result<(), ApiError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the admin token can do this"))
    }
}

fn parse_key_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "name",
            "name must be 1-100 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

fn new_key(
    tenant: TenantId,
    name: String,
    mut scopes: Vec<Scope>,
    now: DateTime<Utc>,
) -> (ApiKey, String) {
    scopes.sort();
    scopes.dedup();
    let (secret, prefix) = generate_api_key();
    let key = ApiKey {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name,
        prefix,
        secret_hash: hash_secret(&secret),
        scopes,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    (key, secret)
}

/// The tenant a key-management call acts on: the admin, or this tenant's `manage` credential.
fn manageable_tenant(principal: &Principal, raw: &str) -> Result<TenantId, ApiError> {
    let tenant = TenantId(parse_id(raw, "tenant")?);
    if !principal.can_see_tenant(tenant) {
        return Err(ApiError::NotFound("tenant"));
    }
    principal.require(Scope::Manage)?;
    Ok(tenant)
}

/// Create a tenant with a first API key (admin).
#[utoipa::path(
    post, path = "/api/v1/tenants", tag = "tenants", request_body = CreateTenant,
    responses(
        (status = 201, body = CreatedTenant),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_tenant(
    State(state): State<AppState>,
    principal: Principal,
    AppJson(body): AppJson<CreateTenant>,
) -> Result<(StatusCode, AuditNote, Json<CreatedTenant>), ApiError> {
    require_admin(&principal)?;
    let defaults = &state.config.ratelimit;
    let rate_limit = body
        .rate_limit
        .unwrap_or(RateLimit {
            per_second: defaults.default_per_second,
            burst: defaults.default_burst,
        })
        .validate("rate_limit")?;
    let now = state.clock.now();
    let tenant = Tenant {
        id: TenantId(Uuid::now_v7()),
        name: parse_tenant_name(&body.name)?,
        status: TenantStatus::Active,
        created_at: now,
        rate_limit,
        retention_days: body
            .retention_days
            .map(validate_retention_days)
            .transpose()?,
    };
    let (key, secret) = new_key(tenant.id, "default".into(), Scope::ALL.to_vec(), now);
    state.store.create_tenant(&tenant, &key).await?;
    tracing::info!(tenant_id = %tenant.id, name = %tenant.name, "tenant created");
    // The change belongs to the tenant it created; the record shows its first key without
    // the secret.
    let note = AuditNote::target(tenant.id)
        .tenant(tenant.id)
        .after(&CreatedTenant {
            tenant: tenant.clone(),
            api_key: ApiKeyView::from_key(key.clone(), None),
        });
    let api_key = ApiKeyView::from_key(key, Some(secret));
    Ok((
        StatusCode::CREATED,
        note,
        Json(CreatedTenant { tenant, api_key }),
    ))
}

/// List tenants: all of them for the admin, its own for a tenant credential.
#[utoipa::path(
    get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, body = TenantList), (status = 401, body = ErrorBody)),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_tenants(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<TenantList>, ApiError> {
    let tenants = match principal.own_tenant() {
        None => state.store.list_tenants().await?,
        Some(own) => state.store.get_tenant(own.id).await?.into_iter().collect(),
    };
    Ok(Json(TenantList { tenants }))
}

/// One tenant (admin, or that tenant's credential).
#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, body = Tenant), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_tenant(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(tenant_id): AppPath<String>,
) -> Result<Json<Tenant>, ApiError> {
    let tenant = TenantId(parse_id(&tenant_id, "tenant")?);
    if !principal.can_see_tenant(tenant) {
        return Err(ApiError::NotFound("tenant"));
    }
    Ok(Json(
        state
            .store
            .get_tenant(tenant)
            .await?
            .ok_or(ApiError::NotFound("tenant"))?,
    ))
}

/// Rename, change the rate limit, suspend or reactivate a tenant (admin).
#[utoipa::path(
    patch, path = "/api/v1/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = Uuid, Path)), request_body = UpdateTenant,
    responses(
        (status = 200, body = Tenant),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn update_tenant(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(tenant_id): AppPath<String>,
    AppJson(body): AppJson<UpdateTenant>,
) -> Result<(AuditNote, Json<Tenant>), ApiError> {
    let tenant = TenantId(parse_id(&tenant_id, "tenant")?);
    if !principal.can_see_tenant(tenant) {
        return Err(ApiError::NotFound("tenant"));
    }
    require_admin(&principal)?;
    let update = TenantUpdate {
        name: body.name.as_deref().map(parse_tenant_name).transpose()?,
        rate_limit: body
            .rate_limit
            .map(|r| r.validate("rate_limit"))
            .transpose()?,
        status: body.status,
        retention_days: body
            .retention_days
            .map(|days| days.map(validate_retention_days).transpose())
            .transpose()?,
    };
    let before = state
        .store
        .get_tenant(tenant)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    let updated = state
        .store
        .update_tenant(tenant, &update)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    credentials_changed(&state, tenant);
    let note = AuditNote::target(tenant).before(&before).after(&updated);
    Ok((note, Json(updated)))
}

/// Issue an API key; its secret is in this response only.
#[utoipa::path(
    post, path = "/api/v1/tenants/{tenant_id}/keys", tag = "keys",
    params(("tenant_id" = Uuid, Path)), request_body = CreateKey,
    responses(
        (status = 201, body = ApiKeyView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_key(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(tenant_id): AppPath<String>,
    AppJson(body): AppJson<CreateKey>,
) -> Result<(StatusCode, AuditNote, Json<ApiKeyView>), ApiError> {
    let tenant = manageable_tenant(&principal, &tenant_id)?;
    principal.require_active()?;
    let name = parse_key_name(&body.name)?;
    if body.scopes.is_empty() {
        return Err(ApiError::validation(
            "scopes",
            "scopes must name at least one of ingest, read, manage",
        ));
    }
    if state.store.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound("tenant"));
    }
    let (key, secret) = new_key(tenant, name, body.scopes, state.clock.now());
    state.store.create_api_key(&key).await?;
    let note = AuditNote::target(key.id).after(&ApiKeyView::from_key(key.clone(), None));
    Ok((
        StatusCode::CREATED,
        note,
        Json(ApiKeyView::from_key(key, Some(secret))),
    ))
}

/// List a tenant's keys (secrets are never shown again).
#[utoipa::path(
    get, path = "/api/v1/tenants/{tenant_id}/keys", tag = "keys",
    params(("tenant_id" = Uuid, Path)),
    responses(
        (status = 200, body = KeyList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_keys(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(tenant_id): AppPath<String>,
) -> Result<Json<KeyList>, ApiError> {
    let tenant = manageable_tenant(&principal, &tenant_id)?;
    if state.store.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound("tenant"));
    }
    let keys = state.store.list_api_keys(tenant).await?;
    Ok(Json(KeyList {
        keys: keys
            .into_iter()
            .map(|key| ApiKeyView::from_key(key, None))
            .collect(),
    }))
}

/// Revoke a key; it stops working at once, and so do JWTs issued for it.
#[utoipa::path(
    delete, path = "/api/v1/tenants/{tenant_id}/keys/{key_id}", tag = "keys",
    params(("tenant_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked (also when it already was)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    AppPath((tenant_id, key_id)): AppPath<(String, String)>,
) -> Result<(AuditNote, StatusCode), ApiError> {
    let tenant = manageable_tenant(&principal, &tenant_id)?;
    let key_id = parse_id(&key_id, "API key")?;
    let before = state
        .store
        .find_api_key_by_id(key_id)
        .await?
        .map(|(key, _)| key)
        .filter(|key| key.tenant_id == tenant)
        .ok_or(ApiError::NotFound("API key"))?;
    let now = state.clock.now();
    if !state.store.revoke_api_key(tenant, key_id, now).await? {
        return Err(ApiError::NotFound("API key"));
    }
    credentials_changed(&state, tenant);
    // Revoking twice keeps the first time.
    let after = ApiKey {
        revoked_at: before.revoked_at.or(Some(now)),
        ..before.clone()
    };
    let note = AuditNote::target(key_id)
        .before(&ApiKeyView::from_key(before, None))
        .after(&ApiKeyView::from_key(after, None));
    Ok((note, StatusCode::NO_CONTENT))
}
