//! Property tests of the parsers a stranger can reach with any input: event validation, the
//! Segment and PostHog mappings, the list/stats/search query parsers, the search query
//! language and the compat body decoder. For arbitrary input each must return, never panic,
//! and every refusal must be a 4xx a client can act on (a validation error names its field).

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::compat::{body, posthog, segment};
use crate::events::ingest::validate_event;
use crate::events::query::{parse_list_query, parse_stats_query};
use crate::http::error::ApiError;
use crate::textquery::Query;

/// JSON of any shape, with the keys and values the parsers look at over-represented so that
/// generated messages get past the first checks often enough to reach the later ones.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_owned()),
        Just("event".to_owned()),
        Just("event_type".to_owned()),
        Just("userId".to_owned()),
        Just("anonymousId".to_owned()),
        Just("distinct_id".to_owned()),
        Just("timestamp".to_owned()),
        Just("sentAt".to_owned()),
        Just("sent_at".to_owned()),
        Just("offset".to_owned()),
        Just("messageId".to_owned()),
        Just("uuid".to_owned()),
        Just("metadata".to_owned()),
        Just("properties".to_owned()),
        Just("context".to_owned()),
        Just("tenant_id".to_owned()),
        Just("event_id".to_owned()),
        Just("api_key".to_owned()),
        Just("token".to_owned()),
        Just("writeKey".to_owned()),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from("track")),
        Just(Value::from("2026-12-01T10:00:00Z")),
        Just(Value::from("9999-12-31T23:59:59-23:59")),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(20, 200, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object that has what a message needs to be mapped (a name and an id) besides anything
/// [`json`] makes, so that generated cases reach the end of the mappings too.
fn plausible_message() -> impl Strategy<Value = Value> {
    (json(), ".{1,20}", ".{1,20}", json()).prop_map(|(extra, name, id, properties)| {
        let mut message = match extra {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        message.insert("event".into(), Value::from(name));
        message.insert("distinct_id".into(), Value::from(id.clone()));
        message.insert("userId".into(), Value::from(id));
        message.insert("properties".into(), properties);
        message.insert("api_key".into(), Value::from("trb_secret"));
        message.insert("writeKey".into(), Value::from("trb_secret"));
        Value::Object(message)
    })
}

fn received() -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default()
}

/// A refusal a client can act on: a 4xx, and a validation error names its field.
fn actionable(error: &ApiError) -> Result<(), TestCaseError> {
    prop_assert!(error.status().is_client_error(), "{error:?}");
    if matches!(error, ApiError::Validation { .. }) {
        prop_assert!(error.field().is_some(), "{error:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn event_validation_never_panics_and_names_the_field(value in json()) {
        if let Err(error) = validate_event(value, "events[3].") {
            let error = ApiError::from(error);
            actionable(&error)?;
            prop_assert!(error.field().is_some_and(|f| f.starts_with("events[3]")), "{error:?}");
        }
    }

    #[test]
    fn the_segment_mapping_never_panics_and_refuses_with_a_field(
        value in prop_oneof![json(), plausible_message()],
        typed in any::<bool>(),
    ) {
        let kind = typed.then_some(segment::Kind::Track);
        let prefix = Some("batch[7]".to_owned());
        match segment::map_message(value, kind, &segment::Defaults::default(), &prefix, received()) {
            Ok(event) => {
                prop_assert!(crate::events::ingest::is_valid_event_type(&event.event_type));
                prop_assert!(!event.metadata.contains_key("writeKey"));
            }
            Err(error) => {
                actionable(&error)?;
                prop_assert!(error.field().is_some_and(|f| f.starts_with("batch[7]")), "{error:?}");
            }
        }
    }

    #[test]
    fn the_posthog_mapping_never_panics_and_refuses_with_a_field(
        value in prop_oneof![json(), plausible_message()],
    ) {
        let prefix = Some("batch[2]".to_owned());
        match posthog::map_event(value, &posthog::Defaults::default(), &prefix, received()) {
            Ok(event) => {
                prop_assert!(crate::events::ingest::is_valid_event_type(&event.event_type));
                prop_assert!(!event.metadata.contains_key("api_key") && !event.metadata.contains_key("token"));
            }
            Err(error) => {
                actionable(&error)?;
                prop_assert!(error.field().is_some_and(|f| f.starts_with("batch[2]")), "{error:?}");
            }
        }
    }

    #[test]
    fn query_parsers_never_panic_and_name_the_parameter(
        pairs in prop::collection::vec(
            (prop_oneof![
                Just("event_type".to_owned()), Just("from".to_owned()), Just("to".to_owned()),
                Just("limit".to_owned()), Just("cursor".to_owned()), Just("interval".to_owned()),
                Just("tenant_id".to_owned()), Just("group_by".to_owned()), Just("q".to_owned()),
                "meta\\.[a-z.\"\\\\]{0,8}", ".{0,8}",
            ], ".{0,30}"),
            0..30,
        )
    ) {
        let raw: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        if let Err(error) = parse_list_query(Some(&raw)) {
            actionable(&error.into())?;
        }
        if let Err(error) = parse_stats_query(Some(&raw), received()) {
            actionable(&error.into())?;
        }
        if let Err(error) = crate::search::parse_params(Some(&raw)) {
            actionable(&error.into())?;
        }
    }

    #[test]
    fn the_search_language_never_panics(q in ".{0,120}") {
        let _ = Query::parse(&q);
    }

    #[test]
    fn the_compat_body_decoder_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        form in any::<bool>(),
        compression in prop_oneof![Just(None), Just(Some("lz64")), Just(Some("gzip-js")), Just(Some("base64"))],
    ) {
        let mut headers = axum::http::HeaderMap::new();
        if form {
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let wire = body::Wire {
            method: axum::http::Method::POST,
            headers,
            query: compression.map(|c| format!("compression={c}")),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(error) = runtime.block_on(wire.read(axum::body::Body::from(bytes), 4096)) {
            actionable(&error)?;
        }
    }
}
