//! The ingestion pipeline that every entry point runs — the native API, Segment's and
//! PostHog's protocols (`crate::compat`) — once it has parsed its wire format and mapped each
//! item to a [`ValidEvent`]:
//!
//! ```text
//! parse → map → validate   (the entry point's own)
//!       → tenant check → suppression → schema check → redaction → rate limit → commit
//!       → per-item outcomes                       (here, shared; each a function below)
//! ```
//!
//! Invariants: an item that failed before it got here costs nothing and is counted as
//! rejected with its reason; the valid items of one request are charged to the tenant's budget
//! together (all or nothing), and reach the committer together, so they share one transaction;
//! nothing is reported stored before its commit; a step that is off for the tenant (no
//! schemas, unplanned types allowed) costs one lookup per request, not per event.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::{Principal, Scope};
use crate::events::committer::CommitError;
use crate::events::ingest::ValidEvent;
use crate::events::{InsertOutcome, NewEvent, Violation};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::privacy::redact::{Redactor, scrub_messages};
use crate::privacy::suppressions::Suppressions;
use crate::ratelimit::{Decision, RateLimitError};
use crate::schemas::contract::Verdict;
use crate::schemas::{Counts, Example, Mode};
use crate::tenants::{Tenant, TenantId, TenantStatus};

/// One item's fate: stored (or found to be a duplicate), or refused with its error.
pub type ItemResult = Result<InsertOutcome, ApiError>;

/// How a request carries its items, for the field names of per-item errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One event: fields are named as they are (`metadata`).
    Single,
    /// A list under this name: fields are named by index (`events[3].metadata`).
    Batch(&'static str),
}

impl Shape {
    fn field(self, index: usize, name: &str) -> String {
        match self {
            Shape::Single => name.to_owned(),
            Shape::Batch(list) => format!("{list}[{index}].{name}"),
        }
    }
}

/// What a pipeline run did with a request's items, in their order.
pub struct Ingested {
    pub results: Vec<ItemResult>,
    pub accepted: usize,
    /// The rate limiter's answer for the valid items; `None` when no item was valid.
    pub decision: Option<Decision>,
}

impl Ingested {
    pub fn rejected(&self) -> usize {
        self.results.len() - self.accepted
    }

    /// `RateLimit-*` headers for the answer (empty when nothing was charged).
    pub fn headers(&self) -> axum::http::HeaderMap {
        self.decision.map(|d| d.headers()).unwrap_or_default()
    }
}

/// The tenant an ingest call writes to, checked for scope and status.
pub async fn ingest_tenant(
    state: &AppState,
    principal: &Principal,
    requested: Option<TenantId>,
) -> Result<Tenant, ApiError> {
    principal.require(Scope::Ingest)?;
    let tenant_id = principal.target_tenant(requested)?;
    let tenant = match principal.own_tenant() {
        Some(own) => own.clone(),
        None => state
            .store
            .get_tenant(tenant_id)
            .await?
            .ok_or(ApiError::NotFound("tenant"))?,
    };
    if tenant.status == TenantStatus::Suspended {
        return Err(ApiError::forbidden(
            "this tenant is suspended and cannot ingest events",
        ));
    }
    Ok(tenant)
}

/// Runs the shared steps for `items` of one request, written to `tenant`. An item whose
/// `tenant_id` names another tenant is refused (403) on its own, and so is one that its
/// schema blocks (422). The whole request is refused only when the valid items do not fit in
/// the tenant's budget (429, nothing stored) or the store cannot commit (503).
pub async fn ingest(
    state: &AppState,
    tenant: &Tenant,
    items: Vec<Result<ValidEvent, ApiError>>,
    received_at: DateTime<Utc>,
    shape: Shape,
) -> Result<Ingested, ApiError> {
    let mut items = refuse_other_tenants(tenant, items);
    let privacy = state.privacy.settings(tenant.id).await?;
    let suppressed = suppress(&privacy.suppressions, &mut items);
    let mut checks = check_schemas(state, tenant, &mut items, shape).await?;
    redact(&privacy.redactor, &mut items, &mut checks);
    for item in &items {
        if let Item::Refused(error) = item {
            count_rejected(error);
        }
    }

    let valid = items
        .iter()
        .filter(|item| matches!(item, Item::Going(_)))
        .count();
    let decision = if valid > 0 {
        Some(spend_budget(state, tenant, valid).await?)
    } else {
        None
    };

    let mut to_commit = Vec::with_capacity(valid);
    let mut results: Vec<Option<ItemResult>> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Item::Going(event) => {
                let violations = match checks.get(index) {
                    Some(Some(check)) if check.mode == Mode::Warn => check.violations.clone(),
                    _ => Vec::new(),
                };
                to_commit.push(new_event(tenant.id, event, received_at, violations));
                results.push(None);
            }
            Item::Refused(error) => results.push(Some(Err(error))),
            // Answered as stored under an id that names nothing: a sender that saw an error
            // would send it again.
            Item::Suppressed => results.push(Some(Ok(InsertOutcome {
                id: Uuid::now_v7(),
                duplicate: false,
            }))),
        }
    }
    let committed = if to_commit.is_empty() {
        Vec::new()
    } else {
        state
            .committer
            .commit(to_commit)
            .await
            .map_err(commit_error)?
    };
    count_outcomes(&committed);
    let mut outcomes = committed.into_iter().map(|(_, outcome)| outcome);
    let results = results
        .into_iter()
        .map(|slot| match slot {
            Some(done) => done,
            None => outcomes
                .next()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("commit returned too few"))),
        })
        .collect::<Vec<ItemResult>>();
    record_checks(state, tenant, checks, &results, received_at);
    record_suppressed(state, tenant, suppressed, received_at).await;
    let accepted = results.iter().filter(|result| result.is_ok()).count();
    Ok(Ingested {
        results,
        accepted,
        decision,
    })
}

/// An item on its way through the steps: still going, or settled by one of them.
enum Item {
    Going(ValidEvent),
    Refused(ApiError),
    /// Dropped by a suppression: never stored, answered as accepted.
    Suppressed,
}

/// Step: an item whose `tenant_id` names another tenant than the request's is refused.
fn refuse_other_tenants(tenant: &Tenant, items: Vec<Result<ValidEvent, ApiError>>) -> Vec<Item> {
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Ok(event) if event.tenant_id.is_some_and(|id| id != tenant.id) => {
                Item::Refused(ApiError::Forbidden(
                    format!("events[{index}].tenant_id names another tenant than this batch's")
                        .into(),
                ))
            }
            Ok(event) => Item::Going(event),
            Err(error) => Item::Refused(error),
        })
        .collect()
}

/// Step: an item of a suppressed subject is dropped (see [`crate::privacy::suppressions`]),
/// before any step that looks at metadata, so that it matches what the sender sent and leaves
/// no trace in the schema counts. Returns how many each suppression dropped.
fn suppress(suppressions: &Suppressions, items: &mut [Item]) -> Vec<(Uuid, u64)> {
    let mut dropped: Vec<(Uuid, u64)> = Vec::new();
    if suppressions.is_empty() {
        return dropped;
    }
    for item in items.iter_mut() {
        let Item::Going(event) = item else { continue };
        let Some(id) = suppressions.hit(&event.metadata) else {
            continue;
        };
        match dropped.iter_mut().find(|(seen, _)| *seen == id) {
            Some((_, count)) => *count += 1,
            None => dropped.push((id, 1)),
        }
        *item = Item::Suppressed;
    }
    dropped
}

/// After the answer is known: the suppressions' counts. A failed write loses only counts.
async fn record_suppressed(
    state: &AppState,
    tenant: &Tenant,
    dropped: Vec<(Uuid, u64)>,
    at: DateTime<Utc>,
) {
    for (id, events) in dropped {
        metrics::counter!("tributary_events_suppressed_total").increment(events);
        if let Err(error) = state
            .store
            .count_suppressed(tenant.id, id, events, at)
            .await
        {
            tracing::warn!(%error, suppression = %id, "could not count suppressed events");
        }
    }
}

/// What the schema check made of one item, kept until its outcome is known.
struct Check {
    event_type: String,
    mode: Mode,
    violations: Vec<Violation>,
    /// A copy of the metadata, when this violation was sampled as an example.
    example: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Step: each valid item is checked against the tenant's schemas (see [`crate::schemas`]).
/// An item its schema blocks becomes its error; the others go on, and their checks are
/// returned by index (empty when the tenant checks nothing).
async fn check_schemas(
    state: &AppState,
    tenant: &Tenant,
    items: &mut [Item],
    shape: Shape,
) -> Result<Vec<Option<Check>>, ApiError> {
    let contracts = state.schemas.contracts(tenant.id).await?;
    if contracts.is_off() {
        return Ok(Vec::new());
    }
    let mut checks = Vec::with_capacity(items.len());
    for (index, item) in items.iter_mut().enumerate() {
        let Item::Going(event) = item else {
            checks.push(None);
            continue;
        };
        let Verdict::Checked {
            schema,
            mode,
            violations,
        } = contracts.check(&event.event_type, &mut event.metadata)
        else {
            checks.push(None);
            continue;
        };
        let example = (!violations.is_empty()
            && state.schemas.wants_example(tenant.id, &event.event_type))
        .then(|| event.metadata.clone());
        let check = Check {
            event_type: event.event_type.clone(),
            mode,
            violations,
            example,
        };
        if mode == Mode::Block && !check.violations.is_empty() {
            *item = Item::Refused(blocked(schema.as_deref(), &check, shape, index));
        }
        checks.push(Some(check));
    }
    Ok(checks)
}

/// Step: each valid item's metadata as the tenant's redaction policy has it (see
/// [`crate::privacy`]), after the schema check (schemas describe what senders send) and
/// before anything is stored; sampled examples and stored violation messages too, so that
/// no copy keeps a redacted value. A blocked item's answer still quotes what its sender sent.
fn redact(redactor: &Redactor, items: &mut [Item], checks: &mut [Option<Check>]) {
    if redactor.is_off() {
        return;
    }
    for (index, item) in items.iter_mut().enumerate() {
        let check = checks.get_mut(index).and_then(Option::as_mut);
        match (item, check) {
            (Item::Going(event), Some(check)) if !check.violations.is_empty() => {
                let before = event.metadata.clone();
                redactor.redact(&mut event.metadata);
                scrub_messages(&mut check.violations, &before, &event.metadata);
                if check.example.is_some() {
                    check.example = Some(event.metadata.clone());
                }
            }
            (Item::Going(event), _) => redactor.redact(&mut event.metadata),
            (Item::Refused(_), Some(check)) => {
                if let Some(example) = check.example.as_mut() {
                    let before = example.clone();
                    redactor.redact(example);
                    scrub_messages(&mut check.violations, &before, example);
                }
            }
            (Item::Refused(_) | Item::Suppressed, _) => {}
        }
    }
}

fn blocked(schema: Option<&str>, check: &Check, shape: Shape, index: usize) -> ApiError {
    match schema {
        Some(schema) => ApiError::Contract {
            code: "schema_violation",
            message: format!(
                "metadata does not match the schema {schema:?} for event type {:?}: {}",
                check.event_type,
                check
                    .violations
                    .first()
                    .map(|v| v.message.as_str())
                    .unwrap_or_default()
            ),
            field: shape.field(index, "metadata"),
            violations: check.violations.clone(),
        },
        None => ApiError::Contract {
            code: "unplanned_event_type",
            message: format!(
                "no schema matches event type {:?}, and this tenant refuses unplanned event types",
                check.event_type
            ),
            field: shape.field(index, "event_type"),
            violations: check.violations.clone(),
        },
    }
}

/// After the commit: the counts and sampled examples of the checked items, by outcome.
fn record_checks(
    state: &AppState,
    tenant: &Tenant,
    checks: Vec<Option<Check>>,
    results: &[ItemResult],
    received_at: DateTime<Utc>,
) {
    for (check, result) in checks.into_iter().zip(results) {
        let Some(check) = check else { continue };
        let violated = !check.violations.is_empty();
        let blocked = violated && check.mode == Mode::Block;
        state.schemas.count(
            tenant.id,
            &check.event_type,
            received_at,
            Counts {
                checked: 1,
                violations: u64::from(violated),
                blocked: u64::from(blocked),
            },
        );
        if violated {
            metrics::counter!("tributary_schema_violations_total", "mode" => check.mode.as_str())
                .increment(1);
        }
        if let Some(metadata) = check.example {
            state.schemas.add_example(Example {
                tenant_id: tenant.id,
                event_type: check.event_type,
                at: received_at,
                event_id: result.as_ref().ok().map(|outcome| outcome.id),
                mode: check.mode,
                violations: check.violations,
                metadata,
            });
        }
    }
}

/// Counts an item refused before it was stored: `tributary_events_rejected_total{reason}`
/// (the error code) and the older `tributary_events_ingested_total{outcome="rejected"}`.
pub fn count_rejected(error: &ApiError) {
    if let ApiError::Internal(source) = error {
        // A 5xx answer is logged by `ApiError::into_response`; an item's is not answered that
        // way, so it is logged here, under the request's id.
        tracing::error!(
            error = ?source,
            request_id = crate::http::request_id::current().as_deref(),
            "batch item failed"
        );
    }
    metrics::counter!("tributary_events_rejected_total", "reason" => error.code()).increment(1);
    metrics::counter!("tributary_events_ingested_total", "outcome" => "rejected").increment(1);
}

/// Takes `cost` events from the tenant's budget, or refuses the whole request.
async fn spend_budget(
    state: &AppState,
    tenant: &Tenant,
    cost: usize,
) -> Result<Decision, ApiError> {
    let limit = tenant.rate_limit;
    let cost = u32::try_from(cost).unwrap_or(u32::MAX);
    if cost > limit.burst {
        return Err(ApiError::too_large(
            Some("events"),
            format!(
                "{cost} events exceed this tenant's burst of {}; send smaller batches",
                limit.burst
            ),
        ));
    }
    let decision = state.limiter.check(tenant.id, limit, cost).await.map_err(
        |RateLimitError::Unavailable(source)| ApiError::Unavailable {
            message: "rate limiter is unavailable, retry later".into(),
            source: Some(source),
        },
    )?;
    if !decision.allowed {
        metrics::counter!("tributary_events_ingested_total", "outcome" => "rate_limited")
            .increment(u64::from(cost));
        return Err(ApiError::RateLimited {
            message: format!(
                "rate limit exceeded ({} events/s, burst {}); retry in {} s",
                limit.per_second,
                limit.burst,
                decision.retry_after.as_secs_f64().ceil().max(1.0)
            ),
            headers: decision.headers(),
        });
    }
    Ok(decision)
}

fn new_event(
    tenant: TenantId,
    event: ValidEvent,
    received_at: DateTime<Utc>,
    violations: Vec<Violation>,
) -> NewEvent {
    NewEvent {
        violations,
        id: Uuid::nil(),
        tenant_id: tenant,
        event_type: event.event_type,
        timestamp: event.timestamp.unwrap_or(received_at),
        received_at,
        metadata: event.metadata,
        event_id: event.event_id,
    }
}

fn commit_error(error: CommitError) -> ApiError {
    match error {
        CommitError::Store(store) if store.is_unavailable() => ApiError::Unavailable {
            message: "storage is unavailable, retry later".into(),
            source: Some(store.into()),
        },
        other => ApiError::internal(other),
    }
}

fn count_outcomes(outcomes: &[(NewEvent, InsertOutcome)]) {
    let duplicates = outcomes.iter().filter(|(_, o)| o.duplicate).count() as u64;
    let accepted = outcomes.len() as u64 - duplicates;
    metrics::counter!("tributary_events_ingested_total", "outcome" => "accepted")
        .increment(accepted);
    metrics::counter!("tributary_events_ingested_total", "outcome" => "duplicate")
        .increment(duplicates);
}
