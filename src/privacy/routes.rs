//! The privacy API: a tenant's redaction policy (read with `read`, changed with `manage`; the
//! admin names the tenant with `tenant_id`) and a preview of what a policy does to an event;
//! deletion jobs and suppressions (both `manage` only, since they name people). A change of
//! policy or suppressions is in force on this instance before it is answered, and on the others
//! as soon as they hear the bus's notice.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::deletions::{Deletion, DeletionSpec, DeliveredTo, State as DeletionState, StoredSpec};
use super::redact::Redactor;
use super::subject::Subject;
use super::suppressions::{self, Suppression};
use super::{DetectorRule, Policy, Rule};
use crate::audit::AuditNote;
use crate::auth::{Principal, Scope};
use crate::bus::Notice;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AppJson, AppPath, parse_id};
use crate::tenants::TenantId;

/// Bytes of a tenant's hashing key.
const HASH_KEY_BYTES: usize = 32;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(get_privacy).put(put_privacy))
        .route("/privacy/preview", post(preview))
        .route("/deletions", get(list_deletions).post(create_deletion))
        .route("/deletions/{id}", get(get_deletion))
        .route("/deletions/{id}/cancel", post(cancel_deletion))
        .route(
            "/suppressions",
            get(list_suppressions).post(create_suppression),
        )
        .route("/suppressions/{id}", delete(delete_suppression))
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
        None => state
            .privacy
            .settings(tenant)
            .await?
            .redactor
            .redact(&mut metadata),
    }
    Ok(Json(Preview { metadata }))
}

// --- deletions -------------------------------------------------------------------------------

/// Most jobs `GET /deletions` lists.
const LISTED_DELETIONS: u32 = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeletion {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    /// The subject: `{"meta.user_id": "u-42"}`; every pair must match (values compare as the
    /// list's `meta.<key>=<value>` filters).
    #[serde(rename = "match")]
    #[schema(value_type = Option<Object>)]
    pub subject: Option<Map<String, Value>>,
    /// A search query in the language of `GET /events/search` (with `match`, both must match).
    pub query: Option<String>,
    /// Only events at or after this timestamp.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this timestamp.
    pub to: Option<DateTime<Utc>>,
    /// Count the matching events and list the endpoints that received them; delete nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeletionJob)]
pub struct DeletionView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[serde(rename = "match")]
    #[schema(value_type = Option<Object>)]
    pub subject: Option<Map<String, Value>>,
    pub query: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub dry_run: bool,
    pub state: DeletionState,
    /// Events found matching so far (final once the state is `done`).
    pub matched: u64,
    /// Events deleted so far (0 in a dry run).
    pub deleted: u64,
    /// Webhook endpoints that had been sent some of these events: they cannot be recalled.
    pub delivered_to: Vec<DeliveredTo>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Deletion> for DeletionView {
    fn from(job: Deletion) -> Self {
        let StoredSpec {
            subject,
            query,
            from,
            to,
        } = job.spec;
        DeletionView {
            id: job.id,
            tenant_id: job.tenant_id.0,
            subject,
            query,
            from,
            to,
            dry_run: job.dry_run,
            state: job.state,
            matched: job.matched,
            deleted: job.deleted,
            delivered_to: job.delivered_to,
            error: job.error,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionList {
    /// Newest first, at most 100.
    pub deletions: Vec<DeletionView>,
}

/// Start a deletion job: the tenant's events of a subject (and/or matching a search query,
/// within an optional time range) are deleted in the background with their search entries,
/// counts and webhook deliveries, surviving restarts. A dry run only counts. Poll
/// `GET /api/v1/deletions/{id}` for progress.
#[utoipa::path(
    post, path = "/api/v1/deletions", tag = "privacy", request_body = CreateDeletion,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 202, body = DeletionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_deletion(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<CreateDeletion>,
) -> Result<(StatusCode, AuditNote, Json<DeletionView>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    let spec = DeletionSpec::parse(&StoredSpec {
        subject: body.subject,
        query: body.query,
        from: body.from,
        to: body.to,
    })?;
    let job = Deletion::new(tenant, &spec, body.dry_run, state.clock.now());
    state.store.create_deletion(&job).await?;
    let view = DeletionView::from(job);
    let note = AuditNote::target(view.id).after(&view);
    Ok((StatusCode::ACCEPTED, note, Json(view)))
}

/// The tenant's deletion jobs, newest first.
#[utoipa::path(
    get, path = "/api/v1/deletions", tag = "privacy",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = DeletionList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_deletions(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<DeletionList>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let jobs = state.store.list_deletions(tenant, LISTED_DELETIONS).await?;
    Ok(Json(DeletionList {
        deletions: jobs.into_iter().map(Into::into).collect(),
    }))
}

/// A deletion job's progress: its state, the events matched and deleted so far, and the
/// webhook endpoints that had received some of them.
#[utoipa::path(
    get, path = "/api/v1/deletions/{id}", tag = "privacy",
    params(
        ("id" = Uuid, Path, description = "The job"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = DeletionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such job for this tenant", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_deletion(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
) -> Result<Json<DeletionView>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let id = parse_id(&id, "deletion")?;
    let job = state
        .store
        .get_deletion(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("deletion"))?;
    Ok(Json(job.into()))
}

/// Stop a job that has not finished; what it deleted stays deleted.
#[utoipa::path(
    post, path = "/api/v1/deletions/{id}/cancel", tag = "privacy",
    params(
        ("id" = Uuid, Path, description = "The job"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = DeletionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such job for this tenant", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn cancel_deletion(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
) -> Result<(AuditNote, Json<DeletionView>), ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let id = parse_id(&id, "deletion")?;
    let job = state
        .store
        .cancel_deletion(tenant, id, state.clock.now())
        .await?
        .ok_or(ApiError::NotFound("deletion"))?;
    let view = DeletionView::from(job);
    Ok((AuditNote::target(id).after(&view), Json(view)))
}

// --- suppressions ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSuppression {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    /// The subject: `{"meta.user_id": "u-42"}`; an event is dropped when every pair matches.
    #[serde(rename = "match")]
    #[schema(value_type = Object)]
    pub subject: Map<String, Value>,
    /// Why (a ticket, a request id); at most 500 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Suppression)]
pub struct SuppressionView {
    pub id: Uuid,
    #[serde(rename = "match")]
    #[schema(value_type = Object)]
    pub subject: Map<String, Value>,
    pub reason: Option<String>,
    /// Events dropped so far.
    pub dropped: u64,
    pub last_dropped_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Suppression> for SuppressionView {
    fn from(suppression: Suppression) -> Self {
        SuppressionView {
            id: suppression.id,
            subject: suppression.subject.to_json(),
            reason: suppression.reason,
            dropped: suppression.dropped,
            last_dropped_at: suppression.last_dropped_at,
            created_at: suppression.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionList {
    /// Oldest first.
    pub suppressions: Vec<SuppressionView>,
}

/// Suppress a subject: its future events are dropped at ingest (answered as accepted, so SDKs
/// do not retry; counted in `dropped`) until the suppression is removed. Adding a subject that
/// is already suppressed answers 200 with the existing suppression.
#[utoipa::path(
    post, path = "/api/v1/suppressions", tag = "privacy", request_body = CreateSuppression,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 201, body = SuppressionView),
        (status = 200, description = "Already suppressed", body = SuppressionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_suppression(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<CreateSuppression>,
) -> Result<(StatusCode, AuditNote, Json<SuppressionView>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    principal.require_active()?;
    let subject = Subject::parse("match", &body.subject)?;
    let reason = body.reason.filter(|reason| !reason.trim().is_empty());
    if reason
        .as_ref()
        .is_some_and(|reason| reason.chars().count() > suppressions::MAX_REASON_CHARS)
    {
        return Err(crate::error::ValidationError::new(
            "reason",
            format!(
                "reason has at most {} characters",
                suppressions::MAX_REASON_CHARS
            ),
        )
        .into());
    }
    if state.store.list_suppressions(tenant).await?.len() >= suppressions::MAX_PER_TENANT {
        return Err(crate::error::ValidationError::new(
            "match",
            format!(
                "a tenant has at most {} suppressions",
                suppressions::MAX_PER_TENANT
            ),
        )
        .into());
    }
    let new = Suppression {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        subject,
        reason,
        dropped: 0,
        last_dropped_at: None,
        created_at: state.clock.now(),
    };
    let (suppression, created) = state.store.create_suppression(&new).await?;
    state.privacy.invalidate(tenant);
    state.bus.notify(Notice::PrivacyChanged(tenant));
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = SuppressionView::from(suppression);
    let note = AuditNote::target(view.id).after(&view);
    Ok((status, note, Json(view)))
}

/// The tenant's suppressions, with the events each has dropped.
#[utoipa::path(
    get, path = "/api/v1/suppressions", tag = "privacy",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = SuppressionList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_suppressions(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<SuppressionList>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let list = state.store.list_suppressions(tenant).await?;
    Ok(Json(SuppressionList {
        suppressions: list.into_iter().map(Into::into).collect(),
    }))
}

/// Lift a suppression: the subject's events are stored again from now on.
#[utoipa::path(
    delete, path = "/api/v1/suppressions/{id}", tag = "privacy",
    params(
        ("id" = Uuid, Path, description = "The suppression"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such suppression for this tenant", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn delete_suppression(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
) -> Result<(AuditNote, StatusCode), ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let id = parse_id(&id, "suppression")?;
    let before = state
        .store
        .list_suppressions(tenant)
        .await?
        .into_iter()
        .find(|suppression| suppression.id == id)
        .map(SuppressionView::from);
    if !state.store.delete_suppression(tenant, id).await? {
        return Err(ApiError::NotFound("suppression"));
    }
    state.privacy.invalidate(tenant);
    state.bus.notify(Notice::PrivacyChanged(tenant));
    let note = match &before {
        Some(before) => AuditNote::target(id).before(before),
        None => AuditNote::target(id),
    };
    Ok((note, StatusCode::NO_CONTENT))
}
