//! The deployment files do what docs/deploy.md says: deploy/Caddyfile, the load balancer of
//! docker-compose.yml, run by a real Caddy in front of two real instances in scaled mode
//! (PostgreSQL + Redis), gives one address that serves the API from both instances and carries
//! the live stream's WebSocket upgrade. The file is used as it is, with only its documented
//! environment defaults (LISTEN, UPSTREAMS) pointed at this machine instead of compose's
//! service names. Needs `caddy` on the PATH (.ci/run installs it; skipped elsewhere without it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, next_json};
use crate::pg::fresh_database;
use crate::process::{ServerProcess, serve};
use crate::scaled::{Prefix, SHARED_REDIS};

/// A Caddy process, killed on drop.
struct Caddy {
    child: Child,
    address: String,
    _home: tempfile::TempDir,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn caddy_available() -> bool {
    let found = Command::new("caddy")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "caddy is not on the PATH; CI must run the load balancer test (.ci/run installs it)"
        );
        eprintln!("note: skipping the load balancer test: caddy is not on the PATH");
    }
    found
}

/// Runs deploy/Caddyfile in front of `upstreams` (`host:port` each) and waits until it
/// answers `/health`.
async fn start_caddy(upstreams: &[&str]) -> Caddy {
    let caddyfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/Caddyfile");
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&caddyfile)
        .env("LISTEN", format!(":{port}"))
        .env("UPSTREAMS", upstreams.join(" "))
        // Caddy keeps state under these; a test's own, so parallel runs do not meet.
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("caddy starts");
    let caddy = Caddy {
        child,
        address: format!("127.0.0.1:{port}"),
        _home: home,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let health = reqwest::get(format!("http://{}/health", caddy.address)).await;
        if health.is_ok_and(|response| response.status() == StatusCode::OK) {
            return caddy;
        }
        assert!(
            Instant::now() < deadline,
            "caddy did not answer /health within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Requests an instance has answered on `route`, from its own /metrics.
async fn requests_on(instance: &str, route: &str) -> u64 {
    let text = reqwest::get(format!("{instance}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| {
            line.starts_with("tributary_http_requests_total{")
                && line.contains(&format!("route=\"{route}\""))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn the_compose_load_balancer_spreads_http_over_both_instances_and_carries_websockets() {
    tributary::webhooks::install_crypto_provider();
    if !caddy_available() {
        return;
    }
    let Some(database) = fresh_database().await else {
        return;
    };
    let prefix = Prefix::new(SHARED_REDIS);
    let instance = || {
        let mut command = serve(&database.url);
        command
            .env("REDIS_URL", SHARED_REDIS)
            .env("TRIBUTARY_REDIS__PREFIX", &prefix.name);
        ServerProcess::start(command)
    };
    let (a, b) = (instance(), instance());
    let upstreams = [
        a.address.trim_start_matches("http://"),
        b.address.trim_start_matches("http://"),
    ];
    let caddy = start_caddy(&upstreams).await;
    let lb = format!("http://{}", caddy.address);
    let client = reqwest::Client::new();

    // HTTP: every request answered, and both instances answered some.
    let tenant: Value = client
        .post(format!("{lb}/api/v1/tenants"))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "behind-the-balancer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = tenant["api_key"]["key"].as_str().expect("a key").to_owned();
    for _ in 0..10 {
        let listed = client
            .get(format!("{lb}/api/v1/tenants"))
            .header("X-API-Key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), StatusCode::OK);
    }
    let (on_a, on_b) = (
        requests_on(&a.address, "/api/v1/tenants").await,
        requests_on(&b.address, "/api/v1/tenants").await,
    );
    assert_eq!(on_a + on_b, 11, "a: {on_a}, b: {on_b}");
    assert!(on_a > 0 && on_b > 0, "round robin: a: {on_a}, b: {on_b}");

    // WebSocket: the upgrade goes through, and events ingested through the balancer (by
    // either instance) arrive on it.
    let (mut socket, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/ws?access_token={key}",
        caddy.address
    ))
    .await
    .expect("the WebSocket upgrade goes through the load balancer");
    let first = next_json(&mut socket).await.expect("a first message");
    assert_eq!(first["type"], "subscribed", "{first}");
    let mut sent = Vec::new();
    for n in 0..4 {
        let response = client
            .post(format!("{lb}/api/v1/events"))
            .header("X-API-Key", &key)
            .json(&json!({"event_type": "through.lb", "metadata": {"n": n}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        sent.push(n);
    }
    let mut received = Vec::new();
    while received.len() < sent.len() {
        let message = next_json(&mut socket)
            .await
            .unwrap_or_else(|| panic!("events stopped after {received:?}"));
        if message["type"] == "event" {
            received.push(message["data"]["metadata"]["n"].as_i64().unwrap());
        }
    }
    received.sort_unstable();
    assert_eq!(received, vec![0, 1, 2, 3]);
}
