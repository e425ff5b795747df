//! API keys resolved from memory: the key and its tenant, by the secret's hash, so that
//! authenticating a request is not a database read (issue #14: the lookup alone held ingest to
//! a third of `/health`).
//!
//! Invariants: a revocation or a change of the tenant (status, rate limit) is seen at once by
//! the instance that made it, which drops the tenant's entries before answering, and by every
//! other instance when the bus's `CredentialsChanged` notice arrives; when notices may have
//! been missed (`Resync`), everything is dropped. A load that started before an invalidation
//! is used by its caller but never cached. Entries also expire after [`TTL`], which bounds
//! what a lost notice could cost. Unknown secrets are never cached (a miss reads the store).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::ApiKey;
use crate::bus::{DynBus, Notice};
use crate::tenants::{Tenant, TenantId};

/// How long an entry is trusted without hearing about its tenant.
pub const TTL: Duration = Duration::from_secs(60);

/// More keys than this in use at once and the cache starts over (it stays small and a flood
/// of distinct keys cannot grow it without bound).
const MAX_ENTRIES: usize = 10_000;

/// A resolved key as cached.
pub struct CachedKey {
    pub key: ApiKey,
    pub tenant: Tenant,
    loaded: Instant,
    /// When `last_used_at` was last written for this key, in Unix seconds, so that the
    /// write stays once a minute however many requests the cache answers.
    touched: AtomicI64,
}

impl CachedKey {
    /// Whether `last_used_at` is due at `now`, every `every`; claims the write if so (one of
    /// several concurrent requests makes it).
    pub fn claim_touch(&self, now: DateTime<Utc>, every: Duration) -> bool {
        let now = now.timestamp();
        let last = self.touched.load(Ordering::Acquire);
        let every = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
        now.saturating_sub(last) >= every
            && self
                .touched
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }
}

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<Vec<u8>, Arc<CachedKey>>>,
    /// Bumped by every invalidation, so that a load that started before one is not cached.
    generation: AtomicU64,
}

impl KeyCache {
    /// The key whose secret hashes to `hash`, if cached and fresh.
    pub fn get(&self, hash: &[u8]) -> Option<Arc<CachedKey>> {
        let entries = read(&self.entries);
        let entry = entries.get(hash)?;
        (entry.loaded.elapsed() < TTL).then(|| entry.clone())
    }

    /// The generation to hand to [`KeyCache::insert`] for a load that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a key loaded from the store, unless an invalidation happened since `generation`
    /// was read; returns the entry either way.
    pub fn insert(&self, generation: u64, key: ApiKey, tenant: Tenant) -> Arc<CachedKey> {
        let touched = key.last_used_at.map_or(i64::MIN, |at| at.timestamp());
        let entry = Arc::new(CachedKey {
            key,
            tenant,
            loaded: Instant::now(),
            touched: AtomicI64::new(touched),
        });
        let mut entries = write(&self.entries);
        if self.generation.load(Ordering::Acquire) == generation {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(entry.key.secret_hash.clone(), entry.clone());
        }
        entry
    }

    /// Drops the tenant's keys (one was revoked, or the tenant changed).
    pub fn invalidate(&self, tenant: TenantId) {
        let mut entries = write(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, entry| entry.tenant.id != tenant);
    }

    /// Drops every key (a change may have been missed).
    pub fn clear(&self) {
        let mut entries = write(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Follows the bus's notices until `stop`.
    pub fn start(
        self: &Arc<Self>,
        bus: &DynBus,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        let mut notices = bus.notices();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    notice = notices.recv() => match notice {
                        Ok(Notice::CredentialsChanged(tenant)) => cache.invalidate(tenant),
                        Ok(Notice::SchemasChanged(_) | Notice::PrivacyChanged(_)) => {}
                        Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => cache.clear(),
                        Err(RecvError::Closed) => break,
                    },
                }
            }
        })
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;
    use crate::tenants::{RateLimit, TenantStatus};
    use uuid::Uuid;

    fn key(tenant: &Tenant, secret: u8) -> ApiKey {
        ApiKey {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            name: "k".into(),
            prefix: "trb_x".into(),
            secret_hash: vec![secret; 32],
            scopes: vec![Scope::Ingest],
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        }
    }

    fn tenant() -> Tenant {
        Tenant {
            id: TenantId(Uuid::now_v7()),
            name: "t".into(),
            status: TenantStatus::Active,
            rate_limit: RateLimit {
                per_second: 10,
                burst: 10,
            },
            retention_days: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_invalidation_drops_only_that_tenants_keys_and_a_raced_load_is_not_cached() {
        let cache = KeyCache::default();
        let (a, b) = (tenant(), tenant());
        cache.insert(cache.generation(), key(&a, 1), a.clone());
        cache.insert(cache.generation(), key(&b, 2), b.clone());
        assert!(cache.get(&[1; 32]).is_some());

        let raced = cache.generation();
        cache.invalidate(a.id);
        assert!(cache.get(&[1; 32]).is_none(), "a's key is dropped");
        assert!(cache.get(&[2; 32]).is_some(), "b's key stays");

        let entry = cache.insert(raced, key(&a, 1), a.clone());
        assert_eq!(entry.tenant.id, a.id, "the raced load is still returned");
        assert!(cache.get(&[1; 32]).is_none(), "but not cached");

        cache.insert(cache.generation(), key(&a, 1), a);
        cache.clear();
        assert!(cache.get(&[1; 32]).is_none() && cache.get(&[2; 32]).is_none());
    }

    #[test]
    fn last_used_at_is_claimed_once_per_interval() {
        let cache = KeyCache::default();
        let a = tenant();
        let entry = cache.insert(cache.generation(), key(&a, 1), a);
        let now = Utc::now();
        let minute = Duration::from_secs(60);
        assert!(entry.claim_touch(now, minute), "never touched: due");
        assert!(!entry.claim_touch(now, minute), "just claimed");
        assert!(!entry.claim_touch(now + chrono::Duration::seconds(59), minute));
        assert!(entry.claim_touch(now + chrono::Duration::seconds(60), minute));
    }
}
