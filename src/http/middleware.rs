//! Cross-cutting request handling: one structured log line and metrics per request, a
//! request timeout, panics turned into our 500 body, and JSON answers for unknown routes.

use std::any::Any;
use std::borrow::Cow;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::request_id;

/// Logs and counts each request by its route template (never the raw path: ids in paths
/// would make metric labels unbounded). Probes, scrapes and the dashboard's own files are
/// logged at debug: a load balancer's health checks and a page load would otherwise bury the
/// API requests at the default level.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let routine = is_routine(&method, &path, &route) && status < 500;
    macro_rules! log {
        ($level:ident) => {
            tracing::$level!(
                request_id = request_id::current().unwrap_or_default(),
                method = %method,
                path,
                route,
                status,
                latency_ms = round_ms(elapsed),
                "request"
            )
        };
    }
    if routine {
        log!(debug);
    } else {
        log!(info);
    }
    metrics::counter!(
        "tributary_http_requests_total",
        "method" => method.to_string(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("tributary_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    response
}

/// Health probes, metric scrapes and dashboard files (what the fallback serves to GET
/// outside `/api`).
fn is_routine(method: &Method, path: &str, route: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
        || (route == "unmatched"
            && (method == Method::GET || method == Method::HEAD)
            && !(path == "/api" || path.starts_with("/api/")))
}

/// Milliseconds with two decimals: enough to read, short enough to scan.
fn round_ms(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 100_000.0).round() / 100.0
}

pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable {
            message: Cow::Borrowed("the request took too long; retry later"),
            source: None,
        }
        .into_response(),
    }
}

/// A panic in a handler becomes a 500 with our body, never a dropped connection.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned());
    ApiError::internal(anyhow::anyhow!("handler panicked: {what}")).into_response()
}

pub async fn method_not_allowed() -> Response {
    let mut response = ApiError::NotFound("route").into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_logged_in_milliseconds_with_two_decimals() {
        assert_eq!(round_ms(Duration::from_nanos(59_738)), 0.06);
        assert_eq!(round_ms(Duration::from_micros(12_346)), 12.35);
        assert_eq!(round_ms(Duration::from_secs(2)).to_string(), "2000");
    }

    #[test]
    fn probes_and_dashboard_files_are_routine_and_api_calls_are_not() {
        assert!(is_routine(&Method::GET, "/health", "/health"));
        assert!(is_routine(&Method::GET, "/metrics", "/metrics"));
        assert!(is_routine(&Method::GET, "/favicon.svg", "unmatched"));
        assert!(is_routine(
            &Method::GET,
            "/assets/index-abc.js",
            "unmatched"
        ));
        assert!(!is_routine(&Method::GET, "/api/v1/nope", "unmatched"));
        assert!(!is_routine(&Method::POST, "/favicon.svg", "unmatched"));
        assert!(!is_routine(
            &Method::GET,
            "/api/v1/events",
            "/api/v1/events"
        ));
    }

    #[tokio::test]
    async fn a_panic_becomes_a_500_with_the_internal_code_and_no_details() {
        let response = panic_response(Box::new("secret detail: index out of bounds"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("secret detail"));
    }
}
