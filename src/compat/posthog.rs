//! PostHog's capture API, as `posthog-js` (browser), `posthog-node` and `posthog` (Python)
//! send it: `POST` (or `GET ?data=`) to `/e`, `/i/v0/e`, `/capture`, `/track`, `/batch` or
//! `/engage`, with or without the trailing slash. A body is one event, an array of events, or
//! `{"batch":[…],"api_key","sent_at"}`, in any of the encodings of [`super::body`].
//!
//! The project key is a Tributary API key with scope `ingest`: `api_key`, `token` or `$token`
//! in the body or in an event (posthog-js puts it in `properties.token`). It is removed from
//! everything that is stored. `/decide` and `/flags` answer an empty, valid answer (no flags,
//! no recordings) so that SDKs stay quiet; Tributary has no feature flags.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::body::{Wire, query_param};
use super::{
    at, bad_request, correct_clock_skew, event_type_from_name, into_bad_request, message_id,
    time_field,
};
use crate::events::ingest::{ValidEvent, too_deep};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::pipeline;

pub const CAPTURE_PATHS: [&str; 6] = ["/e", "/i/v0/e", "/capture", "/track", "/batch", "/engage"];
pub const FLAG_PATHS: [&str; 2] = ["/decide", "/flags"];

const TOKEN_FIELDS: [&str; 3] = ["api_key", "token", "$token"];
const MISSING_KEY: &str =
    "missing project key: send `api_key` (or `token`) in the body with a Tributary API key";

/// What the body gives each of its events.
#[derive(Default)]
pub(crate) struct Defaults {
    sent_at: Option<DateTime<Utc>>,
    sent_at_raw: Option<Value>,
    /// `/engage` bodies are person updates without an event name.
    event: Option<&'static str>,
}

/// The shapes a capture body comes in.
enum Payload {
    /// One event, the whole body.
    Single(Map<String, Value>),
    /// Events of an array or a `batch`, with the body's other fields.
    Batch {
        events: Vec<Box<RawValue>>,
        top: HashMap<String, Box<RawValue>>,
    },
}

/// Every capture path.
pub async fn capture(
    State(state): State<AppState>,
    path: MatchedPath,
    wire: Wire,
    body: Body,
) -> Result<Response, ApiError> {
    let config = &state.config.ingest;
    let bytes = wire.read(body, config.max_batch_bytes).await?;
    let payload = parse_payload(&bytes)?;

    let principal = super::authenticate(
        &state,
        credential(&payload, &wire.headers, wire.query()),
        MISSING_KEY,
    )
    .await?;
    let tenant = pipeline::ingest_tenant(&state, &principal, None).await?;

    let engage = path.as_str().trim_end_matches('/') == "/engage";
    let received_at = state.clock.now();
    let sent_at_query = query_param(wire.query(), "_")
        .and_then(|millis| millis.parse::<i64>().ok())
        .and_then(|millis| Utc.timestamp_millis_opt(millis).single());
    match payload {
        Payload::Single(event) => {
            if bytes.len() > config.max_event_bytes {
                return Err(ApiError::too_large(
                    None,
                    format!("an event may be at most {} bytes", config.max_event_bytes),
                ));
            }
            let defaults = Defaults {
                sent_at: sent_at_query,
                sent_at_raw: None,
                event: engage.then_some("$identify"),
            };
            let event = map_event(Value::Object(event), &defaults, &None, received_at)
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
            Ok((
                StatusCode::OK,
                ingested.headers(),
                Json(json!({"status": 1})),
            )
                .into_response())
        }
        Payload::Batch { events, top } => {
            let sent_at_raw = top
                .get("sent_at")
                .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
                .filter(|v| !v.is_null());
            let defaults = Defaults {
                sent_at: time_field(sent_at_raw.as_ref(), "sent_at")
                    .map_err(into_bad_request)?
                    .or(sent_at_query),
                sent_at_raw,
                event: engage.then_some("$identify"),
            };
            let items = super::map_batch(&events, config, "event", |event, prefix| {
                map_event(event, &defaults, prefix, received_at)
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
                "posthog",
                ("status", Value::from(1)),
                &ingested,
            ))
        }
    }
}

/// `/decide` and `/flags`: no flags, no session recording, no surveys — a valid answer in
/// both the old (`/decide`) and the new (`/flags?v=2`) shape.
pub async fn flags() -> Response {
    Json(json!({
        "featureFlags": {},
        "featureFlagPayloads": {},
        "flags": {},
        "errorsWhileComputingFlags": false,
        "quotaLimited": [],
        "sessionRecording": false,
        "surveys": false,
        "heatmaps": false,
        "siteApps": [],
        "supportedCompression": ["gzip", "gzip-js", "lz64"],
        "config": {"enable_collect_everything": true},
        "toolbarParams": {},
        "isAuthenticated": false,
    }))
    .into_response()
}

/// The project settings posthog-js loads at start (`/array/{token}/config`): everything off
/// that Tributary does not do, capture on.
fn remote_config(token: &str) -> Value {
    json!({
        "token": token,
        "supportedCompression": ["gzip", "gzip-js", "lz64"],
        "hasFeatureFlags": false,
        "captureDeadClicks": false,
        "capturePerformance": false,
        "autocapture_opt_out": false,
        "autocaptureExceptions": false,
        "elementsChainAsString": true,
        "sessionRecording": false,
        "heatmaps": false,
        "surveys": false,
        "siteApps": [],
    })
}

/// `GET /array/{token}/config`.
pub async fn config(axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    Json(remote_config(&token)).into_response()
}

/// `GET /array/{token}/config.js`: the same settings as the script posthog-js may load
/// instead. The token is written as a JSON string literal, which is also a safe JavaScript one.
pub async fn config_js(axum::extract::Path(token): axum::extract::Path<String>) -> Response {
    let key = serde_json::to_string(&token).unwrap_or_else(|_| "\"\"".to_owned());
    let config = json!({"config": remote_config(&token), "siteApps": []});
    let script = format!(
        "(function(){{var all=window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{{}};all[{key}]={config};}})();"
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        script,
    )
        .into_response()
}

fn parse_payload(bytes: &[u8]) -> Result<Payload, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let malformed =
        |error: serde_json::Error| ApiError::bad_request(format!("malformed JSON: {error}"));
    match first {
        Some(b'[') => Ok(Payload::Batch {
            events: serde_json::from_slice(bytes).map_err(malformed)?,
            top: HashMap::new(),
        }),
        Some(b'{') => {
            let mut top: HashMap<String, Box<RawValue>> =
                serde_json::from_slice(bytes).map_err(malformed)?;
            match top.remove("batch") {
                Some(raw) => Ok(Payload::Batch {
                    events: serde_json::from_str(raw.get())
                        .map_err(|_| bad_request("batch", "batch must be an array of events"))?,
                    top,
                }),
                None => Ok(Payload::Single(
                    serde_json::from_slice(bytes).map_err(malformed)?,
                )),
            }
        }
        _ => Err(ApiError::bad_request(
            "the body must be a JSON object or array of events",
        )),
    }
}

/// The project key: the body's, else the first event's (or its properties'), else `?token=`
/// or `?api_key=`, else our own headers.
fn credential(payload: &Payload, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_map = |map: &Map<String, Value>| {
        TOKEN_FIELDS
            .iter()
            .find_map(|name| map.get(*name)?.as_str().map(str::to_owned))
            .or_else(|| {
                let properties = map.get("properties")?.as_object()?;
                TOKEN_FIELDS
                    .iter()
                    .find_map(|name| properties.get(*name)?.as_str().map(str::to_owned))
            })
    };
    let in_body = match payload {
        Payload::Single(event) => from_map(event),
        Payload::Batch { events, top } => TOKEN_FIELDS
            .iter()
            .find_map(|name| serde_json::from_str::<String>(top.get(*name)?.get()).ok())
            .or_else(|| {
                let first: Map<String, Value> = serde_json::from_str(events.first()?.get()).ok()?;
                from_map(&first)
            }),
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    in_body
        .or_else(|| query_param(query, "token"))
        .or_else(|| query_param(query, "api_key"))
        .or_else(|| header("x-api-key"))
        .or_else(|| {
            let value = header(header::AUTHORIZATION.as_str())?;
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
}

/// Maps one PostHog event. The event itself becomes the metadata, without its project key.
pub(crate) fn map_event(
    event: Value,
    defaults: &Defaults,
    prefix: &Option<String>,
    received_at: DateTime<Utc>,
) -> Result<ValidEvent, ApiError> {
    let Value::Object(mut event) = event else {
        return Err(bad_request(
            prefix.as_deref().unwrap_or("body"),
            "an event must be a JSON object",
        ));
    };
    for name in TOKEN_FIELDS {
        event.remove(name);
    }
    let ignore_sent_at = match event.get_mut("properties") {
        Some(Value::Object(properties)) => {
            for name in TOKEN_FIELDS {
                properties.remove(name);
            }
            properties.get("$ignore_sent_at") == Some(&Value::Bool(true))
        }
        _ => false,
    };
    if let Some(name) = defaults.event {
        event.entry("event").or_insert_with(|| Value::from(name));
    }
    let event_type = event
        .get("event")
        .and_then(Value::as_str)
        .and_then(event_type_from_name)
        .ok_or_else(|| bad_request(&at(prefix, "event"), "event is required"))?;
    // posthog-js sends the distinct id inside `properties`, `/engage` as `$distinct_id`: it
    // is stored at the top as `distinct_id` in every case, so one filter finds a person.
    let distinct_id = ["distinct_id", "$distinct_id"]
        .iter()
        .find_map(|name| event.get(*name).filter(|v| !v.is_null()))
        .or_else(|| {
            event
                .get("properties")?
                .get("distinct_id")
                .filter(|v| !v.is_null())
        })
        .cloned()
        .ok_or_else(|| bad_request(&at(prefix, "distinct_id"), "distinct_id is required"))?;
    event.entry("distinct_id").or_insert(distinct_id);
    let event_id = message_id(event.get("uuid"), &at(prefix, "uuid")).map_err(into_bad_request)?;
    let timestamp =
        time_field(event.get("timestamp"), &at(prefix, "timestamp")).map_err(into_bad_request)?;
    let offset = event
        .get("offset")
        .and_then(Value::as_i64)
        .and_then(|millis| received_at.checked_sub_signed(Duration::milliseconds(millis)));
    let own_sent_at =
        time_field(event.get("sent_at"), &at(prefix, "sent_at")).map_err(into_bad_request)?;
    let sent_at = own_sent_at.or(defaults.sent_at).filter(|_| !ignore_sent_at);
    let timestamp = match (timestamp, sent_at, offset) {
        (Some(timestamp), sent_at, _) => correct_clock_skew(Some(timestamp), sent_at, received_at),
        (None, _, Some(offset)) => correct_clock_skew(Some(offset), None, received_at),
        (None, _, None) => received_at,
    };
    if let Some(raw) = &defaults.sent_at_raw {
        event.entry("sent_at").or_insert_with(|| raw.clone());
    }
    if too_deep(&event) {
        return Err(bad_request(
            prefix.as_deref().unwrap_or("body"),
            "an event must not nest deeper than 16 levels",
        ));
    }
    Ok(ValidEvent {
        tenant_id: None,
        event_type,
        timestamp: Some(timestamp),
        metadata: event,
        event_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received() -> DateTime<Utc> {
        super::super::parse_sdk_time("2026-12-01T12:00:00Z").unwrap()
    }

    #[test]
    fn the_project_key_never_reaches_the_metadata() {
        let event = json!({"event": "$pageview", "distinct_id": "u1", "api_key": "trb_x",
            "properties": {"token": "trb_x", "$current_url": "/"}});
        let mapped = map_event(event, &Defaults::default(), &None, received()).unwrap();
        assert_eq!(mapped.event_type, "_pageview");
        assert!(!mapped.metadata.contains_key("api_key"));
        assert_eq!(mapped.metadata["properties"], json!({"$current_url": "/"}));
        assert_eq!(mapped.metadata["event"], "$pageview");
    }

    #[test]
    fn an_offset_dates_the_event_before_receipt() {
        let event = json!({"event": "x", "distinct_id": 1, "offset": 1500});
        let mapped = map_event(event, &Defaults::default(), &None, received()).unwrap();
        assert_eq!(
            mapped.timestamp.unwrap(),
            received() - Duration::milliseconds(1500)
        );
    }

    #[test]
    fn a_missing_distinct_id_or_event_is_refused_with_its_field() {
        let prefix = Some("batch[2]".to_owned());
        let error = map_event(
            json!({"event": "x"}),
            &Defaults::default(),
            &prefix,
            received(),
        )
        .unwrap_err();
        assert_eq!(error.field(), Some("batch[2].distinct_id"));
        assert_eq!(error.status(), 400);
        let error = map_event(
            json!({"distinct_id": "d"}),
            &Defaults::default(),
            &None,
            received(),
        )
        .unwrap_err();
        assert_eq!(error.field(), Some("event"));
    }

    #[test]
    fn engage_bodies_become_identify_events() {
        let defaults = Defaults {
            event: Some("$identify"),
            ..Defaults::default()
        };
        let event = json!({"$distinct_id": "u1", "$set": {"plan": "pro"}});
        let mapped = map_event(event, &defaults, &None, received()).unwrap();
        assert_eq!(mapped.event_type, "_identify");
        assert_eq!(mapped.metadata["distinct_id"], "u1");
    }
}
