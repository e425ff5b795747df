//! Durability with the real binary: an acknowledged event survives SIGKILL at any moment, and
//! SIGTERM drains in-flight requests before the process exits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, postgres_backend};
use crate::pg::{TestDatabase, fresh_database};
use crate::process::{ServerProcess, serve};

/// A database that outlives server processes: a SQLite file in a temp dir, or a fresh
/// PostgreSQL database.
async fn durable_database() -> (String, Option<tempfile::TempDir>, Option<TestDatabase>) {
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

async fn create_tenant(client: &reqwest::Client, address: &str) -> String {
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

/// Senders that ingest until the server goes away, recording every acknowledged id.
fn start_senders(
    address: &str,
    key: &str,
    acked: &Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..16)
        .map(|sender| {
            let (address, key, acked) = (address.to_owned(), key.to_owned(), acked.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for round in 0.. {
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
                    let Ok(response) = request.header("X-API-Key", &key).send().await else { return };
                    if response.status() != StatusCode::ACCEPTED {
                        return;
                    }
                    let Ok(body) = response.json::<Value>().await else { return };
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

async fn stored_ids(
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
    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let mut server = ServerProcess::start(serve(&url));
    let key = create_tenant(&client, &server.address).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let senders = start_senders(&server.address, &key, &acked);
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
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    let (url, _dir, _db) = durable_database().await;
    let client = reqwest::Client::new();
    let mut server = ServerProcess::start(serve(&url));
    let key = create_tenant(&client, &server.address).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let senders = start_senders(&server.address, &key, &acked);
    tokio::time::sleep(Duration::from_millis(800)).await;
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
