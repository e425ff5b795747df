//! Tenants: the unit of isolation. Every row that belongs to a tenant carries its id, and
//! every store call that touches tenant data takes a [`TenantId`] first.

pub mod cache;
pub mod routes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ValidationError;

/// A tenant's id. A distinct type so that a tenant id is never confused with another uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(TenantStatus::Active),
            "suspended" => Some(TenantStatus::Suspended),
            _ => None,
        }
    }
}

/// Events per second and burst, counted in events (a batch of 200 costs 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl RateLimit {
    pub const MAX: u32 = 10_000_000;

    /// Checks the bounds that keep the limiter's arithmetic meaningful.
    pub fn validate(self, field: &'static str) -> Result<Self, ValidationError> {
        if self.per_second == 0 || self.per_second > Self::MAX {
            return Err(ValidationError::new(
                format!("{field}.per_second"),
                format!("per_second must be between 1 and {}", Self::MAX),
            ));
        }
        if self.burst == 0 || self.burst > Self::MAX {
            return Err(ValidationError::new(
                format!("{field}.burst"),
                format!("burst must be between 1 and {}", Self::MAX),
            ));
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tenant {
    #[schema(value_type = String, format = Uuid)]
    pub id: TenantId,
    pub name: String,
    pub status: TenantStatus,
    pub created_at: DateTime<Utc>,
    pub rate_limit: RateLimit,
    /// Days this tenant's events are kept; null follows the server's `retention.events_days`,
    /// 0 keeps them forever.
    pub retention_days: Option<u32>,
}

/// A tenant name: trimmed, 1–100 characters, no control characters.
pub fn parse_tenant_name(raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 100 || name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "name",
            "name must be 1-100 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// What a PATCH may change; `None` leaves the field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantUpdate {
    pub name: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub status: Option<TenantStatus>,
    /// `Some(None)` goes back to the server's retention.
    pub retention_days: Option<Option<u32>>,
}

/// The longest retention a tenant can be given, in days (100 years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// A tenant's retention: 0 (forever) to [`MAX_RETENTION_DAYS`].
pub fn validate_retention_days(days: u32) -> Result<u32, ValidationError> {
    if days > MAX_RETENTION_DAYS {
        return Err(ValidationError::new(
            "retention_days",
            format!("retention_days must be 0 (keep forever) to {MAX_RETENTION_DAYS}, or null"),
        ));
    }
    Ok(days)
}
