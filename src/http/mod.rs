//! HTTP plumbing: the shared [`AppState`], the router with its middleware, our extractors, the
//! error type, health and metrics endpoints, and the OpenAPI document.

pub mod dashboard;
pub mod error;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod request_id;
pub mod serve;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use tokio_util::sync::CancellationToken;

use crate::auth::jwt::JwtKeys;
use crate::bus::DynBus;
use crate::clock::Clock;
use crate::config::Config;
use crate::events::committer::Committer;
use crate::ratelimit::RateLimiter;
use crate::store::DynStore;
use crate::{auth, events, stream, tenants};

/// What every handler can reach. It is cloned for every extractor and middleware layer of
/// every request, so it is one `Arc`: cloning a dozen fields one by one (each a reference
/// count, and the shutdown token's a mutex) took about 4% of the server's CPU per single event
/// (perf under `bench/disk.sh`'s load).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// Durable storage of tenants, keys and events.
    pub store: DynStore,
    /// Each tenant's compiled data contracts, and the violation counts on their way to the
    /// store (see `crate::schemas`).
    pub schemas: Arc<crate::schemas::registry::SchemaRegistry>,
    /// Each tenant's compiled redaction policy (see `crate::privacy`).
    pub privacy: Arc<crate::privacy::registry::PrivacyRegistry>,
    /// Writes events in group commits; a handler's ingest returns once its events are durable.
    pub committer: Committer,
    /// Notified after each commit of new events: the webhook worker claims the deliveries
    /// they queued without waiting for its next poll.
    pub committed: Arc<tokio::sync::Notify>,
    /// Live fan-out of committed events to WebSocket subscribers.
    pub bus: DynBus,
    /// Cancelled when the server starts shutting down: long-lived connections close on it.
    pub shutdown: CancellationToken,
    /// Per-tenant event budget.
    pub limiter: Arc<dyn RateLimiter>,
    /// The admin token's hash and the JWT keys.
    pub auth: Arc<AuthState>,
    /// The effective configuration.
    pub config: Arc<Config>,
    /// Time, replaceable in tests.
    pub clock: Arc<dyn Clock>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Redis, in scaled mode: checked by `/ready`.
    pub redis: Option<RedisState>,
}

#[derive(Clone)]
pub struct RedisState {
    pub connection: redis::aio::ConnectionManager,
    pub bus_health: crate::bus::redis::RedisBusHealth,
    pub timeout: Duration,
}

pub struct AuthState {
    pub admin_token_hash: Vec<u8>,
    pub jwt: JwtKeys,
    pub token_ttl_secs: i64,
    /// API keys resolved lately, so that authenticating is not a database read.
    pub keys: Arc<crate::auth::cache::KeyCache>,
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let api = Router::new()
        .route(
            "/tenants",
            post(tenants::routes::create_tenant).get(tenants::routes::list_tenants),
        )
        .route(
            "/tenants/{tenant_id}",
            get(tenants::routes::get_tenant).patch(tenants::routes::update_tenant),
        )
        .route(
            "/tenants/{tenant_id}/keys",
            post(tenants::routes::create_key).get(tenants::routes::list_keys),
        )
        .route(
            "/tenants/{tenant_id}/keys/{key_id}",
            axum::routing::delete(tenants::routes::revoke_key),
        )
        .route("/auth/token", post(auth::routes::issue_token))
        .route(
            "/events",
            post(events::routes::ingest_one)
                .layer(DefaultBodyLimit::disable())
                .get(events::routes::list_events),
        )
        .route(
            "/events/batch",
            post(events::routes::ingest_batch).layer(DefaultBodyLimit::disable()),
        )
        .route("/events/stats", get(events::routes::stats))
        .route("/events/search", get(crate::search::routes::search_events))
        .route("/events/{event_id}", get(events::routes::get_event))
        .route("/ws", get(stream::routes::connect))
        .merge(crate::webhooks::routes::router())
        .merge(crate::webhooks::replay_routes::router())
        .merge(crate::schemas::routes::router())
        .merge(crate::privacy::routes::router())
        .merge(crate::audit::routes::router())
        .route("/openapi.json", get(openapi::serve));

    // Every change made through this router is recorded in the audit log: the layer wraps
    // each route, so a route added above is covered without code of its own.
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::audit::record::middleware,
    ));

    // API answers are never cached: some carry secrets (a new key, a webhook secret), all
    // are one tenant's data.
    let api = api.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::compat::router().layer(DefaultBodyLimit::disable()))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .fallback(dashboard::serve)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(config.http.request_timeout_secs),
            middleware::timeout,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(cors(&config))
        // Headers that make every response safer to handle in a browser.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(axum::middleware::from_fn(middleware::observe))
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}

fn cors(config: &Config) -> CorsLayer {
    let origins: Vec<HeaderValue> = config
        .http
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-request-id"),
            // Sent by the Segment SDKs (compat).
            HeaderName::from_static("x-write-key"),
            HeaderName::from_static("x-retry-count"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("retry-after"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}
