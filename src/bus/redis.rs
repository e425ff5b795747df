//! The shared bus of the scaled mode: Redis pub/sub between instances, on top of the local
//! bus within each instance.
//!
//! An instance hands its committed events to its own subscribers at once (through the local
//! bus) and publishes them to Redis for the others; what arrives from Redis is handed to the
//! local bus unless this instance sent it. Publishing goes through a queue to a background
//! task, so ingestion never waits for Redis. The subscriber reconnects by itself when Redis
//! goes away and comes back.
//!
//! Semantics while Redis is away: events are still committed and reach subscribers on the
//! instance that ingested them; subscribers on other instances miss them live, and get them
//! by reconnecting with `since` (which reads the database).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use futures::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::local::LocalBus;
use super::{Bus, BusEvent, Notice};
use crate::tenants::TenantId;

/// Batches of events waiting to be published; past this, batches are dropped (and counted).
const PUBLISH_QUEUE: usize = 1024;

pub struct RedisBus {
    local: Arc<LocalBus>,
    outbox: mpsc::Sender<Outgoing>,
}

/// What the publisher task sends to Redis.
enum Outgoing {
    Events(Vec<Arc<BusEvent>>),
    Notice(Notice),
}

/// Whether the subscription to Redis is up, for `/ready` and metrics.
#[derive(Clone, Default)]
pub struct RedisBusHealth(Arc<AtomicBool>);

impl RedisBusHealth {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
        metrics::gauge!("tributary_redis_bus_up").set(if up { 1.0 } else { 0.0 });
    }
}

impl RedisBus {
    /// Starts the publisher and subscriber tasks; they end when `stop` is cancelled.
    pub fn start(
        client: redis::Client,
        connection: ConnectionManager,
        prefix: &str,
        buffer: usize,
        stop: CancellationToken,
    ) -> (RedisBus, RedisBusHealth) {
        let local = Arc::new(LocalBus::new(buffer));
        let instance = Uuid::now_v7().to_string();
        let health = RedisBusHealth::default();
        let (outbox, queued) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(publish_loop(
            connection,
            prefix.to_owned(),
            instance.clone(),
            queued,
            stop.clone(),
        ));
        tokio::spawn(subscribe_loop(
            client,
            prefix.to_owned(),
            instance,
            local.clone(),
            health.clone(),
            stop,
        ));
        (RedisBus { local, outbox }, health)
    }
}

impl Bus for RedisBus {
    /// Another instance's subscribers are not known here.
    fn wants(&self, _tenant: TenantId) -> bool {
        true
    }

    fn publish(&self, events: Vec<Arc<BusEvent>>) {
        if events.is_empty() {
            return;
        }
        self.local.publish(events.clone());
        if self.outbox.try_send(Outgoing::Events(events)).is_err() {
            metrics::counter!("tributary_redis_errors_total", "operation" => "publish_queue_full")
                .increment(1);
        }
    }

    fn subscribe(&self, tenant: TenantId) -> broadcast::Receiver<Arc<BusEvent>> {
        self.local.subscribe(tenant)
    }

    fn notify(&self, notice: Notice) {
        self.local.notify(notice);
        if self.outbox.try_send(Outgoing::Notice(notice)).is_err() {
            metrics::counter!("tributary_redis_errors_total", "operation" => "publish_queue_full")
                .increment(1);
            tracing::warn!(
                ?notice,
                "could not queue a notice for Redis; other instances will miss it"
            );
        }
    }

    fn notices(&self) -> broadcast::Receiver<Notice> {
        self.local.notices()
    }
}

fn notices_channel(prefix: &str) -> String {
    format!("{prefix}:notices")
}

/// `instance \n kind \n tenant`.
fn encode_notice(instance: &str, notice: Notice) -> String {
    match notice {
        Notice::SchemasChanged(tenant) => format!("{instance}\nschemas\n{tenant}"),
        Notice::PrivacyChanged(tenant) => format!("{instance}\nprivacy\n{tenant}"),
        Notice::CredentialsChanged(tenant) => format!("{instance}\ncredentials\n{tenant}"),
        Notice::Resync => format!("{instance}\nresync\n"),
    }
}

fn decode_notice(payload: &str) -> Option<(&str, Notice)> {
    let mut parts = payload.splitn(3, '\n');
    let instance = parts.next()?;
    let notice = match (parts.next()?, parts.next()?) {
        ("schemas", tenant) => Notice::SchemasChanged(TenantId(Uuid::parse_str(tenant).ok()?)),
        ("privacy", tenant) => Notice::PrivacyChanged(TenantId(Uuid::parse_str(tenant).ok()?)),
        ("credentials", tenant) => {
            Notice::CredentialsChanged(TenantId(Uuid::parse_str(tenant).ok()?))
        }
        ("resync", _) => Notice::Resync,
        _ => return None,
    };
    Some((instance, notice))
}

fn channel(prefix: &str, tenant: TenantId) -> String {
    format!("{prefix}:events:{tenant}")
}

/// `instance \n tenant \n id \n event_type \n frame`: none of the first four can hold a
/// newline, and the frame is JSON (newlines inside strings are escaped).
fn encode(instance: &str, event: &BusEvent) -> String {
    format!(
        "{instance}\n{}\n{}\n{}\n{}",
        event.tenant_id,
        event.id,
        event.event_type,
        event.frame.as_str()
    )
}

fn decode(payload: &str) -> Option<(&str, BusEvent)> {
    let mut parts = payload.splitn(5, '\n');
    let instance = parts.next()?;
    let tenant = TenantId(Uuid::parse_str(parts.next()?).ok()?);
    let id = Uuid::parse_str(parts.next()?).ok()?;
    let event_type = parts.next()?.to_owned();
    let frame = Utf8Bytes::from(parts.next()?);
    Some((
        instance,
        BusEvent {
            tenant_id: tenant,
            id,
            event_type,
            frame,
        },
    ))
}

async fn publish_loop(
    mut connection: ConnectionManager,
    prefix: String,
    instance: String,
    mut queued: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    loop {
        let outgoing = tokio::select! {
            () = stop.cancelled() => return,
            outgoing = queued.recv() => match outgoing { Some(outgoing) => outgoing, None => return },
        };
        let batch = match outgoing {
            Outgoing::Events(batch) => batch,
            Outgoing::Notice(notice) => {
                let sent = tokio::time::timeout(
                    Duration::from_secs(2),
                    redis::cmd("PUBLISH")
                        .arg(notices_channel(&prefix))
                        .arg(encode_notice(&instance, notice))
                        .query_async::<()>(&mut connection),
                )
                .await;
                if !matches!(sent, Ok(Ok(()))) {
                    metrics::counter!("tributary_redis_errors_total", "operation" => "publish")
                        .increment(1);
                    tracing::warn!(
                        ?notice,
                        "could not publish a notice to Redis; other instances will miss it"
                    );
                }
                continue;
            }
        };
        let mut pipe = redis::pipe();
        for event in &batch {
            pipe.publish(channel(&prefix, event.tenant_id), encode(&instance, event))
                .ignore();
        }
        let sent = tokio::time::timeout(
            Duration::from_secs(2),
            pipe.query_async::<()>(&mut connection),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            metrics::counter!("tributary_redis_errors_total", "operation" => "publish")
                .increment(1);
            tracing::warn!(
                events = batch.len(),
                "could not publish events to Redis; other instances will miss them live"
            );
        }
    }
}

async fn subscribe_loop(
    client: redis::Client,
    prefix: String,
    instance: String,
    local: Arc<LocalBus>,
    health: RedisBusHealth,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.psubscribe(format!("{prefix}:events:*")).await?;
            pubsub.subscribe(notices_channel(&prefix)).await?;
            health.set(true);
            // Notices sent while the subscription was down are lost: caches start over.
            local.notify(Notice::Resync);
            backoff = Duration::from_millis(100);
            let notices = notices_channel(&prefix);
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(payload) = std::str::from_utf8(message.get_payload_bytes()) else {
                    continue;
                };
                if message.get_channel_name() == notices {
                    match decode_notice(payload) {
                        Some((sender, _)) if sender == instance => {}
                        Some((_, notice)) => local.notify(notice),
                        None => tracing::warn!("ignored a malformed notice on the Redis bus"),
                    }
                    continue;
                }
                match decode(payload) {
                    Some((sender, _)) if sender == instance => {}
                    Some((_, event)) => local.publish(vec![Arc::new(event)]),
                    None => tracing::warn!("ignored a malformed message on the Redis bus"),
                }
            }
            Ok::<(), redis::RedisError>(())
        };
        tokio::select! {
            () = stop.cancelled() => return,
            result = session => {
                health.set(false);
                if let Err(error) = result {
                    tracing::warn!(%error, "Redis bus subscription lost; reconnecting");
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_the_wire_encoding() {
        let event = BusEvent {
            tenant_id: TenantId(Uuid::now_v7()),
            id: Uuid::now_v7(),
            event_type: "page_view".into(),
            frame: r#"{"type":"event","data":{"metadata":{"text":"two\nlines"}}}"#.into(),
        };
        let encoded = encode("instance-a", &event);
        let (instance, decoded) = decode(&encoded).unwrap();
        assert_eq!(instance, "instance-a");
        assert_eq!((decoded.tenant_id, decoded.id), (event.tenant_id, event.id));
        assert_eq!(decoded.event_type, "page_view");
        assert_eq!(decoded.frame, event.frame);
        assert!(decode("garbage").is_none());
    }

    #[test]
    fn notices_round_trip_through_the_wire_encoding() {
        let tenant = TenantId(Uuid::now_v7());
        for notice in [
            Notice::SchemasChanged(tenant),
            Notice::PrivacyChanged(tenant),
            Notice::CredentialsChanged(tenant),
            Notice::Resync,
        ] {
            let encoded = encode_notice("instance-b", notice);
            assert_eq!(decode_notice(&encoded), Some(("instance-b", notice)));
        }
        assert!(decode_notice("x\nschemas\nnot-a-uuid").is_none());
        assert!(decode_notice("x\nother\n").is_none());
    }
}
