//! Data contracts: per tenant and event type, a JSON Schema for `metadata` and what to do with
//! events that break it (`observe`, `warn`, `block`), plus a tenant-wide policy for event
//! types that no schema covers ("unplanned" types).
//!
//! - [`contract`] compiles a tenant's schemas once and checks events against them; the
//!   pipeline (`crate::pipeline`) runs that check on every entry point (native, Segment,
//!   PostHog).
//! - [`registry`] caches each tenant's compiled contracts and drops them when they change (on
//!   every instance: through the bus's notices in scaled mode); it also gathers violation
//!   counts and examples and writes them to the store about once a second.
//! - [`infer`] proposes a schema from stored events; [`routes`] is the HTTP API.
//!
//! Invariants: a tenant's schemas are never applied to another tenant's events (the cache is
//! keyed by tenant and loaded with the tenant's id); a tenant with no schemas and the `allow`
//! policy costs one map lookup per request; a stored schema always compiled when it was
//! stored.

pub mod contract;
pub mod infer;
pub mod registry;
pub mod routes;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::events::Violation;
use crate::tenants::TenantId;

/// The most schemas one tenant may have.
pub const MAX_SCHEMAS_PER_TENANT: usize = 200;
/// The largest schema document, as JSON text.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// Violations kept per event (the first ones the validator reports).
pub const MAX_VIOLATIONS_PER_EVENT: usize = 20;
/// Examples kept per tenant and event type (the newest).
pub const MAX_EXAMPLES_PER_TYPE: usize = 20;

/// What a schema does with an event that breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Store it unchanged and count the violation.
    Observe,
    /// Store it with its `violations`, and count.
    Warn,
    /// Refuse it (422, or the batch item's error), and count.
    Block,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Observe => "observe",
            Mode::Warn => "warn",
            Mode::Block => "block",
        }
    }

    pub fn parse(raw: &str) -> Option<Mode> {
        match raw {
            "observe" => Some(Mode::Observe),
            "warn" => Some(Mode::Warn),
            "block" => Some(Mode::Block),
            _ => None,
        }
    }
}

/// What happens to an event whose type no schema matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unplanned {
    /// Accepted unchecked (the default: a tenant without schemas behaves as before).
    #[default]
    Allow,
    /// Stored with a violation saying the type has no schema.
    Warn,
    /// Refused with `unplanned_event_type`.
    Block,
}

impl Unplanned {
    pub fn as_str(self) -> &'static str {
        match self {
            Unplanned::Allow => "allow",
            Unplanned::Warn => "warn",
            Unplanned::Block => "block",
        }
    }

    pub fn parse(raw: &str) -> Option<Unplanned> {
        match raw {
            "allow" => Some(Unplanned::Allow),
            "warn" => Some(Unplanned::Warn),
            "block" => Some(Unplanned::Block),
            _ => None,
        }
    }
}

/// A tenant's schema for the event types its pattern matches, as stored and returned.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Schema {
    /// An event type, or a pattern with one `*` at its start or end (`order.*`, `*.failed`),
    /// or `*` alone.
    pub event_type: String,
    pub mode: Mode,
    /// The JSON Schema (draft 2020-12) that `metadata` must satisfy.
    #[schema(value_type = Object)]
    pub schema: Value,
    /// 1 when created, one more on every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Counts for one concrete event type over one bucket of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// Events that a schema or the unplanned policy checked.
    pub checked: u64,
    /// Of those, events with at least one violation (blocked ones included).
    pub violations: u64,
    /// Of those, events refused.
    pub blocked: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.checked += other.checked;
        self.violations += other.violations;
        self.blocked += other.blocked;
    }
}

/// One row of counts as the store keeps them: per tenant, concrete event type and minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountsRow {
    pub tenant_id: TenantId,
    pub event_type: String,
    /// The minute's start, whole seconds since the Unix epoch.
    pub minute: i64,
    pub counts: Counts,
}

/// An event that broke its schema, kept to show what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Example {
    #[serde(skip)]
    pub tenant_id: TenantId,
    #[serde(skip)]
    pub event_type: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// The stored event's id; null when it was blocked (not stored).
    pub event_id: Option<Uuid>,
    pub mode: Mode,
    pub violations: Vec<Violation>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
}

pub use crate::events::ingest::{PATTERN_RULE, is_valid_pattern, pattern_matches};

/// How specific a pattern is: exact names beat wildcards, then the longer literal part wins,
/// then a prefix beats a suffix (`order.*` over `*.created`), then the name, so that the
/// choice never depends on the order schemas were made in.
pub fn specificity(pattern: &str) -> (bool, usize, bool) {
    let exact = !pattern.contains('*');
    let literal = pattern.len() - usize::from(!exact);
    (exact, literal, pattern.ends_with('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_event_types_with_one_wildcard_at_an_end() {
        for good in [
            "order.created",
            "order.*",
            "*.failed",
            "*",
            "a",
            "page_view:v2",
        ] {
            assert!(is_valid_pattern(good), "{good}");
        }
        for bad in ["", "**", "or*der", "*order*", "order.**", "a b", "é", "*/x"] {
            assert!(!is_valid_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn patterns_match_prefixes_suffixes_and_exact_names() {
        assert!(pattern_matches("order.*", "order.created"));
        assert!(!pattern_matches("order.*", "orders.created"));
        assert!(pattern_matches("*.failed", "payment.failed"));
        assert!(!pattern_matches("*.failed", "payment.failed.twice"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("signup", "signup"));
        assert!(!pattern_matches("signup", "signup2"));
    }

    #[test]
    fn the_most_specific_pattern_ranks_highest() {
        let mut patterns = vec!["*", "order.*", "order.created", "*.created", "order.cr*"];
        patterns.sort_by_key(|p| std::cmp::Reverse(specificity(p)));
        assert_eq!(
            patterns,
            vec!["order.created", "order.cr*", "*.created", "order.*", "*"]
        );
    }
}
