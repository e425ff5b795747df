//! Privacy: redaction of personal data at ingest, before anything is stored, streamed or
//! delivered; deletion of a subject's stored events ([`deletions`]); and suppression of a
//! subject's future ones ([`suppressions`]). A subject ([`subject`]) is named by metadata
//! values, as `{"meta.user_id": "u-42"}`.
//!
//! A tenant's [`Policy`] holds rules (a metadata path → `drop`, `mask` or `hash`) and the
//! built-in detectors it switched on (e-mail addresses, card numbers that pass the Luhn check,
//! IBANs that pass the mod-97 check, international phone numbers), each with its action.
//! The pipeline ([`crate::pipeline`]) runs [`redact::Redactor::redact`] on every event after the
//! schema check (schemas describe what senders send) and before the commit, so the original
//! values never reach the database, the search index, the live stream, webhooks or the
//! schema examples.
//!
//! Invariants:
//! - `hash` is HMAC-SHA256 under a key of the tenant's own, made when its policy is first
//!   saved and never shown: the same value hashes the same way in every event (joins still
//!   work) and differently in another tenant.
//! - A policy is validated whole before it is saved; a saved policy always compiles.
//! - A tenant without a policy costs one cache lookup per request.

pub mod deletions;
pub mod redact;
pub mod registry;
pub mod routes;
pub mod subject;
pub mod suppressions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;

/// Most rules one policy holds.
pub const MAX_RULES: usize = 50;
/// Most segments in a rule's path.
pub const MAX_PATH_SEGMENTS: usize = 16;
pub const MAX_PATH_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RedactionAction)]
pub enum Action {
    /// The key is removed (a detector's match is replaced by `[redacted]`).
    Drop,
    /// The value keeps its shape: `j***@example.com`, `************4242`, `a***z`.
    Mask,
    /// The value becomes the hex HMAC-SHA256 of its text under the tenant's key.
    Hash,
}

/// A metadata path and what happens to the value there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RedactionRule)]
pub struct Rule {
    /// Dotted keys into `metadata`, optionally starting with `metadata.`; `*` stands for any
    /// key at its level; arrays on the way apply the rest of the path to each element:
    /// `metadata.email`, `user.*`, `context.ip`, `items.card`.
    pub path: String,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    Email,
    /// A country code, two check digits and 11 to 30 letters or digits, passing mod 97.
    Iban,
    /// 13 to 19 digits (spaces or dashes between) that pass the Luhn check.
    Card,
    /// `+` and a country code, 8 to 15 digits in all.
    Phone,
}

/// A detector switched on, and what it does to what it finds in any string of `metadata`
/// (numbers are not scanned). Detectors run in a fixed order, most specific first: e-mail,
/// IBAN, card, phone, whatever order they are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectorRule {
    pub detector: Detector,
    pub action: Action,
}

/// A tenant's redaction policy. The default (no rules, no detectors) changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PrivacyPolicy)]
pub struct Policy {
    /// Applied in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Applied after the rules, to every string left.
    #[serde(default)]
    pub detectors: Vec<DetectorRule>,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.detectors.is_empty()
    }

    /// Checks every rule, naming the first bad one's field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.rules.len() > MAX_RULES {
            return Err(ValidationError::new(
                "rules",
                format!("at most {MAX_RULES} rules"),
            ));
        }
        for (index, rule) in self.rules.iter().enumerate() {
            parse_path(&rule.path)
                .map_err(|reason| ValidationError::new(format!("rules[{index}].path"), reason))?;
        }
        for (index, rule) in self.detectors.iter().enumerate() {
            if self.detectors[..index]
                .iter()
                .any(|earlier| earlier.detector == rule.detector)
            {
                return Err(ValidationError::new(
                    format!("detectors[{index}].detector"),
                    "each detector can be listed once",
                ));
            }
        }
        Ok(())
    }
}

/// A tenant's saved policy with its hashing key (never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub policy: Policy,
    pub hash_key: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// One step of a rule's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    AnyKey,
}

/// The path's segments below `metadata`, or why it is not a path.
pub fn parse_path(raw: &str) -> Result<Vec<Segment>, String> {
    const RULE: &str =
        "a path is dotted metadata keys (optionally starting with `metadata.`), `*` for any key";
    if raw.len() > MAX_PATH_CHARS {
        return Err(format!("at most {MAX_PATH_CHARS} characters"));
    }
    let below = raw.strip_prefix("metadata.").unwrap_or(raw);
    let segments: Vec<Segment> = below
        .split('.')
        .map(|segment| match segment {
            "" => Err(format!("{RULE}; an empty key is not one")),
            "*" => Ok(Segment::AnyKey),
            key => Ok(Segment::Key(key.to_owned())),
        })
        .collect::<Result<_, _>>()?;
    if segments.len() > MAX_PATH_SEGMENTS {
        return Err(format!("at most {MAX_PATH_SEGMENTS} keys deep"));
    }
    if raw == "metadata" {
        return Err(format!("{RULE}; `metadata` itself cannot be redacted"));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_dotted_keys_below_metadata_with_wildcards() {
        assert_eq!(
            parse_path("metadata.user.*").unwrap(),
            vec![Segment::Key("user".into()), Segment::AnyKey]
        );
        assert_eq!(parse_path("context.ip").unwrap().len(), 2);
        for bad in ["", "a..b", "metadata.", ".a", "metadata"] {
            assert!(parse_path(bad).is_err(), "{bad:?}");
        }
        assert!(parse_path(&vec!["a"; 17].join(".")).is_err());
    }

    #[test]
    fn a_policy_names_its_first_bad_rule() {
        let policy = Policy {
            rules: vec![
                Rule {
                    path: "email".into(),
                    action: Action::Mask,
                },
                Rule {
                    path: "a..b".into(),
                    action: Action::Drop,
                },
            ],
            detectors: Vec::new(),
        };
        assert_eq!(policy.validate().unwrap_err().field, "rules[1].path");
        let twice = Policy {
            rules: Vec::new(),
            detectors: vec![
                DetectorRule {
                    detector: Detector::Email,
                    action: Action::Mask,
                },
                DetectorRule {
                    detector: Detector::Email,
                    action: Action::Hash,
                },
            ],
        };
        assert_eq!(twice.validate().unwrap_err().field, "detectors[1].detector");
    }
}
