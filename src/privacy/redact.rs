//! Applying a tenant's [`Policy`] to an event's metadata.
//!
//! Rules first, in order, then the detectors over every string left. Masking keeps a value's
//! shape; hashing is HMAC-SHA256 under the tenant's key, hex-encoded, of the value's text (a
//! string's content, other scalars' JSON text; a detector's match with its separators taken
//! out, so `4242 4242 4242 4242` and `4242424242424242` hash alike). `null` stays `null`.

use std::collections::HashSet;
use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{Action, Detector, Policy, Segment, parse_path};
use crate::events::Violation;

/// What a detector's match becomes under `drop`.
pub const DROPPED: &str = "[redacted]";

/// A tenant's policy, compiled.
pub struct Redactor {
    rules: Vec<(Vec<Segment>, Action)>,
    detectors: Vec<(Detector, Action)>,
    /// HMAC-SHA256 keyed with the tenant's key once: each hash clones it (a copy of the state)
    /// instead of keying again (two compressions).
    keyed: Option<Hmac<Sha256>>,
}

impl Redactor {
    /// Compiles a validated policy; a rule whose path does not parse is skipped (a saved
    /// policy has none).
    pub fn new(policy: &Policy, key: Vec<u8>) -> Redactor {
        Redactor {
            rules: policy
                .rules
                .iter()
                .filter_map(|rule| Some((parse_path(&rule.path).ok()?, rule.action)))
                .collect(),
            detectors: {
                let mut detectors: Vec<(Detector, Action)> = policy
                    .detectors
                    .iter()
                    .map(|rule| (rule.detector, rule.action))
                    .collect();
                detectors.sort_by_key(|(detector, _)| *detector);
                detectors
            },
            keyed: Hmac::<Sha256>::new_from_slice(&key).ok(),
        }
    }

    /// Whether this redactor changes nothing (the tenant has no policy).
    pub fn is_off(&self) -> bool {
        self.rules.is_empty() && self.detectors.is_empty()
    }

    pub fn redact(&self, metadata: &mut Map<String, Value>) {
        for (path, action) in &self.rules {
            self.apply(metadata, path, *action);
        }
        if !self.detectors.is_empty() {
            for value in metadata.values_mut() {
                self.detect(value);
            }
        }
    }

    fn apply(&self, map: &mut Map<String, Value>, path: &[Segment], action: Action) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        match (first, rest.is_empty(), action) {
            (Segment::Key(key), true, Action::Drop) => {
                map.remove(key);
            }
            (Segment::AnyKey, true, Action::Drop) => map.clear(),
            (Segment::Key(key), true, _) => {
                if let Some(value) = map.get_mut(key) {
                    self.transform(value, action);
                }
            }
            (Segment::AnyKey, true, _) => {
                for value in map.values_mut() {
                    self.transform(value, action);
                }
            }
            (Segment::Key(key), false, _) => {
                if let Some(value) = map.get_mut(key) {
                    self.descend(value, rest, action);
                }
            }
            (Segment::AnyKey, false, _) => {
                for value in map.values_mut() {
                    self.descend(value, rest, action);
                }
            }
        }
    }

    /// Arrays on the way are transparent: the rest of the path applies to each element.
    fn descend(&self, value: &mut Value, rest: &[Segment], action: Action) {
        match value {
            Value::Object(map) => self.apply(map, rest, action),
            Value::Array(items) => {
                for item in items {
                    self.descend(item, rest, action);
                }
            }
            _ => {}
        }
    }

    /// Masks or hashes every scalar in `value`.
    fn transform(&self, value: &mut Value, action: Action) {
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for inner in map.values_mut() {
                    self.transform(inner, action);
                }
            }
            Value::Array(items) => {
                for inner in items {
                    self.transform(inner, action);
                }
            }
            Value::String(text) => {
                *text = match action {
                    Action::Hash => self.hash(text),
                    _ => mask(text),
                };
            }
            scalar => {
                let text = scalar.to_string();
                *scalar = Value::String(match action {
                    Action::Hash => self.hash(&text),
                    _ => "***".to_owned(),
                });
            }
        }
    }

    fn detect(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                for &(detector, action) in &self.detectors {
                    if let Some(replaced) = self.replace_matches(detector, action, text) {
                        *text = replaced;
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.detect(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.detect(item)),
            _ => {}
        }
    }

    /// The text with each of the detector's matches redacted, or `None` when it has none.
    fn replace_matches(&self, detector: Detector, action: Action, text: &str) -> Option<String> {
        let pattern = pattern(detector);
        if !pattern.is_match(text) {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut found = false;
        for hit in pattern.find_iter(text) {
            let matched = hit.as_str();
            if !confirmed(detector, matched) {
                continue;
            }
            found = true;
            out.push_str(&text[last..hit.start()]);
            out.push_str(&match action {
                Action::Drop => DROPPED.to_owned(),
                Action::Hash => self.hash(&compact(detector, matched)),
                Action::Mask => mask_detected(detector, matched),
            });
            last = hit.end();
        }
        found.then(|| {
            out.push_str(&text[last..]);
            out
        })
    }

    fn hash(&self, text: &str) -> String {
        // HMAC takes a key of any length, so the keyed state always exists.
        let Some(keyed) = &self.keyed else {
            return "***".to_owned();
        };
        let mut mac = keyed.clone();
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Rewrites violation messages that quote a value redaction removed or changed (a schema's
/// message names the offending value: `"123-45" is not of type "integer"`), so that a stored
/// violation does not keep what the event no longer has.
pub fn scrub_messages(
    violations: &mut [Violation],
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) {
    let mut kept = HashSet::new();
    leaves(after, &mut |text| {
        kept.insert(text);
    });
    let mut gone = Vec::new();
    leaves(before, &mut |text| {
        if !kept.contains(&text) {
            gone.push(text);
        }
    });
    // Longest first, so that a value is not left half-replaced by a shorter one inside it.
    gone.sort_by_key(|text| std::cmp::Reverse(text.len()));
    gone.dedup();
    for violation in violations {
        for text in &gone {
            if violation.message.contains(text.as_str()) {
                violation.message = violation.message.replace(text.as_str(), DROPPED);
            }
        }
    }
}

/// Each string's content and each number's text in `map`, however deep.
fn leaves(map: &Map<String, Value>, visit: &mut impl FnMut(String)) {
    fn walk(value: &Value, visit: &mut impl FnMut(String)) {
        match value {
            Value::String(text) if !text.is_empty() => visit(text.clone()),
            Value::Number(number) => visit(number.to_string()),
            Value::Array(items) => items.iter().for_each(|item| walk(item, visit)),
            Value::Object(map) => map.values().for_each(|item| walk(item, visit)),
            _ => {}
        }
    }
    map.values().for_each(|value| walk(value, visit));
}

fn pattern(detector: Detector) -> &'static Regex {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
            .expect("a valid pattern")
    });
    static CARD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").expect("a valid pattern"));
    static IBAN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b").expect("a valid pattern")
    });
    static PHONE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\+\d(?:[ .-]?\d){7,14}\b").expect("a valid pattern"));
    match detector {
        Detector::Email => &EMAIL,
        Detector::Card => &CARD,
        Detector::Iban => &IBAN,
        Detector::Phone => &PHONE,
    }
}

/// The checks a pattern alone cannot make.
fn confirmed(detector: Detector, matched: &str) -> bool {
    match detector {
        Detector::Card => luhn(&compact(detector, matched)),
        Detector::Iban => iban_checksum(&compact(detector, matched)),
        Detector::Email | Detector::Phone => true,
    }
}

/// The match without its separators (spaces, dashes, dots); e-mail addresses lowercased.
fn compact(detector: Detector, matched: &str) -> String {
    match detector {
        Detector::Email => matched.to_lowercase(),
        _ => matched
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
            .collect(),
    }
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (position, c) in digits.chars().rev().enumerate() {
        let Some(mut digit) = c.to_digit(10) else {
            return false;
        };
        if position % 2 == 1 {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    (13..=19).contains(&digits.len()) && sum % 10 == 0
}

/// ISO 13616: move the first four characters to the end, letters to numbers (A = 10), mod 97.
fn iban_checksum(iban: &str) -> bool {
    if !(15..=34).contains(&iban.len()) {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

/// A string's shape without its content: an e-mail keeps its first letter and domain, a
/// mostly-digit value its last four digits and separators, anything else its first and last
/// characters.
pub fn mask(text: &str) -> String {
    if let Some((local, domain)) = text.split_once('@')
        && let Some(first) = local.chars().next()
        && !domain.is_empty()
    {
        return format!("{first}***@{domain}");
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits >= 6 && digits * 10 >= text.chars().count() * 7 {
        return keep_last_digits(text, 4);
    }
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [first, .., last] if chars.len() > 4 => format!("{first}***{last}"),
        _ => "***".to_owned(),
    }
}

fn mask_detected(detector: Detector, matched: &str) -> String {
    match detector {
        Detector::Email => mask(matched),
        Detector::Card | Detector::Iban => keep_last_alphanumerics(matched, 4),
        Detector::Phone => keep_last_digits(matched, 2),
    }
}

/// Digits become `*` except the last `keep`; everything else stays.
fn keep_last_digits(text: &str, keep: usize) -> String {
    let total = text.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + keep <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

fn keep_last_alphanumerics(text: &str, keep: usize) -> String {
    let total = text.chars().filter(char::is_ascii_alphanumeric).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen + keep <= total { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::privacy::{DetectorRule, Rule};

    fn redactor(rules: &[(&str, Action)], detectors: &[(Detector, Action)]) -> Redactor {
        let policy = Policy {
            rules: rules
                .iter()
                .map(|(path, action)| Rule {
                    path: (*path).to_owned(),
                    action: *action,
                })
                .collect(),
            detectors: detectors
                .iter()
                .map(|&(detector, action)| DetectorRule { detector, action })
                .collect(),
        };
        policy.validate().unwrap();
        Redactor::new(&policy, b"tenant-key".to_vec())
    }

    fn redacted(redactor: &Redactor, metadata: Value) -> Value {
        let Value::Object(mut map) = metadata else {
            panic!("an object")
        };
        redactor.redact(&mut map);
        Value::Object(map)
    }

    #[test]
    fn drop_removes_the_key_through_nesting_wildcards_and_arrays() {
        let r = redactor(
            &[
                ("metadata.email", Action::Drop),
                ("user.*", Action::Drop),
                ("items.card", Action::Drop),
            ],
            &[],
        );
        assert_eq!(
            redacted(
                &r,
                json!({
                    "email": "a@b.co", "keep": 1,
                    "user": {"name": "Ann", "id": 7},
                    "items": [{"card": "4242", "sku": "x"}, {"sku": "y"}, 3]
                })
            ),
            json!({"keep": 1, "user": {}, "items": [{"sku": "x"}, {"sku": "y"}, 3]})
        );
    }

    #[test]
    fn mask_keeps_each_values_shape() {
        let r = redactor(&[("*", Action::Mask)], &[]);
        assert_eq!(
            redacted(
                &r,
                json!({
                    "email": "john.doe@example.com",
                    "card": "4242 4242 4242 4242",
                    "name": "Annabel",
                    "short": "Ann",
                    "age": 42,
                    "none": null,
                    "list": ["Annabel", {"deep": "ann@x.io"}]
                })
            ),
            json!({
                "email": "j***@example.com",
                "card": "**** **** **** 4242",
                "name": "A***l",
                "short": "***",
                "age": "***",
                "none": null,
                "list": ["A***l", {"deep": "a***@x.io"}]
            })
        );
    }

    #[test]
    fn hash_is_a_keyed_hmac_equal_for_equal_values_and_other_under_another_key() {
        let r = redactor(&[("user_id", Action::Hash), ("n", Action::Hash)], &[]);
        let one = redacted(&r, json!({"user_id": "u-42", "n": 7}));
        let two = redacted(&r, json!({"user_id": "u-42", "n": 7}));
        assert_eq!(one, two);
        let hashed = one["user_id"].as_str().unwrap();
        assert_eq!(hashed.len(), 64);
        assert!(!hashed.contains("u-42"));
        // HMAC-SHA256("tenant-key", "u-42"), computed independently.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"tenant-key").unwrap();
        mac.update(b"u-42");
        assert_eq!(hashed, hex::encode(mac.finalize().into_bytes()));
        let other = Redactor::new(
            &Policy {
                rules: vec![Rule {
                    path: "user_id".into(),
                    action: Action::Hash,
                }],
                detectors: Vec::new(),
            },
            b"another-key".to_vec(),
        );
        assert_ne!(
            redacted(&other, json!({"user_id": "u-42"}))["user_id"],
            one["user_id"]
        );
    }

    #[test]
    fn detectors_find_what_they_name_in_any_string_and_leave_look_alikes() {
        let r = redactor(
            &[],
            &[
                (Detector::Email, Action::Mask),
                (Detector::Card, Action::Mask),
                (Detector::Iban, Action::Drop),
                (Detector::Phone, Action::Mask),
            ],
        );
        assert_eq!(
            redacted(
                &r,
                json!({
                    "note": "mail ann@example.com or call +44 20 7946 0958",
                    "paid": {"with": ["card 4242-4242-4242-4242 ok"]},
                    "not_a_card": "order 4242424242424241",
                    "iban": "GB82 WEST 1234 5698 7654 32",
                    "not_an_iban": "GB00WEST12345698765432",
                    "n": 4242424242424242_u64
                })
            ),
            json!({
                "note": "mail a***@example.com or call +** ** **** **58",
                "paid": {"with": ["card ****-****-****-4242 ok"]},
                "not_a_card": "order 4242424242424241",
                "iban": "[redacted]",
                "not_an_iban": "GB00WEST12345698765432",
                "n": 4242424242424242_u64
            })
        );
    }

    #[test]
    fn a_detectors_hash_ignores_separators() {
        let r = redactor(&[], &[(Detector::Card, Action::Hash)]);
        let spaced = redacted(&r, json!({"c": "4242 4242 4242 4242"}));
        let plain = redacted(&r, json!({"c": "4242424242424242"}));
        assert_eq!(spaced, plain);
        assert_eq!(spaced["c"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn violation_messages_lose_the_values_redaction_took_out() {
        let r = redactor(&[("ssn", Action::Hash)], &[]);
        let before = json!({"ssn": "123-45-6789", "plan": "gold"});
        let after = redacted(&r, before.clone());
        let mut violations = vec![
            Violation {
                path: "/ssn".into(),
                message: r#""123-45-6789" is not of type "integer""#.into(),
            },
            Violation {
                path: "/plan".into(),
                message: r#""gold" is not one of ["free","pro"]"#.into(),
            },
        ];
        scrub_messages(
            &mut violations,
            before.as_object().unwrap(),
            after.as_object().unwrap(),
        );
        assert_eq!(
            violations[0].message,
            r#""[redacted]" is not of type "integer""#
        );
        assert_eq!(
            violations[1].message,
            r#""gold" is not one of ["free","pro"]"#
        );
    }

    #[test]
    fn the_checksums_accept_real_numbers_only() {
        assert!(luhn("4242424242424242"));
        assert!(!luhn("4242424242424241"));
        assert!(iban_checksum("GB82WEST12345698765432"));
        assert!(iban_checksum("DE89370400440532013000"));
        assert!(!iban_checksum("GB83WEST12345698765432"));
    }
}
