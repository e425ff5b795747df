//! Durability with the real binary: an acknowledged event survives SIGKILL at any moment (once,
//! and a dozen times in a row with webhooks registered: every delivery still arrives), and
//! SIGTERM drains in-flight requests before the process exits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::helpers::{ADMIN_TOKEN, postgres_backend};
use crate::pg::{TestDatabase, fresh_database};
use crate::process::{ServerProcess, serve};

/// A database that outlives server processes: a SQLite file in a temp dir, or a fresh
/// PostgreSQL database.
pub(crate) async fn durable_database() -> (String, Option<tempfile::TempDir>, Option<TestDatabase>)
{
    // Both tests call this first, before making their reqwest clients: reqwest's TLS needs the
    // process's crypto provider, which only Application::build installs otherwise.
    tributary::webhooks::install_crypto_provider();
    if postgres_backend() {
        let db = fresh_database().await.expect("PostgreSQL");
        (db.url.clone(), None, Some(db))
    } else {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}", dir.path().join("t.db").display()),
            Some(dir),
            None,
        )
    }
}

pub(crate) async fn create_tenant(client: &reqwest::Client, address: &str) -> String {
    let body: Value = client
        .post(format!("{address}/api/v1/tenants"))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "durable", "rate_limit": {"per_second": 1000000, "burst": 1000000}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["api_key"]["key"].as_str().unwrap().to_owned()
}

/// Where the senders send: the current server's address, swapped on each restart.
pub(crate) type Target = Arc<Mutex<String>>;

/// Senders that ingest (one batch of 20 for every two single events), recording every
/// acknowledged id. They stop when the server goes away, or, when `persistent`, keep retrying
/// (the kill loop restarts the server under them) until `stop` is cancelled.
pub(crate) fn start_senders(
    target: &Target,
    key: &str,
    acked: &Arc<Mutex<Vec<String>>>,
    persistent: Option<CancellationToken>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..16)
        .map(|sender| {
            let (target, key, acked) = (target.clone(), key.to_owned(), acked.clone());
            let persistent = persistent.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                for round in 0.. {
                    if persistent.as_ref().is_some_and(CancellationToken::is_cancelled) {
                        return;
                    }
                    let address = target.lock().unwrap().clone();
                    let batch = round % 3 == 0;
                    let request = if batch {
                        let events: Vec<Value> =
                            (0..20).map(|i| json!({"event_type": "batch", "metadata": {"s": sender, "r": round, "i": i}})).collect();
                        client.post(format!("{address}/api/v1/events/batch")).json(&json!({ "events": events }))
                    } else {
                        client
                            .post(format!("{address}/api/v1/events"))
                            .json(&json!({"event_type": "single", "metadata": {"s": sender, "r": round}}))
                    };
                    let answer = match request.header("X-API-Key", &key).send().await {
                        Ok(response) if response.status() == StatusCode::ACCEPTED => {
                            response.json::<Value>().await.ok()
                        }
                        _ => None,
                    };
                    if persistent.is_some() {
                        // A steady load rather than a flood: the deliveries of every event
                        // must drain within the test's time.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    let Some(body) = answer else {
                        if persistent.is_none() {
                            return;
                        }
                        // The server is down or restarting: nothing was acknowledged.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let mut acked = acked.lock().unwrap();
                    if batch {
                        acked.extend(body["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
                    } else {
                        acked.push(body["id"].as_str().unwrap().to_owned());
                    }
                }
            })
        })
        .collect()
}

pub(crate) async fn stored_ids(
    client: &reqwest::Client,
    address: &str,
    key: &str,
) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let page: Value = client
            .get(format!("{address}/api/v1/events?limit=1000{cursor}"))
            .header("X-API-Key", key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn every_acknowledged_event_survives_sigkill_mid_stream() {
    survives_sigkill_mid_stream(None).await;
}

/// `database.sync = "normal"` gives up only power-cut safety: a SIGKILL still loses nothing.
#[tokio::test]
async fn with_sync_normal_every_acknowledged_event_still_survives_sigkill() {
    survives_sigkill_mid_stream(Some("normal")).await;
}

async fn survives_sigkill_mid_stream(sync: Option<&str>) {
    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let serve = |url: &str| {
        let mut command = serve(url);
        if let Some(sync) = sync {
            command.env("TRIBUTARY_DATABASE__SYNC", sync);
        }
        command
    };
    let mut server = ServerProcess::start(serve(&url));
    let key = create_tenant(&client, &server.address).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let target = Arc::new(Mutex::new(server.address.clone()));
    let senders = start_senders(&target, &key, &acked, None);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill_hard();
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the load ran ({} acknowledged)",
        acked.len()
    );

    let restarted = ServerProcess::start(serve(&url));
    let stored = stored_ids(&client, &restarted.address, &key).await;
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events were lost",
        lost.len(),
        acked.len()
    );
    // The setting was taken (the start-up summary names it), not ignored.
    let summary = restarted.kill_and_read_stdout();
    assert_eq!(
        summary.contains("sync = normal"),
        sync.is_some(),
        "{summary}"
    );
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let mut server = ServerProcess::start(serve(&url));
    let key = create_tenant(&client, &server.address).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let target = Arc::new(Mutex::new(server.address.clone()));
    let senders = start_senders(&target, &key, &acked, None);
    // Under way, whatever the machine's load: some events acknowledged, more in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while acked.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait_for_exit(Duration::from_secs(20));
        (status, server)
    });
    let (status, _server) = status.await.unwrap();
    let status = status.expect("exits within 20 s of SIGTERM");
    assert!(status.success(), "clean exit: {status:?}");
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());

    let restarted = ServerProcess::start(serve(&url));
    let stored = stored_ids(&client, &restarted.address, &key).await;
    assert!(
        acked.iter().all(|id| stored.contains(id)),
        "every acknowledged event is stored"
    );
}

/// The server's settings for the kill loop: a local receiver, quick polls, and a lease short
/// enough (attempt timeout + 5 s) that deliveries claimed by a killed process are taken over
/// soon after.
fn kill_loop_server(url: &str) -> std::process::Command {
    let mut command = serve(url);
    command
        .env("TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("TRIBUTARY_WEBHOOKS__ATTEMPT_TIMEOUT_SECS", "1")
        .env("TRIBUTARY_WEBHOOKS__POLL_INTERVAL_MS", "100")
        .env("TRIBUTARY_WEBHOOKS__MAX_PER_ENDPOINT", "32")
        .env(
            "TRIBUTARY_WEBHOOKS__RETRY_SCHEDULE_SECS",
            "[1, 1, 1, 2, 2, 2, 5, 5, 5, 5]",
        );
    command
}

#[tokio::test]
async fn a_dozen_sigkills_under_load_lose_no_acknowledged_event_or_delivery() {
    const KILLS: usize = 12;
    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let receiver = crate::webhooks::Receiver::start().await;
    let mut server = ServerProcess::start(kill_loop_server(&url));
    let key = create_tenant(&client, &server.address).await;
    let response = client
        .post(format!("{}/api/v1/webhooks", server.address))
        .header("X-API-Key", &key)
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let acked = Arc::new(Mutex::new(Vec::new()));
    let target = Arc::new(Mutex::new(server.address.clone()));
    let stop = CancellationToken::new();
    let senders = start_senders(&target, &key, &acked, Some(stop.clone()));
    let mut acked_at_kill = Vec::new();
    for _ in 0..KILLS {
        // A random moment: anywhere in a commit, a batch, a delivery or its bookkeeping.
        let pause = rand::random_range(300..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill_hard();
        acked_at_kill.push(acked.lock().unwrap().len());
        server = ServerProcess::start(kill_loop_server(&url));
        *target.lock().unwrap() = server.address.clone();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    // Each stretch between two kills acknowledged something: the load ran throughout.
    assert!(
        acked_at_kill.windows(2).filter(|w| w[1] > w[0]).count() >= KILLS / 2,
        "acknowledged counts at each kill: {acked_at_kill:?}"
    );

    let stored = stored_ids(&client, &server.address, &key).await;
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events were lost over {KILLS} SIGKILLs",
        lost.len(),
        acked.len()
    );

    // Every stored event is delivered at least once (a delivery cut off by a kill is made
    // again once its lease runs out).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let delivered: std::collections::HashSet<String> = receiver
            .requests()
            .iter()
            .filter_map(|request| {
                let body: Value = serde_json::from_slice(&request.body).ok()?;
                body["data"]["id"].as_str().map(str::to_owned)
            })
            .collect();
        let missing = stored.iter().filter(|id| !delivered.contains(*id)).count();
        if missing == 0 || std::time::Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        missing,
        0,
        "{missing} of {} stored events were never delivered",
        stored.len()
    );
    eprintln!(
        "kill loop: {KILLS} SIGKILLs, {} events acknowledged, all stored and delivered ({} requests)",
        acked.len(),
        receiver.requests().len()
    );
}
