//! Load client for the live stream (run through `bench/stream.sh`).
//!
//! `latency`: N subscribers on one tenant while events are ingested at a fixed rate (to
//! `--ingest-url` when given: another instance, in scaled mode); reports
//! the time from each event's ingest acknowledgement to its receipt by every subscriber
//! (p50/p99/max). The event carries its sequence number in its metadata; a receipt that comes
//! before the acknowledgement (the server publishes right after commit, before it answers)
//! counts as 0. It also reports the ingest requests' own round trip (request to 202) in the
//! same run, as the reference the fan-out delay is read against.
//!
//! `idle`: opens N connections that only wait, then reports the server's resident memory
//! growth per connection (read from /proc/<pid>/status).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn optional_arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn arg(name: &str) -> String {
    optional_arg(name).unwrap_or_else(|| panic!("missing {name}"))
}

async fn connect(ws_url: &str) -> Ws {
    for attempt in 0.. {
        match tokio_tungstenite::connect_async(ws_url).await {
            Ok((mut socket, _)) => {
                // Wait for "subscribed": the subscription is live from here on.
                while let Some(Ok(message)) = socket.next().await {
                    if let Message::Text(text) = message
                        && text.contains("\"subscribed\"")
                    {
                        return socket;
                    }
                }
            }
            Err(error) if attempt < 20 => {
                eprintln!("connect failed ({error}); retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("cannot connect: {error}"),
        }
    }
    unreachable!()
}

async fn connect_many(ws_url: &str, count: usize) -> Vec<Ws> {
    let mut sockets = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(200) {
        let opened = futures::future::join_all(chunk.iter().map(|_| connect(ws_url))).await;
        sockets.extend(opened);
    }
    sockets
}

fn seq_of(text: &str) -> Option<usize> {
    let start = text.find("\"seq\":")? + 6;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

async fn latency(url: String, key: String) {
    let subscribers: usize = arg("--subscribers").parse().unwrap();
    let rate: u64 = arg("--rate").parse().unwrap();
    let seconds: u64 = arg("--seconds").parse().unwrap();
    let total = (rate * seconds) as usize;
    // Scaled mode: events go to one instance while the subscribers listen on another.
    let ingest_url = optional_arg("--ingest-url").unwrap_or_else(|| url.clone());
    let ws_url = format!(
        "{}/api/v1/ws?access_token={key}",
        url.replacen("http", "ws", 1)
    );
    let sockets = connect_many(&ws_url, subscribers).await;

    let start = Instant::now();
    // Microseconds since `start` at which event `seq` was acknowledged (0: not yet).
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let acked = acked.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(total);
                while latencies.len() < total {
                    let Ok(Some(Ok(message))) =
                        tokio::time::timeout(Duration::from_secs(10), socket.next()).await
                    else {
                        break;
                    };
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let Some(seq) = seq_of(&text) else { continue };
                    let now = start.elapsed().as_micros() as u64;
                    let ack = acked[seq].load(Ordering::Acquire);
                    latencies.push(if ack == 0 { 0 } else { now.saturating_sub(ack) });
                }
                latencies
            })
        })
        .collect();

    let client = reqwest::Client::new();
    // The same run's reference: how long one ingest request takes, request to 202.
    let round_trips: Arc<Vec<AtomicU64>> =
        Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut sends = Vec::with_capacity(total);
    for seq in 0..total {
        tick.tick().await;
        let (client, url, key) = (client.clone(), ingest_url.clone(), key.clone());
        let (acked, round_trips) = (acked.clone(), round_trips.clone());
        sends.push(tokio::spawn(async move {
            let sent = Instant::now();
            let response = client
                .post(format!("{url}/api/v1/events"))
                .header("X-API-Key", key)
                .json(&json!({"event_type": "bench", "metadata": {"seq": seq, "page": "/pricing"}}))
                .send()
                .await
                .expect("ingest");
            assert_eq!(response.status().as_u16(), 202);
            acked[seq].store(
                (start.elapsed().as_micros() as u64).max(1),
                Ordering::Release,
            );
            round_trips[seq].store(sent.elapsed().as_micros() as u64, Ordering::Relaxed);
        }));
    }
    for send in sends {
        send.await.unwrap();
    }
    let sent_for = start.elapsed();
    let mut all = Vec::new();
    let mut short = 0;
    for reader in readers {
        let latencies = reader.await.unwrap();
        if latencies.len() < total {
            short += 1;
        }
        all.extend(latencies);
    }
    all.sort_unstable();
    let mut ingest: Vec<u64> = round_trips
        .iter()
        .map(|rtt| rtt.load(Ordering::Relaxed))
        .collect();
    ingest.sort_unstable();
    let achieved = total as f64 / sent_for.as_secs_f64();
    println!(
        "subscribers={subscribers} events={total} rate={achieved:.0} deliveries={} incomplete_subscribers={short} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} ingest_p50_ms={:.2} ingest_p99_ms={:.2}",
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().map_or(f64::NAN, |m| *m as f64 / 1000.0),
        percentile(&ingest, 0.50),
        percentile(&ingest, 0.99),
    );
}

fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

async fn idle(url: String, key: String) {
    let connections: usize = arg("--connections").parse().unwrap();
    let pid = arg("--pid");
    let ws_url = format!(
        "{}/api/v1/ws?access_token={key}",
        url.replacen("http", "ws", 1)
    );
    // Warm the server up with a few connections so that one-time allocations are not counted.
    drop(connect_many(&ws_url, 50).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(&pid);
    let sockets = connect_many(&ws_url, connections).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(&pid);
    let per = (after.saturating_sub(before)) as f64 / connections as f64;
    println!(
        "connections={} rss_before_kib={before} rss_after_kib={after} per_connection_kib={per:.1}",
        sockets.len()
    );
    drop(sockets);
}

#[tokio::main]
async fn main() {
    // reqwest's TLS needs the process's crypto provider (tributary builds it without one).
    tributary::webhooks::install_crypto_provider();
    let mode = std::env::args().nth(1).expect("mode: latency | idle");
    let (url, key) = (arg("--url"), arg("--key"));
    match mode.as_str() {
        "latency" => latency(url, key).await,
        "idle" => idle(url, key).await,
        other => panic!("unknown mode {other}"),
    }
}
