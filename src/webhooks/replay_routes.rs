//! The replay API: `POST /webhooks/{id}/replay` starts a job, `GET /webhooks/{id}/replays`
//! lists the endpoint's jobs, `GET /webhooks/{id}/replays/{replay_id}` shows one with its
//! progress, `POST /webhooks/{id}/replays/{replay_id}/cancel` stops it. Scope `manage`, as
//! every webhook call; another tenant's endpoint or job is 404. Handlers only: the logic is in
//! [`super::replay`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::get_endpoint;
use super::replay::{self, LISTED_REPLAYS, Phase, Replay, ReplayInput, State as ReplayState};
use super::routes::ManagedTenant;
use crate::audit::AuditNote;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AppJson, AppPath, parse_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{id}/replay", post(create_replay))
        .route("/webhooks/{id}/replays", get(list_replays))
        .route("/webhooks/{id}/replays/{replay_id}", get(get_replay))
        .route(
            "/webhooks/{id}/replays/{replay_id}/cancel",
            post(cancel_replay),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReplay {
    /// Start of the range (event time, inclusive). Required unless `since_delivery` is given.
    pub from: Option<DateTime<Utc>>,
    /// End of the range (exclusive); default: now. At most 90 days after `from`.
    pub to: Option<DateTime<Utc>>,
    /// Only these event types (names or patterns such as `order.*`), among those the
    /// endpoint takes; absent or empty: all of them.
    pub event_types: Option<Vec<String>>,
    /// Only the events whose delivery to this endpoint failed or died.
    pub only_failed: Option<bool>,
    /// Instead of `from`: from the event of this delivery of the endpoint on ("replay since
    /// this delivery").
    pub since_delivery: Option<Uuid>,
}

/// A replay job and how its deliveries stand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Replay)]
pub struct ReplayView {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub state: ReplayState,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Empty: every type the endpoint takes.
    pub event_types: Vec<String>,
    pub only_failed: bool,
    /// Events to replay; null while they are being counted.
    pub total: Option<u64>,
    /// Deliveries queued so far (an event whose delivery was being attempted at that moment
    /// is left to that attempt).
    pub created: u64,
    /// Of those, delivered; given up on (dead, after the whole retry schedule); waiting for
    /// an attempt or a retry. A later replay that takes a delivery over counts it instead.
    pub delivered: u64,
    pub failed: u64,
    pub waiting: u64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Replay> for ReplayView {
    fn from(job: Replay) -> Self {
        let counted = job.phase != Phase::Count || job.state == ReplayState::Done;
        ReplayView {
            id: job.id,
            endpoint_id: job.endpoint_id,
            state: job.state,
            from: job.from,
            to: job.to,
            event_types: job.event_types,
            only_failed: job.only_failed,
            total: counted.then_some(job.total),
            created: job.created,
            delivered: job.progress.delivered,
            failed: job.progress.failed,
            waiting: job.progress.waiting,
            error: job.error,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayList {
    /// Newest first (the last 50).
    pub data: Vec<ReplayView>,
}

fn endpoint_id(raw: &str) -> Result<Uuid, ApiError> {
    parse_id(raw, "webhook endpoint")
}

fn replay_id(raw: &str) -> Result<Uuid, ApiError> {
    parse_id(raw, "replay")
}

/// Replay the endpoint's events of a time range (all, some types, or only those whose delivery
/// failed or died) as a background job. An event already delivered there is sent again with
/// the same `webhook-id`, so that receivers can deduplicate; the job's deliveries go out in
/// the capacity that live deliveries leave.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks", request_body = CreateReplay,
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 202, description = "The job, pending", body = ReplayView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
        (status = 422, description = "Invalid field (`from`, `event_types[i]`, `since_delivery`)", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_replay(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<CreateReplay>,
) -> Result<(StatusCode, AuditNote, Json<ReplayView>), ApiError> {
    let endpoint = endpoint_id(&id)?;
    let input = ReplayInput {
        from: body.from,
        to: body.to,
        event_types: body.event_types,
        only_failed: body.only_failed,
        since_delivery: body.since_delivery,
    };
    let job = replay::create(&*state.store, tenant, endpoint, input, state.clock.now()).await?;
    let view = ReplayView::from(job);
    let note = AuditNote::target(view.id).after(&view);
    Ok((StatusCode::ACCEPTED, note, Json(view)))
}

/// The endpoint's replay jobs, newest first.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/replays", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = ReplayList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_replays(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
) -> Result<Json<ReplayList>, ApiError> {
    let endpoint = endpoint_id(&id)?;
    get_endpoint(&*state.store, tenant, endpoint).await?;
    let jobs = state
        .store
        .list_webhook_replays(tenant, endpoint, LISTED_REPLAYS)
        .await?;
    Ok(Json(ReplayList {
        data: jobs.into_iter().map(Into::into).collect(),
    }))
}

/// A replay job's progress: events counted, deliveries queued, delivered, failed, waiting.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/replays/{replay_id}", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("replay_id" = Uuid, Path, description = "The job"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = ReplayView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint or job for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_replay(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath((id, job)): AppPath<(String, String)>,
) -> Result<Json<ReplayView>, ApiError> {
    let (endpoint, job) = (endpoint_id(&id)?, replay_id(&job)?);
    get_endpoint(&*state.store, tenant, endpoint).await?;
    let job = state
        .store
        .get_webhook_replay(tenant, endpoint, job)
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    Ok(Json(job.into()))
}

/// Stop a replay that has not finished; the deliveries it queued still go out.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/replays/{replay_id}/cancel", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("replay_id" = Uuid, Path, description = "The job"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = ReplayView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint or job for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn cancel_replay(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath((id, job)): AppPath<(String, String)>,
) -> Result<(AuditNote, Json<ReplayView>), ApiError> {
    let (endpoint, job) = (endpoint_id(&id)?, replay_id(&job)?);
    get_endpoint(&*state.store, tenant, endpoint).await?;
    let cancelled = state
        .store
        .cancel_webhook_replay(tenant, endpoint, job, state.clock.now())
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    let view = ReplayView::from(cancelled);
    Ok((AuditNote::target(job).after(&view), Json(view)))
}
