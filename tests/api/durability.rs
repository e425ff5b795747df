//! Durability with the real binary: an acknowledged event survives SIGKILL at any moment, and
//! SIGTERM drains in-flight requests before the process exits.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, JWT_SECRET, postgres_backend};
use crate::pg::{TestDatabase, fresh_database};

struct ServerProcess {
    child: Child,
    address: String,
}

impl ServerProcess {
    /// Starts `tributary serve` on a random port and waits until it says where it listens.
    fn start(database_url: &str) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("ADMIN_TOKEN", ADMIN_TOKEN)
            .env("JWT_SECRET", JWT_SECRET)
            .env("PORT", "0")
            .env("TRIBUTARY_LOG__FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sent {
                    continue; // keep draining so the server never blocks on a full pipe
                }
                if let Ok(log) = serde_json::from_str::<Value>(&line)
                    && log["message"] == "listening"
                    && let Some(address) = log["address"].as_str()
                {
                    let _ = found.send(address.to_owned());
                    sent = true;
                }
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports its address");
        ServerProcess {
            child,
            address: format!("http://{address}"),
        }
    }

    fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn terminate(&mut self) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: sending a signal to our own child process, whose pid we hold.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let mut server = ServerProcess::start(&url);
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

    let restarted = ServerProcess::start(&url);
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
    let mut server = ServerProcess::start(&url);
    let key = create_tenant(&client, &server.address).await;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let senders = start_senders(&server.address, &key, &acked);
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.terminate();
    let status = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().expect("exit status");
        (status, server)
    });
    let (status, _server) = tokio::time::timeout(Duration::from_secs(20), status)
        .await
        .expect("exits in time")
        .unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());

    let restarted = ServerProcess::start(&url);
    let stored = stored_ids(&client, &restarted.address, &key).await;
    assert!(
        acked.iter().all(|id| stored.contains(id)),
        "every acknowledged event is stored"
    );
}
