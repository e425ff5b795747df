//! `GET /api/v1/events/stats?group_by=meta.<key>`: the top values of one metadata key over
//! the range, with counts; the rest counted as `other` and `missing`; scoped to the tenant;
//! a key that is not `meta.<key>` refused with the field named.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

const RANGE: &str = "from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z";

/// Ingests `count` events with the given metadata, one minute apart from `start_minute`.
async fn ingest_many(app: &TestApp, key: &str, start_minute: u32, count: u32, metadata: Value) {
    let events: Vec<Value> = (0..count)
        .map(|i| {
            let minute = start_minute + i;
            json!({
                "event_type": "page_view",
                "timestamp": format!("2024-05-01T{:02}:{:02}:00Z", minute / 60, minute % 60),
                "metadata": metadata,
            })
        })
        .collect();
    let response = app.ingest_batch(key, json!({ "events": events })).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

fn values(body: &Value) -> Vec<(String, u64)> {
    body["breakdown"]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("a breakdown in {body}"))
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap().to_owned(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn group_by_counts_each_value_most_frequent_first_and_the_rest_as_other_and_missing() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    ingest_many(&app, &acme.key, 0, 5, json!({"user": {"plan": "pro"}})).await;
    ingest_many(&app, &acme.key, 10, 3, json!({"user": {"plan": "free"}})).await;
    ingest_many(
        &app,
        &acme.key,
        20,
        3,
        json!({"user": {"plan": "enterprise"}}),
    )
    .await;
    // Numbers and booleans by their JSON text; null, objects and missing keys are "missing".
    ingest_many(&app, &acme.key, 30, 2, json!({"user": {"plan": 7}})).await;
    ingest_many(&app, &acme.key, 40, 1, json!({"user": {"plan": null}})).await;
    ingest_many(
        &app,
        &acme.key,
        50,
        1,
        json!({"user": {"plan": {"tier": 1}}}),
    )
    .await;
    ingest_many(&app, &acme.key, 60, 2, json!({"page": "/home"})).await;
    // Outside the range: not counted.
    let outside = json!({"event_type": "page_view", "timestamp": "2024-05-03T00:00:00Z", "metadata": {"user": {"plan": "pro"}}});
    assert_eq!(
        app.ingest(&acme.key, outside).await.status(),
        StatusCode::ACCEPTED
    );

    let (status, body) = app
        .get_json(
            &format!("/api/v1/events/stats?{RANGE}&group_by=meta.user.plan"),
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 17);
    assert_eq!(body["breakdown"]["key"], "meta.user.plan");
    assert_eq!(
        values(&body),
        [
            ("pro".to_owned(), 5),
            ("enterprise".to_owned(), 3),
            ("free".to_owned(), 3),
            ("7".to_owned(), 2)
        ],
        "ties in value order"
    );
    assert_eq!(body["breakdown"]["other"], 0);
    assert_eq!(body["breakdown"]["missing"], 4);

    // The other filters apply: only the first 15 minutes.
    let (_, early) = app
        .get_json(
            "/api/v1/events/stats?from=2024-05-01T00:00:00Z&to=2024-05-01T00:15:00Z&group_by=meta.user.plan",
            &acme.key,
        )
        .await;
    assert_eq!(
        values(&early),
        [("pro".to_owned(), 5), ("free".to_owned(), 3)]
    );

    // Without group_by there is no breakdown at all.
    let (_, plain) = app
        .get_json(&format!("/api/v1/events/stats?{RANGE}"), &acme.key)
        .await;
    assert!(plain.get("breakdown").is_none(), "{plain}");
}

#[tokio::test]
async fn group_by_lists_the_top_ten_values_and_counts_the_rest_as_other() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    // Value i appears 20 - i times: v00 most often, v11 least.
    let mut minute = 0;
    for i in 0..12u32 {
        let count = 20 - i;
        ingest_many(
            &app,
            &acme.key,
            minute,
            count,
            json!({ "page": format!("v{i:02}") }),
        )
        .await;
        minute += count;
    }
    let (status, body) = app
        .get_json(
            &format!("/api/v1/events/stats?{RANGE}&group_by=meta.page"),
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let top = values(&body);
    assert_eq!(top.len(), 10, "{body}");
    let expected: Vec<(String, u64)> = (0..10u32)
        .map(|i| (format!("v{i:02}"), u64::from(20 - i)))
        .collect();
    assert_eq!(top, expected);
    // v10 (10 events) and v11 (9) fall below the cut.
    assert_eq!(body["breakdown"]["other"], 19);
    assert_eq!(body["breakdown"]["missing"], 0);
}

#[tokio::test]
async fn group_by_counts_only_the_tenants_own_events() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    ingest_many(&app, &acme.key, 0, 2, json!({"plan": "pro"})).await;
    ingest_many(&app, &globex.key, 0, 7, json!({"plan": "pro"})).await;
    ingest_many(&app, &globex.key, 10, 1, json!({"plan": "globex-only"})).await;

    let path = format!("/api/v1/events/stats?{RANGE}&group_by=meta.plan");
    let (_, own) = app.get_json(&path, &acme.key).await;
    assert_eq!(values(&own), [("pro".to_owned(), 2)]);

    // A tenant key cannot ask for another tenant's breakdown.
    let (status, _) = app
        .get_json(&format!("{path}&tenant_id={}", globex.id), &acme.key)
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );

    // The admin picks the tenant.
    let (_, admin) = app
        .get_json(&format!("{path}&tenant_id={}", globex.id), &app.admin_token)
        .await;
    assert_eq!(
        values(&admin),
        [("pro".to_owned(), 7), ("globex-only".to_owned(), 1)]
    );
}

#[tokio::test]
async fn group_by_that_is_not_a_metadata_key_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for bad in [
        "event_type",
        "meta.",
        "meta.user..plan",
        "meta.a%22b",
        "plan",
    ] {
        let response = app
            .get(&format!("/api/v1/events/stats?group_by={bad}"), &acme.key)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("group_by"),
        )
        .await;
    }
    let twice = app
        .get(
            "/api/v1/events/stats?group_by=meta.a&group_by=meta.b",
            &acme.key,
        )
        .send()
        .await
        .unwrap();
    assert_error(
        twice,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("group_by"),
    )
    .await;
}
