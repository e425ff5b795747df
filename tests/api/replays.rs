//! Webhook replays end to end against real receivers: a range delivers exactly its matching
//! events under the `webhook-id`s they had, `only_failed` takes only what failed or died,
//! "since this delivery" and a new endpoint's `replay_hours`, validation, cancellation, tenant
//! scope, live deliveries before replayed ones, and a SIGKILL in the middle of a job. On
//! whichever store the suite runs on.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, assert_error, spawn_app_with};
use crate::webhooks::{Receiver, create_endpoint, deliveries, eventually, fast, header, received};

fn replaying(config: &mut tributary::config::Config) {
    fast(config);
    config.webhooks.replay_batch = 7;
}

async fn start_replay(app: &TestApp, key: &str, endpoint: &str, body: Value) -> Value {
    let response = app
        .post(&format!("/api/v1/webhooks/{endpoint}/replay"), key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let job: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["state"], "pending", "{job}");
    job
}

/// Polls the job until every delivery it queued has been made (20 s at most).
async fn delivered(app: &TestApp, key: &str, endpoint: &str, job: &Value) -> Value {
    let path = format!(
        "/api/v1/webhooks/{endpoint}/replays/{}",
        job["id"].as_str().unwrap()
    );
    eventually("the replay delivered", Duration::from_secs(20), || async {
        let (status, job) = app.get_json(&path, key).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        (job["state"] == "done" && job["waiting"] == 0).then_some(job)
    })
    .await
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The `data.id` of each request the receiver got, with its `webhook-id`.
fn sent(receiver: &Receiver) -> Vec<(String, String)> {
    receiver
        .requests()
        .iter()
        .map(|request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            (
                body["data"]["id"].as_str().unwrap().to_owned(),
                header(request, "webhook-id").to_owned(),
            )
        })
        .collect()
}

async fn ingest_at(
    app: &TestApp,
    tenant: &TestTenant,
    events: Vec<(&str, DateTime<Utc>)>,
) -> Vec<String> {
    let events: Vec<Value> = events
        .into_iter()
        .map(|(event_type, at)| json!({"event_type": event_type, "timestamp": rfc3339(at)}))
        .collect();
    let response = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_replay_sends_exactly_the_ranges_matching_events_under_the_webhook_ids_they_had() {
    let app = spawn_app_with(replaying).await;
    let acme = app.create_tenant("replay-acme").await;
    let globex = app.create_tenant("replay-globex").await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = create_endpoint(
        &app,
        &acme.key,
        json!({"url": receiver.url, "event_types": ["order.*"]}),
    )
    .await;
    let day = Utc::now() - chrono::Duration::days(1);
    let mut batch = Vec::new();
    for n in 0..10 {
        // Two days ago (outside the range), then yesterday (inside).
        batch.push((
            "order.paid",
            day - chrono::Duration::days(1) + chrono::Duration::seconds(n),
        ));
        batch.push(("order.paid", day + chrono::Duration::seconds(n)));
    }
    for n in 0..5 {
        batch.push(("order.refunded", day + chrono::Duration::seconds(20 + n)));
        batch.push(("signup", day + chrono::Duration::seconds(40 + n)));
    }
    let ids = ingest_at(&app, &acme, batch).await;
    let paid_in_range: HashSet<String> = (0..10).map(|n| ids[2 * n + 1].clone()).collect();
    // Another tenant's events in the same range, to an endpoint of its own.
    let other_receiver = Receiver::start().await;
    create_endpoint(&app, &globex.key, json!({"url": other_receiver.url})).await;
    ingest_at(
        &app,
        &globex,
        vec![("order.paid", day + chrono::Duration::seconds(5)); 4],
    )
    .await;

    // Live: every order.* event of acme's, once.
    let live = received(&receiver, 25, Duration::from_secs(20)).await;
    assert_eq!(live.len(), 25);
    let live_ids: HashMap<String, String> = sent(&receiver).into_iter().collect();
    // Recorded too (a delivery whose attempt is in flight is left to that attempt).
    eventually(
        "the live deliveries recorded",
        Duration::from_secs(10),
        || async {
            let log = deliveries(&app, &acme.key, &endpoint, "limit=100").await;
            (log.len() == 25 && log.iter().all(|d| d["status"] == "succeeded")).then_some(())
        },
    )
    .await;

    let job = start_replay(
        &app,
        &acme.key,
        &endpoint,
        json!({
            "from": rfc3339(day - chrono::Duration::hours(1)),
            "to": rfc3339(day + chrono::Duration::hours(1)),
            "event_types": ["order.paid"],
        }),
    )
    .await;
    let done = delivered(&app, &acme.key, &endpoint, &job).await;
    assert_eq!(
        (
            done["total"].as_u64(),
            done["created"].as_u64(),
            done["delivered"].as_u64(),
            done["failed"].as_u64()
        ),
        (Some(10), Some(10), Some(10), Some(0)),
        "{done}"
    );
    let replayed: Vec<(String, String)> = sent(&receiver).split_off(25);
    assert_eq!(replayed.len(), 10, "{replayed:?}");
    let replayed_events: HashSet<String> = replayed.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(replayed_events, paid_in_range);
    for (event, webhook_id) in &replayed {
        assert_eq!(
            &live_ids[event], webhook_id,
            "the same webhook-id as the live delivery"
        );
    }
    // Never another tenant's events.
    assert!(replayed.iter().all(|(event, _)| ids.contains(event)));

    // Since a delivery: from its event's time on, every type the endpoint takes.
    let log = deliveries(&app, &acme.key, &endpoint, "limit=100").await;
    let fifth = &ids[2 * 5 + 1];
    let delivery = log
        .iter()
        .find(|delivery| delivery["event_id"] == fifth.as_str())
        .unwrap();
    let job = start_replay(
        &app,
        &acme.key,
        &endpoint,
        json!({"since_delivery": delivery["id"]}),
    )
    .await;
    let done = delivered(&app, &acme.key, &endpoint, &job).await;
    // order.paid 5..9 and the five order.refunded after them; signups are not the endpoint's.
    assert_eq!(done["total"], 10, "{done}");
    assert_eq!(done["delivered"], 10, "{done}");

    // A new endpoint asks for the last 72 hours: all 30 of acme's events, new webhook-ids.
    let late_receiver = Receiver::start().await;
    let response = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": late_receiver.url, "replay_hours": 72}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let late = created["id"].as_str().unwrap().to_owned();
    let done = delivered(&app, &acme.key, &late, &created["replay"]).await;
    assert_eq!(
        (done["total"].as_u64(), done["delivered"].as_u64()),
        (Some(30), Some(30)),
        "{done}"
    );
    let late_sent = sent(&late_receiver);
    let events: HashSet<&String> = late_sent.iter().map(|(event, _)| event).collect();
    assert_eq!(events, ids.iter().collect::<HashSet<_>>());
    assert!(
        late_sent
            .iter()
            .all(|(event, id)| live_ids.get(event) != Some(id))
    );
    // The other tenant's receiver got its own four, live, and nothing else.
    assert_eq!(other_receiver.count(), 4);
}

#[tokio::test]
async fn only_failed_replays_just_the_deliveries_that_failed_or_died() {
    let app = spawn_app_with(|config| {
        replaying(config);
        // One attempt, then dead.
        config.webhooks.retry_schedule_secs = vec![];
    })
    .await;
    let tenant = app.create_tenant("replay-failed").await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({"url": receiver.url})).await;
    let now = Utc::now();
    let failed = ingest_at(
        &app,
        &tenant,
        vec![("page", now - chrono::Duration::minutes(5)); 4],
    )
    .await;
    eventually("four dead deliveries", Duration::from_secs(10), || async {
        let log = deliveries(&app, &tenant.key, &endpoint, "status=dead").await;
        (log.len() == 4).then_some(())
    })
    .await;
    receiver.answer(200);
    ingest_at(
        &app,
        &tenant,
        vec![("page", now - chrono::Duration::minutes(4)); 3],
    )
    .await;
    received(&receiver, 7, Duration::from_secs(10)).await;
    let dead_ids: HashMap<String, String> = sent(&receiver).into_iter().take(4).collect();

    let job = start_replay(
        &app,
        &tenant.key,
        &endpoint,
        json!({"from": rfc3339(now - chrono::Duration::hours(1)), "only_failed": true}),
    )
    .await;
    let done = delivered(&app, &tenant.key, &endpoint, &job).await;
    assert_eq!(
        (
            done["total"].as_u64(),
            done["created"].as_u64(),
            done["delivered"].as_u64()
        ),
        (Some(4), Some(4), Some(4)),
        "{done}"
    );
    let again: Vec<(String, String)> = sent(&receiver).split_off(7);
    assert_eq!(
        again
            .iter()
            .map(|(event, _)| event.clone())
            .collect::<HashSet<_>>(),
        failed.into_iter().collect::<HashSet<_>>()
    );
    for (event, id) in &again {
        assert_eq!(&dead_ids[event], id);
    }
    assert!(
        deliveries(&app, &tenant.key, &endpoint, "status=dead")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn replays_are_validated_cancellable_and_the_tenants_own() {
    let app = spawn_app_with(|config| {
        replaying(config);
        config.webhooks.replay_batch = 1;
        config.webhooks.replay_window = 1;
        config.webhooks.max_per_endpoint = 1;
    })
    .await;
    let acme = app.create_tenant("replay-rules").await;
    let globex = app.create_tenant("replay-intruder").await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = create_endpoint(&app, &acme.key, json!({"url": receiver.url})).await;
    let path = format!("/api/v1/webhooks/{endpoint}/replay");
    let now = Utc::now();
    let hour_ago = rfc3339(now - chrono::Duration::hours(1));
    for (body, field) in [
        (json!({}), "from"),
        (
            json!({"from": rfc3339(now + chrono::Duration::hours(1))}),
            "from",
        ),
        (
            json!({"from": rfc3339(now - chrono::Duration::days(91))}),
            "from",
        ),
        (json!({"from": hour_ago, "to": hour_ago}), "from"),
        (
            json!({"from": hour_ago, "event_types": ["ok", "not ok"]}),
            "event_types[1]",
        ),
        (
            json!({"from": hour_ago, "since_delivery": uuid::Uuid::now_v7()}),
            "since_delivery",
        ),
        (
            json!({"since_delivery": uuid::Uuid::now_v7()}),
            "since_delivery",
        ),
    ] {
        let response = app.post(&path, &acme.key).json(&body).send().await.unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    // A refused replay_hours creates no endpoint.
    let response = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": receiver.url, "replay_hours": 0}))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("replay_hours"),
    )
    .await;
    let (_, list) = app.get_json("/api/v1/webhooks", &acme.key).await;
    assert_eq!(list["endpoints"].as_array().unwrap().len(), 1);

    // A slow receiver and a window of one: the job is still queueing when it is cancelled.
    receiver.delay(300);
    ingest_at(
        &app,
        &acme,
        vec![("page", now - chrono::Duration::minutes(1)); 20],
    )
    .await;
    let job = start_replay(&app, &acme.key, &endpoint, json!({"from": hour_ago})).await;
    let job_path = format!(
        "/api/v1/webhooks/{endpoint}/replays/{}",
        job["id"].as_str().unwrap()
    );

    // Another tenant sees none of it and cannot start, read or cancel.
    let response = app
        .post(&path, &globex.key)
        .json(&json!({"from": hour_ago}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    for read in [
        format!("/api/v1/webhooks/{endpoint}/replays"),
        job_path.clone(),
    ] {
        let (status, _) = app.get_json(&read, &globex.key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{read}");
    }
    let response = app
        .post(&format!("{job_path}/cancel"), &globex.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let running = eventually("the job running", Duration::from_secs(10), || async {
        let (_, job) = app.get_json(&job_path, &acme.key).await;
        (job["state"] == "running" && job["created"].as_u64() >= Some(1)).then_some(job)
    })
    .await;
    assert_eq!(running["total"], 20, "{running}");
    let response = app
        .post(&format!("{job_path}/cancel"), &acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    let created = cancelled["created"].as_u64().unwrap();
    assert!(created < 20, "{cancelled}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (_, after) = app.get_json(&job_path, &acme.key).await;
    assert_eq!(
        after["created"].as_u64(),
        Some(created),
        "nothing queued after the cancel"
    );
    let (_, list) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}/replays"), &acme.key)
        .await;
    assert_eq!(list["data"][0]["id"], job["id"]);
    // Both are in the tenant's audit log, named.
    for action in ["replay.create", "replay.cancel"] {
        let (_, audit) = app
            .get_json(&format!("/api/v1/audit?action={action}"), &acme.key)
            .await;
        assert_eq!(
            audit["entries"][0]["target_id"], job["id"],
            "{action}: {audit}"
        );
    }
}

#[tokio::test]
async fn live_deliveries_go_before_a_replays() {
    let app = spawn_app_with(|config| {
        replaying(config);
        config.webhooks.max_per_endpoint = 1;
        config.webhooks.replay_batch = 100;
        config.webhooks.replay_window = 100;
    })
    .await;
    let tenant = app.create_tenant("replay-live-first").await;
    let receiver = Receiver::start().await;
    receiver.delay(100);
    let now = Utc::now();
    ingest_at(
        &app,
        &tenant,
        vec![("old", now - chrono::Duration::minutes(10)); 30],
    )
    .await;
    // Created after the events: they reach it only by the replay.
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({"url": receiver.url})).await;
    let job = start_replay(
        &app,
        &tenant.key,
        &endpoint,
        json!({"from": rfc3339(now - chrono::Duration::hours(1))}),
    )
    .await;
    received(&receiver, 3, Duration::from_secs(10)).await;
    let live = app
        .ingest_ok(&tenant.key, json!({"event_type": "live"}))
        .await;
    let all = received(&receiver, 31, Duration::from_secs(20)).await;
    let position = sent(&receiver)
        .iter()
        .position(|(event, _)| *event == live)
        .unwrap();
    assert!(
        position <= 5,
        "the live event went out {position}th of {}, behind the replay",
        all.len()
    );
    delivered(&app, &tenant.key, &endpoint, &job).await;
}

#[tokio::test]
async fn a_replay_killed_mid_way_resumes_after_a_restart_with_one_webhook_id_per_event() {
    use crate::durability::{create_tenant, durable_database};
    use crate::process::{ServerProcess, serve};

    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let receiver = Receiver::start().await;
    receiver.delay(10);
    let slow = || {
        let mut command = serve(&url);
        command
            .env("TRIBUTARY_WEBHOOKS__REPLAY_BATCH", "10")
            .env("TRIBUTARY_WEBHOOKS__REPLAY_WINDOW", "10")
            .env("TRIBUTARY_WEBHOOKS__MAX_PER_ENDPOINT", "2")
            .env("TRIBUTARY_WEBHOOKS__POLL_INTERVAL_MS", "20")
            .env("TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");
        command
    };
    let mut server = ServerProcess::start(slow());
    let key = create_tenant(&client, &server.address).await;
    let events: Vec<Value> = (0..200)
        .map(|n| json!({"event_type": "page", "metadata": {"n": n}}))
        .collect();
    let answer = client
        .post(format!("{}/api/v1/events/batch", server.address))
        .header("X-API-Key", &key)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let endpoint: Value = client
        .post(format!("{}/api/v1/webhooks", server.address))
        .header("X-API-Key", &key)
        .json(&json!({"url": receiver.url, "replay_hours": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_path = format!(
        "/api/v1/webhooks/{}/replays/{}",
        endpoint["id"].as_str().unwrap(),
        endpoint["replay"]["id"].as_str().unwrap()
    );
    let progress = |address: String| {
        let (client, key, path) = (client.clone(), key.clone(), job_path.clone());
        async move {
            client
                .get(format!("{address}{path}"))
                .header("X-API-Key", &key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = progress(server.address.clone()).await;
        if seen["created"].as_u64().unwrap() >= 40 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the job did not get going: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_hard();

    let restarted = ServerProcess::start(slow());
    let at_restart = progress(restarted.address.clone()).await;
    assert_eq!(at_restart["state"], "running", "{at_restart}");
    assert!(
        at_restart["created"].as_u64().unwrap() < 200,
        "{at_restart}"
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    let done = loop {
        let seen = progress(restarted.address.clone()).await;
        if seen["state"] == "done" && seen["waiting"] == 0 {
            break seen;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (done["total"].as_u64(), done["created"].as_u64()),
        (Some(200), Some(200)),
        "{done}"
    );
    // Every event arrived, each under one webhook-id however often it was sent.
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for (event, webhook_id) in sent(&receiver) {
        ids.entry(event).or_default().insert(webhook_id);
    }
    assert_eq!(ids.len(), 200);
    assert!(
        ids.values().all(|set| set.len() == 1),
        "an event was sent under two webhook-ids"
    );
}
