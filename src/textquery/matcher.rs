//! A parsed [`Query`] evaluated in Rust against one event, with the same verdict a search
//! for it gives (webhook endpoint filters use it at commit time, where asking the store's
//! index is not possible: the event is not committed yet).
//!
//! Agreement with the stores holds by construction: the event's tokens are the very
//! [`text::document`] the index receives (same tokenizer, same field-scoped tokens, same
//! truncation at [`text::MAX_DOCUMENT_TOKENS`]), and each term is the phrase FTS5's `"a b" *`
//! and PostgreSQL's `'a' <-> 'b':*` look for: its field-scoped tokens at consecutive
//! positions, the last one a byte prefix when the term is a prefix. AND, OR and NOT are
//! plain boolean operators over whole documents on both stores, and so they are here.
//!
//! One known divergence between the stores themselves, inherited here on SQLite's side: a
//! PostgreSQL `tsvector` keeps at most 256 positions per token, so a phrase whose tokens
//! occur more than 256 times in one event can be missed there past that point.

use serde_json::{Map, Value};

use super::parse::{Node, Query};
use super::text;

/// A query compiled for evaluation: every term's tokens already scoped to its field (the
/// metadata field hash is computed once, not per event).
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    root: Compiled,
}

#[derive(Debug, Clone, PartialEq)]
enum Compiled {
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
    Not(Box<Compiled>),
    Phrase { tokens: Vec<String>, prefix: bool },
}

/// An event's tokens as the search index holds them, built once and matched against any
/// number of [`Matcher`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    tokens: Vec<String>,
}

impl Document {
    pub fn new(event_type: &str, metadata: &Map<String, Value>) -> Document {
        Document {
            tokens: text::document(event_type, metadata),
        }
    }
}

impl Matcher {
    pub fn new(query: &Query) -> Matcher {
        Matcher {
            root: compile(&query.root),
        }
    }

    /// Whether a search for the query would return the event.
    pub fn matches(&self, document: &Document) -> bool {
        eval(&self.root, &document.tokens)
    }
}

fn compile(node: &Node) -> Compiled {
    match node {
        Node::And(children) => Compiled::And(children.iter().map(compile).collect()),
        Node::Or(children) => Compiled::Or(children.iter().map(compile).collect()),
        Node::Not(inner) => Compiled::Not(Box::new(compile(inner))),
        Node::Term(term) => Compiled::Phrase {
            tokens: term
                .tokens
                .iter()
                .map(|token| term.field.token(token))
                .collect(),
            prefix: term.prefix,
        },
    }
}

fn eval(node: &Compiled, document: &[String]) -> bool {
    match node {
        // The parser never leaves an AND of negations only (the renderers make it match
        // nothing); it would match nothing here too.
        Compiled::And(children) => {
            children
                .iter()
                .any(|child| !matches!(child, Compiled::Not(_)))
                && children.iter().all(|child| eval(child, document))
        }
        Compiled::Or(children) => children.iter().any(|child| eval(child, document)),
        Compiled::Not(inner) => !eval(inner, document),
        Compiled::Phrase { tokens, prefix } => phrase_at_any(tokens, *prefix, document),
    }
}

fn phrase_at_any(tokens: &[String], prefix: bool, document: &[String]) -> bool {
    let Some(last) = tokens.len().checked_sub(1) else {
        return false;
    };
    document.windows(tokens.len()).any(|window| {
        window
            .iter()
            .zip(tokens)
            .enumerate()
            .all(|(index, (have, want))| {
                if prefix && index == last {
                    have.starts_with(want.as_str())
                } else {
                    have == want
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hit(q: &str, event_type: &str, metadata: Value) -> bool {
        let query = Query::parse(q).unwrap_or_else(|error| panic!("{q:?}: {error}"));
        let metadata = metadata.as_object().cloned().unwrap_or_default();
        Matcher::new(&query).matches(&Document::new(event_type, &metadata))
    }

    #[test]
    fn words_match_in_any_field_ignoring_case_and_accents() {
        let meta = json!({"page": "/Checkout/Café", "user": {"plan": "Pro"}});
        assert!(hit("checkout", "signup", meta.clone()));
        assert!(hit("CAFE pro", "signup", meta.clone()));
        assert!(hit("signup", "signup", meta.clone()));
        assert!(!hit("checkout missing", "signup", meta));
    }

    #[test]
    fn field_terms_stay_in_their_field() {
        let meta = json!({"page": "/pay", "ref": "signup", "user": {"plan": "pro"}});
        assert!(hit("page:pay", "signup", meta.clone()));
        assert!(hit("Page:/pay", "signup", meta.clone()));
        assert!(!hit("ref:pay", "signup", meta.clone()));
        assert!(!hit("type:signup", "order", json!({})));
        assert!(hit("type:signup", "signup", json!({})));
        assert!(hit("ref:signup", "order", meta.clone()));
        assert!(hit("user.plan:pro", "x", meta.clone()));
        assert!(!hit("plan:pro", "x", meta));
    }

    #[test]
    fn phrases_need_adjacent_tokens_within_one_value() {
        let meta = json!({"a": "card was declined", "b": "declined card"});
        assert!(hit("\"card was declined\"", "x", meta.clone()));
        assert!(hit("\"declined card\"", "x", meta.clone()));
        assert!(!hit("\"card declined\"", "x", meta.clone()));
        assert!(hit("a:\"was declined\"", "x", meta.clone()));
        assert!(!hit("b:\"was declined\"", "x", meta.clone()));
        // The last word of one value and the first of the next are not a phrase.
        assert!(!hit("\"declined declined\"", "x", meta));
        assert!(hit("\"pay confirm\"", "x", json!({"p": "/pay/confirm"})));
    }

    #[test]
    fn prefixes_negations_and_alternatives() {
        let meta = json!({"msg": "declined by issuer", "page": "/checkout"});
        assert!(hit("decl*", "x", meta.clone()));
        assert!(hit("\"declined by iss\"*", "x", meta.clone()));
        assert!(!hit("\"declined iss\"*", "x", meta.clone()));
        assert!(hit("page:check*", "x", meta.clone()));
        assert!(!hit("msg:check*", "x", meta.clone()));
        assert!(hit("declined -refund", "x", meta.clone()));
        assert!(!hit("declined -issuer", "x", meta.clone()));
        assert!(!hit("declined NOT page:checkout", "x", meta.clone()));
        assert!(hit("refund OR issuer", "x", meta.clone()));
        assert!(hit("(refund OR paypal) OR declined", "x", meta.clone()));
        assert!(!hit("(refund OR paypal) declined", "x", meta.clone()));
        assert!(hit("declined -(refund OR paypal)", "x", meta));
    }

    #[test]
    fn numbers_booleans_arrays_cjk_and_emoji_are_text_too() {
        let meta = json!({"n": 42, "ok": true, "tags": ["red", "blue"], "m": "支付失败 🔥"});
        assert!(hit("n:42 ok:true", "x", meta.clone()));
        assert!(hit("tags:blue", "x", meta.clone()));
        assert!(hit("支付", "x", meta.clone()));
        assert!(hit("🔥", "x", meta.clone()));
        assert!(!hit("失支", "x", meta));
    }

    #[test]
    fn a_prefix_never_reaches_into_field_tokens() {
        // `_type_…` and `_<hash>_…` tokens start with `_`, which no query token does.
        assert!(!hit("ty*", "signup", json!({})));
        assert!(hit("si*", "signup", json!({})));
    }
}
