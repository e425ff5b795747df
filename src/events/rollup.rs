//! Stats read from the rollup instead of the events, with the same answers as the scan.
//!
//! The store keeps events per (tenant, UTC minute of the event's timestamp, type) in the
//! same transaction that stores the events, and takes them back in the transaction that
//! prunes them, so the counts of whole minutes are exact. A stats range is answered from
//! those minutes, plus a scan of the events for the seconds before its first whole minute
//! and after its last.
//!
//! A breakdown (`group_by=meta.<key>`) needs the values, which the rollup does not hold: they
//! are computed from the events per unit (an hour, 5 minutes or a minute of one event type)
//! the first time a range asks for them, and cached. Every change to a minute row bumps its
//! `version`, so a unit's `stamp` (the sum of its minute rows' versions) changes whenever an
//! event of that unit is stored or pruned, and a cached unit is used only while its stamp
//! is current: the cache never answers with stale values, it is only ever slower.
//!
//! Invariants:
//! - Only filters on event types and time are answered here; any other filter (metadata,
//!   its exclusions, text, violations) scans, since the rollup does not know it.
//! - A unit with more than [`MAX_UNIT_VALUES`] distinct values (ids, timestamps) is marked
//!   `overflow` and a range that includes one is scanned whole.
//! - Reading a cached unit's values and its stamp, and computing them, each happen in one
//!   snapshot of the store.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::{EventCounts, EventFilter, StatsInterval, ValueCounts};
use crate::store::{DynStore, StoreError};
use crate::tenants::TenantId;

/// Widths of the breakdown's cached units, in seconds, widest first: each is a multiple of
/// the next, and a minute is the rollup's own width.
pub const UNIT_WIDTHS: [i64; 3] = [3_600, 300, 60];
const MINUTE: i64 = 60;
/// Stale units are computed and cached this many seconds of buckets at a time.
const COMPUTE_SPAN: i64 = 4 * 3_600;
/// Distinct values kept per unit; a unit with more is marked `overflow`.
pub const MAX_UNIT_VALUES: usize = 1_000;

/// The rollup's counts of one bucket of minutes and one type, summed over the store's shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteCount {
    /// Start of the bucket, in seconds since the Unix epoch.
    pub minute: i64,
    pub event_type: String,
    /// May be 0 once every event of the bucket was pruned.
    pub events: i64,
    /// The sum of the minute rows' versions: grows with every change to them.
    pub version: i64,
}

/// A span of events whose values are cached together: one event type over `width` seconds
/// from `bucket`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitKey {
    pub width: i64,
    pub bucket: i64,
    pub event_type: String,
}

/// The values of one unit's events (as the stats breakdown renders them) with their counts,
/// and the stamp of the rollup they were computed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitValues {
    pub key: UnitKey,
    pub stamp: i64,
    /// More than [`MAX_UNIT_VALUES`] distinct values: `values` is empty.
    pub overflow: bool,
    pub values: Vec<(String, u64)>,
}

/// Runs of units of one width, `from..to` by bucket start, for reading the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitSpan {
    pub width: i64,
    pub from: i64,
    pub to: i64,
}

/// A range cut at whole minutes: `minutes` (seconds, start inclusive, end exclusive) comes
/// from the rollup; `edges` are the parts before and after it, read from the events.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Split {
    minutes: (i64, i64),
    edges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Split> {
    let seconds = from.timestamp();
    let first = if from.timestamp_subsec_nanos() == 0 && seconds.rem_euclid(MINUTE) == 0 {
        seconds
    } else {
        (seconds.div_euclid(MINUTE) + 1) * MINUTE
    };
    let end = to.timestamp().div_euclid(MINUTE) * MINUTE;
    if first >= end {
        return None;
    }
    let at = |seconds: i64| DateTime::from_timestamp(seconds, 0);
    let (first_at, end_at) = (at(first)?, at(end)?);
    let mut edges = Vec::new();
    if from < first_at {
        edges.push((from, first_at));
    }
    if end_at < to {
        edges.push((end_at, to));
    }
    Some(Split {
        minutes: (first, end),
        edges,
    })
}

/// The filter, narrowed to a part of its range.
fn narrowed(filter: &EventFilter, (from, to): (DateTime<Utc>, DateTime<Utc>)) -> EventFilter {
    EventFilter {
        from: Some(from),
        to: Some(to),
        ..filter.clone()
    }
}

/// Where the rollup can answer: the filter has a range and nothing but types and time.
fn rollup_split(filter: &EventFilter) -> Option<Split> {
    let EventFilter {
        event_types: _,
        from,
        to,
        meta,
        meta_not,
        text,
        violations,
    } = filter;
    if !meta.is_empty() || !meta_not.is_empty() || text.is_some() || violations.is_some() {
        return None;
    }
    split((*from)?, (*to)?)
}

/// Counts by type and per interval over the filter's range (as [`crate::store::Store::count_events`]).
pub async fn counts(
    store: &DynStore,
    tenant: TenantId,
    filter: &EventFilter,
    interval: StatsInterval,
) -> Result<EventCounts, StoreError> {
    let Some(split) = rollup_split(filter) else {
        return store.count_events(tenant, filter, interval).await;
    };
    let edge_filters: Vec<EventFilter> = split
        .edges
        .iter()
        .map(|&edge| narrowed(filter, edge))
        .collect();
    let width = interval.seconds();
    let (rows, edges) = tokio::try_join!(
        store.rollup_counts(
            tenant,
            &filter.event_types,
            split.minutes.0,
            split.minutes.1,
            width,
        ),
        futures::future::try_join_all(
            edge_filters
                .iter()
                .map(|edge| store.count_events(tenant, edge, interval)),
        ),
    )?;
    let mut by_type: HashMap<String, u64> = HashMap::new();
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for row in rows {
        let Ok(events) = u64::try_from(row.events) else {
            continue;
        };
        if events == 0 {
            continue;
        }
        *buckets.entry(row.minute).or_default() += events;
        *by_type.entry(row.event_type).or_default() += events;
    }
    for edge in edges {
        for (event_type, events) in edge.by_type {
            *by_type.entry(event_type).or_default() += events;
        }
        for (bucket, events) in edge.buckets {
            *buckets.entry(bucket).or_default() += events;
        }
    }
    let mut by_type: Vec<(String, u64)> = by_type.into_iter().collect();
    // As the stores order it: most frequent first, ties bytewise.
    by_type.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(EventCounts {
        total: by_type.iter().map(|(_, n)| n).sum(),
        by_type,
        buckets: buckets.into_iter().collect(),
    })
}

/// The `limit` most frequent values at `path` (as [`crate::store::Store::top_values`]).
pub async fn top_values(
    store: &DynStore,
    tenant: TenantId,
    filter: &EventFilter,
    path: &[String],
    limit: u32,
) -> Result<ValueCounts, StoreError> {
    let Some(split) = rollup_split(filter) else {
        return store.top_values(tenant, filter, path, limit).await;
    };
    let units = plan(split.minutes.0, split.minutes.1);
    let spans = spans(&units);
    let mut current: BTreeMap<UnitKey, i64> = BTreeMap::new();
    for span in &spans {
        let rows = store
            .rollup_counts(tenant, &filter.event_types, span.from, span.to, span.width)
            .await?;
        for row in rows.into_iter().filter(|row| row.events > 0) {
            let key = UnitKey {
                width: span.width,
                bucket: row.minute,
                event_type: row.event_type,
            };
            current.insert(key, row.version);
        }
    }
    let cached: HashMap<UnitKey, UnitValues> = store
        .breakdown_units(tenant, path, &spans, &filter.event_types)
        .await?
        .into_iter()
        .map(|unit| (unit.key.clone(), unit))
        .collect();
    // Stale: units whose events changed since they were cached (or never were), and cached
    // units whose events are all gone, to be emptied.
    let mut stale = Vec::new();
    for (key, stamp) in &current {
        match cached.get(key) {
            Some(unit) if unit.stamp == *stamp => {
                if unit.overflow {
                    return store.top_values(tenant, filter, path, limit).await;
                }
            }
            _ => stale.push(key.clone()),
        }
    }
    stale.extend(
        cached
            .keys()
            .filter(|key| !current.contains_key(*key))
            .cloned(),
    );
    stale.sort();
    // A few buckets at a time, each cached before the next is read: a first request over a
    // long range that runs out of time still leaves most of its work for the next one.
    for chunk in stale.chunk_by(|a, b| a.bucket / COMPUTE_SPAN == b.bucket / COMPUTE_SPAN) {
        let computed = store
            .compute_breakdown(tenant, path, chunk, MAX_UNIT_VALUES)
            .await?;
        let stored = store.store_breakdown(tenant, path, &computed).await;
        if computed.iter().any(|unit| unit.overflow) {
            return store.top_values(tenant, filter, path, limit).await;
        }
        if let Err(error) = stored {
            // The sum below reads the cache: without this chunk in it, read the events.
            tracing::warn!(%error, "could not cache a stats breakdown; scanning instead");
            return store.top_values(tenant, filter, path, limit).await;
        }
    }
    let mut values: HashMap<String, u64> = store
        .breakdown_sum(tenant, path, &spans, &filter.event_types)
        .await?
        .into_iter()
        .collect();
    for &edge in &split.edges {
        let part = store
            .top_values(tenant, &narrowed(filter, edge), path, u32::MAX)
            .await?;
        add(&mut values, &part.top);
    }

    let with_key = values.values().sum();
    let mut top: Vec<(String, u64)> = values.into_iter().collect();
    // As the stores order it: most frequent first, ties bytewise.
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(ValueCounts { top, with_key })
}

fn add(into: &mut HashMap<String, u64>, values: &[(String, u64)]) {
    for (value, n) in values {
        *into.entry(value.clone()).or_default() += n;
    }
}

/// Cuts whole minutes `from..to` into the widest aligned units: hours in the middle, then
/// 5-minute units, then minutes at the ends. Returns `(width, bucket)` in time order.
fn plan(from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut units = Vec::new();
    let mut at = from;
    while at < to {
        let width = UNIT_WIDTHS
            .into_iter()
            .find(|&width| at.rem_euclid(width) == 0 && at + width <= to)
            .unwrap_or(MINUTE);
        units.push((width, at));
        at += width;
    }
    units
}

/// The runs of equal width in a plan, for reading the cache with a few range queries.
fn spans(units: &[(i64, i64)]) -> Vec<UnitSpan> {
    let mut spans: Vec<UnitSpan> = Vec::new();
    for &(width, bucket) in units {
        match spans.last_mut() {
            Some(span) if span.width == width && span.to == bucket => span.to = bucket + width,
            _ => spans.push(UnitSpan {
                width,
                from: bucket,
                to: bucket + width,
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_range_is_cut_at_whole_minutes_with_the_seconds_around_them_as_edges() {
        let cut = split_of("2026-01-01T10:00:30Z", "2026-01-01T10:05:10Z");
        assert_eq!(
            cut.minutes,
            (
                at("2026-01-01T10:01:00Z").timestamp(),
                at("2026-01-01T10:05:00Z").timestamp()
            )
        );
        assert_eq!(
            cut.edges,
            vec![
                (at("2026-01-01T10:00:30Z"), at("2026-01-01T10:01:00Z")),
                (at("2026-01-01T10:05:00Z"), at("2026-01-01T10:05:10Z")),
            ]
        );
        let aligned = split_of("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z");
        assert!(aligned.edges.is_empty());
        // A millisecond past the minute is not the whole minute.
        let late = split_of("2026-01-01T10:00:00.001Z", "2026-01-01T10:03:00Z");
        assert_eq!(late.minutes.0, at("2026-01-01T10:01:00Z").timestamp());
        assert!(split(at("2026-01-01T10:00:30Z"), at("2026-01-01T10:01:30Z")).is_none());
        // Before 1970 the minutes still start at or before the time.
        let old = split_of("1969-12-31T23:58:30Z", "1970-01-01T00:00:30Z");
        assert_eq!(old.minutes, (-60, 0));
    }

    fn split_of(from: &str, to: &str) -> Split {
        split(at(from), at(to)).unwrap()
    }

    #[test]
    fn whole_minutes_are_planned_as_hours_in_the_middle_and_smaller_units_at_the_ends() {
        let hour = 3_600;
        let units = plan(hour - 7 * 60, 3 * hour + 6 * 60);
        let widths: Vec<i64> = units.iter().map(|&(width, _)| width).collect();
        assert_eq!(
            widths,
            vec![60, 60, 300, 3_600, 3_600, 300, 60],
            "{units:?}"
        );
        assert_eq!(units.first(), Some(&(60, hour - 7 * 60)));
        assert_eq!(units.last(), Some(&(60, 3 * hour + 5 * 60)));
        let covered: i64 = units.iter().map(|&(width, _)| width).sum();
        assert_eq!(covered, 2 * hour + 13 * 60);
        assert_eq!(
            spans(&units),
            vec![
                UnitSpan {
                    width: 60,
                    from: hour - 420,
                    to: hour - 300
                },
                UnitSpan {
                    width: 300,
                    from: hour - 300,
                    to: hour
                },
                UnitSpan {
                    width: 3_600,
                    from: hour,
                    to: 3 * hour
                },
                UnitSpan {
                    width: 300,
                    from: 3 * hour,
                    to: 3 * hour + 300
                },
                UnitSpan {
                    width: 60,
                    from: 3 * hour + 300,
                    to: 3 * hour + 360
                },
            ]
        );
    }
}
