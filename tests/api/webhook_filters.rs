//! Webhook endpoint filters (`filter`, the search query language) agree with search: on a
//! generated corpus, for each query, the events that got a delivery to an endpoint with that
//! filter are exactly the events a search for it returns. Deliveries are written by the
//! store's outbox at commit time (the matcher in Rust), search hits come from the index
//! (FTS5 or `tsvector`), so the test compares the two real paths. Runs on either store.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, TestTenant, assert_error, spawn_app_with};

/// The worker stays off: deliveries are only written (pending), which is what is compared.
async fn app() -> TestApp {
    spawn_app_with(|config| {
        config.webhooks.allow_private_targets = true;
        config.webhooks.worker = false;
    })
    .await
}

const TYPES: &[&str] = &[
    "order.paid",
    "order.failed",
    "signup",
    "checkout.started",
    "page.view",
    "payment.failed",
];
const PAGES: &[&str] = &[
    "/checkout",
    "/checkout/review",
    "/pay/confirm",
    "/home",
    "/docs/api",
];
const WORDS: &[&str] = &[
    "card",
    "declined",
    "visa",
    "amex",
    "refund",
    "paypal",
    "timeout",
    "error",
    "retry",
    "fraud",
    "alert",
    "checkout",
    "Café",
    "CRÈME",
    "brûlée",
    "支付失败",
    "🔥",
    "10:30",
    "order",
    "was",
    "by",
    "issuer",
];

/// A varied event: type, page, plan, flags, numbers, nested keys, arrays and free text.
fn event(rng: &mut StdRng) -> Value {
    let mut metadata = Map::new();
    if rng.random_bool(0.8) {
        metadata.insert("page".into(), json!(PAGES.choose(rng).unwrap()));
    }
    if rng.random_bool(0.7) {
        let plan = ["pro", "free", "team", "professional"].choose(rng).unwrap();
        metadata.insert(
            "user".into(),
            json!({ "plan": plan, "id": rng.random_range(1..50) }),
        );
    }
    if rng.random_bool(0.5) {
        metadata.insert("test".into(), json!(rng.random_bool(0.5)));
    }
    if rng.random_bool(0.4) {
        metadata.insert("amount".into(), json!([42, 7, 1999].choose(rng).unwrap()));
    }
    if rng.random_bool(0.3) {
        let tags: Vec<&str> = ["red", "blue", "green"]
            .into_iter()
            .filter(|_| rng.random_bool(0.5))
            .collect();
        metadata.insert("tags".into(), json!(tags));
    }
    if rng.random_bool(0.15) {
        metadata.insert("a".into(), json!({ "b": { "c": "deep value" } }));
    }
    if rng.random_bool(0.9) {
        let n = rng.random_range(1..6);
        let words: Vec<&str> = (0..n).map(|_| *WORDS.choose(rng).unwrap()).collect();
        metadata.insert("msg".into(), json!(words.join(" ")));
    }
    if rng.random_bool(0.2) {
        metadata.insert("ref".into(), json!(TYPES.choose(rng).unwrap()));
    }
    json!({ "event_type": TYPES.choose(rng).unwrap(), "metadata": metadata })
}

/// Every construct of the language: words, phrases, field terms (type:, metadata keys,
/// nested, quoted values), negation (`-`, `NOT`, of a group), OR, grouping, AND, prefixes
/// (of a word, a field value and a phrase), folding of case and accents, CJK, emoji, numbers,
/// booleans, arrays, and words with punctuation inside.
const QUERIES: &[&str] = &[
    "card",
    "card declined",
    "\"card declined\"",
    "\"declined by issuer\"",
    "page:/checkout",
    "page:checkout",
    "page:/pay/confirm",
    "page:\"checkout review\"",
    "type:signup",
    "type:order.paid",
    "Type:\"payment failed\"",
    "user.plan:pro",
    "user.plan:pro*",
    "test:true",
    "page:/checkout -test:true",
    "card NOT visa",
    "visa OR amex",
    "(visa OR amex) declined",
    "refund -(paypal OR visa)",
    "fraud AND alert",
    "timeout retry OR error",
    "decl*",
    "page:check*",
    "\"card decl\"*",
    "cafe",
    "crème brulee",
    "支付",
    "🔥",
    "tags:red",
    "amount:42 -tags:blue",
    "a.b.c:deep",
    "10:30",
    "order OR signup",
    "checkout -type:checkout.started",
    "ref:signup OR ref:page*",
    "card & declined",
    "professional",
    "plan:pro",
];

async fn create_endpoint(app: &TestApp, tenant: &TestTenant, body: Value) -> Value {
    let response = app
        .post("/api/v1/webhooks", &tenant.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// The event ids with a delivery to the endpoint.
async fn delivered(app: &TestApp, tenant: &TestTenant, endpoint: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/webhooks/{endpoint}/deliveries?limit=100");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_json(&path, &tenant.key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for delivery in body["deliveries"].as_array().unwrap() {
            ids.insert(delivery["event_id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// The events a search for `q` returns, all pages: (id, event type).
async fn searched(app: &TestApp, tenant: &TestTenant, q: &str) -> BTreeSet<(String, String)> {
    let mut hits = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    loop {
        let mut path = format!("/api/v1/events/search?limit=100&q={q}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_json(&path, &tenant.key).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        for hit in body["hits"].as_array().unwrap() {
            hits.insert((
                hit["event"]["id"].as_str().unwrap().to_owned(),
                hit["event"]["event_type"].as_str().unwrap().to_owned(),
            ));
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return hits,
        }
    }
}

#[tokio::test]
async fn an_endpoint_filter_delivers_exactly_the_events_a_search_for_it_returns() {
    let app = app().await;
    let tenant = app.create_tenant("filters").await;
    // Endpoints first: deliveries are decided when each event is stored.
    let mut endpoints = Vec::new();
    for q in QUERIES {
        let body = create_endpoint(
            &app,
            &tenant,
            json!({ "url": "http://127.0.0.1:9/hook", "filter": q }),
        )
        .await;
        assert_eq!(body["filter"], *q);
        endpoints.push(body["id"].as_str().unwrap().to_owned());
    }
    // Wildcard event types and a filter together.
    let combined = create_endpoint(
        &app,
        &tenant,
        json!({
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["order.*", "*.failed"],
            "filter": "declined OR page:/checkout",
        }),
    )
    .await;
    let unfiltered =
        create_endpoint(&app, &tenant, json!({ "url": "http://127.0.0.1:9/hook" })).await;
    assert_eq!(unfiltered["filter"], Value::Null);

    let mut rng = StdRng::seed_from_u64(17);
    let mut all = BTreeSet::new();
    for _ in 0..4 {
        let batch: Vec<Value> = (0..100).map(|_| event(&mut rng)).collect();
        let response = app
            .ingest_batch(&tenant.key, json!({ "events": batch }))
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        for result in body["results"].as_array().unwrap() {
            all.insert(result["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(all.len(), 400);
    assert_eq!(
        delivered(&app, &tenant, unfiltered["id"].as_str().unwrap()).await,
        all
    );

    let mut some_hit = 0;
    for (q, endpoint) in QUERIES.iter().zip(&endpoints) {
        let expected: BTreeSet<String> = searched(&app, &tenant, q)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let got = delivered(&app, &tenant, endpoint).await;
        assert_eq!(
            got,
            expected,
            "{q:?}: delivered {} events, search found {}",
            got.len(),
            expected.len()
        );
        if !expected.is_empty() && expected.len() < all.len() {
            some_hit += 1;
        }
    }
    // The corpus exercises the queries: nearly all select some events but not all.
    assert!(
        some_hit >= QUERIES.len() - 2,
        "{some_hit} of {}",
        QUERIES.len()
    );

    let expected: BTreeSet<String> = searched(&app, &tenant, "declined OR page:/checkout")
        .await
        .into_iter()
        .filter(|(_, event_type)| {
            event_type.starts_with("order.") || event_type.ends_with(".failed")
        })
        .map(|(id, _)| id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        delivered(&app, &tenant, combined["id"].as_str().unwrap()).await,
        expected
    );
}

#[tokio::test]
async fn a_filter_search_would_refuse_is_422_with_the_position_on_create_and_patch() {
    let app = app().await;
    let tenant = app.create_tenant("bad-filters").await;
    for (filter, expected) in [
        ("card \"declined", "character 6"),
        ("(card", "character 1"),
        ("-card", "character 1"),
        ("a OR -b", "character 6"),
        ("page:", "character 1"),
        ("a*", "at least 2"),
        ("violations:true card", "violations"),
    ] {
        let response = app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&json!({ "url": "http://127.0.0.1:9/hook", "filter": filter }))
            .send()
            .await
            .unwrap();
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("filter"),
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{filter:?}: {message}");
    }
    // Search reports the same position for the same text.
    let (status, body) = app
        .get_json("/api/v1/events/search?q=card%20%22declined", &tenant.key)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("character 6")
    );

    let endpoint = create_endpoint(
        &app,
        &tenant,
        json!({ "url": "http://127.0.0.1:9/hook", "filter": "  card  " }),
    )
    .await;
    assert_eq!(endpoint["filter"], "card");
    let id = endpoint["id"].as_str().unwrap();
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/webhooks/{id}")))
            .header("X-API-Key", &tenant.key)
            .json(&body)
            .send()
    };
    let response = patch(json!({ "filter": "card )" })).await.unwrap();
    let body = assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("filter"),
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("character 6")
    );
    // Unchanged by the refused patch, changed by a good one, cleared by "" and by null.
    let (_, view) = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &tenant.key)
        .await;
    assert_eq!(view["filter"], "card");
    let view: Value = patch(json!({ "filter": "visa OR amex" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["filter"], "visa OR amex");
    let view: Value = patch(json!({ "description": "x" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["filter"], "visa OR amex", "absent leaves it");
    let view: Value = patch(json!({ "filter": "" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["filter"], Value::Null);
    patch(json!({ "filter": "visa" })).await.unwrap();
    let view: Value = patch(json!({ "filter": null }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["filter"], Value::Null);

    // A cleared filter delivers everything again; another tenant can neither see nor patch it.
    let other = app.create_tenant("other").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &other.key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .header("X-API-Key", &other.key)
        .json(&json!({ "filter": "card" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.ingest_ok(
        &tenant.key,
        json!({ "event_type": "x", "metadata": {"msg": "nothing"} }),
    )
    .await;
    assert_eq!(delivered(&app, &tenant, id).await.len(), 1);
}
