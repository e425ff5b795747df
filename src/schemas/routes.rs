//! The data-contract API: schemas per event type or pattern, the unplanned-type policy,
//! inference, violation counts and examples. Handlers only: extract, resolve the tenant
//! (reads need `read`, changes `manage`; the admin names the tenant with `tenant_id`), call
//! the store or [`super`], answer. A change is in force on this instance before it is
//! answered, and on the others as soon as they hear the bus's notice.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::contract::compile;
use super::{
    Counts, Example, MAX_EXAMPLES_PER_TYPE, MAX_SCHEMAS_PER_TENANT, Mode, PATTERN_RULE, Schema,
    Unplanned, is_valid_pattern,
};
use crate::audit::AuditNote;
use crate::auth::{Principal, Scope};
use crate::bus::Notice;
use crate::events::{EventCursor, EventFilter, StatsInterval};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{AppJson, AppPath};
use crate::tenants::TenantId;

/// Most events an inference reads.
const MAX_INFER_SAMPLE: u32 = 10_000;
const DEFAULT_INFER_SAMPLE: u32 = 1_000;
/// Most buckets one counts answer holds.
const MAX_BUCKETS: i64 = 1_500;

/// The routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schemas", get(list_schemas))
        .route(
            "/schemas/{event_type}",
            get(get_schema).put(put_schema).delete(delete_schema),
        )
        .route("/schemas/{event_type}/infer", post(infer_schema))
        .route("/schemas/{event_type}/violations", get(schema_violations))
        .route("/schema-policy", get(get_policy).put(put_policy))
        .route("/data-quality", get(data_quality))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSchema {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    pub mode: Mode,
    /// A JSON Schema (draft 2020-12) for `metadata`; at most 64 KiB; `$ref` only within it.
    #[schema(value_type = Object)]
    pub schema: Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPolicy {
    /// Admin only (or the `tenant_id` query parameter).
    pub tenant_id: Option<Uuid>,
    pub unplanned: Unplanned,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Policy {
    /// What happens to events whose type no schema matches.
    pub unplanned: Unplanned,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaList {
    pub unplanned: Unplanned,
    /// By event type (pattern), in text order.
    pub schemas: Vec<Schema>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inferred {
    pub event_type: String,
    /// How many stored events the proposal was made from (the newest).
    pub sampled: usize,
    /// A proposal to review: not stored.
    #[schema(value_type = Object)]
    pub schema: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeViolations {
    pub event_type: String,
    pub totals: Counts,
    /// Only buckets with checked events, oldest first.
    pub buckets: Vec<Bucket>,
    /// Newest first, at most 20.
    pub examples: Vec<Example>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeQuality {
    pub event_type: String,
    /// The pattern of the schema that applies now; null when none does (unplanned).
    pub schema: Option<String>,
    /// The mode that applies now: the schema's, or the unplanned policy's when it is not
    /// `allow`; null when the type is not checked.
    pub mode: Option<Mode>,
    pub totals: Counts,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataQuality {
    /// Every event type checked in the range, by name.
    pub types: Vec<TypeQuality>,
}

/// The query of the calls that only name a tenant.
fn tenant_query(raw: Option<&str>) -> Result<Option<TenantId>, ApiError> {
    Ok(crate::webhooks::parse_tenant_query(raw)?)
}

fn pattern(raw: &str) -> Result<&str, ApiError> {
    if is_valid_pattern(raw) {
        Ok(raw)
    } else {
        Err(ApiError::validation("event_type", PATTERN_RULE))
    }
}

/// Makes a change to the tenant's contracts take effect here at once, and everywhere else
/// when the notice arrives.
fn changed(state: &AppState, tenant: TenantId) {
    state.schemas.invalidate(tenant);
    state.bus.notify(Notice::SchemasChanged(tenant));
}

/// The tenant's schemas and unplanned-type policy.
#[utoipa::path(
    get, path = "/api/v1/schemas", tag = "schemas",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = SchemaList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such tenant (admin)", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn list_schemas(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<SchemaList>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Read, tenant_query(query.as_deref())?)
        .await?;
    Ok(Json(SchemaList {
        unplanned: state.store.schema_policy(tenant).await?,
        schemas: state.store.list_schemas(tenant).await?,
    }))
}

/// One schema, by the event type or pattern it was stored under.
#[utoipa::path(
    get, path = "/api/v1/schemas/{event_type}", tag = "schemas",
    params(
        ("event_type" = String, Path, description = "An event type or a pattern (`order.*`)"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = Schema),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such schema", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_schema(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_type): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Schema>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Read, tenant_query(query.as_deref())?)
        .await?;
    let schema = state
        .store
        .get_schema(tenant, pattern(&event_type)?)
        .await?
        .ok_or(ApiError::NotFound("schema"))?;
    Ok(Json(schema))
}

/// Create or replace the schema for an event type or pattern. In force on every instance
/// from the answer on (on others, once the bus carries the notice).
#[utoipa::path(
    put, path = "/api/v1/schemas/{event_type}", tag = "schemas", request_body = PutSchema,
    params(
        ("event_type" = String, Path, description = "An event type, or a pattern with one * at its start or end, or *"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)"),
    ),
    responses(
        (status = 200, description = "Replaced", body = Schema),
        (status = 201, description = "Created", body = Schema),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Lacks `manage`, another tenant, or suspended", body = ErrorBody),
        (status = 422, description = "Invalid pattern (field `event_type`), schema (field `schema`, with the reason) or mode", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn put_schema(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_type): AppPath<String>,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<PutSchema>,
) -> Result<Response, ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    principal.require_active()?;
    let event_type = pattern(&event_type)?;
    compile(&body.schema).map_err(|error| ApiError::validation("schema", error.0))?;
    let existing = state.store.list_schemas(tenant).await?;
    if existing.len() >= MAX_SCHEMAS_PER_TENANT
        && !existing.iter().any(|s| s.event_type == event_type)
    {
        return Err(ApiError::validation(
            "event_type",
            format!("a tenant may have at most {MAX_SCHEMAS_PER_TENANT} schemas"),
        ));
    }
    let (schema, created) = state
        .store
        .put_schema(
            tenant,
            event_type,
            body.mode,
            &body.schema,
            state.clock.now(),
        )
        .await?;
    changed(&state, tenant);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut note = AuditNote::target(event_type).after(&schema);
    if let Some(before) = existing.iter().find(|s| s.event_type == event_type) {
        note = note.before(before);
    }
    Ok((status, note, Json(schema)).into_response())
}

/// Delete a schema: events of the types it covered fall to a less specific schema, or to the
/// unplanned-type policy.
#[utoipa::path(
    delete, path = "/api/v1/schemas/{event_type}", tag = "schemas",
    params(
        ("event_type" = String, Path, description = "The event type or pattern"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such schema", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn delete_schema(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_type): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<(AuditNote, StatusCode), ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Manage, tenant_query(query.as_deref())?)
        .await?;
    let event_type = pattern(&event_type)?;
    let before = state
        .store
        .get_schema(tenant, event_type)
        .await?
        .ok_or(ApiError::NotFound("schema"))?;
    if !state.store.delete_schema(tenant, event_type).await? {
        return Err(ApiError::NotFound("schema"));
    }
    changed(&state, tenant);
    Ok((
        AuditNote::target(event_type).before(&before),
        StatusCode::NO_CONTENT,
    ))
}

/// Propose a schema from the newest stored events of a type, for review: nothing is stored.
#[utoipa::path(
    post, path = "/api/v1/schemas/{event_type}/infer", tag = "schemas",
    params(
        ("event_type" = String, Path, description = "A concrete event type (no *)"),
        ("sample" = Option<u32>, Query, description = "How many of the newest events to read: 1-10000, default 1000"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = Inferred),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A pattern instead of a type, or a bad sample", body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn infer_schema(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_type): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Inferred>, ApiError> {
    let mut requested = None;
    let mut sample = DEFAULT_INFER_SAMPLE;
    for (name, value) in crate::events::query::pairs(query.as_deref())? {
        match name.as_str() {
            "tenant_id" => {
                let id = Uuid::parse_str(&value)
                    .map_err(|_| ApiError::validation("tenant_id", "tenant_id must be a UUID"))?;
                requested = Some(TenantId(id));
            }
            "sample" => {
                sample = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_INFER_SAMPLE).contains(n))
                    .ok_or_else(|| {
                        ApiError::validation(
                            "sample",
                            format!("sample must be 1-{MAX_INFER_SAMPLE}"),
                        )
                    })?;
            }
            "access_token" => {}
            _ => return Err(crate::events::query::unknown(&name).into()),
        }
    }
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    if !crate::events::ingest::is_valid_event_type(&event_type) {
        return Err(ApiError::validation(
            "event_type",
            "inference reads events of one concrete event type (1-128 chars of [A-Za-z0-9_.:-], no *)",
        ));
    }
    let filter = EventFilter {
        event_types: vec![event_type.clone()],
        ..EventFilter::default()
    };
    let mut samples: Vec<Map<String, Value>> = Vec::new();
    let mut after: Option<EventCursor> = None;
    while samples.len() < sample as usize {
        let want = (sample as usize - samples.len()).min(1_000) as u32;
        let page = state
            .store
            .list_events(tenant, &filter, after, want)
            .await?;
        let done = page.len() < want as usize;
        after = page.last().map(|e| EventCursor {
            timestamp: e.timestamp,
            id: e.id,
        });
        samples.extend(page.into_iter().map(|e| e.metadata));
        if done {
            break;
        }
    }
    Ok(Json(Inferred {
        schema: super::infer::infer(&samples),
        sampled: samples.len(),
        event_type,
    }))
}

/// The range of a counts call: `from`, `to` (default: the last 24 hours), `interval` (minute,
/// hour or day; default hour) and the admin's `tenant_id`.
struct Range {
    tenant: Option<TenantId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: StatsInterval,
}

fn parse_range(raw: Option<&str>, now: DateTime<Utc>) -> Result<Range, ApiError> {
    let mut tenant = None;
    let mut filter = EventFilter::default();
    let mut interval = StatsInterval::Hour;
    for (name, value) in crate::events::query::pairs(raw)? {
        match name.as_str() {
            "tenant_id" | "from" | "to" | "access_token" => {
                crate::events::query::common(&name, &value, &mut tenant, &mut filter)?;
            }
            "interval" => {
                interval = match value.as_str() {
                    "minute" => StatsInterval::Minute,
                    "hour" => StatsInterval::Hour,
                    "day" => StatsInterval::Day,
                    _ => {
                        return Err(ApiError::validation(
                            "interval",
                            "interval must be minute, hour or day",
                        ));
                    }
                };
            }
            _ => return Err(crate::events::query::unknown(&name).into()),
        }
    }
    let to = filter.to.unwrap_or(now);
    let from = filter.from.unwrap_or(to - Duration::hours(24));
    if from >= to {
        return Err(ApiError::validation("from", "from must be earlier than to"));
    }
    if (to - from).num_seconds() / interval.seconds() > MAX_BUCKETS {
        return Err(ApiError::validation(
            "interval",
            format!(
                "that range has more than {MAX_BUCKETS} buckets at this interval; pick a wider interval"
            ),
        ));
    }
    Ok(Range {
        tenant,
        from,
        to,
        interval,
    })
}

/// `(event_type, bucket, counts)` rows, sorted by type, as one entry per type.
fn by_type(rows: Vec<(String, i64, Counts)>) -> Vec<(String, Counts, Vec<Bucket>)> {
    let mut types: Vec<(String, Counts, Vec<Bucket>)> = Vec::new();
    for (event_type, start, counts) in rows {
        if types.last().is_none_or(|(last, ..)| *last != event_type) {
            types.push((event_type, Counts::default(), Vec::new()));
        }
        if let Some((_, totals, buckets)) = types.last_mut() {
            totals.add(counts);
            buckets.push(Bucket {
                start: DateTime::from_timestamp(start, 0).unwrap_or_default(),
                counts,
            });
        }
    }
    types
}

/// Checked, violating and blocked events of one concrete type over time, and the newest
/// examples of violations.
#[utoipa::path(
    get, path = "/api/v1/schemas/{event_type}/violations", tag = "schemas",
    params(
        ("event_type" = String, Path, description = "A concrete event type"),
        ("from" = Option<String>, Query, description = "RFC 3339; default: `to` minus 24 hours"),
        ("to" = Option<String>, Query, description = "RFC 3339; default: now"),
        ("interval" = Option<String>, Query, description = "minute, hour (default) or day"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = TypeViolations),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn schema_violations(
    State(state): State<AppState>,
    principal: Principal,
    AppPath(event_type): AppPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<TypeViolations>, ApiError> {
    let range = parse_range(query.as_deref(), state.clock.now())?;
    let tenant = principal
        .tenant_for(&state, Scope::Read, range.tenant)
        .await?;
    if !crate::events::ingest::is_valid_event_type(&event_type) {
        return Err(crate::events::ingest::event_type_error("event_type".into()).into());
    }
    // Counts not yet written are part of the answer.
    flush(&state).await?;
    let rows = state
        .store
        .schema_counts(
            tenant,
            Some(&event_type),
            range.from,
            range.to,
            range.interval,
        )
        .await?;
    let (totals, buckets) = by_type(rows)
        .pop()
        .map(|(_, totals, buckets)| (totals, buckets))
        .unwrap_or_default();
    let examples = state
        .store
        .schema_examples(tenant, &event_type, MAX_EXAMPLES_PER_TYPE as u32)
        .await?;
    Ok(Json(TypeViolations {
        event_type,
        totals,
        buckets,
        examples,
    }))
}

/// Every event type checked in the range, with the schema and mode that apply now and its
/// counts over time: the dashboard's Data quality view.
#[utoipa::path(
    get, path = "/api/v1/data-quality", tag = "schemas",
    params(
        ("from" = Option<String>, Query, description = "RFC 3339; default: `to` minus 24 hours"),
        ("to" = Option<String>, Query, description = "RFC 3339; default: now"),
        ("interval" = Option<String>, Query, description = "minute, hour (default) or day"),
        ("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant"),
    ),
    responses(
        (status = 200, body = DataQuality),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn data_quality(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<DataQuality>, ApiError> {
    let range = parse_range(query.as_deref(), state.clock.now())?;
    let tenant = principal
        .tenant_for(&state, Scope::Read, range.tenant)
        .await?;
    flush(&state).await?;
    let rows = state
        .store
        .schema_counts(tenant, None, range.from, range.to, range.interval)
        .await?;
    let contracts = state.schemas.contracts(tenant).await?;
    let unplanned = state.store.schema_policy(tenant).await?;
    let types = by_type(rows)
        .into_iter()
        .map(|(event_type, totals, buckets)| {
            let (schema, mode) = match contracts.find(&event_type) {
                Some(compiled) => (Some(compiled.pattern.clone()), Some(compiled.mode)),
                None => (
                    None,
                    match unplanned {
                        Unplanned::Allow => None,
                        Unplanned::Warn => Some(Mode::Warn),
                        Unplanned::Block => Some(Mode::Block),
                    },
                ),
            };
            TypeQuality {
                event_type,
                schema,
                mode,
                totals,
                buckets,
            }
        })
        .collect();
    Ok(Json(DataQuality { types }))
}

/// Writes this instance's gathered counts first, so that an answer includes what it has
/// checked up to now (other instances' last second may still be on its way). A failed write
/// keeps the counts pending and is tried twice more; then the read is refused (503) rather
/// than answered without them.
async fn flush(state: &AppState) -> Result<(), ApiError> {
    let mut pause = std::time::Duration::from_millis(50);
    for attempt in 1..=3 {
        match state.schemas.flush().await {
            Ok(()) => return Ok(()),
            Err(error) if attempt == 3 => {
                return Err(ApiError::Unavailable {
                    message: "the newest schema counts could not be written yet; retry".into(),
                    source: Some(error.into()),
                });
            }
            Err(error) => {
                tracing::warn!(%error, attempt, "could not write schema counts before answering");
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
        }
    }
    Ok(())
}

/// The tenant's policy for event types no schema matches.
#[utoipa::path(
    get, path = "/api/v1/schema-policy", tag = "schemas",
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant")),
    responses(
        (status = 200, body = Policy),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn get_policy(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<Policy>, ApiError> {
    let tenant = principal
        .tenant_for(&state, Scope::Read, tenant_query(query.as_deref())?)
        .await?;
    Ok(Json(Policy {
        unplanned: state.store.schema_policy(tenant).await?,
    }))
}

/// Set what happens to events whose type no schema matches: `allow` (default), `warn`
/// (stored with a violation), `block` (refused with `unplanned_event_type`).
#[utoipa::path(
    put, path = "/api/v1/schema-policy", tag = "schemas", request_body = PutPolicy,
    params(("tenant_id" = Option<Uuid>, Query, description = "Admin only: the tenant (or the body's tenant_id)")),
    responses(
        (status = 200, body = Policy),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []), ("bearer" = []))
)]
pub async fn put_policy(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    AppJson(body): AppJson<PutPolicy>,
) -> Result<(AuditNote, Json<Policy>), ApiError> {
    let requested = body
        .tenant_id
        .map(TenantId)
        .or(tenant_query(query.as_deref())?);
    let tenant = principal
        .tenant_for(&state, Scope::Manage, requested)
        .await?;
    principal.require_active()?;
    let before = Policy {
        unplanned: state.store.schema_policy(tenant).await?,
    };
    state
        .store
        .set_schema_policy(tenant, body.unplanned)
        .await?;
    changed(&state, tenant);
    let after = Policy {
        unplanned: body.unplanned,
    };
    let note = AuditNote::default().before(&before).after(&after);
    Ok((note, Json(after)))
}
