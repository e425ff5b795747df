//! The privacy API: a tenant's redaction policy (read with `read`, changed with `manage`; the
//! admin names the tenant with `tenant_id`) and a preview of what a policy does to an event.
//! A change is in force on this instance before it is answered, and on the others as soon as
//! they hear the bus's notice.

use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::redact::Redactor;
use super::{DetectorRule, Policy, Rule};
use crate::audit::AuditNote;
use crate::auth::{Principal, Scope};
use crate::bus::Notice;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::AppJson;
use crate::tenants::TenantId;

/// Bytes of a tenant's hashing key.
const HASH_KEY_BYTES: usize = 32;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(get_privacy).put(put_privacy))
        .route("/privacy/preview", post(preview))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPrivacy {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub detectors: Vec<DetectorRule>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrivacySettings {
    pub rules: Vec<Rule>,
    pub detectors: Vec<DetectorRule>,
    /// When the policy was last saved; null when it never was.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    /// An event's metadata, as it would be sent.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// A policy to try instead of the saved one.
    pub policy: Option<Policy>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// The metadata as it would be stored.
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
}

fn tenant_query(raw: Option<&str>) -> Result<Option<TenantId>, ApiError> {
    Ok(crate::webhooks::parse_tenant_query(raw)?)
}

/// The tenant's redaction policy (the hashing key is never shown).
#[utoipa::path(
    get, path = "/api/v1/privacy", tag = "privacy",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = PrivacySettings),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_privacy(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<PrivacySettings>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Read, tenant_query(query.as_deref())?)
        .await?;
    Ok(Json(match state.store.privacy_policy(tenant).await? {
        Some(stored) => PrivacySettings {
            rules: stored.policy.rules,
            detectors: stored.policy.detectors,
            updated_at: Some(stored.updated_at),
        },
        None => PrivacySettings {
            rules: Vec::new(),
            detectors: Vec::new(),
            updated_at: None,
        },
    }))
}

/// Replace the tenant's redaction policy: rules (a metadata path → `drop`, `mask` or `hash`,
/// applied in order) and detectors (`email`, `iban`, `card`, `phone`, each with an action),
/// applied to every event before it is stored, streamed or delivered. Events stored before
/// are not changed.
#[utoipa::path(
    put, path = "/api/v1/privacy", tag = "privacy", request_body = PutPrivacy,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 200, body = PrivacySettings),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn put_privacy(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<PutPrivacy>,
) -> Result<(AuditNote, Json<PrivacySettings>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    principal.require_active()?;
    let policy = Policy {
        rules: body.rules,
        detectors: body.detectors,
    };
    policy.validate()?;
    // The audit log's before and after: the settings, never the hashing key.
    let before = state.store.privacy_policy(tenant).await?.map(|stored| {
        json!({"rules": stored.policy.rules, "detectors": stored.policy.detectors,
               "updated_at": stored.updated_at})
    });
    let key: [u8; HASH_KEY_BYTES] = rand::rng().random();
    let stored = state
        .store
        .set_privacy_policy(tenant, &policy, &key, state.clock.now())
        .await?;
    state.privacy.invalidate(tenant);
    state.bus.notify(Notice::PrivacyChanged(tenant));
    let after = PrivacySettings {
        rules: stored.policy.rules,
        detectors: stored.policy.detectors,
        updated_at: Some(stored.updated_at),
    };
    let note = AuditNote::default().before(&before).after(&after);
    Ok((note, Json(after)))
}

/// What a policy (the saved one, or the one given) does to an event's metadata; nothing is
/// stored. Hashes match the stored ones once the tenant has saved a policy.
#[utoipa::path(
    post, path = "/api/v1/privacy/preview", tag = "privacy", request_body = PreviewRequest,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 200, body = Preview),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn preview(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<PreviewRequest>,
) -> Result<Json<Preview>, ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal.tenant_for(&state, Scope::Read, requested).await?;
    let mut metadata = body.metadata;
    match body.policy {
        Some(policy) => {
            policy.validate().map_err(|error| {
                crate::error::ValidationError::new(format!("policy.{}", error.field), error.message)
            })?;
            let key = match state.store.privacy_policy(tenant).await? {
                Some(stored) => stored.hash_key,
                None => rand::rng().random::<[u8; HASH_KEY_BYTES]>().to_vec(),
            };
            Redactor::new(&policy, key).redact(&mut metadata);
        }
        None => state.privacy.redactor(tenant).await?.redact(&mut metadata),
    }
    Ok(Json(Preview { metadata }))
}
