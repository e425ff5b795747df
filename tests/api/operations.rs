//! Operations: health, readiness, metrics, the OpenAPI document, request ids, security
//! headers and JSON errors for unknown routes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health", "").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.get_json("/ready", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["checks"]["storage"], "ok");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/health")).send().await.unwrap();
    assert!(response.headers()["x-request-id"].len() > 10);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");

    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");

    let response = app
        .client
        .get(app.url("/api/v1/events"))
        .header("x-request-id", "trace-xyz")
        .send()
        .await
        .unwrap();
    let body = assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    assert_eq!(body["error"]["request_id"], "trace-xyz");
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn metrics_count_ingested_events_by_outcome() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
    app.ingest(&acme.key, json!({"event_type": "bad type"}))
        .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "tributary_events_ingested_total{outcome=\"accepted\"}",
        "tributary_events_ingested_total{outcome=\"rejected\"}",
        "tributary_ingest_duration_seconds_bucket",
        "tributary_http_requests_total{method=\"POST\",route=\"/api/v1/events\",status=\"202\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing from /metrics");
    }
    assert!(!text.contains(&acme.id), "no tenant id in metric labels");
}

#[tokio::test]
async fn metrics_can_be_restricted_to_the_admin() {
    let app = spawn_app_with(|config| config.http.metrics_public = false).await;
    let acme = app.create_tenant("acme").await;
    assert_eq!(
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/metrics", &acme.key)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/metrics", &app.admin_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// `/api/v1/tenants/{tenant_id}/keys/{key_id}` with the tenant's id and a made-up id for any
/// other parameter.
fn concrete_path(template: &str, tenant_id: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{tenant_id}" => tenant_id.to_owned(),
            s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_operation_documents_what_it_answers_to_a_bad_body_or_query() {
    let app = spawn_app().await;
    let acme = app.create_tenant("acme").await;
    let (_, doc) = app.get_json("/api/v1/openapi.json", "").await;
    let mut tried = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        if template == "/api/v1/ws" {
            continue; // an upgrade, covered by the stream tests
        }
        let path = concrete_path(template, &acme.id);
        for (method, operation) in item.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let request = |query: &str| {
                app.client
                    .request(method.clone(), app.url(&format!("{path}{query}")))
                    .header("X-API-Key", &acme.key)
            };
            let mut attempts = Vec::new();
            if operation["requestBody"].is_object() {
                attempts.push((
                    "not JSON",
                    request("").header("content-type", "text/plain").body("{}"),
                ));
                attempts.push((
                    "malformed JSON",
                    request("")
                        .header("content-type", "application/json")
                        .body("{"),
                ));
            }
            let takes_query = operation["parameters"]
                .as_array()
                .is_some_and(|parameters| parameters.iter().any(|p| p["in"] == "query"));
            if takes_query {
                attempts.push(("an unknown query parameter", request("?bogus=1")));
            }
            for (what, attempt) in attempts {
                let status = attempt.send().await.unwrap().status();
                assert!(
                    operation["responses"].get(status.as_str()).is_some(),
                    "{method} {template} with {what} answers {status}, which it does not document"
                );
                tried += 1;
            }
        }
    }
    assert!(tried > 20, "only {tried} requests were tried");
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_with_error_schemas() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/tenants", "post"),
        ("/api/v1/tenants", "get"),
        ("/api/v1/tenants/{tenant_id}", "get"),
        ("/api/v1/tenants/{tenant_id}", "patch"),
        ("/api/v1/tenants/{tenant_id}/keys", "post"),
        ("/api/v1/tenants/{tenant_id}/keys", "get"),
        ("/api/v1/tenants/{tenant_id}/keys/{key_id}", "delete"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/events", "post"),
        ("/api/v1/events", "get"),
        ("/api/v1/events/batch", "post"),
        ("/api/v1/events/{event_id}", "get"),
        ("/api/v1/events/stats", "get"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
        ("/api/v1/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let ingest = &paths["/api/v1/events"]["post"];
    assert!(ingest["requestBody"].is_object());
    let unprocessable =
        &ingest["responses"]["422"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(unprocessable, "#/components/schemas/ErrorBody");
    let schemas: &Value = &doc["components"]["schemas"];
    for schema in [
        "ErrorBody",
        "Event",
        "IngestRequest",
        "BatchResponse",
        "Stats",
        "Tenant",
        "ApiKeyView",
    ] {
        assert!(schemas.get(schema).is_some(), "schema {schema}");
    }
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app =
        spawn_app_with(|config| config.http.cors_origins = vec!["https://app.example.com".into()])
            .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/events"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-api-key,content-type")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn answers_that_carry_a_secret_are_never_cached() {
    let app = spawn_app().await;
    let created = app
        .post("/api/v1/tenants", &app.admin_token)
        .json(&json!({"name": "acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.headers()["cache-control"], "no-store");
    let tenant: Value = created.json().await.unwrap();
    let key = app
        .post(
            &format!("/api/v1/tenants/{}/keys", tenant["id"].as_str().unwrap()),
            &app.admin_token,
        )
        .json(&json!({"name": "ci", "scopes": ["ingest"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(key.status(), StatusCode::CREATED);
    assert_eq!(key.headers()["cache-control"], "no-store");
    let tenant_key = tenant["api_key"]["key"].as_str().unwrap();
    let webhook = app
        .post("/api/v1/webhooks", tenant_key)
        .json(&json!({"url": "https://hooks.example.com/in"}))
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), StatusCode::CREATED);
    assert_eq!(webhook.headers()["cache-control"], "no-store");
    let id = webhook.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = app
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"), tenant_key)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    assert_eq!(rotated.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    for path in ["/api/v1/events/batch", "/v1/batch"] {
        let address = app.address.trim_start_matches("http://");
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\nContent-Type: application/json\r\n\
             Content-Length: 900000000\r\n\r\n",
            tenant.key
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        // No body follows: the answer must come anyway, and at once.
        let mut answer = vec![0u8; 1024];
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(3), socket.read(&mut answer))
                .await
                .expect("the server answered without waiting for the body")
                .unwrap();
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("payload_too_large"), "{path}: {answer}");
    }
}
