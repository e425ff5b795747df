//! The exclusion filter `meta.<key>!=<value>` ("is not"), over real HTTP on both stores: it
//! keeps the events whose value differs *and* those without the key, exactly the complement
//! of `meta.<key>=<value>`, and applies wherever that one does: the list (counts and
//! pagination), stats (totals, by type, the `group_by` breakdown) and search. Bad ones are
//! refused with the parameter named; another tenant's events never come into it.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, assert_error, spawn_app};

const RANGE: &str = "from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z";

/// The events every test starts from: each names itself in `name`.
fn seed_events() -> Vec<Value> {
    let at = |minute: u32| format!("2024-03-01T10:{minute:02}:00Z");
    vec![
        json!({"event_type": "signup", "timestamp": at(0), "metadata": {"name": "pro-1", "plan": "pro", "note": "card ok"}}),
        json!({"event_type": "signup", "timestamp": at(1), "metadata": {"name": "pro-2", "plan": "pro", "note": "card ok"}}),
        json!({"event_type": "signup", "timestamp": at(2), "metadata": {"name": "free", "plan": "free", "note": "card ok"}}),
        json!({"event_type": "click", "timestamp": at(3), "metadata": {"name": "no-plan", "note": "card ok"}}),
        json!({"event_type": "click", "timestamp": at(4), "metadata": {"name": "null-plan", "plan": null, "note": "card ok"}}),
        json!({"event_type": "click", "timestamp": at(5), "metadata": {"name": "number-plan", "plan": 7, "note": "card ok"}}),
        json!({"event_type": "click", "timestamp": at(6), "metadata": {"name": "object-plan", "plan": {"tier": "pro"}, "note": "card ok"}}),
        json!({"event_type": "signup", "timestamp": at(7), "metadata": {"name": "nested-pro", "user": {"plan": "pro"}, "note": "card ok"}}),
    ]
}

async fn seed(app: &TestApp, tenant: &TestTenant, events: Vec<Value>) {
    let response = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rejected"], 0, "{body}");
}

fn names(events: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = events
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap_or("?").to_owned())
        .collect();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn excluding_a_value_keeps_events_whose_value_differs_and_those_without_the_key() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(&app, &acme, seed_events()).await;
    let key = &acme.key;

    assert_eq!(
        names(&app.all_events(key, "&meta.plan!=pro").await),
        sorted(&[
            "free",
            "no-plan",
            "null-plan",
            "number-plan",
            "object-plan",
            "nested-pro"
        ]),
        "missing, null, numbers and objects are all 'not pro'"
    );
    // Exactly the complement of the equality filter, for a string, a number and a nested key.
    for (name, value) in [("plan", "pro"), ("plan", "7"), ("user.plan", "pro")] {
        let equal = names(&app.all_events(key, &format!("&meta.{name}={value}")).await);
        let not_equal = names(&app.all_events(key, &format!("&meta.{name}!={value}")).await);
        assert_eq!(equal.len() + not_equal.len(), 8, "{name}={value}");
        let overlap: HashSet<&String> = equal.iter().filter(|n| not_equal.contains(n)).collect();
        assert!(overlap.is_empty(), "{name}: {overlap:?}");
    }
    assert_eq!(
        names(&app.all_events(key, "&meta.user.plan!=pro").await).len(),
        7
    );
    // Several exclusions of one key, %21 for `!`, and with the other filters.
    assert_eq!(
        names(
            &app.all_events(key, "&meta.plan!=pro&meta.plan%21=free")
                .await
        ),
        sorted(&[
            "no-plan",
            "null-plan",
            "number-plan",
            "object-plan",
            "nested-pro"
        ])
    );
    assert_eq!(
        names(
            &app.all_events(key, "&meta.plan!=pro&event_type=signup")
                .await
        ),
        sorted(&["free", "nested-pro"])
    );
    assert_eq!(
        names(&app.all_events(key, "&meta.plan!=pro&meta.plan=free").await),
        ["free"]
    );
    assert!(
        app.all_events(key, "&meta.plan!=pro&meta.plan=pro")
            .await
            .is_empty()
    );
    // A value nobody has excludes nothing; an exclusion on a key nobody has neither.
    assert_eq!(app.all_events(key, "&meta.plan!=gold").await.len(), 8);
    assert_eq!(app.all_events(key, "&meta.nothing!=x").await.len(), 8);
}

#[tokio::test]
async fn pages_of_an_excluding_list_hold_only_matching_events_with_no_gap_or_duplicate() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let events: Vec<Value> = (0..45)
        .map(|i| {
            let plan = ["pro", "free", "none"][i % 3];
            let mut metadata = json!({"name": format!("e{i:02}")});
            if plan != "none" {
                metadata["plan"] = json!(plan);
            }
            json!({"event_type": "tick", "timestamp": format!("2024-03-01T11:{i:02}:00Z"), "metadata": metadata})
        })
        .collect();
    seed(&app, &acme, events).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/api/v1/events?meta.plan!=pro&limit=7".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_json(&path, &acme.key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["events"].as_array().unwrap();
        assert!(page.len() <= 7);
        assert!(page.iter().all(|e| e["metadata"]["plan"] != "pro"));
        seen.extend(page.iter().cloned());
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let ids: HashSet<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(seen.len(), 30, "15 pro of 45 left out");
    assert_eq!(ids.len(), 30, "no duplicate");
    assert_eq!(
        pages, 5,
        "full pages of 7: the server filtered, not the client"
    );
    let times: Vec<&str> = seen
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");
}

#[tokio::test]
async fn stats_and_the_breakdown_count_only_what_the_exclusion_keeps() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(&app, &acme, seed_events()).await;

    let (status, all) = app
        .get_json(&format!("/api/v1/events/stats?{RANGE}"), &acme.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 8);

    let (status, body) = app
        .get_json(
            &format!("/api/v1/events/stats?{RANGE}&meta.plan!=pro&group_by=meta.plan"),
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 6);
    let mut by_type: Vec<(String, u64)> = body["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["event_type"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    by_type.sort();
    assert_eq!(
        by_type,
        [("click".to_owned(), 4), ("signup".to_owned(), 2)],
        "{body}"
    );
    let series_total: u64 = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(series_total, 6);
    let breakdown = &body["breakdown"];
    let values: Vec<(&str, u64)> = breakdown["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(values, [("7", 1), ("free", 1)], "{breakdown}");
    assert_eq!(breakdown["other"], 0);
    // No plan, null, an object, and the nested user.plan: kept, and counted as missing.
    assert_eq!(breakdown["missing"], 4);

    // With an exclusion of the grouped key's every value, only the keyless events are left.
    let (_, body) = app
        .get_json(
            &format!(
                "/api/v1/events/stats?{RANGE}&meta.plan!=pro&meta.plan!=free&meta.plan!=7&group_by=meta.plan"
            ),
            &acme.key,
        )
        .await;
    assert_eq!(body["total"], 4);
    assert_eq!(body["breakdown"]["values"], json!([]));
    assert_eq!(body["breakdown"]["missing"], 4);
}

#[tokio::test]
async fn search_leaves_out_the_excluded_events() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    seed(&app, &acme, seed_events()).await;
    let (status, body) = app
        .get_json(
            "/api/v1/events/search?q=card&meta.plan!=pro&limit=100",
            &acme.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events: Vec<Value> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["event"].clone())
        .collect();
    assert_eq!(
        names(&events),
        sorted(&[
            "free",
            "no-plan",
            "null-plan",
            "number-plan",
            "object-plan",
            "nested-pro"
        ])
    );
    // And the list's `q` with an exclusion.
    assert_eq!(
        names(
            &app.all_events(&acme.key, "&q=card&meta.plan!=free&event_type=signup")
                .await
        ),
        sorted(&["pro-1", "pro-2", "nested-pro"])
    );
}

#[tokio::test]
async fn bad_exclusions_are_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let twenty_one: String = (0..21)
        .map(|i| {
            if i % 2 == 0 {
                format!("&meta.k{i}=v")
            } else {
                format!("&meta.k{i}!=v")
            }
        })
        .collect();
    for path in [
        "/api/v1/events?event_type=a",
        "/api/v1/events/stats?event_type=a",
        "/api/v1/events/search?q=card",
    ] {
        for (extra, field) in [
            ("&meta.!=x", "meta.!"),
            ("&meta.a..b!=x", "meta.a..b!"),
            ("&meta.a.!=x", "meta.a.!"),
            ("&meta.%22q%22!=x", "meta.\"q\"!"),
            ("&meta.a!=x%00y", "meta.a!"),
            (twenty_one.as_str(), "meta.k20"),
        ] {
            let response = app
                .get(&format!("{path}{extra}"), &acme.key)
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

#[tokio::test]
async fn an_exclusion_never_brings_in_another_tenants_events() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    seed(&app, &acme, seed_events()).await;
    seed(
        &app,
        &globex,
        vec![
            json!({"event_type": "signup", "timestamp": "2024-03-01T12:00:00Z", "metadata": {"name": "globex-free", "plan": "free", "note": "card ok"}}),
        ],
    )
    .await;

    // Excluding a value the other tenant's events have: still only globex's own.
    let theirs = app.all_events(&globex.key, "&meta.plan!=pro").await;
    assert_eq!(names(&theirs), ["globex-free"]);
    assert!(theirs.iter().all(|e| e["tenant_id"] == globex.id));
    assert!(
        app.all_events(&globex.key, "&meta.plan!=free")
            .await
            .is_empty()
    );
    let (_, stats) = app
        .get_json(
            &format!("/api/v1/events/stats?{RANGE}&meta.plan!=free&group_by=meta.plan"),
            &globex.key,
        )
        .await;
    assert_eq!(stats["total"], 0, "{stats}");
    assert_eq!(stats["breakdown"]["missing"], 0);
    let (_, search) = app
        .get_json("/api/v1/events/search?q=card&meta.plan!=free", &globex.key)
        .await;
    assert_eq!(search["hits"], json!([]), "{search}");

    // Naming acme's tenant with globex's key is forbidden; the admin sees acme's alone.
    let response = app
        .get(
            &format!("/api/v1/events?tenant_id={}&meta.plan!=pro", acme.id),
            &globex.key,
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let admin = app
        .all_events(
            &app.admin_token,
            &format!("&tenant_id={}&meta.plan!=pro", acme.id),
        )
        .await;
    assert_eq!(admin.len(), 6);
    assert!(admin.iter().all(|e| e["tenant_id"] == acme.id));
}
