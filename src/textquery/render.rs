//! Writing a parsed [`Query`] and an event's index document in each store's syntax. Only
//! tokens from [`super::text`] are ever written, each quoted (FTS5 strings in `"…"`,
//! PostgreSQL lexemes in `'…'`), and the result is bound as a parameter, never spliced into
//! SQL. The tokens cannot contain a quote anyway (see the invariant in `text`); the quoting is
//! there so that this module stays correct on its own.
//!
//! SQLite: an FTS5 table `events_fts (body, tenant)` with the `ascii` tokenizer (`_` a token
//! character), which splits the space-separated tokens written here and nothing else; `tenant`
//! holds the tenant's token alone.
//! PostgreSQL: a `tsvector` written as a literal (lexemes with positions), so its parser and
//! dictionaries never run; a `tsquery` written as a literal likewise.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::parse::{Node, Query, Term};
use super::text::tenant_token;

/// A token no document holds: what a tree that cannot be evaluated (the parser never makes
/// one) renders to, so that it matches nothing rather than everything.
const NOTHING: &str = "_";

/// PostgreSQL keeps at most this many positions per lexeme.
const MAX_POSITIONS: usize = 256;

fn fts5_string(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

fn fts5_term(term: &Term) -> String {
    let tokens: Vec<String> = term
        .tokens
        .iter()
        .map(|token| term.field.token(token).replace('"', "\"\""))
        .collect();
    let mut phrase = format!("\"{}\"", tokens.join(" "));
    if term.prefix {
        phrase.push_str(" *");
    }
    phrase
}

fn fts5_node(node: &Node) -> String {
    match node {
        Node::Term(term) => fts5_term(term),
        Node::Or(children) => {
            let parts: Vec<String> = children
                .iter()
                .map(|child| format!("({})", fts5_node(child)))
                .collect();
            parts.join(" OR ")
        }
        Node::And(children) => {
            let (negated, positive): (Vec<&Node>, Vec<&Node>) = children
                .iter()
                .partition(|child| matches!(child, Node::Not(_)));
            if positive.is_empty() {
                return fts5_string(NOTHING);
            }
            // FTS5's NOT is binary (`a NOT b`): the positive part first, then each exclusion.
            let parts: Vec<String> = positive
                .iter()
                .map(|child| format!("({})", fts5_node(child)))
                .collect();
            let mut expression = format!("({})", parts.join(" AND "));
            for child in negated {
                if let Node::Not(inner) = child {
                    expression = format!("({expression} NOT ({}))", fts5_node(inner));
                }
            }
            expression
        }
        // A negation alone cannot be evaluated by FTS5; the parser never leaves one alone.
        Node::Not(_) => fts5_string(NOTHING),
    }
}

/// The FTS5 expression for `q`: which events match, in any tenant (the SQL adds the tenant).
/// For a large tenant this beats [`fts5_within_tenant`]: bm25 would count every document of
/// the tenant's token on each search.
pub fn fts5_filter(query: &Query) -> String {
    fts5_node(&query.root)
}

/// An FTS5 expression ([`fts5_filter`], [`fts5_pairs`]) narrowed by the index itself to one
/// tenant's events, through the tenant's token in the `tenant` column. Only worth it for a
/// tenant with few events: bm25 counts the documents of every phrase of the expression, the
/// tenant's token included (the store gives that column the weight 0, so the token adds
/// nothing to the score).
pub fn fts5_within_tenant(tenant: Uuid, expression: &str) -> String {
    format!(
        "tenant : {} AND ({expression})",
        fts5_string(&tenant_token(tenant))
    )
}

/// The FTS5 `tenant` text of an event of `tenant`.
pub fn fts5_tenant_document(tenant: Uuid) -> String {
    tenant_token(tenant)
}

/// The FTS5 expression matching events that hold an adjacent pair of the query's words as a
/// phrase ([`Query::adjacent_pairs`]): the store ranks those higher. `None` without pairs.
pub fn fts5_pairs(query: &Query) -> Option<String> {
    let phrases: Vec<String> = query
        .adjacent_pairs()
        .iter()
        .map(|[a, b]| format!("\"{} {}\"", a.replace('"', "\"\""), b.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" OR "))
}

/// The FTS5 `body` text of an event: its tokens, space-separated.
pub fn fts5_document(tokens: &[String]) -> String {
    tokens.join(" ")
}

/// [`fts5_document`] of the event's [`super::text::document`], written straight into one
/// string (this runs for every event ingested).
pub fn fts5_event_document(event_type: &str, metadata: &Map<String, Value>) -> String {
    let mut body = String::with_capacity(256);
    super::text::visit_document(event_type, metadata, |prefix, word| {
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(prefix);
        body.push_str(word);
    });
    body
}

fn lexeme(token: &str) -> String {
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

fn tsquery_term(term: &Term) -> String {
    let last = term.tokens.len().saturating_sub(1);
    let parts: Vec<String> = term
        .tokens
        .iter()
        .enumerate()
        .map(|(index, token)| {
            let mut lexeme = lexeme(&term.field.token(token));
            if term.prefix && index == last {
                lexeme.push_str(":*");
            }
            lexeme
        })
        .collect();
    if parts.len() == 1 {
        parts.join("")
    } else {
        format!("({})", parts.join(" <-> "))
    }
}

fn tsquery_node(node: &Node) -> String {
    match node {
        Node::Term(term) => tsquery_term(term),
        Node::Or(children) => {
            let parts: Vec<String> = children
                .iter()
                .map(|child| format!("({})", tsquery_node(child)))
                .collect();
            parts.join(" | ")
        }
        Node::And(children) => {
            if children.iter().all(|child| matches!(child, Node::Not(_))) {
                return lexeme(NOTHING);
            }
            let parts: Vec<String> = children
                .iter()
                .map(|child| format!("({})", tsquery_node(child)))
                .collect();
            parts.join(" & ")
        }
        Node::Not(inner) => format!("!({})", tsquery_node(inner)),
    }
}

/// The `tsquery` literal for `q` as a filter (the list endpoint).
pub fn tsquery_filter(query: &Query) -> String {
    tsquery_node(&query.root)
}

/// The `tsquery` literal for a ranked search: the tenant's token AND the query (`tenant` is
/// the tenant's id, see [`tenant_token`]).
pub fn tsquery_search(query: &Query, tenant: Uuid) -> String {
    format!(
        "{} & ({})",
        lexeme(&tenant_token(tenant)),
        tsquery_node(&query.root)
    )
}

/// What `ts_rank_cd` ranks by: the query without its negations.
pub fn tsquery_rank(query: &Query) -> String {
    tsquery_node(&query.positive())
}

/// One `tsquery` per term that must or may match, for weighting terms by their rarity.
pub fn tsquery_terms(query: &Query) -> Vec<String> {
    query
        .positive_terms()
        .into_iter()
        .map(tsquery_term)
        .collect()
}

/// The `tsvector` literal of an event: the tenant's token, then the document's tokens at
/// positions 1, 2, … (the same order FTS5 sees them in, so phrases match alike). `tenant` is
/// the tenant's id, see [`tenant_token`].
pub fn tsvector(tenant: Uuid, tokens: &[String]) -> String {
    let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, token) in tokens.iter().enumerate() {
        let list = positions.entry(token.as_str()).or_default();
        if list.len() < MAX_POSITIONS {
            list.push(index + 1);
        }
    }
    let mut literal = lexeme(&tenant_token(tenant));
    for (token, list) in positions {
        literal.push(' ');
        literal.push_str(&lexeme(token));
        literal.push(':');
        let rendered: Vec<String> = list.iter().map(usize::to_string).collect();
        literal.push_str(&rendered.join(","));
    }
    literal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textquery::text::Field;

    fn query(q: &str) -> Query {
        Query::parse(q).unwrap_or_else(|error| panic!("{q:?}: {error}"))
    }

    #[test]
    fn fts5_expressions_quote_every_token_and_bracket_every_operator() {
        assert_eq!(fts5_filter(&query("card")), "\"card\"");
        assert_eq!(
            fts5_filter(&query("card \"was declined\" -refund")),
            "(((\"card\") AND (\"was declined\")) NOT (\"refund\"))"
        );
        assert_eq!(
            fts5_filter(&query("visa OR amex*")),
            "(\"visa\") OR (\"amex\" *)"
        );
        let plan = Field::Meta("user.plan".into()).token("pro");
        assert_eq!(fts5_filter(&query("user.plan:pro")), format!("\"{plan}\""));
    }

    #[test]
    fn adjacent_words_become_phrases_for_ranking() {
        assert_eq!(
            fts5_pairs(&query("card declined visa")).as_deref(),
            Some("\"card declined\" OR \"declined visa\"")
        );
        assert_eq!(fts5_pairs(&query("card")), None);
    }

    #[test]
    fn a_tenant_narrows_an_expression_through_its_token_column() {
        let tenant = Uuid::from_u128(0xab);
        let token = "_t000000000000000000000000000000ab";
        assert_eq!(fts5_tenant_document(tenant), token);
        assert_eq!(
            fts5_within_tenant(tenant, &fts5_filter(&query("visa OR amex"))),
            format!("tenant : \"{token}\" AND ((\"visa\") OR (\"amex\"))")
        );
    }

    #[test]
    fn tsqueries_use_phrase_prefix_and_negation_operators() {
        assert_eq!(
            tsquery_filter(&query("\"card declined\" decl* -refund")),
            "(('card' <-> 'declined')) & ('decl':*) & (!('refund'))"
        );
        assert_eq!(tsquery_rank(&query("a -b")), "'a'");
        assert_eq!(tsquery_terms(&query("a b OR a")), ["'a'", "'b'"]);
        assert_eq!(lexeme("it's\\"), "'it''s\\\\'");
    }

    #[test]
    fn the_fts5_document_is_the_tokens_space_separated() {
        let metadata = serde_json::json!({"page": "/pay", "user": {"plan": "Pro"}});
        let metadata = metadata.as_object().cloned().unwrap_or_default();
        let tokens = crate::textquery::text::document("signup", &metadata);
        assert_eq!(
            fts5_event_document("signup", &metadata),
            fts5_document(&tokens)
        );
    }

    #[test]
    fn tsvectors_list_positions_per_lexeme() {
        let tenant = Uuid::nil();
        let tokens: Vec<String> = ["pay", "_x_pay", "pay"].map(String::from).to_vec();
        assert_eq!(
            tsvector(tenant, &tokens),
            format!("'{}' '_x_pay':2 'pay':1,3", tenant_token(tenant))
        );
    }
}
