//! A failing or slow endpoint cannot clog the rest: the circuit breaker (opens after
//! consecutive failures, probes with one delivery, closes on success) and fair claiming (a
//! slow receiver's backlog does not hold up another tenant's deliveries). On whichever store
//! the suite runs on.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app_with;
use crate::webhooks::{Receiver, create_endpoint, deliveries, eventually, fast, received};

#[tokio::test]
async fn the_circuit_opens_after_consecutive_failures_probes_with_one_delivery_and_closes() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.retry_schedule_secs = vec![1; 10];
        config.webhooks.max_per_endpoint = 1;
        config.webhooks.circuit_after_failures = 3;
        config.webhooks.circuit_open_secs = 2;
        config.webhooks.circuit_max_open_secs = 3;
    })
    .await;
    let tenant = app.create_tenant("circuit").await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({"url": receiver.url})).await;
    let events: Vec<Value> = (0..5)
        .map(|n| json!({"event_type": "page", "metadata": {"n": n}}))
        .collect();
    let response = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let view_path = format!("/api/v1/webhooks/{endpoint}");

    // Three failures (one at a time), then the circuit is open: nothing more for 2 s.
    received(&receiver, 3, Duration::from_secs(10)).await;
    let opened = eventually("the circuit open", Duration::from_secs(5), || async {
        let (_, view) = app.get_json(&view_path, &tenant.key).await;
        view["circuit_open_until"]
            .is_string()
            .then_some(Instant::now())
    })
    .await;
    assert_eq!(receiver.count(), 3, "no attempt past the threshold");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(receiver.count(), 3, "attempted while the circuit was open");

    // Then one probe, which fails: open again, for longer (3 s, the most).
    received(&receiver, 4, Duration::from_secs(5)).await;
    let probed = Instant::now();
    assert!(
        probed - opened >= Duration::from_millis(1500),
        "probed too soon"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.count(), 4, "one probe only");
    let (_, view) = app.get_json(&view_path, &tenant.key).await;
    assert!(view["circuit_open_until"].is_string(), "{view}");
    assert_eq!(view["consecutive_failures"], 4, "{view}");

    // The receiver recovers: the next probe succeeds, the circuit closes, the rest go out.
    receiver.answer(200);
    eventually("every delivery made", Duration::from_secs(15), || async {
        let list = deliveries(&app, &tenant.key, &endpoint, "").await;
        list.iter()
            .all(|d| d["status"] == "succeeded")
            .then_some(())
    })
    .await;
    let (_, view) = app.get_json(&view_path, &tenant.key).await;
    assert_eq!(view["circuit_open_until"], Value::Null, "{view}");
    assert_eq!(view["consecutive_failures"], 0, "{view}");
    // The breaker spent none of the deliveries' attempts: none died.
    assert!(
        deliveries(&app, &tenant.key, &endpoint, "status=dead")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_slow_receivers_backlog_does_not_hold_up_another_tenants_deliveries() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.attempt_timeout_secs = 10;
        config.webhooks.max_concurrency = 4;
        config.webhooks.max_per_endpoint = 2;
    })
    .await;
    let slow_tenant = app.create_tenant("backlog").await;
    let slow = Receiver::start().await;
    slow.delay(5_000);
    create_endpoint(&app, &slow_tenant.key, json!({"url": slow.url})).await;
    let events: Vec<Value> = (0..100)
        .map(|n| json!({"event_type": "page", "metadata": {"n": n}}))
        .collect();
    let response = app
        .ingest_batch(&slow_tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let healthy_tenant = app.create_tenant("healthy").await;
    let healthy = Receiver::start().await;
    create_endpoint(&app, &healthy_tenant.key, json!({"url": healthy.url})).await;
    // Behind 100 older deliveries, each taking 5 s two at a time.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    for n in 0..5 {
        app.ingest_ok(
            &healthy_tenant.key,
            json!({"event_type": "page", "metadata": {"n": n}}),
        )
        .await;
    }
    received(&healthy, 5, Duration::from_secs(4)).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the healthy tenant waited {:?}",
        started.elapsed()
    );
}
