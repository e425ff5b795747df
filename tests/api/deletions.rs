//! Privacy: deletion of a subject's events by background job (dry run, progress, the endpoints
//! that had received them, cancellation, a SIGKILL mid-job) and suppression of a subject's
//! future events, on whichever store the suite runs on.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, assert_error, next_json, spawn_app_with};
use crate::webhooks::Receiver;

/// A word only the subject's events carry, to look for in search.
const SUBJECT_WORD: &str = "zqsubjectword";

fn fast(config: &mut tributary::config::Config) {
    config.webhooks.allow_private_targets = true;
    config.webhooks.poll_interval_ms = 20;
    config.privacy.deletion_batch = 7;
    config.privacy.deletion_pause_ms = 1;
    // An endpoint answers 500 to every delivery on purpose: no circuit breaker in the way.
    config.webhooks.circuit_after_failures = 0;
}

pub(crate) async fn create_job(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/deletions", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Polls the job until it has finished (10 s at most).
pub(crate) async fn finished(app: &TestApp, key: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, job) = app.get_json(&format!("/api/v1/deletions/{id}"), key).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if ["done", "failed", "cancelled"].contains(&job["state"].as_str().unwrap()) {
            return job;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ingest_subjects(app: &TestApp, tenant: &TestTenant, subject: usize, others: usize) {
    let mut events = Vec::new();
    for n in 0..subject {
        events.push(json!({
            "event_type": if n % 2 == 0 { "page" } else { "click" },
            "metadata": {"user_id": "u-42", "note": format!("{SUBJECT_WORD} {n}")}
        }));
    }
    for n in 0..others {
        events.push(json!({
            "event_type": "page",
            "metadata": {"user_id": "u-7", "note": format!("other {n}")}
        }));
    }
    let answer = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
}

async fn stats_total(app: &TestApp, key: &str) -> u64 {
    let (status, stats) = app.get_json("/api/v1/events/stats", key).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    stats["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_deletion_takes_the_subjects_events_from_everywhere_and_leaves_the_rest() {
    let app = spawn_app_with(fast).await;
    let (acme, globex) = (
        app.create_tenant("acme").await,
        app.create_tenant("globex").await,
    );
    // One endpoint takes every delivery; the other fails, so its deliveries stay pending.
    let (taker, refuser) = (Receiver::start().await, Receiver::start().await);
    refuser.answer(500);
    let mut endpoints = Vec::new();
    for receiver in [&taker, &refuser] {
        let hook: Value = app
            .post("/api/v1/webhooks", &acme.key)
            .json(&json!({"url": receiver.url}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        endpoints.push(hook["id"].as_str().unwrap().to_owned());
    }
    let marker = app
        .ingest_ok(&acme.key, json!({"event_type": "marker"}))
        .await;
    ingest_subjects(&app, &acme, 30, 10).await;
    ingest_subjects(&app, &globex, 5, 0).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Until every delivery's first attempt is recorded (a receiver sees the request a moment
    // before the worker records the attempt).
    for endpoint in &endpoints {
        loop {
            let (_, log) = app
                .get_json(
                    &format!("/api/v1/webhooks/{endpoint}/deliveries?limit=100"),
                    &acme.key,
                )
                .await;
            let attempted = log["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["attempts"].as_u64() >= Some(1))
                .count();
            if attempted == 41 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the deliveries were not attempted: {attempted}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    assert_eq!(taker.bodies().len(), 41);
    let subject_ids: Vec<String> = app
        .all_events(&acme.key, "&meta.user_id=u-42")
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subject_ids.len(), 30);
    assert_eq!(stats_total(&app, &acme.key).await, 41);

    // A dry run counts and names the endpoints, and deletes nothing.
    let dry = create_job(
        &app,
        &acme.key,
        json!({"match": {"meta.user_id": "u-42"}, "dry_run": true}),
    )
    .await;
    assert_eq!(dry.status(), StatusCode::ACCEPTED);
    let dry: Value = dry.json().await.unwrap();
    assert_eq!(dry["state"], "pending");
    assert_eq!(dry["match"], json!({"meta.user_id": "u-42"}));
    let dry = finished(&app, &acme.key, dry["id"].as_str().unwrap()).await;
    assert_eq!(dry["state"], "done", "{dry}");
    assert_eq!(
        (dry["matched"].as_u64(), dry["deleted"].as_u64()),
        (Some(30), Some(0))
    );
    let mut named: Vec<(String, u64)> = dry["delivered_to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["endpoint_id"].as_str().unwrap().to_owned(),
                d["events"].as_u64().unwrap(),
            )
        })
        .collect();
    named.sort();
    let mut expected = vec![(endpoints[0].clone(), 30), (endpoints[1].clone(), 30)];
    expected.sort();
    assert_eq!(named, expected, "{dry}");
    assert_eq!(app.all_events(&acme.key, "").await.len(), 41);

    // The real job, in batches of 7.
    let job: Value = create_job(&app, &acme.key, json!({"match": {"meta.user_id": "u-42"}}))
        .await
        .json()
        .await
        .unwrap();
    let job = finished(&app, &acme.key, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (job["matched"].as_u64(), job["deleted"].as_u64()),
        (Some(30), Some(30))
    );
    assert_eq!(job["delivered_to"].as_array().unwrap().len(), 2, "{job}");
    assert!(job["finished_at"].is_string());

    // Gone from list, get, search, stats, the stream's replay and the delivery log.
    assert!(
        app.all_events(&acme.key, "&meta.user_id=u-42")
            .await
            .is_empty()
    );
    assert_eq!(app.all_events(&acme.key, "").await.len(), 11);
    for id in &subject_ids {
        let (status, _) = app
            .get_json(&format!("/api/v1/events/{id}"), &acme.key)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (_, found) = app
        .get_json(
            &format!("/api/v1/events/search?q={SUBJECT_WORD}"),
            &acme.key,
        )
        .await;
    assert_eq!(found["hits"], json!([]), "{found}");
    assert_eq!(stats_total(&app, &acme.key).await, 11);
    let mut replay = app
        .ws(&acme.key, &format!("since={marker}"))
        .await
        .expect("the replay");
    let mut replayed = Vec::new();
    while replayed.len() < 10 {
        let message = next_json(&mut replay).await.expect("the replay");
        match message["type"].as_str() {
            Some("event") => replayed.push(message["data"]["metadata"]["user_id"].clone()),
            Some("subscribed") => {}
            _ => panic!("{message}"),
        }
    }
    assert!(replayed.iter().all(|u| u == "u-7"), "{replayed:?}");
    // The marker itself aside, nothing else is replayed: the next message is a live event.
    app.ingest_ok(&acme.key, json!({"event_type": "after"}))
        .await;
    loop {
        let message = next_json(&mut replay).await.expect("the live event");
        if message["type"] == "event" {
            assert_eq!(message["data"]["event_type"], "after", "{message}");
            break;
        }
    }
    for endpoint in &endpoints {
        let (_, log) = app
            .get_json(
                &format!("/api/v1/webhooks/{endpoint}/deliveries?limit=100"),
                &acme.key,
            )
            .await;
        let deliveries: Vec<&Value> = log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["event_type"] != "after")
            .collect();
        assert_eq!(deliveries.len(), 11, "the marker's and u-7's");
        for delivery in deliveries {
            assert!(
                !subject_ids
                    .iter()
                    .any(|id| Some(id.as_str()) == delivery["event_id"].as_str()),
                "{delivery}"
            );
        }
    }
    // Another tenant's events of the same subject stay.
    assert_eq!(
        app.all_events(&globex.key, "&meta.user_id=u-42")
            .await
            .len(),
        5
    );

    // Listed, newest first.
    let (_, list) = app.get_json("/api/v1/deletions", &acme.key).await;
    let ids: Vec<&str> = list["deletions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [job["id"].as_str().unwrap(), dry["id"].as_str().unwrap()]
    );
}

#[tokio::test]
async fn a_deletion_by_query_and_time_range_takes_only_those() {
    let app = spawn_app_with(fast).await;
    let acme = app.create_tenant("acme").await;
    let event = |ts: &str, word: &str| json!({"event_type": "page", "timestamp": ts, "metadata": {"note": word}});
    let answer = app
        .ingest_batch(
            &acme.key,
            json!({"events": [
                event("2026-01-01T10:00:00Z", "alpha"),
                event("2026-01-01T12:00:00Z", "alpha"),
                event("2026-01-01T12:00:00Z", "beta"),
                event("2026-01-02T12:00:00Z", "alpha"),
            ]}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let job: Value = create_job(
        &app,
        &acme.key,
        json!({"query": "alpha", "from": "2026-01-01T11:00:00Z", "to": "2026-01-02T00:00:00Z"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let job = finished(&app, &acme.key, job["id"].as_str().unwrap()).await;
    assert_eq!(job["deleted"], 1, "{job}");
    let left: Vec<(String, String)> = app
        .all_events(&acme.key, "")
        .await
        .iter()
        .map(|e| {
            (
                e["timestamp"].as_str().unwrap().to_owned(),
                e["metadata"]["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        !left.contains(&("2026-01-01T12:00:00Z".into(), "alpha".into())),
        "{left:?}"
    );
}

#[tokio::test]
async fn deletion_requests_are_validated_scoped_and_cancellable() {
    let app = spawn_app_with(|config| {
        fast(config);
        // Slow enough to be cancelled before it is done.
        config.privacy.deletion_batch = 1;
        config.privacy.deletion_pause_ms = 200;
    })
    .await;
    let (acme, globex) = (
        app.create_tenant("acme").await,
        app.create_tenant("globex").await,
    );
    for (body, field) in [
        (json!({}), "match"),
        (json!({"match": {}}), "match"),
        (json!({"query": " "}), "match"),
        (json!({"match": {"user_id": "u"}}), "match.user_id"),
        (json!({"match": {"meta.u": null}}), "match.meta.u"),
        (json!({"match": {"meta.u": "1"}, "query": "a:("}), "query"),
        (
            json!({"match": {"meta.u": "1"}, "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
            "from",
        ),
    ] {
        let answer = create_job(&app, &acme.key, body.clone()).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error: Value = answer.json().await.unwrap();
        assert_eq!(
            error["error"]["code"], "validation_error",
            "{body}: {error}"
        );
        assert!(
            error["error"]["field"].as_str().unwrap().starts_with(field),
            "{body}: {error}"
        );
    }
    let unknown = create_job(
        &app,
        &acme.key,
        json!({"match": {"meta.u": "1"}, "dryrun": true}),
    )
    .await;
    assert!(unknown.status().is_client_error());
    assert!(
        app.get_json("/api/v1/deletions", &acme.key).await.1["deletions"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // `manage` only, for reading too: a job names a person.
    let (reader, _) = app.create_key(&acme, &["read", "ingest"]).await;
    let refused = create_job(&app, &reader, json!({"match": {"meta.u": "1"}})).await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;
    let (status, _) = app.get_json("/api/v1/deletions", &reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    ingest_subjects(&app, &acme, 20, 0).await;
    let job: Value = create_job(&app, &acme.key, json!({"match": {"meta.user_id": "u-42"}}))
        .await
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    // Another tenant's credential neither sees nor stops it.
    for path in [format!("/api/v1/deletions/{id}")] {
        let (status, body) = app.get_json(&path, &globex.key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let cancel = app
        .post(&format!("/api/v1/deletions/{id}/cancel"), &globex.key)
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::NOT_FOUND);
    assert!(
        app.get_json("/api/v1/deletions", &globex.key).await.1["deletions"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let cancelled: Value = app
        .post(&format!("/api/v1/deletions/{id}/cancel"), &acme.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let (_, audit) = app.get_json("/api/v1/audit", &acme.key).await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("deletion."))
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [("deletion.cancel", id), ("deletion.create", id)],
        "{audit}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, after) = app
        .get_json(&format!("/api/v1/deletions/{id}"), &acme.key)
        .await;
    assert_eq!(after["state"], "cancelled");
    let left = app.all_events(&acme.key, "").await.len() as u64;
    assert!(left > 0, "a cancelled job stops");
    assert_eq!(left + after["deleted"].as_u64().unwrap(), 20, "{after}");
}

async fn suppress(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/suppressions", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_suppressed_subjects_events_are_answered_accepted_counted_and_never_stored() {
    let app = spawn_app_with(fast).await;
    let (acme, globex) = (
        app.create_tenant("acme").await,
        app.create_tenant("globex").await,
    );
    let created = suppress(
        &app,
        &acme.key,
        json!({"match": {"meta.user_id": "u-42"}, "reason": "GDPR request 17"}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["match"], json!({"meta.user_id": "u-42"}));
    assert_eq!(created["dropped"], 0);
    // Segment's track keeps the user under `userId`.
    let segments = suppress(&app, &acme.key, json!({"match": {"meta.userId": "u-42"}})).await;
    assert_eq!(segments.status(), StatusCode::CREATED);
    let again = suppress(&app, &acme.key, json!({"match": {"meta.user_id": "u-42"}})).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], created["id"]);

    let receiver = Receiver::start().await;
    let hook = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::CREATED);
    let mut stream = app.ws_ready(&acme.key, "").await;

    // Single, batch (beside an event of someone else) and Segment's track: all accepted.
    let single = app
        .ingest(
            &acme.key,
            json!({"event_type": "page", "metadata": {"user_id": "u-42"}}),
        )
        .await;
    assert_eq!(single.status(), StatusCode::ACCEPTED);
    let single: Value = single.json().await.unwrap();
    assert_eq!(single["duplicate"], false);
    assert!(single["id"].is_string());
    let batch: Value = app
        .ingest_batch(
            &acme.key,
            json!({"events": [
                {"event_type": "page", "metadata": {"user_id": "u-42", "n": 1}},
                {"event_type": "page", "metadata": {"user_id": "u-7"}},
            ]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (batch["accepted"].as_u64(), batch["rejected"].as_u64()),
        (Some(2), Some(0))
    );
    let segment = app
        .client
        .post(app.url("/v1/track"))
        .header("X-API-Key", &acme.key)
        .json(&json!({"event": "Signed Up", "userId": "u-42", "properties": {"plan": "pro"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(segment.status(), StatusCode::OK);
    let theirs = app
        .ingest(
            &globex.key,
            json!({"event_type": "page", "metadata": {"user_id": "u-42"}}),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::ACCEPTED);

    let stored = app.all_events(&acme.key, "").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["metadata"]["user_id"], "u-7");
    let (status, _) = app
        .get_json(
            &format!("/api/v1/events/{}", single["id"].as_str().unwrap()),
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let first = next_json(&mut stream)
        .await
        .expect("the stored event streams");
    assert_eq!(first["data"]["metadata"]["user_id"], "u-7", "{first}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while receiver.bodies().is_empty() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.bodies().len(),
        1,
        "only the stored event is delivered"
    );
    assert_eq!(app.all_events(&globex.key, "").await.len(), 1);
    assert!(
        app.metrics()
            .await
            .contains("tributary_events_suppressed_total 3")
    );

    let (_, list) = app.get_json("/api/v1/suppressions", &acme.key).await;
    let listed = &list["suppressions"].as_array().unwrap()[0];
    assert_eq!(listed["dropped"], 2, "{list}");
    assert_eq!(list["suppressions"][1]["dropped"], 1, "{list}");
    assert_eq!(listed["reason"], "GDPR request 17");
    assert!(listed["last_dropped_at"].is_string());
    let (_, theirs) = app.get_json("/api/v1/suppressions", &globex.key).await;
    assert_eq!(theirs["suppressions"], json!([]));

    // Another tenant cannot lift it; the owner can, and the subject is stored again.
    let path = format!("/api/v1/suppressions/{}", created["id"].as_str().unwrap());
    let lift = |key: &str| {
        app.client
            .delete(app.url(&path))
            .header("X-API-Key", key)
            .send()
    };
    assert_eq!(
        lift(&globex.key).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        lift(&acme.key).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        lift(&acme.key).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    app.ingest_ok(
        &acme.key,
        json!({"event_type": "page", "metadata": {"user_id": "u-42"}}),
    )
    .await;
    assert_eq!(
        app.all_events(&acme.key, "&meta.user_id=u-42").await.len(),
        1
    );

    // The changes are in the audit log, with what was suppressed; none is in globex's.
    let (_, added) = app
        .get_json("/api/v1/audit?action=suppression.create", &acme.key)
        .await;
    let added = added["entries"].as_array().unwrap();
    assert_eq!(added.len(), 3, "two made, one found again: {added:?}");
    assert!(added.iter().any(|e| e["target_id"] == created["id"]
        && e["after"]["match"] == json!({"meta.user_id": "u-42"})));
    let (_, lifted) = app
        .get_json("/api/v1/audit?action=suppression.delete", &acme.key)
        .await;
    let lifted = &lifted["entries"].as_array().unwrap()[0];
    assert_eq!(lifted["target_id"], created["id"]);
    assert_eq!(lifted["before"]["reason"], "GDPR request 17");
    let (_, theirs) = app.get_json("/api/v1/audit", &globex.key).await;
    let theirs = theirs["entries"].as_array().unwrap();
    assert!(
        theirs.iter().all(|e| e["action"] == "tenant.create"),
        "only its own creation: {theirs:?}"
    );
}

#[tokio::test]
async fn suppression_requests_are_validated_and_need_manage() {
    let app = spawn_app_with(fast).await;
    let acme = app.create_tenant("acme").await;
    for (body, field) in [
        (json!({"match": {}}), "match"),
        (json!({"match": {"user_id": "u"}}), "match.user_id"),
        (json!({"match": {"meta.u": [1]}}), "match.meta.u"),
        (
            json!({"match": {"meta.u": "1"}, "reason": "x".repeat(501)}),
            "reason",
        ),
    ] {
        assert_error(
            suppress(&app, &acme.key, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    assert!(
        suppress(&app, &acme.key, json!({}))
            .await
            .status()
            .is_client_error()
    );
    let (reader, _) = app.create_key(&acme, &["read", "ingest"]).await;
    assert_error(
        suppress(&app, &reader, json!({"match": {"meta.u": "1"}})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    )
    .await;
    let (status, _) = app.get_json("/api/v1/suppressions", &reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = app.get_json("/api/v1/suppressions", &acme.key).await;
    assert_eq!(list["suppressions"], json!([]));
}

#[tokio::test]
async fn a_deletion_job_killed_mid_way_finishes_after_a_restart_with_exact_counts() {
    use crate::durability::{create_tenant, durable_database, stored_ids};
    use crate::process::{ServerProcess, serve};

    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let slow = || {
        let mut command = serve(&url);
        command
            .env("TRIBUTARY_PRIVACY__DELETION_BATCH", "10")
            .env("TRIBUTARY_PRIVACY__DELETION_PAUSE_MS", "100");
        command
    };
    let mut server = ServerProcess::start(slow());
    let key = create_tenant(&client, &server.address).await;
    let events: Vec<Value> = (0..250)
        .map(|n| {
            let user = if n % 5 == 0 { "u-7" } else { "u-42" };
            json!({"event_type": "page", "metadata": {"user_id": user, "n": n}})
        })
        .collect();
    let answer = client
        .post(format!("{}/api/v1/events/batch", server.address))
        .header("X-API-Key", &key)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let job: Value = client
        .post(format!("{}/api/v1/deletions", server.address))
        .header("X-API-Key", &key)
        .json(&json!({"match": {"meta.user_id": "u-42"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_path = format!("/api/v1/deletions/{}", job["id"].as_str().unwrap());
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
    // Killed once it has deleted some, well before it is done.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = progress(server.address.clone()).await;
        if seen["deleted"].as_u64().unwrap() >= 30 {
            break;
        }
        assert!(Instant::now() < deadline, "the job did not start: {seen}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_hard();

    let restarted = ServerProcess::start(slow());
    let at_restart = progress(restarted.address.clone()).await;
    assert_eq!(at_restart["state"], "running", "{at_restart}");
    assert_eq!(at_restart["matched"], 200);
    assert!(
        at_restart["deleted"].as_u64().unwrap() < 200,
        "{at_restart}"
    );
    // The new instance takes the job up once the dead one's lease has run out.
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let seen = progress(restarted.address.clone()).await;
        if seen["state"] == "done" {
            break seen;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (done["matched"].as_u64(), done["deleted"].as_u64()),
        (Some(200), Some(200)),
        "{done}"
    );
    assert_eq!(
        stored_ids(&client, &restarted.address, &key).await.len(),
        50
    );
}
