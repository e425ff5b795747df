//! Per-tenant rate limiting with GCRA (the generic cell rate algorithm), counted in events:
//! a batch of 200 costs 200. The limiter sits behind a trait; this process's implementation
//! keeps one theoretical arrival time per tenant, and a shared one (Redis) can take its place.

pub mod local;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::tenants::{RateLimit, TenantId};

/// The answer to "may this tenant send `cost` events now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The burst: how many events may be sent at once with a full budget.
    pub limit: u32,
    /// Events that could still be sent right now, after this decision.
    pub remaining: u32,
    /// Time until the budget is full again.
    pub reset_after: Duration,
    /// When refused: the wait before the same request would pass.
    pub retry_after: Duration,
}

impl Decision {
    /// `RateLimit-*` headers (and `Retry-After` when refused), in whole seconds rounded up.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: u64| {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        };
        put("ratelimit-limit", u64::from(self.limit));
        put("ratelimit-remaining", u64::from(self.remaining));
        put("ratelimit-reset", ceil_secs(self.reset_after));
        if !self.allowed {
            put("retry-after", ceil_secs(self.retry_after).max(1));
        }
        headers
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limiter backend is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Takes `cost` events from the tenant's budget if they all fit, else takes nothing.
    async fn check(
        &self,
        tenant: TenantId,
        limit: RateLimit,
        cost: u32,
    ) -> Result<Decision, RateLimitError>;
}

/// One GCRA step in integer nanoseconds. `tat` is the tenant's theoretical arrival time
/// (None for a fresh tenant). Returns the decision and the new `tat` to store when allowed.
///
/// With emission interval `T = 1/rate` and tolerance `τ = burst·T`, a request of `n` events
/// at `now` moves the arrival time to `max(tat, now) + n·T`; it conforms when that is at most
/// `now + τ`. This is the formulation used by redis-cell and by the Redis script that will
/// share limits between instances.
pub fn gcra(now: i128, tat: Option<i128>, limit: RateLimit, cost: u32) -> (Decision, Option<i128>) {
    let interval = 1_000_000_000_i128 / i128::from(limit.per_second.max(1));
    let tolerance = interval * i128::from(limit.burst);
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval * i128::from(cost);
    let nanos = |n: i128| Duration::from_nanos(u64::try_from(n.max(0)).unwrap_or(u64::MAX));
    let remaining = |used_until: i128| {
        let left = (tolerance - (used_until - now)) / interval;
        u32::try_from(left.max(0)).unwrap_or(u32::MAX)
    };
    if new_tat - now <= tolerance {
        let decision = Decision {
            allowed: true,
            limit: limit.burst,
            remaining: remaining(new_tat),
            reset_after: nanos(new_tat - now),
            retry_after: Duration::ZERO,
        };
        (decision, Some(new_tat))
    } else {
        let decision = Decision {
            allowed: false,
            limit: limit.burst,
            remaining: remaining(tat),
            reset_after: nanos(tat - now),
            retry_after: nanos(new_tat - now - tolerance),
        };
        (decision, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;
    const LIMIT: RateLimit = RateLimit {
        per_second: 10,
        burst: 5,
    };

    #[test]
    fn a_full_burst_passes_and_the_next_event_waits_one_interval() {
        let mut tat = None;
        for expected_remaining in (0..5).rev() {
            let (decision, next) = gcra(0, tat, LIMIT, 1);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, expected_remaining);
            tat = next;
        }
        let (refused, unchanged) = gcra(0, tat, LIMIT, 1);
        assert!(!refused.allowed);
        assert_eq!(unchanged, None);
        assert_eq!(refused.retry_after, Duration::from_millis(100));
        let (later, _) = gcra(SECOND / 10, tat, LIMIT, 1);
        assert!(later.allowed);
    }

    #[test]
    fn a_batch_larger_than_the_remaining_budget_takes_nothing() {
        let (first, tat) = gcra(0, None, LIMIT, 3);
        assert!(first.allowed);
        let (refused, _) = gcra(0, tat, LIMIT, 3);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 2);
        let (fits, _) = gcra(0, tat, LIMIT, 2);
        assert!(fits.allowed);
    }

    #[test]
    fn the_budget_refills_at_the_rate() {
        let (_, tat) = gcra(0, None, LIMIT, 5);
        let (half, _) = gcra(SECOND / 5, tat, LIMIT, 2);
        assert!(half.allowed);
        assert_eq!(half.remaining, 0);
    }

    #[test]
    fn headers_round_up_and_retry_after_appears_only_when_refused() {
        let (_, tat) = gcra(0, None, LIMIT, 5);
        let (refused, _) = gcra(0, tat, LIMIT, 1);
        let headers = refused.headers();
        assert_eq!(headers["retry-after"], "1");
        assert_eq!(headers["ratelimit-limit"], "5");
        assert_eq!(headers["ratelimit-remaining"], "0");
        let (allowed, _) = gcra(0, None, LIMIT, 1);
        assert!(allowed.headers().get("retry-after").is_none());
    }
}
