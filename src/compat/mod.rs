//! Drop-in compatibility with the SDKs teams already use: the Segment HTTP Tracking API (also
//! spoken by RudderStack's and Jitsu's SDKs) and PostHog's capture API. Each protocol module
//! parses its wire format and maps every message to a [`ValidEvent`]; from there the native
//! pipeline (`crate::pipeline`) does the rest, so limits, rate limits, durability, the live
//! stream, search and webhooks are the same as for the native API.
//!
//! Shared here: the event-name mapping, clock-skew correction, and the credential a message
//! carries. Invariants: the credential is never stored (it is removed from every message before
//! it becomes metadata); a 2xx is sent only after the accepted items are committed.

pub mod body;
pub mod posthog;
pub mod segment;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, SubsecRound, Utc};
use serde_json::Value;

use crate::auth::Principal;
use crate::events::ingest::{
    MAX_EVENT_ID_CHARS, MAX_EVENT_TYPE_CHARS, ValidEvent, timestamp_in_range,
};
use crate::http::AppState;
use crate::http::error::ApiError;

/// Every compatibility route. Paths are the SDKs' own, so they live outside `/api/v1`.
pub fn router() -> Router<AppState> {
    let segment_batch = post(segment::batch);
    let mut router = Router::new()
        .route("/v1/batch", segment_batch.clone())
        .route("/v1/import", segment_batch.clone())
        .route("/v1/b", segment_batch.clone())
        .route("/beacon/v1/batch", segment_batch)
        .route("/v1/projects/{write_key}/settings", get(segment::settings));
    for (path, _) in segment::SINGLE_PATHS {
        router = router.route(path, post(segment::single));
    }
    for path in posthog::CAPTURE_PATHS {
        let capture = get(posthog::capture).post(posthog::capture);
        router = router
            .route(path, capture.clone())
            .route(&format!("{path}/"), capture);
    }
    router = router
        .route("/array/{token}/config", get(posthog::config))
        .route("/array/{token}/config.js", get(posthog::config_js));
    for path in posthog::FLAG_PATHS {
        let flags = get(posthog::flags).post(posthog::flags);
        router = router
            .route(path, flags.clone())
            .route(&format!("{path}/"), flags);
    }
    router
}

/// An SDK's event name as a Tributary event type: characters outside `[A-Za-z0-9_.:-]`
/// become `_`, cut to 128 characters. `None` for an empty name.
pub fn event_type_from_name(name: &str) -> Option<String> {
    let mapped: String = name
        .chars()
        .take(MAX_EVENT_TYPE_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.:-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (!mapped.is_empty()).then_some(mapped)
}

/// Corrects a device clock the way Segment and PostHog do: the delay between the message's
/// `timestamp` and the moment the SDK sent it (`sent_at`, same clock) is subtracted from the
/// moment the server received it. A timestamp more than 23 h ahead of the server is replaced
/// by the receive time.
pub fn correct_clock_skew(
    timestamp: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let corrected = match (timestamp, sent_at) {
        (Some(timestamp), Some(sent_at)) => received_at
            .checked_sub_signed(sent_at.signed_duration_since(timestamp))
            .unwrap_or(received_at),
        (Some(timestamp), None) => timestamp,
        (None, _) => received_at,
    };
    if corrected > received_at + Duration::hours(23) || !timestamp_in_range(corrected) {
        received_at
    } else {
        corrected.trunc_subsecs(6)
    }
}

/// An SDK timestamp: RFC 3339, or an ISO 8601 date-time without an offset (taken as UTC, as
/// some SDKs send it).
pub fn parse_sdk_time(raw: &str) -> Option<DateTime<Utc>> {
    let at = match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())?
            .and_utc(),
    };
    Some(at.trunc_subsecs(6)).filter(|at| timestamp_in_range(*at))
}

/// Reads an optional time field of a message; present but unreadable is an error on `field`.
pub fn time_field(value: Option<&Value>, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(raw)) => parse_sdk_time(raw).map(Some).ok_or_else(|| {
            ApiError::validation(
                field,
                format!("{} must be an ISO 8601 date-time", leaf(field)),
            )
        }),
        Some(_) => Err(ApiError::validation(
            field,
            format!("{} must be an ISO 8601 date-time string", leaf(field)),
        )),
    }
}

/// A message id (`messageId`, `uuid`) as the event's idempotency key.
pub fn message_id(value: Option<&Value>, field: &str) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(raw))
            if !raw.is_empty()
                && raw.chars().count() <= MAX_EVENT_ID_CHARS
                && !raw.chars().any(char::is_control) =>
        {
            Ok(Some(raw.clone()))
        }
        Some(_) => Err(ApiError::validation(
            field,
            format!(
                "{} must be a string of 1-256 characters without control characters",
                leaf(field)
            ),
        )),
    }
}

fn leaf(field: &str) -> &str {
    field.rsplit('.').next().unwrap_or(field)
}

/// The field path of a message: `batch[3].event` in a batch, `event` alone.
pub fn at(prefix: &Option<String>, name: &str) -> String {
    match prefix {
        Some(prefix) => format!("{prefix}.{name}"),
        None => name.to_owned(),
    }
}

/// Resolves the credential an SDK sent into a principal: 401 if missing or unknown.
pub async fn authenticate(
    state: &AppState,
    credential: Option<String>,
    how: &'static str,
) -> Result<Principal, ApiError> {
    let credential = credential
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::unauthorized(how))?;
    crate::auth::principal::resolve(state, &credential).await
}

/// Maps every raw item of a batch with `map`, each on its own: an item over `max_event_bytes`,
/// or one whose JSON a value cannot hold, is refused at `batch[i]` without looking further.
/// A batch of more than `max_batch_events` items is refused whole. `noun` names the items in
/// the messages ("message", "event").
pub fn map_batch(
    items: &[Box<serde_json::value::RawValue>],
    config: &crate::config::IngestConfig,
    noun: &str,
    mut map: impl FnMut(Value, &Option<String>) -> Result<ValidEvent, ApiError>,
) -> Result<Vec<Result<ValidEvent, ApiError>>, ApiError> {
    if items.len() > config.max_batch_events {
        return Err(ApiError::too_large(
            Some("batch"),
            format!(
                "a batch holds at most {} {noun}s; this one has {}",
                config.max_batch_events,
                items.len()
            ),
        ));
    }
    Ok(items
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let prefix = Some(format!("batch[{index}]"));
            if raw.get().len() > config.max_event_bytes {
                return Err(ApiError::too_large(
                    prefix.as_deref(),
                    format!("a {noun} may be at most {} bytes", config.max_event_bytes),
                ));
            }
            let value = serde_json::from_str::<Value>(raw.get())
                .map_err(|error| bad_request(&at(&prefix, ""), error.to_string()))?;
            map(value, &prefix)
        })
        .collect())
}

/// The answer to a batch, once its items are ingested: the protocol's own acknowledgement
/// (`{"success":true}`, `{"status":1}`) plus what was accepted and each refusal. Refusals are
/// logged too, since SDKs never show the answer's details.
pub fn batch_answer(
    protocol: &'static str,
    acknowledgement: (&str, Value),
    ingested: &crate::pipeline::Ingested,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    log_rejected(protocol, &ingested.results);
    let (key, value) = acknowledgement;
    let mut answer = serde_json::Map::new();
    answer.insert(key.to_owned(), value);
    answer.insert("accepted".into(), Value::from(ingested.accepted));
    answer.insert("rejected".into(), Value::from(ingested.rejected()));
    answer.insert(
        "errors".into(),
        Value::Array(item_errors(&ingested.results)),
    );
    (
        axum::http::StatusCode::OK,
        ingested.headers(),
        axum::Json(Value::Object(answer)),
    )
        .into_response()
}

/// SDKs treat 400 as "do not retry, the message is wrong"; our 422 would mean the same to a
/// person but not to every SDK.
pub fn bad_request(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        message: message.into(),
        field: Some(field.trim_end_matches('.').to_owned()).filter(|f| !f.is_empty()),
    }
}

pub fn into_bad_request(error: ApiError) -> ApiError {
    match error {
        ApiError::Validation { message, field } => ApiError::BadRequest { message, field },
        other => other,
    }
}

/// Logs each refused item of a batch.
fn log_rejected(protocol: &'static str, results: &[crate::pipeline::ItemResult]) {
    for (index, result) in results.iter().enumerate() {
        if let Err(error) = result {
            tracing::info!(
                protocol,
                index,
                code = error.code(),
                field = error.field().unwrap_or(""),
                reason = %error,
                "batch item rejected"
            );
        }
    }
}

/// Per-item errors for the answer's `errors` list: SDKs ignore it, people with curl read it.
fn item_errors(results: &[crate::pipeline::ItemResult]) -> Vec<Value> {
    results
        .iter()
        .enumerate()
        .filter_map(|(index, result)| {
            let error = result.as_ref().err()?;
            let mut item = serde_json::json!({
                "index": index,
                "code": error.code(),
                "message": error.to_string(),
                "field": error.field(),
            });
            if let ApiError::Contract { violations, .. } = error {
                item["violations"] = serde_json::json!(violations);
            }
            Some(item)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> DateTime<Utc> {
        parse_sdk_time(raw).unwrap()
    }

    #[test]
    fn names_map_to_event_types() {
        assert_eq!(
            event_type_from_name("Order Completed").as_deref(),
            Some("Order_Completed")
        );
        assert_eq!(
            event_type_from_name("$pageview").as_deref(),
            Some("_pageview")
        );
        assert_eq!(event_type_from_name("é/ü").as_deref(), Some("___"));
        assert_eq!(event_type_from_name(&"x".repeat(300)).unwrap().len(), 128);
        assert_eq!(
            event_type_from_name("ok.name:v-1_2").as_deref(),
            Some("ok.name:v-1_2")
        );
        assert_eq!(event_type_from_name(""), None);
    }

    #[test]
    fn a_device_clock_two_hours_behind_is_corrected() {
        let received = t("2026-12-01T12:00:00Z");
        // The device thinks it is 10:00; the event happened 5 s before it was sent.
        let corrected = correct_clock_skew(
            Some(t("2026-12-01T09:59:55Z")),
            Some(t("2026-12-01T10:00:00Z")),
            received,
        );
        assert_eq!(corrected, t("2026-12-01T11:59:55Z"));
    }

    #[test]
    fn without_sent_at_the_timestamp_stands_and_without_either_it_is_now() {
        let received = t("2026-12-01T12:00:00Z");
        let stamp = t("2026-11-30T08:00:00.123456Z");
        assert_eq!(correct_clock_skew(Some(stamp), None, received), stamp);
        assert_eq!(correct_clock_skew(None, Some(stamp), received), received);
    }

    #[test]
    fn a_timestamp_far_in_the_future_becomes_the_receive_time() {
        let received = t("2026-12-01T12:00:00Z");
        let future = t("2026-12-02T11:30:00Z");
        assert_eq!(correct_clock_skew(Some(future), None, received), received);
        let near = t("2026-12-02T10:30:00Z");
        assert_eq!(correct_clock_skew(Some(near), None, received), near);
    }

    #[test]
    fn sdk_times_with_and_without_offsets_parse() {
        assert_eq!(t("2026-12-01T12:00:00+02:00"), t("2026-12-01T10:00:00Z"));
        assert_eq!(t("2026-12-01T10:00:00.5"), t("2026-12-01T10:00:00.500Z"));
        assert!(parse_sdk_time("yesterday").is_none());
        assert!(parse_sdk_time("9999-12-31T23:59:59-23:59").is_none());
        assert!(time_field(Some(&Value::from(5)), "batch[1].timestamp").is_err());
    }
}
