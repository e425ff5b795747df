//! Delivery fairness under a clogged endpoint (run through `bench/fairness.sh`).
//!
//! Two receivers run in this process: a slow one that answers after `--slow-ms` (10 s: the
//! attempt timeout, so its attempts fail by timing out) and a healthy one that answers at once.
//! Tenant A's endpoint points at the slow one and gets a backlog of `--backlog` deliveries
//! (ingested in batches of 500 before the measurement); tenant B's endpoint points at the
//! healthy one while B ingests single events at `--rate` per second for `--seconds`. Each
//! event carries the time it was sent; the healthy receiver records, per event, the time from
//! sending the ingest request to receiving the delivery. Prints one JSON line: the latency's
//! p50/p99/max, the events sent and delivered in time, and the slow endpoint's attempts.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[derive(Default)]
struct Seen {
    /// (sequence, latency in µs) of each first receipt.
    latencies: Vec<(u64, u64)>,
    sequences: HashSet<u64>,
    requests: u64,
}

async fn healthy(State(seen): State<Arc<Mutex<Seen>>>, body: Bytes) -> &'static str {
    let at = now_us();
    if let Ok(body) = serde_json::from_slice::<Value>(&body) {
        let meta = &body["data"]["metadata"];
        if let (Some(seq), Some(sent)) = (meta["seq"].as_u64(), meta["sent_us"].as_u64()) {
            let mut seen = seen.lock().unwrap();
            seen.requests += 1;
            if seen.sequences.insert(seq) {
                seen.latencies.push((seq, at.saturating_sub(sent)));
            }
        }
    }
    "ok"
}

async fn slow(State((delay, count)): State<(Duration, Arc<Mutex<u64>>)>) -> &'static str {
    *count.lock().unwrap() += 1;
    tokio::time::sleep(delay).await;
    "late"
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/hook")
}

async fn tenant(client: &reqwest::Client, server: &str, admin: &str, name: &str) -> String {
    let body: Value = client
        .post(format!("{server}/api/v1/tenants"))
        .header("X-API-Key", admin)
        .json(&json!({"name": name, "rate_limit": {"per_second": 10_000_000, "burst": 10_000_000}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["api_key"]["key"]
        .as_str()
        .unwrap_or_else(|| panic!("no tenant key in {body}"))
        .to_owned()
}

async fn endpoint(client: &reqwest::Client, server: &str, key: &str, url: &str) {
    let response = client
        .post(format!("{server}/api/v1/webhooks"))
        .header("X-API-Key", key)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let server = arg("--server", "http://127.0.0.1:8080");
    let admin = arg("--admin-token", "");
    let backlog: u64 = arg("--backlog", "100000").parse().unwrap();
    let rate: u64 = arg("--rate", "200").parse().unwrap();
    let seconds: u64 = arg("--seconds", "30").parse().unwrap();
    let slow_delay = Duration::from_millis(arg("--slow-ms", "10000").parse().unwrap());
    // reqwest is built without a default TLS provider; the server's own is used.
    tributary::webhooks::install_crypto_provider();
    let client = reqwest::Client::new();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let slow_count = Arc::new(Mutex::new(0u64));
    let healthy_url = serve(
        axum::Router::new()
            .fallback(healthy)
            .with_state(seen.clone()),
    )
    .await;
    let slow_url = serve(
        axum::Router::new()
            .fallback(slow)
            .with_state((slow_delay, slow_count.clone())),
    )
    .await;

    let clogged = tenant(&client, &server, &admin, "fairness-clogged").await;
    endpoint(&client, &server, &clogged, &slow_url).await;
    let started = Instant::now();
    let mut filled = 0;
    while filled < backlog {
        let n = (backlog - filled).min(500);
        let events: Vec<Value> = (0..n)
            .map(|i| json!({"event_type": "backlog", "metadata": {"n": filled + i}}))
            .collect();
        let response = client
            .post(format!("{server}/api/v1/events/batch"))
            .header("X-API-Key", &clogged)
            .json(&json!({ "events": events }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        filled += n;
    }
    eprintln!("backlog of {backlog} deliveries in {:?}", started.elapsed());

    let healthy_key = tenant(&client, &server, &admin, "fairness-healthy").await;
    endpoint(&client, &server, &healthy_key, &healthy_url).await;
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut senders = tokio::task::JoinSet::new();
    for seq in 0..total {
        ticker.tick().await;
        let (client, server, key) = (client.clone(), server.clone(), healthy_key.clone());
        senders.spawn(async move {
            let body =
                json!({"event_type": "healthy", "metadata": {"seq": seq, "sent_us": now_us()}});
            let response = client
                .post(format!("{server}/api/v1/events"))
                .header("X-API-Key", &key)
                .json(&body)
                .send()
                .await;
            matches!(response, Ok(r) if r.status() == 202)
        });
    }
    let mut acknowledged = 0u64;
    while let Some(ok) = senders.join_next().await {
        acknowledged += u64::from(ok.unwrap_or(false));
    }
    // Give the last events up to 5 s to arrive.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && (seen.lock().unwrap().sequences.len() as u64) < acknowledged
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = seen.lock().unwrap();
    let mut latencies: Vec<u64> = seen.latencies.iter().map(|(_, l)| *l).collect();
    latencies.sort_unstable();
    println!(
        "{}",
        json!({
            "backlog": backlog,
            "rate": rate,
            "seconds": seconds,
            "sent": total,
            "acknowledged": acknowledged,
            "delivered": seen.sequences.len(),
            "p50_ms": percentile(&latencies, 0.50),
            "p99_ms": percentile(&latencies, 0.99),
            "max_ms": percentile(&latencies, 1.0),
            "slow_attempts": *slow_count.lock().unwrap(),
        })
    );
}
