//! The isolation matrix, generated from `/api/v1/openapi.json`: every documented operation is
//! called with every credential that is not the owner's (another tenant's keys of each scope
//! and the JWTs minted from them, the owner's revoked key and its JWT, expired, forged,
//! `alg: none` and HS512 JWTs, none at all), aimed at the owner's tenant, events, keys,
//! webhook and delivery. No answer may carry the owner's data (its audit log entries
//! included), and afterwards the owner's state is what it was (its audit log too: no foreign
//! call made a change of the owner's). A new operation is covered as soon as it is documented; one the
//! matrix does not know how to call (a path parameter or body it cannot fill) fails the test.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{JWT_SECRET, TestApp, TestTenant, spawn_app};

/// A credential and how it is sent.
struct Credential {
    name: String,
    secret: Option<String>,
    bearer: bool,
}

impl Credential {
    fn key(name: &str, secret: &str) -> Self {
        Credential {
            name: name.to_owned(),
            secret: Some(secret.to_owned()),
            bearer: false,
        }
    }

    fn jwt(name: &str, token: &str) -> Self {
        Credential {
            name: name.to_owned(),
            secret: Some(token.to_owned()),
            bearer: true,
        }
    }
}

/// The owner's ids, put wherever an operation takes one.
struct Owner {
    tenant: TestTenant,
    event_id: String,
    endpoint_id: String,
    delivery_id: String,
    deletion_id: String,
    suppression_id: String,
    replay_id: String,
    /// The ids of the owner's audit log entries (its setup's changes).
    audit_ids: Vec<String>,
}

/// The owner's event type, which has a schema of the owner's.
const OWNER_EVENT_TYPE: &str = "owned";

/// Strings of the owner's that no answer to another credential may contain.
const SECRET_MARKERS: [&str; 3] = [
    "owner-secret-marker",
    "acme-matrix-owner",
    "owner-hook.invalid",
];

fn jwt(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{body}.")
}

async fn mint(app: &TestApp, key: &str) -> String {
    let response = app.post("/api/v1/auth/token", key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// What the owner has, read with the owner's and the admin's credentials.
async fn owner_state(app: &TestApp, owner: &Owner) -> BTreeMap<&'static str, Value> {
    let key = &owner.tenant.key;
    let tenant = &owner.tenant.id;
    let mut state = BTreeMap::new();
    let events: Vec<Value> = app
        .all_events(key, "")
        .await
        .into_iter()
        .map(|event| json!([event["id"], event["event_type"], event["metadata"]]))
        .collect();
    state.insert("events", Value::from(events));
    let (_, tenant_view) = app
        .get_json(&format!("/api/v1/tenants/{tenant}"), &app.admin_token)
        .await;
    state.insert("tenant", tenant_view);
    let (_, keys) = app
        .get_json(&format!("/api/v1/tenants/{tenant}/keys"), key)
        .await;
    let keys: Vec<Value> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| json!([k["id"], k["name"], k["scopes"], k["revoked_at"]]))
        .collect();
    state.insert("keys", Value::from(keys));
    let (_, hooks) = app.get_json("/api/v1/webhooks", key).await;
    // The worker's attempts change the health figures; what a caller could change may not.
    let hooks: Vec<Value> = hooks["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            json!([
                h["id"],
                h["url"],
                h["description"],
                h["event_types"],
                h["enabled"],
                h["updated_at"]
            ])
        })
        .collect();
    state.insert("webhooks", Value::from(hooks));
    let (_, deliveries) = app
        .get_json(
            &format!(
                "/api/v1/webhooks/{}/deliveries?limit=100",
                owner.endpoint_id
            ),
            key,
        )
        .await;
    let deliveries: Vec<Value> = deliveries["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    state.insert("deliveries", Value::from(deliveries));
    let (_, lineage) = app
        .get_json(
            &format!("/api/v1/events/{}/deliveries", owner.event_id),
            key,
        )
        .await;
    let lineage: Vec<Value> = lineage["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!([d["id"], d["endpoint"]["id"]]))
        .collect();
    state.insert("event deliveries", Value::from(lineage));
    let (_, schemas) = app.get_json("/api/v1/schemas", key).await;
    state.insert("schemas", schemas);
    let (_, policy) = app.get_json("/api/v1/schema-policy", key).await;
    state.insert("schema-policy", policy);
    let (_, privacy) = app.get_json("/api/v1/privacy", key).await;
    state.insert("privacy", privacy);
    let (_, deletions) = app.get_json("/api/v1/deletions", key).await;
    state.insert("deletions", deletions);
    let (_, suppressions) = app.get_json("/api/v1/suppressions", key).await;
    state.insert("suppressions", suppressions);
    let (_, replays) = app
        .get_json(
            &format!("/api/v1/webhooks/{}/replays", owner.endpoint_id),
            key,
        )
        .await;
    // Ids only: a job's progress moves by itself.
    let replays: Vec<Value> = replays["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["id"].clone())
        .collect();
    state.insert("replays", Value::from(replays));
    let (_, audit) = app.get_json("/api/v1/audit?limit=200", key).await;
    state.insert("audit", audit);
    state
}

/// The operation's path with the owner's ids in it; `None` names a parameter we cannot fill.
fn owner_path(template: &str, owner: &Owner) -> Result<String, String> {
    let mut segments = Vec::new();
    for segment in template.split('/') {
        segments.push(match segment {
            "{tenant_id}" => owner.tenant.id.clone(),
            "{event_id}" => owner.event_id.clone(),
            // The owner's live key: a delete that worked would show in the state check.
            "{key_id}" => owner.tenant.key_id.clone(),
            "{id}" if template.starts_with("/api/v1/deletions/") => owner.deletion_id.clone(),
            "{id}" if template.starts_with("/api/v1/suppressions/") => owner.suppression_id.clone(),
            "{id}" => owner.endpoint_id.clone(),
            "{delivery_id}" => owner.delivery_id.clone(),
            "{replay_id}" => owner.replay_id.clone(),
            "{event_type}" => OWNER_EVENT_TYPE.to_owned(),
            s if s.starts_with('{') => return Err(format!("path parameter {s}")),
            s => s.to_owned(),
        });
    }
    Ok(segments.join("/"))
}

/// A valid body for each operation that takes one, aimed at the owner where it can name it.
fn body_for(method: &str, template: &str, owner: &Owner) -> Option<Value> {
    let tenant = &owner.tenant.id;
    Some(match (method, template) {
        ("post", "/api/v1/events") => {
            json!({"event_type": "intruder", "tenant_id": tenant, "metadata": {"by": "intruder"}})
        }
        ("post", "/api/v1/events/batch") => {
            json!({"tenant_id": tenant, "events": [{"event_type": "intruder", "tenant_id": tenant}]})
        }
        ("post", "/api/v1/tenants") => json!({"name": "intruder-tenant"}),
        ("patch", "/api/v1/tenants/{tenant_id}") => {
            json!({"name": "renamed-by-intruder", "status": "suspended", "retention_days": 1})
        }
        ("post", "/api/v1/tenants/{tenant_id}/keys") => {
            json!({"name": "intruder", "scopes": ["ingest", "read", "manage"]})
        }
        ("post", "/api/v1/webhooks") => {
            json!({"url": "https://intruder.invalid/hook", "event_types": []})
        }
        ("patch", "/api/v1/webhooks/{id}") => {
            json!({"url": "https://intruder.invalid/hook", "enabled": false, "description": "intruder"})
        }
        ("put", "/api/v1/schemas/{event_type}") => json!({
            "tenant_id": tenant, "mode": "block",
            "schema": {"type": "object", "required": ["intruder"]}
        }),
        ("put", "/api/v1/schema-policy") => json!({"tenant_id": tenant, "unplanned": "block"}),
        ("put", "/api/v1/privacy") => json!({
            "tenant_id": tenant, "rules": [{"path": "intruder", "action": "drop"}]
        }),
        ("post", "/api/v1/privacy/preview") => json!({
            "tenant_id": tenant, "metadata": {"by": "intruder"}
        }),
        // Were either to land in the owner's tenant, the owner's event would go.
        ("post", "/api/v1/deletions") => json!({
            "tenant_id": tenant, "match": {"meta.note": "owner-secret-marker"}
        }),
        ("post", "/api/v1/suppressions") => json!({
            "tenant_id": tenant, "match": {"meta.note": "intruder"}
        }),
        ("post", "/api/v1/webhooks/{id}/replay") => json!({
            "from": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()
        }),
        _ => return None,
    })
}

fn check_answer(what: &str, status: StatusCode, body: &str, owner: &Owner) {
    assert!(
        !status.is_server_error(),
        "{what}: answered {status}: {body}"
    );
    for marker in SECRET_MARKERS {
        assert!(
            !body.contains(marker),
            "{what}: the answer ({status}) shows the owner's {marker:?}: {body}"
        );
    }
    if status.is_success() {
        for id in [
            &owner.tenant.id,
            &owner.event_id,
            &owner.endpoint_id,
            &owner.delivery_id,
            &owner.deletion_id,
            &owner.suppression_id,
            &owner.replay_id,
            &owner.tenant.key_id,
        ]
        .into_iter()
        .chain(&owner.audit_ids)
        {
            assert!(
                !body.contains(id.as_str()),
                "{what}: a {status} answer holds the owner's id {id}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn no_other_credential_reads_or_changes_the_owners_data_through_any_operation() {
    let app = spawn_app().await;
    let owner_tenant = app.create_tenant("acme-matrix-owner").await;
    let response = app
        .post("/api/v1/webhooks", &owner_tenant.key)
        .json(&json!({"url": "https://owner-hook.invalid/owner-secret-marker", "description": "owner-secret-marker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let hook: Value = response.json().await.unwrap();
    let endpoint_id = hook["id"].as_str().unwrap().to_owned();
    // After the endpoint, so that the event has a delivery to it (whose URL is marked): what
    // `GET /events/{event_id}/deliveries` would leak.
    let event_id = app
        .ingest_ok(
            &owner_tenant.key,
            json!({"event_type": "owned", "metadata": {"note": "owner-secret-marker"}}),
        )
        .await;
    let (status, lineage) = app
        .get_json(
            &format!("/api/v1/events/{event_id}/deliveries"),
            &owner_tenant.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{lineage}");
    assert_eq!(lineage["deliveries"].as_array().unwrap().len(), 1);
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint_id}/test"),
            &owner_tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let delivery: Value = response.json().await.unwrap();
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();
    let response = app
        .client
        .put(app.url(&format!("/api/v1/schemas/{OWNER_EVENT_TYPE}")))
        .header("X-API-Key", &owner_tenant.key)
        .json(&json!({"mode": "warn", "schema": {"type": "object", "description": "owner-secret-marker"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "the owner's schema");
    let response = app
        .client
        .put(app.url("/api/v1/privacy"))
        .header("X-API-Key", &owner_tenant.key)
        .json(&json!({"rules": [{"path": "owner-secret-marker", "action": "drop"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the owner's privacy policy"
    );
    let response = app
        .post("/api/v1/suppressions", &owner_tenant.key)
        .json(&json!({"match": {"meta.user": "owner-secret-marker"}, "reason": "owner-secret-marker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the owner's suppression"
    );
    let suppression: Value = response.json().await.unwrap();
    let suppression_id = suppression["id"].as_str().unwrap().to_owned();
    // A dry run, so that the owner's event stays; finished before the state is first read.
    let response = app
        .post("/api/v1/deletions", &owner_tenant.key)
        .json(&json!({"match": {"meta.note": "owner-secret-marker"}, "dry_run": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::ACCEPTED,
        "the owner's deletion job"
    );
    let deletion: Value = response.json().await.unwrap();
    let deletion_id = deletion["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let (_, job) = app
            .get_json(
                &format!("/api/v1/deletions/{deletion_id}"),
                &owner_tenant.key,
            )
            .await;
        if job["state"] == "done" {
            assert_eq!(job["matched"], 1, "{job}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A replay of the owner's last hour to its endpoint.
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint_id}/replay"),
            &owner_tenant.key,
        )
        .json(&json!({"from": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::ACCEPTED,
        "the owner's replay"
    );
    let replay: Value = response.json().await.unwrap();
    let replay_id = replay["id"].as_str().unwrap().to_owned();
    let (revoked, revoked_key_id) = app
        .create_key(&owner_tenant, &["ingest", "read", "manage"])
        .await;
    let revoked_jwt = mint(&app, &revoked).await;
    let response = app
        .client
        .delete(app.url(&format!(
            "/api/v1/tenants/{}/keys/{revoked_key_id}",
            owner_tenant.id
        )))
        .header("X-API-Key", &owner_tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The setup's changes are in the owner's audit log, with the marked webhook among them.
    let (status, audit) = app
        .get_json("/api/v1/audit?limit=200", &owner_tenant.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let audit_ids: Vec<String> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(audit_ids.len() >= 6, "{audit}");
    assert!(audit.to_string().contains("owner-secret-marker"), "{audit}");
    let owner = Owner {
        tenant: owner_tenant,
        event_id,
        endpoint_id,
        delivery_id,
        deletion_id,
        suppression_id,
        replay_id,
        audit_ids,
    };

    // The other tenant, with a key of each scope and the JWTs minted from them.
    let other = app.create_tenant("globex-matrix-other").await;
    let mut credentials = vec![Credential::key("other tenant's first key", &other.key)];
    for scope in ["ingest", "read", "manage"] {
        let (key, _) = app.create_key(&other, &[scope]).await;
        credentials.push(Credential::jwt(
            &format!("JWT of other tenant's {scope} key"),
            &mint(&app, &key).await,
        ));
        credentials.push(Credential::key(
            &format!("other tenant's {scope} key"),
            &key,
        ));
    }
    credentials.push(Credential::jwt(
        "JWT of other tenant's first key",
        &mint(&app, &other.key).await,
    ));
    credentials.push(Credential::key("owner's revoked key", &revoked));
    credentials.push(Credential::jwt("JWT of owner's revoked key", &revoked_jwt));
    let now = chrono::Utc::now().timestamp();
    let owner_claims = |exp: i64| {
        json!({"sub": owner.tenant.key_id, "tenant_id": owner.tenant.id,
               "scopes": ["ingest", "read", "manage"], "iat": now - 7200, "exp": exp})
    };
    let admin_claims = json!({"sub": "admin", "scopes": ["ingest", "read", "manage"], "iat": now, "exp": now + 600});
    let wrong = "another-secret-another-secret-another-secret";
    for (name, token) in [
        (
            "expired owner JWT",
            jwt(&owner_claims(now - 120), Algorithm::HS256, JWT_SECRET),
        ),
        (
            "owner JWT signed with another secret",
            jwt(&owner_claims(now + 600), Algorithm::HS256, wrong),
        ),
        (
            "admin JWT signed with another secret",
            jwt(&admin_claims, Algorithm::HS256, wrong),
        ),
        ("alg:none owner JWT", unsigned(&owner_claims(now + 600))),
        ("alg:none admin JWT", unsigned(&admin_claims)),
        (
            "HS512 owner JWT with the server's secret",
            jwt(&owner_claims(now + 600), Algorithm::HS512, JWT_SECRET),
        ),
        (
            "HS512 admin JWT with the server's secret",
            jwt(&admin_claims, Algorithm::HS512, JWT_SECRET),
        ),
    ] {
        credentials.push(Credential::jwt(name, &token));
    }
    credentials.push(Credential {
        name: "no credential".into(),
        secret: None,
        bearer: false,
    });

    let before = owner_state(&app, &owner).await;
    let (_, doc) = app.get_json("/api/v1/openapi.json", "").await;
    let mut operations = 0;
    let mut calls = 0;
    let mut uncallable = Vec::new();
    let mut sockets = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let path = match owner_path(template, &owner) {
                Ok(path) => path,
                Err(why) => {
                    uncallable.push(format!("{method} {template}: {why}"));
                    continue;
                }
            };
            let body = if operation["requestBody"].is_object() {
                match body_for(method, template, &owner) {
                    Some(body) => Some(body),
                    None => {
                        uncallable.push(format!("{method} {template}: its request body"));
                        continue;
                    }
                }
            } else {
                None
            };
            let names_tenant = operation["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["in"] == "query" && p["name"] == "tenant_id")
            });
            let queries: Vec<String> = if names_tenant {
                vec![String::new(), format!("tenant_id={}", owner.tenant.id)]
            } else {
                vec![String::new()]
            };
            if template == "/api/v1/ws" {
                // An upgrade: each credential asks for the owner's stream and for its own.
                for credential in &credentials {
                    let secret = credential.secret.as_deref().unwrap_or("");
                    for query in &queries {
                        calls += 1;
                        match app.ws(secret, query).await {
                            Ok(socket) => sockets.push((credential.name.clone(), socket)),
                            Err(status) => assert!(
                                status.is_client_error(),
                                "{}: the stream answered {status}",
                                credential.name
                            ),
                        }
                    }
                    assert!(
                        app.ws(secret, &format!("tenant_id={}", owner.tenant.id))
                            .await
                            .is_err(),
                        "{}: opened the owner's stream",
                        credential.name
                    );
                }
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for credential in &credentials {
                for query in &queries {
                    let url = if query.is_empty() {
                        app.url(&path)
                    } else {
                        app.url(&format!("{path}?{query}"))
                    };
                    let mut request = app.client.request(method.clone(), url);
                    request = match (&credential.secret, credential.bearer) {
                        (Some(secret), true) => request.bearer_auth(secret),
                        (Some(secret), false) => request.header("X-API-Key", secret),
                        (None, _) => request,
                    };
                    if let Some(body) = &body {
                        request = request.json(body);
                    }
                    let response = request.send().await.unwrap();
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    let what = format!("{method} {path}?{query} with {}", credential.name);
                    check_answer(&what, status, &text, &owner);
                    calls += 1;
                }
            }
        }
    }
    assert!(
        uncallable.is_empty(),
        "the isolation matrix cannot call these operations; teach it how: {uncallable:#?}"
    );
    assert!(operations >= 25, "only {operations} operations documented");

    let after = owner_state(&app, &owner).await;
    assert_eq!(after, before, "the owner's state changed");

    // Whatever stream a credential could open, the owner's next event never arrives on it.
    app.ingest_ok(
        &owner.tenant.key,
        json!({"event_type": "owned", "metadata": {"note": "owner-secret-marker"}}),
    )
    .await;
    for (name, mut socket) in sockets {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(700);
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, socket.next()).await {
            if let Message::Text(text) = message {
                for marker in SECRET_MARKERS {
                    assert!(
                        !text.contains(marker),
                        "{name}: the stream carried the owner's event: {text}"
                    );
                }
            }
        }
    }

    eprintln!(
        "isolation matrix: {operations} operations, {} credentials, {calls} calls",
        credentials.len()
    );
}
