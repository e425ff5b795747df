//! Credentials and who is calling: API keys (random secrets stored as SHA-256 hashes), the
//! admin token, and short-lived HS256 JWTs. A request's credential is resolved once into a
//! [`Principal`]; handlers ask the principal which tenant they may touch.

pub mod cache;
pub mod jwt;
pub mod keys;
pub mod principal;
pub mod routes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::tenants::TenantId;

pub use principal::Principal;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Ingest,
    Read,
    Manage,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Manage => "manage",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Scopes as stored: a comma-separated list, in canonical order.
    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses the stored form; unknown names are dropped rather than granting anything.
    pub fn split(stored: &str) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = stored.split(',').filter_map(Scope::parse).collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }
}

/// An API key as stored. The secret itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
