//! Liveness, readiness and Prometheus metrics.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::auth::principal::resolve;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// Each dependency and `ok` or what is wrong with it.
    pub checks: std::collections::BTreeMap<&'static str, String>,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can serve: storage answers.
#[utoipa::path(
    get, path = "/ready", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness))
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let storage = match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(error)) => format!("error: {error}"),
        Err(_) => "error: timed out".to_owned(),
    };
    let mut checks: std::collections::BTreeMap<&'static str, String> =
        [("storage", storage)].into_iter().collect();
    if let Some(redis) = &state.redis {
        let mut connection = redis.connection.clone();
        let ping = tokio::time::timeout(
            redis.timeout,
            redis::cmd("PING").query_async::<String>(&mut connection),
        )
        .await;
        let status = match ping {
            Ok(Ok(_)) if redis.bus_health.is_up() => "ok".to_owned(),
            Ok(Ok(_)) => "error: the event subscription is reconnecting".to_owned(),
            Ok(Err(error)) => format!("error: {error}"),
            Err(_) => "error: timed out".to_owned(),
        };
        metrics::gauge!("tributary_redis_up").set(if status == "ok" { 1.0 } else { 0.0 });
        checks.insert("redis", status);
    }
    let ok = checks.values().all(|status| status == "ok");
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ok { "ready" } else { "unavailable" },
            checks,
        }),
    )
}

/// Prometheus text format. Open to anyone unless `http.metrics_public = false`, in which case
/// it needs the admin credential.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String), (status = 401, body = ErrorBody))
)]
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !state.config.http.metrics_public {
        let credential = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
            .ok_or_else(|| ApiError::unauthorized("metrics need the admin credential"))?;
        if !resolve(&state, credential.trim()).await?.is_admin() {
            return Err(ApiError::forbidden("metrics need the admin credential"));
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response())
}
