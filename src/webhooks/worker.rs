//! The delivery worker: one task per instance that claims due deliveries from the store and
//! makes their attempts, until the server shuts down.
//!
//! Invariants:
//! - nothing lives only here: a delivery is a row from the moment its event commits, and an
//!   attempt's result is written before the delivery is let go. A worker that dies (SIGKILL)
//!   leaves at most leased deliveries behind, which any worker claims again once the lease
//!   (attempt timeout + a margin) has run out: delivery is at least once;
//! - a claimed delivery is attempted by this worker only; the lease keeps other workers, in
//!   this process or another, off it (on PostgreSQL the claim itself uses `FOR UPDATE SKIP
//!   LOCKED`);
//! - at most `max_concurrency` attempts are in flight, and `max_per_endpoint` to one
//!   endpoint, so that one slow receiver cannot take every slot. A claimed delivery whose
//!   endpoint is at its limit is given back at once (its lease cleared), not held.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{StatusCode, Url, header};
use serde::Serialize;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::recorder::AttemptRecorder;
use super::ssrf::{SafeResolver, check_url};
use super::{
    AttemptRecord, Claim, ClaimedDelivery, MAX_RESPONSE_BODY_BYTES, Message, NextStep, Rule,
    Signal, after_failed_attempt, disabled_reason, fairness, gone_reason, lease_duration, signing,
};
use crate::clock::Clock;
use crate::config::WebhooksConfig;
use crate::events::Event;
use crate::http::AppState;
use crate::store::DynStore;

/// Most deliveries claimed at once.
const CLAIM_BATCH: usize = 64;
/// Most endpoints with deliveries due considered by one claim (longest waiting first).
const DUE_ENDPOINTS: u32 = 256;
/// The queue gauges are refreshed at most this often (a COUNT over the waiting deliveries).
const STATS_EVERY: Duration = Duration::from_secs(5);
/// After a commit of new events the worker claims at once, but not more often than this: at
/// thousands of commits a second, one claim covers many of them.
const COMMIT_CLAIM_GAP: Duration = Duration::from_millis(20);
/// The connection phase may take at most this long (or the attempt timeout, if shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub const USER_AGENT: &str = concat!("Tributary-Webhooks/", env!("CARGO_PKG_VERSION"));

/// Starts the worker as a task that ends when `state.shutdown` is cancelled (after letting the
/// attempts in flight finish), unless `webhooks.worker` is off.
pub fn spawn(state: &AppState) -> anyhow::Result<Option<JoinHandle<()>>> {
    if !state.config.webhooks.worker {
        tracing::info!("the webhook worker is off on this instance (webhooks.worker = false)");
        return Ok(None);
    }
    let worker = Worker::new(
        state.store.clone(),
        state.clock.clone(),
        state.config.webhooks.clone(),
        state.committed.clone(),
    )?;
    Ok(Some(tokio::spawn(worker.run(state.shutdown.clone()))))
}

/// The HTTP client of deliveries: the SSRF-checking resolver, no redirects, no proxy from the
/// environment, the attempt timeout over the whole exchange (body included).
pub fn client(config: &WebhooksConfig) -> reqwest::Result<reqwest::Client> {
    let timeout = Duration::from_secs(config.attempt_timeout_secs);
    reqwest::Client::builder()
        .dns_resolver(Arc::new(SafeResolver {
            allow_private: config.allow_private_targets,
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT))
        .user_agent(USER_AGENT)
        .build()
}

pub struct Worker {
    store: DynStore,
    clock: Arc<dyn Clock>,
    config: WebhooksConfig,
    client: reqwest::Client,
    /// Names this worker's leases; new at every start, so a restarted instance does not
    /// mistake its predecessor's leases for its own.
    instance: String,
    permits: Arc<Semaphore>,
    /// Attempts in flight per endpoint.
    busy: Arc<Mutex<HashMap<Uuid, usize>>>,
    /// Writes attempt results in groups.
    recorder: AttemptRecorder,
    /// Notified by the committer when new events (and so maybe deliveries) are durable.
    committed: Arc<Notify>,
}

impl Worker {
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        config: WebhooksConfig,
        committed: Arc<Notify>,
    ) -> anyhow::Result<Arc<Worker>> {
        super::install_crypto_provider();
        let client = client(&config)?;
        Ok(Arc::new(Worker {
            store: store.clone(),
            clock,
            permits: Arc::new(Semaphore::new(config.max_concurrency)),
            config,
            client,
            instance: Uuid::new_v4().to_string(),
            busy: Arc::new(Mutex::new(HashMap::new())),
            recorder: AttemptRecorder::start(store),
            committed,
        }))
    }

    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tracing::info!(instance = %self.instance, "webhook worker started");
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        let mut in_flight = JoinSet::new();
        let mut stats_at: Option<Instant> = None;
        let mut store_failures = 0u32;
        loop {
            while in_flight.try_join_next().is_some() {}
            let cycle_started = Instant::now();
            let free = self.permits.available_permits().min(CLAIM_BATCH);
            let mut more_now = false;
            // An endpoint got its whole share: claim again when one of its attempts ends.
            let mut endpoint_limited = false;
            if free > 0 {
                match self.claim(free).await {
                    Ok((claimed, filled_a_share)) => {
                        store_failures = 0;
                        endpoint_limited = filled_a_share;
                        let full = claimed.len() == free;
                        let mut started = 0;
                        for delivery in claimed {
                            started += usize::from(self.start(delivery, &mut in_flight).await);
                        }
                        // A full batch may have left more due: claim again without waiting,
                        // unless nothing could start (endpoints at their limit).
                        more_now = full && started > 0;
                    }
                    Err(error) => {
                        store_failures = store_failures.saturating_add(1);
                        tracing::warn!(error = ?error, "claiming webhook deliveries failed");
                    }
                }
            }
            if stats_at.is_none_or(|at| at.elapsed() >= STATS_EVERY) {
                stats_at = Some(Instant::now());
                self.report_queue().await;
            }
            // Back off while the store fails, up to 10 polls.
            let pause = if more_now {
                Duration::ZERO
            } else {
                poll * store_failures.clamp(1, 10)
            };
            let saturated = self.permits.available_permits() == 0;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
                // A slot came free, of the worker or of an endpoint that has more due: look for
                // work at once rather than at the next poll.
                Some(_) = in_flight.join_next(), if saturated || endpoint_limited => {}
                // New deliveries may be due now: claim without waiting out the poll (unless
                // the store is failing), paced by COMMIT_CLAIM_GAP.
                () = self.committed.notified(), if !saturated && store_failures == 0 => {
                    tokio::time::sleep_until((cycle_started + COMMIT_CLAIM_GAP).into()).await;
                }
            }
        }
        // Attempts in flight are bounded by the attempt timeout: let them finish, so that their
        // results are recorded instead of waiting for their leases to expire.
        while in_flight.join_next().await.is_some() {}
        tracing::info!(instance = %self.instance, "webhook worker stopped");
    }

    /// Claims up to `limit` due deliveries, shared fairly among the endpoints that have some
    /// ([`fairness::shares`]), none beyond an endpoint's free room on this instance; and
    /// whether some endpoint got its whole share ([`fairness::filled_a_share`]).
    async fn claim(
        &self,
        limit: usize,
    ) -> Result<(Vec<ClaimedDelivery>, bool), crate::store::StoreError> {
        let now = self.clock.now();
        let due = self.store.due_webhook_endpoints(now, DUE_ENDPOINTS).await?;
        if due.is_empty() {
            return Ok((Vec::new(), false));
        }
        let shares = {
            let busy = self
                .busy
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            fairness::shares(&due, &busy, self.config.max_per_endpoint, limit)
        };
        if shares.is_empty() {
            // Every due endpoint is at its limit: one of their attempts ending frees room.
            return Ok((Vec::new(), true));
        }
        let lease = chrono::Duration::from_std(lease_duration(&self.config))
            .unwrap_or(chrono::Duration::seconds(60));
        let claimed = self
            .store
            .claim_webhook_deliveries(&Claim {
                instance: &self.instance,
                now,
                lease_until: now + lease,
                shares: &shares,
            })
            .await?;
        let filled = fairness::filled_a_share(&shares, claimed.iter().map(|d| d.endpoint_id));
        Ok((claimed, filled))
    }

    /// Starts the attempt of a claimed delivery, or gives it back when its endpoint is at its
    /// limit. Whether it started.
    async fn start(
        self: &Arc<Self>,
        delivery: ClaimedDelivery,
        in_flight: &mut JoinSet<()>,
    ) -> bool {
        let slot = EndpointSlot::take(
            &self.busy,
            delivery.endpoint_id,
            self.config.max_per_endpoint,
        );
        let permit = self.permits.clone().try_acquire_owned().ok();
        let (Some(slot), Some(permit)) = (slot, permit) else {
            if let Err(error) = self
                .store
                .release_webhook_delivery(delivery.id, &self.instance)
                .await
            {
                // Its lease runs out by itself.
                tracing::warn!(error = ?error, delivery_id = %delivery.id, "could not release a delivery");
            }
            return false;
        };
        let worker = self.clone();
        in_flight.spawn(async move {
            worker.process(delivery, permit, slot).await;
        });
        true
    }

    async fn process(
        &self,
        delivery: ClaimedDelivery,
        _permit: OwnedSemaphorePermit,
        _slot: EndpointSlot,
    ) {
        let attempt = self.attempt(&delivery).await;
        let finished_at = self.clock.now();
        let (next, rule) = if attempt.succeeded {
            (NextStep::Succeeded, Rule::Succeeded)
        } else {
            let signal = match attempt.status {
                Some(status) => {
                    Signal::of(status.as_u16(), attempt.retry_after.as_deref(), finished_at)
                }
                None => Signal::None,
            };
            after_failed_attempt(
                &self.config.retry_schedule_secs,
                delivery.attempts.saturating_add(1),
                finished_at,
                signal,
            )
        };
        let outcome = match next {
            NextStep::Succeeded => "succeeded",
            NextStep::RetryAt(_) => "failed",
            NextStep::Dead => "dead",
        };
        metrics::counter!("tributary_webhook_deliveries_total", "outcome" => outcome).increment(1);
        metrics::histogram!("tributary_webhook_attempt_duration_seconds")
            .record(attempt.latency.as_secs_f64());
        let last_error = attempt.summary();
        let record = AttemptRecord {
            id: Uuid::now_v7(),
            delivery_id: delivery.id,
            tenant_id: delivery.tenant_id,
            endpoint_id: delivery.endpoint_id,
            instance: self.instance.clone(),
            attempted_at: attempt.started_at,
            status_code: attempt.status.map(|status| status.as_u16()),
            error: attempt.error.map(|error| without_nul(&error)),
            latency_ms: u64::try_from(attempt.latency.as_millis()).unwrap_or(u64::MAX),
            response_body: attempt.body,
            request_headers: attempt.request.as_ref().map(|r| r.headers.clone()),
            request_body: attempt.request.map(|r| r.body),
            next,
            rule,
        };
        tracing::debug!(
            delivery_id = %delivery.id, endpoint_id = %delivery.endpoint_id, outcome,
            rule = rule.as_str(), status = ?record.status_code, error = ?record.error,
            "webhook attempt"
        );
        let health = match self.recorder.record(record).await {
            Ok(Some(health)) => health,
            // The endpoint was deleted meanwhile.
            Ok(None) => return,
            Err(error) => {
                // The lease runs out and the delivery is attempted again: at least once.
                tracing::error!(error = ?error, delivery_id = %delivery.id, "could not record a webhook attempt");
                return;
            }
        };
        let (health, enabled) = health;
        if next == NextStep::Succeeded || !enabled {
            return;
        }
        if let Some(open_for) =
            fairness::circuit_open_for(&self.config, health.consecutive_failures)
        {
            let until = finished_at + open_for;
            match self
                .store
                .open_webhook_circuit(delivery.endpoint_id, attempt.started_at, until)
                .await
            {
                Ok(()) => tracing::info!(
                    endpoint_id = %delivery.endpoint_id, failures = health.consecutive_failures,
                    %until, "webhook endpoint's circuit open"
                ),
                Err(error) => {
                    tracing::warn!(error = ?error, "could not open an endpoint's circuit")
                }
            }
        }
        if rule == Rule::Gone {
            self.disable(
                &delivery,
                health.failing_since,
                &gone_reason(finished_at),
                finished_at,
            )
            .await;
            return;
        }
        let Some(since) = health.failing_since else {
            return;
        };
        let limit = chrono::Duration::seconds(
            i64::try_from(self.config.disable_after_secs).unwrap_or(i64::MAX / 1000),
        );
        if finished_at - since < limit {
            return;
        }
        let reason = disabled_reason(since, &last_error);
        self.disable(&delivery, Some(since), &reason, finished_at)
            .await;
    }

    /// Disables the delivery's endpoint with `reason`, unless it was enabled again (or began
    /// failing anew) since `failing_since`.
    async fn disable(
        &self,
        delivery: &ClaimedDelivery,
        failing_since: Option<DateTime<Utc>>,
        reason: &str,
        at: DateTime<Utc>,
    ) {
        let Some(since) = failing_since else { return };
        match self
            .store
            .disable_webhook_endpoint(delivery.tenant_id, delivery.endpoint_id, since, reason, at)
            .await
        {
            Ok(true) => tracing::warn!(
                tenant_id = %delivery.tenant_id, endpoint_id = %delivery.endpoint_id,
                %reason, "webhook endpoint disabled"
            ),
            Ok(false) => {}
            Err(error) => tracing::error!(error = ?error, "could not disable an endpoint"),
        }
    }

    /// Makes one HTTP attempt. Never fails: what went wrong is in the result.
    async fn attempt(&self, delivery: &ClaimedDelivery) -> AttemptResult {
        let started_at = self.clock.now();
        let started = Instant::now();
        let mut result = AttemptResult {
            started_at,
            latency: Duration::ZERO,
            status: None,
            error: None,
            body: None,
            request: None,
            succeeded: false,
            retry_after: None,
        };
        let outgoing = match self.outgoing(delivery, started_at) {
            Ok(outgoing) => outgoing,
            Err(error) => {
                result.error = Some(error);
                return result;
            }
        };
        result.request = Some(outgoing.logged());
        let mut request = self.client.post(outgoing.url);
        for (name, value) in outgoing.headers {
            request = request.header(name, value);
        }
        match request.body(outgoing.body).send().await {
            Ok(mut response) => {
                let status = response.status();
                result.status = Some(status);
                result.succeeded = status.is_success();
                result.retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                if status.is_redirection() {
                    let location = response
                        .headers()
                        .get(header::LOCATION)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("");
                    result.error = Some(format!(
                        "redirects are not followed (HTTP {} to {location:?}); use the final URL",
                        status.as_u16()
                    ));
                }
                match read_prefix(&mut response, MAX_RESPONSE_BODY_BYTES).await {
                    Ok(body) => result.body = Some(body),
                    Err(error) if result.error.is_none() && !result.succeeded => {
                        result.error = Some(format!(
                            "reading the response: {}",
                            describe(&error, &self.config)
                        ));
                    }
                    Err(_) => {}
                }
            }
            Err(error) => result.error = Some(describe(&error, &self.config)),
        }
        result.latency = started.elapsed();
        result
    }

    /// The request of an attempt: the target checked, the body built and signed.
    fn outgoing(&self, delivery: &ClaimedDelivery, now: DateTime<Utc>) -> Result<Outgoing, String> {
        let url = Url::parse(&delivery.url).map_err(|error| format!("invalid URL: {error}"))?;
        // Names are checked by the resolver; IP literals never reach it.
        check_url(&url, self.config.allow_private_targets)?;
        let body = body_of(&delivery.message)
            .map_err(|error| format!("could not build the body: {error}"))?;
        let id = delivery.id.to_string();
        let timestamp = now.timestamp();
        let mut secrets = vec![delivery.secret.as_str()];
        if let Some((previous, until)) = &delivery.previous_secret
            && *until > now
        {
            secrets.push(previous);
        }
        let signature = signing::signature_header(&secrets, &id, timestamp, &body)
            .map_err(|error| error.to_string())?;
        Ok(Outgoing {
            url,
            headers: vec![
                (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
                (header::USER_AGENT.as_str(), USER_AGENT.to_owned()),
                ("webhook-id", id),
                ("webhook-timestamp", timestamp.to_string()),
                (SIGNATURE_HEADER, signature),
            ],
            body,
        })
    }

    async fn report_queue(&self) {
        match self.store.webhook_queue_stats().await {
            Ok(stats) => {
                metrics::gauge!("tributary_webhook_queue_depth").set(stats.depth as f64);
                let oldest = stats
                    .oldest_created_at
                    .map(|at| (self.clock.now() - at).num_milliseconds().max(0) as f64 / 1000.0)
                    .unwrap_or(0.0);
                metrics::gauge!("tributary_webhook_oldest_pending_seconds").set(oldest);
            }
            Err(error) => tracing::warn!(error = ?error, "could not measure the webhook queue"),
        }
    }
}

/// The body of an event delivery: `{"type", "timestamp", "data": <the event>}`.
#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: DateTime<Utc>,
    data: &'a Event,
}

/// The bytes sent (and signed). Rebuilt identically on every attempt: the event is stored as
/// it was sent, key order included.
pub fn body_of(message: &Message) -> serde_json::Result<Vec<u8>> {
    match message {
        Message::Event(event) => serde_json::to_vec(&Envelope {
            kind: &event.event_type,
            timestamp: event.timestamp,
            data: event,
        }),
        Message::Body(body) => Ok(body.clone().into_bytes()),
    }
}

const SIGNATURE_HEADER: &str = "webhook-signature";

/// One attempt's request, before it is sent: the same headers and body go out and into the
/// log (there masked), so the log shows exactly what the receiver got.
struct Outgoing {
    url: Url,
    /// Lower-case names.
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// The request as the attempt log keeps it: headers with every signature masked, the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Outgoing {
    fn logged(&self) -> LoggedRequest {
        LoggedRequest {
            headers: self
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = if *name == SIGNATURE_HEADER {
                        mask_signatures(value)
                    } else {
                        value.clone()
                    };
                    ((*name).to_owned(), value)
                })
                .collect(),
            // Serialized JSON or a stored test body: UTF-8 with NUL escaped, so in practice
            // nothing is replaced; PostgreSQL's text could not hold a raw NUL.
            body: without_nul(&String::from_utf8_lossy(&self.body)),
        }
    }
}

/// `v1,<base64> v1,<base64>` → `v1,<redacted> v1,<redacted>`: how many signatures went out
/// (two during a secret rotation) and their version, and nothing derived from a secret (a
/// signature is an HMAC under it, with which anyone reading the log could test guesses).
pub fn mask_signatures(header: &str) -> String {
    header
        .split(' ')
        .map(|signature| match signature.split_once(',') {
            Some((version, _)) => format!("{version},<redacted>"),
            None => "<redacted>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct AttemptResult {
    started_at: DateTime<Utc>,
    latency: Duration,
    status: Option<StatusCode>,
    error: Option<String>,
    body: Option<String>,
    /// What was sent; `None` when the request could not be built.
    request: Option<LoggedRequest>,
    succeeded: bool,
    /// The response's `Retry-After`, as sent.
    retry_after: Option<String>,
}

impl AttemptResult {
    /// For `disabled_reason`: the error, or the status.
    fn summary(&self) -> String {
        match (&self.error, self.status) {
            (Some(error), _) => error.clone(),
            (None, Some(status)) => format!("HTTP {}", status.as_u16()),
            (None, None) => "no response".to_owned(),
        }
    }
}

/// Reads at most `limit` bytes of the body and drops the rest, as text (invalid UTF-8 and NUL,
/// which PostgreSQL's text cannot hold, replaced).
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> reqwest::Result<String> {
    let mut kept = Vec::new();
    while kept.len() < limit {
        match response.chunk().await? {
            Some(chunk) => {
                let take = chunk.len().min(limit - kept.len());
                kept.extend_from_slice(&chunk[..take]);
            }
            None => break,
        }
    }
    Ok(without_nul(&String::from_utf8_lossy(&kept)))
}

fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

/// A failed exchange in words for the attempt log: the timeout, or the innermost cause (our
/// resolver's refusal, "Connection refused"…), never the URL (it may hold credentials).
fn describe(error: &reqwest::Error, config: &WebhooksConfig) -> String {
    if error.is_timeout() {
        return format!("timed out after {} s", config.attempt_timeout_secs);
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let cause = innermost.to_string();
    if error.is_connect() {
        format!("could not connect: {cause}")
    } else if error.is_request() || error.is_body() {
        format!("request failed: {cause}")
    } else {
        cause
    }
}

/// One attempt's place in its endpoint's in-flight count; given back on drop.
struct EndpointSlot {
    busy: Arc<Mutex<HashMap<Uuid, usize>>>,
    endpoint: Uuid,
}

impl EndpointSlot {
    fn take(busy: &Arc<Mutex<HashMap<Uuid, usize>>>, endpoint: Uuid, max: usize) -> Option<Self> {
        // A std mutex: held for a map update only, never across an await.
        let mut counts = busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(endpoint).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(EndpointSlot {
            busy: busy.clone(),
            endpoint,
        })
    }
}

impl Drop for EndpointSlot {
    fn drop(&mut self) {
        let mut counts = self
            .busy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.endpoint) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.endpoint);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenants::TenantId;

    #[test]
    fn an_event_is_wrapped_with_its_type_and_timestamp() {
        let event = Event {
            id: Uuid::nil(),
            tenant_id: TenantId(Uuid::nil()),
            event_type: "order.paid".into(),
            timestamp: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            received_at: DateTime::from_timestamp(1_700_000_001, 0).unwrap(),
            metadata: serde_json::from_str(r#"{"z":1,"a":2}"#).unwrap(),
            event_id: None,
            violations: Vec::new(),
        };
        let body: serde_json::Value =
            serde_json::from_slice(&body_of(&Message::Event(event)).unwrap()).unwrap();
        assert_eq!(body["type"], "order.paid");
        assert_eq!(body["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(body["data"]["event_type"], "order.paid");
        assert_eq!(body["data"]["received_at"], "2023-11-14T22:13:21Z");
        assert_eq!(body["data"]["event_id"], serde_json::Value::Null);
        let keys: Vec<&String> = body["data"]["metadata"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["z", "a"], "metadata keeps its key order");
    }

    #[test]
    fn the_logged_request_masks_every_signature_and_keeps_the_rest() {
        assert_eq!(
            mask_signatures("v1,abc= v1,def="),
            "v1,<redacted> v1,<redacted>"
        );
        assert_eq!(mask_signatures("garbage"), "<redacted>");
        let outgoing = Outgoing {
            url: Url::parse("https://example.com/hook").unwrap(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("webhook-id", "id-1".to_owned()),
                (SIGNATURE_HEADER, "v1,c2lnbmF0dXJl".to_owned()),
            ],
            body: br#"{"type":"signup"}"#.to_vec(),
        };
        let logged = outgoing.logged();
        assert_eq!(logged.headers["webhook-signature"], "v1,<redacted>");
        assert_eq!(logged.headers["webhook-id"], "id-1");
        assert_eq!(logged.headers["content-type"], "application/json");
        assert_eq!(logged.body, r#"{"type":"signup"}"#);
        assert!(!format!("{logged:?}").contains("c2lnbmF0dXJl"));
    }

    #[test]
    fn endpoint_slots_are_limited_and_given_back() {
        let busy = Arc::new(Mutex::new(HashMap::new()));
        let endpoint = Uuid::new_v4();
        let first = EndpointSlot::take(&busy, endpoint, 2).unwrap();
        let _second = EndpointSlot::take(&busy, endpoint, 2).unwrap();
        assert!(EndpointSlot::take(&busy, endpoint, 2).is_none());
        assert!(EndpointSlot::take(&busy, Uuid::new_v4(), 2).is_some());
        drop(first);
        assert!(EndpointSlot::take(&busy, endpoint, 2).is_some());
    }
}
