//! Event endpoints: ingest (single and batch), list, get by id, and stats. Handlers extract,
//! call the logic in this capability's modules, and respond.

use std::collections::HashMap;
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ingest::{ValidEvent, validate_event};
use super::query::{encode_cursor, parse_list_query, parse_stats_query};
use super::{Event, EventCursor, StatsInterval, rollup};
use crate::auth::{Principal, Scope};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody, ErrorDetail};
use crate::http::extract::{AppPath, parse_id, parse_json, read_json_body};
use crate::pipeline;
use crate::tenants::TenantId;

/// The body of `POST /api/v1/events`, as documented (validated field by field on arrival).
#[derive(Debug, Deserialize, ToSchema)]
pub struct IngestRequest {
    /// May be omitted: the key implies it. When given it must match the credential.
    pub tenant_id: Option<Uuid>,
    /// 1–128 chars of `[A-Za-z0-9_.:-]`.
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9_.:-]+$")]
    pub event_type: String,
    /// RFC 3339; defaults to the time the server received the event.
    pub timestamp: Option<DateTime<Utc>>,
    /// Client id for idempotency: unique per tenant while its event is kept. 1–256 characters.
    #[schema(min_length = 1, max_length = 256)]
    pub event_id: Option<String>,
    /// A JSON object, nesting depth ≤ 16.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// The default tenant of the items (admin only; a tenant key implies it).
    pub tenant_id: Option<Uuid>,
    /// 1–1,000 events.
    #[schema(value_type = Vec<IngestRequest>, min_items = 1)]
    pub events: Vec<Box<RawValue>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    pub id: Uuid,
    /// True when an event with the same `event_id` was already stored; `id` is its id.
    pub duplicate: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub accepted: usize,
    pub rejected: usize,
    pub results: Vec<BatchItemResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<Event>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub total: u64,
    pub by_type: Vec<TypeCount>,
    /// Every bucket of the range, including empty ones, oldest first.
    pub series: Vec<BucketCount>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub interval: StatsInterval,
    /// With `group_by=meta.<key>`: that key's most frequent values over the range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// The top values of one metadata key over the range and filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    /// The key as asked for, e.g. `meta.user.plan`.
    pub key: String,
    /// At most 10, most frequent first (ties by value). Strings by their content, numbers and
    /// booleans by their JSON text, as the `meta.<key>` filters compare them.
    pub values: Vec<ValueCount>,
    /// Events with a value at the key but not among the top values.
    pub other: u64,
    /// Events in the range without a value at the key (missing, null, object or array).
    pub missing: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeCount {
    pub event_type: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BucketCount {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    pub count: u64,
}

/// The admin's `?tenant_id=`, on the ingest paths (native and compat).
pub(crate) fn query_tenant(raw: Option<&str>) -> Result<Option<TenantId>, ApiError> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(name, _)| name == "tenant_id")
        .map(|(_, value)| {
            Uuid::parse_str(&value)
                .map(TenantId)
                .map_err(|_| ApiError::validation("tenant_id", "tenant_id must be a UUID"))
        })
        .transpose()
}

/// Ingest one event.
#[utoipa::path(
    post, path = "/api/v1/events", tag = "events",
    request_body = IngestRequest,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant to write to (or the body's tenant_id)")),
    responses(
        (status = 202, description = "Stored durably", body = IngestResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "Lacks `ingest`, another tenant, or tenant suspended", body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 413, description = "Event larger than the limit", body = ErrorBody),
        (status = 415, description = "Not JSON, or an unsupported Content-Encoding", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 429, description = "Over the tenant's rate limit", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn ingest_one(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    principal.require(Scope::Ingest)?;
    let limit = state.config.ingest.max_event_bytes;
    let event = read_json_body(&headers, body, limit, limit)
        .await
        .and_then(|bytes| parse_json::<Value>(&bytes))
        .and_then(|value| validate_event(value, "").map_err(ApiError::from))
        .inspect_err(pipeline::count_rejected)?;
    let requested = event.tenant_id.or(query_tenant(query.as_deref())?);
    let tenant = pipeline::ingest_tenant(&state, &principal, requested).await?;
    let received_at = state.clock.now();
    let mut ingested = pipeline::ingest(
        &state,
        &tenant,
        vec![Ok(event)],
        received_at,
        pipeline::Shape::Single,
    )
    .await?;
    let outcome = ingested
        .results
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("commit returned nothing")))??;
    metrics::histogram!("tributary_ingest_duration_seconds", "endpoint" => "single")
        .record(started.elapsed().as_secs_f64());
    let body = IngestResponse {
        id: outcome.id,
        duplicate: outcome.duplicate,
    };
    Ok((StatusCode::ACCEPTED, ingested.headers(), Json(body)).into_response())
}

/// Ingest up to 1,000 events; each item succeeds or fails on its own.
#[utoipa::path(
    post, path = "/api/v1/events/batch", tag = "events",
    request_body = BatchRequest,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant to write to")),
    responses(
        (status = 202, description = "Per-item results; valid items are stored durably", body = BatchResponse),
        (status = 400, description = "The body is not a usable batch", body = ErrorBody),
        (status = 401, description = "Missing or invalid credential", body = ErrorBody),
        (status = 403, description = "Lacks `ingest`, another tenant, or tenant suspended", body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 413, description = "Body or event count over the limit", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Empty batch or missing tenant_id for the admin", body = ErrorBody),
        (status = 429, description = "The valid items exceed the remaining budget; nothing stored", body = ErrorBody),
        (status = 503, description = "Storage unavailable; retry", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn ingest_batch(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    principal.require(Scope::Ingest)?;
    let config = &state.config.ingest;
    let bytes = read_json_body(
        &headers,
        body,
        config.max_batch_bytes,
        config.max_batch_bytes,
    )
    .await?;
    let batch: BatchRequest = parse_json(&bytes)?;
    if batch.events.is_empty() {
        return Err(ApiError::validation(
            "events",
            "events must hold at least one event",
        ));
    }
    if batch.events.len() > config.max_batch_events {
        return Err(ApiError::too_large(
            Some("events"),
            format!(
                "a batch holds at most {} events; this one has {}",
                config.max_batch_events,
                batch.events.len()
            ),
        ));
    }

    // Validate every item first; errors are kept by index.
    let items: Vec<Result<ValidEvent, ApiError>> = batch
        .events
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            if raw.get().len() > config.max_event_bytes {
                return Err(ApiError::too_large(
                    Some(&format!("events[{index}]")),
                    format!("an event may be at most {} bytes", config.max_event_bytes),
                ));
            }
            // The batch parsed, so this item is valid JSON syntax; what can still fail here is
            // what a `Value` cannot hold (a number out of range, a lone surrogate, nesting past
            // serde_json's limit): the sender's mistake, reported on the item.
            let value: Value = serde_json::from_str(raw.get()).map_err(|error| {
                ApiError::validation(format!("events[{index}]"), format!("invalid JSON: {error}"))
            })?;
            validate_event(value, &format!("events[{index}].")).map_err(ApiError::from)
        })
        .collect();

    // The batch writes to one tenant: the credential's, or the one the admin names (in the
    // query, the body, or consistently in the items).
    let named = batch
        .tenant_id
        .map(TenantId)
        .or(query_tenant(query.as_deref())?);
    let requested = match named {
        None if principal.is_admin() => common_item_tenant(&items),
        named => named,
    };
    let tenant = pipeline::ingest_tenant(&state, &principal, requested).await?;
    let received_at = state.clock.now();
    let ingested = pipeline::ingest(
        &state,
        &tenant,
        items,
        received_at,
        pipeline::Shape::Batch("events"),
    )
    .await?;
    metrics::histogram!("tributary_ingest_duration_seconds", "endpoint" => "batch")
        .record(started.elapsed().as_secs_f64());
    let headers = ingested.headers();
    let body = BatchResponse {
        accepted: ingested.accepted,
        rejected: ingested.rejected(),
        results: ingested
            .results
            .into_iter()
            .enumerate()
            .map(|(index, result)| match result {
                Ok(outcome) => BatchItemResult {
                    index,
                    id: Some(outcome.id),
                    duplicate: Some(outcome.duplicate),
                    error: None,
                },
                Err(error) => BatchItemResult {
                    index,
                    id: None,
                    duplicate: None,
                    error: Some(error.detail()),
                },
            })
            .collect(),
    };
    Ok((StatusCode::ACCEPTED, headers, Json(body)).into_response())
}

/// The tenant named by every valid item that names one, if they agree.
fn common_item_tenant(items: &[Result<ValidEvent, ApiError>]) -> Option<TenantId> {
    let mut named = items
        .iter()
        .filter_map(|item| item.as_ref().ok()?.tenant_id);
    let first = named.next()?;
    named.all(|id| id == first).then_some(first)
}

/// List events, newest first (by timestamp, then id), with filters and cursor pagination.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    params(
        ("event_type" = Option<Vec<String>>, Query, description = "Repeatable: any of these types"),
        ("from" = Option<DateTime<Utc>>, Query, description = "Inclusive lower bound on timestamp"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Exclusive upper bound on timestamp"),
        ("meta.<key>" = Option<String>, Query, description = "Metadata equality; nested keys with dots: meta.user.plan=pro"),
        ("meta.<key>!" = Option<String>, Query, description = "Metadata exclusion, written meta.<key>!=<value>: events whose value at the key is not <value>, including events without the key (PostHog's \"is not\"); exactly the events meta.<key>=<value> leaves out. Repeatable; at most 20 meta filters (= and != together)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "1-1000, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant to read"),
    ),
    responses(
        (status = 200, body = EventList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<EventList>, ApiError> {
    let query = parse_list_query(query.as_deref())?;
    let tenant = principal
        .tenant_for(&state, Scope::Read, query.tenant_id)
        .await?;
    let mut events = state
        .store
        .list_events(tenant, &query.filter, query.cursor, query.limit + 1)
        .await?;
    let next_cursor = if events.len() > query.limit as usize {
        events.truncate(query.limit as usize);
        events.last().map(|last| {
            encode_cursor(EventCursor {
                timestamp: last.timestamp,
                id: last.id,
            })
        })
    } else {
        None
    };
    Ok(Json(EventList {
        events,
        next_cursor,
    }))
}

/// One event by its id.
#[utoipa::path(
    get, path = "/api/v1/events/{event_id}", tag = "events",
    params(
        ("event_id" = Uuid, Path, description = "The server-assigned id"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only"),
    ),
    responses(
        (status = 200, body = Event),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such event for this tenant", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_id): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Event>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Read, query_tenant(query.as_deref())?)
        .await?;
    let id = parse_id(&event_id, "event")?;
    let event = state
        .store
        .get_event(tenant, id)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    Ok(Json(event))
}

/// How many values a `group_by` breakdown lists.
const BREAKDOWN_VALUES: u32 = 10;

/// Counts by type and over time, and optionally the top values of one metadata key.
#[utoipa::path(
    get, path = "/api/v1/events/stats", tag = "events",
    params(
        ("from" = Option<DateTime<Utc>>, Query, description = "Default: 24 hours before `to`"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Default: now"),
        ("interval" = Option<StatsInterval>, Query, description = "minute, hour or day; default fits the range"),
        ("group_by" = Option<String>, Query, description = "meta.<key>: add `breakdown`, the key's top 10 values with counts"),
        ("event_type" = Option<Vec<String>>, Query, description = "Repeatable filter"),
        ("meta.<key>" = Option<String>, Query, description = "Metadata equality; nested keys with dots: meta.user.plan=pro"),
        ("meta.<key>!" = Option<String>, Query, description = "Metadata exclusion, written meta.<key>!=<value>: events whose value at the key is not <value>, including events without the key (PostHog's \"is not\"); exactly the events meta.<key>=<value> leaves out. Repeatable; at most 20 meta filters (= and != together)"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only"),
    ),
    responses(
        (status = 200, body = Stats),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn stats(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<Stats>, ApiError> {
    let query = parse_stats_query(query.as_deref(), state.clock.now())?;
    let tenant = principal
        .tenant_for(&state, Scope::Read, query.tenant_id)
        .await?;
    // Both read the rollup where they can (see `rollup`); run them at once (separate
    // connections; both stores serve concurrent reads).
    let top_values = async {
        match &query.group_by {
            Some(path) => {
                rollup::top_values(&state.store, tenant, &query.filter, path, BREAKDOWN_VALUES)
                    .await
                    .map(|values| Some((path, values)))
            }
            None => Ok(None),
        }
    };
    let (counts, values) = tokio::try_join!(
        rollup::counts(&state.store, tenant, &query.filter, query.interval),
        top_values
    )?;
    let breakdown = values.map(|(path, values)| {
        let top: u64 = values.top.iter().map(|(_, n)| n).sum();
        Breakdown {
            key: format!("meta.{}", path.join(".")),
            other: values.with_key.saturating_sub(top),
            missing: counts.total.saturating_sub(values.with_key),
            values: values
                .top
                .into_iter()
                .map(|(value, count)| ValueCount { value, count })
                .collect(),
        }
    });

    let width = query.interval.seconds();
    let sparse: HashMap<i64, u64> = counts.buckets.into_iter().collect();
    let mut series = Vec::new();
    let mut bucket = query.from.timestamp().div_euclid(width) * width;
    while bucket < query.to.timestamp()
        || (bucket == query.to.timestamp() && query.to.timestamp_subsec_nanos() > 0)
    {
        series.push(BucketCount {
            bucket: DateTime::from_timestamp(bucket, 0).unwrap_or(query.from),
            count: sparse.get(&bucket).copied().unwrap_or(0),
        });
        bucket += width;
    }
    Ok(Json(Stats {
        total: counts.total,
        by_type: counts
            .by_type
            .into_iter()
            .map(|(event_type, count)| TypeCount { event_type, count })
            .collect(),
        series,
        from: query.from,
        to: query.to,
        interval: query.interval,
        breakdown,
    }))
}
