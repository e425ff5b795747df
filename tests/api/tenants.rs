//! Tenants and API keys over HTTP: who may create, see and change what.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn admin_creates_and_lists_tenants_with_a_first_key_shown_once() {
    let app = spawn_app().await;
    let response = app
        .post("/api/v1/tenants", &app.admin_token)
        .json(&json!({"name": "acme", "rate_limit": {"per_second": 500, "burst": 1000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["name"], "acme");
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["rate_limit"],
        json!({"per_second": 500, "burst": 1000})
    );
    let key = created["api_key"]["key"].as_str().unwrap();
    assert!(key.starts_with("trb_") && key.len() >= 32);
    assert!(key.starts_with(created["api_key"]["prefix"].as_str().unwrap()));
    assert_eq!(
        created["api_key"]["scopes"],
        json!(["ingest", "read", "manage"])
    );

    app.create_tenant("globex").await;
    let (status, list) = app.get_json("/api/v1/tenants", &app.admin_token).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "globex"]);

    let (status, fetched) = app
        .get_json(
            &format!("/api/v1/tenants/{}", created["id"].as_str().unwrap()),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["created_at"], created["created_at"]);
    assert!(
        fetched.get("api_key").is_none(),
        "the key is shown only at creation"
    );
}

#[tokio::test]
async fn new_tenants_get_the_configured_default_rate_limit() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.ratelimit.default_per_second = 7;
        config.ratelimit.default_burst = 9;
    })
    .await;
    let tenant = app.create_tenant("defaults").await;
    let (_, body) = app
        .get_json(&format!("/api/v1/tenants/{}", tenant.id), &app.admin_token)
        .await;
    assert_eq!(body["rate_limit"], json!({"per_second": 7, "burst": 9}));
}

#[tokio::test]
async fn a_taken_tenant_name_is_a_conflict() {
    let app = spawn_app().await;
    app.create_tenant("acme").await;
    let response = app
        .post("/api/v1/tenants", &app.admin_token)
        .json(&json!({"name": "acme"}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::CONFLICT, "conflict", None).await;
}

#[tokio::test]
async fn invalid_tenant_fields_are_refused_with_their_field() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (
            json!({"name": "ok", "rate_limit": {"per_second": 0, "burst": 5}}),
            "rate_limit.per_second",
        ),
        (
            json!({"name": "ok", "rate_limit": {"per_second": 5, "burst": 0}}),
            "rate_limit.burst",
        ),
        (json!({"name": "ok", "colour": "red"}), "."),
        (json!({"name": 5}), "name"),
    ] {
        let response = app
            .post("/api/v1/tenants", &app.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            None,
        )
        .await;
        if field != "." {
            assert_eq!(error["error"]["field"], field, "{body}");
        }
    }
}

#[tokio::test]
async fn a_tenant_credential_sees_only_its_own_tenant() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;

    let (status, list) = app.get_json("/api/v1/tenants", &acme.key).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [acme.id.as_str()]);

    let (status, _) = app
        .get_json(&format!("/api/v1/tenants/{}", acme.id), &acme.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = app
        .get(&format!("/api/v1/tenants/{}", globex.id), &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn only_the_admin_creates_or_changes_tenants() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .post("/api/v1/tenants", &acme.key)
        .json(&json!({"name": "mine"}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/tenants/{}", acme.id)))
        .header("X-API-Key", &acme.key)
        .json(&json!({"rate_limit": {"per_second": 1000000, "burst": 1000000}}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
}

#[tokio::test]
async fn admin_renames_limits_and_suspends_a_tenant_and_a_suspended_tenant_cannot_ingest() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    app.create_tenant("taken").await;
    // Used once, so that the server has the key (and its tenant) cached: each change below
    // must be in force at once all the same.
    app.ingest_ok(&acme.key, json!({"event_type": "page_view"}))
        .await;
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/tenants/{}", acme.id)))
            .header("X-API-Key", &app.admin_token)
            .json(&body)
            .send()
    };
    let response = patch(json!({"name": "acme-2", "rate_limit": {"per_second": 3, "burst": 4}}))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "acme-2");
    assert_eq!(body["rate_limit"], json!({"per_second": 3, "burst": 4}));

    assert_error(
        patch(json!({"name": "taken"})).await.unwrap(),
        StatusCode::CONFLICT,
        "conflict",
        None,
    )
    .await;
    assert_error(
        patch(json!({"status": "asleep"})).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("status"),
    )
    .await;

    let response = patch(json!({"status": "suspended"})).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refused = app
        .ingest(&acme.key, json!({"event_type": "page_view"}))
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;

    patch(json!({"status": "active"})).await.unwrap();
    app.ingest_ok(&acme.key, json!({"event_type": "page_view"}))
        .await;
    // The limit set above is in force: of its burst of 4 one is spent, three more fit, the
    // next event is 429.
    let three = json!({"events": [
        {"event_type": "page_view"}, {"event_type": "page_view"}, {"event_type": "page_view"}
    ]});
    let fits = app
        .post("/api/v1/events/batch", &acme.key)
        .json(&three)
        .send()
        .await
        .unwrap();
    assert_eq!(fits.status(), StatusCode::ACCEPTED);
    let over = app
        .ingest(&acme.key, json!({"event_type": "page_view"}))
        .await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_admin_gives_a_tenant_its_own_retention_and_takes_it_back() {
    let app = spawn_app().await;
    let created = app
        .post("/api/v1/tenants", &app.admin_token)
        .json(&json!({"name": "short-lived", "retention_days": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["retention_days"], 7);
    let acme = app.create_tenant("acme").await;
    let (_, fetched) = app
        .get_json(&format!("/api/v1/tenants/{}", acme.id), &acme.key)
        .await;
    assert_eq!(fetched["retention_days"], Value::Null, "follows the server");

    let patch = |credential: &str, body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/tenants/{}", acme.id)))
            .header("X-API-Key", credential)
            .json(&body)
            .send()
    };
    let response = patch(&app.admin_token, json!({"retention_days": 0}))
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["retention_days"], 0, "kept forever: {body}");
    // Leaving the field out keeps it; null goes back to the server's setting.
    let body: Value = patch(&app.admin_token, json!({"name": "acme-2"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["retention_days"], 0, "{body}");
    let body: Value = patch(&app.admin_token, json!({"retention_days": null}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["retention_days"], Value::Null, "{body}");

    for bad in [json!(36501), json!(-1), json!("a week"), json!(1.5)] {
        assert_error(
            patch(&app.admin_token, json!({"retention_days": bad}))
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("retention_days"),
        )
        .await;
    }
    let response = app
        .post("/api/v1/tenants", &app.admin_token)
        .json(&json!({"name": "too-long", "retention_days": 100000}))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("retention_days"),
    )
    .await;
    // A tenant cannot lengthen (or shorten) its own retention.
    assert_error(
        patch(&acme.key, json!({"retention_days": 36500}))
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_manage_key_issues_lists_and_revokes_keys_and_secrets_are_never_listed() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .post(&format!("/api/v1/tenants/{}/keys", acme.id), &acme.key)
        .json(&json!({"name": "ci", "scopes": ["ingest"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let ci_key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(created["scopes"], json!(["ingest"]));

    app.ingest_ok(&ci_key, json!({"event_type": "deploy"}))
        .await;

    let (status, list) = app
        .get_json(&format!("/api/v1/tenants/{}/keys", acme.id), &acme.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(|k| k.get("key").is_none()),
        "no secret in lists: {list}"
    );
    // The first key was just used, so its last_used_at is set (written in the background).
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, list) = app
        .get_json(&format!("/api/v1/tenants/{}/keys", acme.id), &acme.key)
        .await;
    let ci = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["id"])
        .unwrap()
        .clone();
    assert!(ci["last_used_at"].is_string(), "{ci}");

    let response = app
        .client
        .delete(app.url(&format!(
            "/api/v1/tenants/{}/keys/{}",
            acme.id,
            created["id"].as_str().unwrap()
        )))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let refused = app.ingest(&ci_key, json!({"event_type": "deploy"})).await;
    assert_error(refused, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
}

#[tokio::test]
async fn key_management_needs_the_manage_scope_and_another_tenants_keys_are_not_found() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let (read_only, _) = app.create_key(&acme, &["read", "ingest"]).await;

    let response = app
        .get(&format!("/api/v1/tenants/{}/keys", acme.id), &read_only)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;

    let response = app
        .get(&format!("/api/v1/tenants/{}/keys", globex.id), &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let response = app
        .post(&format!("/api/v1/tenants/{}/keys", globex.id), &acme.key)
        .json(&json!({"name": "sneaky", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;

    // Revoking globex's key through acme's path does nothing.
    let response = app
        .client
        .delete(app.url(&format!(
            "/api/v1/tenants/{}/keys/{}",
            acme.id, globex.key_id
        )))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    app.ingest_ok(&globex.key, json!({"event_type": "still_works"}))
        .await;
}

#[tokio::test]
async fn invalid_key_requests_are_refused_with_their_field() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for (body, field) in [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "scopes[0]"),
        (json!({"name": "", "scopes": ["read"]}), "name"),
    ] {
        let response = app
            .post(&format!("/api/v1/tenants/{}/keys", acme.id), &acme.key)
            .json(&body)
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
async fn a_suspended_tenant_can_read_and_contain_but_not_create_or_change() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let (spare_key, spare_id) = app.create_key(&tenant, &["read"]).await;
    let webhook: Value = app
        .post("/api/v1/webhooks", &tenant.key)
        .json(&json!({"url": "https://hooks.example.com/in"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook = webhook["id"].as_str().unwrap().to_owned();
    app.ingest_ok(&tenant.key, json!({"event_type": "before"}))
        .await;
    let suspended = app
        .client
        .patch(app.url(&format!("/api/v1/tenants/{}", tenant.id)))
        .header("X-API-Key", &app.admin_token)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);

    // Reads still work, with the tenant's own keys.
    for (path, key) in [
        ("/api/v1/events".to_owned(), &tenant.key),
        ("/api/v1/events".to_owned(), &spare_key),
        ("/api/v1/webhooks".to_owned(), &tenant.key),
        (format!("/api/v1/tenants/{}/keys", tenant.id), &tenant.key),
        (format!("/api/v1/webhooks/{hook}/deliveries"), &tenant.key),
    ] {
        let (status, body) = app.get_json(&path, key).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    // Nothing new, nothing changed.
    let key = &tenant.key;
    let refusals = [
        app.post("/api/v1/events", key)
            .json(&json!({"event_type": "after"})),
        app.post(&format!("/api/v1/tenants/{}/keys", tenant.id), key)
            .json(&json!({"name": "new", "scopes": ["read"]})),
        app.post("/api/v1/auth/token", key),
        app.post("/api/v1/webhooks", key)
            .json(&json!({"url": "https://hooks.example.com/other"})),
        app.client
            .patch(app.url(&format!("/api/v1/webhooks/{hook}")))
            .header("X-API-Key", key)
            .json(&json!({"description": "changed"})),
        app.post(&format!("/api/v1/webhooks/{hook}/rotate-secret"), key),
        app.post(&format!("/api/v1/webhooks/{hook}/test"), key),
    ];
    for request in refusals {
        let response = request.send().await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    }
    // Containment stays possible: disable the webhook, revoke a key, delete the webhook.
    let disabled = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{hook}")))
        .header("X-API-Key", key)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::OK);
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/tenants/{}/keys/{spare_id}", tenant.id)))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/webhooks/{hook}")))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // The admin is never refused.
    let by_admin = app
        .post(
            &format!("/api/v1/tenants/{}/keys", tenant.id),
            &app.admin_token,
        )
        .json(&json!({"name": "by-admin", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.status(), StatusCode::CREATED);
}
