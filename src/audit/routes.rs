//! `GET /api/v1/audit`: the audit log, newest first, with filters and a cursor. Scope
//! `manage`: a tenant credential reads its own tenant's entries (naming another tenant is
//! 403); the admin reads every entry, or one tenant's with `tenant_id`.

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AuditEntry, EntriesOf, list, parse_audit_query};
use crate::auth::{Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};

/// The routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list_audit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Who changed what, when and from where: every change made through the API with the admin
/// token or a key (tenants, keys, webhooks, schemas, privacy rules, deletions, suppressions,
/// settings), with the state before and after where it applies. Secrets are never recorded.
/// Entries are kept for `retention.deliveries_days`.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: one tenant's entries (default: every entry)"),
        ("action" = Option<String>, Query, description = "Only this action, such as `webhook.update` or `key.revoke`"),
        ("actor" = Option<String>, Query, description = "Only changes by this API key (its id), or `admin`"),
        ("target_id" = Option<String>, Query, description = "Only changes of this thing (an id, or an event type for schemas)"),
        ("from" = Option<String>, Query, description = "RFC 3339: entries at or after"),
        ("to" = Option<String>, Query, description = "RFC 3339: entries before"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "1-200, default 50"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Lacks `manage`, or another tenant", body = ErrorBody),
        (status = 422, description = "A bad filter, named in `field`", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    principal.require(Scope::Manage)?;
    let query = parse_audit_query(query.as_deref())?;
    let of = match query.tenant_id {
        None if principal.is_admin() => EntriesOf::AllTenants,
        requested => EntriesOf::Tenant(principal.target_tenant(requested)?),
    };
    let (entries, next_cursor) = list(&*state.store, of, &query).await?;
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}
