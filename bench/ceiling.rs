//! The raw insert ceiling (issue #14), run by `bench/disk.sh` in the same run as the server:
//! how fast the database takes the rows of the ingest benchmark with nothing of Tributary's
//! in the way. Each case writes into a fresh database made by Tributary's own migrations (the
//! same tables and indexes), in transactions of `--chunk` (1,000) events; rows are built before
//! each transaction and only the transactions are timed, so the figure is the database's.
//!
//! SQLite (one rusqlite connection, statements prepared once, `--sync full|normal`):
//! - `ack`: what the acknowledgement path writes: the `events` rows and the rollup;
//! - `ack+index`: the same plus the FTS5 rows (the same document as the server's indexer);
//! - `bare`: the same columns in a table without any index (what the disk itself allows).
//!
//! PostgreSQL (`--store postgres --url <server>`: a fresh database per case, dropped after;
//! text-format `COPY` of each transaction's rows, `synchronous_commit` off for `normal`):
//! - `ack`: `events` with the `tsvector` (PostgreSQL's commit writes it) and the rollup;
//! - `ack-noindex`: the same with no `tsvector`;
//! - `bare`: the same columns in a table without any index.
//!
//! `--cases ack+index --fts-config automerge=8` measures an FTS5 option before adopting it.
//!
//! Prints one line per case: `CEILING case=<case> rows=<n> seconds=<s> rows_per_s=<r>`.
//! Usage: cargo run --release --example ceiling -- --store sqlite --dir /tmp/x --seconds 5

#[path = "raw_rows.rs"]
mod raw_rows;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use raw_rows::{Document, Row, arg};
use serde_json::{Map, Value};
use sqlx::{Connection, PgConnection};
use tributary::store::postgres::PostgresStore;
use tributary::tenants::Tenant;

struct Settings {
    sync: String,
    /// FTS5 configuration options for the `ack+index` case (`automerge=8,crisismerge=16`), to
    /// measure a layout before a migration adopts it; empty: the table as migrated.
    fts_config: String,
    chunk: usize,
    /// Each case writes for this long (the time spent inside transactions).
    budget: Duration,
}

/// The events of the benchmark's mix, made once; each transaction's rows take the next ones.
struct Events {
    pool: Vec<(&'static str, Map<String, Value>)>,
    cursor: usize,
}

impl Events {
    fn new() -> Events {
        let mut rng = StdRng::seed_from_u64(14);
        let pool = (0..4096).map(|_| raw_rows::event(&mut rng)).collect();
        Events { pool, cursor: 0 }
    }

    fn rows(&mut self, tenant: &Tenant, count: usize, document: Document) -> Vec<Row> {
        (0..count)
            .map(|_| {
                self.cursor = (self.cursor + 1) % self.pool.len();
                let (event_type, metadata) = &self.pool[self.cursor];
                Row::new(tenant, event_type, metadata, document)
            })
            .collect()
    }
}

fn report(case: &str, rows: usize, spent: Duration) {
    let seconds = spent.as_secs_f64();
    println!(
        "CEILING case={case} rows={rows} seconds={seconds:.3} rows_per_s={:.0}",
        rows as f64 / seconds
    );
}

// --- SQLite ---------------------------------------------------------------------------------

fn sqlite_case(
    settings: &Settings,
    events: &mut Events,
    dir: &std::path::Path,
    case: &str,
) -> anyhow::Result<()> {
    let path = dir.join(format!("ceiling-{}.db", uuid::Uuid::now_v7()));
    let tenant = raw_rows::bench_tenant();
    raw_rows::create_sqlite(&path, &tenant)?;
    let mut connection = raw_rows::open_sqlite(&path, &settings.sync)?;
    let tenant_id = tenant.id.0.to_string();
    for option in settings
        .fts_config
        .split(',')
        .filter(|option| !option.is_empty())
    {
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        connection.execute(
            "INSERT INTO events_fts (events_fts, rank) VALUES (?1, ?2)",
            rusqlite::params![name, value.parse::<i64>()?],
        )?;
    }
    if case == "bare" {
        connection.execute_batch(
            "CREATE TABLE bare_events (id TEXT, tenant_id TEXT, event_type TEXT, ts INTEGER, \
             received_at INTEGER, metadata TEXT)",
        )?;
    }
    let (mut spent, mut written) = (Duration::ZERO, 0);
    while spent < settings.budget {
        let document: Document = (case == "ack+index").then_some(raw_rows::fts5_document);
        let rows = events.rows(&tenant, settings.chunk, document);
        let started = Instant::now();
        if case == "bare" {
            let tx = connection.transaction()?;
            {
                let mut insert =
                    tx.prepare_cached("INSERT INTO bare_events VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
                for row in &rows {
                    insert.execute(rusqlite::params![
                        row.id,
                        tenant_id,
                        row.event_type,
                        row.ts,
                        row.received_at,
                        row.metadata
                    ])?;
                }
            }
            tx.commit()?;
        } else {
            raw_rows::commit(&mut connection, &tenant_id, &rows)?;
        }
        spent += started.elapsed();
        written += rows.len();
    }
    report(case, written, spent);
    drop(connection);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

// --- PostgreSQL -----------------------------------------------------------------------------

/// A value in COPY's text format: backslash, tab, newline and carriage return escaped.
fn copy_text(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn timestamp(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S%.6f+00")
        .to_string()
}

/// The COPY data of `rows`; the `search` column is each row's document, if it has one.
fn copy_data(tenant: &Tenant, rows: &[Row]) -> String {
    let mut data = String::with_capacity(rows.len() * 600);
    let tenant_id = tenant.id.0.to_string();
    for row in rows {
        for value in [&row.id, &tenant_id, &row.event_type] {
            copy_text(value, &mut data);
            data.push('\t');
        }
        data.push_str(&timestamp(row.ts));
        data.push('\t');
        data.push_str(&timestamp(row.received_at));
        data.push('\t');
        copy_text(&row.metadata, &mut data);
        data.push('\t');
        match &row.document {
            Some(vector) => copy_text(vector, &mut data),
            None => data.push_str("\\N"),
        }
        data.push('\n');
    }
    data
}

async fn postgres_case(
    settings: &Settings,
    events: &mut Events,
    server: &str,
    case: &str,
) -> anyhow::Result<()> {
    let name = format!("tributary_ceiling_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(server).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    let url = format!("{}/{name}", server.trim_end_matches('/'));
    let result = postgres_writes(settings, events, &url, case).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    result
}

async fn postgres_writes(
    settings: &Settings,
    events: &mut Events,
    url: &str,
    case: &str,
) -> anyhow::Result<()> {
    let tenant = raw_rows::bench_tenant();
    {
        let store = PostgresStore::connect(url, 2, None).await?;
        raw_rows::create_schema(&store, &tenant).await?;
    }
    let mut connection = PgConnection::connect(url).await?;
    if settings.sync == "normal" {
        sqlx::query("SET synchronous_commit = off")
            .execute(&mut connection)
            .await?;
    }
    let columns = "(id, tenant_id, event_type, ts, received_at, metadata, search)";
    let table = if case == "bare" {
        sqlx::query(
            "CREATE TABLE bare_events (id UUID, tenant_id UUID, event_type TEXT, \
             ts TIMESTAMPTZ, received_at TIMESTAMPTZ, metadata JSON, search TSVECTOR)",
        )
        .execute(&mut connection)
        .await?;
        "bare_events"
    } else {
        "events"
    };
    let (mut spent, mut written) = (Duration::ZERO, 0);
    while spent < settings.budget {
        // The server renders the tsvector before its transaction, as this does before the clock.
        let document: Document = (case != "ack-noindex").then_some(raw_rows::tsvector_document);
        let rows = events.rows(&tenant, settings.chunk, document);
        let data = copy_data(&tenant, &rows);
        let minutes = raw_rows::minute_counts(&rows);
        let started = Instant::now();
        let mut tx = connection.begin().await?;
        let mut copy = tx
            .copy_in_raw(&format!("COPY {table} {columns} FROM STDIN"))
            .await?;
        copy.send(data.as_bytes()).await?;
        copy.finish().await?;
        if case != "bare" {
            let (keys, counts): (Vec<_>, Vec<_>) = minutes.into_iter().unzip();
            let (minute, event_type): (Vec<i64>, Vec<&str>) = keys.into_iter().unzip();
            sqlx::query(
                "INSERT INTO stats_counts (tenant_id, minute, event_type, shard, events, version) \
                 SELECT $1, minute, event_type, 0, events, 1 \
                 FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS input (minute, event_type, events) \
                 ON CONFLICT (tenant_id, minute, event_type, shard) DO UPDATE \
                 SET events = stats_counts.events + excluded.events, version = stats_counts.version + 1",
            )
            .bind(tenant.id.0)
            .bind(minute)
            .bind(event_type)
            .bind(counts)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        spent += started.elapsed();
        written += rows.len();
    }
    report(case, written, spent);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let store = arg("--store", "sqlite");
    let settings = Settings {
        sync: arg("--sync", "full"),
        fts_config: arg("--fts-config", ""),
        chunk: arg("--chunk", "1000").parse()?,
        budget: Duration::from_secs_f64(arg("--seconds", "5").parse()?),
    };
    let mut events = Events::new();
    match store.as_str() {
        "sqlite" => {
            let dir = PathBuf::from(arg("--dir", "/tmp"));
            let cases = arg("--cases", "ack,ack+index,bare");
            for case in cases.split(',') {
                sqlite_case(&settings, &mut events, &dir, case)?;
            }
        }
        "postgres" => {
            let server = arg("--url", "postgres://postgres@127.0.0.1:5432");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            for case in ["ack", "ack-noindex", "bare"] {
                runtime.block_on(postgres_case(&settings, &mut events, &server, case))?;
            }
        }
        other => anyhow::bail!("--store is sqlite or postgres, not {other}"),
    }
    Ok(())
}
