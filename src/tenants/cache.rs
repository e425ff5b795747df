//! A per-tenant cache of something compiled from the store (a tenant's schemas, its redaction
//! rules), dropped when it changes.
//!
//! Invariant: a load that started before an invalidation is returned to its caller but never
//! cached, so a change is seen by every load that starts after it was announced.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::TenantId;

pub struct TenantCache<T> {
    entries: RwLock<HashMap<TenantId, Arc<T>>>,
    /// Bumped by every invalidation, so that a load that started before one is not cached.
    generation: AtomicU64,
}

impl<T> Default for TenantCache<T> {
    fn default() -> Self {
        TenantCache {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }
}

impl<T> TenantCache<T> {
    /// The tenant's entry, from the cache or from `load`.
    pub async fn get_or_load<E, Fut>(
        &self,
        tenant: TenantId,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<T>, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(cached) = read(&self.entries).get(&tenant) {
            return Ok(cached.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = Arc::new(load().await?);
        let mut entries = write(&self.entries);
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(tenant, loaded.clone());
        }
        Ok(loaded)
    }

    /// Drops the tenant's entry (what it was made from changed).
    pub fn invalidate(&self, tenant: TenantId) {
        let mut entries = write(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&tenant);
    }

    /// Drops every entry (a change may have been missed).
    pub fn clear(&self) {
        let mut entries = write(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
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
    use uuid::Uuid;

    #[tokio::test]
    async fn a_load_that_raced_with_an_invalidation_is_used_but_not_cached() {
        let cache: TenantCache<u32> = TenantCache::default();
        let tenant = TenantId(Uuid::now_v7());
        let first = cache
            .get_or_load(tenant, || async {
                cache.invalidate(tenant);
                Ok::<_, ()>(1)
            })
            .await;
        assert_eq!(first.as_deref(), Ok(&1));
        let second = cache.get_or_load(tenant, || async { Ok::<_, ()>(2) }).await;
        assert_eq!(second.as_deref(), Ok(&2), "the raced load was not cached");
        let third = cache.get_or_load(tenant, || async { Ok::<_, ()>(3) }).await;
        assert_eq!(third.as_deref(), Ok(&2), "the clean load was");
        cache.clear();
        let fourth = cache.get_or_load(tenant, || async { Ok::<_, ()>(4) }).await;
        assert_eq!(fourth.as_deref(), Ok(&4));
    }
}
