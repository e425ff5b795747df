//! A read that runs past the request timeout is answered 503 and stopped in the database, not
//! left running behind the answer: SQLite's progress handler interrupts it (the server's CPU
//! goes quiet), PostgreSQL's `statement_timeout` cancels it (`pg_stat_activity` shows nothing
//! running). The slow read is made on purpose: rows written straight into the database, then
//! a stats call whose 20 metadata filters each hold on every row but the last.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{ADMIN_TOKEN, postgres_backend};
use crate::pg::fresh_database;
use crate::process::{ServerProcess, serve};

/// Rows seeded: enough that the read below takes several seconds on either store.
const ROWS: i64 = 400_000;

/// Each row's metadata: the filtered keys and some padding, since PostgreSQL parses the JSON
/// text again for every filter (and SQLite at least once per row).
fn seed_metadata() -> String {
    json!({"a": "x", "b": "y", "pad": "p".repeat(200)}).to_string()
}

/// The slow read: stats (two scans) with a breakdown (a third), every row checked against
/// 19 filters that hold and one that does not.
fn slow_stats_path() -> String {
    let mut path = String::from(
        "/api/v1/events/stats?from=2023-01-01T00:00:00Z&to=2024-01-01T00:00:00Z\
         &interval=day&group_by=meta.a",
    );
    for _ in 0..19 {
        path.push_str("&meta.a=x");
    }
    path.push_str("&meta.b=z");
    path
}

async fn create_tenant(client: &reqwest::Client, address: &str) -> (String, String) {
    let body: Value = client
        .post(format!("{address}/api/v1/tenants"))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&json!({"name": "slow"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["api_key"]["key"].as_str().unwrap().to_owned(),
    )
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// Sends the slow read and checks it is answered 503 `unavailable` at about the timeout.
async fn slow_read_is_answered_503(client: &reqwest::Client, address: &str, key: &str) {
    let started = Instant::now();
    let response = client
        .get(format!("{address}{}", slow_stats_path()))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    eprintln!("the slow read was answered 503 after {took:?}");
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
}

/// A quick read on the same server works at once: the pool has a free connection.
async fn quick_read_works(client: &reqwest::Client, address: &str, key: &str) {
    let started = Instant::now();
    let response = client
        .get(format!("{address}/api/v1/events?limit=1"))
        .header("X-API-Key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_read_past_the_timeout_is_stopped_in_the_database() {
    tributary::webhooks::install_crypto_provider();
    let client = reqwest::Client::new();
    if postgres_backend() {
        let Some(database) = fresh_database().await else {
            return;
        };
        let mut command = serve(&database.url);
        command.env("TRIBUTARY_HTTP__REQUEST_TIMEOUT_SECS", "1");
        let server = ServerProcess::start(command);
        let (tenant, key) = create_tenant(&client, &server.address).await;
        let mut db = sqlx::PgConnection::connect(&database.url).await.unwrap();
        sqlx::query(
            "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata) \
             SELECT gen_random_uuid(), $1::uuid, 'seed', \
             '2023-06-01T00:00:00Z'::timestamptz + g * interval '1 second', now(), \
             $3::json FROM generate_series(1, $2) g",
        )
        .bind(&tenant)
        .bind(ROWS)
        .bind(seed_metadata())
        .execute(&mut db)
        .await
        .unwrap();
        sqlx::query("ANALYZE events")
            .execute(&mut db)
            .await
            .unwrap();

        slow_read_is_answered_503(&client, &server.address, &key).await;
        // statement_timeout is the request timeout: what ran for the request is cancelled
        // about when the 503 goes out. Without it the scans would run for seconds more.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%FROM events%'",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        assert_eq!(running, 0, "the slow read still runs in PostgreSQL");
        quick_read_works(&client, &server.address, &key).await;
    } else {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}", file.display());
        let mut command = serve(&url);
        command.env("TRIBUTARY_HTTP__REQUEST_TIMEOUT_SECS", "1");
        let server = ServerProcess::start(command);
        let (tenant, key) = create_tenant(&client, &server.address).await;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 5000")
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?2) \
             INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata) \
             SELECT printf('%08x-0000-7000-8000-000000000000', n), ?1, 'seed', \
             1685577600000000 + n * 1000000, 1685577600000000, ?3 FROM g",
        )
        .bind(&tenant)
        .bind(ROWS)
        .bind(seed_metadata())
        .execute(&mut db)
        .await
        .unwrap();
        db.close().await.unwrap();

        let pid = server.pid();
        slow_read_is_answered_503(&client, &server.address, &key).await;
        // Interrupted at the timeout, the scans stop: over the next two seconds the server
        // is idle. Without the interrupt its worker threads would go on at full speed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = cpu_seconds(pid);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let burnt = cpu_seconds(pid) - before;
        eprintln!("SQLite: {burnt:.2} CPU-seconds in the 2 s after the 503");
        assert!(
            burnt < 0.3,
            "the server used {burnt:.2} CPU-seconds after answering 503"
        );
        quick_read_works(&client, &server.address, &key).await;
    }
}
