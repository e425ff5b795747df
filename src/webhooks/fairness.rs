//! Who gets the delivery worker's free slots: fair claiming across tenants and endpoints, and
//! the circuit breaker that keeps a failing endpoint from taking slots it cannot use.
//!
//! - **Fair claiming.** The worker asks the store which endpoints have deliveries due
//!   ([`DueEndpoint`]), then hands its free slots out round robin: tenant by tenant (the one
//!   waiting longest first), and within a tenant endpoint by endpoint, one slot at a time, never
//!   more than an endpoint's free `max_per_endpoint`. So a tenant with 100k deliveries due to a
//!   slow receiver gets the same turn as a tenant with one delivery due: a backlog waits behind
//!   itself, not in front of everyone else.
//! - **Live first.** Within an endpoint, the store claims live deliveries before replayed ones
//!   ([`super::replay`]): a replay fills the capacity that live traffic leaves.
//! - **Circuit breaker.** After `webhooks.circuit_after_failures` consecutive failed attempts,
//!   an endpoint's circuit opens: none of its deliveries is claimed until it has stayed open for
//!   `circuit_open_secs`, doubled with each further failure up to `circuit_max_open_secs`. Then
//!   one delivery is claimed as a probe (the store marks the probe in flight, so that no other
//!   claim adds to it); its success closes the circuit, its failure opens it again for longer.
//!   Waiting deliveries keep their place and their retry schedule: the breaker spends none of
//!   their attempts.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::WebhooksConfig;
use crate::tenants::TenantId;

/// An endpoint with deliveries due, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEndpoint {
    pub id: Uuid,
    pub tenant_id: TenantId,
    /// When its longest-waiting due delivery became due.
    pub oldest_due: DateTime<Utc>,
    /// Its circuit was open and its time is up: one probe may go.
    pub probe: bool,
}

/// How many of an endpoint's due deliveries one claim takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub endpoint_id: Uuid,
    pub count: u32,
    /// The circuit's probe: the store takes it only if no other claim took it first.
    pub probe: bool,
}

/// Hands out `slots` among the due endpoints: round robin over tenants (longest waiting
/// first), and within each tenant over its endpoints (longest waiting first), one slot at a
/// time; an endpoint gets at most `max_per_endpoint` minus what it has in flight (`busy`), a
/// probe at most one and only with nothing in flight.
pub fn shares(
    due: &[DueEndpoint],
    busy: &HashMap<Uuid, usize>,
    max_per_endpoint: usize,
    slots: usize,
) -> Vec<Share> {
    struct Candidate {
        index: usize,
        room: usize,
        given: usize,
    }
    let mut by_tenant: BTreeMap<(DateTime<Utc>, TenantId), Vec<Candidate>> = BTreeMap::new();
    let mut first_due: HashMap<TenantId, DateTime<Utc>> = HashMap::new();
    for endpoint in due {
        let at = first_due
            .entry(endpoint.tenant_id)
            .or_insert(endpoint.oldest_due);
        *at = (*at).min(endpoint.oldest_due);
    }
    let mut order: Vec<usize> = (0..due.len()).collect();
    order.sort_by_key(|&index| (due[index].oldest_due, due[index].id));
    for index in order {
        let endpoint = &due[index];
        let in_flight = busy.get(&endpoint.id).copied().unwrap_or(0);
        let room = if endpoint.probe {
            usize::from(in_flight == 0)
        } else {
            max_per_endpoint.saturating_sub(in_flight)
        };
        if room > 0 {
            by_tenant
                .entry((first_due[&endpoint.tenant_id], endpoint.tenant_id))
                .or_default()
                .push(Candidate {
                    index,
                    room,
                    given: 0,
                });
        }
    }
    let mut tenants: Vec<(Vec<Candidate>, usize)> = by_tenant
        .into_values()
        .map(|candidates| (candidates, 0))
        .collect();
    let mut left = slots;
    while left > 0 {
        let mut gave = false;
        for (candidates, next) in &mut tenants {
            if left == 0 {
                break;
            }
            // This tenant's next endpoint with room, after the one served last.
            for step in 0..candidates.len() {
                let at = (*next + step) % candidates.len();
                let candidate = &mut candidates[at];
                if candidate.given < candidate.room {
                    candidate.given += 1;
                    left -= 1;
                    gave = true;
                    *next = at + 1;
                    break;
                }
            }
        }
        if !gave {
            break;
        }
    }
    let mut shares: Vec<Share> = tenants
        .into_iter()
        .flat_map(|(candidates, _)| candidates)
        .filter(|candidate| candidate.given > 0)
        .map(|candidate| Share {
            endpoint_id: due[candidate.index].id,
            count: u32::try_from(candidate.given).unwrap_or(u32::MAX),
            probe: due[candidate.index].probe,
        })
        .collect();
    shares.sort_by_key(|share| share.endpoint_id);
    shares
}

/// Whether some endpoint was given all its share (`claimed` holds the endpoint id of each
/// delivery a claim took): it may have more due, which the worker claims as soon as one of its
/// attempts finishes instead of at the next poll. Otherwise an endpoint's deliveries would go
/// at most `max_per_endpoint` per poll interval, however fast its receiver answers.
pub fn filled_a_share(shares: &[Share], claimed: impl IntoIterator<Item = Uuid>) -> bool {
    let mut taken: HashMap<Uuid, u32> = HashMap::new();
    for endpoint in claimed {
        *taken.entry(endpoint).or_default() += 1;
    }
    shares
        .iter()
        .any(|share| taken.get(&share.endpoint_id).copied().unwrap_or(0) >= share.count)
}

/// How long the circuit stays open after a failed attempt that brought the endpoint to
/// `consecutive_failures`; `None` while below the threshold (or with the breaker off).
pub fn circuit_open_for(
    config: &WebhooksConfig,
    consecutive_failures: u64,
) -> Option<chrono::Duration> {
    let threshold = config.circuit_after_failures;
    if threshold == 0 || consecutive_failures < threshold {
        return None;
    }
    let doublings = u32::try_from(consecutive_failures - threshold)
        .unwrap_or(u32::MAX)
        .min(20);
    let secs = config
        .circuit_open_secs
        .saturating_mul(1u64 << doublings)
        .min(config.circuit_max_open_secs.max(config.circuit_open_secs));
    Some(chrono::Duration::seconds(
        i64::try_from(secs).unwrap_or(i64::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn endpoint(tenant: u128, id: u128, due: i64) -> DueEndpoint {
        DueEndpoint {
            id: Uuid::from_u128(id),
            tenant_id: TenantId(Uuid::from_u128(tenant)),
            oldest_due: at(due),
            probe: false,
        }
    }

    fn given(shares: &[Share], id: u128) -> u32 {
        shares
            .iter()
            .find(|share| share.endpoint_id == Uuid::from_u128(id))
            .map_or(0, |share| share.count)
    }

    #[test]
    fn a_tenant_with_a_huge_backlog_gets_the_same_turn_as_one_with_a_single_delivery() {
        // Tenant 1's endpoint has waited longest (a slow receiver's backlog).
        let due = [endpoint(1, 10, 0), endpoint(2, 20, 100)];
        let shares = shares(&due, &HashMap::new(), 8, 4);
        assert_eq!((given(&shares, 10), given(&shares, 20)), (2, 2));
    }

    #[test]
    fn slots_go_round_robin_over_tenants_then_over_a_tenants_endpoints() {
        // Tenant 1 has three endpoints, tenant 2 one: tenants alternate, so tenant 2's
        // endpoint gets as many slots as tenant 1's three together.
        let due = [
            endpoint(1, 11, 0),
            endpoint(1, 12, 1),
            endpoint(1, 13, 2),
            endpoint(2, 21, 50),
        ];
        let shares = shares(&due, &HashMap::new(), 100, 6);
        assert_eq!(given(&shares, 21), 3);
        assert_eq!(
            (given(&shares, 11), given(&shares, 12), given(&shares, 13)),
            (1, 1, 1)
        );
    }

    #[test]
    fn an_endpoint_never_gets_more_than_its_free_room_and_leftovers_go_to_others() {
        let due = [endpoint(1, 10, 0), endpoint(2, 20, 1)];
        let busy = HashMap::from([(Uuid::from_u128(10), 7)]);
        let shares = shares(&due, &busy, 8, 10);
        assert_eq!((given(&shares, 10), given(&shares, 20)), (1, 8));
        let full = HashMap::from([(Uuid::from_u128(10), 8), (Uuid::from_u128(20), 8)]);
        assert!(super::shares(&due, &full, 8, 10).is_empty());
    }

    #[test]
    fn a_probe_is_one_delivery_and_only_with_nothing_in_flight() {
        let mut probing = endpoint(1, 10, 0);
        probing.probe = true;
        let shares = shares(&[probing.clone()], &HashMap::new(), 8, 10);
        assert_eq!(
            shares,
            [Share {
                endpoint_id: Uuid::from_u128(10),
                count: 1,
                probe: true
            }]
        );
        let busy = HashMap::from([(Uuid::from_u128(10), 1)]);
        assert!(super::shares(&[probing], &busy, 8, 10).is_empty());
    }

    #[test]
    fn the_circuit_opens_at_the_threshold_and_stays_open_longer_with_each_failure() {
        let config = WebhooksConfig {
            circuit_after_failures: 3,
            circuit_open_secs: 10,
            circuit_max_open_secs: 60,
            ..crate::config::Config::default().webhooks
        };
        let secs = |failures| circuit_open_for(&config, failures).map(|d| d.num_seconds());
        assert_eq!(secs(2), None);
        assert_eq!(secs(3), Some(10));
        assert_eq!(secs(4), Some(20));
        assert_eq!(secs(5), Some(40));
        assert_eq!(secs(6), Some(60));
        assert_eq!(secs(1_000), Some(60));
        let off = WebhooksConfig {
            circuit_after_failures: 0,
            ..config
        };
        assert_eq!(circuit_open_for(&off, 1_000), None);
    }

    #[test]
    fn a_share_taken_whole_may_leave_more_due() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let shares = [
            Share {
                endpoint_id: a,
                count: 2,
                probe: false,
            },
            Share {
                endpoint_id: b,
                count: 3,
                probe: false,
            },
        ];
        assert!(!filled_a_share(&shares, []), "nothing claimed");
        assert!(
            !filled_a_share(&shares, [a, b, b]),
            "both had less due than their share"
        );
        assert!(filled_a_share(&shares, [a, a, b]), "a got its whole share");
        assert!(filled_a_share(&shares, [b, b, b]), "b got its whole share");
    }
}
