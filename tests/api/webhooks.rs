//! Webhooks end to end, against real HTTP receivers: a tiny axum server on 127.0.0.1 that
//! records every request and answers as the test scripts it. Signatures are checked here from
//! the Standard Webhooks definition, not with the server's code. The tests turn
//! `webhooks.allow_private_targets` on (their receivers are on loopback), except the SSRF
//! ones. The store-level cases at the end run against both stores.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;
use tributary::config::Config;
use tributary::startup::Application;

use crate::helpers::{
    ADMIN_TOKEN, TestApp, assert_error, postgres_backend, spawn_app_with, test_config,
};
use crate::pg::{TestDatabase, fresh_database};
use crate::process::{ServerProcess, serve};

// --- a receiver ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Received {
    headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The status the receiver answered.
    answered: u16,
}

#[derive(Default)]
struct ReceiverState {
    requests: Mutex<Vec<Received>>,
    /// Statuses to answer first, in order; then `default`.
    script: Mutex<VecDeque<u16>>,
    default: AtomicU16,
    delay_ms: AtomicU64,
    /// A `Retry-After` value to send with every answer.
    retry_after: Mutex<Option<String>>,
}

/// An HTTP server on 127.0.0.1 that records requests; stops when dropped. The durability
/// tests' kill loop uses it too.
pub(crate) struct Receiver {
    pub(crate) url: String,
    state: Arc<ReceiverState>,
    stop: CancellationToken,
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> (AxumStatus, HeaderMap, String) {
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| state.default.load(Ordering::SeqCst));
    state.requests.lock().unwrap().push(Received {
        headers,
        body,
        answered: status,
    });
    let retry_after = state.retry_after.lock().unwrap().clone();
    let mut headers = HeaderMap::new();
    if let Some(value) = retry_after {
        headers.insert("retry-after", value.parse().unwrap());
    }
    (
        AxumStatus::from_u16(status).unwrap(),
        headers,
        format!("answered {status}"),
    )
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::serve(listener)
    }

    /// Starts on an address chosen earlier (the "down, then up" case), retrying briefly in
    /// case the port is still being released.
    async fn start_on(address: SocketAddr) -> Receiver {
        for _ in 0..50 {
            if let Ok(listener) = tokio::net::TcpListener::bind(address).await {
                return Receiver::serve(listener);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not bind {address} again");
    }

    fn serve(listener: tokio::net::TcpListener) -> Receiver {
        let address = listener.local_addr().unwrap();
        let state = Arc::new(ReceiverState::default());
        state.default.store(200, Ordering::SeqCst);
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(state.clone());
        let stop = CancellationToken::new();
        let stopped = stop.clone().cancelled_owned();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
        });
        Receiver {
            url: format!("http://{address}/hook"),
            state,
            stop,
        }
    }

    pub(crate) fn answer(&self, status: u16) {
        self.state.default.store(status, Ordering::SeqCst);
    }

    pub(crate) fn script(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    fn retry_after(&self, value: &str) {
        *self.state.retry_after.lock().unwrap() = Some(value.to_owned());
    }

    pub(crate) fn delay(&self, millis: u64) {
        self.state.delay_ms.store(millis, Ordering::SeqCst);
    }

    pub(crate) fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The bodies received so far, as text.
    pub(crate) fn bodies(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|request| String::from_utf8_lossy(&request.body).into_owned())
            .collect()
    }

    pub(crate) fn count(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub(crate) fn header<'a>(request: &'a Received, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} is missing"))
        .to_str()
        .unwrap()
}

/// Body as JSON.
fn json_of(request: &Received) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

// --- Standard Webhooks verification, from the specification ---------------------------------

/// Verifies a delivery as a receiver would: the signed content is `{id}.{timestamp}.{body}`,
/// the HMAC-SHA256 key is the base64 after `whsec_`, the header holds space-separated
/// `v1,<base64>` signatures of which one must match, and the timestamp must be recent.
fn verify(secret: &str, id: &str, timestamp: &str, signatures: &str, body: &[u8]) -> bool {
    let Ok(seconds) = timestamp.parse::<i64>() else {
        return false;
    };
    if (Utc::now().timestamp() - seconds).abs() > 300 {
        return false;
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    signatures
        .split(' ')
        .any(|signature| signature.strip_prefix("v1,") == Some(expected.as_str()))
}

fn verify_request(secret: &str, request: &Received) -> bool {
    verify(
        secret,
        header(request, "webhook-id"),
        header(request, "webhook-timestamp"),
        header(request, "webhook-signature"),
        &request.body,
    )
}

// --- helpers ---------------------------------------------------------------------------------

/// Fast retries and polling; receivers on loopback allowed.
pub(crate) fn fast(config: &mut Config) {
    config.webhooks.allow_private_targets = true;
    config.webhooks.poll_interval_ms = 20;
    config.webhooks.retry_schedule_secs = vec![1, 1, 1];
    config.webhooks.attempt_timeout_secs = 2;
}

async fn fast_app() -> TestApp {
    spawn_app_with(fast).await
}

/// Polls `check` every 25 ms until it gives a value, or fails the test after `timeout`.
pub(crate) async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the receiver has `n` requests and returns them.
pub(crate) async fn received(receiver: &Receiver, n: usize, timeout: Duration) -> Vec<Received> {
    eventually(&format!("{n} requests"), timeout, || async {
        let requests = receiver.requests();
        (requests.len() >= n).then_some(requests)
    })
    .await
}

/// Creates an endpoint; returns (id, secret).
pub(crate) async fn create_endpoint(
    app: &TestApp,
    credential: &str,
    body: Value,
) -> (String, String) {
    let response = app
        .post("/api/v1/webhooks", credential)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn deliveries(
    app: &TestApp,
    credential: &str,
    endpoint: &str,
    query: &str,
) -> Vec<Value> {
    let (status, body) = app
        .get_json(
            &format!("/api/v1/webhooks/{endpoint}/deliveries?{query}"),
            credential,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

/// Waits until the endpoint's deliveries all have the given status and there are `n`.
async fn deliveries_in(
    app: &TestApp,
    credential: &str,
    endpoint: &str,
    n: usize,
    status: &str,
    timeout: Duration,
) -> Vec<Value> {
    eventually(&format!("{n} deliveries {status}"), timeout, || async {
        let list = deliveries(app, credential, endpoint, "").await;
        (list.len() == n && list.iter().all(|d| d["status"] == status)).then_some(list)
    })
    .await
}

fn patch(app: &TestApp, path: &str, credential: &str) -> reqwest::RequestBuilder {
    app.client
        .patch(app.url(path))
        .header("X-API-Key", credential)
}

fn delete(app: &TestApp, path: &str, credential: &str) -> reqwest::RequestBuilder {
    app.client
        .delete(app.url(path))
        .header("X-API-Key", credential)
}

// --- delivery --------------------------------------------------------------------------------

#[tokio::test]
async fn a_delivery_is_signed_the_standard_webhooks_way_and_carries_the_event() {
    let app = fast_app().await;
    let tenant = app.create_tenant("signed").await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) =
        create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert!(key.len() >= 24, "the secret carries at least 24 bytes");

    let event_id = app
        .ingest_ok(
            &tenant.key,
            json!({"event_type": "order.paid", "timestamp": "2024-01-15T10:30:00Z",
                   "metadata": {"zeta": 1, "alpha": {"b": [1, 2]}}}),
        )
        .await;
    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);

    assert_eq!(header(&request, "content-type"), "application/json");
    assert!(header(&request, "user-agent").starts_with("Tributary-Webhooks/"));
    let timestamp: i64 = header(&request, "webhook-timestamp").parse().unwrap();
    assert!((Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(
        verify_request(&secret, &request),
        "the signature verifies with the endpoint's secret"
    );

    // Changing the body or the timestamp breaks the signature.
    let mut tampered = request.body.to_vec();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert!(!verify(
        &secret,
        header(&request, "webhook-id"),
        header(&request, "webhook-timestamp"),
        header(&request, "webhook-signature"),
        &tampered
    ));
    assert!(!verify(
        &secret,
        header(&request, "webhook-id"),
        &(timestamp + 1).to_string(),
        header(&request, "webhook-signature"),
        &request.body
    ));
    let other_secret = format!("whsec_{}", STANDARD.encode([7u8; 32]));
    assert!(!verify_request(&other_secret, &request));

    // The body is the event in the API's wire format, wrapped with its type and timestamp.
    let (_, stored) = app
        .get_json(&format!("/api/v1/events/{event_id}"), &tenant.key)
        .await;
    let body = json_of(&request);
    assert_eq!(body["type"], "order.paid");
    assert_eq!(body["timestamp"], "2024-01-15T10:30:00Z");
    assert_eq!(body["data"], stored);
    let raw = std::str::from_utf8(&request.body).unwrap();
    assert!(
        raw.find("\"zeta\"").unwrap() < raw.find("\"alpha\"").unwrap(),
        "metadata keeps its key order: {raw}"
    );

    // The log shows one successful attempt under the id the receiver saw.
    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    let delivery = &log[0];
    assert_eq!(delivery["id"], header(&request, "webhook-id"));
    assert_eq!(delivery["event_id"], event_id);
    assert_eq!(delivery["event_type"], "order.paid");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let attempt = &delivery["attempt_log"][0];
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["error"], Value::Null);
    assert_eq!(attempt["response_body"], "answered 200");
    assert!(attempt["latency_ms"].is_u64());

    let (_, endpoint_view) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .await;
    assert!(
        endpoint_view["last_success_at"].is_string(),
        "{endpoint_view}"
    );
    assert_eq!(endpoint_view["consecutive_failures"], 0);
    assert!(
        endpoint_view.get("secret").is_none(),
        "the secret is not shown again"
    );

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "tributary_webhook_deliveries_total{outcome=\"succeeded\"}",
        "tributary_webhook_attempt_duration_seconds_bucket",
        "tributary_webhook_queue_depth",
        "tributary_webhook_oldest_pending_seconds",
    ] {
        assert!(metrics.contains(name), "{name} in /metrics");
    }
    assert!(
        !metrics.contains(&tenant.id),
        "no tenant id in metric labels"
    );
}

#[tokio::test]
async fn a_receiver_answering_500_twice_then_200_gets_three_attempts_and_one_success() {
    let app = fast_app().await;
    let tenant = app.create_tenant("flaky").await;
    let receiver = Receiver::start().await;
    receiver.script(&[500, 500]);
    let (endpoint, secret) =
        create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;

    let requests = received(&receiver, 3, Duration::from_secs(10)).await;
    let statuses: Vec<u16> = requests.iter().map(|r| r.answered).collect();
    assert_eq!(statuses, [500, 500, 200]);
    let ids: HashSet<&str> = requests.iter().map(|r| header(r, "webhook-id")).collect();
    assert_eq!(ids.len(), 1, "the webhook-id is the same on every retry");
    assert!(requests.iter().all(|r| verify_request(&secret, r)));
    assert!(
        requests.windows(2).all(|w| w[0].body == w[1].body),
        "every attempt sends the same body"
    );

    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(log[0]["attempts"], 3);
    let attempts = log[0]["attempt_log"].as_array().unwrap();
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    assert_eq!(attempts[0]["response_body"], "answered 500");
    let times: Vec<DateTime<Utc>> = attempts
        .iter()
        .map(|a| a["attempted_at"].as_str().unwrap().parse().unwrap())
        .collect();
    for pair in times.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        assert!(gap >= 700, "retries wait their (jittered) delay: {gap} ms");
    }
    let (_, view) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .await;
    assert_eq!(view["consecutive_failures"], 0);
    assert!(view["last_failure_at"].is_string());
    assert!(view["last_success_at"].is_string());
    assert_eq!(view["failing_since"], Value::Null);
}

#[tokio::test]
async fn a_delivery_waits_for_a_receiver_that_is_down_and_arrives_when_it_comes_up() {
    let app = fast_app().await;
    let tenant = app.create_tenant("down-then-up").await;
    // A port nobody listens on yet.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (endpoint, secret) = create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": format!("http://{address}/hook") }),
    )
    .await;
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;

    let failed = eventually("a failed attempt", Duration::from_secs(10), || async {
        let list = deliveries(&app, &tenant.key, &endpoint, "").await;
        list.first().filter(|d| d["status"] == "failed").cloned()
    })
    .await;
    let error = failed["attempt_log"][0]["error"].as_str().unwrap();
    assert!(error.contains("connect"), "{error}");
    assert_eq!(failed["attempt_log"][0]["status_code"], Value::Null);

    let receiver = Receiver::start_on(address).await;
    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);
    assert!(verify_request(&secret, &request));
    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    assert!(log[0]["attempts"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn event_type_filters_choose_what_an_endpoint_receives() {
    let app = fast_app().await;
    let tenant = app.create_tenant("filters").await;
    let orders = Receiver::start().await;
    let everything = Receiver::start().await;
    create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": orders.url, "event_types": ["order.paid", "order.refunded"] }),
    )
    .await;
    create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": everything.url, "event_types": [] }),
    )
    .await;
    let patterns = Receiver::start().await;
    create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": patterns.url, "event_types": ["order.paid*", "*.refunded"] }),
    )
    .await;
    for (bad, index) in [(json!(["order.*", "or*der"]), 1), (json!(["**"]), 0)] {
        let response = app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&json!({ "url": patterns.url, "event_types": bad }))
            .send()
            .await
            .unwrap();
        let field = format!("event_types[{index}]");
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field.as_str()),
        )
        .await;
    }
    for event_type in ["order.paid", "signup", "order.refunded", "order.paid.v2"] {
        app.ingest_ok(&tenant.key, json!({ "event_type": event_type }))
            .await;
    }
    let all = received(&everything, 4, Duration::from_secs(10)).await;
    let mut types: Vec<String> = all
        .iter()
        .map(|r| json_of(r)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["order.paid", "order.paid.v2", "order.refunded", "signup"]
    );
    let filtered = received(&orders, 2, Duration::from_secs(10)).await;
    // The unfiltered endpoint got all four, so the filtered one has had its chance too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut types: Vec<String> = orders
        .requests()
        .iter()
        .map(|r| json_of(r)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["order.paid", "order.refunded"], "{filtered:?}");
    let mut types: Vec<String> = patterns
        .requests()
        .iter()
        .map(|r| json_of(r)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["order.paid", "order.paid.v2", "order.refunded"]);
}

#[tokio::test]
async fn a_disabled_endpoint_receives_nothing_until_it_is_enabled_again() {
    let app = fast_app().await;
    let tenant = app.create_tenant("disabled").await;
    let off = Receiver::start().await;
    let on = Receiver::start().await;
    let (off_id, _) = create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": off.url, "enabled": false }),
    )
    .await;
    create_endpoint(&app, &tenant.key, json!({ "url": on.url })).await;

    app.ingest_ok(&tenant.key, json!({"event_type": "while.disabled"}))
        .await;
    received(&on, 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(off.count(), 0, "a disabled endpoint gets nothing");
    assert!(deliveries(&app, &tenant.key, &off_id, "").await.is_empty());
    let response = app
        .post(&format!("/api/v1/webhooks/{off_id}/test"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::CONFLICT, "conflict", None).await;

    let response = patch(&app, &format!("/api/v1/webhooks/{off_id}"), &tenant.key)
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.ingest_ok(&tenant.key, json!({"event_type": "after.enabling"}))
        .await;
    let requests = received(&off, 1, Duration::from_secs(10)).await;
    assert_eq!(json_of(&requests[0])["type"], "after.enabling");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        off.count(),
        1,
        "events from while it was disabled are not sent"
    );
}

#[tokio::test]
async fn sending_a_test_event_delivers_a_signed_webhook_test() {
    let app = fast_app().await;
    let tenant = app.create_tenant("test-event").await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) =
        create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    let response = app
        .post(&format!("/api/v1/webhooks/{endpoint}/test"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["event_type"], "webhook.test");
    assert_eq!(queued["event_id"], Value::Null);

    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);
    assert!(verify_request(&secret, &request));
    assert_eq!(header(&request, "webhook-id"), queued["id"]);
    let body = json_of(&request);
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["endpoint_id"], endpoint);
    deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn a_dead_delivery_can_be_retried_by_hand_and_keeps_its_webhook_id() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.retry_schedule_secs = vec![];
    })
    .await;
    let tenant = app.create_tenant("manual-retry").await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;
    let dead = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "dead",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(dead[0]["attempts"], 1, "an empty schedule means no retries");
    assert_eq!(
        deliveries(&app, &tenant.key, &endpoint, "status=dead")
            .await
            .len(),
        1
    );
    assert!(
        deliveries(&app, &tenant.key, &endpoint, "status=succeeded")
            .await
            .is_empty()
    );

    receiver.answer(204);
    let delivery_id = dead[0]["id"].as_str().unwrap();
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint}/deliveries/{delivery_id}/retry"),
            &tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending");

    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(log[0]["attempts"], 2);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        header(&requests[0], "webhook-id"),
        header(&requests[1], "webhook-id")
    );

    let unknown = uuid::Uuid::now_v7();
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint}/deliveries/{unknown}/retry"),
            &tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn receivers_signals_are_honoured_a_410_disables_and_retry_after_delays_within_the_schedule()
{
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.retry_schedule_secs = vec![5, 60, 600];
    })
    .await;
    let tenant = app.create_tenant("signals").await;
    let receiver = |status: u16, retry_after: Option<&'static str>| async move {
        let receiver = Receiver::start().await;
        receiver.answer(status);
        if let Some(value) = retry_after {
            receiver.retry_after(value);
        }
        receiver
    };
    let cases = [
        (receiver(410, None).await, "gone", None),
        (receiver(429, Some("120")).await, "retry_after", Some(120.0)),
        // Later than the schedule's longest delay: that delay instead.
        (
            receiver(503, Some("Fri, 01 Jan 2100 00:00:00 GMT")).await,
            "retry_after_capped",
            Some(600.0),
        ),
        // Sooner than the schedule's delay: the schedule wins (5 s, ±20%).
        (receiver(503, Some("1")).await, "schedule", None),
        // Retry-After means nothing on a 500.
        (receiver(500, Some("120")).await, "schedule", None),
    ];
    let mut endpoints = Vec::new();
    for (receiver, _, _) in &cases {
        let (endpoint, _) =
            create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
        endpoints.push(endpoint);
    }
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;

    for ((_, rule, wait), endpoint) in cases.iter().zip(&endpoints) {
        let delivery = eventually(
            "the first attempt recorded",
            Duration::from_secs(10),
            || async {
                let (_, log) = app
                    .get_json(
                        &format!("/api/v1/webhooks/{endpoint}/deliveries"),
                        &tenant.key,
                    )
                    .await;
                let delivery = log["deliveries"][0].clone();
                (delivery["attempts"] == 1).then_some(delivery)
            },
        )
        .await;
        let attempt = &delivery["attempt_log"][0];
        assert_eq!(attempt["rule"], *rule, "{delivery}");
        let at = |value: &Value| {
            DateTime::parse_from_rfc3339(value.as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        let delay =
            (at(&delivery["next_attempt_at"]) - at(&attempt["attempted_at"])).as_seconds_f64();
        match wait {
            Some(expected) => assert!(
                (expected - 0.5..expected + 2.0).contains(&delay),
                "{rule}: retried after {delay} s, not {expected} s"
            ),
            None => assert!(
                (3.9..6.5).contains(&delay),
                "{rule}: retried after {delay} s"
            ),
        }
    }

    // The 410 disabled its endpoint at once, saying why; the others stay enabled.
    let (_, gone) = app
        .get_json(&format!("/api/v1/webhooks/{}", endpoints[0]), &tenant.key)
        .await;
    assert_eq!(gone["enabled"], false, "{gone}");
    assert!(
        gone["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410 Gone"),
        "{gone}"
    );
    for endpoint in &endpoints[1..] {
        let (_, view) = app
            .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
            .await;
        assert_eq!(view["enabled"], true, "{view}");
    }
}

#[tokio::test]
async fn an_endpoint_that_fails_every_attempt_for_too_long_is_disabled_and_says_why() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.disable_after_secs = 1;
        config.webhooks.retry_schedule_secs = vec![1, 1, 1, 1, 1];
    })
    .await;
    let tenant = app.create_tenant("failing").await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;

    let view = eventually("the endpoint disabled", Duration::from_secs(10), || async {
        let (_, view) = app
            .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
            .await;
        (view["enabled"] == false).then_some(view)
    })
    .await;
    let reason = view["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("failed since"), "{reason}");
    assert!(reason.contains("HTTP 500"), "{reason}");
    assert!(view["consecutive_failures"].as_u64().unwrap() >= 2);
    assert!(view["failing_since"].is_string());

    // Nothing more is attempted while disabled.
    let seen = receiver.count();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.count(), seen);

    // Enabling clears the record; the pending delivery goes out again.
    receiver.answer(200);
    let response = patch(&app, &format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["enabled"], true);
    assert_eq!(view["disabled_reason"], Value::Null);
    assert_eq!(view["consecutive_failures"], 0);
    deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(10),
    )
    .await;
}

// --- the endpoint API ------------------------------------------------------------------------

#[tokio::test]
async fn endpoints_are_created_listed_updated_rotated_and_deleted() {
    let app = fast_app().await;
    let tenant = app.create_tenant("crud").await;
    let receiver = Receiver::start().await;
    let response = app
        .post("/api/v1/webhooks", &tenant.key)
        .json(&json!({
            "url": receiver.url, "description": "orders to billing",
            "event_types": ["order.paid", "order.paid", "a.first"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(created["tenant_id"], tenant.id);
    assert_eq!(created["event_types"], json!(["a.first", "order.paid"]));
    assert_eq!(created["description"], "orders to billing");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["disabled_reason"], Value::Null);
    assert_eq!(created["consecutive_failures"], 0);

    let (status, list) = app.get_json("/api/v1/webhooks", &tenant.key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["endpoints"].as_array().unwrap().len(), 1);
    assert!(list["endpoints"][0].get("secret").is_none());

    // The admin names the tenant.
    let (status, _) = app.get_json("/api/v1/webhooks", ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, admin_view) = app
        .get_json(
            &format!("/api/v1/webhooks/{id}?tenant_id={}", tenant.id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(admin_view["id"], id);
    let (admin_id, _) = create_endpoint(
        &app,
        ADMIN_TOKEN,
        json!({ "tenant_id": tenant.id, "url": receiver.url, "enabled": false }),
    )
    .await;
    let response = delete(
        &app,
        &format!("/api/v1/webhooks/{admin_id}?tenant_id={}", tenant.id),
        ADMIN_TOKEN,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let response = patch(&app, &format!("/api/v1/webhooks/{id}"), &tenant.key)
        .json(&json!({ "event_types": [], "description": "everything" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["event_types"], json!([]));
    assert_eq!(updated["description"], "everything");
    assert_eq!(updated["url"], receiver.url);

    // Rotation: a new secret; for a while the old one signs too.
    let response = app
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: Value = response.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_expires_at"].is_string());
    app.ingest_ok(&tenant.key, json!({"event_type": "after.rotation"}))
        .await;
    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);
    assert_eq!(
        header(&request, "webhook-signature").split(' ').count(),
        2,
        "signed with the new and the previous secret"
    );
    assert!(verify_request(&new_secret, &request));
    assert!(verify_request(&secret, &request));

    let response = delete(&app, &format!("/api/v1/webhooks/{id}"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &tenant.key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"), &tenant.key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = delete(&app, &format!("/api/v1/webhooks/{id}"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

#[tokio::test]
async fn bad_endpoint_input_is_refused_with_the_field_at_fault() {
    let app = fast_app().await;
    let tenant = app.create_tenant("bad-input").await;
    for (body, field) in [
        (json!({}), None),
        (json!({ "url": "ftp://example.com/" }), Some("url")),
        (json!({ "url": "not a url" }), Some("url")),
        (
            json!({ "url": "https://example.com/", "event_types": ["ok", "not ok"] }),
            Some("event_types[1]"),
        ),
        (
            json!({ "url": "https://example.com/", "description": "x".repeat(501) }),
            Some("description"),
        ),
        (
            json!({ "url": "https://example.com/", "secret": "mine" }),
            None,
        ),
    ] {
        let response = app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            field,
        )
        .await;
    }
    let (status, body) = app
        .get_json("/api/v1/webhooks/not-a-uuid", &tenant.key)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (id, _) =
        create_endpoint(&app, &tenant.key, json!({ "url": "https://example.com/" })).await;
    for (query, field) in [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("cursor=%21", "cursor"),
    ] {
        let response = app
            .get(
                &format!("/api/v1/webhooks/{id}/deliveries?{query}"),
                &tenant.key,
            )
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
}

#[tokio::test]
async fn the_delivery_log_pages_newest_first() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.worker = false;
    })
    .await;
    let tenant = app.create_tenant("log-pages").await;
    let (endpoint, _) =
        create_endpoint(&app, &tenant.key, json!({ "url": "https://example.com/" })).await;
    let events: Vec<Value> = (0..7)
        .map(|i| json!({"event_type": "t", "metadata": {"i": i}}))
        .collect();
    let response = app
        .ingest_batch(&tenant.key, json!({ "events": events }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get_json(
                &format!("/api/v1/webhooks/{endpoint}/deliveries?limit=3{cursor}"),
                &tenant.key,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for delivery in page["deliveries"].as_array().unwrap() {
            assert_eq!(delivery["status"], "pending", "no worker runs");
            assert_eq!(delivery["attempts"], 0);
            seen.push(delivery["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut newest_first = seen.clone();
    newest_first.sort();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "ids are time-ordered: newest first");
}

#[tokio::test]
async fn the_delivery_log_finds_an_events_deliveries_by_its_id() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.worker = false;
    })
    .await;
    let tenant = app.create_tenant("log-search").await;
    let (endpoint, _) =
        create_endpoint(&app, &tenant.key, json!({ "url": "https://example.com/" })).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.ingest_ok(
                &tenant.key,
                json!({"event_type": "t", "metadata": {"i": i}}),
            )
            .await,
        );
    }

    let found = deliveries(
        &app,
        &tenant.key,
        &endpoint,
        &format!("event_id={}", ids[1]),
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["event_id"], ids[1].as_str());
    let found = deliveries(
        &app,
        &tenant.key,
        &endpoint,
        &format!("event_id={}&status=succeeded", ids[1]),
    )
    .await;
    assert!(found.is_empty(), "filters combine: it is pending");
    let unknown = uuid::Uuid::now_v7();
    assert!(
        deliveries(&app, &tenant.key, &endpoint, &format!("event_id={unknown}"))
            .await
            .is_empty()
    );
    let response = app
        .get(
            &format!("/api/v1/webhooks/{endpoint}/deliveries?event_id=not-an-id"),
            &tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("event_id"),
    )
    .await;
}

/// Every attempt in the endpoint's delivery log: (2xx, latency).
async fn logged_attempts(app: &TestApp, key: &str, endpoint: &str) -> Vec<(bool, u64)> {
    deliveries(app, key, endpoint, "limit=100")
        .await
        .iter()
        .flat_map(|d| d["attempt_log"].as_array().unwrap().clone())
        .map(|a| {
            let code = a["status_code"].as_u64().unwrap_or(0);
            (
                (200..300).contains(&code),
                a["latency_ms"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_endpoints_stats_count_its_attempts_with_the_success_rate_and_latencies() {
    let app = fast_app().await;
    let tenant = app.create_tenant("hook-stats").await;
    let receiver = Receiver::start().await;
    let (endpoint, _) = create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;

    // Three quick successes, then a slower receiver that fails.
    for i in 0..3 {
        app.ingest_ok(
            &tenant.key,
            json!({"event_type": "ok", "metadata": {"i": i}}),
        )
        .await;
    }
    deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        3,
        "succeeded",
        Duration::from_secs(10),
    )
    .await;
    receiver.answer(500);
    receiver.delay(40);
    for i in 0..2 {
        app.ingest_ok(
            &tenant.key,
            json!({"event_type": "ko", "metadata": {"i": i}}),
        )
        .await;
    }
    received(&receiver, 5, Duration::from_secs(10)).await;
    // Disabled, so that no retry lands between reading the log and the stats.
    let response = patch(&app, &format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (log, stats) = eventually("a settled log", Duration::from_secs(10), || async {
        let before = logged_attempts(&app, &tenant.key, &endpoint).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, stats) = app
            .get_json(&format!("/api/v1/webhooks/{endpoint}/stats"), &tenant.key)
            .await;
        assert_eq!(status, StatusCode::OK, "{stats}");
        let after = logged_attempts(&app, &tenant.key, &endpoint).await;
        (before.len() == after.len() && after.len() >= 5).then_some((after, stats))
    })
    .await;

    let total = log.len() as u64;
    let ok = log.iter().filter(|(ok, _)| *ok).count() as u64;
    assert_eq!(ok, 3);
    assert_eq!(stats["attempts"], total, "{stats}");
    assert_eq!(stats["succeeded"], 3, "{stats}");
    assert_eq!(stats["failed"], total - 3, "{stats}");
    let rate = stats["success_rate"].as_f64().unwrap();
    assert!((rate - 3.0 / total as f64).abs() < 1e-9, "{stats}");
    assert_eq!(stats["bucket_seconds"], 3600);
    let buckets = stats["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 25, "a day in hours, and the current one");
    let sum: u64 = buckets
        .iter()
        .map(|b| b["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, total);
    let recent: u64 = buckets[23..]
        .iter()
        .map(|b| b["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        recent, total,
        "all in the current hour (or the one before, at a turn)"
    );
    assert_eq!(buckets[0]["attempts"], 0);
    assert_eq!(buckets[0]["latency_p50_ms"], Value::Null);
    let from: DateTime<Utc> = stats["from"].as_str().unwrap().parse().unwrap();
    let to: DateTime<Utc> = stats["to"].as_str().unwrap().parse().unwrap();
    assert!(to - from >= chrono::Duration::hours(24) && to - from < chrono::Duration::hours(25));

    let fastest = log.iter().map(|(_, ms)| *ms).min().unwrap();
    let slowest = log.iter().map(|(_, ms)| *ms).max().unwrap();
    let p50 = stats["latency_p50_ms"].as_u64().unwrap();
    let p95 = stats["latency_p95_ms"].as_u64().unwrap();
    assert!(
        fastest <= p50 && p50 <= p95 && p95 <= slowest,
        "{stats} {log:?}"
    );
    assert!(p95 >= 35, "the slow failures show in the p95: {stats}");

    let (status, hour) = app
        .get_json(
            &format!("/api/v1/webhooks/{endpoint}/stats?hours=1"),
            &tenant.key,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hour["bucket_seconds"], 300);
    assert_eq!(hour["buckets"].as_array().unwrap().len(), 13);
    assert_eq!(hour["attempts"], total);
    let (_, week) = app
        .get_json(
            &format!("/api/v1/webhooks/{endpoint}/stats?hours=168"),
            &tenant.key,
        )
        .await;
    assert!(week["buckets"].as_array().unwrap().len() <= 49, "{week}");
}

#[tokio::test]
async fn an_endpoints_stats_are_its_tenants_own_and_a_bad_window_is_refused() {
    let app = spawn_app_with(|config| {
        fast(config);
        config.webhooks.worker = false;
    })
    .await;
    let a = app.create_tenant("stats-a").await;
    let b = app.create_tenant("stats-b").await;
    let (endpoint, _) =
        create_endpoint(&app, &a.key, json!({ "url": "https://example.com/" })).await;

    let (status, empty) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}/stats"), &a.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["attempts"], 0);
    assert_eq!(empty["success_rate"], Value::Null);
    assert_eq!(empty["latency_p95_ms"], Value::Null);
    assert_eq!(empty["buckets"].as_array().unwrap().len(), 25);

    let response = app
        .get(&format!("/api/v1/webhooks/{endpoint}/stats"), &b.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let (status, _) = app
        .get_json(
            &format!("/api/v1/webhooks/{endpoint}/stats?tenant_id={}", a.id),
            ADMIN_TOKEN,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the admin names the tenant");

    for hours in ["0", "721", "x", "1.5"] {
        let response = app
            .get(
                &format!("/api/v1/webhooks/{endpoint}/stats?hours={hours}"),
                &a.key,
            )
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("hours"),
        )
        .await;
    }
}

// --- tenants ---------------------------------------------------------------------------------

#[tokio::test]
async fn tenants_never_receive_or_touch_each_others_webhooks() {
    let app = fast_app().await;
    let a = app.create_tenant("tenant-a").await;
    let b = app.create_tenant("tenant-b").await;
    let receiver_a = Receiver::start().await;
    let receiver_b = Receiver::start().await;
    let (endpoint_a, _) = create_endpoint(&app, &a.key, json!({ "url": receiver_a.url })).await;
    let (endpoint_b, _) = create_endpoint(&app, &b.key, json!({ "url": receiver_b.url })).await;

    // One batch per tenant, committed together or not: each goes to its own tenant only.
    let (first, second) = tokio::join!(
        app.ingest_batch(
            &a.key,
            json!({"events": [{"event_type": "a.one"}, {"event_type": "a.two"}]})
        ),
        app.ingest_batch(&b.key, json!({"events": [{"event_type": "b.one"}]})),
    );
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    let got_a = received(&receiver_a, 2, Duration::from_secs(10)).await;
    let got_b = received(&receiver_b, 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver_a.count(), 2);
    assert_eq!(receiver_b.count(), 1);
    assert!(
        got_a
            .iter()
            .all(|r| json_of(r)["data"]["tenant_id"] == a.id)
    );
    assert!(
        got_b
            .iter()
            .all(|r| json_of(r)["data"]["tenant_id"] == b.id)
    );

    // A's credential cannot see or touch B's endpoint or its deliveries: 404, as if absent.
    let b_delivery = deliveries(&app, &b.key, &endpoint_b, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/api/v1/webhooks/{endpoint_b}"),
        format!("/api/v1/webhooks/{endpoint_b}/deliveries"),
    ] {
        let (status, _) = app.get_json(&path, &a.key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/api/v1/webhooks/{endpoint_b}/test"),
        format!("/api/v1/webhooks/{endpoint_b}/rotate-secret"),
        format!("/api/v1/webhooks/{endpoint_b}/deliveries/{b_delivery}/retry"),
        format!("/api/v1/webhooks/{endpoint_a}/deliveries/{b_delivery}/retry"),
    ] {
        let response = app.post(&path, &a.key).send().await.unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    let response = patch(&app, &format!("/api/v1/webhooks/{endpoint_b}"), &a.key)
        .json(&json!({ "url": receiver_a.url }))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let response = delete(&app, &format!("/api/v1/webhooks/{endpoint_b}"), &a.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let (_, list) = app.get_json("/api/v1/webhooks", &a.key).await;
    let ids: Vec<&Value> = list["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids, [&json!(endpoint_a)]);

    // Naming another tenant is forbidden; a key without `manage` is too.
    let response = app
        .get(&format!("/api/v1/webhooks?tenant_id={}", b.id), &a.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let response = app
        .post("/api/v1/webhooks", &a.key)
        .json(&json!({ "tenant_id": b.id, "url": receiver_a.url }))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let (reader, _) = app.create_key(&a, &["read", "ingest"]).await;
    let response = app.get("/api/v1/webhooks", &reader).send().await.unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let (status, _) = app.get_json("/api/v1/webhooks", "wrong-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // B's endpoint is intact.
    let (status, view) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint_b}"), &b.key)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["url"], receiver_b.url);
}

// --- SSRF ------------------------------------------------------------------------------------

/// A name other than `localhost` that the system resolves to a non-public address (from
/// /etc/hosts, e.g. the machine's own name), if there is one.
fn private_name_from_hosts() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let line = line.split('#').next()?;
        let mut fields = line.split_whitespace();
        let ip: std::net::IpAddr = fields.next()?.parse().ok()?;
        let private = match ip {
            std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
            std::net::IpAddr::V6(_) => false,
        };
        if !private {
            return None;
        }
        fields
            .find(|name| {
                !name.contains("localhost") && name.contains(|c: char| c.is_ascii_alphabetic())
            })
            .map(str::to_owned)
    })
}

#[tokio::test]
async fn private_targets_are_refused_at_creation_with_a_clear_error() {
    let app = spawn_app_with(|config| {
        config.webhooks.poll_interval_ms = 20;
    })
    .await;
    let tenant = app.create_tenant("ssrf-create").await;
    let mut urls = vec![
        "http://127.0.0.1:9000/hook".to_owned(),
        "http://localhost/hook".to_owned(),
        "http://localhost./hook".to_owned(),
        "http://[::1]/hook".to_owned(),
        "http://[::ffff:127.0.0.1]/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.8/".to_owned(),
        "http://2130706433/".to_owned(),
    ];
    match private_name_from_hosts() {
        Some(name) => urls.push(format!("http://{name}/hook")),
        None => eprintln!("note: /etc/hosts names no private host; that case is skipped"),
    }
    for url in &urls {
        let response = app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("url"),
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("public") && message.contains("allow_private_targets"),
            "{url}: {message}"
        );
    }
    // The same on update.
    // A public IP literal needs no DNS (there may be none where the tests run).
    let (id, _) =
        create_endpoint(&app, &tenant.key, json!({ "url": "https://8.8.8.8/hook" })).await;
    let response = patch(&app, &format!("/api/v1/webhooks/{id}"), &tenant.key)
        .json(&json!({ "url": "http://169.254.169.254/" }))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("url"),
    )
    .await;
}

/// A database that outlives one app, so that the same data can be served by a second app
/// with another configuration (or by two apps at once).
async fn shared_database() -> Option<(String, Option<tempfile::TempDir>, Option<TestDatabase>)> {
    if postgres_backend() {
        let db = fresh_database().await?;
        Some((db.url.clone(), None, Some(db)))
    } else {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        Some((url, Some(dir), None))
    }
}

/// An app on the given database; stops when the token is cancelled. Returns its address.
async fn start_app(
    database_url: &str,
    configure: impl FnOnce(&mut Config),
) -> (
    String,
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let mut config = test_config(database_url);
    fast(&mut config);
    configure(&mut config);
    let app = Application::build(config).await.expect("the app builds");
    let address = format!("http://{}", app.address());
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    let task = tokio::spawn(app.run_until_stopped(stopped));
    (address, stop, task)
}

#[tokio::test]
async fn a_private_target_is_refused_at_delivery_even_when_it_was_allowed_at_creation() {
    // This test's own client is made before any app is built in this process.
    tributary::webhooks::install_crypto_provider();
    let Some((url, _dir, _db)) = shared_database().await else {
        return;
    };
    let receiver = Receiver::start().await;
    let client = reqwest::Client::new();

    // Created while private targets were allowed…
    let (address, stop, task) = start_app(&url, |_| {}).await;
    let tenant: Value = client
        .post(format!("{address}/api/v1/tenants"))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "ssrf-later"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = tenant["api_key"]["key"].as_str().unwrap().to_owned();
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let mut endpoints = Vec::new();
    for target in [&receiver.url, &by_name] {
        let created: Value = client
            .post(format!("{address}/api/v1/webhooks"))
            .header("X-API-Key", &key)
            .json(&json!({ "url": target }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        endpoints.push(created["id"].as_str().unwrap().to_owned());
    }
    stop.cancel();
    task.await.unwrap().unwrap();

    // …and delivered after the configuration stopped allowing them.
    let (address, stop, task) = start_app(&url, |config| {
        config.webhooks.allow_private_targets = false;
        config.webhooks.retry_schedule_secs = vec![];
    })
    .await;
    let response = client
        .post(format!("{address}/api/v1/events"))
        .header("X-API-Key", &key)
        .json(&json!({"event_type": "signup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    for endpoint in &endpoints {
        let delivery = eventually("a dead delivery", Duration::from_secs(10), || async {
            let page: Value = client
                .get(format!("{address}/api/v1/webhooks/{endpoint}/deliveries"))
                .header("X-API-Key", &key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["deliveries"]
                .as_array()
                .and_then(|list| list.first())
                .filter(|d| d["status"] == "dead")
                .cloned()
        })
        .await;
        let error = delivery["attempt_log"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("refused") && error.contains("loopback"),
            "{endpoint}: {error}"
        );
        assert_eq!(delivery["attempt_log"][0]["status_code"], Value::Null);
    }
    assert_eq!(receiver.count(), 0, "nothing reached the private target");
    stop.cancel();
    task.await.unwrap().unwrap();
}

// --- several workers, restarts -----------------------------------------------------------------

#[tokio::test]
async fn two_workers_sharing_one_database_never_make_the_same_attempt_twice() {
    // This test's own client is made before any app is built in this process.
    tributary::webhooks::install_crypto_provider();
    // On PostgreSQL (TRIBUTARY_TEST_BACKEND=postgres) the claim uses FOR UPDATE SKIP LOCKED;
    // on SQLite both apps share one file.
    let Some((url, _dir, _db)) = shared_database().await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.delay(30);
    let client = reqwest::Client::new();
    let (first, stop_first, task_first) = start_app(&url, |config| {
        config.webhooks.max_per_endpoint = 16;
        config.webhooks.poll_interval_ms = 10;
    })
    .await;
    let (second, stop_second, task_second) = start_app(&url, |config| {
        config.webhooks.max_per_endpoint = 16;
        config.webhooks.poll_interval_ms = 10;
    })
    .await;
    let tenant: Value = client
        .post(format!("{first}/api/v1/tenants"))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "two-workers"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = tenant["api_key"]["key"].as_str().unwrap().to_owned();
    let created: Value = client
        .post(format!("{second}/api/v1/webhooks"))
        .header("X-API-Key", &key)
        .json(&json!({ "url": receiver.url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = created["id"].as_str().unwrap().to_owned();

    const EVENTS: usize = 120;
    for (round, address) in [&first, &second].iter().cycle().take(6).enumerate() {
        let events: Vec<Value> = (0..EVENTS / 6)
            .map(|i| json!({"event_type": "load", "metadata": {"round": round, "i": i}}))
            .collect();
        let response = client
            .post(format!("{address}/api/v1/events/batch"))
            .header("X-API-Key", &key)
            .json(&json!({ "events": events }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let requests = received(&receiver, EVENTS, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests_after = receiver.requests();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for request in &requests_after {
        *per_id
            .entry(header(request, "webhook-id").to_owned())
            .or_default() += 1;
    }
    let repeated: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "delivered twice: {repeated:?}");
    assert_eq!(per_id.len(), EVENTS);
    assert_eq!(requests.len(), EVENTS);

    let page: Value = client
        .get(format!(
            "{first}/api/v1/webhooks/{endpoint}/deliveries?status=succeeded&limit=100"
        ))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        page["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["attempts"] == 1),
        "one attempt each"
    );
    stop_first.cancel();
    stop_second.cancel();
    task_first.await.unwrap().unwrap();
    task_second.await.unwrap().unwrap();
}

/// `tributary serve` as a child process, with fast webhook settings from the environment.
fn start_server_process(database_url: &str) -> ServerProcess {
    let mut command = serve(database_url);
    command
        .env("TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env(
            "TRIBUTARY_WEBHOOKS__RETRY_SCHEDULE_SECS",
            "[1,1,1,1,1,1,1,1,1,1]",
        )
        .env("TRIBUTARY_WEBHOOKS__POLL_INTERVAL_MS", "50")
        .env("TRIBUTARY_WEBHOOKS__ATTEMPT_TIMEOUT_SECS", "1")
        // Every delivery's first attempt fails on purpose: no circuit breaker in the way.
        .env("TRIBUTARY_WEBHOOKS__CIRCUIT_AFTER_FAILURES", "0");
    ServerProcess::start(command)
}

#[tokio::test]
async fn deliveries_pending_when_the_server_is_killed_all_arrive_after_a_restart_once_each() {
    // This test's own clients are made before any app is built in this process.
    tributary::webhooks::install_crypto_provider();
    let Some((url, _dir, _db)) = shared_database().await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let client = reqwest::Client::new();
    let mut server = start_server_process(&url);
    let tenant: Value = client
        .post(format!("{}/api/v1/tenants", server.address))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "killed"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = tenant["api_key"]["key"].as_str().unwrap().to_owned();
    let created: Value = client
        .post(format!("{}/api/v1/webhooks", server.address))
        .header("X-API-Key", &key)
        .json(&json!({ "url": receiver.url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = created["id"].as_str().unwrap().to_owned();

    const EVENTS: usize = 40;
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| json!({"event_type": "order.paid", "metadata": {"i": i}}))
        .collect();
    let response = client
        .post(format!("{}/api/v1/events/batch", server.address))
        .header("X-API-Key", &key)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // Every delivery has been tried (and failed) at least once: they are pending retries.
    eventually(
        "a first attempt of each delivery",
        Duration::from_secs(15),
        || async {
            let ids: HashSet<String> = receiver
                .requests()
                .iter()
                .map(|r| header(r, "webhook-id").to_owned())
                .collect();
            (ids.len() == EVENTS).then_some(())
        },
    )
    .await;
    server.kill_hard();

    receiver.answer(200);
    let restarted = start_server_process(&url);
    let succeeded = eventually(
        "every delivery to succeed",
        Duration::from_secs(20),
        || async {
            let ok: Vec<String> = receiver
                .requests()
                .iter()
                .filter(|r| r.answered == 200)
                .map(|r| header(r, "webhook-id").to_owned())
                .collect();
            let distinct: HashSet<&String> = ok.iter().collect();
            (distinct.len() == EVENTS).then_some(ok)
        },
    )
    .await;
    // Give a duplicate the time to show up if there were to be one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ok_after: Vec<String> = receiver
        .requests()
        .iter()
        .filter(|r| r.answered == 200)
        .map(|r| header(r, "webhook-id").to_owned())
        .collect();
    assert_eq!(succeeded.len(), EVENTS, "each webhook-id succeeded once");
    assert_eq!(ok_after.len(), EVENTS, "and never again");

    let page: Value = client
        .get(format!(
            "{}/api/v1/webhooks/{endpoint}/deliveries?limit=100",
            restarted.address
        ))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = page["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), EVENTS);
    let log_ids: HashSet<&str> = list.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(succeeded.iter().all(|id| log_ids.contains(id.as_str())));
    eventually(
        "the log to show every success",
        Duration::from_secs(5),
        || async {
            let page: Value = client
                .get(format!(
                    "{}/api/v1/webhooks/{endpoint}/deliveries?limit=100&status=succeeded",
                    restarted.address
                ))
                .header("X-API-Key", &key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (page["deliveries"].as_array().unwrap().len() == EVENTS).then_some(())
        },
    )
    .await;
}

// --- the request log and an event's deliveries ----------------------------------------------

/// An address on loopback where nothing listens (bound, then let go).
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/hook")
}

/// A receiver that answers every request with a redirect to `location`.
async fn redirecting_receiver(location: String) -> (String, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                AxumStatus::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
    });
    (format!("http://{address}/hook"), stop)
}

#[tokio::test]
async fn each_attempt_logs_the_request_it_sent_with_every_signature_masked() {
    let app = fast_app().await;
    let tenant = app.create_tenant("request-log").await;
    let receiver = Receiver::start().await;
    receiver.script(&[500]);
    let (endpoint, secret) =
        create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    app.ingest_ok(
        &tenant.key,
        json!({"event_type": "order.paid", "metadata": {"amount": 42, "note": "two\nlines ü"}}),
    )
    .await;
    let requests = received(&receiver, 2, Duration::from_secs(10)).await;
    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        1,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    let attempts = log[0]["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    for (attempt, request) in attempts.iter().zip(&requests) {
        // The body in full, byte for byte what the receiver got (and what was signed).
        assert_eq!(
            attempt["request_body"].as_str().unwrap().as_bytes(),
            &request.body[..]
        );
        let headers = attempt["request_headers"].as_object().unwrap();
        for name in [
            "content-type",
            "user-agent",
            "webhook-id",
            "webhook-timestamp",
        ] {
            assert_eq!(headers[name], header(request, name), "{name}");
        }
        assert_eq!(headers["webhook-signature"], "v1,<redacted>");
        assert!(verify_request(&secret, request), "what went out was signed");
    }
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["response_body"], "answered 500");

    // During a rotation two signatures go out: both masked, neither secret in the log.
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint}/rotate-secret"),
            &tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let rotated: Value = response.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    let response = app
        .post(&format!("/api/v1/webhooks/{endpoint}/test"), &tenant.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let test = received(&receiver, 3, Duration::from_secs(10))
        .await
        .remove(2);
    assert_eq!(header(&test, "webhook-signature").split(' ').count(), 2);
    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        2,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    let attempt = &log[0]["attempt_log"][0];
    assert_eq!(
        attempt["request_headers"]["webhook-signature"],
        "v1,<redacted> v1,<redacted>"
    );
    assert_eq!(
        attempt["request_body"].as_str().unwrap().as_bytes(),
        &test.body[..]
    );
    let (_, raw) = app
        .get_json(
            &format!("/api/v1/webhooks/{endpoint}/deliveries"),
            &tenant.key,
        )
        .await;
    let raw = raw.to_string();
    let mut signatures: Vec<String> = receiver
        .requests()
        .iter()
        .flat_map(|r| {
            header(r, "webhook-signature")
                .split(' ')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    signatures.extend([secret.clone(), new_secret.clone()]);
    for secretish in &signatures {
        let payload = secretish
            .trim_start_matches("v1,")
            .trim_start_matches("whsec_");
        assert!(!raw.contains(payload), "the log holds {secretish}");
    }
}

#[tokio::test]
async fn an_attempt_that_got_no_response_logs_the_full_error_and_the_request() {
    let app = fast_app().await;
    let tenant = app.create_tenant("full-error").await;
    // A redirect whose target is long: the error names it in full, not cut at some length.
    let far = format!("https://example.com/{}", "a".repeat(3000));
    let (url, _stop) = redirecting_receiver(far.clone()).await;
    let (redirected, _) = create_endpoint(&app, &tenant.key, json!({ "url": url })).await;
    let (refused, _) =
        create_endpoint(&app, &tenant.key, json!({ "url": closed_port_url().await })).await;
    app.ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;

    let attempt = |endpoint: String| {
        let app = &app;
        let key = tenant.key.clone();
        async move {
            eventually("a first attempt", Duration::from_secs(10), || async {
                let list = deliveries(app, &key, &endpoint, "").await;
                list.first()
                    .and_then(|d| d["attempt_log"].as_array()?.first().cloned())
            })
            .await
        }
    };
    let first = attempt(redirected).await;
    assert_eq!(first["status_code"], 307);
    let error = first["error"].as_str().unwrap();
    assert!(error.contains(&far), "the whole target: {}", error.len());
    assert!(
        error.starts_with("redirects are not followed (HTTP 307"),
        "{error}"
    );
    assert!(
        first["request_body"]
            .as_str()
            .unwrap()
            .contains("\"signup\"")
    );

    let first = attempt(refused).await;
    assert_eq!(first["status_code"], Value::Null);
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .starts_with("could not connect"),
        "{first}"
    );
    // Not answered, but sent: the request is logged all the same.
    assert_eq!(
        first["request_headers"]["webhook-signature"],
        "v1,<redacted>"
    );
    assert!(
        first["request_body"]
            .as_str()
            .unwrap()
            .contains("\"signup\"")
    );
}

#[tokio::test]
async fn an_events_deliveries_show_each_endpoint_with_its_status_attempts_and_last_error() {
    let app = fast_app().await;
    let tenant = app.create_tenant("lineage").await;
    let receiver = Receiver::start().await;
    // Stored before any endpoint existed: it has no delivery.
    let quiet = app
        .ingest_ok(&tenant.key, json!({"event_type": "signup"}))
        .await;
    let (ok, _) = create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": receiver.url, "description": "billing sync" }),
    )
    .await;
    let down_url = closed_port_url().await;
    let (down, _) = create_endpoint(&app, &tenant.key, json!({ "url": down_url })).await;
    // Endpoints that do not get the event: another type, and a disabled one.
    create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": receiver.url, "event_types": ["other"] }),
    )
    .await;
    create_endpoint(
        &app,
        &tenant.key,
        json!({ "url": receiver.url, "enabled": false }),
    )
    .await;
    let event = app
        .ingest_ok(&tenant.key, json!({"event_type": "order.paid"}))
        .await;

    let path = format!("/api/v1/events/{event}/deliveries");
    let body = eventually(
        "both endpoints attempted",
        Duration::from_secs(10),
        || async {
            let (status, body) = app.get_json(&path, &tenant.key).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let list = body["deliveries"].as_array().unwrap();
            (list.len() == 2
                && list.iter().all(|d| d["attempts"].as_u64() >= Some(1))
                && list.iter().any(|d| d["status"] == "succeeded"))
            .then_some(body)
        },
    )
    .await;
    assert_eq!(body["event_id"], event);
    let list = body["deliveries"].as_array().unwrap();
    let by_endpoint = |id: &str| {
        list.iter()
            .find(|d| d["endpoint"]["id"] == id)
            .unwrap_or_else(|| panic!("a delivery to {id}: {body}"))
    };
    let delivered = by_endpoint(&ok);
    assert_eq!(delivered["status"], "succeeded");
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["endpoint"]["url"], receiver.url);
    assert_eq!(delivered["endpoint"]["description"], "billing sync");
    assert_eq!(delivered["endpoint"]["enabled"], true);
    assert_eq!(delivered["last_status_code"], 200);
    assert_eq!(delivered["last_error"], Value::Null);
    assert!(delivered["last_attempt_at"].is_string());
    assert_eq!(delivered["next_attempt_at"], Value::Null);
    assert!(delivered["created_at"].is_string() && delivered["updated_at"].is_string());
    let failing = by_endpoint(&down);
    assert_eq!(failing["endpoint"]["url"], down_url);
    assert!(
        failing["status"] == "failed" || failing["status"] == "dead",
        "{failing}"
    );
    assert_eq!(failing["last_status_code"], Value::Null);
    // The same error as the endpoint's own log holds, in full.
    let log = deliveries(&app, &tenant.key, &down, "").await;
    let delivery = log.iter().find(|d| d["event_id"] == event).unwrap();
    assert_eq!(failing["id"], delivery["id"]);
    let last = delivery["attempt_log"].as_array().unwrap().last().unwrap();
    if failing["attempts"] == delivery["attempts"] {
        assert_eq!(failing["last_error"], last["error"]);
    }
    assert!(
        failing["last_error"]
            .as_str()
            .unwrap()
            .starts_with("could not connect"),
        "{failing}"
    );
    // The admin names the tenant.
    let (status, admin) = app
        .get_json(&format!("{path}?tenant_id={}", tenant.id), &app.admin_token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(admin["deliveries"].as_array().unwrap().len(), 2);

    // An event that went to no endpoint: an empty list, not a 404.
    let (status, none) = app
        .get_json(&format!("/api/v1/events/{quiet}/deliveries"), &tenant.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert_eq!(none["deliveries"], json!([]));
}

#[tokio::test]
async fn an_events_deliveries_are_the_tenants_own_and_bad_calls_are_refused() {
    let app = fast_app().await;
    let acme = app.create_tenant("acme-lineage").await;
    let globex = app.create_tenant("globex-lineage").await;
    let receiver = Receiver::start().await;
    create_endpoint(&app, &acme.key, json!({ "url": receiver.url })).await;
    create_endpoint(&app, &globex.key, json!({ "url": receiver.url })).await;
    let event = app
        .ingest_ok(&acme.key, json!({"event_type": "order.paid"}))
        .await;
    let path = format!("/api/v1/events/{event}/deliveries");
    let (status, own) = app.get_json(&path, &acme.key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["deliveries"].as_array().unwrap().len(), 1);

    // Another tenant's key, or the admin naming another tenant: as if the event did not exist.
    let response = app.get(&path, &globex.key).send().await.unwrap();
    let body = assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    assert!(!body.to_string().contains(&receiver.url));
    let response = app
        .get(&format!("{path}?tenant_id={}", globex.id), &app.admin_token)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    let response = app
        .get(&format!("{path}?tenant_id={}", acme.id), &globex.key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    // Unknown and malformed ids.
    for id in [uuid::Uuid::now_v7().to_string(), "not-an-id".to_owned()] {
        let response = app
            .get(&format!("/api/v1/events/{id}/deliveries"), &acme.key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    // Bad parameters name their field; the admin must name an existing tenant.
    for (query, field) in [("bogus=1", "bogus"), ("tenant_id=nope", "tenant_id")] {
        let response = app
            .get(&format!("{path}?{query}"), &acme.key)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some(field),
        )
        .await;
    }
    let response = app.get(&path, &app.admin_token).send().await.unwrap();
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
        Some("tenant_id"),
    )
    .await;
    let response = app
        .get(
            &format!("{path}?tenant_id={}", uuid::Uuid::now_v7()),
            &app.admin_token,
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    // The delivery log is webhook configuration: `manage`, like the endpoint's own log.
    let (reader, _) = app.create_key(&acme, &["read", "ingest"]).await;
    let response = app.get(&path, &reader).send().await.unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    let (status, _) = app.get_json(&path, "wrong-key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// --- asymmetric signatures (v1a, ed25519) ---------------------------------------------------

/// Verifies a `v1a,<base64>` signature of `{id}.{timestamp}.{body}` with a `whpk_` key the way
/// a receiver would, with an ed25519 implementation independent of the server's (`ring`):
/// Node's `crypto.verify`, which is OpenSSL's. One verdict per `v1a` entry of the header.
fn verify_v1a(
    public_key: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
) -> Vec<bool> {
    const SCRIPT: &str = r#"
        const crypto = require("crypto");
        const [publicKey, content, ...signatures] = process.argv.slice(1);
        const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
        if (raw.length !== 32) throw new Error("not a 32-byte ed25519 key");
        const key = crypto.createPublicKey({
            key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
            format: "der",
            type: "spki",
        });
        const data = Buffer.from(content, "base64");
        console.log(JSON.stringify(signatures.map((s) =>
            crypto.verify(null, data, key, Buffer.from(s, "base64")))));
    "#;
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let v1a: Vec<&str> = signatures
        .split(' ')
        .filter_map(|signature| signature.strip_prefix("v1a,"))
        .collect();
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(SCRIPT)
        .arg(public_key)
        .arg(STANDARD.encode(&content))
        .args(&v1a)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list of verdicts")
}

fn verify_v1a_request(public_key: &str, request: &Received) -> Vec<bool> {
    verify_v1a(
        public_key,
        header(request, "webhook-id"),
        header(request, "webhook-timestamp"),
        header(request, "webhook-signature"),
        &request.body,
    )
}

#[tokio::test]
async fn a_v1a_delivery_verifies_with_the_public_key_in_another_ed25519_and_a_tampered_one_does_not()
 {
    let app = fast_app().await;
    let tenant = app.create_tenant("ed25519").await;
    let receiver = Receiver::start().await;
    let response = app
        .post("/api/v1/webhooks", &tenant.key)
        .json(&json!({ "url": receiver.url, "signature": "v1a" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let raw = response.text().await.unwrap();
    assert!(!raw.contains("whsk_") && !raw.contains("whsec_"), "{raw}");
    let created: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(created["signature"], "v1a");
    assert!(created.get("secret").is_none(), "{created}");
    let public_key = created["public_key"].as_str().unwrap().to_owned();
    assert!(public_key.starts_with("whpk_"));
    let endpoint = created["id"].as_str().unwrap();
    // Public keys are not secret: every view shows it.
    let (_, view) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .await;
    assert_eq!(
        (&view["signature"], &view["public_key"]),
        (&json!("v1a"), &json!(public_key))
    );

    app.ingest_ok(
        &tenant.key,
        json!({ "event_type": "order.paid", "metadata": {"n": 1} }),
    )
    .await;
    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);
    let signature = header(&request, "webhook-signature");
    assert!(
        signature.starts_with("v1a,") && !signature.contains(' '),
        "{signature}"
    );
    assert_eq!(verify_v1a_request(&public_key, &request), [true]);
    let mut tampered = request.clone();
    tampered.body =
        Bytes::from(String::from_utf8_lossy(&request.body).replace("\"n\":1", "\"n\":2"));
    assert_ne!(tampered.body, request.body);
    assert_eq!(verify_v1a_request(&public_key, &tampered), [false]);
    let other_id = verify_v1a(
        &public_key,
        "another-id",
        header(&request, "webhook-timestamp"),
        signature,
        &request.body,
    );
    assert_eq!(other_id, [false]);
    assert!(!verify_request(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        &request
    ));

    // Rotation: a new key pair; both sign during the grace period, each verifies with its key.
    let response = app
        .post(
            &format!("/api/v1/webhooks/{endpoint}/rotate-secret"),
            &tenant.key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response.text().await.unwrap();
    assert!(!raw.contains("whsk_"), "{raw}");
    let rotated: Value = serde_json::from_str(&raw).unwrap();
    let new_key = rotated["public_key"].as_str().unwrap().to_owned();
    assert!(new_key.starts_with("whpk_") && new_key != public_key);
    app.ingest_ok(&tenant.key, json!({ "event_type": "order.paid" }))
        .await;
    let request = received(&receiver, 2, Duration::from_secs(10))
        .await
        .remove(1);
    assert_eq!(header(&request, "webhook-signature").split(' ').count(), 2);
    assert_eq!(verify_v1a_request(&new_key, &request), [true, false]);
    assert_eq!(verify_v1a_request(&public_key, &request), [false, true]);

    // The attempt log masks v1a signatures like v1 ones and never holds a key or signature.
    let log = deliveries_in(
        &app,
        &tenant.key,
        endpoint,
        2,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        log[0]["attempt_log"][0]["request_headers"]["webhook-signature"],
        "v1a,<redacted> v1a,<redacted>"
    );
    let raw = serde_json::to_string(&log).unwrap();
    assert!(!raw.contains("whsk_"));
    for request in receiver.requests() {
        for signature in header(&request, "webhook-signature").split(' ') {
            assert!(!raw.contains(signature.trim_start_matches("v1a,")));
        }
    }
}

#[tokio::test]
async fn switching_v1_to_v1a_and_back_sends_both_signatures_each_verifying_with_its_own_key() {
    let app = fast_app().await;
    let tenant = app.create_tenant("switch").await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) =
        create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    let (_, view) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .await;
    assert_eq!(
        (&view["signature"], &view["public_key"]),
        (&json!("v1"), &Value::Null)
    );

    let response = patch(&app, &format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .json(&json!({ "signature": "v1a" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response.text().await.unwrap();
    assert!(!raw.contains("whsk_") && !raw.contains("whsec_"), "{raw}");
    let switched: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(switched["signature"], "v1a");
    assert!(switched["previous_secret_expires_at"].is_string());
    let public_key = switched["public_key"].as_str().unwrap().to_owned();

    app.ingest_ok(&tenant.key, json!({ "event_type": "signup" }))
        .await;
    let request = received(&receiver, 1, Duration::from_secs(10))
        .await
        .remove(0);
    let signatures = header(&request, "webhook-signature");
    let kinds: Vec<&str> = signatures
        .split(' ')
        .map(|s| s.split_once(',').unwrap().0)
        .collect();
    assert_eq!(kinds, ["v1a", "v1"], "{signatures}");
    assert!(
        verify_request(&secret, &request),
        "the old v1 secret still verifies"
    );
    assert_eq!(verify_v1a_request(&public_key, &request), [true]);

    // Asking for the scheme it has changes nothing.
    let unchanged: Value = patch(&app, &format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .json(&json!({ "signature": "v1a" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["public_key"], json!(public_key));

    // And back to v1: the new secret is shown (only now), the v1a key signs beside it.
    let back: Value = patch(&app, &format!("/api/v1/webhooks/{endpoint}"), &tenant.key)
        .json(&json!({ "signature": "v1" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&back["signature"], &back["public_key"]),
        (&json!("v1"), &Value::Null)
    );
    let new_secret = back["secret"].as_str().unwrap().to_owned();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    app.ingest_ok(&tenant.key, json!({ "event_type": "signup" }))
        .await;
    let request = received(&receiver, 2, Duration::from_secs(10))
        .await
        .remove(1);
    assert!(verify_request(&new_secret, &request));
    assert!(!verify_request(&secret, &request));
    assert_eq!(verify_v1a_request(&public_key, &request), [true]);
    let log = deliveries_in(
        &app,
        &tenant.key,
        &endpoint,
        2,
        "succeeded",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        log[0]["attempt_log"][0]["request_headers"]["webhook-signature"],
        "v1,<redacted> v1a,<redacted>"
    );
    assert_eq!(
        log[1]["attempt_log"][0]["request_headers"]["webhook-signature"],
        "v1a,<redacted> v1,<redacted>"
    );
}

// --- the store: outbox, claims and leases, on both stores ------------------------------------

mod store_level {
    use std::future::Future;
    use std::sync::Arc;

    use chrono::{DateTime, Duration, Utc};
    use serde_json::Map;
    use tributary::auth::{ApiKey, Scope};
    use tributary::events::NewEvent;
    use tributary::store::{self, DynStore};
    use tributary::tenants::{RateLimit, Tenant, TenantId, TenantStatus};
    use tributary::webhooks::{
        AttemptRecord, Claim, Endpoint, EndpointHealth, Message, NextStep, generate_secret,
    };
    use uuid::Uuid;

    use crate::pg::fresh_database;

    async fn with_sqlite<F, Fut>(case: F)
    where
        F: FnOnce(DynStore) -> Fut,
        Fut: Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        case(store::connect(&url, 8, None).await.unwrap()).await;
    }

    async fn with_postgres<F, Fut>(case: F)
    where
        F: FnOnce(DynStore) -> Fut,
        Fut: Future<Output = ()>,
    {
        let Some(database) = fresh_database().await else {
            return;
        };
        case(store::connect(&database.url, 16, None).await.unwrap()).await;
    }

    macro_rules! both_stores {
        ($($case:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        super::with_sqlite(super::$case).await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        super::with_postgres(super::$case).await;
                    }
                )*
            }
        };
    }

    both_stores! {
        the_outbox_writes_one_delivery_per_new_event_and_matching_enabled_endpoint,
        concurrent_claimers_never_get_the_same_delivery,
        a_lease_keeps_others_off_until_it_expires_and_only_its_holder_sets_the_outcome,
        a_failed_attempt_schedules_the_retry_and_tracks_the_endpoint_health,
        pruning_deletes_only_deliveries_that_finished_before_the_cutoff,
        attempts_recorded_in_one_call_each_count_as_if_recorded_alone,
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
    }

    async fn tenant(store: &DynStore, name: &str) -> Tenant {
        let tenant = Tenant {
            id: TenantId(Uuid::now_v7()),
            name: name.to_owned(),
            status: TenantStatus::Active,
            created_at: now(),
            rate_limit: RateLimit {
                per_second: 100,
                burst: 100,
            },
            retention_days: None,
        };
        let key = ApiKey {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            name: "k".into(),
            prefix: "trb_x".into(),
            secret_hash: Uuid::new_v4().as_bytes().to_vec(),
            scopes: Scope::ALL.to_vec(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        };
        store.create_tenant(&tenant, &key).await.unwrap();
        tenant
    }

    async fn endpoint(store: &DynStore, tenant: &Tenant, types: &[&str], enabled: bool) -> Uuid {
        let endpoint = Endpoint {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            url: "https://example.com/hook".into(),
            description: String::new(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            filter: None,
            secret: generate_secret(),
            previous_secret: None,
            enabled,
            disabled_reason: None,
            created_at: now(),
            updated_at: now(),
            health: EndpointHealth::default(),
        };
        store.create_webhook_endpoint(&endpoint).await.unwrap();
        endpoint.id
    }

    fn event(tenant: &Tenant, event_type: &str, event_id: Option<&str>) -> NewEvent {
        NewEvent {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            event_type: event_type.to_owned(),
            timestamp: now(),
            received_at: now(),
            metadata: Map::new(),
            event_id: event_id.map(str::to_owned),
            violations: Vec::new(),
        }
    }

    /// Claims as the worker does: the due endpoints, then up to `limit` deliveries shared
    /// among them (nothing in flight, each endpoint allowed `limit`).
    async fn claim(
        store: &DynStore,
        instance: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Vec<tributary::webhooks::ClaimedDelivery> {
        claim_until(store, instance, at, at + Duration::seconds(30), limit).await
    }

    async fn claim_until(
        store: &DynStore,
        instance: &str,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Vec<tributary::webhooks::ClaimedDelivery> {
        let due = store.due_webhook_endpoints(at, 256).await.unwrap();
        let shares = tributary::webhooks::fairness::shares(
            &due,
            &std::collections::HashMap::new(),
            limit as usize,
            limit as usize,
        );
        store
            .claim_webhook_deliveries(&Claim {
                instance,
                now: at,
                lease_until,
                shares: &shares,
            })
            .await
            .unwrap()
    }

    fn record(
        delivery: &tributary::webhooks::ClaimedDelivery,
        instance: &str,
        at: DateTime<Utc>,
        status: u16,
        next: NextStep,
    ) -> AttemptRecord {
        AttemptRecord {
            id: Uuid::now_v7(),
            delivery_id: delivery.id,
            tenant_id: delivery.tenant_id,
            endpoint_id: delivery.endpoint_id,
            instance: instance.to_owned(),
            attempted_at: at,
            status_code: Some(status),
            error: None,
            latency_ms: 12,
            response_body: Some("body".into()),
            request_headers: None,
            request_body: None,
            rule: match next {
                NextStep::Succeeded => tributary::webhooks::Rule::Succeeded,
                NextStep::RetryAt(_) => tributary::webhooks::Rule::Schedule,
                NextStep::Dead => tributary::webhooks::Rule::Exhausted,
            },
            next,
        }
    }

    async fn the_outbox_writes_one_delivery_per_new_event_and_matching_enabled_endpoint(
        store: DynStore,
    ) {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let all = endpoint(&store, &a, &[], true).await;
        let paid = endpoint(&store, &a, &["order.paid"], true).await;
        let off = endpoint(&store, &a, &[], false).await;
        let other = endpoint(&store, &b, &["order.paid"], true).await;

        // One call, two tenants, a duplicate within the call and one of an earlier call.
        store
            .insert_events(Arc::new(vec![event(&a, "order.paid", Some("k1"))]))
            .await
            .unwrap();
        let outcomes = store
            .insert_events(Arc::new(vec![
                event(&a, "order.paid", Some("k1")),
                event(&a, "order.paid", None),
                event(&b, "order.paid", None),
                event(&a, "signup", Some("k2")),
                event(&a, "signup", Some("k2")),
            ]))
            .await
            .unwrap();
        let duplicates: Vec<bool> = outcomes.iter().map(|o| o.duplicate).collect();
        assert_eq!(duplicates, [true, false, false, false, true]);

        let count = |endpoint: Uuid, tenant: TenantId| {
            let store = store.clone();
            async move {
                store
                    .list_webhook_deliveries(tenant, endpoint, None, None, None, 100)
                    .await
                    .unwrap()
            }
        };
        // `all`: k1 (first call), the keyless paid, k2.
        assert_eq!(count(all, a.id).await.len(), 3);
        // `paid`: k1 and the keyless paid.
        let to_paid = count(paid, a.id).await;
        assert_eq!(to_paid.len(), 2);
        assert!(to_paid.iter().all(|d| d.event_type == "order.paid"));
        assert!(
            to_paid
                .iter()
                .all(|d| d.status.as_str() == "pending" && d.attempts == 0)
        );
        assert!(count(off, a.id).await.is_empty());
        assert_eq!(count(other, b.id).await.len(), 1);
        // Another tenant's endpoint reads as empty through tenant a.
        assert!(count(other, a.id).await.is_empty());
        assert_eq!(store.webhook_queue_stats().await.unwrap().depth, 6);
    }

    async fn concurrent_claimers_never_get_the_same_delivery(store: DynStore) {
        let a = tenant(&store, "claims").await;
        let first = endpoint(&store, &a, &[], true).await;
        let second = endpoint(&store, &a, &[], true).await;
        let events: Vec<NewEvent> = (0..100).map(|_| event(&a, "t", None)).collect();
        store.insert_events(Arc::new(events.clone())).await.unwrap();
        let later = now() + Duration::seconds(1);

        let claimers: Vec<_> = (0..8)
            .map(|worker| {
                let store = store.clone();
                tokio::spawn(async move {
                    let instance = format!("worker-{worker}");
                    let mut mine = Vec::new();
                    // Bounded: a claim that handed out leased rows again would never run dry.
                    for _ in 0..100 {
                        let claimed = claim(&store, &instance, later, 7).await;
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.into_iter().map(|d| (d.id, d.endpoint_id)));
                    }
                    panic!("{instance} kept getting deliveries: leases are not respected");
                })
            })
            .collect();
        let mut all = Vec::new();
        for claimer in claimers {
            all.extend(claimer.await.unwrap());
        }
        let distinct: std::collections::HashSet<Uuid> = all.iter().map(|(id, _)| *id).collect();
        assert_eq!(all.len(), 200, "every delivery claimed");
        assert_eq!(distinct.len(), 200, "none claimed twice");
        assert_eq!(all.iter().filter(|(_, e)| *e == first).count(), 100);
        assert_eq!(all.iter().filter(|(_, e)| *e == second).count(), 100);
    }

    /// The worker's recorder hands a store every result that queued meanwhile in one call:
    /// each must land as it would alone, in order (the endpoint's health carried from one to
    /// the next), a result for a delivery that is gone answers `None` without failing the
    /// others, and a result from a worker that lost the lease is logged without deciding.
    async fn attempts_recorded_in_one_call_each_count_as_if_recorded_alone(store: DynStore) {
        let a = tenant(&store, "batch").await;
        let hook = endpoint(&store, &a, &[], true).await;
        let doomed = endpoint(&store, &a, &[], true).await;
        let events: Vec<NewEvent> = (0..3).map(|_| event(&a, "t", None)).collect();
        store.insert_events(Arc::new(events.clone())).await.unwrap();
        let start = now() + Duration::seconds(1);
        let claimed = claim(&store, "w", start, 10).await;
        assert_eq!(claimed.len(), 6);
        let to = |endpoint: Uuid| -> Vec<_> {
            claimed
                .iter()
                .filter(|d| d.endpoint_id == endpoint)
                .collect()
        };
        let (ours, theirs) = (to(hook), to(doomed));
        assert!(store.delete_webhook_endpoint(a.id, doomed).await.unwrap());

        let failed_at = start + Duration::seconds(1);
        let retry_at = start + Duration::seconds(60);
        let answers = store
            .record_webhook_attempts(&[
                record(ours[0], "w", start, 200, NextStep::Succeeded),
                record(theirs[0], "w", start, 200, NextStep::Succeeded),
                record(ours[1], "w", failed_at, 500, NextStep::RetryAt(retry_at)),
                record(ours[2], "someone-else", failed_at, 200, NextStep::Succeeded),
            ])
            .await
            .unwrap();
        assert_eq!(answers.len(), 4);
        let (healthy, enabled) = answers[0].clone().expect("the delivery exists");
        assert!(enabled);
        assert_eq!(healthy.consecutive_failures, 0);
        assert_eq!(healthy.last_success_at, Some(start));
        assert!(answers[1].is_none(), "its endpoint was deleted");
        let (failing, _) = answers[2].clone().expect("the delivery exists");
        assert_eq!(failing.consecutive_failures, 1);
        assert_eq!(failing.failing_since, Some(failed_at));
        assert_eq!(
            failing.last_success_at,
            Some(start),
            "carried from the first"
        );
        assert!(answers[3].is_some());

        let status = async |delivery: &tributary::webhooks::ClaimedDelivery| {
            let found = store
                .get_webhook_delivery(a.id, hook, delivery.id)
                .await
                .unwrap()
                .unwrap();
            (found.status.as_str().to_owned(), found.attempt_log.len())
        };
        assert_eq!(status(ours[0]).await, ("succeeded".into(), 1));
        assert_eq!(status(ours[1]).await, ("failed".into(), 1));
        // Logged, but "w" still holds it: still pending, and nobody else may claim it yet.
        assert_eq!(status(ours[2]).await, ("pending".into(), 1));
        assert!(
            claim(&store, "other", start + Duration::seconds(2), 10)
                .await
                .is_empty()
        );
    }

    async fn pruning_deletes_only_deliveries_that_finished_before_the_cutoff(store: DynStore) {
        let a = tenant(&store, "retention").await;
        let hook = endpoint(&store, &a, &[], true).await;
        let events: Vec<NewEvent> = (0..3).map(|_| event(&a, "t", None)).collect();
        store.insert_events(Arc::new(events.clone())).await.unwrap();
        let finished = now() + Duration::seconds(1);
        let claimed = claim(&store, "w", finished, 10).await;
        assert_eq!(claimed.len(), 3);
        let outcomes = [
            NextStep::Succeeded,
            NextStep::Dead,
            NextStep::RetryAt(finished + Duration::hours(1)),
        ];
        for (delivery, next) in claimed.iter().zip(outcomes) {
            store
                .record_webhook_attempt(&record(delivery, "w", finished, 500, next))
                .await
                .unwrap();
        }
        let remaining = async |store: &DynStore| {
            let mut left = Vec::new();
            for delivery in &claimed {
                if let Some(found) = store
                    .get_webhook_delivery(a.id, hook, delivery.id)
                    .await
                    .unwrap()
                {
                    left.push(found.status.as_str().to_owned());
                }
            }
            left
        };

        // Finished at the cutoff itself or later: kept.
        assert_eq!(
            store.prune_webhook_deliveries(finished, 10).await.unwrap(),
            0
        );
        let after = finished + Duration::seconds(1);
        assert_eq!(store.prune_webhook_deliveries(after, 1).await.unwrap(), 1);
        assert_eq!(store.prune_webhook_deliveries(after, 10).await.unwrap(), 1);
        assert_eq!(store.prune_webhook_deliveries(after, 10).await.unwrap(), 0);
        // The one still to be retried stays, however old.
        assert_eq!(remaining(&store).await, ["failed"]);
        let much_later = finished + Duration::days(365);
        assert_eq!(
            store
                .prune_webhook_deliveries(much_later, 10)
                .await
                .unwrap(),
            0
        );
    }

    async fn a_lease_keeps_others_off_until_it_expires_and_only_its_holder_sets_the_outcome(
        store: DynStore,
    ) {
        let a = tenant(&store, "leases").await;
        let hook = endpoint(&store, &a, &[], true).await;
        let stored = event(&a, "t", None);
        store
            .insert_events(Arc::new(vec![stored.clone()]))
            .await
            .unwrap();
        let start = now() + Duration::seconds(1);

        let claimed = claim_until(&store, "dying", start, start + Duration::seconds(10), 10).await;
        assert_eq!(claimed.len(), 1);
        let delivery = &claimed[0];
        assert_eq!(delivery.endpoint_id, hook);
        assert_eq!(delivery.attempts, 0);
        assert_eq!(delivery.url, "https://example.com/hook");
        match &delivery.message {
            Message::Event(event) => assert_eq!(event.id, stored.id),
            other => panic!("an event delivery, got {other:?}"),
        }

        // While the lease runs, nobody else gets it; after it, another worker does.
        let during = claim(&store, "rescuer", start + Duration::seconds(5), 10).await;
        assert!(during.is_empty());
        let after = claim(&store, "rescuer", start + Duration::seconds(11), 10).await;
        assert_eq!(after.len(), 1);

        // The old holder's late result is logged but does not decide the outcome.
        let late = store
            .record_webhook_attempt(&record(
                delivery,
                "dying",
                start + Duration::seconds(12),
                200,
                NextStep::Succeeded,
            ))
            .await
            .unwrap();
        assert!(late.is_some());
        let log = store
            .get_webhook_delivery(a.id, hook, delivery.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(log.status.as_str(), "pending");
        assert_eq!(log.attempt_log.len(), 1);

        let rescued = &after[0];
        store
            .record_webhook_attempt(&record(
                rescued,
                "rescuer",
                start + Duration::seconds(13),
                204,
                NextStep::Succeeded,
            ))
            .await
            .unwrap();
        let log = store
            .get_webhook_delivery(a.id, hook, delivery.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(log.status.as_str(), "succeeded");
        assert_eq!(log.attempts, 2);
        assert_eq!(log.next_attempt_at, None);
        let codes: Vec<Option<u16>> = log.attempt_log.iter().map(|a| a.status_code).collect();
        assert_eq!(codes, [Some(200), Some(204)]);
        // Succeeded: never claimed again.
        let again = claim(&store, "rescuer", start + Duration::seconds(60), 10).await;
        assert!(again.is_empty());

        // A released delivery is claimable at once.
        let second = event(&a, "t", None);
        store.insert_events(Arc::new(vec![second])).await.unwrap();
        let at = now() + Duration::seconds(1);
        let taken = claim(&store, "busy", at, 10).await;
        assert_eq!(taken.len(), 1);
        store
            .release_webhook_delivery(taken[0].id, "busy")
            .await
            .unwrap();
        let retaken = claim(&store, "other", at, 10).await;
        assert_eq!(retaken.len(), 1);
    }

    async fn a_failed_attempt_schedules_the_retry_and_tracks_the_endpoint_health(store: DynStore) {
        let a = tenant(&store, "health").await;
        let hook = endpoint(&store, &a, &[], true).await;
        store
            .insert_events(Arc::new(vec![event(&a, "t", None)]))
            .await
            .unwrap();
        let start = now() + Duration::seconds(1);
        let claimed = claim(&store, "w", start, 10).await;
        let retry_at = start + Duration::seconds(30);
        let (health, enabled) = store
            .record_webhook_attempt(&record(
                &claimed[0],
                "w",
                start,
                500,
                NextStep::RetryAt(retry_at),
            ))
            .await
            .unwrap()
            .unwrap();
        assert!(enabled);
        assert_eq!(health.consecutive_failures, 1);
        assert_eq!(health.failing_since, Some(start));
        assert_eq!(health.last_failure_at, Some(start));

        let log = store
            .get_webhook_delivery(a.id, hook, claimed[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(log.status.as_str(), "failed");
        assert_eq!(log.next_attempt_at, Some(retry_at));
        // Not due before its time; due after, and the lease was cleared by the record.
        assert!(
            claim(&store, "w", start + Duration::seconds(29), 10)
                .await
                .is_empty()
        );
        let due = claim(&store, "w", start + Duration::seconds(31), 10).await;
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].attempts, 1);

        let second_failure = start + Duration::seconds(31);
        let (health, _) = store
            .record_webhook_attempt(&record(&due[0], "w", second_failure, 502, NextStep::Dead))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(health.consecutive_failures, 2);
        assert_eq!(
            health.failing_since,
            Some(start),
            "the first failure of the streak"
        );

        // Disabling needs the streak to be the one observed.
        assert!(
            !store
                .disable_webhook_endpoint(a.id, hook, second_failure, "no", second_failure)
                .await
                .unwrap()
        );
        assert!(
            store
                .disable_webhook_endpoint(a.id, hook, start, "failing", second_failure)
                .await
                .unwrap()
        );
        let view = store
            .get_webhook_endpoint(a.id, hook)
            .await
            .unwrap()
            .unwrap();
        assert!(!view.enabled);
        assert_eq!(view.disabled_reason.as_deref(), Some("failing"));

        // Enabling clears the record.
        let update = tributary::webhooks::EndpointUpdate {
            enabled: Some(true),
            updated_at: now(),
            ..Default::default()
        };
        let view = store
            .update_webhook_endpoint(a.id, hook, &update)
            .await
            .unwrap()
            .unwrap();
        assert!(view.enabled);
        assert_eq!(view.disabled_reason, None);
        assert_eq!(view.health.consecutive_failures, 0);
        assert_eq!(view.health.failing_since, None);
        assert_eq!(view.health.last_failure_at, Some(second_failure));
    }
}

#[tokio::test]
async fn a_webhook_url_with_a_user_name_or_password_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    for url in [
        "https://user:secret@hooks.example.com/in",
        "https://user@hooks.example.com/in",
    ] {
        let response = app
            .post("/api/v1/webhooks", &tenant.key)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            Some("url"),
        )
        .await;
    }
}

#[tokio::test]
async fn a_suspended_tenants_deliveries_wait_until_it_is_active_again() {
    let app = fast_app().await;
    let tenant = app.create_tenant("paused").await;
    let receiver = Receiver::start().await;
    receiver.script(&[500]);
    create_endpoint(&app, &tenant.key, json!({ "url": receiver.url })).await;
    app.ingest_ok(&tenant.key, json!({"event_type": "before.suspension"}))
        .await;
    received(&receiver, 1, Duration::from_secs(10)).await;

    let set_status = |status: &'static str| {
        patch(
            &app,
            &format!("/api/v1/tenants/{}", tenant.id),
            &app.admin_token,
        )
        .json(&json!({ "status": status }))
        .send()
    };
    assert_eq!(
        set_status("suspended").await.unwrap().status(),
        StatusCode::OK
    );
    // The retry is due after 1 s; while suspended it is not made.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        receiver.count(),
        1,
        "no attempt while the tenant is suspended"
    );

    assert_eq!(set_status("active").await.unwrap().status(), StatusCode::OK);
    let requests = received(&receiver, 2, Duration::from_secs(10)).await;
    assert_eq!(requests[1].answered, 200);
    assert_eq!(json_of(&requests[1])["type"], "before.suspension");
}
