//! The binary's start-up contract: configuration from the environment, the admin token shown
//! once, production refusing to start without a JWT secret, and `tributary migrate`.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn tributary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tributary"));
    command
        .env_remove("ADMIN_TOKEN")
        .env_remove("JWT_SECRET")
        .env_remove("DATABASE_URL");
    command
}

#[test]
fn production_refuses_to_start_without_a_long_enough_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
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

/// Starts the binary, waits until it listens, then kills it. Returns the admin token it
/// printed, if any.
fn started_and_printed_token(url: &str) -> Option<String> {
    let mut child = tributary()
        .args(["serve"])
        .env("DATABASE_URL", url)
        .env("PORT", "0")
        .env("TRIBUTARY_LOG__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for "listening" on stderr: by then anything to print has been printed.
    let stderr = child.stderr.take().unwrap();
    let listening = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .any(|line| {
                serde_json::from_str::<Value>(&line).is_ok_and(|l| l["message"] == "listening")
            })
    });
    let started = std::time::Instant::now();
    while !listening.is_finished() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    assert!(listening.join().unwrap(), "the server started");
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .split_whitespace()
        .find(|word| word.starts_with("trb_admin_"))
        .map(str::to_owned)
}

#[test]
fn a_generated_admin_token_is_printed_once_and_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let token = started_and_printed_token(&url).expect("the first start prints a token");
    assert!(token.len() > 30);
    assert_eq!(
        started_and_printed_token(&url),
        None,
        "later starts do not print it again"
    );
}
