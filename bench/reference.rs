//! The reference server (issue #14): the simplest correct design of Tributary's ingest path,
//! kept as the same-run baseline for the HTTP benchmarks (`bench/disk.sh`). axum takes the
//! request, checks the API key against the one it was given, parses the body once, and hands
//! the rows to one committer thread that owns one SQLite connection: it takes whatever has
//! queued (a group commit), writes it in one transaction with the same schema, rows, rollup
//! and FTS5 document as Tributary (`bench/raw_rows.rs`), syncs as `--sync` says, and only then
//! answers. Same durability as the server: nothing is acknowledged before its commit.
//!
//! What it leaves out is everything else Tributary does per request (rate limits, schemas,
//! redaction, idempotency keys, the live stream, webhooks, metrics, tracing): the gap between
//! the two is the price of those and of the plumbing.
//!
//! Usage: reference --db <file> [--sync full|normal] [--index inline|none]
//! Prints `REFERENCE address=127.0.0.1:<port> key=<key>` once it listens.

#[path = "raw_rows.rs"]
mod raw_rows;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use raw_rows::{Document, Row, arg};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tributary::tenants::Tenant;

/// At most this many events per transaction, as Tributary's committer.
const MAX_GROUP: usize = 5000;

struct Commit {
    rows: Vec<Row>,
    done: oneshot::Sender<bool>,
}

struct App {
    key: String,
    tenant: Tenant,
    document: Document,
    commits: mpsc::Sender<Commit>,
}

#[derive(Deserialize)]
struct Incoming {
    event_type: String,
    #[serde(default)]
    metadata: Map<String, Value>,
}

#[derive(Deserialize)]
struct Batch {
    events: Vec<Incoming>,
}

fn valid(event: &Incoming) -> bool {
    !event.event_type.is_empty() && event.event_type.len() <= 128
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

impl App {
    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get("x-api-key")
            .is_some_and(|key| key.as_bytes() == self.key.as_bytes())
    }

    async fn store(&self, events: Vec<Incoming>) -> Result<usize, Response> {
        let rows: Vec<Row> = events
            .iter()
            .map(|event| {
                Row::new(
                    &self.tenant,
                    &event.event_type,
                    &event.metadata,
                    self.document,
                )
            })
            .collect();
        let count = rows.len();
        let (done, committed) = oneshot::channel();
        let unavailable = || error(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable");
        self.commits
            .send(Commit { rows, done })
            .await
            .map_err(|_| unavailable())?;
        match committed.await {
            Ok(true) => Ok(count),
            _ => Err(unavailable()),
        }
    }
}

async fn single(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if !app.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let event: Incoming = match serde_json::from_slice(&body) {
        Ok(event) if valid(&event) => event,
        _ => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid event"),
    };
    match app.store(vec![event]).await {
        Ok(_) => (StatusCode::ACCEPTED, axum::Json(json!({ "accepted": 1 }))).into_response(),
        Err(response) => response,
    }
}

async fn batch(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if !app.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => return error(StatusCode::BAD_REQUEST, "invalid batch"),
    };
    let (good, bad): (Vec<_>, Vec<_>) = batch.events.into_iter().partition(valid);
    let rejected = bad.len();
    match app.store(good).await {
        Ok(accepted) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "accepted": accepted, "rejected": rejected })),
        )
            .into_response(),
        Err(response) => response,
    }
}

/// The committer thread: blocks for the first commit, takes every other one already queued
/// (up to MAX_GROUP events), writes them in one transaction, then answers them all.
fn committer(
    mut connection: rusqlite::Connection,
    tenant: String,
    mut commits: mpsc::Receiver<Commit>,
) {
    while let Some(first) = commits.blocking_recv() {
        let mut group = vec![first];
        let mut events = group[0].rows.len();
        while events < MAX_GROUP {
            match commits.try_recv() {
                Ok(next) => {
                    events += next.rows.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        let rows: Vec<Row> = group
            .iter_mut()
            .flat_map(|commit| commit.rows.drain(..))
            .collect();
        let ok = match raw_rows::commit(&mut connection, &tenant, &rows) {
            Ok(()) => true,
            Err(error) => {
                eprintln!("commit failed: {error}");
                false
            }
        };
        for commit in group {
            let _ = commit.done.send(ok);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = PathBuf::from(arg("--db", "reference.db"));
    let sync = arg("--sync", "full");
    let document: Document = match arg("--index", "inline").as_str() {
        "inline" => Some(raw_rows::fts5_document),
        "none" => None,
        other => anyhow::bail!("--index is inline or none, not {other}"),
    };
    let tenant = raw_rows::bench_tenant();
    let setup_path = path.clone();
    let setup_tenant = tenant.clone();
    tokio::task::spawn_blocking(move || raw_rows::create_sqlite(&setup_path, &setup_tenant))
        .await??;
    let connection = raw_rows::open_sqlite(&path, &sync)?;
    let (commits, queue) = mpsc::channel(1024);
    let tenant_id = tenant.id.0.to_string();
    std::thread::spawn(move || committer(connection, tenant_id, queue));

    let key = format!("ref_{}", uuid::Uuid::new_v4().simple());
    let app = Arc::new(App {
        key: key.clone(),
        tenant,
        document,
        commits,
    });
    let router = Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({ "status": "ok" })) }),
        )
        .route("/api/v1/events", post(single))
        .route("/api/v1/events/batch", post(batch))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("REFERENCE address={} key={key}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
