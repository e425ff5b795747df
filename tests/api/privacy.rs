//! Privacy: a tenant's redaction policy (saved, validated, previewed) and redaction at ingest,
//! proved by looking for the original values everywhere they could have gone: the API, search,
//! the live stream, a webhook, the schema examples and the database itself (the SQLite file
//! and its WAL, or PostgreSQL's tables as text).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, next_json, spawn_app_with};
use crate::webhooks::Receiver;

/// Values that must not survive redaction, each unique enough to be looked for in raw bytes
/// (the search index stores words, so each is also one word).
const EMAIL: &str = "zqxvsecret@example.com";
const NAME: &str = "Wilhelminazq";
const IP: &str = "203.0.113.77";
const SSN: &str = "zqssn99871";
const CARD: &str = "4111 1111 1111 1111";
const CARD_DIGITS: &str = "4111111111111111";
const NOTE_EMAIL: &str = "qqnote@example.org";

fn policy() -> Value {
    json!({
        "rules": [
            {"path": "metadata.email", "action": "mask"},
            {"path": "user.*", "action": "hash"},
            {"path": "context.ip", "action": "drop"},
            {"path": "items.card", "action": "drop"},
            {"path": "ssn", "action": "hash"}
        ],
        "detectors": [
            {"detector": "email", "action": "mask"},
            {"detector": "card", "action": "mask"}
        ]
    })
}

fn personal(n: u32) -> Value {
    json!({
        "email": EMAIL,
        "user": {"name": NAME, "id": "u-42"},
        "context": {"ip": IP, "locale": "en"},
        "items": [{"card": CARD, "sku": "a"}, {"sku": "b"}],
        "ssn": SSN,
        "note": format!("paid with {CARD} by {NOTE_EMAIL}"),
        "n": n
    })
}

async fn put_policy(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/privacy"))
        .header("X-API-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn fast(config: &mut tributary::config::Config) {
    config.webhooks.allow_private_targets = true;
    config.webhooks.poll_interval_ms = 20;
}

#[tokio::test]
async fn a_policy_is_saved_returned_previewed_and_refused_when_invalid() {
    let app = spawn_app_with(fast).await;
    let acme = app.create_tenant("acme").await;
    let (_, empty) = app.get_json("/api/v1/privacy", &acme.key).await;
    assert_eq!(
        empty,
        json!({"rules": [], "detectors": [], "updated_at": null})
    );

    let saved = put_policy(&app, &acme.key, &policy()).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["rules"], policy()["rules"]);
    assert!(saved["updated_at"].is_string());
    let (_, read) = app.get_json("/api/v1/privacy", &acme.key).await;
    assert_eq!(read, saved);
    assert!(
        !read.to_string().contains("key"),
        "the hashing key is never shown: {read}"
    );

    // The saved policy, and a policy being edited, on an event that is not stored.
    let preview = |body: Value| {
        app.post("/api/v1/privacy/preview", &acme.key)
            .json(&body)
            .send()
    };
    let shown: Value = preview(json!({"metadata": personal(1)}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["metadata"]["email"], "z***@example.com");
    assert_eq!(shown["metadata"]["context"], json!({"locale": "en"}));
    let trial: Value = preview(json!({
        "metadata": {"email": EMAIL},
        "policy": {"rules": [{"path": "email", "action": "drop"}]}
    }))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(trial["metadata"], json!({}));
    assert_eq!(app.all_events(&acme.key, "").await.len(), 0);

    for (body, field) in [
        (
            json!({"rules": [{"path": "a..b", "action": "drop"}]}),
            "rules[0].path",
        ),
        (
            json!({"rules": [{"path": "metadata", "action": "drop"}]}),
            "rules[0].path",
        ),
        (
            json!({"detectors": [{"detector": "email", "action": "mask"}, {"detector": "email", "action": "drop"}]}),
            "detectors[1].detector",
        ),
    ] {
        assert_error(
            put_policy(&app, &acme.key, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    let unknown_action = put_policy(
        &app,
        &acme.key,
        &json!({"rules": [{"path": "email", "action": "shred"}]}),
    )
    .await;
    assert!(
        unknown_action.status().is_client_error(),
        "{}",
        unknown_action.status()
    );
    let bad_preview = preview(json!({
        "metadata": {},
        "policy": {"rules": [{"path": "", "action": "drop"}]}
    }))
    .await
    .unwrap();
    assert_error(
        bad_preview,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("policy.rules[0].path"),
    )
    .await;
    // A refused policy changed nothing.
    let (_, still) = app.get_json("/api/v1/privacy", &acme.key).await;
    assert_eq!(still, saved);

    // Changing the policy needs `manage`.
    let (reader, _) = app.create_key(&acme, &["read"]).await;
    assert_error(
        put_policy(&app, &reader, &policy()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    )
    .await;
}

#[tokio::test]
async fn another_tenants_policy_is_invisible_untouchable_and_never_applied() {
    let app = spawn_app_with(fast).await;
    let (acme, globex) = (
        app.create_tenant("acme").await,
        app.create_tenant("globex").await,
    );
    assert_eq!(
        put_policy(&app, &acme.key, &policy()).await.status(),
        StatusCode::OK
    );
    let (_, theirs) = app.get_json("/api/v1/privacy", &globex.key).await;
    assert_eq!(theirs["rules"], json!([]));
    // A key cannot name another tenant, to read or to change.
    let (status, _) = app
        .get_json(
            &format!("/api/v1/privacy?tenant_id={}", acme.id),
            &globex.key,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut takeover = json!({"rules": []});
    takeover["tenant_id"] = json!(acme.id);
    assert_eq!(
        put_policy(&app, &globex.key, &takeover).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, ours) = app.get_json("/api/v1/privacy", &acme.key).await;
    assert_eq!(ours["rules"], policy()["rules"]);
    // The admin reaches either, by name.
    let (status, admin_view) = app
        .get_json(
            &format!("/api/v1/privacy?tenant_id={}", acme.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(admin_view["rules"], policy()["rules"]);

    // globex's events keep their values.
    let id = app
        .ingest_ok(
            &globex.key,
            json!({"event_type": "signup", "metadata": {"email": EMAIL}}),
        )
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &globex.key)
        .await;
    assert_eq!(event["metadata"]["email"], EMAIL);
}

#[tokio::test]
async fn nothing_of_a_redacted_value_reaches_the_api_search_stream_webhooks_or_the_database() {
    let app = spawn_app_with(fast).await;
    let acme = app.create_tenant("acme").await;
    assert_eq!(
        put_policy(&app, &acme.key, &policy()).await.status(),
        StatusCode::OK
    );
    // A warn-mode schema whose violations quote the value, and keep examples.
    let schema = app
        .client
        .put(app.url("/api/v1/schemas/signup"))
        .header("X-API-Key", &acme.key)
        .json(&json!({"mode": "warn", "schema": {"properties": {"ssn": {"type": "integer"}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(schema.status(), StatusCode::CREATED);
    let receiver = Receiver::start().await;
    let hook = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::CREATED);
    let mut stream = app.ws_ready(&acme.key, "").await;

    // Every entry point: one event, a batch, Segment's track.
    app.ingest_ok(
        &acme.key,
        json!({"event_type": "signup", "metadata": personal(1)}),
    )
    .await;
    let batch = app
        .ingest_batch(
            &acme.key,
            json!({"events": [{"event_type": "signup", "metadata": personal(2)}]}),
        )
        .await;
    assert_eq!(batch.status(), StatusCode::ACCEPTED);
    let segment = app
        .client
        .post(app.url("/v1/track"))
        .header("X-API-Key", &acme.key)
        .json(&json!({
            "event": "Signed Up", "userId": "u-42",
            "properties": {"email": EMAIL, "note": format!("card {CARD}")},
            "context": {"ip": IP}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(segment.status(), StatusCode::OK);

    let events = app.all_events(&acme.key, "").await;
    assert_eq!(events.len(), 3);
    let native: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "signup")
        .collect();
    for event in &native {
        let metadata = &event["metadata"];
        assert_eq!(metadata["email"], "z***@example.com");
        assert_eq!(metadata["context"], json!({"locale": "en"}));
        assert_eq!(metadata["items"], json!([{"sku": "a"}, {"sku": "b"}]));
        assert_eq!(metadata["user"]["name"].as_str().unwrap().len(), 64);
        assert_eq!(
            metadata["note"],
            "paid with **** **** **** 1111 by q***@example.org"
        );
        // The violation is stored, without the value it quoted.
        assert_eq!(event["violations"][0]["path"], "/ssn", "{event}");
    }
    // Hashes join: the same value hashes alike in every event.
    assert_eq!(
        native[0]["metadata"]["user"]["id"],
        native[1]["metadata"]["user"]["id"]
    );
    assert_eq!(native[0]["metadata"]["ssn"], native[1]["metadata"]["ssn"]);

    let (_, found) = app
        .get_json("/api/v1/events/search?q=zqxvsecret", &acme.key)
        .await;
    assert_eq!(found["hits"], json!([]), "{found}");
    let (_, found) = app
        .get_json("/api/v1/events/search?q=Wilhelminazq", &acme.key)
        .await;
    assert_eq!(found["hits"], json!([]), "{found}");

    let mut frames = Vec::new();
    while frames.len() < 3 {
        let frame = tokio::time::timeout(Duration::from_secs(5), next_json(&mut stream))
            .await
            .expect("three events on the stream")
            .expect("a frame");
        frames.push(frame.to_string());
    }
    let deliveries = eventually_received(&receiver, 3).await;

    let (_, quality) = app
        .get_json("/api/v1/schemas/signup/violations", &acme.key)
        .await;
    assert!(
        !quality["examples"].as_array().unwrap().is_empty(),
        "{quality}"
    );

    let mut places: Vec<(&str, String)> = vec![
        ("the events API", serde_json::to_string(&events).unwrap()),
        ("the schema examples", quality.to_string()),
        ("the stream", frames.join("\n")),
        ("the webhooks", deliveries.join("\n")),
    ];
    let stored = app.database_text().await;
    places.push(("the database", stored));
    for (place, text) in &places {
        for original in [
            EMAIL,
            "zqxvsecret",
            NAME,
            IP,
            SSN,
            CARD,
            CARD_DIGITS,
            NOTE_EMAIL,
            "qqnote",
        ] {
            assert!(!text.contains(original), "{original:?} reached {place}");
        }
    }
}

async fn eventually_received(receiver: &Receiver, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let bodies = receiver.bodies();
        if bodies.len() >= n {
            return bodies;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} webhook deliveries arrived");
}
