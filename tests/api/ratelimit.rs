//! Per-tenant rate limits over HTTP: counted in events, shared by single and batch ingest,
//! with the standard headers, and nothing over the limit stored.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn a_burst_passes_the_next_event_gets_429_and_after_retry_after_it_passes_again() {
    let app = spawn_app().await;
    let acme = app
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 2, "burst": 5}}))
        .await;
    let other = app
        .create_tenant_with(json!({"name": "other", "rate_limit": {"per_second": 2, "burst": 5}}))
        .await;
    for expected_remaining in (0..5).rev() {
        let response = app.ingest(&acme.key, json!({"event_type": "x"})).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(response.headers()["ratelimit-limit"], "5");
        assert_eq!(
            response.headers()["ratelimit-remaining"],
            expected_remaining.to_string().as_str()
        );
    }
    let refused = app.ingest(&acme.key, json!({"event_type": "x"})).await;
    let headers = refused.headers().clone();
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited", None).await;
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "retry-after {retry_after}");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert!(headers.contains_key("ratelimit-reset"));

    // Another tenant's budget is untouched.
    app.ingest_ok(&other.key, json!({"event_type": "x"})).await;

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
    assert_eq!(
        app.all_events(&acme.key, "").await.len(),
        6,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn a_batch_larger_than_the_remaining_budget_is_refused_whole() {
    let app = spawn_app().await;
    let acme = app
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 10}}))
        .await;
    let batch = |n: usize| json!({ "events": (0..n).map(|i| json!({"event_type": "b", "metadata": {"i": i}})).collect::<Vec<_>>() });
    let response = app.ingest_batch(&acme.key, batch(7)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(response.headers()["ratelimit-remaining"], "3");

    let refused = app.ingest_batch(&acme.key, batch(4)).await;
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited", None).await;
    assert_eq!(
        app.all_events(&acme.key, "").await.len(),
        7,
        "none of the refused batch was stored"
    );

    let fits: Value = app
        .ingest_batch(&acme.key, batch(3))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fits["accepted"], 3);

    // More than the whole burst can never pass: it is too large, not merely early.
    let never = app.ingest_batch(&acme.key, batch(11)).await;
    assert_error(
        never,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some("events"),
    )
    .await;
}

#[tokio::test]
async fn invalid_items_do_not_spend_the_budget() {
    let app = spawn_app().await;
    let acme = app
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 2}}))
        .await;
    let body = json!({"events": [{"event_type": "bad type"}, {"event_type": "ok"}, {"event_type": "bad type"}, {"event_type": "ok"}]});
    let response = app.ingest_batch(&acme.key, body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["accepted"], 2);
}

#[tokio::test]
async fn a_raised_limit_applies_at_once() {
    let app = spawn_app().await;
    let acme = app
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 1}}))
        .await;
    app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
    assert_eq!(
        app.ingest(&acme.key, json!({"event_type": "x"}))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/tenants/{}", acme.id)))
        .header("X-API-Key", &app.admin_token)
        .json(&json!({"rate_limit": {"per_second": 1000, "burst": 1000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
}
