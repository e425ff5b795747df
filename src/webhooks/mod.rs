//! Webhooks: per-tenant endpoints that receive chosen event types, delivered at least once.
//!
//! - **Outbox.** The store writes one pending delivery per matching enabled endpoint in the
//!   same transaction as each new event ([`crate::store::Store::insert_events`] calls
//!   [`OutboxEndpoint::wants`]: the event types, then the endpoint's `filter`, a search query
//!   evaluated in Rust by [`crate::textquery::matcher`] with the verdict a search would give), so
//!   a committed event never lacks its deliveries and nothing lives only in memory: a restart
//!   at any moment loses none.
//! - **Worker** ([`worker`]): claims due deliveries with a lease (on PostgreSQL with `FOR
//!   UPDATE SKIP LOCKED`, so that several instances never make the same attempt), POSTs them
//!   signed the Standard Webhooks way ([`signing`]), records every attempt, retries on
//!   [`crate::config::WebhooksConfig::retry_schedule_secs`] with jitter, then gives up
//!   (`dead`); an endpoint that has failed every attempt for
//!   [`crate::config::WebhooksConfig::disable_after_secs`] is disabled and says why.
//! - **Fairness** ([`fairness`]): the worker's slots go round robin over tenants, then over
//!   their endpoints, so one backlog never holds up another tenant; a circuit breaker keeps a
//!   failing endpoint from taking slots it cannot use, and probes it with one delivery.
//! - **Replay** ([`replay`], API in [`replay_routes`]): background jobs that queue a time
//!   range's events to an endpoint again, under the deliveries' own ids, live traffic first.
//! - **SSRF** ([`ssrf`]): private, loopback, link-local and other non-global targets are
//!   refused at creation and, always, at delivery time, unless
//!   `webhooks.allow_private_targets` is on.
//! - **API** ([`routes`]): endpoint CRUD, secret rotation, test deliveries, the delivery log
//!   (per endpoint, searchable by event id, and per event: `GET /api/v1/events/{id}/deliveries`),
//!   an endpoint's delivery stats ([`stats`]) and manual retries;
//!   scope `manage`, scoped to one tenant (another tenant's endpoint or event is 404). Each
//!   attempt's log entry holds the request as sent, signatures masked.
//!
//! This module holds the types shared by the store, the worker and the handlers, and the
//! logic of the API calls (plain functions returning [`crate::error`]'s domain errors, no HTTP
//! types).

pub mod fairness;
pub mod recorder;
pub mod replay;
pub mod replay_routes;
pub mod routes;
pub mod signing;
pub mod ssrf;
pub mod stats;
pub mod worker;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::WebhooksConfig;
use crate::error::{DomainError, ValidationError};
use crate::events::EventCursor;
use crate::events::ingest::{PATTERN_RULE, is_valid_pattern, pattern_matches};
use crate::events::query::{decode_cursor, encode_cursor};
use crate::store::{Store, StoreError};
use crate::tenants::TenantId;
use crate::textquery::matcher::{Document, Matcher};
use crate::textquery::{ParseError, Query};

/// Most event types one endpoint may filter on.
pub const MAX_EVENT_TYPES: usize = 100;
/// Longest accepted endpoint URL.
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// How much of a response body is kept in the attempt log.
pub const MAX_RESPONSE_BODY_BYTES: usize = 4096;
/// The event type of deliveries made by "send test event".
pub const TEST_EVENT_TYPE: &str = "webhook.test";
/// After a rotation the previous secret signs too (a second signature) for this long, so
/// that receivers can switch to the new one without rejecting deliveries meanwhile.
pub const PREVIOUS_SECRET_GRACE: chrono::Duration = chrono::Duration::hours(24);

pub const DEFAULT_DELIVERY_LIMIT: u32 = 50;
pub const MAX_DELIVERY_LIMIT: u32 = 100;

/// Installs rustls' ring provider as the process default, which reqwest's TLS needs (it is
/// built with `rustls-no-provider`, to keep a second crypto library out of the build).
/// Idempotent: a provider installed earlier stays.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A webhook endpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    /// A search query (see [`crate::textquery::parse`]) the event must match as well; `None`:
    /// every event of the types.
    pub filter: Option<String>,
    /// `whsec_` + base64 of the signing key (`v1`), or a `whsk_` ed25519 secret key (`v1a`):
    /// the prefix says which ([`signing`]).
    pub secret: String,
    /// The secret before the last rotation, and until when it still signs.
    pub previous_secret: Option<(String, DateTime<Utc>)>,
    pub enabled: bool,
    /// Why the endpoint was disabled automatically; `None` while enabled or when an operator
    /// disabled it.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub health: EndpointHealth,
}

/// What the worker has seen of an endpoint lately.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// The first failed attempt after the last success; `None` while healthy.
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_failures: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// The circuit breaker ([`fairness`]): `None` while closed; otherwise no attempt is made
    /// before this time, and then one probe, whose success closes it.
    pub circuit_open_until: Option<DateTime<Utc>>,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `Some(None)` clears the filter.
    pub filter: Option<Option<String>>,
    /// Enabling clears the failure record and `disabled_reason`; disabling clears the reason.
    pub enabled: Option<bool>,
    /// A new secret; the current one becomes the previous one until the given time.
    pub rotate_secret: Option<(String, DateTime<Utc>)>,
    pub updated_at: DateTime<Utc>,
}

/// Whether an endpoint that filters on `event_types` (names or patterns: `order.*`,
/// `*.failed`, `*`) receives an event of `event_type`.
pub fn matches(event_types: &[String], event_type: &str) -> bool {
    event_types.is_empty()
        || event_types
            .iter()
            .any(|wanted| pattern_matches(wanted, event_type))
}

/// What the outbox needs of an enabled endpoint: where the delivery goes (`Id`: the store's
/// representation of the endpoint's id), its event types and its compiled filter.
#[derive(Debug, Clone)]
pub struct OutboxEndpoint<Id> {
    pub id: Id,
    pub event_types: Vec<String>,
    pub filter: Option<Arc<Matcher>>,
}

impl<Id> OutboxEndpoint<Id> {
    /// From the stored `event_types` and `filter` columns; the filter is compiled once per
    /// distinct text in the process ([`compiled_filter`]), not per event or per call.
    pub fn from_stored(
        id: Id,
        event_types: &str,
        filter: Option<&str>,
    ) -> Result<OutboxEndpoint<Id>, StoreError> {
        Ok(OutboxEndpoint {
            id,
            event_types: parse_stored_event_types(event_types)?,
            filter: filter.map(compiled_filter).transpose()?,
        })
    }

    /// Whether the endpoint receives the event. `document` is the event's search document,
    /// built on first need and shared by the endpoints that look at one event.
    pub fn wants(
        &self,
        event_type: &str,
        metadata: &serde_json::Map<String, serde_json::Value>,
        document: &mut Option<Document>,
    ) -> bool {
        if !matches(&self.event_types, event_type) {
            return false;
        }
        match &self.filter {
            None => true,
            Some(matcher) => {
                matcher.matches(document.get_or_insert_with(|| Document::new(event_type, metadata)))
            }
        }
    }
}

/// Most compiled filters kept; past it the cache starts afresh (a tenant would need that many
/// distinct filters for it to matter, and recompiling is cheap, just not per event).
const MAX_COMPILED_FILTERS: usize = 10_000;

/// Compiled filters by their text. A std mutex: held only for a map lookup, never across an
/// await.
static COMPILED_FILTERS: LazyLock<Mutex<HashMap<String, Arc<Matcher>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The matcher of a stored filter, compiled on first use. A stored filter was validated when
/// it was set ([`validate_filter`]), so an error here means the column was changed by hand.
pub fn compiled_filter(text: &str) -> Result<Arc<Matcher>, StoreError> {
    let cached = COMPILED_FILTERS
        .lock()
        .ok()
        .and_then(|cache| cache.get(text).cloned());
    if let Some(matcher) = cached {
        return Ok(matcher);
    }
    let query = parse_filter(text)
        .map_err(|error| StoreError::Invalid(format!("webhook filter: {error}")))?;
    let matcher = Arc::new(Matcher::new(&query));
    if let Ok(mut cache) = COMPILED_FILTERS.lock() {
        if cache.len() >= MAX_COMPILED_FILTERS {
            cache.clear();
        }
        cache.insert(text.to_owned(), Arc::clone(&matcher));
    }
    Ok(matcher)
}

/// A filter's text as a query. Search's `violations:true|false` is a condition on schema
/// checks, not on the event's text, and has no counterpart here: refused rather than read as
/// words, so that a filter never disagrees with the search of the same text.
fn parse_filter(text: &str) -> Result<Query, ValidationError> {
    let (_, flag) = crate::search::take_violations_flag(text).map_err(|_| violations_refused())?;
    if flag.is_some() {
        return Err(violations_refused());
    }
    Query::parse(text).map_err(|ParseError(message)| {
        // Search's messages name `q`; the position in them is the same.
        let message = match message.strip_prefix("q ") {
            Some(rest) => format!("filter {rest}"),
            None => message,
        };
        ValidationError::new("filter", message)
    })
}

fn violations_refused() -> ValidationError {
    ValidationError::new(
        "filter",
        "violations:true and violations:false are not supported in a webhook filter \
         (they test the event's schema checks, not its text)",
    )
}

/// Checks a filter as sent: `Some(text)` to keep (trimmed), `None` for an empty one (no
/// filter). 422 on `filter`, with the position, for one search would refuse as `q`.
pub fn validate_filter(raw: &str) -> Result<Option<String>, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse_filter(text)?;
    Ok(Some(text.to_owned()))
}

/// Parses the stored `event_types` column (a JSON array of strings).
pub fn parse_stored_event_types(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Invalid(format!("webhook event_types: {error}")))
}

/// The stored form of `event_types`.
pub fn stored_event_types(event_types: &[String]) -> String {
    // Serializing a list of strings cannot fail.
    serde_json::to_string(event_types).unwrap_or_else(|_| "[]".to_owned())
}

/// The stored form of an attempt's request headers (a JSON object of strings).
pub fn stored_request_headers(headers: &BTreeMap<String, String>) -> String {
    // Serializing a map of strings cannot fail.
    serde_json::to_string(headers).unwrap_or_else(|_| "{}".to_owned())
}

/// Parses the stored `request_headers` column.
pub fn parse_stored_request_headers(
    text: Option<&str>,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    text.map(|text| {
        serde_json::from_str(text)
            .map_err(|error| StoreError::Invalid(format!("webhook request_headers: {error}")))
    })
    .transpose()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not attempted yet (or due again after a manual retry).
    Pending,
    Succeeded,
    /// The last attempt failed; another is scheduled at `next_attempt_at`.
    Failed,
    /// Every scheduled attempt failed; no more will be made unless retried by hand.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Succeeded,
            DeliveryStatus::Failed,
            DeliveryStatus::Dead,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

/// A delivery with its attempts, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Delivery {
    /// Also the `webhook-id` header: the same on every attempt, so receivers can deduplicate.
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// The event delivered; null for a test delivery.
    pub event_id: Option<Uuid>,
    /// The event's type, or `webhook.test`.
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due; null once succeeded or dead.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<Attempt>,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attempt {
    pub id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The response's status, or null when none came (see `error`).
    pub status_code: Option<u16>,
    /// Why the attempt failed without a response (timeout, refused target, connection error),
    /// or why a response counted as failure.
    pub error: Option<String>,
    pub latency_ms: u64,
    /// The first 4 KiB of the response body (invalid UTF-8 replaced).
    pub response_body: Option<String>,
    /// Which rule set what followed: `succeeded`, `schedule` (the retry schedule's delay),
    /// `retry_after` (a 429 or 503's `Retry-After`, later than the schedule's delay),
    /// `retry_after_capped` (it asked for more than the schedule's longest delay, which was
    /// waited instead), `gone` (a 410: the endpoint was disabled), `exhausted` (the schedule was
    /// used up: dead). Null for attempts logged before the server recorded it.
    pub rule: Option<String>,
    /// The request's headers as sent, by lower-case name, with the `webhook-signature` value
    /// masked (`v1,<redacted>` per signature): the log never holds anything a secret could be
    /// recovered from. Null when no request was made (an invalid or refused URL) and for
    /// attempts logged before the server recorded requests.
    pub request_headers: Option<BTreeMap<String, String>>,
    /// The request body as sent and signed, in full (an event is bounded by the ingest
    /// limits). Null as for `request_headers`.
    pub request_body: Option<String>,
}

/// A new delivery written outside the outbox (a test delivery, whose body is fixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTestDelivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub endpoint_id: Uuid,
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

/// What a delivery carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Event(crate::events::Event),
    /// A prepared body (test deliveries).
    Body(String),
}

/// A delivery claimed by a worker, with what it needs to make the attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub endpoint_id: Uuid,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<(String, DateTime<Utc>)>,
    pub message: Message,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Succeeded,
    RetryAt(DateTime<Utc>),
    Dead,
}

/// One finished attempt, to be recorded with the delivery's new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub tenant_id: TenantId,
    pub endpoint_id: Uuid,
    /// The worker that made it: the delivery's state changes only if it still holds the lease.
    pub instance: String,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: u64,
    pub response_body: Option<String>,
    /// What was sent, secrets masked (see [`Attempt::request_headers`]); `None` when the
    /// request could not be built.
    pub request_headers: Option<BTreeMap<String, String>>,
    pub request_body: Option<String>,
    pub next: NextStep,
    pub rule: Rule,
}

/// Deliveries waiting (pending or failed, of enabled endpoints), for the queue gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub depth: u64,
    pub oldest_created_at: Option<DateTime<Utc>>,
}

/// Parameters of a claim: deliveries due at `now`, leased until `lease_until` to
/// `instance`, as many of each endpoint's as its share says ([`fairness::shares`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim<'a> {
    pub instance: &'a str,
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub shares: &'a [fairness::Share],
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks).
pub fn generate_secret() -> String {
    let key: [u8; 32] = rand::rng().random();
    format!("whsec_{}", STANDARD.encode(key))
}

/// The next step after a failed attempt, the `attempts_made`-th (1-based): the schedule's
/// delay for it with ±20% jitter (so that a burst of failures does not retry in lockstep),
/// or `Dead` past the end of the schedule.
pub fn after_failure(schedule: &[u64], attempts_made: u32, now: DateTime<Utc>) -> NextStep {
    let index = attempts_made.saturating_sub(1) as usize;
    match schedule.get(index) {
        None => NextStep::Dead,
        Some(&secs) => {
            let factor = rand::rng().random_range(0.8..=1.2);
            let millis = (secs as f64 * 1000.0 * factor).round() as i64;
            NextStep::RetryAt(now + chrono::Duration::milliseconds(millis))
        }
    }
}

/// Which rule set an attempt's next step; the attempt log records it (`Attempt::rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A 2xx: delivered.
    Succeeded,
    /// Retried after the schedule's delay.
    Schedule,
    /// A 429 or 503 with `Retry-After`: retried no sooner than it asked (when that is later
    /// than the schedule's delay).
    RetryAfter,
    /// As `RetryAfter`, but it asked for longer than the schedule's longest delay, which is
    /// waited instead.
    RetryAfterCapped,
    /// A 410 Gone: the receiver said the endpoint is gone; the endpoint is disabled at once.
    Gone,
    /// The schedule is used up: the delivery is dead.
    Exhausted,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Succeeded => "succeeded",
            Rule::Schedule => "schedule",
            Rule::RetryAfter => "retry_after",
            Rule::RetryAfterCapped => "retry_after_capped",
            Rule::Gone => "gone",
            Rule::Exhausted => "exhausted",
        }
    }
}

/// What a failed attempt's response asked of the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Nothing (no response, or one without a signal we honour).
    None,
    /// 410 Gone.
    Gone,
    /// 429 Too Many Requests or 503 Service Unavailable with `Retry-After` (seconds or an
    /// HTTP date), as this delay from the attempt.
    RetryAfter(std::time::Duration),
}

impl Signal {
    /// Reads a response's status and `Retry-After` header (as received, at `now`).
    pub fn of(status: u16, retry_after: Option<&str>, now: DateTime<Utc>) -> Signal {
        match status {
            410 => Signal::Gone,
            429 | 503 => retry_after
                .and_then(|value| parse_retry_after(value, now))
                .map_or(Signal::None, Signal::RetryAfter),
            _ => Signal::None,
        }
    }
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` (RFC 9110 §10.2.3); a
/// date in the past is no delay.
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

/// The next step after a failed attempt, the `attempts_made`-th, given what its response
/// asked: the schedule's (see [`after_failure`]), delayed to honour a `Retry-After` but never
/// past the schedule's longest delay; a 410 keeps the schedule (the endpoint is disabled, and
/// the delivery waits for it to be enabled again).
pub fn after_failed_attempt(
    schedule: &[u64],
    attempts_made: u32,
    now: DateTime<Utc>,
    signal: Signal,
) -> (NextStep, Rule) {
    let next = after_failure(schedule, attempts_made, now);
    let NextStep::RetryAt(scheduled) = next else {
        return (next, Rule::Exhausted);
    };
    match signal {
        Signal::None => (next, Rule::Schedule),
        Signal::Gone => (next, Rule::Gone),
        Signal::RetryAfter(wait) => {
            let asked = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            let longest = schedule.iter().copied().max().unwrap_or(0);
            let cap = now + chrono::Duration::seconds(i64::try_from(longest).unwrap_or(i64::MAX));
            if asked <= scheduled {
                (next, Rule::Schedule)
            } else if asked <= cap {
                (NextStep::RetryAt(asked), Rule::RetryAfter)
            } else {
                (
                    NextStep::RetryAt(cap.max(scheduled)),
                    Rule::RetryAfterCapped,
                )
            }
        }
    }
}

/// The reason recorded when an endpoint is disabled because its receiver answered 410 Gone.
pub fn gone_reason(at: DateTime<Utc>) -> String {
    format!(
        "disabled: the receiver answered 410 Gone at {}; enable it again once it accepts deliveries",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// The reason recorded when an endpoint is disabled for failing too long.
pub fn disabled_reason(failing_since: DateTime<Utc>, last_error: &str) -> String {
    format!(
        "disabled automatically: every delivery attempt has failed since {} (last error: {last_error})",
        failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

// --- the API's logic ---------------------------------------------------------------------------

/// The fields of a create or update call as sent; the functions that take it validate them.
#[derive(Debug, Clone)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `Some(None)` (JSON null) clears it on update.
    pub filter: Option<Option<String>>,
    pub enabled: Option<bool>,
    /// The signature scheme; on update, a change rotates the key (the old one signs beside the
    /// new for [`PREVIOUS_SECRET_GRACE`]).
    pub signature: Option<SignatureScheme>,
}

/// How an endpoint's deliveries are signed (Standard Webhooks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    /// HMAC-SHA256 with a shared `whsec_` secret.
    #[default]
    V1,
    /// ed25519: Tributary keeps the `whsk_` secret key, the receiver verifies with the
    /// `whpk_` public key.
    V1a,
}

impl SignatureScheme {
    /// The scheme a secret signs with (its prefix says).
    pub fn of_secret(secret: &str) -> SignatureScheme {
        if signing::is_secret_key(secret) {
            SignatureScheme::V1a
        } else {
            SignatureScheme::V1
        }
    }

    /// A new secret of this scheme.
    pub fn generate(self) -> String {
        match self {
            SignatureScheme::V1 => generate_secret(),
            SignatureScheme::V1a => signing::generate_secret_key(),
        }
    }
}

impl Endpoint {
    pub fn signature(&self) -> SignatureScheme {
        SignatureScheme::of_secret(&self.secret)
    }

    /// The `whpk_` key receivers verify `v1a` signatures with; `None` for `v1`.
    pub fn public_key(&self) -> Option<String> {
        signing::public_key_of(&self.secret)
    }
}

pub fn validate_description(raw: &str) -> Result<String, ValidationError> {
    let description = raw.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ValidationError::new(
            "description",
            format!(
                "description must be at most {MAX_DESCRIPTION_CHARS} characters without control characters"
            ),
        ));
    }
    Ok(description.to_owned())
}

/// Checks each type, then sorts and deduplicates them.
pub fn validate_event_types(raw: Vec<String>) -> Result<Vec<String>, ValidationError> {
    if raw.len() > MAX_EVENT_TYPES {
        return Err(ValidationError::new(
            "event_types",
            format!("an endpoint filters on at most {MAX_EVENT_TYPES} event types"),
        ));
    }
    for (index, event_type) in raw.iter().enumerate() {
        if !is_valid_pattern(event_type) {
            return Err(ValidationError::new(
                format!("event_types[{index}]"),
                PATTERN_RULE.replacen("event_type", "an event type filter", 1),
            ));
        }
    }
    let mut types = raw;
    types.sort();
    types.dedup();
    Ok(types)
}

/// Creates an endpoint; returns it (its secret is shown to the caller once).
pub async fn create_endpoint(
    store: &dyn Store,
    config: &WebhooksConfig,
    tenant: TenantId,
    input: EndpointInput,
    now: DateTime<Utc>,
) -> Result<Endpoint, DomainError> {
    let url = input
        .url
        .ok_or_else(|| ValidationError::new("url", "url is required"))?;
    let url = ssrf::validate_target(&url, config.allow_private_targets).await?;
    let endpoint = Endpoint {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        url,
        description: match input.description {
            Some(description) => validate_description(&description)?,
            None => String::new(),
        },
        event_types: validate_event_types(input.event_types.unwrap_or_default())?,
        filter: match input.filter.flatten() {
            Some(filter) => validate_filter(&filter)?,
            None => None,
        },
        secret: input.signature.unwrap_or_default().generate(),
        previous_secret: None,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        created_at: now,
        updated_at: now,
        health: EndpointHealth::default(),
    };
    store.create_webhook_endpoint(&endpoint).await?;
    tracing::info!(tenant_id = %tenant, endpoint_id = %endpoint.id, "webhook endpoint created");
    Ok(endpoint)
}

pub async fn get_endpoint(
    store: &dyn Store,
    tenant: TenantId,
    id: Uuid,
) -> Result<Endpoint, DomainError> {
    store
        .get_webhook_endpoint(tenant, id)
        .await?
        .ok_or(DomainError::NotFound("webhook endpoint"))
}

pub async fn update_endpoint(
    store: &dyn Store,
    config: &WebhooksConfig,
    tenant: TenantId,
    id: Uuid,
    input: EndpointInput,
    now: DateTime<Utc>,
) -> Result<Endpoint, DomainError> {
    let url = match input.url {
        Some(url) => Some(ssrf::validate_target(&url, config.allow_private_targets).await?),
        None => None,
    };
    let mut update = EndpointUpdate {
        url,
        description: input
            .description
            .as_deref()
            .map(validate_description)
            .transpose()?,
        event_types: input.event_types.map(validate_event_types).transpose()?,
        filter: match input.filter {
            Some(Some(filter)) => Some(validate_filter(&filter)?),
            Some(None) => Some(None),
            None => None,
        },
        enabled: input.enabled,
        rotate_secret: None,
        updated_at: now,
    };
    if let Some(scheme) = input.signature {
        // A switch of scheme is a rotation to a key of the other kind; asking for the scheme
        // the endpoint already has changes nothing.
        let current = get_endpoint(store, tenant, id).await?;
        if current.signature() != scheme {
            update.rotate_secret = Some((scheme.generate(), now + PREVIOUS_SECRET_GRACE));
        }
    }
    store
        .update_webhook_endpoint(tenant, id, &update)
        .await?
        .ok_or(DomainError::NotFound("webhook endpoint"))
}

/// Replaces the secret with a new one of the same scheme; the old one keeps signing beside it
/// for [`PREVIOUS_SECRET_GRACE`].
pub async fn rotate_secret(
    store: &dyn Store,
    tenant: TenantId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Endpoint, DomainError> {
    let scheme = get_endpoint(store, tenant, id).await?.signature();
    let update = EndpointUpdate {
        rotate_secret: Some((scheme.generate(), now + PREVIOUS_SECRET_GRACE)),
        updated_at: now,
        ..EndpointUpdate::default()
    };
    store
        .update_webhook_endpoint(tenant, id, &update)
        .await?
        .ok_or(DomainError::NotFound("webhook endpoint"))
}

/// The body of a test delivery.
#[derive(Debug, Serialize)]
struct TestEnvelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: DateTime<Utc>,
    data: TestData<'a>,
}

#[derive(Debug, Serialize)]
struct TestData<'a> {
    endpoint_id: Uuid,
    tenant_id: TenantId,
    message: &'a str,
}

/// Queues a `webhook.test` delivery to the endpoint, due now.
pub async fn send_test(
    store: &dyn Store,
    tenant: TenantId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Delivery, DomainError> {
    let endpoint = get_endpoint(store, tenant, id).await?;
    if !endpoint.enabled {
        return Err(DomainError::Conflict(
            "this endpoint is disabled: enable it before sending a test event".into(),
        ));
    }
    let body = TestEnvelope {
        kind: TEST_EVENT_TYPE,
        timestamp: now,
        data: TestData {
            endpoint_id: id,
            tenant_id: tenant,
            message: "This is a test delivery from Tributary.",
        },
    };
    let payload = serde_json::to_string(&body).map_err(DomainError::internal)?;
    let delivery = NewTestDelivery {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        endpoint_id: id,
        payload,
        created_at: now,
    };
    store.create_webhook_test_delivery(&delivery).await?;
    store
        .get_webhook_delivery(tenant, id, delivery.id)
        .await?
        .ok_or_else(|| DomainError::internal(anyhow::anyhow!("the test delivery vanished")))
}

/// Makes a delivery due now, whatever its status.
pub async fn retry_delivery(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    delivery_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Delivery, DomainError> {
    // "webhook endpoint not found" rather than "delivery not found" for a wrong endpoint. On a
    // disabled endpoint the retry is queued all the same: it goes out once it is enabled.
    get_endpoint(store, tenant, endpoint_id).await?;
    if !store
        .retry_webhook_delivery(tenant, endpoint_id, delivery_id, now)
        .await?
    {
        return Err(DomainError::NotFound("delivery"));
    }
    store
        .get_webhook_delivery(tenant, endpoint_id, delivery_id)
        .await?
        .ok_or(DomainError::NotFound("delivery"))
}

/// Parameters of the delivery log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryQuery {
    pub tenant_id: Option<TenantId>,
    pub status: Option<DeliveryStatus>,
    /// Only the deliveries of this event (search by event id).
    pub event_id: Option<Uuid>,
    pub limit: u32,
    pub cursor: Option<EventCursor>,
}

/// Parses `?status=&event_id=&limit=&cursor=&tenant_id=`; unknown parameters are refused.
pub fn parse_delivery_query(raw: Option<&str>) -> Result<DeliveryQuery, ValidationError> {
    let mut query = DeliveryQuery {
        limit: DEFAULT_DELIVERY_LIMIT,
        ..DeliveryQuery::default()
    };
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match &*name {
            "tenant_id" => query.tenant_id = Some(parse_tenant_param(&value)?),
            "status" => {
                query.status = Some(DeliveryStatus::parse(&value).ok_or_else(|| {
                    ValidationError::new(
                        "status",
                        "status must be pending, succeeded, failed or dead",
                    )
                })?)
            }
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_DELIVERY_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ValidationError::new(
                            "limit",
                            format!("limit must be 1-{MAX_DELIVERY_LIMIT}"),
                        )
                    })?
            }
            "event_id" => {
                query.event_id = Some(Uuid::parse_str(&value).map_err(|_| {
                    ValidationError::new("event_id", "event_id must be an event's id (a UUID)")
                })?)
            }
            "cursor" => query.cursor = Some(decode_cursor(&value)?),
            "access_token" => {}
            other => {
                return Err(ValidationError::new(
                    other,
                    format!("unknown query parameter `{other}`"),
                ));
            }
        }
    }
    Ok(query)
}

/// `?tenant_id=` alone (the other webhook calls take nothing else).
pub fn parse_tenant_query(raw: Option<&str>) -> Result<Option<TenantId>, ValidationError> {
    let mut tenant = None;
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match &*name {
            "tenant_id" => tenant = Some(parse_tenant_param(&value)?),
            "access_token" => {}
            other => {
                return Err(ValidationError::new(
                    other,
                    format!("unknown query parameter `{other}`"),
                ));
            }
        }
    }
    Ok(tenant)
}

fn parse_tenant_param(value: &str) -> Result<TenantId, ValidationError> {
    Uuid::parse_str(value)
        .map(TenantId)
        .map_err(|_| ValidationError::new("tenant_id", "tenant_id must be a UUID"))
}

/// One page of an endpoint's deliveries, newest first, and the cursor of the next.
pub async fn list_deliveries(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    query: &DeliveryQuery,
) -> Result<(Vec<Delivery>, Option<String>), DomainError> {
    // 404 for another tenant's endpoint rather than an empty page.
    get_endpoint(store, tenant, endpoint_id).await?;
    let deliveries = store
        .list_webhook_deliveries(
            tenant,
            endpoint_id,
            query.status,
            query.event_id,
            query.cursor,
            query.limit,
        )
        .await?;
    let next = (deliveries.len() == query.limit as usize)
        .then(|| deliveries.last())
        .flatten()
        .map(|last| {
            encode_cursor(EventCursor {
                timestamp: last.created_at,
                id: last.id,
            })
        });
    Ok((deliveries, next))
}

/// The endpoint a delivery goes to, as an event's delivery list names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EndpointRef {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub enabled: bool,
}

/// One delivery of an event: where to, how it stands, and its last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventDelivery {
    /// The delivery (also its `webhook-id`).
    pub id: Uuid,
    pub endpoint: EndpointRef,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due; null once succeeded or dead.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's time, HTTP status (null when no response came) and error (in full),
    /// all null before the first attempt.
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The webhook deliveries of one of the tenant's events, across all its endpoints, oldest
/// first: the event's lineage past storage. `NotFound("event")` for an unknown event or
/// another tenant's. An event has a delivery per endpoint whose filter matched it when it was
/// stored (endpoints created later, or disabled then, have none).
pub async fn event_deliveries(
    store: &dyn Store,
    tenant: TenantId,
    event_id: Uuid,
) -> Result<Vec<EventDelivery>, DomainError> {
    if store.get_event(tenant, event_id).await?.is_none() {
        return Err(DomainError::NotFound("event"));
    }
    let deliveries = store.list_event_deliveries(tenant, event_id).await?;
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let endpoints: std::collections::HashMap<Uuid, Endpoint> = store
        .list_webhook_endpoints(tenant)
        .await?
        .into_iter()
        .map(|endpoint| (endpoint.id, endpoint))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            // An endpoint deleted since took its deliveries with it; one deleted between the
            // two reads is left out too.
            let endpoint = endpoints.get(&delivery.endpoint_id)?;
            let last = delivery.attempt_log.last();
            Some(EventDelivery {
                id: delivery.id,
                endpoint: EndpointRef {
                    id: endpoint.id,
                    url: endpoint.url.clone(),
                    description: endpoint.description.clone(),
                    enabled: endpoint.enabled,
                },
                status: delivery.status,
                attempts: delivery.attempts,
                next_attempt_at: delivery.next_attempt_at,
                last_attempt_at: last.map(|attempt| attempt.attempted_at),
                last_status_code: last.and_then(|attempt| attempt.status_code),
                last_error: last.and_then(|attempt| attempt.error.clone()),
                created_at: delivery.created_at,
                updated_at: delivery.updated_at,
            })
        })
        .collect())
}

/// How long a claimed delivery stays leased: the attempt's timeout plus a margin for loading
/// it and recording the result. Past it, another worker may take the delivery over.
pub fn lease_duration(config: &WebhooksConfig) -> Duration {
    Duration::from_secs(config.attempt_timeout_secs) + Duration::from_secs(LEASE_MARGIN_SECS)
}

const LEASE_MARGIN_SECS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_matches_every_type_and_a_list_only_its_own() {
        assert!(matches(&[], "anything"));
        let types = vec!["order.paid".to_owned(), "signup".to_owned()];
        assert!(matches(&types, "signup"));
        assert!(!matches(&types, "signup.v2"));
    }

    #[test]
    fn secrets_carry_at_least_24_random_bytes() {
        let secret = generate_secret();
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert!(key.len() >= 24);
        assert_ne!(secret, generate_secret());
    }

    #[test]
    fn failures_follow_the_schedule_with_jitter_then_die() {
        let now = Utc::now();
        let schedule = [10, 100];
        for _ in 0..100 {
            let NextStep::RetryAt(at) = after_failure(&schedule, 1, now) else {
                panic!("a retry");
            };
            let delay = (at - now).num_milliseconds();
            assert!((8_000..=12_000).contains(&delay), "{delay}");
            let NextStep::RetryAt(at) = after_failure(&schedule, 2, now) else {
                panic!("a retry");
            };
            assert!((80_000..=120_000).contains(&(at - now).num_milliseconds()));
        }
        assert_eq!(after_failure(&schedule, 3, now), NextStep::Dead);
        assert_eq!(after_failure(&[], 1, now), NextStep::Dead);
    }

    #[test]
    fn a_responses_signal_moves_the_retry_but_never_past_the_longest_delay() {
        let now = Utc::now();
        let schedule = [10, 100];
        let secs = |step: NextStep| match step {
            NextStep::RetryAt(at) => (at - now).num_milliseconds() as f64 / 1000.0,
            other => panic!("{other:?}"),
        };
        let wait = |s: u64| Signal::RetryAfter(std::time::Duration::from_secs(s));
        let (next, rule) = after_failed_attempt(&schedule, 1, now, wait(50));
        assert_eq!((secs(next), rule), (50.0, Rule::RetryAfter));
        let (next, rule) = after_failed_attempt(&schedule, 1, now, wait(5_000));
        assert_eq!((secs(next), rule), (100.0, Rule::RetryAfterCapped));
        let (next, rule) = after_failed_attempt(&schedule, 1, now, wait(1));
        assert!((8.0..=12.0).contains(&secs(next)) && rule == Rule::Schedule);
        let (_, rule) = after_failed_attempt(&schedule, 1, now, Signal::Gone);
        assert_eq!(rule, Rule::Gone);
        let (next, rule) = after_failed_attempt(&schedule, 3, now, wait(50));
        assert_eq!((next, rule), (NextStep::Dead, Rule::Exhausted));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date_and_only_on_429_and_503() {
        let now = DateTime::parse_from_rfc3339("2026-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let secs = |s| Signal::RetryAfter(std::time::Duration::from_secs(s));
        assert_eq!(Signal::of(429, Some("120"), now), secs(120));
        assert_eq!(
            Signal::of(503, Some("Wed, 21 Oct 2026 07:30:00 GMT"), now),
            secs(120)
        );
        assert_eq!(
            Signal::of(503, Some("Wed, 21 Oct 2026 07:00:00 GMT"), now),
            secs(0)
        );
        assert_eq!(Signal::of(503, Some("soon"), now), Signal::None);
        assert_eq!(Signal::of(503, None, now), Signal::None);
        assert_eq!(Signal::of(500, Some("120"), now), Signal::None);
        assert_eq!(Signal::of(410, None, now), Signal::Gone);
    }

    #[test]
    fn delivery_query_parameters_are_checked() {
        let event = Uuid::now_v7();
        let query =
            parse_delivery_query(Some(&format!("status=dead&limit=5&event_id={event}"))).unwrap();
        assert_eq!(query.status, Some(DeliveryStatus::Dead));
        assert_eq!(query.event_id, Some(event));
        assert_eq!(query.limit, 5);
        for (raw, field) in [
            ("status=lost", "status"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("cursor=!!", "cursor"),
            ("tenant_id=x", "tenant_id"),
            ("event_id=not-a-uuid", "event_id"),
            ("stat=dead", "stat"),
        ] {
            assert_eq!(
                parse_delivery_query(Some(raw)).unwrap_err().field(),
                field,
                "{raw}"
            );
        }
    }

    #[test]
    fn event_type_filters_are_validated_sorted_and_deduplicated() {
        let types = validate_event_types(vec!["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(types, ["a", "b"]);
        let error = validate_event_types(vec!["ok".into(), "not ok".into()]).unwrap_err();
        assert_eq!(error.field(), "event_types[1]");
        let error = validate_event_types(vec!["order.*".into(), "a*b".into()]).unwrap_err();
        assert_eq!(error.field(), "event_types[1]");
    }

    #[test]
    fn query_filters_are_checked_like_q_and_cleared_when_empty() {
        assert_eq!(
            validate_filter("  card -visa "),
            Ok(Some("card -visa".into()))
        );
        assert_eq!(validate_filter("   "), Ok(None));
        let error = validate_filter("card \"declined").unwrap_err();
        assert_eq!(error.field(), "filter");
        assert!(error.message.contains("character 6"), "{error}");
        let error = validate_filter("page:").unwrap_err();
        assert!(error.message.contains("character 1"), "{error}");
        assert_eq!(
            validate_filter("violations:true x").unwrap_err().field(),
            "filter"
        );
        assert!(
            validate_filter("\"violations:true\" x").is_ok(),
            "quoted, it is words"
        );
    }

    #[test]
    fn the_outbox_applies_event_types_then_the_filter_compiled_once() {
        let endpoint =
            OutboxEndpoint::from_stored(1, r#"["order.*"]"#, Some("page:/checkout -test:true"))
                .unwrap();
        let again =
            OutboxEndpoint::from_stored(2, "[]", Some("page:/checkout -test:true")).unwrap();
        assert!(Arc::ptr_eq(
            endpoint.filter.as_ref().unwrap(),
            again.filter.as_ref().unwrap()
        ));
        let meta = |value: serde_json::Value| value.as_object().cloned().unwrap_or_default();
        let checkout = meta(serde_json::json!({"page": "/checkout", "test": false}));
        let mut document = None;
        assert!(endpoint.wants("order.paid", &checkout, &mut document));
        assert!(document.is_some(), "built once for the event");
        assert!(!endpoint.wants("signup", &checkout, &mut None));
        let test = meta(serde_json::json!({"page": "/checkout", "test": true}));
        assert!(!endpoint.wants("order.paid", &test, &mut None));
        let unfiltered = OutboxEndpoint::from_stored(3, "[]", None).unwrap();
        let mut document = None;
        assert!(unfiltered.wants("anything", &test, &mut document));
        assert!(document.is_none(), "no filter, no document");
        assert!(OutboxEndpoint::from_stored(4, "[]", Some("(")).is_err());
    }

    #[test]
    fn the_scheme_is_told_by_the_secrets_prefix() {
        assert_eq!(
            SignatureScheme::of_secret(&generate_secret()),
            SignatureScheme::V1
        );
        let key = SignatureScheme::V1a.generate();
        assert_eq!(SignatureScheme::of_secret(&key), SignatureScheme::V1a);
        assert!(signing::public_key_of(&key).is_some());
    }

    #[test]
    fn an_endpoint_filter_takes_names_and_wildcard_patterns() {
        let filter =
            validate_event_types(vec!["order.*".into(), "*.failed".into(), "signup".into()])
                .unwrap();
        assert!(matches(&filter, "order.paid"));
        assert!(matches(&filter, "payment.failed"));
        assert!(matches(&filter, "signup"));
        assert!(!matches(&filter, "orders.paid"));
        assert!(!matches(&filter, "signup.done"));
        assert!(matches(&["*".to_owned()], "anything"));
        assert!(matches(&[], "anything"));
    }
}
