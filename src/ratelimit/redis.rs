//! The shared limiter of the scaled mode: the same GCRA as [`super::gcra`], run inside Redis
//! by one Lua script, so that the read-modify-write of a tenant's arrival time is atomic across
//! every instance. Time comes from Redis (`TIME`), not from the instances, whose clocks may
//! disagree. When Redis cannot answer within the timeout, `ratelimit.on_redis_error` decides:
//! `allow` falls back to this process's limiter, `deny` refuses with 503.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::local::LocalRateLimiter;
use super::{Decision, RateLimitError, RateLimiter};
use crate::config::OnRedisError;
use crate::tenants::{RateLimit, TenantId};

/// KEYS[1]: the tenant's key. ARGV: emission interval (µs, may be fractional), burst, cost.
/// Returns {allowed, remaining, reset µs, retry-after µs}. The key expires once the budget
/// is full again, so idle tenants leave nothing behind.
const GCRA: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tolerance = interval * burst
local new_tat = tat + interval * cost
if new_tat - now <= tolerance then
  local ttl = math.ceil((new_tat - now) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
  return {1, math.floor((tolerance - (new_tat - now)) / interval), math.ceil(new_tat - now), 0}
end
return {0, math.floor((tolerance - (tat - now)) / interval), math.ceil(tat - now), math.ceil(new_tat - now - tolerance)}
"#;

pub struct RedisRateLimiter {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
    timeout: Duration,
    on_error: OnRedisError,
    fallback: Arc<LocalRateLimiter>,
}

impl RedisRateLimiter {
    pub fn new(
        connection: ConnectionManager,
        prefix: &str,
        timeout: Duration,
        on_error: OnRedisError,
        fallback: Arc<LocalRateLimiter>,
    ) -> Self {
        RedisRateLimiter {
            connection,
            script: Script::new(GCRA),
            prefix: prefix.to_owned(),
            timeout,
            on_error,
            fallback,
        }
    }

    /// `<prefix>:ratelimit:{<tenant>}`: the braces are a Redis Cluster hash tag.
    fn key(&self, tenant: TenantId) -> String {
        format!("{}:ratelimit:{{{tenant}}}", self.prefix)
    }
}

fn micros(n: i64) -> Duration {
    Duration::from_micros(u64::try_from(n).unwrap_or(0))
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(
        &self,
        tenant: TenantId,
        limit: RateLimit,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        let interval = 1_000_000.0 / f64::from(limit.per_second.max(1));
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(self.key(tenant));
        invocation.arg(interval).arg(limit.burst).arg(cost);
        let answer = tokio::time::timeout(
            self.timeout,
            invocation.invoke_async::<Vec<i64>>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok(values)) if values.len() == 4 => Ok(Decision {
                allowed: values[0] == 1,
                limit: limit.burst,
                remaining: u32::try_from(values[1].max(0)).unwrap_or(u32::MAX),
                reset_after: micros(values[2]),
                retry_after: micros(values[3]),
            }),
            other => {
                let error = match other {
                    Ok(Ok(values)) => anyhow::anyhow!("unexpected script answer {values:?}"),
                    Ok(Err(error)) => anyhow::Error::new(error),
                    Err(_) => anyhow::anyhow!("no answer within {:?}", self.timeout),
                };
                metrics::counter!("tributary_redis_errors_total", "operation" => "ratelimit")
                    .increment(1);
                match self.on_error {
                    OnRedisError::Allow => {
                        tracing::warn!(%error, "Redis rate limiter unavailable: limiting in this process");
                        self.fallback.check(tenant, limit, cost).await
                    }
                    OnRedisError::Deny => Err(RateLimitError::Unavailable(error)),
                }
            }
        }
    }
}
