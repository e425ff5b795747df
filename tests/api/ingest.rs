//! Ingestion: the wire format, every validation rule with its code and field, batches,
//! gzip, tenant binding and idempotency.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn an_ingested_event_is_stored_in_the_wire_format() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .ingest(
            &acme.key,
            json!({"event_type": "page_view", "timestamp": "2024-01-15T10:30:00Z",
                   "event_id": "evt-1", "metadata": {"page": "/home", "nested": {"a": [1, 2]}}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert!(response.headers().contains_key("ratelimit-remaining"));
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack["duplicate"], false);
    let id = ack["id"].as_str().unwrap();

    let (status, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["id"], id);
    assert_eq!(event["tenant_id"], acme.id.as_str());
    assert_eq!(event["event_type"], "page_view");
    assert_eq!(event["timestamp"], "2024-01-15T10:30:00Z");
    assert_eq!(event["event_id"], "evt-1");
    assert_eq!(
        event["metadata"],
        json!({"page": "/home", "nested": {"a": [1, 2]}})
    );
    let received =
        chrono::DateTime::parse_from_rfc3339(event["received_at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - received.to_utc()).num_seconds().abs() < 60);
}

#[tokio::test]
async fn the_timestamp_defaults_to_the_receive_time_and_metadata_to_an_empty_object() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let id = app
        .ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert_eq!(event["timestamp"], event["received_at"]);
    assert_eq!(event["metadata"], json!({}));
    assert!(event["event_id"].is_null());
}

#[tokio::test]
async fn server_ids_are_time_ordered() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(
            app.ingest_ok(&acme.key, json!({"event_type": "tick"}))
                .await,
        );
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[tokio::test]
async fn each_validation_rule_answers_with_its_code_and_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let cases = [
        (json!({"metadata": {}}), "event_type"),
        (json!({"event_type": "has spaces"}), "event_type"),
        (json!({"event_type": "x".repeat(129)}), "event_type"),
        (
            json!({"event_type": "x", "metadata": "not an object"}),
            "metadata",
        ),
        (json!({"event_type": "x", "metadata": [1, 2]}), "metadata"),
        (
            json!({"event_type": "x", "timestamp": "15/01/2024"}),
            "timestamp",
        ),
        (
            json!({"event_type": "x", "timestamp": 1705314600}),
            "timestamp",
        ),
        (json!({"event_type": "x", "event_id": ""}), "event_id"),
        (
            json!({"event_type": "x", "tenant_id": "not-a-uuid"}),
            "tenant_id",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (event, field) in cases {
        let response = app.ingest(&acme.key, event.clone()).await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    let mut deep = json!("leaf");
    for _ in 0..17 {
        deep = json!({ "d": deep });
    }
    let response = app
        .ingest(&acme.key, json!({"event_type": "x", "metadata": deep}))
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("metadata"),
    )
    .await;
    assert!(
        app.all_events(&acme.key, "").await.is_empty(),
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for body in ["{\"event_type\": ", "not json", "{} trailing"] {
        let response = app
            .post("/api/v1/events", &acme.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "validation_error", None).await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = app
            .post("/api/v1/events", &acme.key)
            .body(r#"{"event_type":"x"}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        )
        .await;
    }
    let response = app
        .post("/api/v1/events", &acme.key)
        .header("content-type", "application/json")
        .header("content-encoding", "br")
        .body(r#"{"event_type":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    )
    .await;
}

#[tokio::test]
async fn an_oversized_event_is_a_413() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let big = "x".repeat(65 * 1024);
    let response = app
        .ingest(
            &acme.key,
            json!({"event_type": "x", "metadata": {"blob": big}}),
        )
        .await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;
    // Just under the limit passes.
    let fits = "x".repeat(60 * 1024);
    app.ingest_ok(
        &acme.key,
        json!({"event_type": "x", "metadata": {"blob": fits}}),
    )
    .await;
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_a_gzip_bomb_is_a_413() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let body = serde_json::to_vec(&json!({"events": [{"event_type": "zipped", "metadata": {"n": 1}}, {"event_type": "zipped"}]})).unwrap();
    let response = app
        .post("/api/v1/events/batch", &acme.key)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.all_events(&acme.key, "&event_type=zipped").await.len(),
        2
    );

    // 100 KB of zeros squeezes into a few hundred bytes but expands past the 64 KiB limit.
    let bomb = format!(
        r#"{{"event_type":"x","metadata":{{"pad":"{}"}}}}"#,
        "0".repeat(100 * 1024)
    );
    let compressed = gzip(bomb.as_bytes());
    assert!(compressed.len() < 2048);
    let response = app
        .post("/api/v1/events", &acme.key)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(compressed)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;

    let response = app
        .post("/api/v1/events", &acme.key)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body("definitely not gzip")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "validation_error", None).await;
}

#[tokio::test]
async fn a_batch_with_one_bad_item_stores_the_good_ones() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .ingest_batch(
            &acme.key,
            json!({"events": [
                {"event_type": "good", "metadata": {"n": 0}},
                {"event_type": "bad type!"},
                {"event_type": "good", "metadata": {"n": 2}},
                {"event_type": "good", "metadata": 7},
            ]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 2);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index);
    }
    assert!(results[0]["id"].is_string() && results[0]["duplicate"] == false);
    assert_eq!(results[1]["error"]["code"], "validation_error");
    assert_eq!(results[1]["error"]["field"], "events[1].event_type");
    assert!(results[2]["id"].is_string());
    assert_eq!(results[3]["error"]["field"], "events[3].metadata");

    let stored = app.all_events(&acme.key, "").await;
    assert_eq!(stored.len(), 2);
    let ns: Vec<i64> = stored
        .iter()
        .map(|e| e["metadata"]["n"].as_i64().unwrap())
        .collect();
    assert!(ns.contains(&0) && ns.contains(&2));
}

#[tokio::test]
async fn batch_size_limits_are_enforced() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"event_type": "x", "metadata": {"i": i}}))
        .collect();
    let response = app
        .ingest_batch(&acme.key, json!({ "events": too_many }))
        .await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        Some("events"),
    )
    .await;

    let response = app.ingest_batch(&acme.key, json!({ "events": [] })).await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("events"),
    )
    .await;

    let response = app.ingest_batch(&acme.key, json!({ "evnts": [] })).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // One oversized item is refused on its own; the rest is stored.
    let big = "x".repeat(65 * 1024);
    let response = app
        .ingest_batch(&acme.key, json!({"events": [{"event_type": "x", "metadata": {"big": big}}, {"event_type": "small"}]}))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"][0]["error"]["code"], "payload_too_large");
    assert_eq!(body["results"][0]["error"]["field"], "events[0]");
    assert!(body["results"][1]["id"].is_string());

    // A body over the batch limit is refused whole.
    let huge = "y".repeat(60 * 1024);
    let events: Vec<Value> = (0..90)
        .map(|_| json!({"event_type": "x", "metadata": {"pad": huge}}))
        .collect();
    let response = app
        .ingest_batch(&acme.key, json!({ "events": events }))
        .await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_tenant_key_cannot_write_into_another_tenant() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let response = app
        .ingest(
            &acme.key,
            json!({"tenant_id": globex.id, "event_type": "x"}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let response = app
        .ingest_batch(
            &acme.key,
            json!({"events": [{"tenant_id": globex.id, "event_type": "x"}, {"event_type": "ok"}]}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"][0]["error"]["code"], "forbidden");
    assert!(body["results"][1]["id"].is_string());
    assert!(app.all_events(&globex.key, "").await.is_empty());
    // Naming its own tenant is fine.
    app.ingest_ok(&acme.key, json!({"tenant_id": acme.id, "event_type": "x"}))
        .await;
}

#[tokio::test]
async fn the_admin_names_the_tenant_to_ingest_into() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .ingest(&app.admin_token, json!({"event_type": "x"}))
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("tenant_id"),
    )
    .await;
    app.ingest_ok(
        &app.admin_token,
        json!({"tenant_id": acme.id, "event_type": "from_admin"}),
    )
    .await;
    let response = app
        .ingest_batch(
            &app.admin_token,
            json!({"tenant_id": acme.id, "events": [{"event_type": "from_admin"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let unknown = uuid::Uuid::now_v7();
    let response = app
        .ingest(
            &app.admin_token,
            json!({"tenant_id": unknown, "event_type": "x"}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    assert_eq!(
        app.all_events(&acme.key, "&event_type=from_admin")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_repeated_event_id_stores_one_event_and_returns_the_original_id() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let event = json!({"event_type": "payment", "event_id": "order-42", "metadata": {"n": 1}});
    let first: Value = app
        .ingest(&acme.key, event.clone())
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .ingest(
            &acme.key,
            json!({"event_type": "payment", "event_id": "order-42", "metadata": {"n": 2}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["duplicate"], false);
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["id"], first["id"]);
    let stored = app.all_events(&acme.key, "").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["metadata"]["n"], 1, "the original is kept");

    // Within one batch too, and another tenant's event_id space is its own.
    let body: Value = app
        .ingest_batch(&acme.key, json!({"events": [{"event_type": "p", "event_id": "b-1"}, {"event_type": "p", "event_id": "b-1"}, event]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["results"][0]["duplicate"], false);
    assert_eq!(body["results"][1]["duplicate"], true);
    assert_eq!(body["results"][1]["id"], body["results"][0]["id"]);
    assert_eq!(body["results"][2]["id"], first["id"]);
    let other: Value = app
        .ingest(
            &globex.key,
            json!({"event_type": "payment", "event_id": "order-42"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["duplicate"], false);
    assert_ne!(other["id"], first["id"]);
}

#[tokio::test]
async fn concurrent_requests_with_the_same_event_id_store_one_event() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let answers: Vec<Value> = futures::future::join_all((0..16).map(|_| async {
        let response = app
            .ingest(&acme.key, json!({"event_type": "race", "event_id": "same"}))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        response.json::<Value>().await.unwrap()
    }))
    .await;
    let ids: std::collections::HashSet<&str> =
        answers.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "every answer names the same event");
    assert_eq!(
        answers.iter().filter(|a| a["duplicate"] == false).count(),
        1
    );
    assert_eq!(app.all_events(&acme.key, "").await.len(), 1);
}

#[tokio::test]
async fn batch_items_a_value_cannot_hold_are_validation_errors_on_the_item() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let body = format!(
        r#"{{"events":[{{"event_type":"ok"}},{{"event_type":"a","metadata":{{"n":1e400}}}},{{"event_type":"b","metadata":{{"s":"\ud800"}}}},{{"event_type":"c","metadata":{{"d":{deep}}}}}]}}"#
    );
    let response = app
        .post("/api/v1/events/batch", &tenant.key)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 1, "{body}");
    for index in 1..=3 {
        let error = &body["results"][index]["error"];
        assert_eq!(error["code"], "validation_error", "{body}");
        assert_eq!(error["field"], format!("events[{index}]"), "{body}");
    }

    let single = app
        .post("/api/v1/events", &tenant.key)
        .header("Content-Type", "application/json")
        .body(r#"{"event_type":"a","metadata":{"n":1e400}}"#)
        .send()
        .await
        .unwrap();
    assert_error(single, StatusCode::BAD_REQUEST, "validation_error", None).await;
}

#[tokio::test]
async fn timestamps_outside_the_years_1970_to_9999_are_refused_everywhere() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let late = "9999-12-31T23:59:59.999999-23:59";
    let single = app
        .ingest(&tenant.key, json!({"event_type": "x", "timestamp": late}))
        .await;
    assert_error(
        single,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("timestamp"),
    )
    .await;
    let batch = app
        .ingest_batch(
            &tenant.key,
            json!({"events": [{"event_type": "x", "timestamp": "1969-07-20T20:17:00Z"}]}),
        )
        .await;
    let body: Value = batch.json().await.unwrap();
    assert_eq!(body["results"][0]["error"]["field"], "events[0].timestamp");
    let (status, body) = app
        .get_json(&format!("/api/v1/events?from={late}"), &tenant.key)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "from");
    // The edge itself is fine, and comes back as it went in.
    let id = app
        .ingest_ok(
            &tenant.key,
            json!({"event_type": "x", "timestamp": "9999-12-31T23:59:59.999999Z"}),
        )
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &tenant.key)
        .await;
    assert_eq!(event["timestamp"], "9999-12-31T23:59:59.999999Z");
}

#[tokio::test]
async fn metadata_numbers_keep_their_value_by_the_documented_rule() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let body = r#"{"event_type":"n","metadata":{"max":18446744073709551615,"min":-9223372036854775808,"fraction":0.1,"exponent":1e2,"huge":123456789012345678901234567890}}"#;
    let response = app
        .post("/api/v1/events", &tenant.key)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = app
        .get(&format!("/api/v1/events/{id}"), &tenant.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Integers that fit in 64 bits come back digit for digit; others as the nearest float.
    for expected in [
        r#""max":18446744073709551615"#,
        r#""min":-9223372036854775808"#,
        r#""fraction":0.1"#,
        r#""exponent":100.0"#,
        r#""huge":1.2345678901234568e+29"#,
    ] {
        assert!(stored.contains(expected), "{expected} in {stored}");
    }
}
