//! The in-process bus: one broadcast channel per tenant that has subscribers. The channel's
//! capacity is the per-client queue bound of the live stream: every receiver shares the same
//! ring, so an idle connection costs no buffer of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::{Bus, BusEvent, Notice};
use crate::tenants::TenantId;

pub struct LocalBus {
    capacity: usize,
    /// A std mutex: held for a map lookup, never across an await.
    channels: Mutex<HashMap<TenantId, broadcast::Sender<Arc<BusEvent>>>>,
    notices: broadcast::Sender<Notice>,
}

/// Notices waiting for a slow receiver; past this it is told it lagged (and resyncs).
const NOTICE_BUFFER: usize = 1024;

impl LocalBus {
    pub fn new(capacity: usize) -> Self {
        LocalBus {
            capacity: capacity.max(1),
            channels: Mutex::new(HashMap::new()),
            notices: broadcast::channel(NOTICE_BUFFER).0,
        }
    }
}

impl Bus for LocalBus {
    fn publish(&self, events: Vec<Arc<BusEvent>>) {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for event in events {
            let Some(sender) = channels.get(&event.tenant_id) else {
                continue;
            };
            if sender.send(event.clone()).is_err() {
                // Nobody listens to this tenant any more: forget its channel.
                channels.remove(&event.tenant_id);
            }
        }
    }

    fn wants(&self, tenant: TenantId) -> bool {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&tenant)
            .is_some_and(|sender| sender.receiver_count() > 0)
    }

    fn subscribe(&self, tenant: TenantId) -> broadcast::Receiver<Arc<BusEvent>> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        channels
            .entry(tenant)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    fn notify(&self, notice: Notice) {
        // No receiver is not an error: nothing is cached yet.
        let _ = self.notices.send(notice);
    }

    fn notices(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(tenant: TenantId, n: u32) -> Arc<BusEvent> {
        Arc::new(BusEvent {
            tenant_id: tenant,
            id: Uuid::now_v7(),
            event_type: format!("e{n}"),
            frame: "{}".into(),
        })
    }

    #[tokio::test]
    async fn subscribers_get_only_their_tenants_events() {
        let bus = LocalBus::new(8);
        let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
        let mut from_a = bus.subscribe(a);
        bus.publish(vec![event(b, 1), event(a, 2)]);
        assert_eq!(from_a.recv().await.unwrap().event_type, "e2");
        assert!(from_a.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_receiver_that_falls_behind_is_told_how_many_it_missed() {
        let bus = LocalBus::new(4);
        let tenant = TenantId(Uuid::now_v7());
        let mut slow = bus.subscribe(tenant);
        bus.publish((0..10).map(|n| event(tenant, n)).collect());
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(6))
        ));
        assert_eq!(slow.recv().await.unwrap().event_type, "e6");
    }

    #[test]
    fn a_tenant_is_wanted_only_while_someone_subscribes() {
        let bus = LocalBus::new(4);
        let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
        assert!(!bus.wants(a));
        let subscriber = bus.subscribe(a);
        assert!(bus.wants(a) && !bus.wants(b));
        drop(subscriber);
        assert!(!bus.wants(a), "the last subscriber left");
    }
}
