//! Query parameters of the listing and stats endpoints, parsed into typed filters, and the
//! opaque pagination cursor. `event_type` is repeatable and `meta.<path>` names (`meta.<path>!`
//! for the exclusion `!=`) are open-ended, so these are read from the raw query string rather
//! than a derived struct. Unknown parameters are refused: a typo should not silently return
//! unfiltered data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::ingest::{TIMESTAMP_RULE, event_type_error, is_valid_event_type, parse_timestamp};
use super::{EventCursor, EventFilter, StatsInterval};
use crate::error::ValidationError;
use crate::tenants::TenantId;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// Most buckets a stats series may have, so that one request cannot ask for millions.
pub const MAX_BUCKETS: i64 = 10_000;

#[derive(Debug, Default)]
pub struct ListQuery {
    pub tenant_id: Option<TenantId>,
    pub filter: EventFilter,
    pub limit: u32,
    pub cursor: Option<EventCursor>,
}

#[derive(Debug)]
pub struct StatsQuery {
    pub tenant_id: Option<TenantId>,
    pub filter: EventFilter,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub interval: StatsInterval,
    /// `group_by=meta.<key>`: the metadata path to break the counts down by.
    pub group_by: Option<Vec<String>>,
}

/// The longest query string a list, stats or search call takes: room for the longest `q`
/// (1,000 characters, up to 12 bytes each once percent-encoded) and every filter.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Most `meta.*` filters (`=` and `!=` together) in one call: each is a condition in the query plan, and a few hundred
/// are enough to make one request cost seconds of database time.
pub const MAX_META_FILTERS: usize = 20;
/// Most `event_type` values in one call.
pub const MAX_EVENT_TYPE_FILTERS: usize = 100;

pub(crate) fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ValidationError> {
    let raw = raw.unwrap_or("");
    if raw.len() > MAX_QUERY_BYTES {
        return Err(ValidationError::new(
            "query",
            format!("the query string must be at most {MAX_QUERY_BYTES} bytes"),
        ));
    }
    Ok(form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect())
}

/// Applies a parameter shared by list and stats; returns false when the name is not one.
pub(crate) fn common(
    name: &str,
    value: &str,
    tenant_id: &mut Option<TenantId>,
    filter: &mut EventFilter,
) -> Result<bool, ValidationError> {
    match name {
        "tenant_id" => {
            let id = Uuid::parse_str(value)
                .map_err(|_| ValidationError::new("tenant_id", "tenant_id must be a UUID"))?;
            *tenant_id = Some(TenantId(id));
        }
        "event_type" => {
            if !is_valid_event_type(value) {
                return Err(event_type_error("event_type".into()));
            }
            filter.event_types.push(value.to_owned());
            if filter.event_types.len() > MAX_EVENT_TYPE_FILTERS {
                return Err(ValidationError::new(
                    "event_type",
                    format!("at most {MAX_EVENT_TYPE_FILTERS} event_type values per request"),
                ));
            }
        }
        "violations" => {
            filter.violations = Some(match value {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ValidationError::new(
                        "violations",
                        "violations must be true or false",
                    ));
                }
            });
        }
        "from" => filter.from = Some(time_param("from", value)?),
        "to" => filter.to = Some(time_param("to", value)?),
        "access_token" => {}
        _ => match name.strip_prefix("meta.") {
            Some(path) => {
                if value.contains('\0') {
                    return Err(ValidationError::new(
                        name,
                        "metadata filter values cannot contain NUL",
                    ));
                }
                // `meta.plan!=pro` reaches us as the name `meta.plan!` (the `=` splits the
                // pair), so a trailing `!` is the negation, and a key cannot end in `!`.
                match path.strip_suffix('!') {
                    Some(path) => filter
                        .meta_not
                        .push((meta_path(name, path)?, value.to_owned())),
                    None => filter.meta.push((meta_path(name, path)?, value.to_owned())),
                }
                if filter.meta.len() + filter.meta_not.len() > MAX_META_FILTERS {
                    return Err(ValidationError::new(
                        name,
                        format!("at most {MAX_META_FILTERS} meta.* filters per request"),
                    ));
                }
            }
            None => return Ok(false),
        },
    }
    Ok(true)
}

fn time_param(name: &'static str, value: &str) -> Result<DateTime<Utc>, ValidationError> {
    parse_timestamp(value)
        .ok_or_else(|| ValidationError::new(name, format!("{name} {TIMESTAMP_RULE}")))
}

/// `meta.user.plan` → `["user", "plan"]`. Segments must be non-empty and free of quotes.
pub(crate) fn meta_path(name: &str, path: &str) -> Result<Vec<String>, ValidationError> {
    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
    let valid = segments.iter().all(|s| {
        !s.is_empty()
            && s.len() <= 128
            && !s.contains(['"', '\\'])
            && !s.chars().any(char::is_control)
    });
    if !valid || segments.len() > 16 {
        return Err(ValidationError::new(
            name,
            "metadata filters look like meta.<key>[.<nested key>]=<value> (or !=<value>)",
        ));
    }
    Ok(segments)
}

pub(crate) fn check_range(filter: &EventFilter) -> Result<(), ValidationError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ValidationError::new("from", "from must be earlier than to"));
    }
    Ok(())
}

pub(crate) fn unknown(name: &str) -> ValidationError {
    ValidationError::new(name, format!("unknown query parameter `{name}`"))
}

pub fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ValidationError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    for (name, value) in pairs(raw)? {
        if common(&name, &value, &mut query.tenant_id, &mut query.filter)? {
            continue;
        }
        match name.as_str() {
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ValidationError::new("limit", format!("limit must be 1-{MAX_LIMIT}"))
                    })?;
            }
            "cursor" => query.cursor = Some(decode_cursor(&value)?),
            // The search engine's language, as a filter: the list stays newest first.
            "q" => crate::search::add_q(&mut query.filter, &value)?,
            _ => return Err(unknown(&name)),
        }
    }
    check_range(&query.filter)?;
    Ok(query)
}

/// Stats default to the last 24 hours, with an interval that gives a readable number of
/// buckets for the range: minutes up to 3 hours, hours up to 7 days, days beyond.
pub fn parse_stats_query(
    raw: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StatsQuery, ValidationError> {
    let mut tenant_id = None;
    let mut filter = EventFilter::default();
    let mut interval = None;
    let mut group_by = None;
    for (name, value) in pairs(raw)? {
        if common(&name, &value, &mut tenant_id, &mut filter)? {
            continue;
        }
        match name.as_str() {
            "interval" => {
                interval = Some(match value.as_str() {
                    "minute" => StatsInterval::Minute,
                    "hour" => StatsInterval::Hour,
                    "day" => StatsInterval::Day,
                    _ => {
                        return Err(ValidationError::new(
                            "interval",
                            "interval must be minute, hour or day",
                        ));
                    }
                })
            }
            "group_by" => {
                let path = value.strip_prefix("meta.").ok_or_else(|| {
                    ValidationError::new(
                        "group_by",
                        "group_by names a metadata key: meta.<key>[.<nested key>]",
                    )
                })?;
                let path = meta_path("group_by", path).map_err(|_| {
                    ValidationError::new(
                        "group_by",
                        "group_by names a metadata key: meta.<key>[.<nested key>]",
                    )
                })?;
                if group_by.replace(path).is_some() {
                    return Err(ValidationError::new(
                        "group_by",
                        "group_by can be given once",
                    ));
                }
            }
            _ => return Err(unknown(&name)),
        }
    }
    let to = filter.to.unwrap_or(now);
    let from = filter.from.unwrap_or(to - Duration::hours(24));
    filter.from = Some(from);
    filter.to = Some(to);
    check_range(&filter)?;
    let span = (to - from).num_seconds();
    let interval = interval.unwrap_or(if span <= 3 * 3600 {
        StatsInterval::Minute
    } else if span <= 7 * 86_400 {
        StatsInterval::Hour
    } else {
        StatsInterval::Day
    });
    if span / interval.seconds() > MAX_BUCKETS {
        return Err(ValidationError::new(
            "interval",
            format!(
                "that range has more than {MAX_BUCKETS} buckets at this interval; pick a wider interval"
            ),
        ));
    }
    Ok(StatsQuery {
        tenant_id,
        filter,
        from,
        to,
        interval,
        group_by,
    })
}

/// The cursor is opaque to clients: base64url of `<timestamp micros>.<id>`.
pub fn encode_cursor(cursor: EventCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}.{}",
        cursor.timestamp.timestamp_micros(),
        cursor.id
    ))
}

pub fn decode_cursor(raw: &str) -> Result<EventCursor, ValidationError> {
    let invalid = || ValidationError::new("cursor", "cursor is not one this server issued");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
    let timestamp = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok(EventCursor { timestamp, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = EventCursor {
            timestamp: Utc::now(),
            id: Uuid::now_v7(),
        };
        let decoded = decode_cursor(&encode_cursor(cursor)).unwrap();
        assert_eq!(decoded.id, cursor.id);
        assert_eq!(
            decoded.timestamp.timestamp_micros(),
            cursor.timestamp.timestamp_micros()
        );
        assert_eq!(decode_cursor("!!").unwrap_err().field(), "cursor");
    }

    #[test]
    fn list_parameters_become_a_filter() {
        let query = parse_list_query(Some(
            "event_type=a&event_type=b&meta.user.plan=pro&limit=5&from=2024-01-01T00:00:00Z",
        ))
        .unwrap();
        assert_eq!(query.filter.event_types, ["a", "b"]);
        assert_eq!(
            query.filter.meta,
            [(vec!["user".to_owned(), "plan".to_owned()], "pro".to_owned())]
        );
        assert_eq!(query.limit, 5);
        assert!(query.filter.from.is_some());
    }

    #[test]
    fn a_trailing_bang_makes_a_metadata_filter_an_exclusion() {
        let query =
            parse_list_query(Some("meta.user.plan!=pro&meta.page%21=%2Fa&meta.page=%2Fb")).unwrap();
        assert_eq!(
            query.filter.meta_not,
            [
                (vec!["user".to_owned(), "plan".to_owned()], "pro".to_owned()),
                (vec!["page".to_owned()], "/a".to_owned())
            ]
        );
        assert_eq!(
            query.filter.meta,
            [(vec!["page".to_owned()], "/b".to_owned())]
        );
        for (raw, field) in [
            ("meta.!=x", "meta.!"),
            ("meta.a..b!=x", "meta.a..b!"),
            ("meta.a!=x%00", "meta.a!"),
        ] {
            assert_eq!(
                parse_list_query(Some(raw)).unwrap_err().field(),
                field,
                "{raw}"
            );
        }
        let many: Vec<String> = (0..=MAX_META_FILTERS)
            .map(|i| {
                if i % 2 == 0 {
                    format!("meta.k{i}=v")
                } else {
                    format!("meta.k{i}!=v")
                }
            })
            .collect();
        let error = parse_list_query(Some(&many.join("&"))).unwrap_err();
        assert!(error.field().starts_with("meta.k"), "{}", error.field());
    }

    #[test]
    fn bad_list_parameters_name_their_field() {
        for (raw, field) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("from=soon", "from"),
            ("event_type=a%20b", "event_type"),
            ("meta.=x", "meta."),
            ("frm=2024-01-01T00:00:00Z", "frm"),
            ("from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
        ] {
            assert_eq!(
                parse_list_query(Some(raw)).unwrap_err().field(),
                field,
                "{raw}"
            );
        }
    }

    #[test]
    fn stats_pick_an_interval_for_the_range() {
        let now = Utc::now();
        assert_eq!(
            parse_stats_query(None, now).unwrap().interval,
            StatsInterval::Hour
        );
        let short = parse_stats_query(
            Some("from=2024-01-01T00:00:00Z&to=2024-01-01T01:00:00Z"),
            now,
        )
        .unwrap();
        assert_eq!(short.interval, StatsInterval::Minute);
        let too_many = parse_stats_query(Some("from=2000-01-01T00:00:00Z&interval=minute"), now);
        assert_eq!(too_many.unwrap_err().field(), "interval");
    }
}
