//! The live stream over a real WebSocket: authentication before the upgrade, tenant
//! isolation, filters, resume without gap or duplicate, backpressure and shutdown.

use std::time::{Duration, Instant};

use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{assert_error, close_code, next_json, spawn_app, spawn_app_with};

/// Collects `n` event messages, failing on anything else.
async fn events(socket: &mut crate::helpers::Ws, n: usize) -> Vec<Value> {
    let mut received = Vec::new();
    while received.len() < n {
        let message = next_json(socket)
            .await
            .unwrap_or_else(|| panic!("only {} of {n} events arrived", received.len()));
        assert_eq!(message["type"], "event", "{message}");
        received.push(message["data"].clone());
    }
    received
}

#[tokio::test]
async fn the_stream_refuses_missing_wrong_revoked_and_expired_credentials_before_the_upgrade() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let (revoked, revoked_id) = app.create_key(&acme, &["read"]).await;
    app.client
        .delete(app.url(&format!("/api/v1/tenants/{}/keys/{revoked_id}", acme.id)))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": acme.key_id, "tenant_id": acme.id, "scopes": ["read"], "iat": now - 7200, "exp": now - 600}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET.as_bytes()),
    )
    .unwrap();
    for credential in ["", "trb_wrong", revoked.as_str(), expired.as_str()] {
        assert_eq!(
            app.ws(credential, "").await.err(),
            Some(StatusCode::UNAUTHORIZED),
            "{credential:?}"
        );
    }
    let (ingest_only, _) = app.create_key(&acme, &["ingest"]).await;
    assert_eq!(
        app.ws(&ingest_only, "").await.err(),
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(
        app.ws(&acme.key, "since=not-an-id").await.err(),
        Some(StatusCode::UNPROCESSABLE_ENTITY)
    );
    assert_eq!(
        app.ws(&app.admin_token, "").await.err(),
        Some(StatusCode::UNPROCESSABLE_ENTITY),
        "the admin names a tenant"
    );
    // A JWT works as access_token, as the dashboard sends it.
    let token: Value = app
        .post("/api/v1/auth/token", &acme.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.ws_ready(token["access_token"].as_str().unwrap(), "")
        .await;
}

#[tokio::test]
async fn bad_stream_parameters_are_refused_before_the_upgrade_with_their_code_and_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let refused = |credential: String, query: &'static str| {
        app.client
            .get(app.url(&format!("/api/v1/ws?{query}")))
            .header("X-API-Key", credential)
            .send()
    };
    for (query, field) in [
        ("since=not-an-id", "since"),
        ("event_type=no%20spaces", "event_type"),
        ("tenant_id=42", "tenant_id"),
        ("colour=blue", "colour"),
    ] {
        let response = refused(acme.key.clone(), query).await.unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    let response = refused(app.admin_token.clone(), "").await.unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("tenant_id"),
    )
    .await;
    let response = refused(acme.key.clone(), "").await.unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "validation_error", None).await;
}

#[tokio::test]
async fn a_subscriber_receives_its_tenants_events_in_the_wire_format_and_never_another_tenants() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    assert_eq!(
        app.ws(&acme.key, &format!("tenant_id={}", globex.id))
            .await
            .err(),
        Some(StatusCode::FORBIDDEN)
    );

    let mut socket = app.ws_ready(&acme.key, "").await;
    // Asking for everything changes nothing about whose events arrive.
    socket
        .send(Message::Text(
            json!({"type": "subscribe", "event_types": []})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "subscribed");
    app.ingest_ok(&globex.key, json!({"event_type": "secret"}))
        .await;
    let id = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "mine", "metadata": {"k": "v"}, "event_id": "e-1"}),
        )
        .await;
    let received = events(&mut socket, 1).await;
    let (_, stored) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert_eq!(
        received[0], stored,
        "the stream sends the same object as the API"
    );

    // The admin watches a tenant by naming it.
    let mut admin = app
        .ws_ready(&app.admin_token, &format!("tenant_id={}", globex.id))
        .await;
    app.ingest_ok(&acme.key, json!({"event_type": "mine"}))
        .await;
    app.ingest_ok(&globex.key, json!({"event_type": "theirs"}))
        .await;
    assert_eq!(events(&mut admin, 1).await[0]["event_type"], "theirs");
    assert_eq!(events(&mut socket, 1).await[0]["event_type"], "mine");
}

#[tokio::test]
async fn filters_apply_at_connect_and_after_a_subscribe_message() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut socket = app
        .ws_ready(&acme.key, "event_type=signup&event_type=error")
        .await;
    for event_type in ["page_view", "signup", "click", "error"] {
        app.ingest_ok(&acme.key, json!({ "event_type": event_type }))
            .await;
    }
    let types: Vec<Value> = events(&mut socket, 2)
        .await
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(types, ["signup", "error"]);

    socket
        .send(Message::Text(
            json!({"type": "subscribe", "event_types": ["click"]})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let ack = next_json(&mut socket).await.unwrap();
    assert_eq!(ack, json!({"type": "subscribed", "event_types": ["click"]}));
    for event_type in ["signup", "click"] {
        app.ingest_ok(&acme.key, json!({ "event_type": event_type }))
            .await;
    }
    assert_eq!(events(&mut socket, 1).await[0]["event_type"], "click");

    socket
        .send(Message::Text(
            r#"{"type":"subscribe","event_types":["bad type"]}"#.into(),
        ))
        .await
        .unwrap();
    let error = next_json(&mut socket).await.unwrap();
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("validation_error"))
    );
    socket.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(next_json(&mut socket).await.unwrap()["type"], "error");
}

#[tokio::test]
async fn resume_with_since_delivers_exactly_the_events_after_it_in_order_while_ingestion_goes_on() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut first = app.ws_ready(&acme.key, "").await;

    // One writer, one event at a time: the order of acknowledgements is the commit order.
    let writer = {
        let (address, key) = (app.address.clone(), acme.key.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acked = Vec::new();
            for i in 0..400 {
                let body: Value = client
                    .post(format!("{address}/api/v1/events"))
                    .header("X-API-Key", &key)
                    .json(&json!({"event_type": if i % 2 == 0 { "even" } else { "odd" }, "metadata": {"i": i}}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                acked.push(body["id"].as_str().unwrap().to_owned());
            }
            acked
        })
    };
    let seen = events(&mut first, 50).await;
    let last_seen = seen.last().unwrap()["id"].as_str().unwrap().to_owned();
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await; // a gap, while the writer goes on

    let mut resumed = app
        .ws(&acme.key, &format!("since={last_seen}"))
        .await
        .expect("resume");
    let acked = writer.await.unwrap();
    let position = acked.iter().position(|id| *id == last_seen).unwrap();
    let expected: Vec<String> = acked[position + 1..].to_vec();
    let mut received = Vec::new();
    while received.len() < expected.len() {
        let message = next_json(&mut resumed).await.expect("more events");
        match message["type"].as_str() {
            Some("event") => received.push(message["data"]["id"].as_str().unwrap().to_owned()),
            Some("subscribed") => {}
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    assert_eq!(
        received, expected,
        "every event after `since`, in order, once"
    );
    // And nothing more arrives.
    app.ingest_ok(&acme.key, json!({"event_type": "marker"}))
        .await;
    assert_eq!(events(&mut resumed, 1).await[0]["event_type"], "marker");

    // A filtered resume replays only the wanted type.
    let mut odd = app
        .ws(&acme.key, &format!("since={last_seen}&event_type=odd"))
        .await
        .unwrap();
    let first_odd = next_json(&mut odd).await.unwrap();
    assert_eq!(first_odd["data"]["event_type"], "odd");
}

#[tokio::test]
async fn a_resume_longer_than_max_replay_sends_the_first_events_and_says_it_was_truncated() {
    let app = spawn_app_with(|config| config.stream.max_replay = 3).await;
    let acme = app.create_tenant("acme").await;
    let since = app
        .ingest_ok(&acme.key, json!({"event_type": "before"}))
        .await;
    let mut after = Vec::new();
    for i in 0..5 {
        after.push(
            app.ingest_ok(
                &acme.key,
                json!({"event_type": "after", "metadata": {"i": i}}),
            )
            .await,
        );
    }
    let mut resumed = app.ws(&acme.key, &format!("since={since}")).await.unwrap();
    let replayed: Vec<String> = events(&mut resumed, 3)
        .await
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        replayed,
        after[..3],
        "the oldest three after `since`, in order"
    );
    let truncated = next_json(&mut resumed).await.unwrap();
    assert_eq!(truncated["type"], "error", "{truncated}");
    assert_eq!(truncated["code"], "replay_truncated", "{truncated}");
    assert_eq!(next_json(&mut resumed).await.unwrap()["type"], "subscribed");

    // Exactly max_replay events after `since` is not a truncation.
    let mut exact = app
        .ws(&acme.key, &format!("since={}", after[1]))
        .await
        .unwrap();
    assert_eq!(events(&mut exact, 3).await.len(), 3);
    assert_eq!(next_json(&mut exact).await.unwrap()["type"], "subscribed");
}

/// Ingests 40 batches of 50 events while `socket` reads all 2,000; returns the ingest time.
async fn ingest_while_reading(
    app: &crate::helpers::TestApp,
    key: &str,
    batch: &Value,
    mut socket: crate::helpers::Ws,
) -> Duration {
    let reader = async {
        events(&mut socket, 2000).await;
    };
    let writer = async {
        let started = Instant::now();
        for _ in 0..40 {
            assert_eq!(
                app.ingest_batch(key, batch.clone()).await.status(),
                StatusCode::ACCEPTED
            );
        }
        started.elapsed()
    };
    let (elapsed, ()) = tokio::join!(writer, reader);
    elapsed
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_slow_ingestion_or_other_clients() {
    let app = spawn_app_with(|config| {
        config.stream.buffer = 512;
        config.stream.send_timeout_secs = 2;
    })
    .await;
    let acme = app
        .create_tenant_with(
            json!({"name": "acme", "rate_limit": {"per_second": 1000000, "burst": 1000000}}),
        )
        .await;
    let padding = "x".repeat(8 * 1024);
    let batch = json!({"events": (0..50).map(|i| json!({"event_type": "load", "metadata": {"i": i, "pad": padding}})).collect::<Vec<_>>()});

    let alone =
        ingest_while_reading(&app, &acme.key, &batch, app.ws_ready(&acme.key, "").await).await;

    let mut slow = app.ws_ready(&acme.key, "").await;
    let with_slow =
        ingest_while_reading(&app, &acme.key, &batch, app.ws_ready(&acme.key, "").await).await;
    assert!(
        with_slow < alone * 3 + Duration::from_millis(500),
        "ingestion with a stalled client took {with_slow:?}, without {alone:?}"
    );

    // The stalled client, reading at last, is told it lagged or was closed for being slow.
    let mut outcome = None;
    let mut got = 0;
    loop {
        got += 1;
        use futures::StreamExt;
        match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["type"] == "lagged" {
                    assert!(message["missed"].as_u64().unwrap() > 0);
                    outcome = Some("lagged");
                    break;
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(4008));
                outcome = Some("closed");
                break;
            }
            Ok(Some(Ok(_))) => {}
            // Closed without a frame: the server gave up writing to it.
            Ok(Some(Err(_))) | Ok(None) => {
                outcome = Some("dropped");
                break;
            }
            Err(_) => break,
        }
    }
    assert!(
        outcome.is_some(),
        "the slow client learned it fell behind (read {got} messages)"
    );
}

#[tokio::test]
async fn a_client_that_does_not_answer_pings_is_closed() {
    let app = spawn_app_with(|config| config.stream.ping_interval_secs = 1).await;
    let acme = app.create_tenant("acme").await;
    let mut socket = app.ws_ready(&acme.key, "").await;
    // Not reading means not answering pings.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(close_code(&mut socket).await, Some(4000));

    // A client that reads answers pings and stays.
    let mut reading = app.ws_ready(&acme.key, "").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(3000), close_code(&mut reading))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut socket = app.ws_ready(&acme.key, "").await;
    app.begin_shutdown();
    assert_eq!(close_code(&mut socket).await, Some(1001));
}

#[tokio::test]
async fn stream_metrics_count_connections_and_messages() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut socket = app.ws_ready(&acme.key, "").await;
    app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
    events(&mut socket, 1).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("tributary_ws_connections"));
    assert!(text.contains("tributary_ws_messages_sent_total"));
}

#[tokio::test]
async fn a_client_message_over_64_kib_is_closed_with_1009() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let mut socket = app.ws_ready(&tenant.key, "").await;
    let big = format!(
        r#"{{"type":"subscribe","event_types":["{}"]}}"#,
        "a".repeat(70 * 1024)
    );
    socket.send(Message::text(big)).await.unwrap();
    assert_eq!(close_code(&mut socket).await, Some(1009));
}
