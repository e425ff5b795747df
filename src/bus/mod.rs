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

use crate::events::NewEvent;
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
    pub fn render(event: &NewEvent) -> Result<BusEvent, serde_json::Error> {
        #[derive(serde::Serialize)]
        struct Frame<'a> {
            r#type: &'static str,
            data: &'a NewEvent,
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

/// A change that every instance must act on, carried beside the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The tenant's schemas or schema policy changed: drop what was compiled from them.
    SchemasChanged(TenantId),
    /// The tenant's redaction policy changed: drop its compiled redactor.
    PrivacyChanged(TenantId),
    /// One of the tenant's keys was revoked, or the tenant changed (status, rate limit): drop
    /// its cached keys.
    CredentialsChanged(TenantId),
    /// Notices may have been missed (the shared bus was away): drop every such cache.
    Resync,
}

pub trait Bus: Send + Sync + 'static {
    /// Hands committed events to every subscriber of their tenants. Never blocks on them.
    fn publish(&self, events: Vec<Arc<BusEvent>>);

    /// Whether the tenant's events may have a subscriber anywhere (false only when that is
    /// known not to be so), so that nobody's events are rendered for nobody.
    fn wants(&self, tenant: TenantId) -> bool;

    /// A receiver of the tenant's events from now on. Its buffer is shared and bounded: a
    /// receiver that falls behind by more than the buffer loses the oldest events and is told
    /// how many (`RecvError::Lagged`).
    fn subscribe(&self, tenant: TenantId) -> broadcast::Receiver<Arc<BusEvent>>;

    /// Tells every instance, this one included, about a change. Never blocks.
    fn notify(&self, notice: Notice);

    /// A receiver of notices from now on.
    fn notices(&self) -> broadcast::Receiver<Notice>;
}

pub type DynBus = Arc<dyn Bus>;
