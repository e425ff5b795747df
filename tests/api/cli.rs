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

#[test]
fn the_health_command_tells_whether_a_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut child = tributary()
        .args(["serve"])
        .env("DATABASE_URL", &url)
        .env("PORT", "0")
        .env("TRIBUTARY_LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    // Keep reading stderr after the address is known, so the server never writes to a closed pipe.
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(log) = serde_json::from_str::<Value>(&line)
                && log["message"] == "listening"
            {
                let _ = found.send(log["address"].as_str().unwrap_or_default().to_owned());
            }
        }
    });
    let address = address
        .recv_timeout(Duration::from_secs(20))
        .expect("the server reports its address");
    let healthy = tributary()
        .args(["health", "--url", &format!("http://{address}/health")])
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let down = tributary()
        .args(["health", "--url", &format!("http://{address}/health")])
        .output()
        .unwrap();
    assert!(!down.status.success());
}

#[test]
fn serve_with_the_demo_stops_promptly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tributary()
        .args(["serve", "--demo"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("t.db").display()),
        )
        .env("PORT", "0")
        .env("TRIBUTARY_LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (found, listening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader};
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("demo events are being generated") {
                let _ = found.send(());
            }
        }
    });
    listening
        .recv_timeout(Duration::from_secs(20))
        .expect("the demo starts");
    std::thread::sleep(Duration::from_millis(500));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve --demo did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
