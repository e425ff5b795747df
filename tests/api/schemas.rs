//! Data contracts over HTTP: schemas per type and pattern, each mode's effect on the native,
//! Segment and PostHog entry points, the unplanned-type policy, inference, counts and
//! examples, and tenant isolation. Run on SQLite and (with TRIBUTARY_TEST_BACKEND=postgres)
//! on PostgreSQL; the two-instance case is in `scaled_schema_changes_reach_every_instance`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

fn plan_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "plan": {"enum": ["free", "pro"]},
            "seats": {"type": "integer", "minimum": 1}
        },
        "required": ["plan"]
    })
}

async fn put_schema(app: &TestApp, key: &str, event_type: &str, body: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/schemas/{event_type}")))
        .header("X-API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn put_ok(app: &TestApp, key: &str, event_type: &str, mode: &str, schema: Value) -> Value {
    let response = put_schema(
        app,
        key,
        event_type,
        json!({"mode": mode, "schema": schema}),
    )
    .await;
    assert!(
        response.status() == StatusCode::CREATED || response.status() == StatusCode::OK,
        "{}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn set_policy(app: &TestApp, key: &str, unplanned: &str) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/schema-policy"))
        .header("X-API-Key", key)
        .json(&json!({"unplanned": unplanned}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_schema_is_stored_returned_replaced_and_deleted() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;

    let response = put_schema(
        &app,
        &acme.key,
        "signup",
        json!({"mode": "warn", "schema": plan_schema()}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["event_type"], "signup");
    assert_eq!(created["mode"], "warn");
    assert_eq!(created["version"], 1);
    assert_eq!(created["schema"], plan_schema());

    let replaced = put_schema(
        &app,
        &acme.key,
        "signup",
        json!({"mode": "block", "schema": {"type": "object"}}),
    )
    .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(
        (replaced["version"].clone(), replaced["mode"].clone()),
        (json!(2), json!("block"))
    );
    assert_eq!(replaced["created_at"], created["created_at"]);

    put_ok(&app, &acme.key, "order.*", "observe", json!(true)).await;
    let (status, list) = app.get_json("/api/v1/schemas", &acme.key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["unplanned"], "allow");
    let names: Vec<&str> = list["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["order.*", "signup"]);

    let (status, one) = app.get_json("/api/v1/schemas/order.*", &acme.key).await;
    assert_eq!(
        (status, one["mode"].clone()),
        (StatusCode::OK, json!("observe"))
    );

    let deleted = app
        .client
        .delete(app.url("/api/v1/schemas/signup"))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get("/api/v1/schemas/signup", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(gone, StatusCode::NOT_FOUND, "not_found", None).await;
    let again = app
        .client
        .delete(app.url("/api/v1/schemas/signup"))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(again, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn invalid_schemas_patterns_and_modes_are_refused_with_the_field_and_reason() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for (schema, hint) in [
        (json!({"type": "no-such-type"}), "no-such-type"),
        (json!({"$ref": "https://example.com/s.json"}), "example.com"),
        (json!({"properties": {"a": {"pattern": "("}}}), ""),
        (json!("a string"), "object"),
    ] {
        let response = put_schema(
            &app,
            &acme.key,
            "signup",
            json!({"mode": "warn", "schema": schema}),
        )
        .await;
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("schema"),
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(hint), "{message}");
    }
    for pattern in ["or*der", "**", "a%20b", "*order*"] {
        let response = put_schema(
            &app,
            &acme.key,
            pattern,
            json!({"mode": "warn", "schema": true}),
        )
        .await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("event_type"),
        )
        .await;
    }
    let response = put_schema(
        &app,
        &acme.key,
        "signup",
        json!({"mode": "strict", "schema": true}),
    )
    .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("mode"),
    )
    .await;
    let response = put_schema(
        &app,
        &acme.key,
        "signup",
        json!({"mode": "warn", "schema": true, "x": 1}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let policy = set_policy(&app, &acme.key, "sometimes").await;
    assert_error(
        policy,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("unplanned"),
    )
    .await;

    // Nothing was stored by any of them.
    let (_, list) = app.get_json("/api/v1/schemas", &acme.key).await;
    assert_eq!(list["schemas"], json!([]));
}

#[tokio::test]
async fn block_mode_refuses_bad_events_on_every_entry_point_and_stores_the_rest() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    put_ok(&app, &acme.key, "signup", "block", plan_schema()).await;

    // Single: 422 with the violations.
    let refused = app
        .ingest(
            &acme.key,
            json!({"event_type": "signup", "metadata": {"plan": "gold", "seats": 0}}),
        )
        .await;
    let body = assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schema_violation",
        Some("metadata"),
    )
    .await;
    let mut paths: Vec<&str> = body["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, vec!["/plan", "/seats"]);
    app.ingest_ok(
        &acme.key,
        json!({"event_type": "signup", "metadata": {"plan": "pro"}}),
    )
    .await;

    // Batch: the bad item alone is refused.
    let response = app
        .ingest_batch(
            &acme.key,
            json!({"events": [
                {"event_type": "signup", "metadata": {"plan": "free"}},
                {"event_type": "signup", "metadata": {}},
                {"event_type": "other", "metadata": {"anything": true}},
            ]}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let batch: Value = response.json().await.unwrap();
    assert_eq!(
        (batch["accepted"].clone(), batch["rejected"].clone()),
        (json!(2), json!(1)),
        "{batch}"
    );
    let item = &batch["results"][1];
    assert_eq!(item["error"]["code"], "schema_violation", "{batch}");
    assert_eq!(item["error"]["field"], "events[1].metadata");
    assert_eq!(item["error"]["violations"][0]["path"], "");
    assert!(batch["results"][0]["id"].is_string() && batch["results"][2]["id"].is_string());

    // Segment and PostHog: the same check on the mapped event (the message is the metadata).
    put_ok(
        &app,
        &acme.key,
        "Signed_Up",
        "block",
        json!({"properties": {"properties": {"type": "object", "required": ["plan"]}}, "required": ["properties"]}),
    )
    .await;
    let segment = app
        .client
        .post(app.url("/v1/batch"))
        .basic_auth(&acme.key, Some(""))
        .json(&json!({"batch": [
            {"type": "track", "event": "Signed Up", "userId": "u1", "properties": {"plan": "pro"}},
            {"type": "track", "event": "Signed Up", "userId": "u2", "properties": {}},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(segment.status(), StatusCode::OK);
    let answer: Value = segment.json().await.unwrap();
    assert_eq!(
        (answer["accepted"].clone(), answer["rejected"].clone()),
        (json!(1), json!(1)),
        "{answer}"
    );
    assert_eq!(answer["errors"][0]["index"], 1);
    assert_eq!(answer["errors"][0]["code"], "schema_violation");
    assert_eq!(answer["errors"][0]["field"], "batch[1].metadata");
    assert_eq!(answer["errors"][0]["violations"][0]["path"], "/properties");

    let single = app
        .client
        .post(app.url("/v1/track"))
        .basic_auth(&acme.key, Some(""))
        .json(&json!({"event": "Signed Up", "userId": "u3", "properties": {}}))
        .send()
        .await
        .unwrap();
    assert_error(
        single,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schema_violation",
        Some("metadata"),
    )
    .await;

    let posthog = app
        .client
        .post(app.url("/batch"))
        .json(&json!({"api_key": acme.key, "batch": [
            {"event": "Signed Up", "distinct_id": "d1", "properties": {"plan": "free"}},
            {"event": "Signed Up", "distinct_id": "d2", "properties": {"other": 1}},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(posthog.status(), StatusCode::OK);
    let answer: Value = posthog.json().await.unwrap();
    assert_eq!(
        (answer["accepted"].clone(), answer["rejected"].clone()),
        (json!(1), json!(1)),
        "{answer}"
    );
    assert_eq!(answer["errors"][0]["code"], "schema_violation");

    // What was stored: the valid events only.
    let events = app.all_events(&acme.key, "").await;
    // One single, two of the batch, one of each SDK batch.
    assert_eq!(events.len(), 1 + 2 + 1 + 1, "{events:?}");
    assert!(events.iter().all(|e| e.get("violations").is_none()));
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("tributary_events_rejected_total{reason=\"schema_violation\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tributary_schema_violations_total{mode=\"block\"}"));
}

#[tokio::test]
async fn warn_mode_stores_violations_shown_everywhere_and_filterable() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    put_ok(&app, &acme.key, "signup", "warn", plan_schema()).await;
    let mut live = app.ws_ready(&acme.key, "").await;

    let bad = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "signup", "metadata": {"plan": "gold", "note": "checkout"}}),
        )
        .await;
    let good = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "signup", "metadata": {"plan": "pro", "note": "checkout"}}),
        )
        .await;

    let streamed = crate::helpers::next_json(&mut live).await.unwrap();
    assert_eq!(streamed["data"]["id"], bad.as_str());
    assert_eq!(streamed["data"]["violations"][0]["path"], "/plan");

    let (_, event) = app
        .get_json(&format!("/api/v1/events/{bad}"), &acme.key)
        .await;
    assert_eq!(event["violations"][0]["path"], "/plan");
    assert!(
        event["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("gold")
    );
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{good}"), &acme.key)
        .await;
    assert!(event.get("violations").is_none(), "{event}");

    let flagged = app.all_events(&acme.key, "&violations=true").await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["id"], bad.as_str());
    let clean = app.all_events(&acme.key, "&violations=false").await;
    assert_eq!(clean.len(), 1);
    assert_eq!(clean[0]["id"], good.as_str());
    let by_q = app.all_events(&acme.key, "&q=violations:true").await;
    assert_eq!(by_q.len(), 1);

    let (status, hits) = app
        .get_json(
            "/api/v1/events/search?q=checkout%20violations:true",
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let hits = hits["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["event"]["violations"][0]["path"], "/plan");
    let only_flag = app
        .get("/api/v1/events/search?q=violations:true", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        only_flag,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("q"),
    )
    .await;

    // The batch and the SDK paths store the violations the same way.
    put_ok(
        &app,
        &acme.key,
        "Signed_Up",
        "warn",
        json!({"properties": {"properties": {"required": ["plan"]}}}),
    )
    .await;
    let batch = app
        .ingest_batch(
            &acme.key,
            json!({"events": [{"event_type": "signup", "metadata": {"plan": 7}}]}),
        )
        .await;
    assert!(batch.status().is_success());
    let segment = app
        .client
        .post(app.url("/v1/batch"))
        .basic_auth(&acme.key, Some(""))
        .json(&json!({"batch": [{"type": "track", "event": "Signed Up", "userId": "u", "properties": {}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(segment.status(), StatusCode::OK);
    let flagged = app.all_events(&acme.key, "&violations=true").await;
    assert_eq!(flagged.len(), 3);
    assert_eq!(flagged[0]["event_type"], "Signed_Up");
    assert_eq!(flagged[0]["violations"][0]["path"], "/properties");
    assert_eq!(flagged[1]["violations"][0]["path"], "/plan");

    let bad_flag = app
        .get("/api/v1/events?violations=maybe", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        bad_flag,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("violations"),
    )
    .await;
}

/// Reads `path` until `ready` holds. A read writes this instance's pending counts first, but
/// that write can fail on a loaded machine (the read then answers without them, and the
/// periodic flush writes them about a second later): CI has seen both count tests miss.
async fn counts_until(
    app: &crate::helpers::TestApp,
    path: &str,
    key: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..50 {
        let (status, body) = app.get_json(path, key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if ready(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} never had the counts: {last}");
}

#[tokio::test]
async fn observe_mode_stores_events_unchanged_and_counts_violations_with_examples() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    put_ok(&app, &acme.key, "signup", "observe", plan_schema()).await;
    let mut bad_ids = Vec::new();
    for plan in ["gold", "silver", "bronze"] {
        bad_ids.push(
            app.ingest_ok(
                &acme.key,
                json!({"event_type": "signup", "metadata": {"plan": plan}}),
            )
            .await,
        );
    }
    for _ in 0..2 {
        app.ingest_ok(
            &acme.key,
            json!({"event_type": "signup", "metadata": {"plan": "free"}}),
        )
        .await;
    }
    let events = app.all_events(&acme.key, "").await;
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e.get("violations").is_none()));

    let report = counts_until(
        &app,
        "/api/v1/schemas/signup/violations?interval=minute",
        &acme.key,
        |report| report["totals"]["checked"] == 5,
    )
    .await;
    assert_eq!(
        report["totals"],
        json!({"checked": 5, "violations": 3, "blocked": 0})
    );
    // One bucket per minute: two when the five events straddle a minute's end.
    let buckets = report["buckets"].as_array().unwrap();
    assert!((1..=2).contains(&buckets.len()), "{report}");
    let checked: u64 = buckets.iter().map(|b| b["checked"].as_u64().unwrap()).sum();
    assert_eq!(checked, 5, "{report}");
    let examples = report["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    assert_eq!(examples[0]["event_id"], bad_ids[2].as_str(), "newest first");
    assert_eq!(examples[0]["metadata"], json!({"plan": "bronze"}));
    assert_eq!(examples[0]["violations"][0]["path"], "/plan");
    assert_eq!(examples[0]["mode"], "observe");

    let quality = counts_until(&app, "/api/v1/data-quality", &acme.key, |quality| {
        quality["types"][0]["totals"]["violations"] == 3
    })
    .await;
    assert_eq!(quality["types"].as_array().unwrap().len(), 1, "{quality}");
    let signup = &quality["types"][0];
    assert_eq!(signup["event_type"], "signup");
    assert_eq!(signup["schema"], "signup");
    assert_eq!(signup["mode"], "observe");
    assert_eq!(signup["totals"]["violations"], 3);
    let bad_range = app
        .get("/api/v1/data-quality?interval=week", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        bad_range,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("interval"),
    )
    .await;
}

#[tokio::test]
async fn the_most_specific_schema_applies() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let requires = |key: &str| json!({"type": "object", "required": [key]});
    put_ok(&app, &acme.key, "*", "warn", requires("any")).await;
    put_ok(&app, &acme.key, "order.*", "warn", requires("amount")).await;
    put_ok(&app, &acme.key, "order.created", "block", requires("id")).await;
    put_ok(&app, &acme.key, "*.failed", "warn", requires("reason")).await;

    // The exact schema: blocked for lacking `id`, though it has `amount`.
    let refused = app
        .ingest(
            &acme.key,
            json!({"event_type": "order.created", "metadata": {"amount": 1}}),
        )
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schema_violation",
        Some("metadata"),
    )
    .await;
    // Two patterns match `order.failed`: `*.failed` has the longer literal part, so it wins.
    let id = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "order.failed", "metadata": {"amount": 1}}),
        )
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert!(
        event["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reason"),
        "{event}"
    );
    let id = app
        .ingest_ok(
            &acme.key,
            json!({"event_type": "order.paid", "metadata": {"id": 1}}),
        )
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert!(
        event["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("amount"),
        "{event}"
    );
    let id = app
        .ingest_ok(&acme.key, json!({"event_type": "signup", "metadata": {}}))
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert!(
        event["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("any"),
        "{event}"
    );

    // Deleting the exact schema hands its type to the pattern at once.
    app.client
        .delete(app.url("/api/v1/schemas/order.created"))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    app.ingest_ok(
        &acme.key,
        json!({"event_type": "order.created", "metadata": {"amount": 1}}),
    )
    .await;
}

#[tokio::test]
async fn unplanned_event_types_follow_the_tenant_policy() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    put_ok(&app, &acme.key, "signup", "observe", json!(true)).await;
    let (_, policy) = app.get_json("/api/v1/schema-policy", &acme.key).await;
    assert_eq!(policy, json!({"unplanned": "allow"}));
    app.ingest_ok(&acme.key, json!({"event_type": "typo_signup"}))
        .await;

    assert_eq!(
        set_policy(&app, &acme.key, "block").await.status(),
        StatusCode::OK
    );
    let refused = app
        .ingest(&acme.key, json!({"event_type": "typo_signup"}))
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unplanned_event_type",
        Some("event_type"),
    )
    .await;
    let batch: Value = app
        .ingest_batch(
            &acme.key,
            json!({"events": [{"event_type": "signup"}, {"event_type": "typo_signup"}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        batch["results"][1]["error"]["code"], "unplanned_event_type",
        "{batch}"
    );
    assert_eq!(
        batch["results"][1]["error"]["field"],
        "events[1].event_type"
    );
    assert!(batch["results"][0]["id"].is_string());

    assert_eq!(
        set_policy(&app, &acme.key, "warn").await.status(),
        StatusCode::OK
    );
    let id = app
        .ingest_ok(&acme.key, json!({"event_type": "typo_signup"}))
        .await;
    let (_, event) = app
        .get_json(&format!("/api/v1/events/{id}"), &acme.key)
        .await;
    assert_eq!(event["violations"][0]["path"], "");
    assert!(
        event["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("typo_signup")
    );
    let quality = counts_until(&app, "/api/v1/data-quality", &acme.key, |quality| {
        quality["types"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t["event_type"] == "typo_signup"))
    })
    .await;
    let typo = quality["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["event_type"] == "typo_signup")
        .expect("the unplanned type is listed");
    assert_eq!(typo["schema"], Value::Null);
    assert_eq!(typo["mode"], "warn");
    assert_eq!(
        typo["totals"],
        json!({"checked": 3, "violations": 3, "blocked": 2})
    );
}

#[tokio::test]
async fn a_schema_is_inferred_from_stored_events_without_being_applied() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let events: Vec<Value> = (0..60)
        .map(|i| {
            let plan = ["free", "pro"][i % 2];
            json!({"event_type": "checkout", "metadata": {
                "plan": plan,
                "amount": i,
                "user": {"id": format!("u-{i}")},
                "coupon": if i % 10 == 0 { json!("X") } else { Value::Null },
            }})
        })
        .collect();
    let response = app.ingest_batch(&acme.key, json!({"events": events})).await;
    assert!(response.status().is_success());

    let proposal: Value = app
        .post("/api/v1/schemas/checkout/infer?sample=50", &acme.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(proposal["sampled"], 50, "{proposal}");
    let schema = &proposal["schema"];
    assert_eq!(schema["properties"]["plan"]["enum"], json!(["free", "pro"]));
    assert_eq!(schema["properties"]["amount"]["type"], "integer");
    assert_eq!(
        schema["properties"]["user"]["properties"]["id"]["type"],
        "string"
    );
    assert_eq!(
        schema["properties"]["coupon"]["type"],
        json!(["null", "string"])
    );
    assert_eq!(
        schema["required"],
        json!(["amount", "coupon", "plan", "user"])
    );
    // A proposal only: nothing is stored or enforced.
    let (_, list) = app.get_json("/api/v1/schemas", &acme.key).await;
    assert_eq!(list["schemas"], json!([]));
    // It is a schema the API accepts, and every sampled event passes it.
    put_ok(&app, &acme.key, "checkout", "block", schema.clone()).await;
    app.ingest_ok(&acme.key, json!({"event_type": "checkout", "metadata": {"plan": "pro", "amount": 3, "user": {"id": "x"}, "coupon": null}}))
        .await;

    let bad = app
        .post("/api/v1/schemas/checkout/infer?sample=0", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("sample"),
    )
    .await;
    let pattern = app
        .post("/api/v1/schemas/order.*/infer", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        pattern,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("event_type"),
    )
    .await;
}

#[tokio::test]
async fn another_tenants_schemas_are_invisible_untouchable_and_never_applied() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    put_ok(
        &app,
        &acme.key,
        "*",
        "block",
        json!({"required": ["never"]}),
    )
    .await;
    assert_eq!(
        set_policy(&app, &acme.key, "block").await.status(),
        StatusCode::OK
    );
    let refused = app.ingest(&acme.key, json!({"event_type": "signup"})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Globex's events are not checked by Acme's schemas or policy.
    app.ingest_ok(&globex.key, json!({"event_type": "signup"}))
        .await;
    let (_, list) = app.get_json("/api/v1/schemas", &globex.key).await;
    assert_eq!(list, json!({"unplanned": "allow", "schemas": []}));
    let hidden = app
        .get("/api/v1/schemas/*", &globex.key)
        .send()
        .await
        .unwrap();
    assert_error(hidden, StatusCode::NOT_FOUND, "not_found", None).await;
    let delete = app
        .client
        .delete(app.url("/api/v1/schemas/*"))
        .header("X-API-Key", &globex.key)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let (_, report) = app
        .get_json("/api/v1/schemas/signup/violations", &globex.key)
        .await;
    assert_eq!(report["totals"]["checked"], 0);
    assert_eq!(report["examples"], json!([]));
    let (_, quality) = app.get_json("/api/v1/data-quality", &globex.key).await;
    assert_eq!(quality["types"], json!([]));
    // A tenant key cannot name another tenant.
    let foreign = app
        .get(
            &format!("/api/v1/schemas?tenant_id={}", acme.id),
            &globex.key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    // Acme's schema is still there and still applies.
    let refused = app.ingest(&acme.key, json!({"event_type": "signup"})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Scopes: a read key reads, only manage changes; an ingest key reads nothing.
    let (reader, _) = app.create_key(&acme, &["read"]).await;
    let (status, _) = app.get_json("/api/v1/schemas", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let write = put_schema(&app, &reader, "x", json!({"mode": "warn", "schema": true})).await;
    assert_error(write, StatusCode::FORBIDDEN, "forbidden", None).await;
    let policy = set_policy(&app, &reader, "allow").await;
    assert_eq!(policy.status(), StatusCode::FORBIDDEN);
    let (ingester, _) = app.create_key(&acme, &["ingest"]).await;
    let (status, _) = app.get_json("/api/v1/schemas", &ingester).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The admin names the tenant.
    let (status, list) = app
        .get_json(
            &format!("/api/v1/schemas?tenant_id={}", acme.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(
        (status, list["schemas"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
}

#[tokio::test]
async fn violation_counts_older_than_the_delivery_retention_are_pruned() {
    let started = chrono::Utc::now();
    let clock = std::sync::Arc::new(tributary::clock::ManualClock::new(started));
    let app = crate::helpers::spawn_app_with_clock(
        |config| {
            config.retention.deliveries_days = 1;
            config.retention.interval_secs = 1;
        },
        clock.clone(),
    )
    .await;
    let acme = app.create_tenant("acme").await;
    put_ok(&app, &acme.key, "signup", "observe", plan_schema()).await;
    app.ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;
    let range = format!(
        "/api/v1/schemas/signup/violations?interval=day&from={}&to={}",
        (started - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (started + chrono::Duration::days(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let (_, report) = app.get_json(&range, &acme.key).await;
    assert_eq!(report["totals"]["checked"], 1, "{report}");

    clock.advance(chrono::Duration::days(2));
    app.ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;
    let mut last = Value::Null;
    for _ in 0..100 {
        let (_, report) = app.get_json(&range, &acme.key).await;
        if report["totals"]["checked"] == 1 && report["buckets"].as_array().unwrap().len() == 1 {
            // The newer minute is what is left; the examples are kept (capped per type).
            assert_eq!(report["examples"].as_array().unwrap().len(), 2);
            return;
        }
        last = report;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the old counts were not pruned: {last}");
}
