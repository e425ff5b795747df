//! The Segment and PostHog protocols at the wire level: every credential form, every body
//! encoding, the mapping, clock-skew correction, per-item errors, rate limits and tenant
//! isolation. (The real SDKs drive the same server in `sdk.rs`.)

use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tributary::clock::ManualClock;

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with_clock};

/// Request headers of a case: name and value.
type Headers<'a> = Vec<(&'a str, String)>;

fn basic(key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:")))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The body `segment-analytics-python` 2.4 sends to `/v1/batch`.
fn python_batch(message_id: &str) -> Value {
    json!({
        "batch": [{
            "type": "track", "event": "Order Completed", "userId": "u-42",
            "anonymousId": "anon-1", "properties": {"revenue": 42.5, "currency": "EUR"},
            "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
            "integrations": {}, "timestamp": "2026-11-30T10:00:00.000000+00:00",
            "messageId": message_id,
        }],
        "sentAt": "2026-11-30T10:00:01.000000+00:00",
    })
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_segment_batch_is_stored_with_its_fields_ids_and_the_batch_context() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let mut body = python_batch("msg-1");
    body["context"] = json!({"ip": "203.0.113.9", "library": {"name": "overridden"}});
    let answer = ok_json(
        post_raw(
            &app,
            "/v1/batch",
            &[
                ("Authorization", basic(&tenant.key)),
                ("Content-Type", "application/json".into()),
            ],
            body.to_string(),
        )
        .await,
    )
    .await;
    assert_eq!(answer["success"], true);

    let events = app.all_events(&tenant.key, "").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["event_type"], "Order_Completed");
    assert_eq!(event["event_id"], "msg-1");
    let metadata = &event["metadata"];
    assert_eq!(
        metadata["event"], "Order Completed",
        "the original name is kept"
    );
    assert_eq!(metadata["userId"], "u-42");
    assert_eq!(metadata["anonymousId"], "anon-1");
    assert_eq!(metadata["properties"]["revenue"], 42.5);
    // The message's own context wins; the batch's adds what it lacks.
    assert_eq!(metadata["context"]["library"]["name"], "analytics-python");
    assert_eq!(metadata["context"]["ip"], "203.0.113.9");
    assert_eq!(metadata["sentAt"], "2026-11-30T10:00:01.000000+00:00");
    assert!(metadata.get("writeKey").is_none());
}

#[tokio::test]
async fn every_segment_credential_form_and_path_is_accepted() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let key = tenant.key.clone();
    let message = |event: &str| json!({"type": "track", "event": event, "userId": "u"});
    let beacon = format!("/beacon/v1/batch?writeKey={key}");
    let cases: Vec<(&str, Headers, Value)> = vec![
        (
            "/v1/batch",
            vec![("Authorization", basic(&key))],
            json!({"batch": [message("basic")]}),
        ),
        (
            "/v1/batch",
            vec![("X-Write-Key", key.clone())],
            json!({"batch": [message("header")]}),
        ),
        (
            "/v1/import",
            vec![],
            json!({"writeKey": key, "batch": [message("body")]}),
        ),
        (
            "/v1/b",
            vec![],
            json!({"writeKey": key, "batch": [message("browser_batch")]}),
        ),
        (&beacon, vec![], json!({"batch": [message("beacon")]})),
        (
            "/v1/track",
            vec![("Authorization", basic(&key))],
            message("single"),
        ),
        (
            "/v1/t",
            vec![],
            json!({"writeKey": key, "event": "short", "anonymousId": "a"}),
        ),
        (
            "/v1/identify",
            vec![("X-API-Key", key.clone())],
            json!({"userId": "u", "traits": {"plan": "pro"}}),
        ),
        (
            "/v1/page",
            vec![("Authorization", basic(&key))],
            json!({"userId": "u", "name": "Home"}),
        ),
        (
            "/v1/screen",
            vec![("Authorization", basic(&key))],
            json!({"userId": "u", "name": "Main"}),
        ),
        (
            "/v1/group",
            vec![("Authorization", basic(&key))],
            json!({"userId": "u", "groupId": "g"}),
        ),
        (
            "/v1/alias",
            vec![("Authorization", basic(&key))],
            json!({"userId": "u", "previousId": "p"}),
        ),
    ];
    for (path, headers, body) in cases {
        let mut headers = headers;
        // Browser SDKs send text/plain to avoid a preflight.
        headers.push(("Content-Type", "text/plain".into()));
        let answer = ok_json(post_raw(&app, path, &headers, body.to_string()).await).await;
        assert_eq!(answer["success"], true, "{path}");
    }
    let events = app.all_events(&key, "").await;
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "alias",
            "basic",
            "beacon",
            "body",
            "browser_batch",
            "group",
            "header",
            "identify",
            "page",
            "screen",
            "short",
            "single"
        ]
    );
    let identify = events
        .iter()
        .find(|e| e["event_type"] == "identify")
        .unwrap();
    assert_eq!(identify["metadata"]["type"], "identify");
    assert_eq!(identify["metadata"]["traits"]["plan"], "pro");
}

#[tokio::test]
async fn a_bad_missing_or_read_only_key_is_refused_on_every_protocol() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let (read_only, _) = app.create_key(&tenant, &["read"]).await;
    let batch = json!({"batch": [{"type": "track", "event": "x", "userId": "u"}]});

    let missing = post_raw(&app, "/v1/batch", &[], batch.to_string()).await;
    assert_error(missing, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let wrong = post_raw(
        &app,
        "/v1/batch",
        &[("Authorization", basic("trb_not_a_real_key"))],
        batch.to_string(),
    )
    .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let scope = post_raw(
        &app,
        "/v1/batch",
        &[("Authorization", basic(&read_only))],
        batch.to_string(),
    )
    .await;
    assert_error(scope, StatusCode::FORBIDDEN, "forbidden", None).await;

    let capture = json!({"event": "x", "distinct_id": "d"});
    let missing = post_raw(&app, "/i/v0/e/", &[], capture.to_string()).await;
    assert_error(missing, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let mut wrong = capture.clone();
    wrong["api_key"] = json!("phc_unknown");
    let wrong = post_raw(&app, "/capture/", &[], wrong.to_string()).await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let mut scope = capture.clone();
    scope["token"] = json!(read_only);
    let scope = post_raw(&app, "/e/", &[], scope.to_string()).await;
    assert_error(scope, StatusCode::FORBIDDEN, "forbidden", None).await;

    assert!(app.all_events(&tenant.key, "").await.is_empty());
}

#[tokio::test]
async fn a_retried_message_id_or_uuid_is_stored_once() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    for _ in 0..3 {
        let batch = python_batch("retry-me");
        ok_json(
            post_raw(
                &app,
                "/v1/batch",
                &[("Authorization", basic(&tenant.key))],
                batch.to_string(),
            )
            .await,
        )
        .await;
        let capture = json!({"api_key": tenant.key, "batch": [
            {"event": "clicked", "distinct_id": "d", "uuid": "0190a5c4-0000-7000-8000-000000000001"}
        ]});
        ok_json(post_raw(&app, "/batch/", &[], capture.to_string()).await).await;
    }
    let events = app.all_events(&tenant.key, "").await;
    assert_eq!(events.len(), 2, "{events:?}");
}

#[tokio::test]
async fn sent_at_corrects_a_device_clock_two_hours_behind() {
    let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let app = spawn_app_with_clock(|_| {}, clock.clone()).await;
    let tenant = app.create_tenant("acme").await;
    // The device's clock reads 10:00 while the server's reads 12:00; the event happened 30 s
    // before the SDK sent it.
    let device_sent = now - Duration::hours(2);
    let device_event = device_sent - Duration::seconds(30);
    let segment = json!({
        "batch": [{"type": "track", "event": "segment", "userId": "u",
                   "timestamp": rfc3339(device_event)}],
        "sentAt": rfc3339(device_sent),
    });
    ok_json(
        post_raw(
            &app,
            "/v1/batch",
            &[("Authorization", basic(&tenant.key))],
            segment.to_string(),
        )
        .await,
    )
    .await;
    let posthog = json!({
        "api_key": tenant.key,
        "batch": [{"event": "posthog", "distinct_id": "d", "timestamp": rfc3339(device_event)}],
        "sent_at": rfc3339(device_sent),
    });
    ok_json(post_raw(&app, "/batch/", &[], posthog.to_string()).await).await;

    let events = app.all_events(&tenant.key, "").await;
    assert_eq!(events.len(), 2);
    for event in &events {
        let stored: DateTime<Utc> = event["timestamp"].as_str().unwrap().parse().unwrap();
        assert_eq!(stored, now - Duration::seconds(30), "{event}");
    }
    let segment = events
        .iter()
        .find(|e| e["event_type"] == "segment")
        .unwrap();
    assert_eq!(
        segment["metadata"]["timestamp"],
        rfc3339(device_event),
        "original kept"
    );
    assert_eq!(segment["metadata"]["sentAt"], rfc3339(device_sent));
    let posthog = events
        .iter()
        .find(|e| e["event_type"] == "posthog")
        .unwrap();
    assert_eq!(posthog["metadata"]["sent_at"], rfc3339(device_sent));
}

#[tokio::test]
async fn a_timestamp_more_than_a_day_ahead_becomes_the_receive_time() {
    let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
    let app = spawn_app_with_clock(|_| {}, Arc::new(ManualClock::new(now))).await;
    let tenant = app.create_tenant("acme").await;
    let future = rfc3339(now + Duration::hours(30));
    let body = json!({"type": "track", "event": "future", "userId": "u", "timestamp": future});
    ok_json(
        post_raw(
            &app,
            "/v1/track",
            &[("Authorization", basic(&tenant.key))],
            body.to_string(),
        )
        .await,
    )
    .await;
    let events = app.all_events(&tenant.key, "").await;
    let stored: DateTime<Utc> = events[0]["timestamp"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored, now);
    assert_eq!(events[0]["metadata"]["timestamp"], future);
}

#[tokio::test]
async fn a_batch_with_bad_items_stores_the_good_ones_and_counts_the_rest() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let segment = json!({"batch": [
        {"type": "track", "event": "good", "userId": "u"},
        {"type": "track", "userId": "u"},
        {"type": "track", "event": "anonymous"},
        {"type": "explode", "userId": "u"},
        {"type": "track", "event": "late", "userId": "u", "timestamp": "yesterday"},
        {"type": "track", "event": "x".repeat(70_000), "userId": "u"},
    ]});
    let answer = ok_json(
        post_raw(
            &app,
            "/v1/batch",
            &[("Authorization", basic(&tenant.key))],
            segment.to_string(),
        )
        .await,
    )
    .await;
    assert_eq!(answer["accepted"], 1, "{answer}");
    assert_eq!(answer["rejected"], 5);
    let fields: Vec<(&str, &str)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("validation_error", "batch[1].event"),
            ("validation_error", "batch[2].userId"),
            ("validation_error", "batch[3].type"),
            ("validation_error", "batch[4].timestamp"),
            ("payload_too_large", "batch[5]"),
        ]
    );

    let posthog = json!({"api_key": tenant.key, "batch": [
        {"event": "ph_good", "distinct_id": "d"},
        {"event": "no_id"},
        {"distinct_id": "d"},
        {"event": "bad_uuid", "distinct_id": "d", "uuid": ""},
        "not an object",
    ]});
    let answer = ok_json(post_raw(&app, "/batch", &[], posthog.to_string()).await).await;
    assert_eq!(answer["status"], 1);
    let fields: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "batch[1].distinct_id",
            "batch[2].event",
            "batch[3].uuid",
            "batch[4]"
        ]
    );

    let types: Vec<Value> = app
        .all_events(&tenant.key, "")
        .await
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(types.len(), 2, "{types:?}");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("tributary_events_rejected_total{reason=\"validation_error\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tributary_events_rejected_total{reason=\"payload_too_large\"}"));
}

#[tokio::test]
async fn a_single_message_that_cannot_be_used_is_a_400_with_its_field() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let auth = [("Authorization", basic(&tenant.key))];
    for (path, body, field) in [
        ("/v1/track", json!({"userId": "u"}), Some("event")),
        ("/v1/track", json!({"event": "x"}), Some("userId")),
        (
            "/v1/identify",
            json!({"userId": "u", "messageId": 7}),
            Some("messageId"),
        ),
        (
            "/v1/page",
            json!({"userId": "u", "sentAt": "soon"}),
            Some("sentAt"),
        ),
        (
            "/v1/batch",
            json!({"batch": {"not": "an array"}}),
            Some("batch"),
        ),
        (
            "/v1/batch",
            json!({"sentAt": 5, "batch": []}),
            Some("sentAt"),
        ),
    ] {
        let response = post_raw(&app, path, &auth, body.to_string()).await;
        assert_error(response, StatusCode::BAD_REQUEST, "validation_error", field).await;
    }
    let malformed = post_raw(&app, "/v1/batch", &auth, "{not json").await;
    assert_error(malformed, StatusCode::BAD_REQUEST, "validation_error", None).await;
    let capture = json!({"api_key": tenant.key, "event": "x"});
    let response = post_raw(&app, "/e/", &[], capture.to_string()).await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        "validation_error",
        Some("distinct_id"),
    )
    .await;
    let garbage = post_raw(&app, "/e/", &[], "\u{1}\u{2}").await;
    assert_error(garbage, StatusCode::BAD_REQUEST, "validation_error", None).await;
    assert!(app.all_events(&tenant.key, "").await.is_empty());
}

#[tokio::test]
async fn posthog_bodies_arrive_in_every_encoding_the_sdks_use() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let key = tenant.key.clone();
    let event = |name: &str| {
        json!({"event": name, "distinct_id": "d-1",
               "properties": {"token": key, "$current_url": "https://shop.example/", "n": 1}})
    };
    let array = |name: &str| json!([event(name)]).to_string();
    let form = |data: &str, compression: Option<&str>| {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("data", data);
        if let Some(compression) = compression {
            form.append_pair("compression", compression);
        }
        form.finish()
    };
    let form_type = (
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    );
    let plain = ("Content-Type", "text/plain".to_owned());
    let cases: Vec<(&str, Headers, Vec<u8>)> = vec![
        ("/e/", vec![plain.clone()], array("plain_json").into_bytes()),
        (
            "/e/",
            vec![("Content-Encoding", "gzip".into())],
            gzip(array("gzip_header").as_bytes()),
        ),
        (
            "/e/?compression=gzip-js&ver=1.449.2",
            vec![plain.clone()],
            gzip(array("gzip_js").as_bytes()),
        ),
        (
            "/i/v0/e/",
            vec![plain.clone()],
            gzip(array("gzip_sniffed").as_bytes()),
        ),
        (
            "/e",
            vec![form_type.clone()],
            form(&STANDARD.encode(array("base64_form")), None).into_bytes(),
        ),
        (
            "/track/",
            vec![form_type.clone()],
            form(
                &lz_str::compress_to_base64(&array("lz64_form")),
                Some("lz64"),
            )
            .into_bytes(),
        ),
        (
            "/capture",
            vec![],
            json!({"api_key": key, "event": "capture_single", "distinct_id": "d-1"})
                .to_string()
                .into_bytes(),
        ),
        (
            "/engage/",
            vec![],
            json!({"$token": key, "$distinct_id": "d-1", "$set": {"plan": "pro"}})
                .to_string()
                .into_bytes(),
        ),
    ];
    for (path, headers, body) in cases {
        let answer = ok_json(post_raw(&app, path, &headers, body).await).await;
        assert_eq!(answer["status"], 1, "{path}");
    }
    let data = STANDARD.encode(array("get_data"));
    let response = app
        .client
        .get(app.url(&format!(
            "/e/?ip=1&data={}",
            form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(response).await["status"], 1);

    let events = app.all_events(&key, "").await;
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "_identify",
            "base64_form",
            "capture_single",
            "get_data",
            "gzip_header",
            "gzip_js",
            "gzip_sniffed",
            "lz64_form",
            "plain_json"
        ]
    );
    let lz = events
        .iter()
        .find(|e| e["event_type"] == "lz64_form")
        .unwrap();
    assert_eq!(lz["metadata"]["distinct_id"], "d-1");
    assert_eq!(
        lz["metadata"]["properties"],
        json!({"$current_url": "https://shop.example/", "n": 1}),
        "the project key is not stored"
    );
    let engage = events
        .iter()
        .find(|e| e["event_type"] == "_identify")
        .unwrap();
    assert_eq!(engage["metadata"]["$set"]["plan"], "pro");
    assert!(engage["metadata"].get("$token").is_none());
}

#[tokio::test]
async fn over_the_rate_limit_the_sdks_get_429_with_retry_after_and_nothing_is_stored() {
    let app = spawn_app().await;
    let tenant = app
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 2}}))
        .await;
    let segment = json!({"batch": [
        {"type": "track", "event": "a", "userId": "u"},
        {"type": "track", "event": "b", "userId": "u"},
    ]});
    let auth = [("Authorization", basic(&tenant.key))];
    ok_json(post_raw(&app, "/v1/batch", &auth, segment.to_string()).await).await;
    let refused = post_raw(&app, "/v1/batch", &auth, segment.to_string()).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited", None).await;
    let capture = json!({"api_key": tenant.key, "batch": [{"event": "c", "distinct_id": "d"}]});
    let refused = post_raw(&app, "/batch/", &[], capture.to_string()).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited", None).await;
    assert_eq!(app.all_events(&tenant.key, "").await.len(), 2);
}

#[tokio::test]
async fn oversized_bodies_are_refused_whole() {
    let app = spawn_app_with_config_limits().await;
    let tenant = app.create_tenant("acme").await;
    let big = "y".repeat(300);
    let batch = json!({"batch": (0..10)
        .map(|i| json!({"type": "track", "event": format!("e{i}"), "userId": big}))
        .collect::<Vec<_>>()});
    let response = post_raw(
        &app,
        "/v1/batch",
        &[("Authorization", basic(&tenant.key))],
        batch.to_string(),
    )
    .await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;
    let bomb = gzip(&vec![b' '; 1 << 20]);
    let response = post_raw(&app, "/e/", &[("Content-Encoding", "gzip".into())], bomb).await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;
    assert!(app.all_events(&tenant.key, "").await.is_empty());
}

async fn spawn_app_with_config_limits() -> TestApp {
    crate::helpers::spawn_app_with(|config| {
        config.ingest.max_batch_bytes = 2_000;
        config.ingest.max_event_bytes = 1_000;
    })
    .await
}

#[tokio::test]
async fn a_tenant_key_writes_only_into_its_own_tenant_through_every_protocol() {
    let app = spawn_app().await;
    let a = app.create_tenant("a").await;
    let b = app.create_tenant("b").await;
    ok_json(
        post_raw(
            &app,
            "/v1/batch",
            &[("Authorization", basic(&a.key))],
            json!({"batch": [{"type": "track", "event": "a_segment", "userId": "u"}]}).to_string(),
        )
        .await,
    )
    .await;
    ok_json(
        post_raw(
            &app,
            "/e/",
            &[],
            json!([{"event": "a_posthog", "distinct_id": "d", "properties": {"token": a.key}}])
                .to_string(),
        )
        .await,
    )
    .await;
    // Naming the other tenant is refused, not redirected.
    let foreign = post_raw(
        &app,
        &format!("/v1/batch?tenant_id={}", b.id),
        &[("Authorization", basic(&a.key))],
        json!({"batch": [{"type": "track", "event": "sneak", "userId": "u"}]}).to_string(),
    )
    .await;
    assert_error(foreign, StatusCode::FORBIDDEN, "forbidden", None).await;
    // A's key in the body with B's key in the header: the body's key is the one used for
    // PostHog, and it only ever writes to A.
    ok_json(
        post_raw(
            &app,
            "/capture/",
            &[("X-API-Key", b.key.clone())],
            json!({"api_key": a.key, "event": "a_again", "distinct_id": "d"}).to_string(),
        )
        .await,
    )
    .await;

    let a_types: Vec<Value> = app
        .all_events(&a.key, "")
        .await
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(a_types.len(), 3, "{a_types:?}");
    assert!(app.all_events(&b.key, "").await.is_empty());
}

#[tokio::test]
async fn compat_events_reach_the_live_stream_like_native_ones() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let mut socket = app.ws_ready(&tenant.key, "").await;
    ok_json(
        post_raw(
            &app,
            "/v1/track",
            &[("Authorization", basic(&tenant.key))],
            json!({"event": "Signed Up", "userId": "u-1"}).to_string(),
        )
        .await,
    )
    .await;
    let message = crate::helpers::next_json(&mut socket).await.unwrap();
    assert_eq!(message["type"], "event");
    assert_eq!(message["data"]["event_type"], "Signed_Up");
    assert_eq!(message["data"]["metadata"]["userId"], "u-1");
}

#[tokio::test]
async fn flag_and_settings_endpoints_answer_so_that_sdks_stay_quiet() {
    let app = spawn_app().await;
    for path in ["/decide/?v=3", "/flags/?v=2", "/decide", "/flags"] {
        let response = app
            .client
            .post(app.url(path))
            .body("{}")
            .send()
            .await
            .unwrap();
        let body = ok_json(response).await;
        assert_eq!(body["featureFlags"], json!({}), "{path}");
        assert_eq!(body["flags"], json!({}), "{path}");
        assert_eq!(body["sessionRecording"], false);
    }
    let settings = app
        .client
        .get(app.url("/v1/projects/trb_abc/settings"))
        .send()
        .await
        .unwrap();
    let body = ok_json(settings).await;
    let segment = &body["integrations"]["Segment.io"];
    assert_eq!(segment["apiKey"], "trb_abc");
    let host = app.address.trim_start_matches("http://");
    assert_eq!(segment["apiHost"], format!("{host}/v1"));
    assert_eq!(segment["protocol"], "http");
}

#[tokio::test]
async fn unknown_api_and_sdk_paths_answer_json_not_the_dashboard() {
    let app = spawn_app().await;
    for (method, path) in [
        ("POST", "/nothing-here"),
        ("POST", "/v2/batch"),
        ("GET", "/v1/unknown"),
        ("GET", "/api/v1/nope"),
        ("GET", "/i/v0/nothing"),
        ("PUT", "/some/page"),
        ("DELETE", "/"),
    ] {
        let request = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .body("{}");
        let response = request.send().await.unwrap();
        let body = assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
        assert!(body["error"]["message"].is_string(), "{method} {path}");
    }
    // A page a browser navigates to is the dashboard's (here not built into the test server).
    let page = app
        .client
        .get(app.url("/events/live"))
        .send()
        .await
        .unwrap();
    assert!(
        !page
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_str().unwrap().contains("json")),
        "a browser page is not answered with JSON"
    );
}
