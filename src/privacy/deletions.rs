//! Deletion by subject: a background job that deletes a tenant's events matching a subject
//! (`meta.<key>=<value>` pairs), a search query, or both, optionally within a time range, with
//! their search entries, their rollup counts and their webhook deliveries; and lists the
//! webhook endpoints that had already been sent some of them (those cannot be recalled).
//!
//! A job first counts what it matches (a dry run stops there, having listed the endpoints),
//! then deletes in batches of `privacy.deletion_batch`, pausing between them so that the group
//! committer is never kept from the write lock for long. Events of the subject that arrive
//! while it runs are deleted too, if they arrive before it finishes.
//!
//! Invariants:
//! - Durable: every batch's effect and the job's progress are written in one transaction, so a
//!   job killed at any point resumes where its last batch left off, counts included.
//! - One worker at a time: an instance holds a job under a lease that each batch renews; a job
//!   whose instance died is taken up by any instance once the lease has run out. A batch whose
//!   lease was lost (or whose job was cancelled) changes nothing.
//! - A job never touches another tenant's events: the tenant is part of every statement.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::task::JoinHandle;
use utoipa::ToSchema;
use uuid::Uuid;

use super::subject::Subject;
use crate::error::ValidationError;
use crate::events::query::{check_range, decode_cursor, encode_cursor};
use crate::events::{EventCursor, EventFilter};
use crate::http::AppState;
use crate::store::StoreError;
use crate::tenants::TenantId;

/// How long a job stays with the instance that claimed it without a batch renewing it.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often an idle instance looks for jobs.
const POLL: Duration = Duration::from_secs(1);
/// Longest search query a deletion takes, as the list endpoint's `q`.
pub const MAX_QUERY_CHARS: usize = 1000;

/// What a job deletes: the events matching all that is given (at least a subject or a query).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeletionSpec {
    pub subject: Option<Subject>,
    pub query: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// How the store keeps a spec (and the API shows it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoredSpec {
    #[serde(rename = "match")]
    #[schema(value_type = Option<Object>)]
    pub subject: Option<Map<String, Value>>,
    pub query: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl DeletionSpec {
    /// Checks what a request asks for; errors name the request's fields.
    pub fn parse(stored: &StoredSpec) -> Result<DeletionSpec, ValidationError> {
        let subject = stored
            .subject
            .as_ref()
            .map(|pairs| Subject::parse("match", pairs))
            .transpose()?;
        let query = stored
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty());
        if subject.is_none() && query.is_none() {
            return Err(ValidationError::new(
                "match",
                "a deletion needs a subject (match) or a search query (query): it never \
                 deletes all of a tenant's events",
            ));
        }
        if query.is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
            return Err(ValidationError::new(
                "query",
                format!("query has at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let spec = DeletionSpec {
            subject,
            query: query.map(str::to_owned),
            from: stored.from,
            to: stored.to,
        };
        spec.filter()?;
        Ok(spec)
    }

    pub fn to_stored(&self) -> StoredSpec {
        StoredSpec {
            subject: self.subject.as_ref().map(Subject::to_json),
            query: self.query.clone(),
            from: self.from,
            to: self.to,
        }
    }

    /// The list endpoint's filter for the same events.
    pub fn filter(&self) -> Result<EventFilter, ValidationError> {
        let mut filter = EventFilter {
            from: self.from,
            to: self.to,
            ..EventFilter::default()
        };
        if let Some(subject) = &self.subject {
            filter.meta = subject.pairs().to_vec();
        }
        if let Some(query) = &self.query {
            crate::search::add_q(&mut filter, query).map_err(|error| {
                ValidationError::new(
                    error.field.replacen('q', "query", 1),
                    error.message.replace("`q`", "`query`"),
                )
            })?;
        }
        check_range(&filter)?;
        Ok(filter)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeletionState)]
pub enum State {
    /// Waiting for an instance to take it up.
    Pending,
    /// Counting, then deleting.
    Running,
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
            other => return Err(StoreError::Invalid(format!("deletion state {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Counting the matching events, from the cursor on.
    Count,
    /// Deleting them (a real job, once counted).
    Delete,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Count => "count",
            Phase::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Result<Phase, StoreError> {
        match text {
            "count" => Ok(Phase::Count),
            "delete" => Ok(Phase::Delete),
            other => Err(StoreError::Invalid(format!("deletion phase {other:?}"))),
        }
    }
}

/// An endpoint that had been sent some of the deleted (or, in a dry run, matched) events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveredTo {
    pub endpoint_id: Uuid,
    /// The endpoint's URL when the job ran.
    pub url: String,
    /// Matching events that at least one delivery attempt sent there.
    pub events: u64,
}

#[derive(Debug, Clone)]
pub struct Deletion {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub spec: StoredSpec,
    pub dry_run: bool,
    pub state: State,
    pub phase: Phase,
    /// Where counting goes on from (list order), as the list endpoint's cursor.
    pub cursor: Option<String>,
    pub matched: u64,
    pub deleted: u64,
    pub error: Option<String>,
    pub delivered_to: Vec<DeliveredTo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Deletion {
    pub fn new(tenant: TenantId, spec: &DeletionSpec, dry_run: bool, at: DateTime<Utc>) -> Self {
        Deletion {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            spec: spec.to_stored(),
            dry_run,
            state: State::Pending,
            phase: Phase::Count,
            cursor: None,
            matched: 0,
            deleted: 0,
            error: None,
            delivered_to: Vec::new(),
            created_at: at,
            updated_at: at,
            finished_at: None,
        }
    }
}

/// The job an instance holds, named in every step it writes.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub deletion: Uuid,
    pub tenant: TenantId,
    pub instance: &'a str,
    pub now: DateTime<Utc>,
    /// The lease's new end.
    pub until: DateTime<Utc>,
}

/// One step of a job, written in one transaction with the renewal of its lease.
#[derive(Debug)]
pub enum Step<'a> {
    /// These events were counted (and, with `list_endpoints`, their deliveries' endpoints
    /// listed); counting goes on after `cursor`.
    Counted {
        events: &'a [Uuid],
        cursor: String,
        list_endpoints: bool,
    },
    /// Counting is over: deleting starts.
    CountingDone,
    /// Delete these events (their endpoints listed first).
    Delete { events: &'a [Uuid] },
    /// The job ends in this state.
    Finish { state: State, error: Option<String> },
}

/// Starts the deletion worker of this instance, which stops on `state.shutdown`.
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
                tracing::warn!(%error, "a deletion job stopped; it is taken up again once its lease runs out");
            }
        }
    })
}

/// Runs the jobs there are, one after another, until none is left or the server stops.
async fn work(state: &AppState, instance: &str) -> Result<(), StoreError> {
    while !state.shutdown.is_cancelled() {
        let now = state.clock.now();
        let Some(job) = state
            .store
            .claim_deletion(instance, now, now + lease())
            .await?
        else {
            return Ok(());
        };
        tracing::info!(deletion = %job.id, tenant = %job.tenant_id.0, "deletion job started");
        run(state, instance, job).await?;
    }
    Ok(())
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(5))
}

/// Writes `step` under the job's lease; false when the lease is gone (cancelled, or taken
/// over after this instance stalled), and the job is no longer this instance's.
async fn advance(
    state: &AppState,
    instance: &str,
    job: &Deletion,
    step: Step<'_>,
) -> Result<bool, StoreError> {
    let now = state.clock.now();
    let lease = Lease {
        deletion: job.id,
        tenant: job.tenant_id,
        instance,
        now,
        until: now + lease(),
    };
    state.store.advance_deletion(&lease, step).await
}

async fn run(state: &AppState, instance: &str, job: Deletion) -> Result<(), StoreError> {
    let filter = match DeletionSpec::parse(&job.spec).and_then(|spec| spec.filter()) {
        Ok(filter) => filter,
        Err(error) => {
            let error = Some(format!("the stored request no longer parses: {error}"));
            let finish = Step::Finish {
                state: State::Failed,
                error,
            };
            advance(state, instance, &job, finish).await?;
            return Ok(());
        }
    };
    let batch = state.config.privacy.deletion_batch;
    let pause = Duration::from_millis(state.config.privacy.deletion_pause_ms);
    if job.phase == Phase::Count {
        // The cursor is one this module wrote.
        let mut cursor = job
            .cursor
            .as_deref()
            .and_then(|raw| decode_cursor(raw).ok());
        loop {
            let events = state
                .store
                .list_events(job.tenant_id, &filter, cursor, batch)
                .await?;
            let Some(last) = events.last() else { break };
            cursor = Some(EventCursor {
                timestamp: last.timestamp,
                id: last.id,
            });
            let ids: Vec<Uuid> = events.iter().map(|event| event.id).collect();
            let step = Step::Counted {
                events: &ids,
                cursor: cursor.map(encode_cursor).unwrap_or_default(),
                list_endpoints: job.dry_run,
            };
            if !advance(state, instance, &job, step).await? {
                return Ok(());
            }
            if stopping(state, pause).await {
                return Ok(());
            }
        }
        let next = if job.dry_run {
            Step::Finish {
                state: State::Done,
                error: None,
            }
        } else {
            Step::CountingDone
        };
        if !advance(state, instance, &job, next).await? || job.dry_run {
            return Ok(());
        }
    }
    loop {
        // What a batch deleted is gone, so each batch reads from the newest again.
        let events = state
            .store
            .list_events(job.tenant_id, &filter, None, batch)
            .await?;
        if events.is_empty() {
            break;
        }
        let ids: Vec<Uuid> = events.iter().map(|event| event.id).collect();
        if !advance(state, instance, &job, Step::Delete { events: &ids }).await? {
            return Ok(());
        }
        if stopping(state, pause).await {
            return Ok(());
        }
    }
    let finish = Step::Finish {
        state: State::Done,
        error: None,
    };
    advance(state, instance, &job, finish).await?;
    tracing::info!(deletion = %job.id, "deletion job done");
    Ok(())
}

/// Pauses between batches; true when the server is stopping (the job resumes at the next
/// start, on whichever instance is first once the lease has run out).
async fn stopping(state: &AppState, pause: Duration) -> bool {
    tokio::select! {
        () = state.shutdown.cancelled() => true,
        () = tokio::time::sleep(pause) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored(value: Value) -> StoredSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_spec_needs_a_subject_or_a_query() {
        let error = DeletionSpec::parse(&stored(json!({}))).unwrap_err();
        assert_eq!(error.field, "match");
        let error = DeletionSpec::parse(&stored(json!({"query": "  "}))).unwrap_err();
        assert_eq!(error.field, "match");
    }

    #[test]
    fn a_spec_becomes_the_list_filter_of_the_same_events() {
        let spec = DeletionSpec::parse(&stored(json!({
            "match": {"meta.user.id": "u-42"},
            "query": "checkout",
            "from": "2026-01-01T00:00:00Z",
        })))
        .unwrap();
        let filter = spec.filter().unwrap();
        assert_eq!(
            filter.meta,
            vec![(vec!["user".to_owned(), "id".to_owned()], "u-42".to_owned())]
        );
        assert!(filter.text.is_some());
        assert!(filter.from.is_some() && filter.to.is_none());
        let again = DeletionSpec::parse(&spec.to_stored()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn a_bad_query_or_range_names_its_field() {
        let error = DeletionSpec::parse(&stored(json!({"query": "a:("}))).unwrap_err();
        assert!(error.field.starts_with("query"), "{error:?}");
        let error = DeletionSpec::parse(&stored(json!({
            "match": {"meta.u": "1"},
            "from": "2026-01-02T00:00:00Z",
            "to": "2026-01-01T00:00:00Z",
        })))
        .unwrap_err();
        assert_eq!(error.field, "from");
    }
}
