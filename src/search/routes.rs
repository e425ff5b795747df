//! The search endpoint. The handler extracts, calls [`super::search`], and responds; tenant
//! scoping is the event list's (`read` scope; the admin names the tenant).

use axum::Json;
use axum::extract::{RawQuery, State};

use super::{SearchResults, parse_params, search};
use crate::auth::{Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};

/// Ranked full-text search over event types and metadata.
///
/// The query language: `card declined` (all words must match, in any field); `"card
/// declined"` (a phrase); `page:/pay`, `user.plan:pro`, `type:signup` (a word or `"phrase"`
/// in one field: `type` is the event type, anything else a metadata key, nested keys with
/// dots); `-refund` or `NOT refund` (exclude; needs a term that is not negated beside it);
/// `visa OR amex` (binds tighter than the implicit AND); `( … )` grouping; `decl*` (prefix,
/// at least 2 characters). Matching ignores case and accents; punctuation separates words;
/// CJK characters and emoji are words of their own. A malformed `q` gets 422 with `field:
/// "q"` and a message giving the character position.
///
/// Hits come most relevant first (SQLite: BM25; PostgreSQL: cover density weighted by how rare
/// each term is among the matches), ties newest first. Scores are comparable only within one
/// query. Snippets are **plain text, never HTML**: `fragments` split the excerpt into pieces,
/// and those with `highlight: true` match the query; render each as text (escaped as usual)
/// and wrap the highlighted ones in `<mark>` or the like.
#[utoipa::path(
    get, path = "/api/v1/events/search", tag = "events",
    params(
        ("q" = String, Query, min_length = 1, max_length = 1000, description = "The query (see above); at most 1,000 characters"),
        ("event_type" = Option<Vec<String>>, Query, description = "Repeatable: any of these types"),
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Inclusive lower bound on timestamp"),
        ("to" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Exclusive upper bound on timestamp"),
        ("meta.<key>" = Option<String>, Query, description = "Metadata equality; nested keys with dots: meta.user.plan=pro"),
        ("meta.<key>!" = Option<String>, Query, description = "Metadata exclusion, written meta.<key>!=<value>: events whose value at the key is not <value>, including events without the key (PostHog's \"is not\"); exactly the events meta.<key>=<value> leaves out. Repeatable; at most 20 meta filters (= and != together)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "1-100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("tenant_id" = Option<uuid::Uuid>, Query, description = "Admin only: the tenant to search"),
    ),
    responses(
        (status = 200, description = "One page of hits", body = SearchResults),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "Lacks `read`, or another tenant", body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 422, description = "Malformed `q` (the message says where) or another parameter", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn search_events(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchResults>, ApiError> {
    let params = parse_params(query.as_deref())?;
    let tenant = principal
        .tenant_for(&state, Scope::Read, params.tenant_id)
        .await?;
    Ok(Json(search(&*state.store, tenant, &params).await?))
}
