//! Credentials: API keys, the admin token and JWTs, and the scopes they carry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, assert_error, spawn_app};

async fn token_for(app: &crate::helpers::TestApp, credential: &str) -> Value {
    let response = app
        .post("/api/v1/auth/token", credential)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn requests_without_a_valid_credential_get_401() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    for bad in ["trb_notakey", "", "a.b.c"] {
        let response = app.get("/api/v1/events", bad).send().await.unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    }
}

#[tokio::test]
async fn keys_work_in_either_header() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let response = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(&acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_read_only_key_cannot_ingest_and_an_ingest_only_key_cannot_read() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let (reader, _) = app.create_key(&acme, &["read"]).await;
    let (writer, _) = app.create_key(&acme, &["ingest"]).await;

    let refused = app.ingest(&reader, json!({"event_type": "x"})).await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;
    let refused = app
        .ingest_batch(&reader, json!({"events": [{"event_type": "x"}]}))
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;

    let id = app.ingest_ok(&writer, json!({"event_type": "x"})).await;
    for path in [
        "/api/v1/events".to_owned(),
        format!("/api/v1/events/{id}"),
        "/api/v1/events/stats".to_owned(),
    ] {
        let refused = app.get(&path, &writer).send().await.unwrap();
        assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;
    }
    let (status, _) = app.get_json(&format!("/api/v1/events/{id}"), &reader).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_key_exchanged_for_a_jwt_keeps_its_tenant_and_scopes() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let globex = app.create_tenant("globex").await;
    let (reader, _) = app.create_key(&acme, &["read"]).await;
    let token = token_for(&app, &reader).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["tenant_id"], acme.id.as_str());
    assert_eq!(token["scopes"], json!(["read"]));
    assert_eq!(token["expires_in"], 3600);
    let jwt = token["access_token"].as_str().unwrap();

    let response = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refused = app.ingest(jwt, json!({"event_type": "x"})).await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden", None).await;
    let other = app
        .get(&format!("/api/v1/events?tenant_id={}", globex.id), jwt)
        .send()
        .await
        .unwrap();
    assert_error(other, StatusCode::FORBIDDEN, "forbidden", None).await;

    // A token cannot mint another one.
    let response = app.post("/api/v1/auth/token", jwt).send().await.unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
}

#[tokio::test]
async fn the_admin_token_exchanges_for_an_admin_jwt() {
    let app = spawn_app().await;
    let token = token_for(&app, &app.admin_token).await;
    assert!(token["tenant_id"].is_null());
    let jwt = token["access_token"].as_str().unwrap();
    let response = app
        .post("/api/v1/tenants", jwt)
        .json(&json!({"name": "via-jwt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_jwt_stops_working_when_its_key_is_revoked() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let (reader, reader_id) = app.create_key(&acme, &["read"]).await;
    let jwt = token_for(&app, &reader).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.client
        .delete(app.url(&format!("/api/v1/tenants/{}/keys/{reader_id}", acme.id)))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    let response = app.get("/api/v1/events", &jwt).send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
}

fn forge(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn expired_foreign_and_unsigned_jwts_get_401() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| json!({"sub": acme.key_id, "tenant_id": acme.id, "scopes": ["read"], "iat": now - 7200, "exp": exp});
    // Sanity: the same claims, valid and signed with our secret, are accepted.
    let valid = forge(&claims(now + 600), JWT_SECRET);
    assert_eq!(
        app.get("/api/v1/events", &valid)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let expired = forge(&claims(now - 120), JWT_SECRET);
    let foreign = forge(&claims(now + 600), "another-secret-another-secret-another");
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(now + 600)).unwrap());
    let unsigned = format!("{header}.{body}.");
    let admin_claims = json!({"sub": "admin", "scopes": ["ingest", "read", "manage"], "iat": now, "exp": now + 600});
    let forged_admin = forge(&admin_claims, "another-secret-another-secret-another");
    for token in [expired, foreign, unsigned, forged_admin] {
        let response = app
            .client
            .get(app.url("/api/v1/tenants"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    }
}

#[tokio::test]
async fn an_admin_jwt_stops_working_when_the_admin_token_changes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tributary.db").display());
    let token_for = |app: &crate::helpers::TestApp, admin: &str| {
        let request = app.post("/api/v1/auth/token", admin).send();
        async move {
            let body: Value = request.await.unwrap().json().await.unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let first = crate::helpers::spawn_app_on(&url, |config| {
        config.auth.admin_token = Some("first-admin-token-0123456789".into());
    })
    .await;
    let old_jwt = token_for(&first, "first-admin-token-0123456789").await;
    let (status, _) = first.get_json("/api/v1/tenants", &old_jwt).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the JWT works while its admin token is current"
    );
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Restarted with another admin token (same JWT secret): the old token's JWTs are refused.
    let second = crate::helpers::spawn_app_on(&url, |config| {
        config.auth.admin_token = Some("second-admin-token-0123456789".into());
    })
    .await;
    let refused = second
        .get("/api/v1/tenants", &old_jwt)
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let refused = second
        .post("/api/v1/tenants", &old_jwt)
        .json(&json!({"name": "sneaky"}))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let new_jwt = token_for(&second, "second-admin-token-0123456789").await;
    let (status, _) = second.get_json("/api/v1/tenants", &new_jwt).await;
    assert_eq!(status, StatusCode::OK);
}
