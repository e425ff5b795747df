//! The in-process limiter of the embedded mode: one theoretical arrival time per tenant in a
//! map. A std mutex is right here: the critical section is a few arithmetic operations and
//! never awaits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Decision, RateLimitError, RateLimiter, gcra};
use crate::clock::Clock;
use crate::tenants::{RateLimit, TenantId};

pub struct LocalRateLimiter {
    clock: Arc<dyn Clock>,
    arrival: Mutex<HashMap<TenantId, i128>>,
}

impl LocalRateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LocalRateLimiter {
            clock,
            arrival: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn check(
        &self,
        tenant: TenantId,
        limit: RateLimit,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let now = i128::from(self.clock.now().timestamp_nanos_opt().unwrap_or(i64::MAX));
        let mut arrival = self
            .arrival
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (decision, new_tat) = gcra(now, arrival.get(&tenant).copied(), limit, cost);
        if let Some(tat) = new_tat {
            arrival.insert(tenant, tat);
        }
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::{Duration, Utc};
    use uuid::Uuid;

    #[tokio::test]
    async fn tenants_have_separate_budgets_and_time_refills_them() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let limiter = LocalRateLimiter::new(clock.clone());
        let limit = RateLimit {
            per_second: 2,
            burst: 2,
        };
        let (a, b) = (TenantId(Uuid::now_v7()), TenantId(Uuid::now_v7()));
        assert!(limiter.check(a, limit, 2).await.unwrap().allowed);
        assert!(!limiter.check(a, limit, 1).await.unwrap().allowed);
        assert!(limiter.check(b, limit, 2).await.unwrap().allowed);
        clock.advance(Duration::milliseconds(500));
        assert!(limiter.check(a, limit, 1).await.unwrap().allowed);
        assert!(!limiter.check(a, limit, 1).await.unwrap().allowed);
    }
}
