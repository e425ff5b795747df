//! Replay: a background job that queues deliveries to one endpoint for the tenant's stored
//! events in a time range (all those the endpoint takes, optionally narrowed to some event
//! types, or only those whose delivery to it failed or died).
//!
//! A job counts first (`total`), then scans the range again and queues, a batch at a time:
//! an event that already has a delivery to the endpoint has that delivery queued again, under
//! the same id, which is the `webhook-id` receivers deduplicate on; an event without one gets
//! a new delivery. Each queued delivery is due at once, with its whole retry schedule ahead.
//!
//! Invariants:
//! - Durable: each batch's deliveries and the job's progress are written in one transaction,
//!   under a lease each step renews; a job whose instance died is taken up by any instance
//!   once the lease has run out, and goes on from its last batch (a batch is queued at most
//!   once per run of it, so a resumed job sends each event again at most once more: at least
//!   once, with the same `webhook-id`).
//! - Live first: at most `webhooks.replay_window` of a job's deliveries wait at once (the job
//!   queues more as they are delivered), and the worker claims an endpoint's live deliveries
//!   before its replayed ones ([`super::fairness`]), so a replay of millions takes only the
//!   capacity that live traffic leaves.
//! - Scoped: a job names its tenant and endpoint in every statement; it reads only that
//!   tenant's events and writes only deliveries to that endpoint.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Endpoint, get_endpoint, matches, validate_event_types};
use crate::error::{DomainError, ValidationError};
use crate::events::query::{decode_cursor, encode_cursor};
use crate::events::{Event, EventCursor, EventFilter};
use crate::http::AppState;
use crate::store::{Store, StoreError};
use crate::tenants::TenantId;

/// How long a job stays with the instance that claimed it without a step renewing it.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often an idle instance looks for jobs, and a job waiting for its window re-checks it.
const POLL: Duration = Duration::from_millis(250);
/// The longest range one replay covers.
pub const MAX_RANGE_DAYS: i64 = 90;
/// Most hours a new endpoint may ask to be replayed on creation.
pub const MAX_REPLAY_HOURS: u32 = 720;
/// Jobs listed per endpoint.
pub const LISTED_REPLAYS: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReplayState)]
pub enum State {
    /// Waiting for an instance to take it up.
    Pending,
    /// Counting, then queueing deliveries.
    Running,
    /// Every delivery is queued (they go out at the pace of the endpoint).
    Done,
    /// Stopped by an error it cannot get past (`error` says which).
    Failed,
    Cancelled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Result<State, StoreError> {
        Ok(match text {
            "pending" => State::Pending,
            "running" => State::Running,
            "done" => State::Done,
            "failed" => State::Failed,
            "cancelled" => State::Cancelled,
            other => return Err(StoreError::Invalid(format!("replay state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Counting the events to replay, from the cursor on.
    Count,
    /// Queueing their deliveries, from the cursor on.
    Queue,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Count => "count",
            Phase::Queue => "queue",
        }
    }

    pub fn parse(text: &str) -> Result<Phase, StoreError> {
        match text {
            "count" => Ok(Phase::Count),
            "queue" => Ok(Phase::Queue),
            other => Err(StoreError::Invalid(format!("replay phase {other:?}"))),
        }
    }
}

/// A replay job as stored, with its deliveries' progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub endpoint_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Names or patterns; empty: every type the endpoint takes.
    pub event_types: Vec<String>,
    pub only_failed: bool,
    pub state: State,
    pub phase: Phase,
    /// Where the current phase goes on from (list order), as the list endpoint's cursor.
    pub cursor: Option<String>,
    /// Events counted (all of them once counting is over).
    pub total: u64,
    /// Deliveries queued so far.
    pub created: u64,
    pub progress: Progress,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// How the job's deliveries stand (those it queued and no later replay took over).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub delivered: u64,
    /// Given up on (dead).
    pub failed: u64,
    /// Waiting for an attempt or a retry.
    pub waiting: u64,
}

/// What a replay request asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySpec {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub event_types: Vec<String>,
    pub only_failed: bool,
}

/// A replay request's fields as sent.
#[derive(Debug, Clone, Default)]
pub struct ReplayInput {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub event_types: Option<Vec<String>>,
    pub only_failed: Option<bool>,
    /// Instead of `from`: the time of this delivery's event (the delivery log's "replay
    /// since this delivery").
    pub since_delivery: Option<Uuid>,
}

impl ReplaySpec {
    /// Checks a request (`from` already resolved); errors name the request's fields.
    pub fn parse(
        from: Option<DateTime<Utc>>,
        input: &ReplayInput,
        now: DateTime<Utc>,
    ) -> Result<ReplaySpec, ValidationError> {
        let from = from
            .ok_or_else(|| ValidationError::new("from", "from (or since_delivery) is required"))?;
        let to = input.to.unwrap_or(now);
        if from >= to {
            return Err(ValidationError::new("from", "from must be earlier than to"));
        }
        if to - from > chrono::Duration::days(MAX_RANGE_DAYS) {
            return Err(ValidationError::new(
                "from",
                format!("a replay covers at most {MAX_RANGE_DAYS} days"),
            ));
        }
        let event_types = validate_event_types(input.event_types.clone().unwrap_or_default())?;
        Ok(ReplaySpec {
            from,
            to,
            event_types,
            only_failed: input.only_failed.unwrap_or(false),
        })
    }

    /// The last `hours` up to `now` (a new endpoint's `replay_hours`).
    pub fn last_hours(hours: u32, now: DateTime<Utc>) -> Result<ReplaySpec, ValidationError> {
        if !(1..=MAX_REPLAY_HOURS).contains(&hours) {
            return Err(ValidationError::new(
                "replay_hours",
                format!("replay_hours must be 1-{MAX_REPLAY_HOURS}"),
            ));
        }
        Ok(ReplaySpec {
            from: now - chrono::Duration::hours(i64::from(hours)),
            to: now,
            event_types: Vec::new(),
            only_failed: false,
        })
    }
}

impl Replay {
    pub fn new(tenant: TenantId, endpoint_id: Uuid, spec: ReplaySpec, at: DateTime<Utc>) -> Replay {
        Replay {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            endpoint_id,
            from: spec.from,
            to: spec.to,
            event_types: spec.event_types,
            only_failed: spec.only_failed,
            state: State::Pending,
            phase: Phase::Count,
            cursor: None,
            total: 0,
            created: 0,
            progress: Progress::default(),
            error: None,
            created_at: at,
            updated_at: at,
            finished_at: None,
        }
    }

    /// Whether the job would replay `event` to `endpoint` (before `only_failed`, which the
    /// store decides from the event's delivery).
    fn takes(&self, endpoint: &Endpoint, event: &Event) -> bool {
        matches(&endpoint.event_types, &event.event_type)
            && matches(&self.event_types, &event.event_type)
    }
}

/// The job an instance holds, named in every step it writes.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub replay: Uuid,
    pub tenant: TenantId,
    pub endpoint: Uuid,
    pub instance: &'a str,
    pub now: DateTime<Utc>,
    /// The lease's new end.
    pub until: DateTime<Utc>,
}

/// One step of a job, written in one transaction with the renewal of its lease.
#[derive(Debug)]
pub enum Step<'a> {
    /// This many events were counted; counting goes on after `cursor`.
    Counted { events: u64, cursor: String },
    /// Counting is over: queueing starts from the beginning of the range.
    CountingDone,
    /// Queue deliveries of these events (with `only_failed`, only those whose delivery failed
    /// or died); scanning goes on after `cursor`.
    Queue {
        events: &'a [Uuid],
        only_failed: bool,
        cursor: String,
    },
    /// Nothing but the lease's renewal (the job waits for its window).
    Renew,
    /// The job ends in this state.
    Finish { state: State, error: Option<String> },
}

// --- the API's logic ---------------------------------------------------------------------------

/// Creates a replay job for the tenant's endpoint; `since_delivery` stands for `from`.
pub async fn create(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    input: ReplayInput,
    now: DateTime<Utc>,
) -> Result<Replay, DomainError> {
    get_endpoint(store, tenant, endpoint_id).await?;
    let from = match (input.from, input.since_delivery) {
        (Some(_), Some(_)) => {
            return Err(ValidationError::new(
                "since_delivery",
                "give from or since_delivery, not both",
            )
            .into());
        }
        (from, None) => from,
        (None, Some(delivery)) => Some(since(store, tenant, endpoint_id, delivery).await?),
    };
    let spec = ReplaySpec::parse(from, &input, now)?;
    create_with(store, tenant, endpoint_id, spec, now).await
}

/// Creates a job from a checked spec.
pub async fn create_with(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    spec: ReplaySpec,
    now: DateTime<Utc>,
) -> Result<Replay, DomainError> {
    let job = Replay::new(tenant, endpoint_id, spec, now);
    store.create_webhook_replay(&job).await?;
    tracing::info!(tenant_id = %tenant, endpoint_id = %endpoint_id, replay = %job.id, "webhook replay created");
    Ok(job)
}

/// The time a replay "since this delivery" starts from: its event's.
async fn since(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    delivery: Uuid,
) -> Result<DateTime<Utc>, DomainError> {
    let missing = || ValidationError::new("since_delivery", "no such delivery of this endpoint");
    let delivery = store
        .get_webhook_delivery(tenant, endpoint_id, delivery)
        .await?
        .ok_or_else(missing)?;
    let event = delivery.event_id.ok_or_else(|| {
        ValidationError::new(
            "since_delivery",
            "a test delivery has no event to start from",
        )
    })?;
    let event = store.get_event(tenant, event).await?.ok_or_else(missing)?;
    Ok(event.timestamp)
}

// --- the worker --------------------------------------------------------------------------------

/// Starts this instance's replay worker, which stops on `state.shutdown`.
pub fn spawn(state: &AppState) -> JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let instance = Uuid::new_v4().to_string();
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                () = tokio::time::sleep(POLL) => {}
            }
            if let Err(error) = work(&state, &instance).await {
                tracing::warn!(%error, "a replay job stopped; it is taken up again once its lease runs out");
            }
        }
    })
}

async fn work(state: &AppState, instance: &str) -> Result<(), StoreError> {
    while !state.shutdown.is_cancelled() {
        let now = state.clock.now();
        let Some(job) = state
            .store
            .claim_webhook_replay(instance, now, now + lease())
            .await?
        else {
            return Ok(());
        };
        tracing::info!(replay = %job.id, endpoint_id = %job.endpoint_id, "webhook replay started");
        run(state, instance, job).await?;
    }
    Ok(())
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(5))
}

/// Writes `step` under the job's lease; false when the lease is gone (cancelled, deleted with
/// its endpoint, or taken over after this instance stalled).
async fn advance(
    state: &AppState,
    instance: &str,
    job: &Replay,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let now = state.clock.now();
    let lease = Lease {
        replay: job.id,
        tenant: job.tenant_id,
        endpoint: job.endpoint_id,
        instance,
        now,
        until: now + lease(),
    };
    state.store.advance_webhook_replay(&lease, step).await
}

async fn run(state: &AppState, instance: &str, job: Replay) -> Result<(), StoreError> {
    let Some(endpoint) = state
        .store
        .get_webhook_endpoint(job.tenant_id, job.endpoint_id)
        .await?
    else {
        // Deleted: its jobs went with it.
        return Ok(());
    };
    let filter = EventFilter {
        from: Some(job.from),
        to: Some(job.to),
        ..EventFilter::default()
    };
    let batch = state.config.webhooks.replay_batch.max(1);
    let window = u64::from(state.config.webhooks.replay_window.max(1));
    // The cursor is one this module wrote.
    let mut cursor = job
        .cursor
        .as_deref()
        .and_then(|raw| decode_cursor(raw).ok());
    let mut phase = job.phase;
    loop {
        if phase == Phase::Queue {
            // Live first: no more of this job's deliveries wait than the window holds.
            while state.store.webhook_replay_waiting(job.id).await? >= window {
                if !advance(state, instance, &job, Step::Renew).await? || stopping(state).await {
                    return Ok(());
                }
            }
        }
        let events = state
            .store
            .list_events(job.tenant_id, &filter, cursor, batch)
            .await?;
        let Some(last) = events.last() else {
            if phase == Phase::Queue {
                break;
            }
            if !advance(state, instance, &job, Step::CountingDone).await? {
                return Ok(());
            }
            phase = Phase::Queue;
            cursor = None;
            continue;
        };
        cursor = Some(EventCursor {
            timestamp: last.timestamp,
            id: last.id,
        });
        let taken: Vec<Uuid> = events
            .iter()
            .filter(|event| job.takes(&endpoint, event))
            .map(|event| event.id)
            .collect();
        let next = cursor.map(encode_cursor).unwrap_or_default();
        let step = match phase {
            Phase::Count if job.only_failed => Step::Counted {
                events: state
                    .store
                    .count_failed_webhook_events(job.tenant_id, job.endpoint_id, &taken)
                    .await?,
                cursor: next,
            },
            Phase::Count => Step::Counted {
                events: taken.len() as u64,
                cursor: next,
            },
            Phase::Queue => Step::Queue {
                events: &taken,
                only_failed: job.only_failed,
                cursor: next,
            },
        };
        if !advance(state, instance, &job, step).await? {
            return Ok(());
        }
        if state.shutdown.is_cancelled() {
            return Ok(());
        }
    }
    let finish = Step::Finish {
        state: State::Done,
        error: None,
    };
    advance(state, instance, &job, finish).await?;
    tracing::info!(replay = %job.id, "webhook replay queued every delivery");
    Ok(())
}

/// Waits a poll; true when the server is stopping (the job resumes at the next start).
async fn stopping(state: &AppState) -> bool {
    tokio::select! {
        () = state.shutdown.cancelled() => true,
        () = tokio::time::sleep(POLL) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_range_needs_a_start_before_its_end_and_at_most_90_days() {
        let now = at("2026-12-01T00:00:00Z");
        let input = ReplayInput::default();
        assert_eq!(
            ReplaySpec::parse(None, &input, now).unwrap_err().field,
            "from"
        );
        let spec = ReplaySpec::parse(Some(at("2026-11-30T00:00:00Z")), &input, now).unwrap();
        assert_eq!((spec.to, spec.only_failed), (now, false));
        let late = ReplaySpec::parse(Some(now), &input, now).unwrap_err();
        assert_eq!(late.field, "from");
        let long = ReplaySpec::parse(Some(at("2026-01-01T00:00:00Z")), &input, now);
        assert_eq!(long.unwrap_err().field, "from");
        let types = ReplayInput {
            event_types: Some(vec!["order.*".into(), "bad type".into()]),
            ..ReplayInput::default()
        };
        let error = ReplaySpec::parse(Some(at("2026-11-30T00:00:00Z")), &types, now);
        assert_eq!(error.unwrap_err().field, "event_types[1]");
    }

    #[test]
    fn a_new_endpoint_may_ask_for_1_to_720_hours() {
        let now = at("2026-12-01T00:00:00Z");
        let spec = ReplaySpec::last_hours(24, now).unwrap();
        assert_eq!((spec.from, spec.to), (at("2026-11-30T00:00:00Z"), now));
        for hours in [0, 721] {
            let error = ReplaySpec::last_hours(hours, now).unwrap_err();
            assert_eq!(error.field, "replay_hours");
        }
    }
}
