//! The compiled contracts of each tenant, cached, and the violation counts and examples on
//! their way to the store.
//!
//! Invariants:
//! - A change to a tenant's schemas or policy drops that tenant's entry on every instance
//!   before the change is answered on this one (the bus's [`Notice`]s carry it to the others;
//!   after a gap in the bus's subscription every entry is dropped, since a notice may have
//!   been missed). A load that raced with a change is used once but not cached.
//! - Counts are kept in memory per (tenant, concrete event type, minute) and added to the
//!   store about once a second and at shutdown: a crash loses at most that second's counts,
//!   never an event. Flushes run one at a time, so a read that flushes first sees every
//!   count gathered before it. Examples are sampled (a few per type per second) so that a flood of bad
//!   events does not become a flood of copies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::contract::Contracts;
use super::{Counts, CountsRow, Example};
use crate::bus::{DynBus, Notice};
use crate::store::{DynStore, StoreError};
use crate::tenants::TenantId;
use crate::tenants::cache::TenantCache;

/// How often gathered counts and examples are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Examples taken per tenant and event type between two flushes.
const EXAMPLES_PER_FLUSH: u32 = 3;
/// Examples kept while the store cannot take them (the newest).
const MAX_PENDING_EXAMPLES: usize = 1_000;

pub struct SchemaRegistry {
    store: DynStore,
    cache: TenantCache<Contracts>,
    pending: Mutex<Pending>,
    /// Held through a whole flush: a read that flushes first must wait for a flush already
    /// in flight, or it could answer before that flush's counts are stored (and examples
    /// would be stored out of order).
    flushing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Pending {
    counts: HashMap<(TenantId, String, i64), Counts>,
    examples: Vec<Example>,
    sampled: HashMap<(TenantId, String), u32>,
}

impl SchemaRegistry {
    pub fn new(store: DynStore) -> Arc<SchemaRegistry> {
        Arc::new(SchemaRegistry {
            store,
            cache: TenantCache::default(),
            pending: Mutex::new(Pending::default()),
            flushing: tokio::sync::Mutex::new(()),
        })
    }

    /// The tenant's contracts, from the cache or loaded from the store.
    pub async fn contracts(&self, tenant: TenantId) -> Result<Arc<Contracts>, StoreError> {
        self.cache
            .get_or_load(tenant, || async {
                let policy = self.store.schema_policy(tenant).await?;
                let schemas = self.store.list_schemas(tenant).await?;
                Ok(Contracts::new(policy, &schemas))
            })
            .await
    }

    /// Drops the tenant's cached contracts (its schemas or policy changed).
    pub fn invalidate(&self, tenant: TenantId) {
        self.cache.invalidate(tenant);
    }

    /// Drops every tenant's cached contracts.
    pub fn clear(&self) {
        self.cache.clear();
    }

    /// Adds one checked event to the counts of its minute.
    pub fn count(&self, tenant: TenantId, event_type: &str, at: DateTime<Utc>, counts: Counts) {
        let minute = at.timestamp().div_euclid(60) * 60;
        let mut pending = lock(&self.pending);
        pending
            .counts
            .entry((tenant, event_type.to_owned(), minute))
            .or_default()
            .add(counts);
    }

    /// Whether an example of this type is wanted now (call before copying the event).
    pub fn wants_example(&self, tenant: TenantId, event_type: &str) -> bool {
        let mut pending = lock(&self.pending);
        let taken = pending
            .sampled
            .entry((tenant, event_type.to_owned()))
            .or_default();
        *taken += 1;
        *taken <= EXAMPLES_PER_FLUSH
    }

    pub fn add_example(&self, example: Example) {
        lock(&self.pending).examples.push(example);
    }

    /// Writes what was gathered since the last flush. On failure it is put back, to be
    /// tried again with the next flush.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _flushing = self.flushing.lock().await;
        let taken = std::mem::take(&mut *lock(&self.pending));
        if taken.counts.is_empty() && taken.examples.is_empty() {
            return Ok(());
        }
        let rows: Vec<CountsRow> = taken
            .counts
            .iter()
            .map(|((tenant, event_type, minute), counts)| CountsRow {
                tenant_id: *tenant,
                event_type: event_type.clone(),
                minute: *minute,
                counts: *counts,
            })
            .collect();
        if let Err(error) = self
            .store
            .record_schema_checks(&rows, &taken.examples)
            .await
        {
            let mut pending = lock(&self.pending);
            for (key, counts) in taken.counts {
                pending.counts.entry(key).or_default().add(counts);
            }
            pending.examples.splice(0..0, taken.examples);
            let excess = pending.examples.len().saturating_sub(MAX_PENDING_EXAMPLES);
            pending.examples.drain(..excess);
            return Err(error);
        }
        Ok(())
    }

    /// Flushes every second and follows the bus's notices, until `stop`; then flushes once
    /// more.
    pub fn start(
        self: &Arc<Self>,
        bus: DynBus,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        let mut notices = bus.notices();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(FLUSH_EVERY);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticker.tick() => {
                        if let Err(error) = registry.flush().await {
                            tracing::warn!(%error, "could not write schema violation counts; will retry");
                        }
                    }
                    notice = notices.recv() => match notice {
                        Ok(Notice::SchemasChanged(tenant)) => registry.invalidate(tenant),
                        Ok(Notice::PrivacyChanged(_) | Notice::CredentialsChanged(_)) => {}
                        Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => registry.clear(),
                        // The bus is gone: the server is stopping.
                        Err(RecvError::Closed) => break,
                    },
                }
            }
            if let Err(error) = registry.flush().await {
                tracing::warn!(%error, "could not write schema violation counts at shutdown");
            }
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
