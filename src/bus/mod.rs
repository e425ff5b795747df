//! Fan-out of committed events to live subscribers, behind a trait so that the in-process
//! implementation (embedded mode) and a shared one (Redis, scaled mode) are interchangeable.
//!
//! Invariants: an event is published only after it is committed (the committer publishes),
//! so a subscriber never sees an event that a reader of the API could not find; and
//! publishing never waits for subscribers, so a slow client cannot slow ingestion.

pub mod local;
pub mod redis;

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::events::Event;
use crate::tenants::TenantId;

/// One committed event as the bus carries it: rendered once into the WebSocket message,
/// so that a thousand subscribers do not serialize it a thousand times.
#[derive(Debug, Clone)]
pub struct BusEvent {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub event_type: String,
    /// `{"type":"event","data":<event in the wire format>}`.
    pub frame: Utf8Bytes,
}

impl BusEvent {
    pub fn render(event: &Event) -> Result<BusEvent, serde_json::Error> {
        #[derive(serde::Serialize)]
        struct Frame<'a> {
            r#type: &'static str,
            data: &'a Event,
        }
        let frame = serde_json::to_string(&Frame {
            r#type: "event",
            data: event,
        })?;
        Ok(BusEvent {
            tenant_id: event.tenant_id,
            id: event.id,
            event_type: event.event_type.clone(),
            frame: frame.into(),
        })
    }
}

pub trait Bus: Send + Sync + 'static {
    /// Hands committed events to every subscriber of their tenants. Never blocks on them.
    fn publish(&self, events: Vec<Arc<BusEvent>>);

    /// A receiver of the tenant's events from now on. Its buffer is shared and bounded: a
    /// receiver that falls behind by more than the buffer loses the oldest events and is told
    /// how many (`RecvError::Lagged`).
    fn subscribe(&self, tenant: TenantId) -> broadcast::Receiver<Arc<BusEvent>>;
}

pub type DynBus = Arc<dyn Bus>;
