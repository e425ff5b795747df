//! Webhook endpoints, their secrets, test deliveries and the delivery log. Handlers only:
//! extract, resolve the tenant (scope `manage`; the admin names it with `tenant_id` in the
//! query or the body), call the logic in [`super`], respond. Another tenant's endpoint or
//! delivery is reported as not found.

use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::replay::{self, ReplaySpec};
use super::replay_routes::ReplayView;
use super::stats::{WebhookStats, endpoint_stats, parse_stats_query};
use super::{
    Delivery, Endpoint, EndpointInput, EventDelivery, SignatureScheme, create_endpoint,
    event_deliveries, get_endpoint, list_deliveries, parse_delivery_query, parse_tenant_query,
    retry_delivery, rotate_secret, send_test, update_endpoint,
};
use crate::audit::AuditNote;
use crate::auth::{Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AppJson, AppPath, parse_id};
use crate::tenants::TenantId;

/// The routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", post(create_webhook).get(list_webhooks))
        .route(
            "/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .route("/webhooks/{id}/rotate-secret", post(rotate_webhook_secret))
        .route("/webhooks/{id}/test", post(test_webhook))
        .route("/webhooks/{id}/deliveries", get(list_webhook_deliveries))
        .route("/webhooks/{id}/stats", get(webhook_stats))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/retry",
            post(retry_webhook_delivery),
        )
        .route("/events/{event_id}/deliveries", get(list_event_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Admin only (or the `tenant_id` query parameter): the tenant that owns the endpoint.
    pub tenant_id: Option<Uuid>,
    /// `http://` or `https://`; private, loopback and link-local targets are refused unless
    /// the server allows them (`webhooks.allow_private_targets`).
    #[schema(pattern = "^[Hh][Tt][Tt][Pp][Ss]?://.+")]
    pub url: String,
    /// Event types delivered: names, or patterns with one `*` at the start or end
    /// (`order.*`, `*.failed`) or `*` alone; empty or absent: every type.
    pub event_types: Option<Vec<String>>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Only events matching this search query (the language of `GET /api/v1/events/search`'s
    /// `q`, e.g. `page:/checkout -test:true`) are delivered, besides `event_types`; empty or
    /// absent: no filter. Evaluated when each event is stored, with the verdict a search for
    /// it would give. Invalid: 422 on `filter` with the character position.
    #[schema(max_length = 1000)]
    pub filter: Option<String>,
    /// `v1` (default): HMAC-SHA256 with the `whsec_` secret shown in the response; `v1a`:
    /// ed25519, verified with the `public_key` (`whpk_`) shown in the response (Standard
    /// Webhooks asymmetric signatures; the secret key never leaves the server).
    pub signature: Option<SignatureScheme>,
    /// Also send the endpoint the events of the last this many hours (1-720), as a replay job
    /// (the response's `replay`).
    pub replay_hours: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    #[schema(pattern = "^[Hh][Tt][Tt][Pp][Ss]?://.+")]
    pub url: Option<String>,
    /// Names or patterns, as at creation.
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Enabling clears the failure record and `disabled_reason`.
    pub enabled: Option<bool>,
    /// A search query, as at creation; empty or null clears it; absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub filter: Option<Option<String>>,
    /// Switching the scheme makes a new key of the new kind (the response shows its `secret`
    /// for `v1`, its `public_key` for `v1a`); the previous key keeps signing beside it for 24
    /// hours, so receivers see both signatures in one header meanwhile.
    pub signature: Option<SignatureScheme>,
}

/// Tells a field given as null (`Some(None)`) from one left out (`None`, through `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An endpoint as the API shows it, with its health. The secret is shown only at creation
/// and rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    /// The search query events must match too; null: none.
    pub filter: Option<String>,
    /// How deliveries are signed: `v1` (HMAC-SHA256) or `v1a` (ed25519).
    pub signature: SignatureScheme,
    /// For `v1a`: the `whpk_` public key that verifies the `v1a,…` signatures (not a secret);
    /// null for `v1`.
    pub public_key: Option<String>,
    pub enabled: bool,
    /// Why the server disabled the endpoint (it failed every attempt for too long); null while
    /// enabled or when it was disabled through the API.
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u64,
    /// The first failed attempt since the last success; null while healthy.
    pub failing_since: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// The circuit breaker: null while closed (deliveries go out); otherwise no attempt is made
    /// before this time, then one probe, whose success closes it and whose failure opens it
    /// again for longer. Opens after `webhooks.circuit_after_failures` consecutive failures.
    pub circuit_open_until: Option<DateTime<Utc>>,
    /// After a rotation, until when the previous secret still signs (a second signature).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Endpoint> for WebhookView {
    fn from(endpoint: Endpoint) -> Self {
        WebhookView {
            signature: endpoint.signature(),
            public_key: endpoint.public_key(),
            id: endpoint.id,
            tenant_id: endpoint.tenant_id,
            url: endpoint.url,
            description: endpoint.description,
            event_types: endpoint.event_types,
            filter: endpoint.filter,
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason,
            consecutive_failures: endpoint.health.consecutive_failures,
            failing_since: endpoint.health.failing_since,
            last_success_at: endpoint.health.last_success_at,
            last_failure_at: endpoint.health.last_failure_at,
            circuit_open_until: endpoint.health.circuit_open_until,
            previous_secret_expires_at: endpoint.previous_secret.map(|(_, until)| until),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// An endpoint with its signing secret (creation and rotation only, and an update that
/// switched it to `v1`).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookView,
    /// `v1`: `whsec_` + base64 of the key: verify `webhook-signature` with it (Standard
    /// Webhooks). Shown only now. Absent for `v1a`, whose secret key is never shown (verify
    /// with `public_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// At creation with `replay_hours`: the replay job of those hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayView>,
}

impl From<Endpoint> for WebhookWithSecret {
    fn from(endpoint: Endpoint) -> Self {
        let secret = (endpoint.signature() == SignatureScheme::V1).then(|| endpoint.secret.clone());
        WebhookWithSecret {
            endpoint: endpoint.into(),
            secret,
            replay: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub endpoints: Vec<WebhookView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first, each with its attempts.
    pub deliveries: Vec<Delivery>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The tenant of a webhook call (`manage` scope; see [`Principal::tenant_for`]) as an
/// extractor, for the calls whose only tenant parameter is the query's `tenant_id`.
pub struct ManagedTenant(pub TenantId);

impl FromRequestParts<AppState> for ManagedTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        // The POSTs among these calls act (rotate, test, retry); a suspended tenant may only
        // look, or delete.
        if parts.method == axum::http::Method::POST {
            principal.require_active()?;
        }
        let requested = parse_tenant_query(parts.uri.query())?;
        principal
            .tenant_for(state, Scope::Manage, requested)
            .await
            .map(ManagedTenant)
    }
}

fn endpoint_id(raw: &str) -> Result<Uuid, ApiError> {
    parse_id(raw, "webhook endpoint")
}

/// Register a webhook endpoint. The response holds its signing secret, shown only here.
#[utoipa::path(
    post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 201, description = "Created; `secret` is shown only now", body = WebhookWithSecret),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "Lacks `manage`, or another tenant", body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 422, description = "Invalid field; a private, loopback or link-local `url` is refused with field `url`", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<CreateWebhook>,
) -> Result<(StatusCode, AuditNote, Json<WebhookWithSecret>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(parse_tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    principal.require_active()?;
    let now = state.clock.now();
    // Checked first: a refused value creates nothing.
    let backfill = body
        .replay_hours
        .map(|hours| ReplaySpec::last_hours(hours, now))
        .transpose()?;
    let input = EndpointInput {
        url: Some(body.url),
        description: body.description,
        event_types: body.event_types,
        filter: body.filter.map(Some),
        enabled: body.enabled,
        signature: body.signature,
    };
    let endpoint =
        create_endpoint(&*state.store, &state.config.webhooks, tenant, input, now).await?;
    let note = AuditNote::target(endpoint.id).after(&WebhookView::from(endpoint.clone()));
    let id = endpoint.id;
    let mut created = WebhookWithSecret::from(endpoint);
    if let Some(spec) = backfill {
        let job = replay::create_with(&*state.store, tenant, id, spec, now).await?;
        created.replay = Some(job.into());
    }
    Ok((StatusCode::CREATED, note, Json(created)))
}

/// List the tenant's webhook endpoints with their health.
#[utoipa::path(
    get, path = "/api/v1/webhooks", tag = "webhooks",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = WebhookList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
) -> Result<Json<WebhookList>, ApiError> {
    let endpoints = state.store.list_webhook_endpoints(tenant).await?;
    Ok(Json(WebhookList {
        endpoints: endpoints.into_iter().map(WebhookView::from).collect(),
    }))
}

/// One webhook endpoint with its health.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let endpoint = get_endpoint(&*state.store, tenant, endpoint_id(&id)?).await?;
    Ok(Json(endpoint.into()))
}

/// Change an endpoint: URL, event types, filter, description, enabled, signature scheme.
/// Enabling it clears its failure record. The response is the endpoint, with `secret` only
/// when the call switched it to `v1` (the new secret, shown only then).
#[utoipa::path(
    patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = UpdateWebhook,
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)"),
    ),
    responses(
        (status = 200, body = WebhookWithSecret),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
        (status = 422, description = "Invalid field (a refused `url` too; a `filter` search would refuse, with the position)", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<UpdateWebhook>,
) -> Result<(AuditNote, Json<WebhookWithSecret>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(parse_tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    let only_disables = body.url.is_none()
        && body.event_types.is_none()
        && body.filter.is_none()
        && body.signature.is_none()
        && body.description.is_none()
        && body.enabled == Some(false);
    if !only_disables {
        principal.require_active()?;
    }
    let input = EndpointInput {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        filter: body.filter,
        enabled: body.enabled,
        signature: body.signature,
    };
    let id = endpoint_id(&id)?;
    // For the audit log; a missing endpoint is left to the update to report, after its checks.
    let before = state.store.get_webhook_endpoint(tenant, id).await?;
    let endpoint = update_endpoint(
        &*state.store,
        &state.config.webhooks,
        tenant,
        id,
        input,
        state.clock.now(),
    )
    .await?;
    let switched_to_v1 = endpoint.signature() == SignatureScheme::V1
        && before
            .as_ref()
            .is_some_and(|before| before.secret != endpoint.secret);
    let secret = switched_to_v1.then(|| endpoint.secret.clone());
    let after = WebhookView::from(endpoint);
    // The views carry no secret.
    let note = AuditNote::target(id)
        .before(&before.map(WebhookView::from))
        .after(&after);
    Ok((
        note,
        Json(WebhookWithSecret {
            endpoint: after,
            secret,
            replay: None,
        }),
    ))
}

/// Delete an endpoint with its delivery log. Deliveries not yet made are dropped.
#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
) -> Result<(AuditNote, StatusCode), ApiError> {
    let id = endpoint_id(&id)?;
    let before = get_endpoint(&*state.store, tenant, id).await?;
    if !state.store.delete_webhook_endpoint(tenant, id).await? {
        return Err(ApiError::NotFound("webhook endpoint"));
    }
    tracing::info!(tenant_id = %tenant, endpoint_id = %id, "webhook endpoint deleted");
    let note = AuditNote::target(id).before(&WebhookView::from(before));
    Ok((note, StatusCode::NO_CONTENT))
}

/// Replace the signing secret (a `v1a` endpoint gets a new key pair: the response shows the
/// new `public_key`, never the secret key). For 24 hours the previous secret signs too (a
/// second signature in `webhook-signature`), so receivers can switch without rejecting
/// deliveries.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, description = "The endpoint with its new secret, shown only now", body = WebhookWithSecret),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
) -> Result<(AuditNote, Json<WebhookWithSecret>), ApiError> {
    let id = endpoint_id(&id)?;
    let before = get_endpoint(&*state.store, tenant, id).await?;
    let endpoint = rotate_secret(&*state.store, tenant, id, state.clock.now()).await?;
    // The views carry no secret: the record says when it was rotated, never what to.
    let note = AuditNote::target(id)
        .before(&WebhookView::from(before))
        .after(&WebhookView::from(endpoint.clone()));
    Ok((note, Json(endpoint.into())))
}

/// Send a `webhook.test` event to the endpoint. The delivery is queued like any other (signed,
/// retried, logged); follow it in the delivery log.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 202, description = "Queued", body = Delivery),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn test_webhook(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(id): AppPath<String>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let delivery = send_test(&*state.store, tenant, endpoint_id(&id)?, state.clock.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// The endpoint's delivery log: deliveries newest first, each with every attempt (time, HTTP
/// status or error in full, latency, the first 4 KiB of the response body, and the request
/// as sent: headers with the signatures masked, and the body).
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("status" = Option<super::DeliveryStatus>, Query, description = "Only deliveries in this status"),
        ("event_id" = Option<Uuid>, Query, description = "Only the deliveries of this event"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "1-100, default 50"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = DeliveryList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
        (status = 422, description = "A bad parameter", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    let params = parse_delivery_query(query.as_deref())?;
    let tenant = principal
        .tenant_for(&state, Scope::Manage, params.tenant_id)
        .await?;
    let (deliveries, next_cursor) =
        list_deliveries(&*state.store, tenant, endpoint_id(&id)?, &params).await?;
    Ok(Json(DeliveryList {
        deliveries,
        next_cursor,
    }))
}

/// The endpoint's attempts over the last `hours`: attempts, successes (2xx), failures, the
/// success rate and latency percentiles, in total and per bucket (at most 48 whole buckets
/// and the one still filling, aligned to their width: 5 min up to 4 h, 1 h for 24 h, 6 h for
/// 7 days; empty buckets included). The
/// percentiles are approximate, interpolated from a latency histogram counted by the
/// database.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/stats", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("hours" = Option<u32>, Query, minimum = 1, maximum = 720, description = "The window, 1-720 hours, default 24"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = WebhookStats),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint for this tenant", body = ErrorBody),
        (status = 422, description = "A bad parameter (`hours` out of range)", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn webhook_stats(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppPath(id): AppPath<String>,
) -> Result<Json<WebhookStats>, ApiError> {
    let params = parse_stats_query(query.as_deref())?;
    let tenant = principal
        .tenant_for(&state, Scope::Manage, params.tenant_id)
        .await?;
    let stats = endpoint_stats(
        &*state.store,
        tenant,
        endpoint_id(&id)?,
        params.hours,
        state.clock.now(),
    )
    .await?;
    Ok(Json(stats))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDeliveryList {
    pub event_id: Uuid,
    /// Oldest first; one per endpoint that the event was delivered (or is due) to.
    pub deliveries: Vec<EventDelivery>,
}

/// The event's webhook deliveries across all the tenant's endpoints: each with its endpoint
/// (id, URL, description), status, attempts, and the last attempt's time, HTTP status and
/// error in full. An event has a delivery per endpoint whose filter matched it when it was
/// stored. Scope `manage`, like the rest of the delivery log: it shows the tenant's webhook
/// configuration.
#[utoipa::path(
    get, path = "/api/v1/events/{event_id}/deliveries", tag = "webhooks",
    params(
        ("event_id" = Uuid, Path, description = "The event's server-assigned id"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = EventDeliveryList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such event for this tenant", body = ErrorBody),
        (status = 422, description = "A bad parameter", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_event_deliveries(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath(event_id): AppPath<String>,
) -> Result<Json<EventDeliveryList>, ApiError> {
    let event_id = parse_id(&event_id, "event")?;
    let deliveries = event_deliveries(&*state.store, tenant, event_id).await?;
    Ok(Json(EventDeliveryList {
        event_id,
        deliveries,
    }))
}

/// Redeliver now: the delivery becomes `pending` and due at once, whatever its status
/// (`dead` and `succeeded` included). It keeps its id, so the receiver sees the same
/// `webhook-id`. On a disabled endpoint it waits until the endpoint is enabled again.
#[utoipa::path(
    post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("delivery_id" = Uuid, Path, description = "The delivery"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 202, description = "Due now", body = Delivery),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such endpoint or delivery for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn retry_webhook_delivery(
    State(state): State<AppState>,
    ManagedTenant(tenant): ManagedTenant,
    AppPath((id, delivery_id)): AppPath<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let delivery = retry_delivery(
        &*state.store,
        tenant,
        endpoint_id(&id)?,
        parse_id(&delivery_id, "delivery")?,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}
