//! Events: validation of what senders post, durable ingestion with group commit, listing with
//! keyset pagination, and statistics. Everything here is scoped by [`TenantId`].

pub mod committer;
pub mod ingest;
pub mod query;
pub mod rollup;
pub mod routes;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::tenants::TenantId;

/// A stored event, in the wire format of SPEC §4 wherever it is returned.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Event {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// The client's idempotency key, or null.
    pub event_id: Option<String>,
    /// What the event's schema found wrong with it, when the schema is in `warn` mode (or
    /// the event type has none and the tenant warns about unplanned types). Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

/// One way an event breaks its schema (see [`crate::schemas`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
pub struct Violation {
    /// Where in `metadata`, as a JSON Pointer (`/user/plan`; `""` is the metadata itself).
    pub path: String,
    pub message: String,
}

/// What the store writes for one accepted event. The id is assigned by the committer in
/// commit order, so ids of one instance are increasing in the order events became durable.
/// It serializes exactly as the [`Event`] it becomes (the live stream renders it as is).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub metadata: Map<String, Value>,
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

impl NewEvent {
    pub fn to_event(&self) -> Event {
        self.clone().into_event()
    }

    pub fn into_event(self) -> Event {
        Event {
            id: self.id,
            tenant_id: self.tenant_id,
            event_type: self.event_type,
            timestamp: self.timestamp,
            received_at: self.received_at,
            metadata: self.metadata,
            event_id: self.event_id,
            violations: self.violations,
        }
    }
}

/// The result of inserting one event: its id, and whether an earlier event with the same
/// client `event_id` already held that id (in which case nothing new was stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertOutcome {
    pub id: Uuid,
    pub duplicate: bool,
}

/// Filters for listing and stats. `from` is inclusive, `to` exclusive; both on `timestamp`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub event_types: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `meta.a.b=v`: the metadata value at path `["a","b"]`, rendered as text, equals `v`.
    /// Strings compare by their content, numbers and booleans by their JSON text.
    pub meta: Vec<(Vec<String>, String)>,
    /// `meta.a.b!=v`: the event has no value at the path that `meta` would compare equal to
    /// `v`. Events lacking the key (or holding null, an object or an array there) match, as
    /// PostHog's "is not" does: excluding `plan=pro` keeps the events without a plan.
    pub meta_not: Vec<(Vec<String>, String)>,
    /// `q`: the event matches this full-text query (see [`crate::textquery`]).
    pub text: Option<crate::textquery::Query>,
    /// `violations=true|false`: only events that carry violations, or only those that don't.
    pub violations: Option<bool>,
}

/// Position after which the next page starts, in the list order (timestamp desc, id desc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    pub timestamp: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsInterval {
    Minute,
    Hour,
    Day,
}

impl StatsInterval {
    pub fn seconds(self) -> i64 {
        match self {
            StatsInterval::Minute => 60,
            StatsInterval::Hour => 3_600,
            StatsInterval::Day => 86_400,
        }
    }
}

/// The most frequent values of one metadata key (`group_by=meta.<key>`), from the store.
/// Values are rendered as the metadata filters compare them: strings by their content,
/// numbers and booleans by their JSON text; null, objects and arrays are not values here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueCounts {
    /// `(value, count)`, most frequent first, ties by value; at most the limit asked for.
    pub top: Vec<(String, u64)>,
    /// Matching events that have a value at the key, the ones in `top` included.
    pub with_key: u64,
}

/// Raw counts from the store; buckets are sparse (only those with events), keyed by the
/// bucket's start in whole seconds since the Unix epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub total: u64,
    pub by_type: Vec<(String, u64)>,
    pub buckets: Vec<(i64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_event_serializes_as_the_event_it_becomes() {
        let mut metadata = Map::new();
        metadata.insert("plan".into(), Value::from("pro"));
        let mut event = NewEvent {
            id: Uuid::now_v7(),
            tenant_id: TenantId(Uuid::now_v7()),
            event_type: "signup".into(),
            timestamp: Utc::now(),
            received_at: Utc::now(),
            metadata,
            event_id: Some("e-1".into()),
            violations: Vec::new(),
        };
        let same = |event: &NewEvent| {
            serde_json::to_value(event).unwrap() == serde_json::to_value(event.to_event()).unwrap()
        };
        assert!(same(&event), "without violations");
        event.violations.push(Violation {
            path: "/plan".into(),
            message: "not allowed".into(),
        });
        assert!(same(&event), "with violations");
    }
}
