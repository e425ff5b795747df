//! Connection handling below HTTP: a client that sends half a request head, or nothing, or
//! sits idle, loses its socket after `http.header_read_timeout_secs`; connections past
//! `http.max_connections` are closed and counted; and no client can hold a shutdown open for
//! longer than `http.shutdown_grace_secs`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};
use crate::process::{ServerProcess, serve};

async fn connect(app_address: &str) -> TcpStream {
    TcpStream::connect(app_address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; the bytes read, or `None` if it stays open
/// past `within`.
async fn read_until_closed(socket: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let mut chunk = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn app_with_header_timeout(secs: u64) -> TestApp {
    spawn_app_with(|config| config.http.header_read_timeout_secs = secs).await
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let app = app_with_header_timeout(1).await;
    for partial in ["", "GET /health HTTP/1.1\r\nHost: x\r\n"] {
        let mut socket = connect(&app.address).await;
        socket.write_all(partial.as_bytes()).await.unwrap();
        let started = Instant::now();
        read_until_closed(&mut socket, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{partial:?}: still open after 5 s"));
        assert!(
            started.elapsed() >= Duration::from_millis(800),
            "{partial:?}"
        );
    }
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_timeout() {
    let app = app_with_header_timeout(1).await;
    let mut socket = connect(&app.address).await;
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let seen = read_until_closed(&mut socket, Duration::from_secs(5))
        .await
        .expect("the idle connection is closed");
    assert!(
        String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"),
        "the request itself was answered"
    );
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_and_counted() {
    let app = spawn_app_with(|config| config.http.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut socket = connect(&app.address).await;
        // A whole request, so that each connection is surely accepted and kept alive.
        socket
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 256];
        assert!(socket.read(&mut answer).await.unwrap() > 0);
        held.push(socket);
    }
    let mut third = connect(&app.address).await;
    let _ = third
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let seen = read_until_closed(&mut third, Duration::from_secs(3))
        .await
        .expect("the third connection is closed at once");
    assert!(seen.is_empty(), "{}", String::from_utf8_lossy(&seen));

    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("tributary_http_connections_refused_total"),
        "{metrics}"
    );
}

#[test]
fn sigterm_is_not_held_up_by_a_client_that_sends_half_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tributary.db").display());
    let mut command = serve(&url);
    // The head timeout is long, so only the grace period can end the connection.
    command
        .env("TRIBUTARY_HTTP__HEADER_READ_TIMEOUT_SECS", "120")
        .env("TRIBUTARY_HTTP__SHUTDOWN_GRACE_SECS", "1");
    let mut server = ServerProcess::start(command);
    let address = server.address.trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(&mut socket, b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let started = Instant::now();
    server.terminate();
    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("the server exits within 10 s of SIGTERM although a client holds a socket");
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(socket);
}
