//! Retention with the real server: events stored longer ago than `retention.events_days`
//! disappear from every read, with their webhook deliveries, and newer ones stay. Time moves
//! by a manual clock; the pruner runs every second.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tributary::clock::ManualClock;

use crate::helpers::{TestApp, TestTenant, spawn_app_with_clock};

/// The tenant's event ids, newest first, once they equal `expected` (within 10 s).
async fn wait_for_events(app: &TestApp, tenant: &TestTenant, expected: &[&str]) {
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = app
            .all_events(&tenant.key, "")
            .await
            .iter()
            .map(|event| event["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        if listed == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "events of {} are {listed:?}, expected {expected:?}",
        tenant.id
    );
}

#[tokio::test]
async fn events_past_their_retention_disappear_with_their_deliveries_and_newer_ones_stay() {
    let started = Utc::now();
    let clock = Arc::new(ManualClock::new(started));
    let app = spawn_app_with_clock(
        |config| {
            config.retention.events_days = 1;
            config.retention.interval_secs = 1;
            // Deliveries stay pending: nothing is sent, so the log shows what is stored.
            config.webhooks.worker = false;
            config.webhooks.allow_private_targets = true;
        },
        clock.clone(),
    )
    .await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let hook = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::CREATED);
    let hook: Value = hook.json().await.unwrap();
    let deliveries = format!(
        "/api/v1/webhooks/{}/deliveries",
        hook["id"].as_str().unwrap()
    );

    let old = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "signup", "event_id": "e-1"}),
        )
        .await;
    let old_elsewhere = app
        .ingest_ok(&globex.key, json!({"event_type": "signup"}))
        .await;
    wait_for_events(&app, &globex, &[&old_elsewhere]).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let boundary = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let recent = app
        .ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;
    let (_, log) = app.get_json(&deliveries, &acme.key).await;
    assert_eq!(log["deliveries"].as_array().map(Vec::len), Some(2));

    // A day passes after `boundary`: what was stored before it is past its retention.
    clock.advance((boundary - started) + chrono::Duration::days(1));
    wait_for_events(&app, &acme, &[&recent]).await;
    wait_for_events(&app, &globex, &[]).await;
    let (status, _) = app
        .get_json(&format!("/api/v1/events/{old}"), &acme.key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = app
        .get_json("/api/v1/events/search?q=signup", &acme.key)
        .await;
    let hits: Vec<&str> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["event"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(hits, [recent.as_str()], "{found}");
    let (_, log) = app.get_json(&deliveries, &acme.key).await;
    let delivered: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|delivery| delivery["event_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(delivered, [recent.as_str()], "{log}");

    // The pruned event's client id can be used again.
    let again = app
        .ingest(
            &acme.key,
            json!({"event_type": "signup", "event_id": "e-1"}),
        )
        .await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["duplicate"], false, "{again}");

    let metrics = app
        .get("/metrics", &app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("tributary_pruned_total{what=\"events\"} ")),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_tenants_own_retention_wins_over_the_servers_both_shorter_and_forever() {
    let started = Utc::now();
    let clock = Arc::new(ManualClock::new(started));
    let app = spawn_app_with_clock(
        |config| {
            config.retention.events_days = 3;
            config.retention.interval_secs = 1;
        },
        clock.clone(),
    )
    .await;
    let mut tenants = Vec::new();
    for (name, retention) in [
        ("short", json!(1)),
        ("default", Value::Null),
        ("forever", json!(0)),
    ] {
        let tenant = app
            .create_tenant_with(json!({"name": name, "retention_days": retention}))
            .await;
        let id = app
            .ingest_ok(&tenant.key, json!({"event_type": "signup"}))
            .await;
        tenants.push((tenant, id));
    }
    let [
        (short, _),
        (default, default_event),
        (forever, forever_event),
    ] = &tenants[..]
    else {
        unreachable!()
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let boundary = Utc::now();

    clock.advance((boundary - started) + chrono::Duration::days(2));
    wait_for_events(&app, short, &[]).await;
    wait_for_events(&app, default, &[default_event]).await;
    wait_for_events(&app, forever, &[forever_event]).await;

    clock.advance(chrono::Duration::days(2));
    wait_for_events(&app, default, &[]).await;
    wait_for_events(&app, forever, &[forever_event]).await;
}
