//! The OpenAPI 3 document of the API, generated from the handlers' annotations, served at
//! `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::{auth, events, http, stream, tenants};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tributary",
        description = "Multi-tenant event ingestion: send events, read them back, count them. \
                       Errors are always `{\"error\":{\"code\",\"message\",\"field\",\"request_id\"}}`."
    ),
    paths(
        tenants::routes::create_tenant,
        tenants::routes::list_tenants,
        tenants::routes::get_tenant,
        tenants::routes::update_tenant,
        tenants::routes::create_key,
        tenants::routes::list_keys,
        tenants::routes::revoke_key,
        auth::routes::issue_token,
        events::routes::ingest_one,
        events::routes::ingest_batch,
        events::routes::list_events,
        events::routes::get_event,
        events::routes::stats,
        crate::search::routes::search_events,
        stream::routes::connect,
        crate::webhooks::routes::create_webhook,
        crate::webhooks::routes::list_webhooks,
        crate::webhooks::routes::get_webhook,
        crate::webhooks::routes::update_webhook,
        crate::webhooks::routes::delete_webhook,
        crate::webhooks::routes::rotate_webhook_secret,
        crate::webhooks::routes::test_webhook,
        crate::webhooks::routes::list_webhook_deliveries,
        crate::webhooks::routes::webhook_stats,
        crate::webhooks::routes::retry_webhook_delivery,
        crate::webhooks::routes::list_event_deliveries,
        crate::schemas::routes::list_schemas,
        crate::schemas::routes::get_schema,
        crate::schemas::routes::put_schema,
        crate::schemas::routes::delete_schema,
        crate::schemas::routes::infer_schema,
        crate::schemas::routes::schema_violations,
        crate::schemas::routes::get_policy,
        crate::schemas::routes::put_policy,
        crate::schemas::routes::data_quality,
        crate::webhooks::replay_routes::create_replay,
        crate::webhooks::replay_routes::list_replays,
        crate::webhooks::replay_routes::get_replay,
        crate::webhooks::replay_routes::cancel_replay,
        crate::privacy::routes::get_privacy,
        crate::privacy::routes::put_privacy,
        crate::privacy::routes::preview,
        crate::privacy::routes::create_deletion,
        crate::privacy::routes::list_deletions,
        crate::privacy::routes::get_deletion,
        crate::privacy::routes::cancel_deletion,
        crate::privacy::routes::create_suppression,
        crate::privacy::routes::list_suppressions,
        crate::privacy::routes::delete_suppression,
        crate::audit::routes::list_audit,
        http::health::health,
        http::health::ready,
        http::health::metrics,
        serve,
    ),
    modifiers(&Security, &CommonErrors),
    tags(
        (name = "tenants", description = "Tenants (admin) and a tenant's own record"),
        (name = "keys", description = "API keys of a tenant"),
        (name = "auth", description = "Short-lived JWTs"),
        (name = "events", description = "Ingest, list, get and count events"),
        (name = "stream", description = "Live events over WebSocket"),
        (name = "webhooks", description = "Webhook endpoints, signed deliveries (Standard Webhooks), the delivery log"),
        (name = "schemas", description = "Data contracts: JSON Schemas per event type with observe, warn or block; the unplanned-type policy; violations"),
        (name = "privacy", description = "Redaction of personal data at ingest: rules per metadata path (drop, mask, hash) and detectors (e-mail, IBAN, card, phone); deletion of a subject's events by background job; suppression of a subject's future events"),
        (name = "audit", description = "The audit log: who changed what, when, from where, before and after"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key, the admin token, or a JWT from /api/v1/auth/token",
                    ))
                    .build(),
            ),
        );
    }
}

/// The error answers that come from shared plumbing rather than from one handler: a body
/// that is not JSON, too large or not `application/json`, and a malformed or unknown query
/// parameter. Added here for every operation they apply to, so that no annotation can forget
/// them; an annotation that names one keeps its own description.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.request_body.is_some() {
                    document(operation, "400", "Malformed JSON");
                    document(operation, "413", "Body larger than the limit");
                    document(operation, "415", "Not `Content-Type: application/json`");
                    document(operation, "422", "Invalid field");
                }
                let has_query = operation.parameters.iter().flatten().any(|parameter| {
                    matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query)
                });
                if has_query {
                    document(operation, "422", "A malformed or unknown query parameter");
                }
            }
        }
    }
}

fn document(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", body)
                    .build(),
            )
        });
}

/// This document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json"))
)]
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The document as pretty-printed JSON, for `tributary openapi` (the dashboard's types are
/// generated from it).
pub fn document_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}
