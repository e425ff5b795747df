//! An endpoint's delivery figures over a recent window (`GET /api/v1/webhooks/{id}/stats`):
//! attempts, successes and failures, and latency percentiles, in total and per time bucket,
//! for the dashboard's success-rate and latency chart.
//!
//! Invariants and why:
//! - The store never hands over attempt rows: it counts them in SQL into cells of (time
//!   bucket, latency class), each with its count, successes and the least and greatest latency
//!   in it ([`LATENCY_CLASSES_MS`]). A window of a busy endpoint holds millions of attempts;
//!   the answer holds at most `buckets × classes` cells.
//! - The percentiles are therefore **approximate**: interpolated linearly within the class the
//!   rank falls in, between that class's observed least and greatest latency (so exact when a
//!   class holds one distinct latency, and never outside what was observed).
//! - Buckets are aligned to multiples of their width (hourly buckets start on the hour), the
//!   last one holds now, and every bucket of the window is listed, empty ones with zeros and
//!   null latencies, so a chart has no gaps to guess about. The window therefore reaches back
//!   `hours` and up to one bucket more (`from` says exactly where): at most 48 whole buckets
//!   and the one still filling.
//! - An attempt succeeded when the receiver answered 2xx; every other attempt (another
//!   status, no response) failed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::get_endpoint;
use crate::error::{DomainError, ValidationError};
use crate::store::Store;
use crate::tenants::TenantId;

/// The window's default length, and its bounds (30 days at most), in hours.
pub const DEFAULT_HOURS: u32 = 24;
pub const MAX_HOURS: u32 = 720;

/// Upper bounds (inclusive, in ms) of the latency classes the store counts attempts into; a
/// last class holds everything slower. A 1-2-5 series: the relative error of an interpolated
/// percentile stays bounded whatever the receiver's speed.
pub const LATENCY_CLASSES_MS: [u64; 15] = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 60_000,
];

/// Bucket widths to choose from, in seconds: the narrowest that keeps a window within
/// [`MAX_BUCKETS`] whole buckets, plus the one still filling (5 min up to 4 h, 15 min up to
/// 12 h, 1 h up to 48 h, …).
const BUCKET_WIDTHS: [i64; 7] = [300, 900, 3_600, 10_800, 21_600, 43_200, 86_400];
const MAX_BUCKETS: i64 = 48;

/// One cell of the store's count: the attempts of one time bucket in one latency class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCell {
    /// The bucket, counted from the window's start (0 is the first).
    pub bucket: i64,
    /// Index into [`LATENCY_CLASSES_MS`]; its length for the class of everything slower.
    pub class: usize,
    pub attempts: u64,
    pub succeeded: u64,
    pub min_latency_ms: u64,
    pub max_latency_ms: u64,
}

/// The window asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsQuery {
    pub tenant_id: Option<TenantId>,
    pub hours: u32,
}

/// Parses `?hours=&tenant_id=`; unknown parameters are refused.
pub fn parse_stats_query(raw: Option<&str>) -> Result<StatsQuery, ValidationError> {
    let mut query = StatsQuery {
        tenant_id: None,
        hours: DEFAULT_HOURS,
    };
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match &*name {
            "tenant_id" => {
                query.tenant_id =
                    Some(Uuid::parse_str(&value).map(TenantId).map_err(|_| {
                        ValidationError::new("tenant_id", "tenant_id must be a UUID")
                    })?)
            }
            "hours" => {
                query.hours = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_HOURS).contains(n))
                    .ok_or_else(|| {
                        ValidationError::new(
                            "hours",
                            format!("hours must be a whole number 1-{MAX_HOURS}"),
                        )
                    })?
            }
            "access_token" => {}
            other => {
                return Err(ValidationError::new(
                    other,
                    format!("unknown query parameter `{other}`"),
                ));
            }
        }
    }
    Ok(query)
}

/// The buckets of a window of `hours` ending now: (start of the first, width in seconds, how
/// many). The first bucket holds the moment `hours` ago and the last one holds now, so there
/// are `hours / width` buckets, or one more when now is not on a bucket's start.
pub fn window(hours: u32, now: DateTime<Utc>) -> (DateTime<Utc>, i64, i64) {
    let span = i64::from(hours) * 3_600;
    let width = BUCKET_WIDTHS
        .iter()
        .copied()
        .find(|width| span / width <= MAX_BUCKETS)
        .unwrap_or(BUCKET_WIDTHS[BUCKET_WIDTHS.len() - 1]);
    let end = (now.timestamp().div_euclid(width) + 1) * width;
    let start = (now.timestamp() - span).div_euclid(width) * width;
    let from = DateTime::from_timestamp(start, 0).unwrap_or(now);
    (from, width, (end - start) / width)
}

/// The figures of one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatsBucket {
    pub start: DateTime<Utc>,
    pub attempts: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Approximate (see `WebhookStats`); null without attempts.
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
}

/// An endpoint's attempts over a window, in total and per bucket. The latency percentiles
/// are approximate: interpolated from a histogram of 16 latency classes (1-2-5 ms steps up to
/// 60 s) counted by the database, within the observed range of the class the rank falls in.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookStats {
    /// The first bucket's start: `hours` before `to`, or up to one bucket earlier (buckets
    /// are aligned to multiples of their width).
    pub from: DateTime<Utc>,
    /// Now.
    pub to: DateTime<Utc>,
    pub bucket_seconds: i64,
    pub attempts: u64,
    /// Attempts answered 2xx.
    pub succeeded: u64,
    /// Every other attempt: another status, or no response.
    pub failed: u64,
    /// succeeded / attempts, 0-1; null without attempts.
    pub success_rate: Option<f64>,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    /// Oldest first, every bucket of the window (empty ones with zeros and null latencies).
    pub buckets: Vec<StatsBucket>,
}

/// The endpoint's figures over the last `hours`. `NotFound` for another tenant's endpoint.
pub async fn endpoint_stats(
    store: &dyn Store,
    tenant: TenantId,
    endpoint_id: Uuid,
    hours: u32,
    now: DateTime<Utc>,
) -> Result<WebhookStats, DomainError> {
    get_endpoint(store, tenant, endpoint_id).await?;
    let (from, width, count) = window(hours, now);
    let cells = store
        .webhook_attempt_cells(tenant, endpoint_id, from, now, width, &LATENCY_CLASSES_MS)
        .await?;
    Ok(summarize(from, now, width, count, &cells))
}

/// Folds the store's cells into the answer.
pub fn summarize(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width: i64,
    count: i64,
    cells: &[AttemptCell],
) -> WebhookStats {
    let buckets = (0..count)
        .map(|bucket| {
            let mine: Vec<AttemptCell> = cells
                .iter()
                .filter(|cell| cell.bucket == bucket)
                .copied()
                .collect();
            let (attempts, succeeded) = totals(&mine);
            StatsBucket {
                start: from + chrono::Duration::seconds(bucket * width),
                attempts,
                succeeded,
                failed: attempts - succeeded,
                latency_p50_ms: percentile(&mine, 0.50),
                latency_p95_ms: percentile(&mine, 0.95),
            }
        })
        .collect();
    let (attempts, succeeded) = totals(cells);
    WebhookStats {
        from,
        to,
        bucket_seconds: width,
        attempts,
        succeeded,
        failed: attempts - succeeded,
        success_rate: (attempts > 0).then(|| succeeded as f64 / attempts as f64),
        latency_p50_ms: percentile(cells, 0.50),
        latency_p95_ms: percentile(cells, 0.95),
        buckets,
    }
}

fn totals(cells: &[AttemptCell]) -> (u64, u64) {
    cells.iter().fold((0, 0), |(attempts, succeeded), cell| {
        (attempts + cell.attempts, succeeded + cell.succeeded)
    })
}

/// The `p` quantile (0-1) of the cells' latencies, merged across buckets by class: the class
/// holding the rank, then linearly between its least and greatest latency.
pub fn percentile(cells: &[AttemptCell], p: f64) -> Option<u64> {
    let mut classes: Vec<(usize, u64, u64, u64)> = Vec::new();
    for cell in cells.iter().filter(|cell| cell.attempts > 0) {
        match classes.iter_mut().find(|(class, ..)| *class == cell.class) {
            Some((_, attempts, min, max)) => {
                *attempts += cell.attempts;
                *min = (*min).min(cell.min_latency_ms);
                *max = (*max).max(cell.max_latency_ms);
            }
            None => classes.push((
                cell.class,
                cell.attempts,
                cell.min_latency_ms,
                cell.max_latency_ms,
            )),
        }
    }
    classes.sort_unstable_by_key(|(class, ..)| *class);
    let total: u64 = classes.iter().map(|(_, attempts, ..)| attempts).sum();
    if total == 0 {
        return None;
    }
    // The rank among 0..total-1, as for a sorted list's nearest-rank interpolation.
    let rank = p.clamp(0.0, 1.0) * (total - 1) as f64;
    let mut before = 0u64;
    for (_, attempts, min, max) in &classes {
        if rank < (before + attempts) as f64 {
            let within = if *attempts > 1 {
                (rank - before as f64) / (attempts - 1) as f64
            } else {
                0.0
            };
            let value = *min as f64 + within.clamp(0.0, 1.0) * (max - min) as f64;
            return Some(value.round() as u64);
        }
        before += attempts;
    }
    classes.last().map(|(_, _, _, max)| *max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(bucket: i64, class: usize, attempts: u64, min: u64, max: u64) -> AttemptCell {
        AttemptCell {
            bucket,
            class,
            attempts,
            succeeded: attempts,
            min_latency_ms: min,
            max_latency_ms: max,
        }
    }

    #[test]
    fn the_window_has_at_most_49_aligned_buckets_from_hours_ago_to_now() {
        let now: DateTime<Utc> = "2026-12-01T21:37:10Z".parse().unwrap();
        for (hours, width, count) in [
            (1, 300, 13),
            (4, 300, 49),
            (24, 3_600, 25),
            (168, 21_600, 29),
            (720, 86_400, 31),
        ] {
            let (from, w, n) = window(hours, now);
            assert_eq!((w, n), (width, count), "{hours} h");
            assert_eq!(from.timestamp() % width, 0, "{hours} h: aligned");
            let end = from.timestamp() + n * w;
            assert!(end > now.timestamp() && end - w <= now.timestamp());
            assert!(now.timestamp() - from.timestamp() >= i64::from(hours) * 3_600);
            assert!(now.timestamp() - from.timestamp() < i64::from(hours) * 3_600 + w);
        }
    }

    #[test]
    fn percentiles_interpolate_within_the_class_and_stay_within_what_was_seen() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[cell(0, 3, 1, 7, 7)], 0.95), Some(7));
        // 90 fast attempts (10-20 ms) and 10 slow ones (400-500 ms).
        let cells = [
            cell(0, 4, 50, 10, 20),
            cell(1, 4, 40, 12, 18),
            cell(1, 8, 10, 400, 500),
        ];
        let p50 = percentile(&cells, 0.5).unwrap();
        assert!((10..=20).contains(&p50), "{p50}");
        let p95 = percentile(&cells, 0.95).unwrap();
        assert!((400..=500).contains(&p95), "{p95}");
        assert_eq!(percentile(&cells, 1.0), Some(500));
        assert_eq!(percentile(&cells, 0.0), Some(10));
    }

    #[test]
    fn every_bucket_is_listed_with_totals_and_a_success_rate() {
        let from: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let mut failing = cell(2, 5, 3, 30, 40);
        failing.succeeded = 1;
        let stats = summarize(from, from, 3_600, 4, &[cell(0, 5, 1, 25, 25), failing]);
        assert_eq!(stats.buckets.len(), 4);
        assert_eq!((stats.attempts, stats.succeeded, stats.failed), (4, 2, 2));
        assert_eq!(stats.success_rate, Some(0.5));
        assert_eq!(stats.buckets[1].attempts, 0);
        assert_eq!(stats.buckets[1].latency_p50_ms, None);
        assert_eq!(stats.buckets[2].failed, 2);
        assert_eq!(stats.buckets[3].start, from + chrono::Duration::hours(3));
        let empty = summarize(from, from, 3_600, 2, &[]);
        assert_eq!(empty.success_rate, None);
    }

    #[test]
    fn a_bad_window_is_refused_with_the_field() {
        assert_eq!(parse_stats_query(None).unwrap().hours, 24);
        assert_eq!(parse_stats_query(Some("hours=720")).unwrap().hours, 720);
        for (raw, field) in [
            ("hours=0", "hours"),
            ("hours=721", "hours"),
            ("hours=1.5", "hours"),
            ("hours=", "hours"),
            ("tenant_id=x", "tenant_id"),
            ("days=1", "days"),
        ] {
            assert_eq!(
                parse_stats_query(Some(raw)).unwrap_err().field(),
                field,
                "{raw}"
            );
        }
    }
}
