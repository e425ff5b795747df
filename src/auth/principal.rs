//! Who is calling. The credential of a request is resolved once, by the [`Principal`]
//! extractor, into the admin or one tenant's key with its scopes. Handlers then ask the
//! principal for the tenant they may act on; they never compare tenant ids themselves.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use uuid::Uuid;

use super::Scope;
use super::jwt::{self, ADMIN_SUBJECT};
use super::keys;
use crate::audit::record::Witness;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::tenants::{Tenant, TenantId, TenantStatus};

/// `last_used_at` is written at most this often per key, so that authentication stays a
/// read on the hot path.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum Identity {
    Admin,
    /// A tenant's API key (used directly or through a JWT issued for it).
    Key {
        key_id: Uuid,
        /// The key's prefix, as listed with the tenant's keys (the audit log names keys by it).
        key_prefix: String,
        tenant: Tenant,
    },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub identity: Identity,
    pub scopes: Vec<Scope>,
    /// Whether the credential was a JWT (a JWT cannot be exchanged for another).
    pub via_jwt: bool,
    /// The audit log's witness of the request (see [`crate::audit::record`]), told the
    /// tenant this principal lets the call act on; `None` outside recorded requests.
    pub audit: Option<Witness>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        matches!(self.identity, Identity::Admin)
    }

    /// The tenant a tenant credential is bound to; `None` for the admin.
    pub fn own_tenant(&self) -> Option<&Tenant> {
        match &self.identity {
            Identity::Admin => None,
            Identity::Key { tenant, .. } => Some(tenant),
        }
    }

    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.is_admin() || self.scopes.contains(&scope) {
            return Ok(());
        }
        Err(ApiError::Forbidden(
            format!("this credential lacks the `{}` scope", scope.as_str()).into(),
        ))
    }

    /// The tenant to act on for a tenant-scoped call. A tenant credential may only name its
    /// own tenant (403 otherwise); the admin must name one. The audit log's witness hears the
    /// answer, so that a recorded change belongs to the tenant it was let act on.
    pub fn target_tenant(&self, requested: Option<TenantId>) -> Result<TenantId, ApiError> {
        match (&self.identity, requested) {
            (Identity::Admin, Some(tenant)) => Ok(tenant),
            (Identity::Admin, None) => Err(ApiError::validation(
                "tenant_id",
                "tenant_id is required when using the admin token",
            )),
            (Identity::Key { tenant, .. }, Some(requested)) if requested != tenant.id => Err(
                ApiError::forbidden("this credential belongs to another tenant"),
            ),
            (Identity::Key { tenant, .. }, _) => Ok(tenant.id),
        }
        .inspect(|tenant| {
            if let Some(witness) = &self.audit {
                witness.saw_tenant(*tenant);
            }
        })
    }

    /// The tenant a tenant-scoped call acts on, with the scope it needs: a key's own tenant
    /// (naming another is 403), or the one an admin names, which must exist (404). Every
    /// tenant-scoped route resolves its tenant here.
    pub async fn tenant_for(
        &self,
        state: &AppState,
        scope: Scope,
        requested: Option<TenantId>,
    ) -> Result<TenantId, ApiError> {
        self.require(scope)?;
        let tenant = self.target_tenant(requested)?;
        if self.is_admin() && state.store.get_tenant(tenant).await?.is_none() {
            return Err(ApiError::NotFound("tenant"));
        }
        Ok(tenant)
    }

    /// Refuses a suspended tenant's credential for what creates or changes anything (keys,
    /// JWTs, webhooks, test deliveries, retries). Reads, revoking a key and disabling or
    /// deleting a webhook stay open, so that an incident can be contained; ingest is refused
    /// on its own path, and deliveries wait until the tenant is active again. The admin is
    /// never refused.
    pub fn require_active(&self) -> Result<(), ApiError> {
        match &self.identity {
            Identity::Key { tenant, .. } if tenant.status == TenantStatus::Suspended => {
                Err(ApiError::forbidden(
                    "this tenant is suspended: it can read, revoke keys and disable webhooks, \
                     but not create or change anything",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether this principal may see the tenant record `tenant`. Other tenants' records are
    /// reported as missing, not forbidden, so that their existence is not disclosed.
    pub fn can_see_tenant(&self, tenant: TenantId) -> bool {
        match &self.identity {
            Identity::Admin => true,
            Identity::Key { tenant: own, .. } => own.id == tenant,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = credential_from_headers(&parts.headers)
            .or_else(|| credential_from_query(parts.uri.query()))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing credential: send `X-API-Key: <key>` or `Authorization: Bearer <token>`",
                )
            })?;
        let mut principal = resolve(state, &credential).await?;
        if let Some(witness) = parts.extensions.get::<Witness>() {
            witness.saw_principal(&principal);
            principal.audit = Some(witness.clone());
        }
        Ok(principal)
    }
}

fn credential_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(value.trim().to_owned());
    }
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = authorization.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// `?access_token=` is accepted because browsers cannot set headers on a WebSocket.
fn credential_from_query(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
}

/// Turns a credential into a principal, or 401.
pub async fn resolve(state: &AppState, credential: &str) -> Result<Principal, ApiError> {
    let hash = keys::hash_secret(credential);
    if keys::hashes_match(&hash, &state.auth.admin_token_hash) {
        return Ok(Principal {
            identity: Identity::Admin,
            scopes: Scope::ALL.to_vec(),
            via_jwt: false,
            audit: None,
        });
    }
    if jwt::looks_like_jwt(credential) {
        return resolve_jwt(state, credential).await;
    }

    let cached = match state.auth.keys.get(&hash) {
        Some(cached) => cached,
        None => {
            let generation = state.auth.keys.generation();
            let (key, tenant) = state
                .store
                .find_api_key_by_hash(&hash)
                .await?
                .ok_or_else(|| ApiError::unauthorized("invalid API key"))?;
            state.auth.keys.insert(generation, key, tenant)
        }
    };
    let key = &cached.key;
    // The lookup is by hash; compare again in constant time so that correctness never rests
    // on the database's (or the map's) comparison.
    if !keys::hashes_match(&hash, &key.secret_hash) {
        return Err(ApiError::unauthorized("invalid API key"));
    }
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthorized("this API key has been revoked"));
    }
    let now = state.clock.now();
    if cached.claim_touch(now, TOUCH_EVERY) {
        let (store, key_id) = (state.store.clone(), key.id);
        tokio::spawn(async move {
            if let Err(error) = store.touch_api_key(key_id, now).await {
                tracing::warn!(error = %error, "could not record last_used_at");
            }
        });
    }
    Ok(Principal {
        identity: Identity::Key {
            key_id: key.id,
            key_prefix: key.prefix.clone(),
            tenant: cached.tenant.clone(),
        },
        scopes: key.scopes.clone(),
        via_jwt: false,
        audit: None,
    })
}

/// Makes a revocation or a change of the tenant take effect for its keys here at once, and on
/// every other instance when the notice arrives.
pub fn credentials_changed(state: &AppState, tenant: TenantId) {
    state.auth.keys.invalidate(tenant);
    state
        .bus
        .notify(crate::bus::Notice::CredentialsChanged(tenant));
}

async fn resolve_jwt(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let claims = state
        .auth
        .jwt
        .verify(token)
        .ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?;
    if claims.sub == ADMIN_SUBJECT && claims.tenant_id.is_none() {
        // Minted by the current admin token, or by one that has since been replaced.
        let current = state
            .auth
            .jwt
            .admin_fingerprint(&state.auth.admin_token_hash);
        if claims.adm.as_deref() != Some(current.as_str()) {
            return Err(ApiError::unauthorized(
                "this token was issued for an admin token that is no longer valid",
            ));
        }
        return Ok(Principal {
            identity: Identity::Admin,
            scopes: claims.scopes,
            via_jwt: true,
            audit: None,
        });
    }
    let key_id =
        Uuid::parse_str(&claims.sub).map_err(|_| ApiError::unauthorized("invalid token"))?;
    // Look the key up again: a token stops working when its key is revoked or its tenant's
    // status changes, and the tenant's current rate limit applies.
    let (key, tenant) = state
        .store
        .find_api_key_by_id(key_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthorized(
            "the API key behind this token has been revoked",
        ));
    }
    if claims.tenant_id.as_deref() != Some(tenant.id.to_string().as_str()) {
        return Err(ApiError::unauthorized("invalid token"));
    }
    let scopes = claims
        .scopes
        .into_iter()
        .filter(|s| key.scopes.contains(s))
        .collect();
    Ok(Principal {
        identity: Identity::Key {
            key_id: key.id,
            key_prefix: key.prefix,
            tenant,
        },
        scopes,
        via_jwt: true,
        audit: None,
    })
}
