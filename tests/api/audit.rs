//! The audit log with the real server: every kind of change is recorded with who made it
//! (admin, or key id and prefix, and whether through a JWT), what, when, from which address
//! and the state before and after; reads, ingestion and refused changes are not; a tenant's
//! `manage` key sees its own tenant's entries only; secrets never reach the log (its answers
//! and its rows are searched for them); old entries are pruned with the delivery retention.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tributary::clock::ManualClock;

use crate::helpers::{
    ADMIN_TOKEN, TestApp, TestTenant, assert_error, spawn_app, spawn_app_with, spawn_app_with_clock,
};

fn send(app: &TestApp, method: reqwest::Method, path: &str, credential: &str) -> RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("X-API-Key", credential)
}

/// Sends and asserts a success; returns the JSON body (null for an empty one).
async fn ok(request: RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every entry `credential` can list with `query`, newest first, following the cursors.
async fn entries(app: &TestApp, credential: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/audit?limit=200{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_json(&path, credential).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        all.extend(body["entries"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

/// The one entry with this action, asserting there is exactly one.
fn only<'a>(entries: &'a [Value], action: &str) -> &'a Value {
    let found: Vec<&Value> = entries.iter().filter(|e| e["action"] == action).collect();
    assert_eq!(found.len(), 1, "{action} in {entries:#?}");
    found[0]
}

fn assert_by_key(entry: &Value, tenant: &TestTenant, via_jwt: bool) {
    assert_eq!(entry["actor"]["type"], "key", "{entry}");
    assert_eq!(entry["actor"]["key_id"], tenant.key_id.as_str(), "{entry}");
    let prefix = entry["actor"]["key_prefix"].as_str().unwrap();
    assert!(
        !prefix.is_empty() && tenant.key.starts_with(prefix),
        "{entry}"
    );
    assert_eq!(entry["actor"]["via_jwt"], via_jwt, "{entry}");
    assert_eq!(entry["tenant_id"], tenant.id.as_str(), "{entry}");
}

fn assert_by_admin(entry: &Value) {
    assert_eq!(
        entry["actor"],
        json!({"type": "admin", "key_id": null, "key_prefix": null, "via_jwt": false}),
        "{entry}"
    );
}

async fn mint(app: &TestApp, credential: &str) -> String {
    let body = ok(app.post("/api/v1/auth/token", credential)).await;
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_kind_of_change_is_recorded_with_who_what_target_before_and_after() {
    let app = spawn_app_with(|config| config.webhooks.allow_private_targets = true).await;
    let admin = ADMIN_TOKEN;
    let acme = app.create_tenant("acme").await;
    let tenant_path = format!("/api/v1/tenants/{}", acme.id);

    // Tenants and keys.
    ok(send(&app, reqwest::Method::PATCH, &tenant_path, admin)
        .json(&json!({"name": "acme-renamed", "rate_limit": {"per_second": 5, "burst": 9}})))
    .await;
    let key = ok(app
        .post(&format!("{tenant_path}/keys"), &acme.key)
        .json(&json!({"name": "ci", "scopes": ["ingest"]})))
    .await;
    let key_id = key["id"].as_str().unwrap().to_owned();
    ok(send(
        &app,
        reqwest::Method::DELETE,
        &format!("{tenant_path}/keys/{key_id}"),
        &acme.key,
    ))
    .await;

    // Webhooks.
    let hook = ok(app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": "http://127.0.0.1:9/first", "description": "orders"})))
    .await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let hook_path = format!("/api/v1/webhooks/{hook_id}");
    ok(send(&app, reqwest::Method::PATCH, &hook_path, &acme.key)
        .json(&json!({"url": "http://127.0.0.1:9/second"})))
    .await;
    ok(app.post(&format!("{hook_path}/rotate-secret"), &acme.key)).await;

    // Schemas and the unplanned-type policy.
    let schema = json!({"type": "object", "required": ["plan"]});
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schemas/signup",
        &acme.key,
    )
    .json(&json!({"mode": "warn", "schema": schema})))
    .await;
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schemas/signup",
        &acme.key,
    )
    .json(&json!({"mode": "block", "schema": schema})))
    .await;
    ok(send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/schemas/signup",
        &acme.key,
    ))
    .await;
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schema-policy",
        &acme.key,
    )
    .json(&json!({"unplanned": "warn"})))
    .await;

    // The privacy policy, twice, the second time through a JWT of the key.
    let jwt = mint(&app, &acme.key).await;
    ok(
        send(&app, reqwest::Method::PUT, "/api/v1/privacy", &acme.key)
            .json(&json!({"rules": [{"path": "email", "action": "hash"}]})),
    )
    .await;
    ok(app
        .client
        .put(app.url("/api/v1/privacy"))
        .bearer_auth(&jwt)
        .json(&json!({"rules": [{"path": "email", "action": "drop"}]})))
    .await;

    // And the endpoint goes, as the admin, who names the tenant.
    ok(send(
        &app,
        reqwest::Method::DELETE,
        &format!("{hook_path}?tenant_id={}", acme.id),
        admin,
    ))
    .await;

    let log = entries(&app, &acme.key, "").await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "webhook.delete",
            "privacy.update",
            "privacy.update",
            "schema_policy.update",
            "schema.delete",
            "schema.put",
            "schema.put",
            "webhook.rotate_secret",
            "webhook.update",
            "webhook.create",
            "key.revoke",
            "key.create",
            "tenant.update",
            "tenant.create",
        ],
        "newest first"
    );
    for entry in &log {
        assert_eq!(entry["tenant_id"], acme.id.as_str(), "{entry}");
        assert_eq!(entry["ip"], "127.0.0.1", "{entry}");
        assert!(entry["request_id"].is_string(), "{entry}");
        assert!(entry["at"].is_string(), "{entry}");
    }

    let created = only(&log, "tenant.create");
    assert_by_admin(created);
    assert_eq!(created["method"], "POST");
    assert_eq!(created["route"], "/api/v1/tenants");
    assert_eq!(created["status"], 201);
    assert_eq!(created["target_id"], acme.id.as_str());
    assert_eq!(created["before"], Value::Null);
    assert_eq!(created["after"]["name"], "acme");
    assert_eq!(created["after"]["api_key"]["id"], acme.key_id.as_str());
    assert!(
        created["after"]["api_key"].get("key").is_none(),
        "{created}"
    );

    let updated = only(&log, "tenant.update");
    assert_by_admin(updated);
    assert_eq!(updated["route"], "/api/v1/tenants/{tenant_id}");
    assert_eq!(updated["target_id"], acme.id.as_str());
    assert_eq!(updated["before"]["name"], "acme");
    assert_eq!(updated["after"]["name"], "acme-renamed");
    assert_eq!(
        updated["after"]["rate_limit"],
        json!({"per_second": 5, "burst": 9})
    );

    let key_created = only(&log, "key.create");
    assert_by_key(key_created, &acme, false);
    assert_eq!(key_created["target_id"], key_id.as_str());
    assert_eq!(key_created["after"]["scopes"], json!(["ingest"]));
    assert_eq!(key_created["after"]["name"], "ci");
    assert!(key_created["after"].get("key").is_none(), "{key_created}");

    let revoked = only(&log, "key.revoke");
    assert_by_key(revoked, &acme, false);
    assert_eq!(revoked["status"], 204);
    assert_eq!(revoked["target_id"], key_id.as_str());
    assert_eq!(revoked["before"]["revoked_at"], Value::Null);
    assert!(revoked["after"]["revoked_at"].is_string(), "{revoked}");

    let hook_created = only(&log, "webhook.create");
    assert_by_key(hook_created, &acme, false);
    assert_eq!(hook_created["target_id"], hook_id.as_str());
    assert_eq!(hook_created["after"]["url"], "http://127.0.0.1:9/first");
    assert_eq!(hook_created["after"]["description"], "orders");

    let hook_updated = only(&log, "webhook.update");
    assert_eq!(hook_updated["route"], "/api/v1/webhooks/{id}");
    assert_eq!(hook_updated["target_id"], hook_id.as_str());
    assert_eq!(hook_updated["before"]["url"], "http://127.0.0.1:9/first");
    assert_eq!(hook_updated["after"]["url"], "http://127.0.0.1:9/second");

    let rotated = only(&log, "webhook.rotate_secret");
    assert_eq!(rotated["before"]["previous_secret_expires_at"], Value::Null);
    assert!(rotated["after"]["previous_secret_expires_at"].is_string());

    let hook_deleted = only(&log, "webhook.delete");
    assert_by_admin(hook_deleted);
    assert_eq!(hook_deleted["target_id"], hook_id.as_str());
    assert_eq!(hook_deleted["before"]["url"], "http://127.0.0.1:9/second");
    assert_eq!(hook_deleted["after"], Value::Null);

    let puts: Vec<&Value> = log.iter().filter(|e| e["action"] == "schema.put").collect();
    let (replaced, first) = (puts[0], puts[1]);
    assert_eq!(first["status"], 201);
    assert_eq!(first["target_id"], "signup");
    assert_eq!(first["before"], Value::Null);
    assert_eq!(first["after"]["mode"], "warn");
    assert_eq!(first["after"]["schema"], schema);
    assert_eq!(replaced["status"], 200);
    assert_eq!(replaced["before"]["mode"], "warn");
    assert_eq!(replaced["after"]["mode"], "block");
    assert_eq!(replaced["after"]["version"], 2);
    let schema_deleted = only(&log, "schema.delete");
    assert_eq!(schema_deleted["target_id"], "signup");
    assert_eq!(schema_deleted["before"]["mode"], "block");
    assert_eq!(schema_deleted["after"], Value::Null);

    let policy = only(&log, "schema_policy.update");
    assert_eq!(policy["before"], json!({"unplanned": "allow"}));
    assert_eq!(policy["after"], json!({"unplanned": "warn"}));

    let privacy: Vec<&Value> = log
        .iter()
        .filter(|e| e["action"] == "privacy.update")
        .collect();
    let (second, first) = (privacy[0], privacy[1]);
    assert_by_key(first, &acme, false);
    assert_eq!(first["before"], Value::Null);
    assert_eq!(
        first["after"]["rules"],
        json!([{"path": "email", "action": "hash"}])
    );
    assert_by_key(second, &acme, true);
    assert_eq!(
        second["before"]["rules"],
        json!([{"path": "email", "action": "hash"}])
    );
    assert_eq!(
        second["after"]["rules"],
        json!([{"path": "email", "action": "drop"}])
    );
}

#[tokio::test]
async fn reads_ingestion_token_exchanges_previews_and_refused_changes_are_not_recorded() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let before = entries(&app, &acme.key, "").await;
    assert_eq!(before.len(), 1, "the tenant's creation: {before:#?}");

    app.ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;
    ok(app
        .post("/api/v1/events/batch", &acme.key)
        .json(&json!({"events": [{"event_type": "a"}, {"event_type": "b"}]})))
    .await;
    mint(&app, &acme.key).await;
    ok(app
        .post("/api/v1/privacy/preview", &acme.key)
        .json(&json!({"metadata": {"email": "a@example.com"}})))
    .await;
    ok(app.post("/api/v1/schemas/signup/infer", &acme.key)).await;
    for path in [
        "/api/v1/events",
        "/api/v1/webhooks",
        "/api/v1/schemas",
        "/api/v1/privacy",
        "/api/v1/audit",
    ] {
        let (status, body) = app.get_json(path, &acme.key).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    // Refused changes: invalid, not found, forbidden.
    let refused = app
        .post("/api/v1/webhooks", &acme.key)
        .json(&json!({"url": "ftp://nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let missing = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/schemas/nothing",
        &acme.key,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let forbidden = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/tenants/{}", acme.id),
        &acme.key,
    )
    .json(&json!({"name": "mine"}))
    .send()
    .await
    .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let after = entries(&app, &acme.key, "").await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_tenants_manage_key_sees_only_its_own_entries_and_the_admin_sees_all() {
    let app = spawn_app_with(|config| config.webhooks.allow_private_targets = true).await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    for (tenant, url) in [
        (&acme, "http://127.0.0.1:9/acme"),
        (&globex, "http://127.0.0.1:9/globex-only"),
    ] {
        ok(app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&json!({"url": url})))
        .await;
    }
    // The admin's change on globex belongs to globex; so do its key's and its creation.
    ok(app
        .post(
            &format!("/api/v1/webhooks?tenant_id={}", globex.id),
            ADMIN_TOKEN,
        )
        .json(&json!({"url": "http://127.0.0.1:9/globex-by-admin"})))
    .await;
    let (globex_manager, _) = app.create_key(&globex, &["manage"]).await;

    let acme_log = entries(&app, &acme.key, "").await;
    assert_eq!(acme_log.len(), 2, "{acme_log:#?}");
    let text = serde_json::to_string(&acme_log).unwrap();
    assert!(!text.contains(&globex.id), "{text}");
    assert!(!text.contains("globex"), "{text}");
    assert!(
        acme_log.iter().all(|e| e["tenant_id"] == acme.id.as_str()),
        "{text}"
    );

    let globex_log = entries(&app, &globex_manager, "").await;
    let actions: Vec<&str> = globex_log
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "key.create",
            "webhook.create",
            "webhook.create",
            "tenant.create"
        ]
    );
    assert!(
        globex_log
            .iter()
            .all(|e| e["tenant_id"] == globex.id.as_str())
    );
    assert!(
        !serde_json::to_string(&globex_log)
            .unwrap()
            .contains(&acme.id)
    );

    // Naming another tenant is refused, naming one's own is the same as not naming it.
    let refused = app
        .get(&format!("/api/v1/audit?tenant_id={}", globex.id), &acme.key)
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;
    assert_eq!(
        entries(&app, &acme.key, &format!("&tenant_id={}", acme.id)).await,
        acme_log
    );

    // The admin sees both, or one.
    let everything = entries(&app, ADMIN_TOKEN, "").await;
    assert_eq!(everything.len(), acme_log.len() + globex_log.len());
    assert_eq!(
        entries(&app, ADMIN_TOKEN, &format!("&tenant_id={}", acme.id)).await,
        acme_log
    );
}

#[tokio::test]
async fn read_and_ingest_keys_are_refused_and_no_credential_is_unauthorized() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    for scopes in [&["read"][..], &["ingest"], &["ingest", "read"]] {
        let (key, _) = app.create_key(&acme, scopes).await;
        let response = app.get("/api/v1/audit", &key).send().await.unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
        let jwt = mint(&app, &key).await;
        let response = app
            .client
            .get(app.url("/api/v1/audit"))
            .bearer_auth(jwt)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    }
    let response = app
        .client
        .get(app.url("/api/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
}

#[tokio::test]
async fn filters_and_the_cursor_page_through_the_log_newest_first() {
    let app = spawn_app_with(|config| config.webhooks.allow_private_targets = true).await;
    let acme = app.create_tenant("acme").await;
    let (other_manager, other_manager_id) = app.create_key(&acme, &["manage"]).await;
    let mut hooks = Vec::new();
    for n in 0..5 {
        let hook = ok(app
            .post("/api/v1/webhooks", &acme.key)
            .json(&json!({"url": format!("http://127.0.0.1:9/{n}")})))
        .await;
        hooks.push(hook["id"].as_str().unwrap().to_owned());
    }
    ok(send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/webhooks/{}", hooks[0]),
        &other_manager,
    )
    .json(&json!({"description": "by the other key"})))
    .await;

    let all = entries(&app, &acme.key, "").await;
    // tenant.create, key.create, 5 × webhook.create, webhook.update.
    assert_eq!(all.len(), 8, "{all:#?}");
    let ats: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ats, sorted, "newest first");

    // Pages of 3 cover the log once, in order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/api/v1/audit?limit=3".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let (status, body) = app.get_json(&path, &acme.key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        paged.extend(body["entries"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, all);
    let (_, default) = app.get_json("/api/v1/audit", &acme.key).await;
    assert_eq!(default["entries"].as_array().unwrap().len(), 8);
    assert_eq!(default["next_cursor"], Value::Null);

    let created = entries(&app, &acme.key, "&action=webhook.create").await;
    assert_eq!(created.len(), 5);
    let by_other = entries(&app, &acme.key, &format!("&actor={other_manager_id}")).await;
    assert_eq!(by_other.len(), 1);
    assert_eq!(by_other[0]["action"], "webhook.update");
    let by_admin = entries(&app, &acme.key, "&actor=admin").await;
    let admin_actions: Vec<&str> = by_admin
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(admin_actions, ["key.create", "tenant.create"]);
    let of_first = entries(&app, &acme.key, &format!("&target_id={}", hooks[0])).await;
    let first_actions: Vec<&str> = of_first
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(first_actions, ["webhook.update", "webhook.create"]);

    // A time window: from the third webhook's creation (inclusive) to the update (exclusive).
    let third = &created[2];
    let update = &by_other[0];
    let from = third["at"].as_str().unwrap();
    let to = update["at"].as_str().unwrap();
    let window = entries(
        &app,
        &acme.key,
        &format!("&from={}&to={}", urlencode(from), urlencode(to)),
    )
    .await;
    assert!(window.contains(third), "{window:#?}");
    assert!(!window.contains(update), "{window:#?}");
    assert!(window.iter().all(|e| e["action"] == "webhook.create"));

    // Bad filters: 422 naming the field.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("actor=nobody", "actor"),
        ("action=Not%20An%20Action", "action"),
        ("from=yesterday", "from"),
        ("to=soon", "to"),
        ("cursor=garbage!", "cursor"),
        ("tenant_id=acme", "tenant_id"),
        ("frm=2024-01-01T00:00:00Z", "frm"),
        ("from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
    ] {
        let response = app
            .get(&format!("/api/v1/audit?{query}"), &acme.key)
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

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn secrets_never_reach_the_audit_log_its_answers_or_its_rows() {
    let app = spawn_app_with(|config| config.webhooks.allow_private_targets = true).await;
    let acme = app.create_tenant("acme").await;
    let jwt = mint(&app, &acme.key).await;
    let admin_jwt = mint(&app, ADMIN_TOKEN).await;
    let key = ok(app
        .post(&format!("/api/v1/tenants/{}/keys", acme.id), &jwt)
        .json(&json!({"name": "ci", "scopes": ["manage"]})))
    .await;
    let new_key = key["key"].as_str().unwrap().to_owned();
    let hook = ok(app
        .client
        .post(app.url(&format!("/api/v1/webhooks?tenant_id={}", acme.id)))
        .bearer_auth(&admin_jwt)
        .json(&json!({"url": "http://127.0.0.1:9/hook"})))
    .await;
    let first_secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_id = hook["id"].as_str().unwrap();
    let rotated = ok(app.post(
        &format!("/api/v1/webhooks/{hook_id}/rotate-secret"),
        &new_key,
    ))
    .await;
    let second_secret = rotated["secret"].as_str().unwrap().to_owned();
    ok(
        send(&app, reqwest::Method::PUT, "/api/v1/privacy", &new_key)
            .json(&json!({"rules": [{"path": "email", "action": "hash"}]})),
    )
    .await;
    ok(
        send(&app, reqwest::Method::PUT, "/api/v1/privacy", &new_key)
            .json(&json!({"rules": [{"path": "email", "action": "mask"}]})),
    )
    .await;
    ok(send(
        &app,
        reqwest::Method::DELETE,
        &format!(
            "/api/v1/tenants/{}/keys/{}",
            acme.id,
            key["id"].as_str().unwrap()
        ),
        &acme.key,
    ))
    .await;
    let hash_keys = app
        .sql_strings(
            "SELECT hex(hash_key) FROM privacy_policies",
            "SELECT encode(hash_key, 'hex') FROM privacy_policies",
        )
        .await;
    assert_eq!(hash_keys.len(), 1);

    let mut never_in_the_log = vec![
        ADMIN_TOKEN.to_owned(),
        jwt.clone(),
        admin_jwt.clone(),
        acme.key.clone(),
        new_key.clone(),
        first_secret.clone(),
        second_secret.clone(),
        hash_keys[0].to_ascii_lowercase(),
        hash_keys[0].to_ascii_uppercase(),
    ];
    // A webhook secret without its `whsec_`, in case only the key part were kept.
    never_in_the_log.push(first_secret.trim_start_matches("whsec_").to_owned());
    for secret in [&acme.key, &new_key] {
        let hash = tributary::auth::keys::hash_secret(secret);
        never_in_the_log.push(hash.iter().map(|b| format!("{b:02x}")).collect());
        never_in_the_log.push(base64::engine::general_purpose::STANDARD.encode(&hash));
    }

    let log = entries(&app, ADMIN_TOKEN, "").await;
    assert!(log.len() >= 6, "{log:#?}");
    let answers = serde_json::to_string(&log).unwrap()
        + &serde_json::to_string(&entries(&app, &acme.key, "").await).unwrap();
    let rows = app
        .sql_strings(
            "SELECT coalesce(id, '') || '|' || coalesce(tenant_id, '') || '|' || \
             coalesce(actor_key_id, '') || '|' || coalesce(actor_key_prefix, '') || '|' || \
             coalesce(ip, '') || '|' || action || '|' || route || '|' || \
             coalesce(target_id, '') || '|' || coalesce(before, '') || '|' || \
             coalesce(after, '') || '|' || coalesce(request_id, '') FROM audit_entries",
            "SELECT row_to_json(a)::text FROM audit_entries a",
        )
        .await
        .join("\n");
    assert_eq!(rows.lines().count(), log.len());
    for secret in &never_in_the_log {
        assert!(!answers.contains(secret.as_str()), "{secret} in {answers}");
        assert!(!rows.contains(secret.as_str()), "{secret} in {rows}");
    }
    // The credentials themselves are stored nowhere (the webhook secret is, in its endpoint).
    let database = app.database_text().await;
    for secret in [ADMIN_TOKEN, &jwt, &admin_jwt, &acme.key, &new_key] {
        assert!(!database.contains(secret), "{secret} is in the database");
    }
}

#[tokio::test]
async fn entries_older_than_the_delivery_retention_are_pruned_and_newer_ones_stay() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with_clock(
        |config| {
            config.retention.deliveries_days = 1;
            config.retention.interval_secs = 1;
        },
        clock.clone(),
    )
    .await;
    let acme = app.create_tenant("acme").await;
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schema-policy",
        &acme.key,
    )
    .json(&json!({"unplanned": "warn"})))
    .await;
    assert_eq!(entries(&app, &acme.key, "").await.len(), 2);

    clock.advance(chrono::Duration::hours(25));
    ok(send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schema-policy",
        &acme.key,
    )
    .json(&json!({"unplanned": "block"})))
    .await;
    let mut left = Vec::new();
    for _ in 0..100 {
        left = entries(&app, &acme.key, "").await;
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["action"], "schema_policy.update");
    assert_eq!(left[0]["after"], json!({"unplanned": "block"}));
}

/// The failures counter's current value (0 before the first failure).
async fn write_failures(app: &TestApp) -> u64 {
    app.metrics()
        .await
        .lines()
        .find_map(|line| line.strip_prefix("tributary_audit_write_failures_total "))
        .map_or(0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn a_change_whose_entry_cannot_be_written_stays_done_and_the_failure_is_counted() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let failures = write_failures(&app).await;
    app.execute_sql("DROP TABLE audit_entries").await;

    let response = send(
        &app,
        reqwest::Method::PUT,
        "/api/v1/schema-policy",
        &acme.key,
    )
    .json(&json!({"unplanned": "block"}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, policy) = app.get_json("/api/v1/schema-policy", &acme.key).await;
    assert_eq!(policy["unplanned"], "block", "the change is done");
    assert!(
        write_failures(&app).await > failures,
        "the failed write is counted"
    );
}
