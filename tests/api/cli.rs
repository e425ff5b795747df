//! The binary's start-up contract: configuration from the environment, the admin token shown
//! once, production refusing to start without a JWT secret, and `tributary migrate`.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers::ADMIN_TOKEN;
use crate::process::{ServerProcess, serve, tributary};

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("t.db").display())
}

#[test]
fn production_refuses_to_start_without_a_long_enough_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    for secret in [None, Some("too-short")] {
        let mut command = tributary();
        command
            .args(["serve"])
            .env("TRIBUTARY_ENV", "production")
            .env("DATABASE_URL", &url)
            .env("PORT", "0");
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("JWT_SECRET"),
            "the error names the setting: {stderr}"
        );
    }
}

#[test]
fn migrate_applies_the_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("t.db");
    let status = tributary()
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        path.exists(),
        "the database file (and its folder) was created"
    );
}

#[test]
fn a_bad_setting_is_named_in_the_error() {
    let output = tributary()
        .args(["serve"])
        .env("PORT", "not-a-port")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .to_lowercase()
            .contains("port")
    );
}

/// Starts the binary without an admin token, waits until it listens, then kills it. Returns
/// the admin token it printed, if any.
fn started_and_printed_token(url: &str) -> Option<String> {
    let mut command = serve(url);
    command.env_remove("ADMIN_TOKEN");
    let stdout = ServerProcess::start(command).kill_and_read_stdout();
    stdout
        .split_whitespace()
        .find(|word| word.starts_with("trb_admin_"))
        .map(str::to_owned)
}

#[test]
fn a_generated_admin_token_is_printed_once_and_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let token = started_and_printed_token(&url).expect("the first start prints a token");
    assert!(token.len() > 30);
    assert_eq!(
        started_and_printed_token(&url),
        None,
        "later starts do not print it again"
    );
}

#[test]
fn the_health_command_tells_whether_a_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(serve(&sqlite_url(&dir)));
    let health_url = format!("{}/health", server.address);
    let healthy = tributary()
        .args(["health", "--url", &health_url])
        .output()
        .unwrap();
    server.kill_hard();
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let down = tributary()
        .args(["health", "--url", &health_url])
        .output()
        .unwrap();
    assert!(!down.status.success());
}

#[test]
fn serve_with_the_demo_stops_promptly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&sqlite_url(&dir));
    command.arg("--demo");
    // "listening" comes after the demo has started.
    let mut server = ServerProcess::start(command);
    std::thread::sleep(Duration::from_millis(500));
    server.terminate();
    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("serve --demo stops within 10 s of SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn the_server_keeps_serving_when_its_log_pipe_is_closed() {
    // `tributary serve 2>&1 | head` closes the pipe early; each later log line then fails to
    // write, which must cost the line, not the server.
    tributary::webhooks::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_then_close_stderr(serve(&sqlite_url(&dir)));
    let client = reqwest::Client::new();
    for round in 0..20 {
        // Every request writes a log line.
        let created = client
            .post(format!("{}/api/v1/tenants", server.address))
            .header("X-API-Key", ADMIN_TOKEN)
            .json(&serde_json::json!({"name": format!("after-close-{round}")}))
            .send()
            .await
            .expect("the server still answers");
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    }
    let tenants: serde_json::Value = client
        .get(format!("{}/api/v1/tenants", server.address))
        .header("X-API-Key", ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenants["tenants"].as_array().map(Vec::len), Some(20));
}

#[test]
fn a_generated_admin_token_that_cannot_be_printed_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&sqlite_url(&dir));
    command.env_remove("ADMIN_TOKEN");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end of stdout before the server gets to print: as `tributary serve | true`.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an error, not a panic: {stderr}"
    );
    assert!(stderr.contains("set ADMIN_TOKEN"), "{stderr}");
}

#[test]
fn serve_starts_with_a_short_summary_that_says_where_to_open_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&sqlite_url(&dir));
    command.env_remove("ADMIN_TOKEN");
    let server = ServerProcess::start(command);
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let stdout = server.kill_and_read_stdout();
    assert!(
        stdout.contains(&format!("open      http://localhost:{port}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("development mode"), "{stdout}");
    assert!(stdout.contains("embedded: SQLite"), "{stdout}");
    assert!(
        stdout.contains("trb_admin_"),
        "the generated token: {stdout}"
    );
    assert!(
        stdout.len() < 600,
        "a screenful, not a dump: {} bytes",
        stdout.len()
    );
}

/// Starts `serve` with `env` added, makes a tenant, and asks for a webhook to a receiver on
/// this machine; returns the status and the error message, if any.
async fn create_local_webhook(env: &[(&str, &str)]) -> (reqwest::StatusCode, String) {
    tributary::webhooks::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&sqlite_url(&dir));
    command.envs(env.iter().copied());
    let server = ServerProcess::start(command);
    let client = reqwest::Client::new();
    let tenant: serde_json::Value = client
        .post(format!("{}/api/v1/tenants", server.address))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "local-hooks"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = tenant["api_key"]["key"].as_str().expect("a key").to_owned();
    let response = client
        .post(format!("{}/api/v1/webhooks", server.address))
        .header("X-API-Key", key)
        .json(&serde_json::json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or("").to_owned();
    (status, message)
}

#[tokio::test]
async fn development_mode_lets_a_webhook_target_a_receiver_on_this_machine() {
    let (status, message) = create_local_webhook(&[]).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{message}");
}

#[tokio::test]
async fn production_refuses_a_local_webhook_target_and_names_the_setting_that_allows_it() {
    let (status, message) = create_local_webhook(&[("TRIBUTARY_ENV", "production")]).await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        message.contains("webhooks.allow_private_targets")
            && message.contains("TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true"),
        "{message}"
    );
}

#[tokio::test]
async fn an_explicit_setting_overrides_the_development_default() {
    let (status, _) =
        create_local_webhook(&[("TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false")]).await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}

/// Ingests `count` events of type `backup.test` as the admin into `tenant_id`; returns their ids.
async fn ingest_events(address: &str, tenant_id: &str, count: usize) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for n in 0..count {
        let response: serde_json::Value = client
            .post(format!("{address}/api/v1/events"))
            .header("X-API-Key", ADMIN_TOKEN)
            .json(&serde_json::json!({"tenant_id": tenant_id, "event_type": "backup.test", "metadata": {"n": n}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(response["id"].as_str().expect("an event id").to_owned());
    }
    ids
}

#[tokio::test]
async fn backup_copies_a_live_database_with_every_acknowledged_event_and_the_copy_serves() {
    tributary::webhooks::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let live_url = sqlite_url(&dir);
    let server = ServerProcess::start(serve(&live_url));
    let tenant: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/tenants", server.address))
        .header("X-API-Key", ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "backed-up"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant_id = tenant["id"].as_str().unwrap().to_owned();
    let acknowledged = ingest_events(&server.address, &tenant_id, 50).await;

    // Backed up while the server keeps writing.
    let writer = tokio::spawn({
        let (address, tenant_id) = (server.address.clone(), tenant_id.clone());
        async move { ingest_events(&address, &tenant_id, 200).await }
    });
    let copy = dir.path().join("copy.db");
    let output = tributary()
        .arg("backup")
        .arg(&copy)
        .env("DATABASE_URL", &live_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("backed up to"));
    writer.await.unwrap();
    drop(server);

    // The copy is a working database: a server started on it lists the events.
    let restored = ServerProcess::start(serve(&format!("sqlite://{}", copy.display())));
    let mut found = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/api/v1/events?tenant_id={tenant_id}&limit=1000",
            restored.address
        );
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: serde_json::Value = reqwest::Client::new()
            .get(url)
            .header("X-API-Key", ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for event in page["events"].as_array().unwrap() {
            found.insert(event["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    for id in &acknowledged {
        assert!(
            found.contains(id),
            "event {id} acknowledged before the backup is missing"
        );
    }
    assert!(found.len() <= 250);
}

#[test]
fn backup_refuses_an_existing_file_and_points_postgresql_at_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("exists.db");
    std::fs::write(&existing, b"keep me").unwrap();
    let output = tributary()
        .arg("backup")
        .arg(&existing)
        .env("DATABASE_URL", sqlite_url(&dir))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");

    let output = tributary()
        .arg("backup")
        .arg(dir.path().join("new.db"))
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
}
