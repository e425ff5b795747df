//! Full-text search (`GET /api/v1/events/search` and `q` on the list), over real HTTP. Every
//! test runs on SQLite and, with `TRIBUTARY_TEST_BACKEND=postgres`, on PostgreSQL with the
//! same assertions: the same query must give the same hits on both stores.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestTenant, assert_error, postgres_backend, spawn_app, spawn_app_with,
};

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// GET the search endpoint with `q` and extra raw parameters; returns status and body.
async fn search_raw(app: &TestApp, credential: &str, q: &str, extra: &str) -> (StatusCode, Value) {
    app.get_json(
        &format!("/api/v1/events/search?q={}{extra}", encode(q)),
        credential,
    )
    .await
}

/// The hits of a search that must succeed.
async fn hits(app: &TestApp, tenant: &TestTenant, q: &str) -> Vec<Value> {
    hits_with(app, tenant, q, "").await
}

async fn hits_with(app: &TestApp, tenant: &TestTenant, q: &str, extra: &str) -> Vec<Value> {
    let (status, body) = search_raw(app, &tenant.key, q, extra).await;
    assert_eq!(status, StatusCode::OK, "q={q:?}: {body}");
    body["hits"].as_array().cloned().unwrap_or_default()
}

/// The `name` metadata of each hit, in order: tests name their events.
async fn names(app: &TestApp, tenant: &TestTenant, q: &str) -> Vec<String> {
    names_of(&hits(app, tenant, q).await)
}

fn names_of(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|hit| {
            hit["event"]["metadata"]["name"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// Ingests the events in one batch, asserting that all were accepted.
async fn seed(app: &TestApp, tenant: &TestTenant, events: Vec<Value>) {
    let count = events.len();
    let response = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], count, "{body}");
}

fn named(name: &str, event_type: &str, metadata: Value) -> Value {
    let mut metadata = metadata;
    metadata["name"] = json!(name);
    json!({ "event_type": event_type, "metadata": metadata })
}

#[tokio::test]
async fn an_event_with_a_rare_term_ranks_above_those_with_only_a_common_one() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let mut events: Vec<Value> = (0..8)
        .map(|i| {
            named(
                &format!("shipped-{i}"),
                "order",
                json!({"message": "order shipped to customer"}),
            )
        })
        .collect();
    events.insert(
        3,
        named(
            "flagged",
            "order",
            json!({"message": "order flagged to review"}),
        ),
    );
    events.extend(
        (0..5).map(|i| named(&format!("other-{i}"), "page_view", json!({"page": "/home"}))),
    );
    seed(&app, &acme, events).await;

    let found = names(&app, &acme, "shipped OR flagged").await;
    assert_eq!(found.len(), 9, "{found:?}");
    assert_eq!(found[0], "flagged", "{found:?}");

    // Scores are positive and never increase down the list.
    let hits = hits(&app, &acme, "shipped OR flagged").await;
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.iter().all(|s| *s > 0.0), "{scores:?}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test]
async fn an_exact_phrase_ranks_above_the_same_words_scattered() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named("scattered", "payment", json!({"message": "card accepted but the refund was declined"})),
            named(
                "phrase",
                "payment",
                json!({"message": "payment failed because the card declined at the issuing bank today"}),
            ),
            named("unrelated", "payment", json!({"message": "payment accepted"})),
        ],
    )
    .await;

    assert_eq!(
        names(&app, &acme, "card declined").await,
        ["phrase", "scattered"]
    );
    assert_eq!(names(&app, &acme, "\"card declined\"").await, ["phrase"]);
    assert_eq!(
        names(&app, &acme, "\"declined card\"").await,
        Vec::<String>::new()
    );
    // A phrase never spans two values.
    seed(
        &app,
        &acme,
        vec![named(
            "split",
            "payment",
            json!({"a": "visa card", "b": "declined"}),
        )],
    )
    .await;
    assert_eq!(names(&app, &acme, "\"card declined\"").await, ["phrase"]);
}

#[tokio::test]
async fn a_field_term_matches_only_that_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named("on-pay", "page_view", json!({"page": "/pay"})),
            named(
                "from-pay",
                "page_view",
                json!({"page": "/home", "referrer": "/pay"}),
            ),
            named("deep", "page_view", json!({"page": "/pay/confirm"})),
        ],
    )
    .await;

    assert_eq!(
        sorted(names(&app, &acme, "page:/pay").await),
        ["deep", "on-pay"]
    );
    assert_eq!(names(&app, &acme, "referrer:/pay").await, ["from-pay"]);
    assert_eq!(names(&app, &acme, "page:\"/pay/confirm\"").await, ["deep"]);
    assert_eq!(
        names(&app, &acme, "PAGE:home").await,
        ["from-pay"],
        "field names ignore case"
    );
    assert_eq!(
        sorted(names(&app, &acme, "pay").await),
        ["deep", "from-pay", "on-pay"],
        "a bare word matches any field"
    );
    assert!(names(&app, &acme, "page:/nowhere").await.is_empty());
}

#[tokio::test]
async fn type_scopes_a_term_to_the_event_type() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named("signup", "signup", json!({})),
            named(
                "mentions",
                "page_view",
                json!({"type": "signup", "note": "signup form"}),
            ),
            named("checkout", "checkout_error", json!({"message": "timeout"})),
        ],
    )
    .await;

    assert_eq!(names(&app, &acme, "type:signup").await, ["signup"]);
    assert_eq!(
        names(&app, &acme, "type:checkout_error").await,
        ["checkout"]
    );
    assert_eq!(names(&app, &acme, "type:checkout").await, ["checkout"]);
    assert_eq!(names(&app, &acme, "type:check*").await, ["checkout"]);
    assert_eq!(
        sorted(names(&app, &acme, "signup").await),
        ["mentions", "signup"]
    );
}

#[tokio::test]
async fn a_negated_term_excludes_the_events_that_hold_it() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named("declined", "payment", json!({"message": "card declined"})),
            named("accepted", "payment", json!({"message": "card accepted"})),
            named(
                "refund",
                "refund",
                json!({"message": "card refunded", "page": "/pay"}),
            ),
        ],
    )
    .await;

    assert_eq!(
        sorted(names(&app, &acme, "card -declined").await),
        ["accepted", "refund"]
    );
    assert_eq!(
        names(&app, &acme, "card NOT declined -type:refund").await,
        ["accepted"]
    );
    assert_eq!(
        names(&app, &acme, "card -\"card declined\" -page:/pay").await,
        ["accepted"]
    );
    assert_eq!(
        names(&app, &acme, "card -(declined OR refunded)").await,
        ["accepted"]
    );
}

#[tokio::test]
async fn or_matches_either_term_and_binds_tighter_than_and() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named(
                "visa",
                "payment",
                json!({"card": "visa", "status": "declined"}),
            ),
            named(
                "amex",
                "payment",
                json!({"card": "amex", "status": "declined"}),
            ),
            named("paid", "payment", json!({"card": "visa", "status": "paid"})),
            named(
                "cash",
                "payment",
                json!({"card": "none", "status": "declined"}),
            ),
        ],
    )
    .await;

    assert_eq!(
        sorted(names(&app, &acme, "visa OR amex").await),
        ["amex", "paid", "visa"]
    );
    assert_eq!(
        sorted(names(&app, &acme, "declined visa OR amex").await),
        ["amex", "visa"]
    );
    assert_eq!(
        sorted(names(&app, &acme, "(visa OR amex) declined").await),
        ["amex", "visa"]
    );
    assert_eq!(
        sorted(names(&app, &acme, "card:amex OR status:paid").await),
        ["amex", "paid"]
    );
    assert_eq!(
        names(&app, &acme, "visa or amex").await,
        Vec::<String>::new(),
        "lower-case or is a word"
    );
}

#[tokio::test]
async fn a_prefix_matches_every_word_it_starts() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named(
                "declined",
                "payment",
                json!({"message": "declined", "plan": "pro"}),
            ),
            named(
                "declination",
                "payment",
                json!({"message": "declination", "plan": "professional"}),
            ),
            named(
                "decl",
                "payment",
                json!({"message": "decl", "plan": "free"}),
            ),
            named(
                "other",
                "payment",
                json!({"message": "accepted", "plan": "basic"}),
            ),
        ],
    )
    .await;

    assert_eq!(
        sorted(names(&app, &acme, "decl*").await),
        ["decl", "declination", "declined"]
    );
    assert_eq!(
        sorted(names(&app, &acme, "declin*").await),
        ["declination", "declined"]
    );
    assert_eq!(names(&app, &acme, "declined*").await, ["declined"]);
    assert_eq!(
        sorted(names(&app, &acme, "plan:pr*").await),
        ["declination", "declined"]
    );
    assert_eq!(
        names(&app, &acme, "\"accep*\"").await,
        Vec::<String>::new(),
        "* inside quotes is text"
    );
    assert_eq!(names(&app, &acme, "\"accep\"*").await, ["other"]);
}

#[tokio::test]
async fn nested_metadata_keys_are_searched_by_their_dotted_path() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named(
                "nested",
                "signup",
                json!({"user": {"plan": "pro", "address": {"city": "Lyon"}}}),
            ),
            named("flat", "signup", json!({"plan": "pro"})),
            named(
                "sibling",
                "signup",
                json!({"user": {"plan": "free", "note": "pro"}}),
            ),
            named(
                "tags",
                "signup",
                json!({"tags": ["alpha", {"kind": "beta"}]}),
            ),
        ],
    )
    .await;

    assert_eq!(names(&app, &acme, "user.plan:pro").await, ["nested"]);
    assert_eq!(names(&app, &acme, "plan:pro").await, ["flat"]);
    assert_eq!(
        names(&app, &acme, "user.address.city:lyon").await,
        ["nested"]
    );
    assert_eq!(names(&app, &acme, "tags:alpha").await, ["tags"]);
    assert_eq!(names(&app, &acme, "tags.kind:beta").await, ["tags"]);
    assert_eq!(
        sorted(names(&app, &acme, "pro").await),
        ["flat", "nested", "sibling"]
    );
}

#[tokio::test]
async fn accented_cjk_and_emoji_text_is_found() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![
            named(
                "french",
                "order",
                json!({"message": "Crème brûlée commandée à São Paulo"}),
            ),
            named("chinese", "payment", json!({"message": "支付失败，请重试"})),
            named(
                "japanese",
                "payment",
                json!({"message": "カード決済が拒否されました"}),
            ),
            named("korean", "payment", json!({"message": "결제 실패"})),
            named(
                "emoji",
                "deploy",
                json!({"message": "deploy 🚀 done ✅", "mood": "🔥🔥"}),
            ),
            named(
                "german",
                "order",
                json!({"city": "Straße", "note": "ÄRGER"}),
            ),
        ],
    )
    .await;

    for (q, expected) in [
        ("creme brulee", "french"),
        ("Crème", "french"),
        ("CRÈME BRÛLÉE", "french"),
        ("\"sao paulo\"", "french"),
        ("commandee", "french"),
        ("支付", "chinese"),
        ("失败", "chinese"),
        ("\"支付失败\"", "chinese"),
        ("カード", "japanese"),
        ("拒否", "japanese"),
        ("결제", "korean"),
        ("🚀", "emoji"),
        ("✅ deploy", "emoji"),
        ("mood:🔥", "emoji"),
        ("straße", "german"),
        ("ärger", "german"),
        ("arger", "german"),
    ] {
        assert_eq!(names(&app, &acme, q).await, [expected], "q={q:?}");
    }
    assert!(names(&app, &acme, "支付成功").await.is_empty());
    assert!(
        names(&app, &acme, "🚀🚀").await.is_empty(),
        "a phrase of two rockets"
    );
}

#[tokio::test]
async fn hostile_queries_never_cause_a_server_error_nor_escape_the_parser() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![named(
            "target",
            "payment",
            json!({"message": "card declined at checkout"}),
        )],
    )
    .await;

    let long_words = "card ".repeat(2048);
    let hostile: Vec<String> = [
        "\"",
        "\"\"",
        "\"card",
        "card\"",
        "((card",
        "card))",
        "(",
        ")",
        "()",
        "(card) OR )",
        "NEAR(card declined)",
        "NEAR(card declined, 2)",
        "card NEAR declined",
        "*",
        "**",
        "card *",
        "* card",
        "\"*\"",
        "body:card",
        "{body}:card",
        "{body tenant}:card",
        "tenant:card",
        "body : card",
        "- card",
        "-",
        "--",
        "---card",
        "NOT",
        "OR",
        "AND",
        "card OR",
        "OR card",
        "NOT NOT card",
        "card AND AND declined",
        "^card",
        "card^",
        "'; DROP TABLE events; --",
        "\"; DROP TABLE events_fts; --",
        "card'); DELETE FROM events; --",
        "\\",
        "\\\"card\\\"",
        "'card'",
        "%",
        "_",
        "__",
        "_type_payment",
        "card:",
        ":card",
        "::",
        "a:b:c",
        "card\0declined",
        "\0",
        "\0\0\0",
        "card\u{1}\u{7f}",
        "\u{feff}card",
        "\u{202e}card",
        "card\u{0301}",
        "📎*",
        "🔥 OR",
        "@!#$%^&()",
        "{}[]<>",
        "<script>alert(1)</script>",
        "card ~ declined",
        "card + declined",
        "card|declined",
        "card & declined",
        "!card",
        "card:*",
        "x*y*z",
        "decl**",
        "type:",
        "type:*",
        "meta.page:x",
        "user..plan:pro",
        ".plan:pro",
        "plan.:pro",
    ]
    .iter()
    .map(|q| q.to_string())
    .chain([
        "a".repeat(10 * 1024),
        long_words,
        "(".repeat(500) + "card" + &")".repeat(500),
        "card ".repeat(32).trim_end().to_owned(),
        ["card"; 40].join(" OR "),
        "x".repeat(999) + "*",
        "é".repeat(900),
        "-x ".repeat(100),
    ])
    .collect();

    for q in &hostile {
        for path in ["/api/v1/events/search?q=", "/api/v1/events?q="] {
            let response = app
                .get(&format!("{path}{}", encode(q)), &acme.key)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let shown: String = q.chars().take(60).collect();
            if status == StatusCode::OK {
                continue;
            }
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} q={shown:?}"
            );
            let body = assert_error(response, status, "validation_error", Some("q")).await;
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
    }

    // None of them was taken as FTS5 or tsquery syntax: these would find the event if they
    // were (a column filter, NEAR, an initial-token query).
    for q in [
        "body:card",
        "{body}:card",
        "tenant:card",
        "NEAR(card declined)",
        "_type_payment",
    ] {
        assert!(
            names(&app, &acme, q).await.is_empty(),
            "{q:?} escaped the parser"
        );
    }
    assert_eq!(
        names(&app, &acme, "^card").await,
        ["target"],
        "^ is punctuation"
    );
    assert_eq!(
        names(&app, &acme, "card\0declined").await,
        ["target"],
        "NUL separates"
    );
    assert_eq!(names(&app, &acme, "card & declined").await, ["target"]);
    // And nothing was dropped or deleted.
    assert_eq!(app.all_events(&acme.key, "").await.len(), 1);
    assert_eq!(names(&app, &acme, "card declined").await, ["target"]);
}

#[tokio::test]
async fn malformed_queries_are_refused_saying_where() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for (q, expected) in [
        ("card \"declined", "character 6"),
        ("(card OR visa", "the ( at character 1 is never closed"),
        ("card)", "unmatched ) at character 5"),
        ("card OR", "OR at character 6"),
        ("-card", "negation at character 1"),
        (
            "visa OR -amex",
            "negation at character 9 cannot be an alternative of OR",
        ),
        ("card *", "* must follow a word"),
        ("c*", "at least 2"),
        ("page:", "`page:` at character 1 needs a value"),
        ("&&", "nothing to search for"),
        ("", "q is empty"),
    ] {
        let (status, body) = search_raw(&app, &acme.key, q, "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q:?}: {body}");
        assert_eq!(body["error"]["code"], "validation_error");
        assert_eq!(body["error"]["field"], "q");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{q:?}: {message}");
    }
    let response = app
        .get("/api/v1/events/search", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("q"),
    )
    .await;
    for (extra, field) in [
        ("&limit=0", "limit"),
        ("&limit=101", "limit"),
        ("&cursor=abc", "cursor"),
        ("&sort=asc", "sort"),
    ] {
        let (status, body) = search_raw(&app, &acme.key, "card", extra).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn a_term_only_in_another_tenants_events_finds_nothing() {
    let app = spawn_app().await;
    let a = app.create_tenant("tenant-a").await;
    let b = app.create_tenant("tenant-b").await;
    seed(
        &app,
        &a,
        vec![named(
            "a-event",
            "note",
            json!({"message": "ordinary words"}),
        )],
    )
    .await;
    seed(
        &app,
        &b,
        vec![named(
            "b-event",
            "note",
            json!({"message": "zebracorn secret", "plan": "zebracorn"}),
        )],
    )
    .await;

    for q in [
        "zebracorn",
        "zebra*",
        "plan:zebracorn",
        "secret OR ordinary",
        "\"zebracorn secret\"",
    ] {
        let found = names(&app, &a, q).await;
        assert!(!found.contains(&"b-event".to_owned()), "{q:?}: {found:?}");
    }
    assert_eq!(names(&app, &b, "zebracorn").await, ["b-event"]);
    assert!(app.all_events(&a.key, "&q=zebracorn").await.is_empty());

    // A's key cannot name B; the admin names either.
    let (status, _) = search_raw(&app, &a.key, "zebracorn", &format!("&tenant_id={}", b.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = search_raw(
        &app,
        &app.admin_token,
        "zebracorn",
        &format!("&tenant_id={}", a.id),
    )
    .await;
    assert_eq!(
        (status, body["hits"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (status, body) = search_raw(
        &app,
        &app.admin_token,
        "zebracorn",
        &format!("&tenant_id={}", b.id),
    )
    .await;
    assert_eq!(
        (status, body["hits"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
}

#[tokio::test]
async fn search_needs_the_read_scope_and_the_admin_names_an_existing_tenant() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let (ingest_only, _) = app.create_key(&acme, &["ingest"]).await;
    let response = app
        .get("/api/v1/events/search?q=card", &ingest_only)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let response = app
        .client
        .get(app.url("/api/v1/events/search?q=card"))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let response = app
        .get("/api/v1/events/search?q=card", &app.admin_token)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("tenant_id"),
    )
    .await;
    let response = app
        .get(
            &format!(
                "/api/v1/events/search?q=card&tenant_id={}",
                uuid::Uuid::new_v4()
            ),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn events_are_searchable_right_after_single_and_batch_ingest() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for i in 0..15 {
        let word = format!("single{i}word");
        app.ingest_ok(
            &acme.key,
            json!({"event_type": "note", "metadata": {"name": word, "message": word}}),
        )
        .await;
        assert_eq!(
            names(&app, &acme, &word).await,
            vec![word],
            "single ingest {i}"
        );

        let batch: Vec<Value> = (0..5)
            .map(|j| {
                named(
                    &format!("batch{i}x{j}"),
                    "note",
                    json!({"message": format!("batch{i}word")}),
                )
            })
            .collect();
        seed(&app, &acme, batch).await;
        assert_eq!(
            names(&app, &acme, &format!("batch{i}word")).await.len(),
            5,
            "batch {i}"
        );
    }
}

#[tokio::test]
async fn filters_combine_with_the_query() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let at = |hour: u32| format!("2024-03-01T{hour:02}:00:00Z");
    let events = vec![
        json!({"event_type": "payment", "timestamp": at(9), "metadata": {"name": "early", "message": "card declined", "page": "/pay"}}),
        json!({"event_type": "payment", "timestamp": at(11), "metadata": {"name": "late", "message": "card declined", "page": "/pay"}}),
        json!({"event_type": "error", "timestamp": at(11), "metadata": {"name": "error", "message": "card declined", "page": "/cart"}}),
        json!({"event_type": "payment", "timestamp": at(12), "metadata": {"name": "ok", "message": "card accepted", "page": "/pay"}}),
    ];
    seed(&app, &acme, events).await;

    let found = |extra: &'static str| {
        let app = &app;
        let acme = &acme;
        async move {
            sorted(names_of(
                &hits_with(app, acme, "card declined", extra).await,
            ))
        }
    };
    assert_eq!(found("").await, ["early", "error", "late"]);
    assert_eq!(found("&event_type=payment").await, ["early", "late"]);
    assert_eq!(
        found("&event_type=payment&event_type=error").await,
        ["early", "error", "late"]
    );
    assert_eq!(found("&from=2024-03-01T10:00:00Z").await, ["error", "late"]);
    assert_eq!(found("&to=2024-03-01T10:00:00Z").await, ["early"]);
    assert_eq!(found("&meta.page=/cart").await, ["error"]);
    assert_eq!(
        found("&meta.page=/pay&from=2024-03-01T10:00:00Z").await,
        ["late"]
    );
    assert_eq!(found("&meta.page=/nowhere").await, Vec::<String>::new());
}

#[tokio::test]
async fn pages_follow_the_cursor_without_duplicates_or_gaps_ties_newest_first() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    // Identical texts tie on score: the newer event comes first.
    let events: Vec<Value> = (0..37)
        .map(|i| {
            let message = if i % 3 == 0 {
                "timeout timeout checkout"
            } else {
                "timeout at checkout"
            };
            json!({"event_type": "error", "timestamp": format!("2024-03-01T10:{i:02}:00Z"),
                   "metadata": {"name": format!("e{i:02}"), "message": message}})
        })
        .collect();
    seed(&app, &acme, events).await;
    seed(
        &app,
        &acme,
        vec![named("noise", "page_view", json!({"page": "/home"}))],
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last: Option<(f64, String)> = None;
    for _ in 0..10 {
        let extra = match &cursor {
            Some(cursor) => format!("&limit=10&cursor={cursor}"),
            None => "&limit=10".to_owned(),
        };
        let (status, body) = search_raw(&app, &acme.key, "timeout checkout", &extra).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for hit in body["hits"].as_array().unwrap() {
            let key = (
                hit["score"].as_f64().unwrap(),
                hit["event"]["timestamp"].as_str().unwrap().to_owned(),
            );
            if let Some(previous) = &last {
                assert!(
                    previous.0 > key.0 || (previous.0 == key.0 && previous.1 > key.1),
                    "order: {previous:?} then {key:?}"
                );
            }
            last = Some(key);
            seen.push(
                hit["event"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 37, "{seen:?}");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        37,
        "no duplicates"
    );
    // The events saying "timeout" twice are the 13 first.
    let twice: HashSet<String> = (0..37)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("e{i:02}"))
        .collect();
    assert!(
        seen[..13].iter().all(|name| twice.contains(name)),
        "{seen:?}"
    );
    assert_eq!(seen[13], "e35", "ties newest first: {seen:?}");
}

#[tokio::test]
async fn snippets_mark_the_matches_in_plain_text() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![named(
            "html",
            "payment",
            json!({"page": "/pay", "message": "<img src=x onerror=alert(1)> Card DECLINED & <b>retried</b>"}),
        )],
    )
    .await;

    let hit = hits(&app, &acme, "card declined").await.remove(0);
    let snippet = &hit["snippet"];
    assert_eq!(snippet["field"], "message");
    assert_eq!(
        snippet["text"], "<img src=x onerror=alert(1)> Card DECLINED & <b>retried</b>",
        "plain text, as stored: the client escapes it"
    );
    let fragments = snippet["fragments"].as_array().unwrap();
    let joined: String = fragments
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined, snippet["text"].as_str().unwrap());
    let marked: Vec<&str> = fragments
        .iter()
        .filter(|f| f["highlight"] == true)
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["Card", "DECLINED"]);

    let hit = hits(&app, &acme, "page:/pay").await.remove(0);
    assert_eq!(hit["snippet"]["field"], "page");
    assert_eq!(
        hit["event"]["metadata"]["name"], "html",
        "the whole event comes back"
    );
}

#[tokio::test]
async fn the_list_endpoint_filters_with_q_newest_first() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let events: Vec<Value> = (0..12)
        .map(|i| {
            let message = if i % 2 == 0 {
                "card declined"
            } else {
                "card accepted"
            };
            json!({"event_type": "payment", "timestamp": format!("2024-03-01T10:{i:02}:00Z"),
                   "metadata": {"name": format!("e{i:02}"), "message": message}})
        })
        .collect();
    seed(&app, &acme, events).await;

    let listed = app.all_events(&acme.key, "&q=card%20declined").await;
    let names: Vec<&str> = listed
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e10", "e08", "e06", "e04", "e02", "e00"]);

    // Pages of 2 with q.
    let (status, body) = app
        .get_json("/api/v1/events?q=declined&limit=2", &acme.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let (_, page2) = app
        .get_json(
            &format!("/api/v1/events?q=declined&limit=2&cursor={cursor}"),
            &acme.key,
        )
        .await;
    assert_eq!(page2["events"][0]["metadata"]["name"], "e06");

    assert_eq!(
        app.all_events(&acme.key, "&q=card%20-declined&event_type=payment")
            .await
            .len(),
        6
    );
    assert_eq!(
        app.all_events(&acme.key, "&q=card&q=accepted").await.len(),
        6,
        "two q must both match"
    );
    let response = app
        .get("/api/v1/events?q=%22open", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("q"),
    )
    .await;
}

/// Where the data lives, outliving the servers a test starts on it: a fresh PostgreSQL
/// database with `TRIBUTARY_TEST_BACKEND=postgres`, otherwise a SQLite file in a temp dir.
struct Storage {
    url: String,
    _dir: tempfile::TempDir,
    _database: Option<crate::pg::TestDatabase>,
}

impl Storage {
    /// `None` when PostgreSQL is asked for but not reachable (outside CI).
    async fn new() -> Option<Storage> {
        let dir = tempfile::tempdir().unwrap();
        if postgres_backend() {
            let database = crate::pg::fresh_database().await?;
            return Some(Storage {
                url: database.url.clone(),
                _dir: dir,
                _database: Some(database),
            });
        }
        Some(Storage {
            url: format!("sqlite://{}", dir.path().join("events.db").display()),
            _dir: dir,
            _database: None,
        })
    }
}

#[tokio::test]
async fn events_stored_before_search_existed_are_indexed_when_the_store_opens() {
    let Some(storage) = Storage::new().await else {
        return;
    };
    let url = storage.url.clone();
    let first = spawn_app_with(|config| config.database.url = url.clone()).await;
    let acme = first.create_tenant("acme").await;
    seed(
        &first,
        &acme,
        vec![named("old", "note", json!({"message": "legacy text"}))],
    )
    .await;
    drop(first);

    // Make it look like these events were stored before the search migration.
    if postgres_backend() {
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("UPDATE events SET search = NULL")
            .execute(&mut connection)
            .await
            .unwrap();
    } else {
        let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")
            .execute(&mut connection)
            .await
            .unwrap();
        sqlx::query("INSERT INTO settings (key, value) SELECT 'search_backfill', '0 ' || MAX(rowid) FROM events")
            .execute(&mut connection)
            .await
            .unwrap();
    }

    let second = spawn_app_with(|config| config.database.url = url.clone()).await;
    assert_eq!(names(&second, &acme, "legacy").await, ["old"]);
}

/// On SQLite the index is written behind the commit, from a watermark: events above it when
/// the server stopped (here: made so, as after a SIGKILL between a commit and its indexing)
/// are indexed when it starts again, each once.
#[tokio::test]
async fn events_committed_but_not_yet_indexed_when_the_server_stopped_are_found_after_a_restart() {
    let Some(storage) = Storage::new().await else {
        return;
    };
    let url = storage.url.clone();
    let first = spawn_app_with(|config| config.database.url = url.clone()).await;
    let acme = first.create_tenant("acme").await;
    let events = (0..5)
        .map(|n| {
            named(
                &format!("e{n}"),
                "note",
                json!({"message": "pending words"}),
            )
        })
        .collect();
    seed(&first, &acme, events).await;
    drop(first);
    if !postgres_backend() {
        // Only the first event's row stays in the index; the watermark goes back to it.
        let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        for statement in [
            "DELETE FROM events_fts WHERE rowid > (SELECT MIN(rowid) FROM events)",
            "UPDATE settings SET value = (SELECT CAST(MIN(rowid) AS TEXT) FROM events) \
             WHERE key = 'search_indexed'",
        ] {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .unwrap();
        }
    }

    let second = spawn_app_with(|config| config.database.url = url.clone()).await;
    assert_eq!(
        sorted(names(&second, &acme, "pending").await),
        ["e0", "e1", "e2", "e3", "e4"]
    );
}

/// After the newest events are deleted SQLite gives their rowids to the next events, below
/// the index's watermark: those are indexed in their own commit, and the deleted ones' rows
/// are gone with them.
#[tokio::test]
async fn an_event_stored_after_the_newest_were_deleted_is_found_and_they_are_not() {
    let app = spawn_app_with(|config| config.privacy.deletion_pause_ms = 1).await;
    let acme = app.create_tenant("acme").await;
    seed(
        &app,
        &acme,
        vec![named("kept", "note", json!({"message": "kept"}))],
    )
    .await;
    let doomed = (0..3)
        .map(|n| {
            named(
                &format!("doomed{n}"),
                "note",
                json!({"message": "doomedword"}),
            )
        })
        .collect();
    seed(&app, &acme, doomed).await;
    assert_eq!(names(&app, &acme, "doomedword").await.len(), 3);

    let job: Value = crate::deletions::create_job(&app, &acme.key, json!({"query": "doomedword"}))
        .await
        .json()
        .await
        .unwrap();
    let job = crate::deletions::finished(&app, &acme.key, job["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["deleted"], 3, "{job}");

    seed(
        &app,
        &acme,
        vec![named("fresh", "note", json!({"message": "freshword"}))],
    )
    .await;
    assert_eq!(names(&app, &acme, "freshword").await, ["fresh"]);
    assert!(names(&app, &acme, "doomedword").await.is_empty());
    assert_eq!(names(&app, &acme, "kept").await, ["kept"]);
}

#[tokio::test]
async fn the_openapi_document_describes_search() {
    let app = spawn_app().await;
    let (status, document) = app.get_json("/api/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    let search = &document["paths"]["/api/v1/events/search"]["get"];
    assert!(search.is_object(), "{}", document["paths"]);
    let description = search["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("plain text, never HTML"),
        "{description}"
    );
    let parameters: Vec<&str> = search["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        parameters.contains(&"q") && parameters.contains(&"cursor"),
        "{parameters:?}"
    );
    for schema in ["SearchResults", "Hit", "Snippet", "Fragment"] {
        assert!(
            document["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
}
