//! Scaled mode: several instances on one PostgreSQL database and Redis share rate limits and
//! live fan-out, and survive Redis going away. Every test uses its own database and Redis key
//! prefix, and removes its keys afterwards.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tributary::config::{Config, OnRedisError};

use crate::helpers::{TestApp, next_json, spawn_app_on};
use crate::pg::{TestDatabase, fresh_database};

pub const SHARED_REDIS: &str = "redis://127.0.0.1:6379";

/// A key prefix of this test's own, whose keys are deleted on drop.
pub struct Prefix {
    pub name: String,
    url: String,
}

impl Prefix {
    pub fn new(url: &str) -> Prefix {
        Prefix {
            name: format!("tributary-test-{}", uuid::Uuid::now_v7().simple()),
            url: url.to_owned(),
        }
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.name))
            .query(&mut connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}

/// A Redis server of the test's own, on a free port, that the test can kill and restart.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = OwnRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (CI installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn database() -> TestDatabase {
    fresh_database()
        .await
        .expect("scaled mode needs PostgreSQL")
}

async fn instance(
    db: &TestDatabase,
    redis_url: &str,
    prefix: &Prefix,
    on_error: OnRedisError,
) -> TestApp {
    let (url, prefix) = (redis_url.to_owned(), prefix.name.clone());
    spawn_app_on(&db.url, move |config: &mut Config| {
        config.redis.url = Some(url);
        config.redis.prefix = prefix;
        config.ratelimit.on_redis_error = on_error;
    })
    .await
}

/// Polls until `/ready` answers `expected`, for at most 15 s.
async fn wait_ready(app: &TestApp, expected: StatusCode) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app
            .client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .status();
        if status == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/ready stayed {status}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_event_ingested_on_one_instance_reaches_subscribers_on_every_instance_once() {
    let db = database().await;
    let prefix = Prefix::new(SHARED_REDIS);
    let a = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    let b = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    wait_ready(&a, StatusCode::OK).await;
    wait_ready(&b, StatusCode::OK).await;
    let acme = a.create_tenant("acme").await;
    let mut on_b = b.ws_ready(&acme.key, "").await;
    let mut on_a = a.ws_ready(&acme.key, "").await;

    let id = a
        .ingest_ok(&acme.key, json!({"event_type": "from_a"}))
        .await;
    let received = next_json(&mut on_b)
        .await
        .expect("the event crosses instances");
    assert_eq!(received["data"]["id"], id.as_str());
    assert_eq!(
        next_json(&mut on_a).await.unwrap()["data"]["id"],
        id.as_str()
    );

    // Each subscriber gets each event once: the instance that ingested it does not get it
    // back from Redis a second time.
    let second = b
        .ingest_ok(&acme.key, json!({"event_type": "from_b"}))
        .await;
    for socket in [&mut on_a, &mut on_b] {
        assert_eq!(
            next_json(socket).await.unwrap()["data"]["id"],
            second.as_str()
        );
        let no_more = tokio::time::timeout(Duration::from_millis(300), next_json(socket)).await;
        assert!(no_more.is_err(), "a duplicate arrived");
    }
}

#[tokio::test]
async fn a_tenants_burst_is_shared_by_every_instance() {
    let db = database().await;
    let prefix = Prefix::new(SHARED_REDIS);
    let a = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Deny).await;
    let b = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Deny).await;
    let acme = a
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 6}}))
        .await;
    for round in 0..6 {
        let app = if round % 2 == 0 { &a } else { &b };
        app.ingest_ok(&acme.key, json!({"event_type": "x"})).await;
    }
    for app in [&a, &b] {
        let refused = app.ingest(&acme.key, json!({"event_type": "x"})).await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
    }
    let (_, stats) = a.get_json("/api/v1/events/stats", &acme.key).await;
    assert_eq!(
        stats["total"], 6,
        "nothing over the shared limit was stored"
    );
}

#[tokio::test]
async fn without_redis_ingestion_goes_on_when_allowed_and_fan_out_and_limits_recover() {
    let db = database().await;
    let mut redis = OwnRedis::start();
    let prefix = Prefix::new(&redis.url());
    let a = instance(&db, &redis.url(), &prefix, OnRedisError::Allow).await;
    let b = instance(&db, &redis.url(), &prefix, OnRedisError::Allow).await;
    wait_ready(&b, StatusCode::OK).await;
    let acme = a
        .create_tenant_with(json!({"name": "acme", "rate_limit": {"per_second": 1, "burst": 4}}))
        .await;

    redis.kill();
    wait_ready(&a, StatusCode::SERVICE_UNAVAILABLE).await;
    let (_, ready) = a.get_json("/ready", "").await;
    assert!(
        ready["checks"]["redis"]
            .as_str()
            .unwrap()
            .starts_with("error"),
        "{ready}"
    );
    let started = Instant::now();
    a.ingest_ok(&acme.key, json!({"event_type": "while_redis_is_down"}))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "ingestion does not hang on Redis"
    );

    redis.restart();
    wait_ready(&a, StatusCode::OK).await;
    wait_ready(&b, StatusCode::OK).await;
    // Fan-out works again, without restarting the instances.
    let mut on_b = b.ws_ready(&acme.key, "").await;
    let id = a
        .ingest_ok(&acme.key, json!({"event_type": "after_recovery"}))
        .await;
    assert_eq!(
        next_json(&mut on_b).await.expect("fan-out recovered")["data"]["id"],
        id.as_str()
    );
    // And the limit is shared again: the fresh Redis has a full budget of 4, spent on both.
    let tenant_b = acme.clone();
    let mut accepted = 1; // after_recovery
    for round in 0..6 {
        let app = if round % 2 == 0 { &a } else { &b };
        if app
            .ingest(&tenant_b.key, json!({"event_type": "y"}))
            .await
            .status()
            == StatusCode::ACCEPTED
        {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 4, "a shared burst of 4 across both instances");
}

#[tokio::test]
async fn without_redis_ingestion_is_refused_with_503_when_denied_and_resumes_after() {
    let db = database().await;
    let mut redis = OwnRedis::start();
    let prefix = Prefix::new(&redis.url());
    let a = instance(&db, &redis.url(), &prefix, OnRedisError::Deny).await;
    let acme = a.create_tenant("acme").await;
    a.ingest_ok(&acme.key, json!({"event_type": "before"}))
        .await;

    redis.kill();
    let refused = a.ingest(&acme.key, json!({"event_type": "during"})).await;
    let body: Value = crate::helpers::assert_error(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        None,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rate limiter")
    );

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while a
        .ingest(&acme.key, json!({"event_type": "after"}))
        .await
        .status()
        != StatusCode::ACCEPTED
    {
        assert!(Instant::now() < deadline, "ingestion did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, stats) = a.get_json("/api/v1/events/stats", &acme.key).await;
    assert_eq!(
        stats["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["event_type"] == "during")
            .count(),
        0
    );
}

#[test]
fn redis_with_sqlite_is_refused_with_a_clear_message() {
    let mut config = Config::default();
    config.redis.url = Some(SHARED_REDIS.into());
    let error = config.validate().unwrap_err().to_string();
    assert!(
        error.contains("REDIS_URL") && error.contains("PostgreSQL"),
        "{error}"
    );
}

#[tokio::test]
async fn a_schema_change_on_one_instance_is_in_force_on_the_other_at_once() {
    let db = database().await;
    let prefix = Prefix::new(SHARED_REDIS);
    let a = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    let b = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    wait_ready(&a, StatusCode::OK).await;
    wait_ready(&b, StatusCode::OK).await;
    let acme = a.create_tenant("acme").await;
    // B has loaded (and cached) the tenant's contracts: none.
    b.ingest_ok(&acme.key, json!({"event_type": "signup"}))
        .await;

    let put = a
        .client
        .put(a.url("/api/v1/schemas/signup"))
        .header("X-API-Key", &acme.key)
        .json(&json!({"mode": "block", "schema": {"required": ["plan"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    // In force on A from the answer on, and on B as soon as the notice crosses Redis.
    let on_a = a.ingest(&acme.key, json!({"event_type": "signup"})).await;
    assert_eq!(on_a.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let started = Instant::now();
    loop {
        let status = b
            .ingest(&acme.key, json!({"event_type": "signup"}))
            .await
            .status();
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            break;
        }
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "instance B still applies the old contracts"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // And back: a delete on B lifts the block on A.
    let deleted = b
        .client
        .delete(b.url("/api/v1/schemas/signup"))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let started = Instant::now();
    while a
        .ingest(&acme.key, json!({"event_type": "signup"}))
        .await
        .status()
        != StatusCode::ACCEPTED
    {
        assert!(started.elapsed() < Duration::from_secs(2), "A still blocks");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_key_revoked_or_a_tenant_suspended_on_one_instance_stops_working_on_the_other_at_once() {
    let db = database().await;
    let prefix = Prefix::new(SHARED_REDIS);
    let a = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    let b = instance(&db, SHARED_REDIS, &prefix, OnRedisError::Allow).await;
    wait_ready(&a, StatusCode::OK).await;
    wait_ready(&b, StatusCode::OK).await;
    let acme = a.create_tenant("acme").await;
    let issued: Value = a
        .post(&format!("/api/v1/tenants/{}/keys", acme.id), &acme.key)
        .json(&json!({"name": "ci", "scopes": ["ingest"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ci_key = issued["key"].as_str().unwrap().to_owned();
    // B has resolved (and cached) both keys.
    b.ingest_ok(&ci_key, json!({"event_type": "deploy"})).await;
    b.ingest_ok(&acme.key, json!({"event_type": "deploy"}))
        .await;

    let revoked = a
        .client
        .delete(a.url(&format!(
            "/api/v1/tenants/{}/keys/{}",
            acme.id,
            issued["id"].as_str().unwrap()
        )))
        .header("X-API-Key", &acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let on_a = a.ingest(&ci_key, json!({"event_type": "deploy"})).await;
    assert_eq!(
        on_a.status(),
        StatusCode::UNAUTHORIZED,
        "at once where revoked"
    );
    until_refused_on(&b, &ci_key, StatusCode::UNAUTHORIZED, "the revoked key").await;
    b.ingest_ok(&acme.key, json!({"event_type": "deploy"}))
        .await;

    let suspended = a
        .client
        .patch(a.url(&format!("/api/v1/tenants/{}", acme.id)))
        .header("X-API-Key", &a.admin_token)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    until_refused_on(
        &b,
        &acme.key,
        StatusCode::FORBIDDEN,
        "the suspended tenant's key",
    )
    .await;
}

/// Ingests on `app` with `key` until it is refused with `status`, for at most 2 s (the notice
/// crossing Redis), failing on any other answer than 202 meanwhile.
async fn until_refused_on(app: &TestApp, key: &str, status: StatusCode, what: &str) {
    let started = Instant::now();
    loop {
        let answer = app
            .ingest(key, json!({"event_type": "deploy"}))
            .await
            .status();
        if answer == status {
            return;
        }
        assert_eq!(answer, StatusCode::ACCEPTED);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the other instance still accepts {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
