//! Each tenant's compiled redaction policy and suppressions, cached together (one lookup per
//! request); a change to either drops the tenant's entry on this instance before it is
//! answered and on the others when the bus's notice arrives (after a gap in the bus's
//! subscription, every entry).

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Policy;
use super::redact::Redactor;
use super::suppressions::Suppressions;
use crate::bus::{DynBus, Notice};
use crate::store::{DynStore, StoreError};
use crate::tenants::TenantId;
use crate::tenants::cache::TenantCache;

pub struct PrivacyRegistry {
    store: DynStore,
    cache: TenantCache<TenantPrivacy>,
}

/// What ingestion needs of a tenant's privacy settings.
pub struct TenantPrivacy {
    pub redactor: Redactor,
    pub suppressions: Suppressions,
}

impl PrivacyRegistry {
    pub fn new(store: DynStore) -> Arc<PrivacyRegistry> {
        Arc::new(PrivacyRegistry {
            store,
            cache: TenantCache::default(),
        })
    }

    /// The tenant's redactor (one that changes nothing when it has no policy) and
    /// suppressions.
    pub async fn settings(&self, tenant: TenantId) -> Result<Arc<TenantPrivacy>, StoreError> {
        self.cache
            .get_or_load(tenant, || async {
                let redactor = match self.store.privacy_policy(tenant).await? {
                    Some(stored) => Redactor::new(&stored.policy, stored.hash_key),
                    None => Redactor::new(&Policy::default(), Vec::new()),
                };
                let suppressions = Suppressions::new(self.store.list_suppressions(tenant).await?);
                Ok(TenantPrivacy {
                    redactor,
                    suppressions,
                })
            })
            .await
    }

    pub fn invalidate(&self, tenant: TenantId) {
        self.cache.invalidate(tenant);
    }

    /// Follows the bus's notices until `stop`.
    pub fn start(
        self: &Arc<Self>,
        bus: DynBus,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        let mut notices = bus.notices();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    notice = notices.recv() => match notice {
                        Ok(Notice::PrivacyChanged(tenant)) => registry.invalidate(tenant),
                        Ok(Notice::SchemasChanged(_) | Notice::CredentialsChanged(_)) => {}
                        Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => registry.cache.clear(),
                        Err(RecvError::Closed) => break,
                    },
                }
            }
        })
    }
}
