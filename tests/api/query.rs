//! Reading events back: filters, keyset pagination under concurrent inserts, get by id,
//! stats, and tenant isolation of all of them.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn listing_filters_by_type_time_and_metadata_newest_first() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let events = [
        json!({"event_type": "page_view", "timestamp": "2024-01-01T10:00:00Z", "metadata": {"page": "/home", "user": {"plan": "pro"}}}),
        json!({"event_type": "page_view", "timestamp": "2024-01-01T11:00:00Z", "metadata": {"page": "/pricing", "n": 5}}),
        json!({"event_type": "signup", "timestamp": "2024-01-01T12:00:00Z", "metadata": {"page": "/home", "paid": true}}),
        json!({"event_type": "error", "timestamp": "2024-01-01T13:00:00Z", "metadata": {}}),
    ];
    let response = app
        .ingest_batch(&acme.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let types = |list: &[Value]| {
        list.iter()
            .map(|e| e["event_type"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        types(&app.all_events(&acme.key, "").await),
        ["error", "signup", "page_view", "page_view"]
    );
    assert_eq!(
        types(
            &app.all_events(&acme.key, "&event_type=signup&event_type=error")
                .await
        ),
        ["error", "signup"]
    );
    let window = app
        .all_events(
            &acme.key,
            "&from=2024-01-01T11:00:00Z&to=2024-01-01T13:00:00Z",
        )
        .await;
    assert_eq!(
        types(&window),
        ["signup", "page_view"],
        "from is inclusive, to exclusive"
    );
    assert_eq!(app.all_events(&acme.key, "&meta.page=/home").await.len(), 2);
    assert_eq!(
        app.all_events(&acme.key, "&meta.page=/home&event_type=signup")
            .await
            .len(),
        1
    );
    assert_eq!(
        app.all_events(&acme.key, "&meta.user.plan=pro").await.len(),
        1
    );
    assert_eq!(app.all_events(&acme.key, "&meta.n=5").await.len(), 1);
    assert_eq!(app.all_events(&acme.key, "&meta.paid=true").await.len(), 1);
    assert!(
        app.all_events(&acme.key, "&meta.page=/nowhere")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn bad_list_parameters_are_refused_with_their_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("cursor=garbage", "cursor"),
        ("from=yesterday", "from"),
        ("event_type=no%20spaces", "event_type"),
        ("evnt_type=x", "evnt_type"),
    ] {
        let response = app
            .get(&format!("/api/v1/events?{query}"), &acme.key)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
}

#[tokio::test]
async fn pagination_has_no_duplicate_and_no_gap_while_inserts_go_on() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let batch: Vec<Value> = (0..250)
        .map(|i| json!({"event_type": "seed", "metadata": {"i": i}}))
        .collect();
    app.ingest_batch(&acme.key, json!({ "events": batch }))
        .await;
    let seeded: HashSet<String> = app
        .all_events(&acme.key, "")
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seeded.len(), 250);

    // Page through with small pages while another task keeps inserting.
    let writer = {
        let (address, key) = (app.address.clone(), acme.key.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..60 {
                let response = client
                    .post(format!("{address}/api/v1/events"))
                    .header("X-API-Key", &key)
                    .json(&json!({"event_type": "live", "metadata": {"i": i}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::ACCEPTED);
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/events?limit=7".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, page) = app.get_json(&path, &acme.key).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    writer.await.unwrap();
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no event appears twice");
    assert!(
        seeded.is_subset(&unique),
        "every event that existed before paging started was seen"
    );
}

#[tokio::test]
async fn another_tenants_events_are_invisible() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let secret = app
        .ingest_ok(
            &globex.key,
            json!({"event_type": "secret", "metadata": {"card": "4242"}}),
        )
        .await;
    app.ingest_ok(&acme.key, json!({"event_type": "mine"}))
        .await;

    let response = app
        .get(&format!("/api/v1/events/{secret}"), &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let listed = app.all_events(&acme.key, "").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["event_type"], "mine");
    assert!(
        app.all_events(&acme.key, "&event_type=secret")
            .await
            .is_empty()
    );
    let (_, stats) = app.get_json("/api/v1/events/stats", &acme.key).await;
    assert_eq!(stats["total"], 1);
    for path in [
        format!("/api/v1/events?tenant_id={}", globex.id),
        format!("/api/v1/events/{secret}?tenant_id={}", globex.id),
        format!("/api/v1/events/stats?tenant_id={}", globex.id),
    ] {
        let response = app.get(&path, &acme.key).send().await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    }
    // The admin reads any tenant by naming it.
    let (status, event) = app
        .get_json(
            &format!("/api/v1/events/{secret}?tenant_id={}", globex.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["metadata"]["card"], "4242");
    let (status, _) = app
        .get_json(
            &format!("/api/v1/events/{secret}?tenant_id={}", acme.id),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_and_malformed_event_ids_are_not_found() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for id in [uuid::Uuid::now_v7().to_string(), "nope".to_owned()] {
        let response = app
            .get(&format!("/api/v1/events/{id}"), &acme.key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

#[tokio::test]
async fn stats_count_totals_types_and_buckets_of_what_was_ingested() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let at = |hh_mm: &str| format!("2024-03-10T{hh_mm}:00Z");
    let mut events = Vec::new();
    for (time, kind, count) in [
        ("10:05", "page_view", 3),
        ("10:59", "signup", 1),
        ("11:30", "page_view", 2),
        ("13:00", "error", 4),
    ] {
        for _ in 0..count {
            events.push(json!({"event_type": kind, "timestamp": at(time)}));
        }
    }
    events.push(json!({"event_type": "page_view", "timestamp": "2024-03-09T23:59:59Z"}));
    app.ingest_batch(&acme.key, json!({ "events": events }))
        .await;

    let (status, stats) = app
        .get_json(
            "/api/v1/events/stats?from=2024-03-10T10:00:00Z&to=2024-03-10T14:00:00Z&interval=hour",
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["total"], 10);
    assert_eq!(stats["interval"], "hour");
    assert_eq!(stats["from"], "2024-03-10T10:00:00Z");
    assert_eq!(
        stats["by_type"],
        json!([{"event_type": "page_view", "count": 5}, {"event_type": "error", "count": 4}, {"event_type": "signup", "count": 1}])
    );
    assert_eq!(
        stats["series"],
        json!([
            {"bucket": "2024-03-10T10:00:00Z", "count": 4},
            {"bucket": "2024-03-10T11:00:00Z", "count": 2},
            {"bucket": "2024-03-10T12:00:00Z", "count": 0},
            {"bucket": "2024-03-10T13:00:00Z", "count": 4},
        ])
    );

    let (_, by_day) = app
        .get_json("/api/v1/events/stats?from=2024-03-09T00:00:00Z&to=2024-03-11T00:00:00Z&interval=day&event_type=page_view", &acme.key)
        .await;
    assert_eq!(by_day["total"], 6);
    assert_eq!(
        by_day["series"],
        json!([{"bucket": "2024-03-09T00:00:00Z", "count": 1}, {"bucket": "2024-03-10T00:00:00Z", "count": 5}])
    );

    let (_, minutes) = app
        .get_json("/api/v1/events/stats?from=2024-03-10T10:00:00Z&to=2024-03-10T10:10:00Z&interval=minute", &acme.key)
        .await;
    assert_eq!(minutes["series"].as_array().unwrap().len(), 10);
    assert_eq!(
        minutes["series"][5],
        json!({"bucket": "2024-03-10T10:05:00Z", "count": 3})
    );

    let response = app
        .get("/api/v1/events/stats?interval=week", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("interval"),
    )
    .await;
    let response = app
        .get(
            "/api/v1/events/stats?from=2000-01-01T00:00:00Z&interval=minute",
            &acme.key,
        )
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("interval"),
    )
    .await;
}

#[tokio::test]
async fn too_many_filters_or_too_long_a_query_is_a_422_not_a_slow_query() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let filters = |n: usize| (0..n).map(|i| format!("&meta.k{i}=v")).collect::<String>();
    for path in [
        "/api/v1/events",
        "/api/v1/events/stats",
        "/api/v1/events/search",
    ] {
        let q = if path.ends_with("search") {
            "q=x"
        } else {
            "event_type=a"
        };
        let (status, body) = app
            .get_json(&format!("{path}?{q}{}", filters(20)), &tenant.key)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let long = format!("&meta.note={}", "x".repeat(17 * 1024));
        for (extra, field) in [
            (filters(21), "meta.k20"),
            (filters(997), "meta.k20"),
            (long, "query"),
        ] {
            let response = app
                .get(&format!("{path}?{q}{extra}"), &tenant.key)
                .send()
                .await
                .unwrap();
            assert_error(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                Some(field),
            )
            .await;
        }
    }
}
