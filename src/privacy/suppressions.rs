//! Suppressions: subjects whose future events are dropped at ingest, until the suppression is
//! removed. A dropped event is answered as accepted (an SDK that saw an error would retry
//! it forever), is never stored, streamed, delivered or counted in the schema counts, and is
//! counted on its suppression (`dropped`) and in `tributary_events_suppressed_total`.
//!
//! Invariants: the pipeline checks suppressions before any other step that looks at
//! metadata, so they match what the sender sent (before redaction hashes a `user_id`); a
//! tenant without suppressions costs nothing beyond the privacy cache's one lookup.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::subject::Subject;
use crate::tenants::TenantId;

/// Most suppressions one tenant holds: each is checked against every event.
pub const MAX_PER_TENANT: usize = 10_000;
/// Longest reason.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone)]
pub struct Suppression {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub subject: Subject,
    pub reason: Option<String>,
    /// Events dropped so far.
    pub dropped: u64,
    pub last_dropped_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What the pipeline needs of a tenant's suppressions: which one (if any) an event hits.
#[derive(Debug, Default)]
pub struct Suppressions {
    subjects: Vec<(Uuid, Subject)>,
}

impl Suppressions {
    pub fn new(list: Vec<Suppression>) -> Suppressions {
        Suppressions {
            subjects: list.into_iter().map(|s| (s.id, s.subject)).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// The first suppression whose subject the event belongs to.
    pub fn hit(&self, metadata: &serde_json::Map<String, serde_json::Value>) -> Option<Uuid> {
        self.subjects
            .iter()
            .find(|(_, subject)| subject.matches(metadata))
            .map(|(id, _)| *id)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn suppression(subject: serde_json::Value) -> Suppression {
        Suppression {
            id: Uuid::now_v7(),
            tenant_id: TenantId(Uuid::nil()),
            subject: Subject::parse("match", subject.as_object().unwrap()).unwrap(),
            reason: None,
            dropped: 0,
            last_dropped_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_event_hits_the_suppression_of_its_subject_only() {
        let a = suppression(json!({"meta.user_id": "u-1"}));
        let b = suppression(json!({"meta.user_id": "u-2", "meta.app": "web"}));
        let (a_id, b_id) = (a.id, b.id);
        let list = Suppressions::new(vec![a, b]);
        let event = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert_eq!(list.hit(&event(json!({"user_id": "u-1"}))), Some(a_id));
        assert_eq!(
            list.hit(&event(json!({"user_id": "u-2", "app": "web"}))),
            Some(b_id)
        );
        assert_eq!(list.hit(&event(json!({"user_id": "u-2"}))), None);
        assert_eq!(list.hit(&event(json!({"user_id": "u-3"}))), None);
        assert!(Suppressions::default().is_empty());
    }
}
