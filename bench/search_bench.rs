//! Search benchmark (run through `bench/search.sh`, or `cargo run --release --example
//! search-bench -- --events 1000000 --dir /tmp/x --out section.md`).
//!
//! 1. Generates `--events` realistic events (page views, clicks, searches, API calls, carts,
//!    checkouts, failed payments, sign-ups, errors; a little French, German, Japanese and
//!    Chinese), deterministically, for one tenant over 30 days.
//! 2. Ingest: writes them, in the same run, into two fresh SQLite stores through the store's
//!    own `insert_events` (what the group committer calls), in transactions of 1,000 events:
//!    one store maintains the full-text index, the other does not
//!    (`SqliteStore::without_search_index`). Rounds of 50,000 events alternate between the two,
//!    so that load from elsewhere on the machine hits both alike.
//! 3. Search: starts the real server on the indexed database and times, over HTTP, 300
//!    two-word queries made of two words of a random stored event (so each has hits, and common
//!    words come up as often as they are common), plus a set of named queries.
//!
//! 4. Runs the same sampled queries for a second, small tenant (1,000 events) in the same
//!    database: the cost of sharing SQLite's index with a large tenant.
//!
//! Prints a Markdown section; `bench/search.sh` puts it into bench/RESULTS.md.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use tributary::auth::{ApiKey, Scope};
use tributary::config::Config;
use tributary::events::NewEvent;
use tributary::startup::Application;
use tributary::store::Store;
use tributary::store::sqlite::SqliteStore;
use tributary::tenants::{RateLimit, Tenant, TenantId, TenantStatus};
use uuid::Uuid;

const CHUNK: usize = 1000;
const ROUND: usize = 50_000;
const SAMPLED_QUERIES: usize = 300;
/// Events of the small tenant that shares the database with the large one.
const NEIGHBOUR_EVENTS: usize = 1000;
const ADMIN_TOKEN: &str = "bench-admin-token-not-a-secret";

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

// --- realistic events -------------------------------------------------------------------------

const PAGES: &[&str] = &[
    "/",
    "/home",
    "/pricing",
    "/pay",
    "/pay/confirm",
    "/checkout",
    "/cart",
    "/login",
    "/signup",
    "/search",
    "/docs/getting-started",
    "/docs/api/events",
    "/docs/sdk/python",
    "/blog/launch-week",
    "/blog/postgres-at-scale",
    "/settings/billing",
    "/settings/team",
    "/settings/api-keys",
    "/account/orders",
    "/help/refunds",
    "/help/shipping",
    "/careers",
    "/about",
    "/contact",
];
const ADJECTIVES: &[&str] = &[
    "blue",
    "red",
    "green",
    "black",
    "white",
    "vintage",
    "classic",
    "slim",
    "oversized",
    "organic",
    "waterproof",
    "lightweight",
    "merino",
    "recycled",
    "premium",
    "everyday",
    "travel",
    "summer",
    "winter",
    "cozy",
    "striped",
    "plaid",
    "linen",
    "denim",
    "leather",
    "canvas",
    "bamboo",
    "alpine",
];
const ITEMS: &[&str] = &[
    "sweater",
    "jacket",
    "backpack",
    "sneakers",
    "boots",
    "scarf",
    "hoodie",
    "shirt",
    "jeans",
    "socks",
    "beanie",
    "gloves",
    "tote",
    "wallet",
    "watch",
    "sunglasses",
    "raincoat",
    "parka",
    "vest",
    "shorts",
    "dress",
    "skirt",
    "blazer",
    "cardigan",
    "mug",
    "notebook",
    "lamp",
    "blanket",
];
const COUNTRIES: &[&str] = &[
    "us", "gb", "de", "fr", "es", "it", "nl", "se", "pl", "br", "mx", "ca", "jp", "kr", "cn", "in",
    "au", "nz", "za", "ng", "eg", "tr", "ar", "cl", "pt", "ie", "be", "ch", "at", "dk",
];
const BROWSERS: &[&str] = &[
    "chrome",
    "chrome",
    "chrome",
    "safari",
    "safari",
    "firefox",
    "edge",
    "samsung internet",
];
const SYSTEMS: &[&str] = &["windows", "macos", "ios", "android", "linux", "chromeos"];
const PLANS: &[&str] = &["free", "free", "free", "pro", "pro", "team", "enterprise"];
const REFERRERS: &[&str] = &[
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://t.co/abc",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.reddit.com/r/programming/",
    "",
    "",
    "",
    "",
];
const SERVICES: &[&str] = &[
    "checkout-service",
    "payments-api",
    "inventory",
    "search-api",
    "auth",
    "mailer",
    "shipping-quotes",
];
const PROVIDERS: &[&str] = &["stripe", "adyen", "paypal", "braintree"];
const CARDS: &[&str] = &["visa", "visa", "mastercard", "amex", "discover"];
const BUTTONS: &[&str] = &[
    "Buy now",
    "Add to cart",
    "Start free trial",
    "Contact sales",
    "Read more",
    "Sign in",
    "Apply coupon",
];
const CLIENTS: &[&str] = &[
    "sdk-python/1.4.2",
    "sdk-node/2.0.1",
    "sdk-go/0.9.0",
    "curl/8.5.0",
    "sdk-ruby/1.1.0",
];

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn product(rng: &mut StdRng) -> String {
    format!(
        "{} {} {}",
        pick(rng, ADJECTIVES),
        pick(rng, ADJECTIVES),
        pick(rng, ITEMS)
    )
}

fn payment_error(rng: &mut StdRng) -> String {
    match rng.random_range(0..14) {
        0..=3 => format!(
            "Card declined by issuer ({})",
            pick(
                rng,
                &[
                    "do_not_honor",
                    "generic_decline",
                    "lost_card",
                    "stolen_card"
                ]
            )
        ),
        4 => format!(
            "Insufficient funds on card ending {:04}",
            rng.random_range(0..10_000)
        ),
        5 => "3-D Secure authentication failed".to_owned(),
        6 => "Address verification failed: postcode mismatch".to_owned(),
        7 => format!(
            "Payment provider {} unavailable, retry later",
            pick(rng, PROVIDERS)
        ),
        8 => "Card expired".to_owned(),
        9 => "Incorrect CVC".to_owned(),
        10 => "Paiement refusé par la banque".to_owned(),
        11 => "Zahlung abgelehnt: Karte gesperrt".to_owned(),
        12 => "カード決済が拒否されました".to_owned(),
        _ => "支付失败，请稍后重试".to_owned(),
    }
}

fn app_error(rng: &mut StdRng) -> String {
    let service = pick(rng, SERVICES);
    match rng.random_range(0..10) {
        0..=2 => format!(
            "timeout after {} ms calling {service}",
            rng.random_range(1..30) * 500
        ),
        3 => format!("connection reset by {service}"),
        4 => format!("rate limit exceeded for {service}"),
        5 => "invalid email address".to_owned(),
        6 => format!(
            "database deadlock detected on table {}",
            pick(rng, &["orders", "carts", "users", "payments"])
        ),
        7 => "session expired, please sign in again".to_owned(),
        8 => format!(
            "TypeError: cannot read properties of undefined (reading '{}')",
            pick(rng, &["price", "id", "items", "user"])
        ),
        _ => "CSRF token mismatch".to_owned(),
    }
}

/// One event of the generated stream: its type and metadata.
fn generate(rng: &mut StdRng) -> (&'static str, Map<String, Value>) {
    let user = json!({
        "id": format!("u_{}", rng.random_range(1..200_000)),
        "plan": pick(rng, PLANS),
        "country": pick(rng, COUNTRIES),
    });
    let roll = rng.random_range(0..100);
    let (event_type, metadata) = match roll {
        0..=39 => (
            "page_view",
            json!({
                "page": if rng.random_bool(0.2) { format!("/products/{}", product(rng).replace(' ', "-")) } else { pick(rng, PAGES).to_owned() },
                "referrer": pick(rng, REFERRERS),
                "user": user,
                "browser": pick(rng, BROWSERS),
                "os": pick(rng, SYSTEMS),
                "duration_ms": rng.random_range(50..20_000),
            }),
        ),
        40..=57 => (
            "click",
            json!({
                "page": pick(rng, PAGES),
                "element": format!("button#{}", pick(rng, &["buy", "cart", "trial", "sales", "more", "signin", "coupon"])),
                "text": pick(rng, BUTTONS),
                "user": user,
            }),
        ),
        58..=65 => (
            "search",
            json!({
                "query": if rng.random_bool(0.5) { product(rng) } else { format!("{} {}", pick(rng, ADJECTIVES), pick(rng, ITEMS)) },
                "results": rng.random_range(0..120),
                "user": user,
            }),
        ),
        66..=79 => {
            let status = *[200, 200, 200, 201, 204, 400, 401, 404, 429, 500]
                .get(rng.random_range(0..10))
                .unwrap_or(&200);
            (
                "api_call",
                json!({
                    "method": pick(rng, &["GET", "GET", "POST", "PATCH", "DELETE"]),
                    "path": format!("/v1/{}", pick(rng, &["events", "events/batch", "tenants", "orders", "products", "webhooks"])),
                    "status": status,
                    "latency_ms": rng.random_range(1..2_000),
                    "client": pick(rng, CLIENTS),
                }),
            )
        }
        80..=85 => (
            "add_to_cart",
            json!({
                "product": product(rng),
                "price": rng.random_range(500..30_000) as f64 / 100.0,
                "currency": pick(rng, &["EUR", "USD", "GBP"]),
                "user": user,
            }),
        ),
        86..=89 => (
            "checkout",
            json!({
                "order_id": format!("ord_{:08x}", rng.random::<u32>()),
                "total": rng.random_range(1_000..90_000) as f64 / 100.0,
                "items": rng.random_range(1..8),
                "page": "/checkout",
                "user": user,
            }),
        ),
        90..=91 => (
            "payment_failed",
            json!({
                "order_id": format!("ord_{:08x}", rng.random::<u32>()),
                "provider": pick(rng, PROVIDERS),
                "error": payment_error(rng),
                "card": {"brand": pick(rng, CARDS), "last4": format!("{:04}", rng.random_range(0..10_000))},
                "page": "/pay",
                "user": user,
            }),
        ),
        92..=93 => (
            "signup",
            json!({
                "plan": pick(rng, PLANS),
                "source": pick(rng, &["google-ads", "newsletter", "launch-week", "referral", "organic"]),
                "user": user,
            }),
        ),
        _ => (
            "error",
            json!({
                "message": app_error(rng),
                "service": pick(rng, SERVICES),
                "release": format!("v2.{}.{}", rng.random_range(0..9), rng.random_range(0..20)),
                "page": pick(rng, PAGES),
            }),
        ),
    };
    (
        event_type,
        metadata.as_object().cloned().unwrap_or_default(),
    )
}

// --- stores -------------------------------------------------------------------------------------

async fn open(path: &Path, index: bool, tenant: &Tenant) -> anyhow::Result<SqliteStore> {
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()), 4, None).await?;
    add_tenant(&store, tenant).await?;
    Ok(if index {
        store
    } else {
        store.without_search_index()
    })
}

async fn add_tenant(store: &SqliteStore, tenant: &Tenant) -> anyhow::Result<()> {
    let key = ApiKey {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: "bench".into(),
        prefix: "bench".into(),
        secret_hash: Uuid::new_v4().as_bytes().to_vec(),
        scopes: vec![Scope::Read],
        created_at: Utc::now(),
        last_used_at: None,
        revoked_at: None,
    };
    store.create_tenant(tenant, &key).await?;
    Ok(())
}

async fn insert_all(store: &SqliteStore, events: &[NewEvent]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for chunk in events.chunks(CHUNK) {
        store.insert_events(Arc::new(chunk.to_vec())).await?;
    }
    Ok(started.elapsed())
}

fn size_of(path: &Path) -> u64 {
    let mut total = 0;
    for suffix in ["", "-wal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        total += std::fs::metadata(PathBuf::from(name))
            .map(|m| m.len())
            .unwrap_or(0);
    }
    total
}

// --- search -----------------------------------------------------------------------------------

struct Timed {
    millis: Vec<f64>,
    hits: Vec<usize>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn timed_get(client: &reqwest::Client, url: &str) -> anyhow::Result<(f64, usize, Value)> {
    let started = Instant::now();
    let response = client
        .get(url)
        .header("X-API-Key", ADMIN_TOKEN)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status.is_success(), "{url}: {status} {body}");
    let hits = body["hits"]
        .as_array()
        .or(body["events"].as_array())
        .map_or(0, Vec::len);
    Ok((millis, hits, body))
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Two words of the event, the way a person would pick them: no numbers or ids.
fn two_words(rng: &mut StdRng, event_type: &str, metadata: &Map<String, Value>) -> Option<String> {
    let mut words: Vec<String> = tributary::textquery::text::leaves(event_type, metadata)
        .iter()
        .flat_map(|leaf| tributary::textquery::text::words(&leaf.text))
        .filter(|w| w.chars().count() >= 2 && !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    words.sort();
    words.dedup();
    if words.len() < 2 {
        return None;
    }
    let first = rng.random_range(0..words.len());
    let mut second = rng.random_range(0..words.len() - 1);
    if second >= first {
        second += 1;
    }
    Some(format!("{} {}", words[first], words[second]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let total: usize = arg("--events", "1000000").parse()?;
    let dir = PathBuf::from(arg("--dir", "/tmp/tributary-search-bench"));
    let out = arg("--out", "");
    std::fs::create_dir_all(&dir)?;
    let indexed_path = dir.join("indexed.db");
    let plain_path = dir.join("plain.db");
    for path in [&indexed_path, &plain_path] {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }

    let tenant = Tenant {
        id: TenantId(Uuid::now_v7()),
        name: "bench".into(),
        status: TenantStatus::Active,
        created_at: Utc::now(),
        rate_limit: RateLimit {
            per_second: 1_000_000,
            burst: 1_000_000,
        },
        retention_days: None,
    };
    let indexed = open(&indexed_path, true, &tenant).await?;
    let plain = open(&plain_path, false, &tenant).await?;

    // Ingest, alternating rounds between the two stores.
    let mut rng = StdRng::seed_from_u64(4);
    let start: DateTime<Utc> = Utc::now() - chrono::Duration::days(30);
    let step_micros = (30 * 86_400 * 1_000_000i64) / total.max(1) as i64;
    let mut samples: Vec<(&'static str, Map<String, Value>)> = Vec::new();
    let sample_every = (total / (SAMPLED_QUERIES * 3)).max(1);
    let (mut with_index, mut without_index) = (Duration::ZERO, Duration::ZERO);
    let mut generated = 0usize;
    eprintln!("ingesting {total} events into both stores, {ROUND} at a time");
    while generated < total {
        let round = ROUND.min(total - generated);
        let events: Vec<NewEvent> = (0..round)
            .map(|i| {
                let n = generated + i;
                let (event_type, metadata) = generate(&mut rng);
                if n.is_multiple_of(sample_every) {
                    samples.push((event_type, metadata.clone()));
                }
                let timestamp = start + chrono::Duration::microseconds(step_micros * n as i64);
                NewEvent {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.id,
                    event_type: event_type.to_owned(),
                    timestamp,
                    received_at: timestamp,
                    metadata,
                    event_id: None,
                    violations: Vec::new(),
                }
            })
            .collect();
        without_index += insert_all(&plain, &events).await?;
        with_index += insert_all(&indexed, &events).await?;
        generated += round;
        eprintln!(
            "  {generated} events: {:.0}/s without the index, {:.0}/s with it",
            generated as f64 / without_index.as_secs_f64(),
            generated as f64 / with_index.as_secs_f64()
        );
    }
    // A small tenant in the same database, for the cost of sharing the index with a large one.
    let neighbour = Tenant {
        id: TenantId(Uuid::now_v7()),
        name: "neighbour".into(),
        ..tenant.clone()
    };
    add_tenant(&indexed, &neighbour).await?;
    let small: Vec<NewEvent> = (0..NEIGHBOUR_EVENTS)
        .map(|n| {
            let (event_type, metadata) = generate(&mut rng);
            let timestamp = start
                + chrono::Duration::microseconds(
                    step_micros * (n * total / NEIGHBOUR_EVENTS) as i64,
                );
            NewEvent {
                id: Uuid::now_v7(),
                tenant_id: neighbour.id,
                event_type: event_type.to_owned(),
                timestamp,
                received_at: timestamp,
                metadata,
                event_id: None,
                violations: Vec::new(),
            }
        })
        .collect();
    insert_all(&indexed, &small).await?;
    let plain_size = size_of(&plain_path);
    let indexed_size = size_of(&indexed_path);
    drop(plain);
    drop(indexed);

    // Search over HTTP against the real server on the indexed database.
    let mut config = Config::default();
    config.http.port = 0;
    config.database.url = format!("sqlite://{}", indexed_path.display());
    config.auth.admin_token = Some(ADMIN_TOKEN.to_owned());
    config.auth.jwt_secret = Some("bench-jwt-secret-0123456789abcdef0123456789".to_owned());
    let app = Application::build(config).await?;
    let base = format!("http://{}", app.address());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let search_url_of = |tenant: TenantId, q: &str| {
        format!(
            "{base}/api/v1/events/search?tenant_id={tenant}&q={}",
            encode(q)
        )
    };
    let search_url = |q: &str| search_url_of(tenant.id, q);

    let queries: Vec<String> = samples
        .iter()
        .filter_map(|(event_type, metadata)| two_words(&mut rng, event_type, metadata))
        .take(SAMPLED_QUERIES)
        .collect();
    eprintln!("warming up with {} queries", queries.len());
    for q in &queries {
        timed_get(&client, &search_url(q)).await?;
    }
    eprintln!("timing them");
    let mut sampled = Timed {
        millis: Vec::new(),
        hits: Vec::new(),
    };
    for q in &queries {
        let (millis, hits, _) = timed_get(&client, &search_url(q)).await?;
        sampled.millis.push(millis);
        sampled.hits.push(hits);
    }

    let mut next_door = Timed {
        millis: Vec::new(),
        hits: Vec::new(),
    };
    for q in &queries {
        let (millis, hits, _) = timed_get(&client, &search_url_of(neighbour.id, q)).await?;
        next_door.millis.push(millis);
        next_door.hits.push(hits);
    }

    let named: Vec<(&str, String)> = vec![
        ("two common words", "chrome pricing".to_owned()),
        ("two words, mid frequency", "card declined".to_owned()),
        ("two rare words", "deadlock carts".to_owned()),
        ("phrase", "\"card declined\"".to_owned()),
        ("field term", "page:/pay".to_owned()),
        (
            "nested field + word",
            "user.plan:pro germany OR de".to_owned(),
        ),
        ("prefix", "decl*".to_owned()),
        ("OR + word", "(visa OR amex) declined".to_owned()),
        ("negation", "timeout -checkout".to_owned()),
        ("CJK", "支付失败".to_owned()),
    ];
    let mut named_rows = Vec::new();
    for (label, q) in &named {
        let mut runs = Vec::new();
        let mut hits = 0;
        timed_get(&client, &search_url(q)).await?;
        for _ in 0..21 {
            let (millis, count, _) = timed_get(&client, &search_url(q)).await?;
            runs.push(millis);
            hits = count;
        }
        runs.sort_by(f64::total_cmp);
        let matched = count_matches(&client, &base, tenant.id, q).await?;
        named_rows.push(format!(
            "| {label} | `{}` | {matched} | {hits} | {:.1} ms | {:.1} ms |",
            q.replace('|', "\\|"),
            percentile(&runs, 50.0),
            percentile(&runs, 100.0)
        ));
    }
    let list_q = "card declined";
    let mut list_runs = Vec::new();
    for _ in 0..21 {
        let url = format!(
            "{base}/api/v1/events?tenant_id={}&limit=20&q={}",
            tenant.id,
            encode(list_q)
        );
        list_runs.push(timed_get(&client, &url).await?.0);
    }
    list_runs.sort_by(f64::total_cmp);
    let _ = stop.send(());
    let _ = server.await;

    let mut sorted = sampled.millis.clone();
    sorted.sort_by(f64::total_cmp);
    let mut hit_counts = sampled.hits.clone();
    hit_counts.sort_unstable();
    let rate_without = total as f64 / without_index.as_secs_f64();
    let rate_with = total as f64 / with_index.as_secs_f64();
    let cost = 100.0 * (1.0 - rate_with / rate_without);
    let p99 = percentile(&sorted, 99.0);
    let mut neighbour_sorted = next_door.millis.clone();
    neighbour_sorted.sort_by(f64::total_cmp);
    let section = format!(
        "## Search\n\n\
         - **Date**: {date}; {cores} cores shared with whatever else runs on the machine; SQLite {sqlite}; \
           built from `{commit}`.\n\
         - **Command**: `bash bench/search.sh` (generator and client: `bench/search_bench.rs`, run as \
           `cargo run --release --example search-bench -- --events {total}`).\n\
         - **Data**: {total} generated events of one tenant over 30 days (page views, clicks, searches, API calls, \
           carts, checkouts, failed payments with card errors in five languages, sign-ups, app errors; nested \
           `user` objects). Database {plain_mb:.0} MB without the index, {indexed_mb:.0} MB with it.\n\n\
         ### Ingest, same events, same run\n\n\
         Through `SqliteStore::insert_events` (what the group committer calls) in transactions of {CHUNK} events, \
         `synchronous = FULL`; rounds of {ROUND} events alternate between a store with the index and one without.\n\n\
         | store | events/s | total time |\n|---|---:|---:|\n\
         | without the full-text index | {rate_without:.0} | {without:.1} s |\n\
         | with the full-text index | {rate_with:.0} | {with:.1} s |\n\n\
         The index costs **{cost:.0}%** of ingest throughput (target ≤ 30%).\n\n\
         ### Search latency over {total} events\n\n\
         {n} two-word queries, each made of two words of a randomly chosen stored event (so every query has hits, \
         and a word comes up as often as events carry it), over HTTP to the release server (`limit=20`, snippets \
         included), one at a time after a warm-up pass: **p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms**, \
         max {max:.1} ms (target p99 ≤ 50 ms). Hits returned per query: median {hits_median}, {full} of {n} \
         queries filled the page of 20.\n\n\
         | named query | `q` | events matching | hits returned | p50 (21 runs) | max |\n|---|---|---:|---:|---:|---:|\n\
         {named}\n\n\
         The list endpoint with `q=card declined` (recency order, `limit=20`): p50 {list_p50:.1} ms, max {list_max:.1} ms.\n\n\
         ### A small tenant next to the large one\n\n\
         A second tenant with {NEIGHBOUR_EVENTS} events of the same kinds, in the same database, ran the same {n} queries: \
         **p50 {n_p50:.1} ms, p99 {n_p99:.1} ms**, max {n_max:.1} ms ({n_hits} hits in all; target p99 ≤ 50 ms). The \
         index is shared by the tenants; a tenant this small is searched through its own token in it, so the search \
         does not walk the large tenant's matches (see the README's search section).\n",
        date = Utc::now().format("%Y-%m-%d %H:%M UTC"),
        cores = std::thread::available_parallelism().map_or(0, |n| n.get()),
        sqlite = sqlite_version().await,
        commit = arg("--commit", "unknown"),
        plain_mb = plain_size as f64 / 1e6,
        indexed_mb = indexed_size as f64 / 1e6,
        without = without_index.as_secs_f64(),
        with = with_index.as_secs_f64(),
        n = sorted.len(),
        p50 = percentile(&sorted, 50.0),
        p95 = percentile(&sorted, 95.0),
        max = percentile(&sorted, 100.0),
        hits_median = hit_counts.get(hit_counts.len() / 2).copied().unwrap_or(0),
        full = hit_counts.iter().filter(|&&h| h == 20).count(),
        named = named_rows.join("\n"),
        list_p50 = percentile(&list_runs, 50.0),
        list_max = percentile(&list_runs, 100.0),
        n_p50 = percentile(&neighbour_sorted, 50.0),
        n_p99 = percentile(&neighbour_sorted, 99.0),
        n_max = percentile(&neighbour_sorted, 100.0),
        n_hits = next_door.hits.iter().sum::<usize>(),
    );
    if out.is_empty() {
        println!("{section}");
    } else {
        std::fs::write(&out, &section)?;
    }
    eprintln!("p99 {p99:.1} ms; index cost {cost:.0}%");
    Ok(())
}

/// How many events match `q`, counted by paging through the list endpoint's ids.
async fn count_matches(
    client: &reqwest::Client,
    base: &str,
    tenant: TenantId,
    q: &str,
) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let url = format!(
            "{base}/api/v1/events?tenant_id={tenant}&limit=1000&q={}{cursor}",
            encode(q)
        );
        let (_, hits, body) = timed_get(client, &url).await?;
        count += hits;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return Ok(count),
        }
    }
}

async fn sqlite_version() -> String {
    use sqlx::Connection;
    match sqlx::SqliteConnection::connect("sqlite::memory:").await {
        Ok(mut connection) => sqlx::query_scalar::<_, String>("SELECT sqlite_version()")
            .fetch_one(&mut connection)
            .await
            .unwrap_or_else(|_| "?".into()),
        Err(_) => "?".into(),
    }
}
