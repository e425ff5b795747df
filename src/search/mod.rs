//! Full-text search over event types and metadata: `GET /api/v1/events/search` (ranked) and
//! `q` on the event list (newest first), one engine for both and for both stores.
//!
//! This module owns the request side: reading the endpoint's parameters and `q` (with the
//! `violations:` words taken out) into a [`Query`], the opaque cursor, and [`search`], which
//! asks the store for one page and adds a [`snippet`] to each hit. The language itself, its
//! tokens and its rendering in each store's syntax live in [`crate::textquery`], below both
//! this module and the store, so that the store never imports search. The store evaluates a
//! query against an index it maintains in the same transaction as the events, so an event is
//! searchable as soon as its ingest is acknowledged; snippets are computed here, not by either
//! store, so that both give the same snippet.
//!
//! Ranking looks at the [`RANK_WINDOW`](crate::textquery::RANK_WINDOW) most recent matches of the tenant (all of them for
//! most queries): ranking costs time per match, and this bounds it.
//!
//! Scoping: both stores filter by tenant in SQL. On PostgreSQL every indexed event also
//! carries its tenant's token, which the search expression requires, so that the GIN index
//! narrows to the tenant by itself.

pub mod routes;
pub mod snippet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::textquery::{ParseError, Query};
pub use snippet::{Fragment, Snippet};

use crate::error::ValidationError;
use crate::events::query::{check_range, common, pairs, unknown};
use crate::events::{Event, EventFilter};
use crate::store::{SearchCursor, Store, StoreError};
use crate::tenants::TenantId;

pub const DEFAULT_LIMIT: u32 = 20;
/// Ranking computes a score for every match, so pages are kept small.
pub const MAX_LIMIT: u32 = 100;
/// The parameters of a search request, parsed.
#[derive(Debug)]
pub struct SearchParams {
    pub tenant_id: Option<TenantId>,
    pub query: Query,
    pub filter: EventFilter,
    pub limit: u32,
    pub cursor: Option<SearchCursor>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Most relevant first; ties newest first.
    pub hits: Vec<Hit>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    pub event: Event,
    /// Relevance, higher is better. Comparable only within one query's results.
    pub score: f64,
    pub snippet: Snippet,
}

/// `q` as a [`Query`], or 422 on `q` saying what is wrong and where.
pub fn parse_q(value: &str) -> Result<Query, ValidationError> {
    Query::parse(value).map_err(|ParseError(message)| ValidationError::new("q", message))
}

/// Takes the `violations:true` / `violations:false` words out of `q` (outside quotes): they
/// filter on what the event's schema found (see `crate::schemas`), not on its text. Returns
/// the rest of `q` and the flag, if one was given.
pub fn take_violations_flag(q: &str) -> Result<(String, Option<bool>), ValidationError> {
    let mut flag = None;
    let mut rest = String::with_capacity(q.len());
    let mut quoted = false;
    let mut word = String::new();
    let mut flush = |word: &mut String, rest: &mut String| -> Result<(), ValidationError> {
        let value = match word.as_str() {
            "violations:true" => Some(true),
            "violations:false" => Some(false),
            _ => None,
        };
        match value {
            Some(value) if flag.is_some_and(|f| f != value) => {
                return Err(ValidationError::new(
                    "q",
                    "q has both violations:true and violations:false",
                ));
            }
            Some(value) => flag = Some(value),
            None => rest.push_str(word),
        }
        word.clear();
        Ok(())
    };
    for c in q.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            flush(&mut word, &mut rest)?;
            rest.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut rest)?;
    Ok((rest, flag))
}

/// Adds `q` to the text condition of a filter (a repeated `q` must match too). A `q` that is
/// only `violations:true` (or `false`) sets that filter and adds no text condition.
pub fn add_q(filter: &mut EventFilter, value: &str) -> Result<(), ValidationError> {
    let (value, flag) = take_violations_flag(value)?;
    if let Some(flag) = flag {
        filter.violations = Some(flag);
        if value.trim().is_empty() {
            return Ok(());
        }
    }
    let query = parse_q(&value)?;
    filter.text = Some(match filter.text.take() {
        Some(earlier) => earlier.and(&query),
        None => query,
    });
    Ok(())
}

/// Reads the search endpoint's query string: `q` (required), `limit`, `cursor`, and the
/// list's filters (`event_type`, `from`, `to`, `meta.<key>`, `meta.<key>!`, `tenant_id`).
pub fn parse_params(raw: Option<&str>) -> Result<SearchParams, ValidationError> {
    let mut tenant_id = None;
    let mut filter = EventFilter::default();
    let mut limit = DEFAULT_LIMIT;
    let mut cursor = None;
    for (name, value) in pairs(raw)? {
        if common(&name, &value, &mut tenant_id, &mut filter)? {
            continue;
        }
        match name.as_str() {
            "q" => add_q(&mut filter, &value)?,
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ValidationError::new("limit", format!("limit must be 1-{MAX_LIMIT}"))
                    })?;
            }
            "cursor" => cursor = Some(decode_cursor(&value)?),
            _ => return Err(unknown(&name)),
        }
    }
    check_range(&filter)?;
    let query = filter.text.take().ok_or_else(|| match filter.violations {
        Some(_) => ValidationError::new(
            "q",
            "q needs words to search for besides violations:…; \
             GET /api/v1/events?violations=true lists every such event",
        ),
        None => ValidationError::new("q", "q is required: the words to search for"),
    })?;
    Ok(SearchParams {
        tenant_id,
        query,
        filter,
        limit,
        cursor,
    })
}

/// Runs a search for the tenant: one page of hits with snippets, and the next page's cursor.
pub async fn search(
    store: &dyn Store,
    tenant: TenantId,
    params: &SearchParams,
) -> Result<SearchResults, StoreError> {
    let mut hits = store
        .search_events(
            tenant,
            &params.query,
            &params.filter,
            params.cursor,
            params.limit + 1,
        )
        .await?;
    let next_cursor = if hits.len() > params.limit as usize {
        hits.truncate(params.limit as usize);
        hits.last().map(|last| {
            encode_cursor(SearchCursor {
                score: last.score,
                timestamp: last.event.timestamp,
                id: last.event.id,
            })
        })
    } else {
        None
    };
    let hits = hits
        .into_iter()
        .map(|hit| Hit {
            snippet: snippet::snippet(&params.query, &hit.event),
            score: hit.score,
            event: hit.event,
        })
        .collect();
    Ok(SearchResults { hits, next_cursor })
}

/// Opaque to clients: base64url of `s<score bits in hex>.<timestamp micros>.<id>`. The score
/// travels as its exact bits so that the next page starts exactly after this hit.
pub fn encode_cursor(cursor: SearchCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "s{:016x}.{}.{}",
        cursor.score.to_bits(),
        cursor.timestamp.timestamp_micros(),
        cursor.id
    ))
}

pub fn decode_cursor(raw: &str) -> Result<SearchCursor, ValidationError> {
    let invalid = || ValidationError::new("cursor", "cursor is not one this server issued");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.strip_prefix('s').ok_or_else(invalid)?.splitn(3, '.');
    let (Some(score), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let score = u64::from_str_radix(score, 16)
        .map(f64::from_bits)
        .ok()
        .filter(|score| score.is_finite())
        .ok_or_else(invalid)?;
    let timestamp = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok(SearchCursor {
        score,
        timestamp,
        id,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn the_violations_flag_is_taken_out_of_q_outside_quotes_only() {
        let take = |q: &str| take_violations_flag(q).unwrap();
        assert_eq!(
            take("checkout violations:true"),
            ("checkout ".into(), Some(true))
        );
        assert_eq!(take("violations:false"), ("".into(), Some(false)));
        assert_eq!(
            take("\"violations:true\" x"),
            ("\"violations:true\" x".into(), None)
        );
        assert_eq!(take("a b"), ("a b".into(), None));
        assert!(take_violations_flag("violations:true violations:false").is_err());
        let mut filter = EventFilter::default();
        add_q(&mut filter, "violations:true").unwrap();
        assert_eq!(
            (filter.violations, filter.text.is_none()),
            (Some(true), true)
        );
    }

    #[test]
    fn cursors_round_trip_exactly() {
        let cursor = SearchCursor {
            score: 0.1 + 0.2,
            timestamp: Utc::now(),
            id: Uuid::now_v7(),
        };
        let decoded = decode_cursor(&encode_cursor(cursor)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded.score.to_bits(), cursor.score.to_bits());
        assert_eq!(decoded.id, cursor.id);
        for garbage in [
            "",
            "!!",
            "czEyMw",
            &URL_SAFE_NO_PAD.encode("s7ff8000000000000.1.x"),
        ] {
            assert!(decode_cursor(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn search_parameters_need_q_and_refuse_typos() {
        let params = parse_params(Some("q=card&event_type=a&meta.page=%2Fpay&limit=5"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(params.limit, 5);
        assert_eq!(params.filter.event_types, ["a"]);
        assert!(params.filter.text.is_none(), "q is the query, not a filter");
        for (raw, field) in [
            ("limit=5", "q"),
            ("q=", "q"),
            ("q=%22open", "q"),
            ("q=a&limit=101", "limit"),
            ("q=a&cursr=x", "cursr"),
            ("q=a&cursor=abc", "cursor"),
        ] {
            let error = parse_params(Some(raw)).err();
            assert_eq!(
                error.as_ref().map(ValidationError::field),
                Some(field),
                "{raw}"
            );
        }
    }
}
