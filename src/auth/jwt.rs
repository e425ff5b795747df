//! Short-lived JWTs, HS256 only. The validation pins the algorithm, so a token that claims
//! `none` or an asymmetric algorithm is rejected before its signature is looked at.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Scope;

/// `sub` of a token issued to the admin token; for a tenant's key it is the key's id.
pub const ADMIN_SUBJECT: &str = "admin";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Absent for the admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub scopes: Vec<Scope>,
    pub iat: i64,
    pub exp: i64,
    /// Admin tokens only: which admin token minted it ([`JwtKeys::admin_fingerprint`]), so that
    /// a token minted before the admin token changed stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adm: Option<String>,
}

pub struct JwtKeys {
    /// Kept for [`JwtKeys::admin_fingerprint`].
    secret: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        JwtKeys {
            secret: secret.to_vec(),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// Names the admin token (by its stored hash) without disclosing anything that would help
    /// guess it: an HMAC under the JWT secret, which whoever reads a token does not have.
    pub fn admin_fingerprint(&self, admin_token_hash: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"tributary admin token:");
        mac.update(admin_token_hash);
        let digest = mac.finalize().into_bytes();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The claims of a valid, unexpired token signed with our secret; `None` otherwise.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// Whether a bearer credential has the shape of a JWT (three dot-separated parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

pub fn claims_for(
    subject: String,
    tenant_id: Option<String>,
    scopes: Vec<Scope>,
    now: DateTime<Utc>,
    ttl_seconds: i64,
) -> Claims {
    Claims {
        sub: subject,
        tenant_id,
        scopes,
        iat: now.timestamp(),
        exp: now.timestamp() + ttl_seconds,
        adm: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(exp_offset: i64) -> Claims {
        let now = Utc::now();
        claims_for(
            "k".into(),
            Some("t".into()),
            vec![Scope::Read],
            now,
            exp_offset,
        )
    }

    #[test]
    fn a_token_signed_with_our_secret_verifies() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue(&claims(60)).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "k");
    }

    #[test]
    fn the_admin_fingerprint_depends_on_the_token_and_the_secret() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        let a = keys.admin_fingerprint(b"hash-a");
        assert_eq!(a, keys.admin_fingerprint(b"hash-a"));
        assert_ne!(a, keys.admin_fingerprint(b"hash-b"));
        assert_ne!(a, other.admin_fingerprint(b"hash-a"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_rejected() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let expired = keys.issue(&claims(-120)).unwrap();
        assert!(keys.verify(&expired).is_none());

        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        assert!(keys.verify(&other.issue(&claims(60)).unwrap()).is_none());

        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(60)).unwrap());
        assert!(keys.verify(&format!("{header}.{body}.")).is_none());
    }
}
