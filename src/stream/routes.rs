//! `GET /api/v1/ws`: authentication and parameters are checked before the upgrade, so a bad
//! credential gets a plain 401 and no socket.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use uuid::Uuid;

use super::session::{self, SessionParams};
use crate::auth::{Principal, Scope};
use crate::events::ingest::{event_type_error, is_valid_event_type};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::tenants::TenantId;

/// Live events over WebSocket.
///
/// Server messages: `{"type":"event","data":Event}`, `{"type":"subscribed","event_types":[…]}`,
/// `{"type":"lagged","missed":N}`, `{"type":"error","code","message"}`. Client message:
/// `{"type":"subscribe","event_types":[…]}` (empty list: all types). Close codes: 1001 server
/// shutting down, 4000 ping not answered, 4008 client too slow. Pings every 30 s.
#[utoipa::path(
    get, path = "/api/v1/ws", tag = "stream",
    params(
        ("access_token" = Option<String>, Query, description = "JWT or API key (browsers cannot set headers on a WebSocket)"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant to watch"),
        ("event_type" = Option<Vec<String>>, Query, description = "Repeatable: only these types"),
        ("since" = Option<Uuid>, Query, description = "Replay stored events committed after this event id, then go live with no gap and no duplicate"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 401, description = "Missing, invalid, revoked or expired credential", body = ErrorBody),
        (status = 403, description = "Lacks `read`, or another tenant", body = ErrorBody),
        (status = 422, description = "Invalid parameter", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn connect(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (requested, event_types, since) = parse_params(query.as_deref())?;
    principal.require(Scope::Read)?;
    let tenant = principal.tenant_for(&state, Scope::Read, requested).await?;
    let upgrade = upgrade
        .map_err(|_| ApiError::bad_request("this endpoint needs a WebSocket upgrade request"))?;
    let params = SessionParams {
        tenant,
        event_types,
        since,
    };
    Ok(upgrade
        // Small buffers keep an idle connection cheap; large events still go through, as
        // buffers grow on demand.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| session::run(socket, state, params)))
}

type Params = (Option<TenantId>, Vec<String>, Option<Uuid>);

fn parse_params(raw: Option<&str>) -> Result<Params, ApiError> {
    let (mut tenant, mut types, mut since) = (None, Vec::new(), None);
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "access_token" => {}
            "tenant_id" => {
                let id = Uuid::parse_str(&value)
                    .map_err(|_| ApiError::validation("tenant_id", "tenant_id must be a UUID"))?;
                tenant = Some(TenantId(id));
            }
            "event_type" => {
                if !is_valid_event_type(&value) {
                    return Err(event_type_error("event_type".into()).into());
                }
                types.push(value.into_owned());
            }
            "since" => {
                since = Some(Uuid::parse_str(&value).map_err(|_| {
                    ApiError::validation("since", "since must be the id of an event")
                })?);
            }
            other => {
                return Err(ApiError::validation(
                    other,
                    format!("unknown query parameter `{other}`"),
                ));
            }
        }
    }
    Ok((tenant, types, since))
}
