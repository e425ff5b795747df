//! One WebSocket connection: replay (for `since`), then live events, client messages, pings
//! and shutdown, in one task. Writes have a timeout, so a client that stops reading is closed
//! instead of holding anything up; the bus never waits for this task.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use uuid::Uuid;

use super::{CLOSE_GOING_AWAY, CLOSE_PING_TIMEOUT, CLOSE_TOO_BIG, CLOSE_TOO_SLOW};
use crate::bus::BusEvent;
use crate::events::ingest::is_valid_event_type;
use crate::http::AppState;
use crate::tenants::TenantId;

/// Stored events are replayed in pages of this many.
const REPLAY_PAGE: u32 = 1000;
/// Ready live events written before one flush, to save syscalls at high rates.
const WRITE_BATCH: usize = 64;

pub struct SessionParams {
    pub tenant: TenantId,
    pub event_types: Vec<String>,
    pub since: Option<Uuid>,
}

/// Why a session ended early: the client went away, or we closed it with a code.
enum End {
    Gone,
    Close(u16, &'static str),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    Subscribe { event_types: Vec<String> },
}

struct Writer {
    sink: SplitSink<WebSocket, Message>,
    timeout: Duration,
}

impl Writer {
    async fn feed(&mut self, message: Message) -> Result<(), End> {
        match tokio::time::timeout(self.timeout, self.sink.feed(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(too_slow_to_write()),
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        match tokio::time::timeout(self.timeout, self.sink.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(too_slow_to_write()),
        }
    }

    async fn send(&mut self, message: Message) -> Result<(), End> {
        self.feed(message).await?;
        self.flush().await
    }

    async fn send_json(&mut self, value: serde_json::Value) -> Result<(), End> {
        self.send(Message::Text(value.to_string().into())).await
    }

    /// Best effort: a client that is not reading may never get the frame.
    async fn close(mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            self.sink.send(Message::Close(Some(frame))),
        )
        .await;
    }
}

fn too_slow_to_write() -> End {
    metrics::counter!("tributary_ws_closed_slow_total").increment(1);
    End::Close(CLOSE_TOO_SLOW, "client too slow")
}

/// Counts the events a client missed in the current minute.
struct MissedWindow {
    started: Instant,
    missed: u64,
    limit: u64,
}

impl MissedWindow {
    /// Records `n` more missed events; false when the limit for this minute is passed.
    fn record(&mut self, n: u64) -> bool {
        if self.started.elapsed() >= Duration::from_secs(60) {
            self.started = Instant::now();
            self.missed = 0;
        }
        self.missed += n;
        self.missed <= self.limit
    }
}

struct ConnectionGauge;

impl ConnectionGauge {
    fn open() -> Self {
        metrics::gauge!("tributary_ws_connections").increment(1.0);
        ConnectionGauge
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        metrics::gauge!("tributary_ws_connections").decrement(1.0);
    }
}

pub async fn run(socket: WebSocket, state: AppState, params: SessionParams) {
    let _gauge = ConnectionGauge::open();
    let config = state.config.stream.clone();
    let (sink, mut incoming) = socket.split();
    let mut writer = Writer {
        sink,
        timeout: Duration::from_secs(config.send_timeout_secs),
    };
    let mut filter = params.event_types;
    let mut missed = MissedWindow {
        started: Instant::now(),
        missed: 0,
        limit: config.max_missed_per_minute,
    };

    // The resume handoff. We subscribe to the bus *before* reading the store, so every event
    // committed from here on is queued for us; the store read then returns everything
    // committed before it ran. An event committed in between is in both, and is recognised by
    // its id among those replayed: no gap, no duplicate, even while ingestion runs.
    let mut live = state.bus.subscribe(params.tenant);
    let mut replayed: HashSet<Uuid> = HashSet::new();
    if let Some(since) = params.since {
        match replay(
            &state,
            &mut writer,
            &params.tenant,
            since,
            &filter,
            config.max_replay,
        )
        .await
        {
            Ok(ids) => replayed = ids,
            Err(End::Gone) => return,
            Err(End::Close(code, reason)) => return writer.close(code, reason).await,
        }
    }
    let handoff_done = Instant::now();
    if writer
        .send_json(serde_json::json!({"type": "subscribed", "event_types": filter}))
        .await
        .is_err()
    {
        return;
    }

    let mut ping = tokio::time::interval(Duration::from_secs(config.ping_interval_secs));
    ping.tick().await; // the first tick is immediate
    let mut awaiting_pong = false;
    let shutdown = state.shutdown.clone();
    let linger = Duration::from_millis(config.flush_linger_ms);

    let end = loop {
        // Replayed ids only matter while events from before the handoff can still arrive.
        if !replayed.is_empty() && handoff_done.elapsed() > Duration::from_secs(60) {
            replayed = HashSet::new();
        }
        tokio::select! {
            () = shutdown.cancelled() => break End::Close(CLOSE_GOING_AWAY, "server shutting down"),
            received = live.recv() => {
                let lag = match received {
                    Ok(event) => forward(&mut writer, &mut live, event, &filter, &mut replayed, linger).await,
                    Err(RecvError::Lagged(n)) => Ok(Some(n)),
                    Err(RecvError::Closed) => Err(End::Close(CLOSE_GOING_AWAY, "stream closed")),
                };
                let result = match lag {
                    Ok(Some(n)) => report_lag(&mut writer, &mut missed, n).await,
                    Ok(None) => Ok(()),
                    Err(end) => Err(end),
                };
                if let Err(end) = result {
                    break end;
                }
            }
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let reply = match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Subscribe { event_types }) => {
                            if let Some(bad) = event_types.iter().find(|t| !is_valid_event_type(t)) {
                                serde_json::json!({"type": "error", "code": "validation_error",
                                    "message": format!("invalid event type {bad:?}: 1-128 chars of [A-Za-z0-9_.:-]")})
                            } else {
                                filter = event_types;
                                serde_json::json!({"type": "subscribed", "event_types": filter})
                            }
                        }
                        Err(_) => serde_json::json!({"type": "error", "code": "validation_error",
                            "message": "expected {\"type\":\"subscribe\",\"event_types\":[...]}"}),
                    };
                    if let Err(end) = writer.send_json(reply).await {
                        break end;
                    }
                }
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                Some(Err(error)) if is_too_big(&error) => {
                    break End::Close(CLOSE_TOO_BIG, "message too big");
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break End::Gone,
                // Pings are answered by the WebSocket layer; binary frames are ignored.
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if awaiting_pong {
                    break End::Close(CLOSE_PING_TIMEOUT, "ping not answered");
                }
                awaiting_pong = true;
                if let Err(end) = writer.send(Message::Ping(Default::default())).await {
                    break end;
                }
            }
        }
    };
    if let End::Close(code, reason) = end {
        writer.close(code, reason).await;
    }
}

fn wanted(filter: &[String], event: &BusEvent) -> bool {
    filter.is_empty() || filter.contains(&event.event_type)
}

/// Tells the client it missed `n` events, or closes it when it misses too many.
async fn report_lag(writer: &mut Writer, missed: &mut MissedWindow, n: u64) -> Result<(), End> {
    metrics::counter!("tributary_ws_lagged_events_total").increment(n);
    if missed.record(n) {
        writer
            .send_json(serde_json::json!({"type": "lagged", "missed": n}))
            .await
    } else {
        metrics::counter!("tributary_ws_closed_slow_total").increment(1);
        Err(End::Close(CLOSE_TOO_SLOW, "client too slow"))
    }
}

/// Writes one live event and whatever else is already waiting, then flushes once. Returns
/// how many events were missed if the receiver turned out to have lagged meanwhile.
async fn forward(
    writer: &mut Writer,
    live: &mut tokio::sync::broadcast::Receiver<Arc<BusEvent>>,
    first: Arc<BusEvent>,
    filter: &[String],
    replayed: &mut HashSet<Uuid>,
    linger: Duration,
) -> Result<Option<u64>, End> {
    let deadline = tokio::time::Instant::now() + linger;
    let mut next = Some(first);
    let mut written = 0;
    let mut lagged = None;
    while let Some(event) = next.take() {
        let duplicate = !replayed.is_empty() && replayed.remove(&event.id);
        if !duplicate && wanted(filter, &event) {
            writer.feed(Message::Text(event.frame.clone())).await?;
            written += 1;
        }
        if written < WRITE_BATCH {
            match live.try_recv() {
                Ok(event) => next = Some(event),
                Err(TryRecvError::Lagged(n)) => lagged = Some(n),
                // Nothing ready: wait out the linger for more, so that one flush (one
                // syscall) carries several events when they come in quick succession.
                Err(TryRecvError::Empty) if !linger.is_zero() => {
                    match tokio::time::timeout_at(deadline, live.recv()).await {
                        Ok(Ok(event)) => next = Some(event),
                        Ok(Err(RecvError::Lagged(n))) => lagged = Some(n),
                        Ok(Err(RecvError::Closed)) | Err(_) => {}
                    }
                }
                // A close is seen by the caller's next recv.
                Err(TryRecvError::Empty | TryRecvError::Closed) => {}
            }
        }
    }
    if written > 0 {
        metrics::counter!("tributary_ws_messages_sent_total").increment(written as u64);
        writer.flush().await?;
    }
    Ok(lagged)
}

/// Sends the stored events committed after `since`, oldest first, at most `max_replay` of
/// them; returns their ids. When more than that many follow `since`, the client is told
/// (`replay_truncated`) and goes live after the first `max_replay`.
async fn replay(
    state: &AppState,
    writer: &mut Writer,
    tenant: &TenantId,
    since: Uuid,
    filter: &[String],
    max_replay: u32,
) -> Result<HashSet<Uuid>, End> {
    let mut ids = HashSet::new();
    let mut after = since;
    loop {
        // One more than may be sent: finding it is how we know the gap is longer.
        let wanted = (max_replay as usize + 1 - ids.len()).min(REPLAY_PAGE as usize);
        let page = match state
            .store
            .events_after(*tenant, after, filter, wanted as u32)
            .await
        {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(?error, "stream replay failed");
                let _ = writer
                    .send_json(serde_json::json!({"type": "error", "code": "unavailable",
                        "message": "stored events could not be read; reconnect to retry"}))
                    .await;
                return Err(End::Close(CLOSE_GOING_AWAY, "storage unavailable"));
            }
        };
        let last_page = page.len() < wanted;
        for event in page {
            if ids.len() == max_replay as usize {
                writer.flush().await?;
                writer
                    .send_json(serde_json::json!({"type": "error", "code": "replay_truncated",
                        "message": format!("more than {max_replay} events were committed after `since`; \
                            the rest of that gap can be read with GET /api/v1/events")}))
                    .await?;
                return Ok(ids);
            }
            let frame = serde_json::json!({"type": "event", "data": event});
            writer.feed(Message::Text(frame.to_string().into())).await?;
            after = event.id;
            ids.insert(event.id);
        }
        writer.flush().await?;
        if last_page {
            return Ok(ids);
        }
    }
}

/// Whether a read failed because the client's message was over the size limit (the socket is
/// still usable to say so with 1009).
fn is_too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|inner| matches!(inner, tungstenite::Error::Capacity(_)))
}
