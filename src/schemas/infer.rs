//! A proposed schema from stored events: what a team reviews before it turns a schema on.
//!
//! Rules: each key gets the JSON types seen at it (`integer` when every number was whole,
//! else `number`); a key is `required` when present in at least [`REQUIRED_SHARE`] of the
//! objects that could hold it; a string key with few distinct short values, each seen often
//! enough, gets an `enum`; objects and array items are inferred the same way, down to
//! [`MAX_DEPTH`]. Nothing else is guessed (no formats, no `additionalProperties`): the
//! proposal accepts every sampled event except those that lack a key nearly all others have
//! (flagging those is the point of `required`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// Share of objects that must hold a key for it to be required.
pub const REQUIRED_SHARE: f64 = 0.95;
/// Most distinct values for a string key to be an `enum`.
pub const MAX_ENUM_VALUES: usize = 10;
/// Fewest observations of a string key before it can be an `enum`.
pub const MIN_ENUM_SAMPLES: u64 = 20;
const MAX_ENUM_VALUE_CHARS: usize = 64;
const MAX_DEPTH: usize = 8;

/// What was seen at one place in the documents.
struct Seen {
    /// Values seen here.
    count: u64,
    types: BTreeSet<&'static str>,
    /// Distinct strings, while there are few enough of them to be an enum.
    strings: Option<BTreeMap<String, u64>>,
    strings_seen: u64,
    object: Option<Fields>,
    items: Option<Box<Seen>>,
}

#[derive(Default)]
struct Fields {
    /// Objects seen here.
    count: u64,
    keys: BTreeMap<String, Seen>,
}

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            count: 0,
            types: BTreeSet::new(),
            // Every string is a candidate enum value until there are too many.
            strings: Some(BTreeMap::new()),
            strings_seen: 0,
            object: None,
            items: None,
        }
    }
}

impl Seen {
    fn add(&mut self, value: &Value, depth: usize) {
        self.count += 1;
        match value {
            Value::Null => {
                self.types.insert("null");
            }
            Value::Bool(_) => {
                self.types.insert("boolean");
            }
            Value::Number(n) => {
                self.types.insert(if n.is_i64() || n.is_u64() {
                    "integer"
                } else {
                    "number"
                });
            }
            Value::String(s) => {
                self.types.insert("string");
                self.strings_seen += 1;
                if let Some(strings) = &mut self.strings {
                    if s.chars().count() > MAX_ENUM_VALUE_CHARS {
                        self.strings = None;
                    } else {
                        *strings.entry(s.clone()).or_default() += 1;
                        if strings.len() > MAX_ENUM_VALUES {
                            self.strings = None;
                        }
                    }
                }
            }
            Value::Array(items) => {
                self.types.insert("array");
                if depth < MAX_DEPTH {
                    let seen = self.items.get_or_insert_default();
                    for item in items {
                        seen.add(item, depth + 1);
                    }
                }
            }
            Value::Object(map) => {
                self.types.insert("object");
                if depth < MAX_DEPTH {
                    self.object
                        .get_or_insert_with(Fields::default)
                        .add(map, depth + 1);
                }
            }
        }
    }

    fn schema(&self) -> Value {
        let mut schema = Map::new();
        // A whole number is a number too: seeing both means "number".
        let mut types = self.types.clone();
        if types.contains("number") {
            types.remove("integer");
        }
        match types.len() {
            0 => {}
            1 => {
                schema.insert("type".into(), json!(types.iter().next()));
            }
            _ => {
                schema.insert("type".into(), json!(types));
            }
        }
        if let Some(strings) = &self.strings
            && types.len() == 1
            && types.contains("string")
            && self.strings_seen >= MIN_ENUM_SAMPLES
            && !strings.is_empty()
        {
            schema.insert("enum".into(), json!(strings.keys().collect::<Vec<_>>()));
        }
        if let Some(fields) = &self.object {
            fields.describe(&mut schema);
        }
        if let Some(items) = &self.items
            && items.count > 0
        {
            schema.insert("items".into(), items.schema());
        }
        Value::Object(schema)
    }
}

impl Fields {
    fn add(&mut self, map: &Map<String, Value>, depth: usize) {
        self.count += 1;
        for (key, value) in map {
            self.keys.entry(key.clone()).or_default().add(value, depth);
        }
    }

    fn describe(&self, schema: &mut Map<String, Value>) {
        let properties: Map<String, Value> = self
            .keys
            .iter()
            .map(|(key, seen)| (key.clone(), seen.schema()))
            .collect();
        let required: Vec<&String> = self
            .keys
            .iter()
            .filter(|(_, seen)| seen.count as f64 >= REQUIRED_SHARE * self.count as f64)
            .map(|(key, _)| key)
            .collect();
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), json!(required));
        }
    }
}

/// The proposed schema for these metadata objects.
pub fn infer<'a>(samples: impl IntoIterator<Item = &'a Map<String, Value>>) -> Value {
    let mut fields = Fields::default();
    for metadata in samples {
        fields.add(metadata, 1);
    }
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    schema.insert("type".into(), json!("object"));
    fields.describe(&mut schema);
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::contract::compile;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    /// 200 events: `plan` one of three values always; `amount` whole or not; `coupon` in 10%;
    /// `user.id` a unique string always; `tags` strings; `ref` in 96%.
    fn corpus() -> Vec<Map<String, Value>> {
        (0..200)
            .map(|i| {
                let plan = ["free", "pro", "team"][i % 3];
                let mut event = json!({
                    "plan": plan,
                    "amount": if i % 2 == 0 { json!(i) } else { json!(i as f64 + 0.5) },
                    "user": {"id": format!("u-{i}"), "age": i % 90},
                    "tags": ["a", "b"],
                });
                if i % 10 == 0 {
                    event["coupon"] = json!("SPRING");
                }
                if i % 25 != 0 {
                    event["ref"] = json!(format!("r{i}"));
                }
                map(event)
            })
            .collect()
    }

    #[test]
    fn the_proposal_has_types_required_keys_and_enums() {
        let events = corpus();
        let schema = infer(&events);
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["plan"]["type"], "string");
        assert_eq!(
            schema["properties"]["plan"]["enum"],
            json!(["free", "pro", "team"])
        );
        assert_eq!(schema["properties"]["amount"]["type"], "number");
        assert_eq!(schema["properties"]["user"]["type"], "object");
        assert_eq!(
            schema["properties"]["user"]["properties"]["age"]["type"],
            "integer"
        );
        // Unique per event: not an enum.
        assert!(
            schema["properties"]["user"]["properties"]["id"]
                .get("enum")
                .is_none()
        );
        assert_eq!(schema["properties"]["tags"]["items"]["type"], "string");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        // `ref` is in 192 of 200 events (96%); `coupon` in 10%.
        assert_eq!(required, vec!["amount", "plan", "ref", "tags", "user"]);
    }

    #[test]
    fn sampled_events_pass_the_proposal_unless_they_lack_a_nearly_always_present_key() {
        let events = corpus();
        let validator = compile(&infer(&events)).expect("the proposal compiles");
        for event in &events {
            let instance = Value::Object(event.clone());
            if event.contains_key("ref") {
                assert!(validator.is_valid(&instance), "{event:?}");
            } else {
                let errors: Vec<String> = validator
                    .iter_errors(&instance)
                    .map(|e| e.to_string())
                    .collect();
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert!(errors[0].contains("ref"), "{errors:?}");
            }
        }
        let wrong = json!({"plan": "gold", "amount": 1, "user": {}, "tags": [], "ref": "x"});
        assert!(!validator.is_valid(&wrong));
    }

    #[test]
    fn few_samples_give_no_enum_and_mixed_types_a_list() {
        let events: Vec<_> = (0..5)
            .map(|i| map(json!({"k": if i % 2 == 0 { json!("x") } else { json!(null) }})))
            .collect();
        let schema = infer(&events);
        assert_eq!(schema["properties"]["k"]["type"], json!(["null", "string"]));
        assert!(schema["properties"]["k"].get("enum").is_none());
        let empty: Vec<Map<String, Value>> = Vec::new();
        assert_eq!(infer(&empty)["properties"], json!({}));
    }
}
