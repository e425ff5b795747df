//! One tenant's schemas, compiled, and the check an event goes through.
//!
//! Invariants: a schema is compiled once (when stored, to refuse a bad one, and when its
//! tenant's contracts are loaded); regular expressions in schemas run on the linear-time
//! `regex` engine with a size limit, so no schema can make a check take unbounded time; a
//! `$ref` can only point inside the schema (remote and file references are not compiled in).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{
    MAX_SCHEMA_BYTES, MAX_VIOLATIONS_PER_EVENT, Mode, Schema, Unplanned, Violation, specificity,
};

/// The longest violation message kept.
const MAX_MESSAGE_CHARS: usize = 300;
/// The compiled size a schema's regular expression may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a schema document cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSchema(pub String);

/// A schema compiled for checking.
pub struct Compiled {
    pub pattern: String,
    pub mode: Mode,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("pattern", &self.pattern)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Compiles a schema document (draft 2020-12), or says why it cannot be used.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, InvalidSchema> {
    if !schema.is_object() && !schema.is_boolean() {
        return Err(InvalidSchema(
            "schema must be a JSON Schema: an object (or true/false)".into(),
        ));
    }
    let size = serde_json::to_vec(schema).map(|b| b.len()).unwrap_or(0);
    if size > MAX_SCHEMA_BYTES {
        return Err(InvalidSchema(format!(
            "schema is {size} bytes; at most {MAX_SCHEMA_BYTES} are allowed"
        )));
    }
    jsonschema::draft202012::options()
        .with_pattern_options(jsonschema::PatternOptions::regex().size_limit(REGEX_SIZE_LIMIT))
        .build(schema)
        .map_err(|error| InvalidSchema(format!("invalid JSON Schema: {error}")))
}

/// What the check made of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No schema matches and unplanned types are allowed: nothing was checked.
    Unchecked,
    /// Checked by the schema named `schema` (`None`: the unplanned-type policy), in `mode`;
    /// `violations` is empty when the event passed.
    Checked {
        schema: Option<String>,
        mode: Mode,
        violations: Vec<Violation>,
    },
}

/// A tenant's schemas and policy, ready to check events.
#[derive(Debug, Default)]
pub struct Contracts {
    unplanned: Unplanned,
    exact: HashMap<String, Arc<Compiled>>,
    /// Most specific first.
    wildcards: Vec<Arc<Compiled>>,
}

impl Contracts {
    /// Compiles the stored schemas. One that no longer compiles (which storing prevents) is
    /// left out with a warning rather than blocking the tenant's ingest.
    pub fn new(unplanned: Unplanned, schemas: &[Schema]) -> Contracts {
        let mut contracts = Contracts {
            unplanned,
            ..Contracts::default()
        };
        for schema in schemas {
            let validator = match compile(&schema.schema) {
                Ok(validator) => validator,
                Err(error) => {
                    tracing::warn!(pattern = %schema.event_type, %error, "stored schema does not compile; ignored");
                    continue;
                }
            };
            let compiled = Arc::new(Compiled {
                pattern: schema.event_type.clone(),
                mode: schema.mode,
                validator,
            });
            if schema.event_type.contains('*') {
                contracts.wildcards.push(compiled);
            } else {
                contracts.exact.insert(schema.event_type.clone(), compiled);
            }
        }
        contracts.wildcards.sort_by(|a, b| {
            specificity(&b.pattern)
                .cmp(&specificity(&a.pattern))
                .then_with(|| a.pattern.cmp(&b.pattern))
        });
        contracts
    }

    /// Whether no event of this tenant is ever checked.
    pub fn is_off(&self) -> bool {
        self.unplanned == Unplanned::Allow && self.exact.is_empty() && self.wildcards.is_empty()
    }

    /// The schema that applies to `event_type`: an exact one, else the most specific pattern.
    pub fn find(&self, event_type: &str) -> Option<&Compiled> {
        self.exact
            .get(event_type)
            .or_else(|| {
                self.wildcards
                    .iter()
                    .find(|c| super::pattern_matches(&c.pattern, event_type))
            })
            .map(Arc::as_ref)
    }

    /// Checks one event's metadata.
    pub fn check(&self, event_type: &str, metadata: &mut Map<String, Value>) -> Verdict {
        let Some(compiled) = self.find(event_type) else {
            return match self.unplanned {
                Unplanned::Allow => Verdict::Unchecked,
                Unplanned::Warn | Unplanned::Block => Verdict::Checked {
                    schema: None,
                    mode: if self.unplanned == Unplanned::Warn {
                        Mode::Warn
                    } else {
                        Mode::Block
                    },
                    violations: vec![Violation {
                        path: String::new(),
                        message: format!("no schema matches event type {event_type:?}"),
                    }],
                },
            };
        };
        // The validator takes a `Value`: lend it the map and take it back, without a copy.
        let instance = Value::Object(std::mem::take(metadata));
        let violations = if compiled.validator.is_valid(&instance) {
            Vec::new()
        } else {
            compiled
                .validator
                .iter_errors(&instance)
                .take(MAX_VIOLATIONS_PER_EVENT)
                .map(|error| Violation {
                    path: error.instance_path().as_str().to_owned(),
                    message: truncate(error.to_string()),
                })
                .collect()
        };
        if let Value::Object(map) = instance {
            *metadata = map;
        }
        Verdict::Checked {
            schema: Some(compiled.pattern.clone()),
            mode: compiled.mode,
            violations,
        }
    }
}

fn truncate(mut message: String) -> String {
    if message.chars().count() > MAX_MESSAGE_CHARS {
        message = message.chars().take(MAX_MESSAGE_CHARS - 1).collect();
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;

    fn schema(pattern: &str, mode: Mode, schema: Value) -> Schema {
        Schema {
            event_type: pattern.into(),
            mode,
            schema,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn metadata(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn plan_schema() -> Value {
        json!({
            "type": "object",
            "properties": {"plan": {"enum": ["free", "pro"]}, "user": {"type": "object",
                "properties": {"age": {"type": "integer"}}}},
            "required": ["plan"]
        })
    }

    #[test]
    fn a_valid_event_passes_and_keeps_its_metadata() {
        let contracts = Contracts::new(
            Unplanned::Allow,
            &[schema("signup", Mode::Block, plan_schema())],
        );
        let mut meta = metadata(json!({"plan": "pro", "extra": [1, 2]}));
        let verdict = contracts.check("signup", &mut meta);
        assert_eq!(
            verdict,
            Verdict::Checked {
                schema: Some("signup".into()),
                mode: Mode::Block,
                violations: vec![]
            }
        );
        assert_eq!(Value::Object(meta), json!({"plan": "pro", "extra": [1, 2]}));
    }

    #[test]
    fn violations_name_the_json_pointer_of_each_failing_value() {
        let contracts = Contracts::new(
            Unplanned::Allow,
            &[schema("signup", Mode::Warn, plan_schema())],
        );
        let mut meta = metadata(json!({"plan": "gold", "user": {"age": "ten"}}));
        let Verdict::Checked { violations, .. } = contracts.check("signup", &mut meta) else {
            panic!("not checked");
        };
        let mut paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, vec!["/plan", "/user/age"]);
        assert!(violations.iter().all(|v| !v.message.is_empty()));

        let mut missing = metadata(json!({}));
        let Verdict::Checked { violations, .. } = contracts.check("signup", &mut missing) else {
            panic!("not checked");
        };
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].path, "");
        assert!(violations[0].message.contains("plan"), "{violations:?}");
    }

    #[test]
    fn the_exact_schema_beats_patterns_and_the_longest_pattern_beats_shorter_ones() {
        let contracts = Contracts::new(
            Unplanned::Block,
            &[
                schema("*", Mode::Observe, json!(true)),
                schema("order.*", Mode::Warn, json!(true)),
                schema("order.created", Mode::Block, json!(true)),
                schema("order.ref*", Mode::Observe, json!(true)),
            ],
        );
        let pattern = |t: &str| contracts.find(t).map(|c| c.pattern.clone());
        assert_eq!(pattern("order.created").as_deref(), Some("order.created"));
        assert_eq!(pattern("order.refunded").as_deref(), Some("order.ref*"));
        assert_eq!(pattern("order.paid").as_deref(), Some("order.*"));
        assert_eq!(pattern("signup").as_deref(), Some("*"));
    }

    #[test]
    fn unplanned_types_follow_the_policy() {
        let only_signup = [schema("signup", Mode::Observe, json!(true))];
        let mut meta = Map::new();
        assert_eq!(
            Contracts::new(Unplanned::Allow, &only_signup).check("other", &mut meta),
            Verdict::Unchecked
        );
        for (policy, mode) in [
            (Unplanned::Warn, Mode::Warn),
            (Unplanned::Block, Mode::Block),
        ] {
            let Verdict::Checked {
                schema,
                mode: got,
                violations,
            } = Contracts::new(policy, &only_signup).check("other", &mut meta)
            else {
                panic!("not checked");
            };
            assert_eq!((schema, got), (None, mode));
            assert_eq!(violations[0].path, "");
            assert!(violations[0].message.contains("other"));
        }
        assert!(Contracts::new(Unplanned::Allow, &[]).is_off());
        assert!(!Contracts::new(Unplanned::Warn, &[]).is_off());
    }

    #[test]
    fn bad_schemas_are_refused_with_the_reason() {
        for bad in [
            json!({"type": "no-such-type"}),
            json!({"$ref": "https://example.com/schema.json"}),
            json!({"pattern": "("}),
            json!("a string"),
            json!({"minLength": -1}),
        ] {
            let error = compile(&bad).expect_err(&bad.to_string());
            assert!(!error.0.is_empty());
        }
        let huge = json!({"description": "x".repeat(MAX_SCHEMA_BYTES)});
        assert!(compile(&huge).unwrap_err().0.contains("bytes"));
        assert!(compile(&json!({"type": "object"})).is_ok());
    }

    #[test]
    fn a_pathological_pattern_cannot_backtrack() {
        // Catastrophic for a backtracking engine; linear on the `regex` crate.
        let validator = compile(&json!({"properties": {"s": {"pattern": "^(a+)+$"}}})).unwrap();
        let instance = json!({"s": format!("{}b", "a".repeat(50_000))});
        let started = std::time::Instant::now();
        assert!(!validator.is_valid(&instance));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
