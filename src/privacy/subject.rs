//! A subject: the events of one person (or account, device…), named by metadata values, as
//! `{"meta.user_id": "u-42"}`. Deletions select a subject's stored events by it, and
//! suppressions its future ones.
//!
//! Invariants: a subject has 1 to [`MAX_PAIRS`] pairs, every one of which an event must match;
//! values compare as the list endpoint's `meta.<key>=<value>` filters do (strings by their
//! content, numbers and booleans by their JSON text; null, objects and arrays never match), so
//! that the list shows exactly the events a deletion takes and a suppression drops.

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::events::query::{MAX_META_FILTERS, meta_path};

/// Most pairs in one subject.
pub const MAX_PAIRS: usize = MAX_META_FILTERS;
/// Longest value of a pair.
pub const MAX_VALUE_CHARS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// `(["user", "id"], "u-42")`, sorted by path, so that equal subjects compare equal.
    pairs: Vec<(Vec<String>, String)>,
}

impl Subject {
    /// Reads `{"meta.<key>": <string, number or boolean>, ...}`; errors name `field.<name>`.
    pub fn parse(field: &str, object: &Map<String, Value>) -> Result<Subject, ValidationError> {
        if object.is_empty() || object.len() > MAX_PAIRS {
            return Err(ValidationError::new(
                field,
                format!("{field} needs 1 to {MAX_PAIRS} \"meta.<key>\": value pairs"),
            ));
        }
        let mut pairs = Vec::with_capacity(object.len());
        for (name, value) in object {
            let here = format!("{field}.{name}");
            let Some(path) = name.strip_prefix("meta.") else {
                return Err(ValidationError::new(
                    here,
                    "keys look like meta.<key>[.<nested key>]",
                ));
            };
            let path = meta_path(&here, path)?;
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                _ => {
                    return Err(ValidationError::new(
                        here,
                        "a value must be a string, a number or a boolean",
                    ));
                }
            };
            if text.chars().count() > MAX_VALUE_CHARS || text.contains('\0') {
                return Err(ValidationError::new(
                    here,
                    format!("a value has at most {MAX_VALUE_CHARS} characters and no NUL"),
                ));
            }
            pairs.push((path, text));
        }
        pairs.sort();
        Ok(Subject { pairs })
    }

    /// The pairs as the list endpoint's `meta.*` filters take them.
    pub fn pairs(&self) -> &[(Vec<String>, String)] {
        &self.pairs
    }

    /// `{"meta.user.id": "u-42"}`: how the API shows it and the store keeps it (values as
    /// text, keys sorted).
    pub fn to_json(&self) -> Map<String, Value> {
        self.pairs
            .iter()
            .map(|(path, value)| {
                (
                    format!("meta.{}", path.join(".")),
                    Value::String(value.clone()),
                )
            })
            .collect()
    }

    /// Whether an event with this metadata belongs to the subject.
    pub fn matches(&self, metadata: &Map<String, Value>) -> bool {
        self.pairs
            .iter()
            .all(|(path, expected)| value_at(metadata, path).is_some_and(|v| same(v, expected)))
    }
}

fn value_at<'a>(metadata: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(metadata.get(first)?, |value, key| {
        value.as_object()?.get(key)
    })
}

fn same(value: &Value, expected: &str) -> bool {
    match value {
        Value::String(text) => text == expected,
        Value::Number(number) => number.to_string() == expected,
        Value::Bool(flag) => expected == if *flag { "true" } else { "false" },
        Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn subject(value: Value) -> Result<Subject, ValidationError> {
        Subject::parse("match", value.as_object().expect("an object"))
    }

    fn metadata(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn every_pair_must_match_at_its_nested_path() {
        let s = subject(json!({"meta.user.id": "u-42", "meta.plan": "pro"})).unwrap();
        assert!(s.matches(&metadata(json!({"user": {"id": "u-42"}, "plan": "pro"}))));
        assert!(!s.matches(&metadata(json!({"user": {"id": "u-42"}, "plan": "free"}))));
        assert!(!s.matches(&metadata(json!({"user": {"id": "u-42"}}))));
        assert!(!s.matches(&metadata(json!({"user": "u-42", "plan": "pro"}))));
    }

    #[test]
    fn values_compare_as_the_list_filters_do() {
        let number = subject(json!({"meta.n": 7})).unwrap();
        assert!(number.matches(&metadata(json!({"n": 7}))));
        assert!(number.matches(&metadata(json!({"n": "7"}))));
        assert!(!number.matches(&metadata(json!({"n": 7.5}))));
        let flag = subject(json!({"meta.ok": true})).unwrap();
        assert!(flag.matches(&metadata(json!({"ok": true}))));
        assert!(!flag.matches(&metadata(json!({"ok": false}))));
        let text = subject(json!({"meta.v": "null"})).unwrap();
        assert!(!text.matches(&metadata(json!({"v": null}))));
        assert!(!text.matches(&metadata(json!({"v": ["null"]}))));
    }

    #[test]
    fn equal_subjects_compare_equal_whatever_their_key_order() {
        let a = subject(json!({"meta.a": "1", "meta.b": "2"})).unwrap();
        let b = subject(json!({"meta.b": "2", "meta.a": 1})).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            Value::Object(a.to_json()),
            json!({"meta.a": "1", "meta.b": "2"})
        );
    }

    #[test]
    fn bad_subjects_name_their_field() {
        assert_eq!(subject(json!({})).unwrap_err().field, "match");
        assert_eq!(
            subject(json!({"user_id": "u"})).unwrap_err().field,
            "match.user_id"
        );
        assert_eq!(
            subject(json!({"meta.": "u"})).unwrap_err().field,
            "match.meta."
        );
        assert_eq!(
            subject(json!({"meta.u": null})).unwrap_err().field,
            "match.meta.u"
        );
        assert_eq!(
            subject(json!({"meta.u": {"a": 1}})).unwrap_err().field,
            "match.meta.u"
        );
        let many: Map<String, Value> = (0..=MAX_PAIRS)
            .map(|i| (format!("meta.k{i}"), json!("v")))
            .collect();
        assert_eq!(Subject::parse("match", &many).unwrap_err().field, "match");
    }
}
