//! Retention: deletes events stored more than `retention.events_days` ago, or a tenant's own
//! `retention_days` where it has one (with their webhook deliveries and search entries), and
//! webhook deliveries that finished more than
//! `retention.deliveries_days` ago (with their attempts), and schema violation counts of minutes
//! as old (`crate::schemas`; examples are capped per type instead) and audit log entries recorded
//! as long ago (`crate::audit`). It runs once at start-up and then
//! every `retention.interval_secs`, in batches, so that ingestion never waits long for the
//! write lock. Every instance runs it: the deletes are idempotent, so instances pruning at the
//! same time only share the work.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::config::RetentionConfig;
use crate::http::AppState;
use crate::store::StoreError;
use crate::tenants::TenantId;

/// Rows deleted per statement.
const BATCH: u32 = 1000;
/// A pause between batches, in which the group committer gets the write lock.
const PAUSE: Duration = Duration::from_millis(10);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub deliveries: u64,
    pub schema_counts: u64,
    /// Cached breakdown units (see [`crate::events::rollup`]).
    pub breakdown_cache: u64,
    pub audit_entries: u64,
}

/// Starts the pruner, which stops on `state.shutdown`. It runs even when the server keeps
/// everything, since a tenant can be given a retention of its own at any time.
pub fn spawn(state: &AppState) -> JoinHandle<()> {
    let config = state.config.retention.clone();
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(config.interval_secs));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(error) = prune_once(&state, &config).await {
                tracing::warn!(%error, "pruning failed; it is tried again at the next interval");
            }
        }
    })
}

/// One pass: deletes everything past its retention, batch by batch.
pub async fn prune_once(state: &AppState, config: &RetentionConfig) -> Result<Pruned, StoreError> {
    let now = state.clock.now();
    let mut pruned = Pruned::default();
    let days_ago = |days: u32| first_id_at(now - chrono::Duration::days(days.into()));
    if config.events_days > 0 {
        let before = days_ago(config.events_days);
        pruned.events = in_batches(state, Prune::EventsBefore(None, before)).await?;
        // Breakdowns of times this old are rarely asked for again; a unit dropped early is
        // only computed again, never wrong.
        let before = now - chrono::Duration::days(config.events_days.into());
        pruned.breakdown_cache = in_batches(state, Prune::BreakdownCacheBefore(before)).await?;
    }
    for tenant in state.store.list_tenants().await? {
        if let Some(days @ 1..) = tenant.retention_days {
            let before = days_ago(days);
            pruned.events +=
                in_batches(state, Prune::EventsBefore(Some(tenant.id), before)).await?;
        }
    }
    if config.deliveries_days > 0 {
        let before = now - chrono::Duration::days(config.deliveries_days.into());
        pruned.deliveries = in_batches(state, Prune::DeliveriesFinishedBefore(before)).await?;
        pruned.schema_counts = in_batches(state, Prune::OldSchemaCounts(before)).await?;
        pruned.audit_entries = in_batches(state, Prune::AuditEntriesBefore(before)).await?;
    }
    if pruned != Pruned::default() {
        metrics::counter!("tributary_pruned_total", "what" => "events").increment(pruned.events);
        metrics::counter!("tributary_pruned_total", "what" => "deliveries")
            .increment(pruned.deliveries);
        metrics::counter!("tributary_pruned_total", "what" => "schema_counts")
            .increment(pruned.schema_counts);
        metrics::counter!("tributary_pruned_total", "what" => "breakdown_cache")
            .increment(pruned.breakdown_cache);
        metrics::counter!("tributary_pruned_total", "what" => "audit_entries")
            .increment(pruned.audit_entries);
        tracing::info!(
            events = pruned.events,
            deliveries = pruned.deliveries,
            schema_counts = pruned.schema_counts,
            breakdown_cache = pruned.breakdown_cache,
            audit_entries = pruned.audit_entries,
            "pruned data past its retention"
        );
    }
    Ok(pruned)
}

enum Prune {
    /// Of one tenant, or of all those that follow the server's retention.
    EventsBefore(Option<TenantId>, Uuid),
    DeliveriesFinishedBefore(DateTime<Utc>),
    /// Schema violation counts of minutes before this.
    OldSchemaCounts(DateTime<Utc>),
    /// Cached breakdown units of times before this.
    BreakdownCacheBefore(DateTime<Utc>),
    /// Audit log entries recorded before this.
    AuditEntriesBefore(DateTime<Utc>),
}

/// Deletes batch after batch until one comes back short (or the server shuts down); the total.
async fn in_batches(state: &AppState, what: Prune) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let deleted = match what {
            Prune::EventsBefore(tenant, id) => state.store.prune_events(tenant, id, BATCH).await?,
            Prune::DeliveriesFinishedBefore(at) => {
                state.store.prune_webhook_deliveries(at, BATCH).await?
            }
            Prune::OldSchemaCounts(at) => state.store.prune_schema_counts(at, BATCH).await?,
            Prune::BreakdownCacheBefore(at) => state.store.prune_breakdown_cache(at, BATCH).await?,
            Prune::AuditEntriesBefore(at) => state.store.prune_audit_entries(at, BATCH).await?,
        };
        total += deleted;
        if deleted < u64::from(BATCH) || state.shutdown.is_cancelled() {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// The smallest event id of the millisecond `at`: every event committed before `at` has a
/// smaller id (ids are UUIDv7, whose first 48 bits are the commit time in milliseconds).
fn first_id_at(at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_id_sorts_between_the_ids_of_the_millisecond_before_and_its_own() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00.005Z")
            .unwrap()
            .with_timezone(&Utc);
        let millis = at.timestamp_millis() as u64;
        let cutoff = first_id_at(at);
        let earlier =
            uuid::Builder::from_unix_timestamp_millis(millis - 1, &[0xff; 10]).into_uuid();
        let same = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid();
        let later = uuid::Builder::from_unix_timestamp_millis(millis, &[1; 10]).into_uuid();
        assert!(
            earlier < cutoff,
            "an event of the millisecond before is pruned"
        );
        assert!(
            cutoff <= same && cutoff < later,
            "events of `at` itself are kept"
        );
        // SQLite compares the hyphenated text: the same order.
        assert!(earlier.to_string() < cutoff.to_string());
        assert!(cutoff.to_string() < later.to_string());
    }
}
