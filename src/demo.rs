//! `tributary serve --demo`: a demo tenant and a steady, realistic stream of events, so that a
//! first-time user sees the dashboard alive. Events go through the same committer as real
//! ingestion (durable, counted, streamed); the tenant's rate limit is not spent.

use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::auth::ApiKey;
use crate::auth::Scope;
use crate::auth::keys::{generate_api_key, hash_secret};
use crate::events::NewEvent;
use crate::http::AppState;
use crate::store::StoreError;
use crate::tenants::{RateLimit, Tenant, TenantId, TenantStatus};

pub const DEMO_TENANT: &str = "demo";

/// Finds or creates the demo tenant; returns it and, when it was created now, its key.
pub async fn ensure_tenant(state: &AppState) -> Result<(Tenant, Option<String>), StoreError> {
    if let Some(tenant) = state
        .store
        .list_tenants()
        .await?
        .into_iter()
        .find(|t| t.name == DEMO_TENANT)
    {
        return Ok((tenant, None));
    }
    let now = state.clock.now();
    let tenant = Tenant {
        id: TenantId(Uuid::now_v7()),
        name: DEMO_TENANT.into(),
        status: TenantStatus::Active,
        created_at: now,
        rate_limit: RateLimit {
            per_second: state.config.ratelimit.default_per_second,
            burst: state.config.ratelimit.default_burst,
        },
        retention_days: None,
    };
    let (secret, prefix) = generate_api_key();
    let key = ApiKey {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: "demo".into(),
        prefix,
        secret_hash: hash_secret(&secret),
        scopes: Scope::ALL.to_vec(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    state.store.create_tenant(&tenant, &key).await?;
    Ok((tenant, Some(secret)))
}

/// Produces a few events per second for the tenant until `stop` is cancelled.
pub async fn run(state: AppState, tenant: TenantId, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let count = rand::rng().random_range(0..=3);
        let now = state.clock.now();
        let events = (0..count)
            .map(|_| {
                let (event_type, metadata) = sample_event();
                NewEvent {
                    id: Uuid::nil(),
                    tenant_id: tenant,
                    event_type,
                    timestamp: now,
                    received_at: now,
                    metadata,
                    event_id: None,
                    violations: Vec::new(),
                }
            })
            .collect();
        if let Err(error) = state.committer.commit(events).await {
            tracing::warn!(%error, "demo events could not be stored");
        }
    }
}

fn sample_event() -> (String, Map<String, Value>) {
    let mut rng = rand::rng();
    let pages = [
        "/",
        "/pricing",
        "/docs",
        "/blog/launch",
        "/signup",
        "/checkout",
        "/account",
    ];
    let referrers = ["google", "twitter", "hn", "direct", "newsletter"];
    let browsers = ["Firefox", "Chrome", "Safari", "Edge"];
    let countries = ["DE", "US", "FR", "BR", "JP", "IN", "GB"];
    let plans = ["free", "pro", "team"];
    let pick = |items: &[&'static str], rng: &mut rand::rngs::ThreadRng| {
        *items.choose(rng).unwrap_or(&items[0])
    };
    let roll: u32 = rng.random_range(0..100);
    let (event_type, metadata) = match roll {
        0..=59 => (
            "page_view",
            json!({"page": pick(&pages, &mut rng), "ref": pick(&referrers, &mut rng), "ua": pick(&browsers, &mut rng)}),
        ),
        60..=74 => (
            "click",
            json!({"page": pick(&pages, &mut rng), "element": "cta", "variant": if rng.random_bool(0.5) { "a" } else { "b" }}),
        ),
        75..=84 => (
            "signup",
            json!({"plan": pick(&plans, &mut rng), "country": pick(&countries, &mut rng)}),
        ),
        85..=91 => (
            "payment",
            json!({"amount": rng.random_range(5..500), "currency": "EUR", "plan": pick(&plans, &mut rng), "user": {"country": pick(&countries, &mut rng)}}),
        ),
        92..=96 => (
            "error",
            json!({"page": "/checkout", "message": "card declined", "code": 402}),
        ),
        _ => (
            "api.request",
            json!({"route": "/v1/items", "status": 200, "latency_ms": rng.random_range(3..250)}),
        ),
    };
    let Value::Object(metadata) = metadata else {
        return (event_type.into(), Map::new());
    };
    (event_type.into(), metadata)
}
