//! Validation of incoming events: each rule of SPEC §4 with its error code and the field at
//! fault. Parsing happens on a `serde_json::Value` rather than a derived struct so that every
//! field gets its own clear message, and a batch can report each bad item by index.

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ValidationError;
use crate::tenants::TenantId;

pub const MAX_EVENT_TYPE_CHARS: usize = 128;
pub const MAX_EVENT_ID_CHARS: usize = 256;
pub const MAX_METADATA_DEPTH: usize = 16;

/// An event that passed validation and waits for its tenant check and commit.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    /// The `tenant_id` the sender wrote, if any; it must match the credential's tenant.
    pub tenant_id: Option<TenantId>,
    pub event_type: String,
    pub timestamp: Option<DateTime<Utc>>,
    pub metadata: Map<String, Value>,
    pub event_id: Option<String>,
}

/// Why an event type pattern (a schema's name, a webhook's filter) is not valid.
pub const PATTERN_RULE: &str = "event_type must be an event type (1-128 chars of [A-Za-z0-9_.:-]), \
     optionally with one * at its start or end (order.*, *.failed), or * alone";

/// Whether `pattern` names an event type or a wildcard pattern over them.
pub fn is_valid_pattern(pattern: &str) -> bool {
    let literal = pattern
        .strip_prefix('*')
        .or_else(|| pattern.strip_suffix('*'))
        .unwrap_or(pattern);
    pattern == "*" || is_valid_event_type(literal)
}

/// Whether `pattern` matches the concrete `event_type`.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" {
        true
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        event_type.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        event_type.starts_with(prefix)
    } else {
        pattern == event_type
    }
}

/// Whether `raw` is a valid event type: 1–128 chars of `[A-Za-z0-9_.:-]`.
pub fn is_valid_event_type(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_EVENT_TYPE_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

pub fn event_type_error(field: String) -> ValidationError {
    ValidationError::new(field, "event_type must be 1-128 chars of [A-Za-z0-9_.:-]")
}

/// Validates one event. `at` prefixes field names (`""` for a single event, `events[3].` in
/// a batch).
pub fn validate_event(value: Value, at: &str) -> Result<ValidEvent, ValidationError> {
    let field = |name: &str| format!("{at}{name}");
    let Value::Object(mut object) = value else {
        let whole = if at.is_empty() {
            "body".to_owned()
        } else {
            at.trim_end_matches('.').to_owned()
        };
        return Err(ValidationError::new(
            whole,
            "an event must be a JSON object",
        ));
    };

    let tenant_id =
        match object.remove("tenant_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => Some(TenantId(Uuid::parse_str(&raw).map_err(|_| {
                ValidationError::new(field("tenant_id"), "tenant_id must be a UUID")
            })?)),
            Some(_) => {
                return Err(ValidationError::new(
                    field("tenant_id"),
                    "tenant_id must be a UUID",
                ));
            }
        };

    let event_type = match object.remove("event_type") {
        Some(Value::String(raw)) if is_valid_event_type(&raw) => raw,
        None | Some(Value::Null) => {
            return Err(ValidationError::new(
                field("event_type"),
                "event_type is required",
            ));
        }
        Some(_) => return Err(event_type_error(field("event_type"))),
    };

    let timestamp = match object.remove("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => Some(parse_timestamp(&raw).ok_or_else(|| {
            ValidationError::new(field("timestamp"), format!("timestamp {TIMESTAMP_RULE}"))
        })?),
        Some(_) => {
            return Err(ValidationError::new(
                field("timestamp"),
                "timestamp must be an RFC 3339 date-time string",
            ));
        }
    };

    let event_id = match object.remove("event_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw))
            if !raw.is_empty()
                && raw.chars().count() <= MAX_EVENT_ID_CHARS
                && !raw.chars().any(char::is_control) =>
        {
            Some(raw)
        }
        Some(_) => {
            return Err(ValidationError::new(
                field("event_id"),
                "event_id must be a string of 1-256 characters without control characters",
            ));
        }
    };

    let metadata = match object.remove("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => {
            if depth_of_object(&map) > MAX_METADATA_DEPTH {
                return Err(ValidationError::new(
                    field("metadata"),
                    format!("metadata must not nest deeper than {MAX_METADATA_DEPTH} levels"),
                ));
            }
            map
        }
        Some(_) => {
            return Err(ValidationError::new(
                field("metadata"),
                "metadata must be a JSON object",
            ));
        }
    };

    Ok(ValidEvent {
        tenant_id,
        event_type,
        timestamp,
        metadata,
        event_id,
    })
}

/// RFC 3339, converted to UTC and cut to microseconds (what both stores keep), within
/// [`timestamp_in_range`].
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc).trunc_subsecs(6))
        .filter(|at| timestamp_in_range(*at))
}

/// The times Tributary accepts: years 1970 to 9999 once in UTC. Later ones cannot be written
/// back as RFC 3339 (`+10000-…`), earlier ones are always a client's mistake.
pub fn timestamp_in_range(at: DateTime<Utc>) -> bool {
    (1970..=9999).contains(&at.year())
}

/// The message for a time that is not an RFC 3339 date-time in the accepted range.
pub const TIMESTAMP_RULE: &str =
    "must be an RFC 3339 date-time in the years 1970-9999 (UTC), e.g. 2024-01-15T10:30:00Z";

/// Whether a metadata object nests deeper than [`MAX_METADATA_DEPTH`].
pub fn too_deep(map: &Map<String, Value>) -> bool {
    depth_of_object(map) > MAX_METADATA_DEPTH
}

/// Nesting depth of an object: `{}` is 1, `{"a":{}}` is 2; arrays count as a level too.
fn depth_of_object(map: &Map<String, Value>) -> usize {
    1 + map.values().map(depth_of_value).max().unwrap_or(0)
}

fn depth_of_value(value: &Value) -> usize {
    match value {
        Value::Object(map) => depth_of_object(map),
        Value::Array(items) => 1 + items.iter().map(depth_of_value).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(result: Result<ValidEvent, ValidationError>) -> String {
        result.unwrap_err().field
    }

    #[test]
    fn a_minimal_event_gets_defaults() {
        let event = validate_event(json!({"event_type": "page_view"}), "").unwrap();
        assert_eq!(event.event_type, "page_view");
        assert!(event.metadata.is_empty() && event.timestamp.is_none() && event.event_id.is_none());
    }

    #[test]
    fn event_types_outside_the_alphabet_or_length_are_refused() {
        for bad in [
            json!(""),
            json!("has space"),
            json!("x".repeat(129)),
            json!(5),
            json!("é"),
        ] {
            assert_eq!(
                field_of(validate_event(json!({"event_type": bad}), "")),
                "event_type"
            );
        }
        assert!(validate_event(json!({"event_type": "a.b:c-d_e"}), "").is_ok());
    }

    #[test]
    fn timestamps_are_rfc3339_and_normalised_to_utc_micros() {
        let event = validate_event(
            json!({"event_type": "x", "timestamp": "2024-01-15T12:30:00.1234567+02:00"}),
            "",
        )
        .unwrap();
        assert_eq!(
            event.timestamp.unwrap().to_rfc3339(),
            "2024-01-15T10:30:00.123456+00:00"
        );
        let bad = validate_event(
            json!({"event_type": "x", "timestamp": "yesterday"}),
            "events[2].",
        );
        assert_eq!(field_of(bad), "events[2].timestamp");
    }

    #[test]
    fn timestamps_outside_the_years_1970_to_9999_in_utc_are_refused() {
        for bad in [
            "9999-12-31T23:59:59.999999-23:59",
            "1969-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
        ] {
            let refused = validate_event(json!({"event_type": "x", "timestamp": bad}), "");
            assert_eq!(field_of(refused), "timestamp", "{bad}");
        }
        for good in ["9999-12-31T23:59:59.999999Z", "1970-01-01T00:00:00+00:00"] {
            assert!(
                validate_event(json!({"event_type": "x", "timestamp": good}), "").is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn metadata_must_be_a_shallow_enough_object() {
        assert_eq!(
            field_of(validate_event(
                json!({"event_type": "x", "metadata": [1]}),
                ""
            )),
            "metadata"
        );
        let mut deep = json!({});
        for _ in 0..16 {
            deep = json!({ "d": deep });
        }
        assert_eq!(
            field_of(validate_event(
                json!({"event_type": "x", "metadata": deep}),
                ""
            )),
            "metadata"
        );
        let mut ok = json!({});
        for _ in 0..15 {
            ok = json!({ "d": ok });
        }
        assert!(validate_event(json!({"event_type": "x", "metadata": ok}), "").is_ok());
    }

    #[test]
    fn tenant_id_and_event_id_are_checked() {
        assert_eq!(
            field_of(validate_event(
                json!({"event_type": "x", "tenant_id": "nope"}),
                ""
            )),
            "tenant_id"
        );
        assert_eq!(
            field_of(validate_event(
                json!({"event_type": "x", "event_id": ""}),
                ""
            )),
            "event_id"
        );
        assert_eq!(
            field_of(validate_event(
                json!({"event_type": "x", "event_id": 7}),
                ""
            )),
            "event_id"
        );
    }
}
