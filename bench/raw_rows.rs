//! What `bench/ceiling.rs` and `bench/reference.rs` share (included by both with `#[path]`):
//! the events the ingest benchmark sends (the shapes of `bench/ingest.lua`), a fresh database
//! with Tributary's own schema, and the writes of one commit to SQLite with nothing of
//! Tributary's in the way: rusqlite on one connection, statements prepared once and cached.
//!
//! A commit writes what Tributary's acknowledgement path writes: the `events` rows (with the
//! table's indexes) and the per-minute rollup (`stats_counts`); with `index`, also the FTS5
//! rows, with the same document Tributary's indexer builds. There are no webhook endpoints in
//! these benchmarks, so the outbox writes nothing, here as in the server.

#![allow(dead_code)] // each program uses part of it

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value};
use tributary::auth::{ApiKey, Scope};
use tributary::store::Store;
use tributary::store::sqlite::SqliteStore;
use tributary::tenants::{RateLimit, Tenant, TenantId, TenantStatus};
use uuid::Uuid;

/// One event as a commit writes it.
pub struct Row {
    pub id: String,
    pub event_type: String,
    pub ts: i64,
    pub received_at: i64,
    pub metadata: String,
    /// What the index is given for it (SQLite: the FTS5 body; PostgreSQL: the `tsvector`),
    /// when the write includes the index.
    pub document: Option<String>,
}

/// How a row's index document is made, if the write includes the index.
pub type Document = Option<fn(&Tenant, &str, &Map<String, Value>) -> String>;

/// SQLite's FTS5 body, as the server's indexer writes it.
pub fn fts5_document(_: &Tenant, event_type: &str, metadata: &Map<String, Value>) -> String {
    tributary::textquery::render::fts5_event_document(event_type, metadata)
}

/// PostgreSQL's `tsvector` literal, as the server's commit writes it.
pub fn tsvector_document(
    tenant: &Tenant,
    event_type: &str,
    metadata: &Map<String, Value>,
) -> String {
    let tokens = tributary::textquery::text::document(event_type, metadata);
    tributary::textquery::render::tsvector(tenant.id.0, &tokens)
}

impl Row {
    /// A row for an event received now, as the server would store it.
    pub fn new(
        tenant: &Tenant,
        event_type: &str,
        metadata: &Map<String, Value>,
        document: Document,
    ) -> Row {
        let now = Utc::now().timestamp_micros();
        Row {
            id: Uuid::now_v7().to_string(),
            event_type: event_type.to_owned(),
            ts: now,
            received_at: now,
            metadata: Value::Object(metadata.clone()).to_string(),
            document: document.map(|render| render(tenant, event_type, metadata)),
        }
    }
}

/// The value after `name` on the command line, or `default`.
pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

/// The rollup's rows for `rows`: events per (minute in Unix seconds, event type), as the
/// server's commit adds them to `stats_counts`.
pub fn minute_counts(rows: &[Row]) -> BTreeMap<(i64, &str), i64> {
    let mut minutes = BTreeMap::new();
    for row in rows {
        *minutes
            .entry((row.ts.div_euclid(60_000_000) * 60, row.event_type.as_str()))
            .or_default() += 1;
    }
    minutes
}

// --- the events of bench/ingest.lua -------------------------------------------------------------

const PAGES: &[&str] = &[
    "/",
    "/home",
    "/pricing",
    "/docs/getting-started",
    "/docs/api",
    "/blog/launch",
    "/blog/rust-at-scale",
    "/signup",
    "/login",
    "/dashboard",
    "/settings/billing",
    "/search",
];
const REFS: &[&str] = &[
    "google",
    "direct",
    "twitter",
    "newsletter",
    "github",
    "hn",
    "bing",
    "linkedin",
];
const COUNTRIES: &[&str] = &["US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "NL", "ES"];
const DEVICES: &[&str] = &["desktop", "mobile", "tablet"];
const BROWSERS: &[&str] = &["chrome", "firefox", "safari", "edge"];
const PLANS: &[&str] = &["free", "pro", "team", "enterprise"];
const WORDS: &[&str] = &[
    "pricing",
    "webhook",
    "rate limit",
    "retention",
    "export csv",
    "api key",
    "dashboard",
    "latency",
    "postgres",
    "sqlite",
    "search",
    "alerts",
];
const ELEMENTS: &[&str] = &[
    "cta-signup",
    "nav-docs",
    "nav-pricing",
    "btn-buy",
    "btn-copy-key",
    "tab-events",
];
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP"];

fn pick(rng: &mut StdRng, list: &[&'static str]) -> &'static str {
    list[rng.random_range(0..list.len())]
}

fn hex(rng: &mut StdRng, digits: usize) -> String {
    (0..digits)
        .map(|_| format!("{:x}", rng.random_range(0..16u8)))
        .collect()
}

/// One event of the ingest benchmark's mix: its type and metadata.
pub fn event(rng: &mut StdRng) -> (&'static str, Map<String, Value>) {
    let mut meta = Map::new();
    let mut put = |key: &str, value: Value| {
        meta.insert(key.to_owned(), value);
    };
    let r = rng.random_range(1..=100);
    let kind = if r <= 50 {
        put("page", pick(rng, PAGES).into());
        put("ref", pick(rng, REFS).into());
        put("duration_ms", rng.random_range(50..=30_000).into());
        "page_view"
    } else if r <= 70 {
        put("page", pick(rng, PAGES).into());
        put("element", pick(rng, ELEMENTS).into());
        put("x", rng.random_range(0..=1920).into());
        put("y", rng.random_range(0..=1080).into());
        "click"
    } else if r <= 80 {
        put(
            "query",
            format!("{} {}", pick(rng, WORDS), pick(rng, WORDS)).into(),
        );
        put("results", rng.random_range(0..=200).into());
        "search"
    } else if r <= 90 {
        put("route", "/v1/items/{id}".into());
        put(
            "status",
            if rng.random_range(1..=100) <= 97 {
                200
            } else {
                500
            }
            .into(),
        );
        put(
            "latency_ms",
            (rng.random::<f64>() * 2500.0)
                .round()
                .div_euclid(10.0)
                .into(),
        );
        put("plan", pick(rng, PLANS).into());
        "api.request"
    } else if r <= 95 {
        put("plan", pick(rng, PLANS).into());
        put("ref", pick(rng, REFS).into());
        put("trial", rng.random_bool(0.5).into());
        "signup"
    } else {
        put("order_id", format!("o_{}", hex(rng, 10)).into());
        put(
            "amount",
            ((rng.random::<f64>() * 50_000.0).round() / 100.0).into(),
        );
        put("currency", pick(rng, CURRENCIES).into());
        let items = serde_json::json!([
            {"sku": format!("sku-{}", rng.random_range(1..=999)), "qty": rng.random_range(1..=5)},
            {"sku": format!("sku-{}", rng.random_range(1..=999)), "qty": 1},
        ]);
        put("items", items);
        put("coupon", Value::Null);
        "purchase"
    };
    meta.insert(
        "user_id".into(),
        format!("u_{}", rng.random_range(1..=50_000)).into(),
    );
    meta.insert("session".into(), hex(rng, 16).into());
    meta.insert("country".into(), pick(rng, COUNTRIES).into());
    meta.insert("device".into(), pick(rng, DEVICES).into());
    meta.insert("browser".into(), pick(rng, BROWSERS).into());
    (kind, meta)
}

// --- the database -------------------------------------------------------------------------------

/// The tenant every benchmark row belongs to.
pub fn bench_tenant() -> Tenant {
    Tenant {
        id: TenantId(Uuid::now_v7()),
        name: "bench".into(),
        status: TenantStatus::Active,
        created_at: Utc::now(),
        rate_limit: RateLimit {
            per_second: 10_000_000,
            burst: 10_000_000,
        },
        retention_days: None,
    }
}

/// Creates `url`'s database with Tributary's own migrations and one tenant (through the
/// store, then closed), so the rows that follow go into exactly the server's tables.
pub async fn create_schema<S: Store>(store: &S, tenant: &Tenant) -> anyhow::Result<()> {
    let key = ApiKey {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: "bench".into(),
        prefix: format!("bench{}", tenant.id.0.simple()),
        secret_hash: Uuid::new_v4().as_bytes().to_vec(),
        scopes: vec![Scope::Ingest],
        created_at: Utc::now(),
        last_used_at: None,
        revoked_at: None,
    };
    store.create_tenant(tenant, &key).await?;
    Ok(())
}

/// A fresh SQLite file at `path` with Tributary's schema and `tenant`; the store's own
/// connections and tasks are gone when this returns.
pub fn create_sqlite(path: &Path, tenant: &Tenant) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url, 2, None).await?;
        create_schema(&store, tenant).await
    })
}

/// One connection as Tributary's writer opens it: WAL, foreign keys on, `synchronous` FULL
/// (survives a power cut) or NORMAL.
pub fn open_sqlite(path: &Path, sync: &str) -> rusqlite::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path)?;
    let synchronous = if sync == "normal" { "NORMAL" } else { "FULL" };
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
    ))?;
    Ok(connection)
}

/// Writes `rows` of `tenant` in one transaction: the events, the rollup and, for rows that
/// carry a document, their FTS5 rows.
pub fn commit(
    connection: &mut rusqlite::Connection,
    tenant: &str,
    rows: &[Row],
) -> rusqlite::Result<()> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut index =
            tx.prepare_cached("INSERT INTO events_fts (rowid, body) VALUES (?1, ?2)")?;
        for row in rows {
            insert.execute(rusqlite::params![
                row.id,
                tenant,
                row.event_type,
                row.ts,
                row.received_at,
                row.metadata
            ])?;
            if let Some(document) = &row.document {
                index.execute(rusqlite::params![tx.last_insert_rowid(), document])?;
            }
        }
        let mut rollup = tx.prepare_cached(
            "INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
             VALUES (?1, ?2, ?3, 0, ?4, 1) \
             ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
             SET events = events + excluded.events, version = version + 1",
        )?;
        for ((minute, event_type), events) in minute_counts(rows) {
            rollup.execute(rusqlite::params![tenant, minute, event_type, events])?;
        }
    }
    tx.commit()
}
