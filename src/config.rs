//! Configuration: built-in defaults, then `tributary.toml` (or the file given with
//! `--config`), then environment variables. Every setting `key` of section `[section]` can be
//! set as `TRIBUTARY_SECTION__KEY`; the common ones also by their short names (`DATABASE_URL`,
//! `REDIS_URL`, `JWT_SECRET`, `ADMIN_TOKEN`, `PORT`, `BIND`). Validated once at start-up, with
//! messages that name the setting. Secrets are never logged: [`Config::redacted`] is.

use std::net::IpAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// `development` (default) generates a JWT secret when none is set; `production` refuses to.
    pub env: Environment,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub ingest: IngestConfig,
    pub ratelimit: RateLimitConfig,
    pub redis: RedisConfig,
    pub stream: StreamConfig,
    pub webhooks: WebhooksConfig,
    pub retention: RetentionConfig,
    pub privacy: PrivacyConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpConfig {
    pub bind: IpAddr,
    pub port: u16,
    /// Origins allowed by CORS (exact matches, e.g. `https://app.example.com`); empty: none.
    pub cors_origins: Vec<String>,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// Largest body accepted by endpoints other than ingest.
    pub max_body_bytes: usize,
    /// Whether `/metrics` is open to anyone (true) or needs the admin credential.
    pub metrics_public: bool,
    /// A connection that has not sent a whole request head within this time is closed: the
    /// first request's, and the next one's on a kept-alive connection (the idle timeout).
    pub header_read_timeout_secs: u64,
    /// Open connections at most; past it new ones are closed at once (logged, and counted in
    /// `tributary_http_connections_refused_total`).
    pub max_connections: usize,
    /// On shutdown, how long in-flight requests may take to finish before the connections
    /// still open are dropped.
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (embedded) or `postgres://…` (scaled).
    pub url: String,
    pub max_connections: u32,
    /// When an acknowledged commit is safe: `full` (on disk: it survives a power cut) or
    /// `normal` (it survives a crash of the process, SIGKILL included, but the last commits
    /// before a power cut or an OS crash may be lost).
    pub sync: Durability,
}

/// See [`DatabaseConfig::sync`]. SQLite: `synchronous = FULL` or `NORMAL` (WAL); PostgreSQL:
/// `synchronous_commit = on` or `off` (the server flushes its WAL a moment later on its own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    #[default]
    Full,
    Normal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthConfig {
    /// HS256 secret for JWTs; at least 32 bytes. Required in production.
    pub jwt_secret: Option<String>,
    /// The admin token; when unset, one is generated at first start and printed once.
    pub admin_token: Option<String>,
    /// Lifetime of JWTs issued by `POST /api/v1/auth/token`.
    pub token_ttl_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestConfig {
    /// Largest single event (its JSON), also the body limit of `POST /api/v1/events`.
    pub max_event_bytes: usize,
    /// Largest body of `POST /api/v1/events/batch`, after decompression.
    pub max_batch_bytes: usize,
    pub max_batch_events: usize,
    /// Most events written in one group commit.
    pub commit_max_events: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimitConfig {
    /// Defaults for new tenants; each tenant's own limit can be changed with PATCH.
    pub default_per_second: u32,
    pub default_burst: u32,
    /// What to do when Redis cannot be asked (scaled mode): `allow` falls back to a limiter
    /// in this process, `deny` answers 503 `unavailable`.
    pub on_redis_error: OnRedisError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnRedisError {
    Allow,
    Deny,
}

/// Redis, for scaled mode: shared rate limits and live fan-out across instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedisConfig {
    /// `redis://host:6379`; unset: embedded fan-out and rate limiting in this process.
    pub url: Option<String>,
    /// Prefix of every key and channel, so that several deployments (or tests) can share a
    /// Redis server.
    pub prefix: String,
    /// Longest wait for one Redis command before the fallback applies.
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamConfig {
    /// Events a live client may fall behind before it loses the oldest ones and is sent
    /// `{"type":"lagged"}`. Shared by all clients of a tenant, so idle clients cost nothing.
    pub buffer: usize,
    /// Events a client may miss within a minute before it is closed with code 4008.
    pub max_missed_per_minute: u64,
    /// A message that cannot be written within this time closes the connection (4008).
    pub send_timeout_secs: u64,
    /// Pings are sent this often; a client that has not answered the previous one by the
    /// next is closed with code 4000.
    pub ping_interval_secs: u64,
    /// Most stored events replayed for `since` before going live.
    pub max_replay: u32,
    /// After a live event, wait up to this long for more before flushing, so that one write
    /// carries several events at high rates (0: flush each event at once).
    pub flush_linger_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: String,
    /// A tracing filter, e.g. `info` or `tributary=debug,info`; `RUST_LOG` overrides it.
    pub filter: String,
}

/// Webhook delivery (src/webhooks/).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhooksConfig {
    /// Whether this instance runs the delivery worker (the API works either way; deliveries
    /// wait for an instance that runs one).
    pub worker: bool,
    /// Whether endpoints may target private, loopback and link-local addresses. When neither
    /// the file nor the environment sets it, [`Config::load`] turns it on in development (local
    /// receivers) and off in production, where it would let any tenant make the server call
    /// into its own network. ([`Config::default`] has it off, as production has.)
    #[serde(default)]
    pub allow_private_targets: bool,
    /// Longest time one delivery attempt may take, connection included.
    pub attempt_timeout_secs: u64,
    /// Delays before each retry of a failed delivery (±20% jitter); after the last one fails
    /// the delivery is `dead`.
    pub retry_schedule_secs: Vec<u64>,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after_secs: u64,
    /// Most attempts in flight at once on this instance, and to one endpoint.
    pub max_concurrency: usize,
    pub max_per_endpoint: usize,
    /// How often the worker looks for due deliveries.
    pub poll_interval_ms: u64,
    /// The circuit breaker (src/webhooks/fairness.rs): after this many consecutive failed
    /// attempts an endpoint is left alone for `circuit_open_secs`, doubled with each further
    /// failure up to `circuit_max_open_secs`, then probed with one delivery. 0 turns it off.
    pub circuit_after_failures: u64,
    pub circuit_open_secs: u64,
    pub circuit_max_open_secs: u64,
    /// Replay jobs (src/webhooks/replay.rs): events read per batch, and most of a job's
    /// deliveries waiting at once (the job queues more as they are delivered, so that a replay
    /// of millions never floods the queue and live deliveries go first).
    pub replay_batch: u32,
    pub replay_window: u32,
}

/// How long stored data is kept (src/retention.rs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetentionConfig {
    /// Events older than this many days (by the time they were stored) are deleted, with
    /// their webhook deliveries; 0 keeps them forever. A tenant's own `retention_days` wins.
    /// A client `event_id` can be used again once its event is gone.
    pub events_days: u32,
    /// Finished webhook deliveries (succeeded or dead) are deleted this many days after they
    /// finished, with their attempts, and audit log entries this long after they were
    /// recorded; 0 keeps them forever.
    pub deliveries_days: u32,
    /// How often the pruner runs (also once at start-up).
    pub interval_secs: u64,
}

/// Deletion jobs by subject (src/privacy/deletions.rs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivacyConfig {
    /// Events a deletion job counts or deletes per transaction.
    pub deletion_batch: u32,
    /// A pause between a job's batches, in which the group committer gets the write lock.
    pub deletion_pause_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            env: Environment::Development,
            http: HttpConfig {
                bind: IpAddr::from([127, 0, 0, 1]),
                port: 8080,
                cors_origins: Vec::new(),
                request_timeout_secs: 30,
                max_body_bytes: 1024 * 1024,
                metrics_public: true,
                header_read_timeout_secs: 10,
                max_connections: 10_000,
                shutdown_grace_secs: 30,
            },
            database: DatabaseConfig {
                url: "sqlite://data/tributary.db".into(),
                max_connections: 16,
                sync: Durability::Full,
            },
            auth: AuthConfig {
                jwt_secret: None,
                admin_token: None,
                token_ttl_secs: 3600,
            },
            ingest: IngestConfig {
                max_event_bytes: 64 * 1024,
                max_batch_bytes: 5 * 1024 * 1024,
                max_batch_events: 1000,
                commit_max_events: 5000,
            },
            ratelimit: RateLimitConfig {
                default_per_second: 1000,
                default_burst: 2000,
                on_redis_error: OnRedisError::Allow,
            },
            redis: RedisConfig {
                url: None,
                prefix: "tributary".into(),
                timeout_ms: 250,
            },
            stream: StreamConfig {
                buffer: 1024,
                max_missed_per_minute: 10_000,
                send_timeout_secs: 10,
                ping_interval_secs: 30,
                max_replay: 10_000,
                flush_linger_ms: 5,
            },
            webhooks: WebhooksConfig {
                worker: true,
                allow_private_targets: false,
                attempt_timeout_secs: 10,
                retry_schedule_secs: vec![5, 30, 120, 600, 1800, 3600, 10_800, 21_600],
                disable_after_secs: 5 * 86_400,
                max_concurrency: 64,
                max_per_endpoint: 8,
                poll_interval_ms: 500,
                circuit_after_failures: 5,
                circuit_open_secs: 30,
                circuit_max_open_secs: 900,
                replay_batch: 500,
                replay_window: 1000,
            },
            retention: RetentionConfig {
                events_days: 0,
                deliveries_days: 30,
                interval_secs: 3600,
            },
            privacy: PrivacyConfig {
                deletion_batch: 500,
                deletion_pause_ms: 10,
            },
            log: LogConfig {
                format: "text".into(),
                filter: "info".into(),
            },
        }
    }
}

/// Defaults to on in development and off in production, unless the file or the environment
/// sets it (either way).
const ALLOW_PRIVATE_TARGETS: &str = "webhooks.allow_private_targets";

/// Short environment names and the setting each one stands for.
const SHORT_NAMES: [(&str, &str); 7] = [
    ("DATABASE_URL", "database.url"),
    ("REDIS_URL", "redis.url"),
    ("JWT_SECRET", "auth.jwt_secret"),
    ("ADMIN_TOKEN", "auth.admin_token"),
    ("PORT", "http.port"),
    ("BIND", "http.bind"),
    ("TRIBUTARY_ENV", "env"),
];

impl Config {
    /// Loads defaults, then the file (if it exists; a file named explicitly must exist),
    /// then the environment, and validates the result.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::new();
        match file {
            Some(path) if !path.exists() => {
                anyhow::bail!("config file {} does not exist", path.display())
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("tributary.toml")),
        }
        figment = figment
            .merge(Env::prefixed("TRIBUTARY_").split("__"))
            .merge(Env::raw().filter_map(|name| {
                SHORT_NAMES
                    .iter()
                    .find(|(short, _)| name.as_str().eq_ignore_ascii_case(short))
                    .map(|(_, key)| (*key).into())
            }));
        Self::from_settings(figment)
    }

    /// The defaults overridden by `settings` (the file and the environment), with the defaults
    /// that depend on `env` settled, validated.
    fn from_settings(settings: Figment) -> anyhow::Result<Config> {
        let private_targets_set = settings.find_value(ALLOW_PRIVATE_TARGETS).is_ok();
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(settings)
            .extract()?;
        if !private_targets_set {
            // `make run` users can point a webhook at a receiver on their own machine; a
            // production server cannot be made to call into its own network unless told to.
            config.webhooks.allow_private_targets = config.env == Environment::Development;
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.auth.jwt_secret
            && secret.len() < 32
        {
            anyhow::bail!("auth.jwt_secret (JWT_SECRET) must be at least 32 bytes");
        }
        if self.env == Environment::Production && self.auth.jwt_secret.is_none() {
            anyhow::bail!(
                "auth.jwt_secret (JWT_SECRET) of at least 32 bytes is required in production"
            );
        }
        if let Some(token) = &self.auth.admin_token
            && (token.len() < 16 || token.split('.').count() == 3)
        {
            anyhow::bail!(
                "auth.admin_token (ADMIN_TOKEN) must be at least 16 characters and not look like a JWT"
            );
        }
        if self.auth.token_ttl_secs < 60 {
            anyhow::bail!("auth.token_ttl_secs must be at least 60");
        }
        if self.ingest.max_event_bytes < 1024 {
            anyhow::bail!("ingest.max_event_bytes must be at least 1024");
        }
        if self.ingest.max_batch_bytes < self.ingest.max_event_bytes {
            anyhow::bail!("ingest.max_batch_bytes must be at least ingest.max_event_bytes");
        }
        if self.ingest.max_batch_events == 0 || self.ingest.commit_max_events == 0 {
            anyhow::bail!("ingest.max_batch_events and ingest.commit_max_events must be positive");
        }
        if self.ratelimit.default_per_second == 0 || self.ratelimit.default_burst == 0 {
            anyhow::bail!(
                "ratelimit.default_per_second and ratelimit.default_burst must be positive"
            );
        }
        if self.http.request_timeout_secs == 0 {
            anyhow::bail!("http.request_timeout_secs must be positive");
        }
        if self.http.header_read_timeout_secs == 0 || self.http.max_connections == 0 {
            anyhow::bail!(
                "http.header_read_timeout_secs and http.max_connections must be positive"
            );
        }
        if self.stream.buffer == 0
            || self.stream.send_timeout_secs == 0
            || self.stream.ping_interval_secs == 0
        {
            anyhow::bail!(
                "stream.buffer, stream.send_timeout_secs and stream.ping_interval_secs must be positive"
            );
        }
        if self.retention.interval_secs == 0 {
            anyhow::bail!("retention.interval_secs must be positive");
        }
        if !(1..=10_000).contains(&self.privacy.deletion_batch) {
            anyhow::bail!("privacy.deletion_batch must be 1-10000");
        }
        let webhooks = &self.webhooks;
        if !(1..=300).contains(&webhooks.attempt_timeout_secs) {
            anyhow::bail!("webhooks.attempt_timeout_secs must be 1-300");
        }
        if webhooks.retry_schedule_secs.len() > 50
            || webhooks
                .retry_schedule_secs
                .iter()
                .any(|&secs| secs > 7 * 86_400)
        {
            anyhow::bail!(
                "webhooks.retry_schedule_secs holds at most 50 delays of at most 7 days (604800) each"
            );
        }
        if webhooks.disable_after_secs == 0
            || webhooks.max_concurrency == 0
            || webhooks.max_per_endpoint == 0
        {
            anyhow::bail!(
                "webhooks.disable_after_secs, webhooks.max_concurrency and webhooks.max_per_endpoint must be positive"
            );
        }
        if !(10..=60_000).contains(&webhooks.poll_interval_ms) {
            anyhow::bail!("webhooks.poll_interval_ms must be 10-60000");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            anyhow::bail!("log.format must be `text` or `json`");
        }
        if let Some(redis) = &self.redis.url {
            if !(redis.starts_with("redis://") || redis.starts_with("rediss://")) {
                anyhow::bail!("redis.url (REDIS_URL) must start with redis:// or rediss://");
            }
            if self.database.url.starts_with("sqlite:") {
                anyhow::bail!(
                    "redis.url (REDIS_URL) is for scaled mode, which needs PostgreSQL: set DATABASE_URL=postgres://… \
                     or unset REDIS_URL (SQLite is one instance, which needs no Redis)"
                );
            }
        }
        if self.redis.prefix.is_empty() || self.redis.prefix.contains(['{', '}', ' ']) {
            anyhow::bail!("redis.prefix must be non-empty, without braces or spaces");
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            anyhow::bail!("database.url (DATABASE_URL) must start with sqlite:// or postgres://");
        }
        Ok(())
    }

    /// The configuration as it may be logged: secrets replaced, passwords cut from URLs.
    pub fn redacted(&self) -> serde_json::Value {
        let mut shown = self.clone();
        shown.auth.jwt_secret = shown.auth.jwt_secret.map(|_| "<set>".into());
        shown.auth.admin_token = shown.auth.admin_token.map(|_| "<set>".into());
        shown.database.url = redact_url(&shown.database.url);
        shown.redis.url = shown.redis.url.as_deref().map(redact_url);
        serde_json::to_value(shown).unwrap_or_default()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_cut_from_logged_urls() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("sqlite://data/t.db"), "sqlite://data/t.db");
    }

    #[test]
    fn a_pruner_that_never_waits_is_refused() {
        let mut config = Config::default();
        config.retention.interval_secs = 0;
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("retention.interval_secs"), "{error}");
    }

    fn from_toml(toml: &str) -> Config {
        Config::from_settings(Figment::new().merge(Toml::string(toml))).unwrap()
    }

    #[test]
    fn development_allows_private_webhook_targets_and_production_does_not_by_default() {
        assert!(from_toml("").webhooks.allow_private_targets);
        let production =
            "env = \"production\"\n[auth]\njwt_secret = \"0123456789abcdef0123456789abcdef\"\n";
        assert!(!from_toml(production).webhooks.allow_private_targets);
    }

    #[test]
    fn an_explicit_private_targets_setting_wins_in_either_mode() {
        let off = from_toml("[webhooks]\nallow_private_targets = false\n");
        assert!(!off.webhooks.allow_private_targets);
        let production_on = "env = \"production\"\n[auth]\njwt_secret = \"0123456789abcdef0123456789abcdef\"\n\
                             [webhooks]\nallow_private_targets = true\n";
        assert!(from_toml(production_on).webhooks.allow_private_targets);
    }

    #[test]
    fn production_without_a_jwt_secret_is_refused() {
        let mut config = Config {
            env: Environment::Production,
            ..Config::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("JWT_SECRET")
        );
        config.auth.jwt_secret = Some("short".into());
        assert!(config.validate().is_err());
        config.auth.jwt_secret = Some("x".repeat(32));
        assert!(config.validate().is_ok());
    }
}
