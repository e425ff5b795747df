//! `POST /api/v1/auth/token`: exchange the admin token or an API key for a short-lived JWT,
//! which the dashboard keeps instead of the long-lived secret.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::jwt::{ADMIN_SUBJECT, claims_for};
use super::principal::Identity;
use super::{Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The tenant the token is bound to; null for the admin.
    pub tenant_id: Option<String>,
    pub scopes: Vec<Scope>,
}

/// Exchange a credential (sent the usual way) for a JWT with the same rights.
#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "A JWT cannot be exchanged for another", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn issue_token(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<TokenResponse>, ApiError> {
    if principal.via_jwt {
        return Err(ApiError::forbidden(
            "a token cannot be exchanged for another; use the admin token or an API key",
        ));
    }
    principal.require_active()?;
    let (subject, tenant_id) = match &principal.identity {
        Identity::Admin => (ADMIN_SUBJECT.to_owned(), None),
        Identity::Key { key_id, tenant, .. } => (key_id.to_string(), Some(tenant.id.to_string())),
    };
    let ttl = state.auth.token_ttl_secs;
    let mut claims = claims_for(
        subject,
        tenant_id.clone(),
        principal.scopes.clone(),
        state.clock.now(),
        ttl,
    );
    if principal.is_admin() {
        claims.adm = Some(
            state
                .auth
                .jwt
                .admin_fingerprint(&state.auth.admin_token_hash),
        );
    }
    let access_token = state.auth.jwt.issue(&claims).map_err(ApiError::internal)?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        tenant_id,
        scopes: principal.scopes,
    }))
}
