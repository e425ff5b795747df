//! Segment's HTTP Tracking API, as `analytics-python`, `@segment/analytics-node`,
//! `@segment/analytics-next` (browser) and RudderStack's SDKs speak it:
//!
//! - `POST /v1/batch` (also RudderStack's `/v1/import` and `/beacon/v1/batch`):
//!   `{"batch":[{"type",…}],"context","integrations","sentAt","writeKey"}`; the batch's
//!   `context` and `integrations` merge into each message (the message's own keys win);
//! - `POST /v1/{track,identify,page,screen,group,alias}` and the browser SDK's short forms
//!   `/v1/{t,i,p,s,g,a}` and `/v1/b` (its batch): one message;
//! - `GET /v1/projects/{writeKey}/settings`: the settings the browser SDK loads first (point
//!   its `cdnURL` at Tributary), naming this server as its API host.
//!
//! The write key is a Tributary API key with scope `ingest`, sent as HTTP Basic user name
//! (`base64("key:")`), `X-Write-Key`, `writeKey` in the body or query, or our own headers.
//! Answers are Segment's: `200 {"success":true}`; a refused item of a batch is logged and
//! counted, the good ones stored.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::body::{Wire, query_param};
use super::{
    at, bad_request, correct_clock_skew, event_type_from_name, into_bad_request, message_id,
    time_field,
};
use crate::events::ingest::{ValidEvent, too_deep};
use crate::events::routes::query_tenant;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::pipeline;

/// The single-message paths and the message type each implies.
pub const SINGLE_PATHS: [(&str, Kind); 13] = [
    ("/v1/track", Kind::Track),
    ("/v1/identify", Kind::Identify),
    ("/v1/page", Kind::Page),
    ("/v1/screen", Kind::Screen),
    ("/v1/group", Kind::Group),
    ("/v1/alias", Kind::Alias),
    ("/v1/t", Kind::Track),
    ("/v1/i", Kind::Identify),
    ("/v1/p", Kind::Page),
    ("/v1/s", Kind::Screen),
    ("/v1/g", Kind::Group),
    ("/v1/a", Kind::Alias),
    // The browser SDK's metrics; answered so that it stays quiet, stored as nothing.
    ("/v1/m", Kind::Metrics),
];

const MISSING_KEY: &str = "missing write key: send it as the HTTP Basic user name, \
     `X-Write-Key`, or `writeKey` in the body";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
    Metrics,
}

impl Kind {
    fn parse(raw: &str) -> Option<Kind> {
        Some(match raw {
            "track" => Kind::Track,
            "identify" => Kind::Identify,
            "page" => Kind::Page,
            "screen" => Kind::Screen,
            "group" => Kind::Group,
            "alias" => Kind::Alias,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Identify => "identify",
            Kind::Page => "page",
            Kind::Screen => "screen",
            Kind::Group => "group",
            Kind::Alias => "alias",
            Kind::Metrics => "metrics",
        }
    }
}

/// What a batch gives each of its messages.
#[derive(Default)]
pub(crate) struct Defaults {
    context: Option<Value>,
    integrations: Option<Value>,
    sent_at: Option<DateTime<Utc>>,
    sent_at_raw: Option<Value>,
}

/// `POST /v1/batch`, `/v1/import`, `/beacon/v1/batch`, `/v1/b`.
pub async fn batch(
    State(state): State<AppState>,
    wire: Wire,
    body: Body,
) -> Result<Response, ApiError> {
    let config = &state.config.ingest;
    let bytes = wire.read(body, config.max_batch_bytes).await?;
    let mut top = parse_object(&bytes)?;

    let from_body = top
        .get("writeKey")
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
    let credential = credential(&wire.headers, wire.query(), from_body);
    let principal = super::authenticate(&state, credential, MISSING_KEY).await?;
    let tenant = pipeline::ingest_tenant(&state, &principal, query_tenant(wire.query())?).await?;

    let messages: Vec<Box<RawValue>> = match top.remove("batch") {
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|_| bad_request("batch", "batch must be an array of messages"))?,
        None => return Err(bad_request("batch", "batch is required")),
    };
    let sent_at_raw = raw_field(&top, "sentAt")?;
    let defaults = Defaults {
        context: raw_field(&top, "context")?,
        integrations: raw_field(&top, "integrations")?,
        sent_at: time_field(sent_at_raw.as_ref(), "sentAt").map_err(into_bad_request)?,
        sent_at_raw,
    };

    let received_at = state.clock.now();
    let items = super::map_batch(&messages, config, "message", |message, prefix| {
        map_message(message, None, &defaults, prefix, received_at)
    })?;
    let ingested = pipeline::ingest(
        &state,
        &tenant,
        items,
        received_at,
        pipeline::Shape::Batch("batch"),
    )
    .await?;
    Ok(super::batch_answer(
        "segment",
        ("success", Value::Bool(true)),
        &ingested,
    ))
}

/// `POST /v1/track` and the other single-message paths.
pub async fn single(
    State(state): State<AppState>,
    path: MatchedPath,
    wire: Wire,
    body: Body,
) -> Result<Response, ApiError> {
    let kind = SINGLE_PATHS
        .iter()
        .find(|(known, _)| *known == path.as_str())
        .map(|(_, kind)| *kind)
        .ok_or(ApiError::NotFound("route"))?;
    let bytes = wire.read(body, state.config.ingest.max_event_bytes).await?;
    let message: Value = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::bad_request(format!("malformed JSON: {error}")))?;
    let from_body = message
        .get("writeKey")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let credential = credential(&wire.headers, wire.query(), from_body);
    let principal = super::authenticate(&state, credential, MISSING_KEY).await?;
    let tenant = pipeline::ingest_tenant(&state, &principal, query_tenant(wire.query())?).await?;
    if kind == Kind::Metrics {
        return Ok(success());
    }

    let received_at = state.clock.now();
    let event = map_message(
        message,
        Some(kind),
        &Defaults::default(),
        &None,
        received_at,
    )
    .inspect_err(pipeline::count_rejected)?;
    let mut ingested = pipeline::ingest(
        &state,
        &tenant,
        vec![Ok(event)],
        received_at,
        pipeline::Shape::Single,
    )
    .await?;
    if let Some(result) = ingested.results.pop() {
        result?;
    }
    Ok((StatusCode::OK, ingested.headers(), success()).into_response())
}

/// `GET /v1/projects/{writeKey}/settings`: what `@segment/analytics-next` loads before
/// anything else, pointing it back at this server. Holds nothing secret: the key is the
/// caller's own.
pub async fn settings(
    axum::extract::Path(write_key): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|host| {
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let protocol = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|proto| *proto == "https")
        .unwrap_or("http");
    Json(json!({
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": format!("{host}/v1"),
                "protocol": protocol,
                "unbundledIntegrations": [],
                "addBundledMetadata": false,
                "maybeBundledConfigIds": {},
            }
        },
        "plan": {},
        "edgeFunction": {},
        "analyticsNextEnabled": true,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "legacyVideoPluginsEnabled": false,
        "remotePlugins": [],
    }))
    .into_response()
}

fn success() -> Response {
    Json(json!({"success": true})).into_response()
}

/// Maps one Segment message to an event. `kind` is the type the path implies; a batch
/// message names its own. The message itself becomes the metadata, without its write key.
pub(crate) fn map_message(
    message: Value,
    kind: Option<Kind>,
    defaults: &Defaults,
    prefix: &Option<String>,
    received_at: DateTime<Utc>,
) -> Result<ValidEvent, ApiError> {
    let Value::Object(mut message) = message else {
        return Err(bad_request(
            prefix.as_deref().unwrap_or("body"),
            "a message must be a JSON object",
        ));
    };
    message.remove("writeKey");
    let kind = match kind {
        Some(kind) => {
            message
                .entry("type")
                .or_insert_with(|| Value::from(kind.as_str()));
            kind
        }
        None => message
            .get("type")
            .and_then(Value::as_str)
            .and_then(Kind::parse)
            .ok_or_else(|| {
                bad_request(
                    &at(prefix, "type"),
                    "type must be one of track, identify, page, screen, group, alias",
                )
            })?,
    };
    let has_id = |name: &str| message.get(name).is_some_and(|v| !v.is_null());
    if !has_id("userId") && !has_id("anonymousId") {
        return Err(bad_request(
            &at(prefix, "userId"),
            "userId or anonymousId is required",
        ));
    }
    let event_type = match kind {
        Kind::Track => message
            .get("event")
            .and_then(Value::as_str)
            .and_then(event_type_from_name)
            .ok_or_else(|| {
                bad_request(&at(prefix, "event"), "a track message needs an event name")
            })?,
        other => other.as_str().to_owned(),
    };
    let event_id =
        message_id(message.get("messageId"), &at(prefix, "messageId")).map_err(into_bad_request)?;
    let timestamp = match message.get("timestamp") {
        Some(value) => time_field(Some(value), &at(prefix, "timestamp")),
        None => time_field(
            message.get("originalTimestamp"),
            &at(prefix, "originalTimestamp"),
        ),
    }
    .map_err(into_bad_request)?;
    let sent_at =
        match time_field(message.get("sentAt"), &at(prefix, "sentAt")).map_err(into_bad_request)? {
            Some(own) => Some(own),
            None => defaults.sent_at,
        };

    for (name, value) in [
        ("context", &defaults.context),
        ("integrations", &defaults.integrations),
        ("sentAt", &defaults.sent_at_raw),
    ] {
        if let Some(value) = value {
            merge_default(&mut message, name, value);
        }
    }
    if too_deep(&message) {
        return Err(bad_request(
            prefix.as_deref().unwrap_or("body"),
            "a message must not nest deeper than 16 levels",
        ));
    }
    Ok(ValidEvent {
        tenant_id: None,
        event_type,
        timestamp: Some(correct_clock_skew(timestamp, sent_at, received_at)),
        metadata: message,
        event_id,
    })
}

/// A batch-level default: taken whole when the message has none; objects merge key by key,
/// the message's own keys winning.
fn merge_default(message: &mut Map<String, Value>, name: &str, default: &Value) {
    match (message.get_mut(name), default) {
        (None, _) | (Some(Value::Null), _) => {
            message.insert(name.to_owned(), default.clone());
        }
        (Some(Value::Object(own)), Value::Object(shared)) => {
            for (key, value) in shared {
                own.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        _ => {}
    }
}

/// The write key, from (in order) HTTP Basic, `X-Write-Key`, the body, `?writeKey=`, or our
/// own `X-API-Key` / `Authorization: Bearer`.
fn credential(
    headers: &HeaderMap,
    query: Option<&str>,
    from_body: Option<String>,
) -> Option<String> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let basic = authorization.and_then(|value| {
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
        Some(user.to_owned())
    });
    let bearer = authorization.and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    });
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    basic
        .filter(|key| !key.is_empty())
        .or_else(|| header("x-write-key"))
        .or(from_body)
        .or_else(|| query_param(query, "writeKey"))
        .or_else(|| header("x-api-key"))
        .or(bearer)
}

fn parse_object(bytes: &[u8]) -> Result<HashMap<String, Box<RawValue>>, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::bad_request(format!("the body must be a JSON object: {error}")))
}

fn raw_field(top: &HashMap<String, Box<RawValue>>, name: &str) -> Result<Option<Value>, ApiError> {
    top.get(name)
        .map(|raw| serde_json::from_str::<Value>(raw.get()))
        .transpose()
        .map_err(|error| bad_request(name, error.to_string()))
        .map(|value| value.filter(|v| !v.is_null()))
}
