//! Recording: the middleware on the `/api/v1` router that writes one audit entry per
//! successful change, and the [`Witness`] through which a request's handler tells it, without
//! code of its own, who called and which tenant the call acted on.
//!
//! The middleware puts a fresh witness in the request's extensions before the handler runs;
//! the [`crate::auth::Principal`] extractor reports the credential it resolved to it, and
//! [`crate::auth::Principal::target_tenant`] the tenant it let the call act on. The handler may
//! add an [`AuditNote`] to its response (target, before, after). After a 2xx answer the
//! middleware builds the entry and writes it (see the module doc of [`crate::audit`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};
use uuid::Uuid;

use super::{Actor, AuditEntry, AuditNote, action_for, is_change};
use crate::auth::Principal;
use crate::http::AppState;
use crate::http::request_id;
use crate::tenants::TenantId;

/// What the handler of one request resolved; shared between the middleware and the
/// request's [`Principal`]. Holds no principal (which holds the witness), only what the entry
/// needs of it.
#[derive(Debug, Clone, Default)]
pub struct Witness(Arc<Mutex<Seen>>);

#[derive(Debug, Default)]
struct Seen {
    actor: Option<Actor>,
    /// A tenant credential's own tenant.
    own_tenant: Option<TenantId>,
    /// The tenant the call was let act on.
    acted_on: Option<TenantId>,
}

impl Witness {
    fn seen(&self) -> MutexGuard<'_, Seen> {
        // A panic elsewhere cannot leave `Seen` half-written: every write is one assignment.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The credential of the request, as resolved by the `Principal` extractor.
    pub fn saw_principal(&self, principal: &Principal) {
        let mut seen = self.seen();
        seen.actor = Some(Actor::of(principal));
        seen.own_tenant = principal.own_tenant().map(|tenant| tenant.id);
    }

    /// The tenant the call acts on, once the principal has allowed it.
    pub fn saw_tenant(&self, tenant: TenantId) {
        self.seen().acted_on = Some(tenant);
    }
}

impl IntoResponseParts for AuditNote {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        parts.extensions_mut().insert(self);
        Ok(parts)
    }
}

/// The middleware (see the module doc). Reads and unrecorded routes pass straight through.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Decided on borrowed values: every request passes here (ingest included), and only a
    // recorded change pays for owned copies.
    let recorded = {
        let method = request.method().as_str();
        request
            .extensions()
            .get::<MatchedPath>()
            .filter(|_| is_change(method))
            .and_then(|matched| {
                action_for(method, matched.as_str())
                    .map(|action| (method.to_owned(), matched.as_str().to_owned(), action))
            })
    };
    let Some((method, route, action)) = recorded else {
        return next.run(request).await;
    };

    let (mut parts, body) = request.into_parts();
    let path_params: Vec<(String, String)> =
        match RawPathParams::from_request_parts(&mut parts, &state).await {
            Ok(params) => params
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            Err(_) => Vec::new(),
        };
    // The TCP peer. No proxy is trusted (the server has no notion of one), so a forwarded
    // address is never taken: a client could name any.
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_canonical().to_string());
    let witness = Witness::default();
    parts.extensions.insert(witness.clone());

    let mut response = next.run(Request::from_parts(parts, body)).await;
    let note = response
        .extensions_mut()
        .remove::<AuditNote>()
        .unwrap_or_default();
    let status = response.status();
    if !status.is_success() {
        return response;
    }
    let seen = std::mem::take(&mut *witness.seen());
    let Some(actor) = seen.actor else {
        // Every route that changes anything resolves a credential first; one that does not
        // has nobody to name.
        tracing::warn!(%route, %method, "a change without a credential is not recorded");
        return response;
    };
    let path_tenant = path_params
        .iter()
        .find(|(name, _)| name == "tenant_id")
        .and_then(|(_, value)| Uuid::parse_str(value).ok())
        .map(TenantId);
    let entry = AuditEntry {
        id: Uuid::now_v7(),
        tenant_id: note
            .tenant
            .or(seen.acted_on)
            .or(seen.own_tenant)
            .or(path_tenant),
        at: state.clock.now(),
        actor,
        ip,
        action: action.into_owned(),
        method,
        route,
        status: status.as_u16(),
        target_id: note
            .target_id
            .or_else(|| path_params.last().map(|(_, value)| value.clone())),
        before: note.before,
        after: note.after,
        request_id: request_id::current(),
    };
    write(&state, entry).await;
    response
}

/// Writes the entry from a task of its own, so that a client hanging up (which drops the
/// request's future) cannot cancel it halfway; the answer waits for it, so that an entry is
/// there to read once its change is answered.
async fn write(state: &AppState, entry: AuditEntry) {
    let store = state.store.clone();
    let action = entry.action.clone();
    let written = tokio::spawn(async move { store.insert_audit_entry(&entry).await }).await;
    let error: anyhow::Error = match written {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error.into(),
        Err(error) => error.into(),
    };
    metrics::counter!("tributary_audit_write_failures_total").increment(1);
    tracing::warn!(
        error = format!("{error:#}"),
        action,
        "an audit entry could not be written; the change itself is done"
    );
}
