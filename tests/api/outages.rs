//! Outages of what Tributary stands on, made by the tests themselves on resources of their own
//! (never the shared PostgreSQL): PostgreSQL restarted under load on a throwaway cluster
//! (`initdb` + `pg_ctl` on a free port), and a full disk under SQLite (a small tmpfs mounted
//! for the test). In both, ingest answers 503 while it cannot commit, recovers by itself once
//! the resource is back (no restart of Tributary), and nothing acknowledged is lost. Each runs
//! in its store's pass of the suite (`TRIBUTARY_TEST_BACKEND`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use crate::durability::{create_tenant, start_senders, stored_ids};
use crate::helpers::{TestApp, postgres_backend, spawn_app_on};

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// One ingest, as a probe: its status and error code.
async fn probe(app: &TestApp, key: &str) -> (StatusCode, Value) {
    let response = app
        .post("/api/v1/events", key)
        .json(&json!({"event_type": "probe"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Probes until one is acknowledged; every refusal meanwhile must be a 503 `unavailable`.
async fn wait_until_ingest_recovers(app: &TestApp, key: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = probe(app, key).await;
        if status == StatusCode::ACCEPTED {
            return started.elapsed();
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        assert!(
            started.elapsed() < within,
            "ingest did not recover within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// --- PostgreSQL restarted under load -------------------------------------------------------

/// A PostgreSQL cluster of the test's own, in a temp dir, on a free port.
struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    /// `None` (outside CI) when the server binaries are not installed.
    fn create() -> Option<OwnPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|entry| entry.path().join("bin"))
                    .filter(|bin| bin.join("initdb").exists())
                    .max()
            });
        let Some(bin) = bin else {
            assert!(
                !under_ci(),
                "CI must run the PostgreSQL outage test: install postgresql"
            );
            eprintln!(
                "note: skipping the PostgreSQL outage test: no /usr/lib/postgresql/*/bin/initdb"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = OwnPostgres { bin, dir, port };
        if running_as_root() {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            let chown = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(cluster.dir.path())
                .status()
                .unwrap();
            assert!(chown.success(), "chown to postgres");
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// One of the cluster's binaries, to run as postgres when we are root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.current_dir(self.dir.path()).stdin(Stdio::null());
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start(&self) {
        let data = self.data();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops it the hard way: `immediate` is a crash as far as the database is concerned.
    fn stop(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[tokio::test]
async fn postgres_restarted_under_load_is_503_meanwhile_then_recovers_losing_nothing() {
    // Run in the PostgreSQL pass of the suite (the cluster is the test's own either way).
    if !postgres_backend() {
        return;
    }
    let Some(postgres) = tokio::task::spawn_blocking(OwnPostgres::create)
        .await
        .unwrap()
    else {
        return;
    };
    let postgres = Arc::new(postgres);
    let app = spawn_app_on(&postgres.url(), |_| {}).await;
    let key = create_tenant(&app.client, &app.address).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let target = Arc::new(Mutex::new(app.address.clone()));
    let stop = CancellationToken::new();
    let senders = start_senders(&target, &key, &acked, Some(stop.clone()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_outage = acked.lock().unwrap().len();
    assert!(before_outage > 0, "the load runs");

    let cluster = postgres.clone();
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    // While it is down, ingest is refused with 503, quickly, and nothing is acknowledged.
    for _ in 0..5 {
        let started = Instant::now();
        let (status, body) = probe(&app, &key).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let cluster = postgres.clone();
    tokio::task::spawn_blocking(move || cluster.start())
        .await
        .unwrap();
    let recovered_after = wait_until_ingest_recovers(&app, &key, Duration::from_secs(20)).await;
    let at_recovery = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.cancel();
    for sender in senders {
        sender.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > at_recovery,
        "the senders are acknowledged again after the restart"
    );
    let stored = stored_ids(&app.client, &app.address, &key).await;
    let lost = acked.iter().filter(|id| !stored.contains(*id)).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged events lost",
        acked.len()
    );
    eprintln!(
        "PostgreSQL outage: {} events acknowledged, none lost; ingest recovered {recovered_after:?} after the restart",
        acked.len()
    );
}

// --- SQLite on a full disk -------------------------------------------------------------------

/// A small tmpfs mounted on a temp dir, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (outside CI) when this machine does not let the test mount one.
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::piped())
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(SmallDisk { dir }),
            other => {
                let why = match other {
                    Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
                    Err(error) => error.to_string(),
                };
                assert!(
                    !under_ci(),
                    "CI must run the disk-full test, which mounts a tmpfs (run as root): {why}"
                );
                eprintln!(
                    "note: skipping the SQLite disk-full test: cannot mount a tmpfs here ({why})"
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes a file until the disk is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if file.write_all(&chunk).is_err() {
            break;
        }
    }
    // The last bytes, one page at a time, so that nothing is left.
    while file.write_all(&chunk[..4096]).is_ok() {}
    while file.write_all(&chunk[..1]).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test]
async fn sqlite_on_a_full_disk_is_503_then_recovers_intact_when_space_is_back() {
    // Run in the SQLite pass of the suite.
    if postgres_backend() {
        return;
    }
    let Some(disk) = SmallDisk::mount("24m") else {
        return;
    };
    let file = disk.path().join("tributary.db");
    let url = format!("sqlite://{}", file.display());
    let app = spawn_app_on(&url, |_| {}).await;
    let key = create_tenant(&app.client, &app.address).await;
    let mut acked: Vec<String> = Vec::new();
    for i in 0..50 {
        let id = app
            .ingest_ok(&key, json!({"event_type": "before", "metadata": {"i": i}}))
            .await;
        acked.push(id);
    }

    let filler = disk.path().join("filler");
    let to_fill = filler.clone();
    tokio::task::spawn_blocking(move || fill(&to_fill))
        .await
        .unwrap();
    // With no space left, commits fail: 503, never 500, until space is back. (A commit may
    // still fit in room the database file already has; those are acknowledged, and kept.)
    let mut refused = 0;
    for i in 0..200 {
        let response = app
            .post("/api/v1/events/batch", &key)
            .json(&json!({"events": (0..20).map(|j| json!({"event_type": "full", "metadata": {"i": i, "j": j, "pad": "p".repeat(200)}})).collect::<Vec<_>>()}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            StatusCode::ACCEPTED => acked.extend(
                body["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_owned)),
            ),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error"]["code"], "unavailable", "{body}");
                refused += 1;
                if refused >= 5 {
                    break;
                }
            }
            other => panic!("on a full disk the batch answered {other}: {body}"),
        }
    }
    assert!(refused >= 5, "a full disk never refused a commit");

    std::fs::remove_file(&filler).unwrap();
    let recovered_after = wait_until_ingest_recovers(&app, &key, Duration::from_secs(10)).await;
    for i in 0..20 {
        let id = app
            .ingest_ok(&key, json!({"event_type": "after", "metadata": {"i": i}}))
            .await;
        acked.push(id);
    }
    let stored = stored_ids(&app.client, &app.address, &key).await;
    let lost = acked.iter().filter(|id| !stored.contains(*id)).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged events lost",
        acked.len()
    );

    // The file is sound: SQLite's own check, on a connection of ours.
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    db.close().await.unwrap();
    drop(app);
    eprintln!(
        "SQLite disk full: {refused} commits refused with 503, {} acknowledged kept, recovered {recovered_after:?} after space came back",
        acked.len()
    );
}
