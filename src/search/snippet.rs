//! Snippets: the value of a hit that best matches the query, cut to a readable excerpt, with
//! the matching words marked. A snippet is plain text split into fragments, never markup, so
//! that event data can never inject HTML into whatever renders it: a client renders each
//! fragment as text and wraps the highlighted ones (in `<mark>`, bold, ANSI colour, …).
//!
//! Computed here rather than by either store, so that both stores return the same snippet for
//! the same event and query.

use serde::Serialize;
use utoipa::ToSchema;

use crate::events::Event;
use crate::textquery::parse::{Query, Term};
use crate::textquery::text::{self, Field, Leaf};

/// Longest excerpt, in characters (without the `…` marking a cut).
pub const MAX_SNIPPET_CHARS: usize = 200;
/// How much text to keep before the first match when the value must be cut.
const LEAD_CHARS: usize = 60;

/// An excerpt of one value of the event, as plain text with the matches marked.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Snippet {
    /// Where the excerpt comes from: `event_type`, or a metadata path such as `user.plan`.
    pub field: String,
    /// The excerpt as plain text (not HTML: escape it like any other text when rendering).
    /// `…` marks where the value was cut.
    pub text: String,
    /// `text` cut into consecutive pieces; their texts concatenated give `text`. Pieces with
    /// `highlight: true` are words that match the query.
    pub fragments: Vec<Fragment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Fragment {
    pub text: String,
    pub highlight: bool,
}

fn applies(term: &Term, leaf: &Leaf) -> bool {
    term.field == Field::Any || term.field == leaf.field
}

fn matches(term: &Term, token: &str) -> bool {
    let last = term.tokens.len().saturating_sub(1);
    term.tokens.iter().enumerate().any(|(index, wanted)| {
        wanted == token || (term.prefix && index == last && token.starts_with(wanted.as_str()))
    })
}

/// Byte spans of the tokens of `leaf` that match a term, sorted and merged.
fn highlights(terms: &[&Term], leaf: &Leaf) -> Vec<(usize, usize)> {
    let scoped: Vec<&&Term> = terms.iter().filter(|term| applies(term, leaf)).collect();
    if scoped.is_empty() {
        return Vec::new();
    }
    let mut spans: Vec<(usize, usize)> = text::tokenize(&leaf.text)
        .into_iter()
        .filter(|token| scoped.iter().any(|term| matches(term, &token.text)))
        .map(|token| (token.start, token.end))
        .collect();
    spans.sort_unstable();
    spans.dedup();
    spans
}

/// The snippet of `event` for `query`: the value with the most matching words (the first such
/// value on a tie), else the first metadata value, else the event type.
pub fn snippet(query: &Query, event: &Event) -> Snippet {
    let terms = query.positive_terms();
    let leaves = text::leaves(&event.event_type, &event.metadata);
    let mut best: Option<(&Leaf, Vec<(usize, usize)>)> = None;
    for leaf in &leaves {
        let spans = highlights(&terms, leaf);
        if !spans.is_empty()
            && best
                .as_ref()
                .is_none_or(|(_, most)| spans.len() > most.len())
        {
            best = Some((leaf, spans));
        }
    }
    let (leaf, spans) = match best {
        Some(found) => found,
        None => match leaves.get(1).or(leaves.first()) {
            Some(leaf) => (leaf, Vec::new()),
            None => {
                return Snippet {
                    field: "event_type".into(),
                    text: event.event_type.clone(),
                    fragments: vec![Fragment {
                        text: event.event_type.clone(),
                        highlight: false,
                    }],
                };
            }
        },
    };
    excerpt(leaf, &spans)
}

/// Cuts the value to at most [`MAX_SNIPPET_CHARS`] around its first match and splits it into
/// fragments.
fn excerpt(leaf: &Leaf, spans: &[(usize, usize)]) -> Snippet {
    let text = leaf.text.as_str();
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(at, _)| at)
        .chain([text.len()])
        .collect();
    let chars = boundaries.len() - 1;
    let (from, to) = if chars <= MAX_SNIPPET_CHARS {
        (0, chars)
    } else {
        let first = spans
            .first()
            .map(|(start, _)| boundaries.partition_point(|&b| b < *start))
            .unwrap_or(0);
        let from = first
            .saturating_sub(LEAD_CHARS)
            .min(chars - MAX_SNIPPET_CHARS);
        (from, from + MAX_SNIPPET_CHARS)
    };
    let (start, end) = (boundaries[from], boundaries[to]);

    let mut fragments = Vec::new();
    let mut push = |piece: &str, highlight: bool| {
        if !piece.is_empty() {
            fragments.push(Fragment {
                text: piece.to_owned(),
                highlight,
            });
        }
    };
    if start > 0 {
        push("…", false);
    }
    let mut at = start;
    for &(span_start, span_end) in spans {
        let (span_start, span_end) = (span_start.max(at), span_end.min(end));
        if span_start >= span_end {
            continue;
        }
        push(&text[at..span_start], false);
        push(&text[span_start..span_end], true);
        at = span_end;
    }
    push(&text[at..end], false);
    if end < text.len() {
        push("…", false);
    }
    // Merge neighbouring plain pieces (the cut marks) so that fragments alternate.
    let mut merged: Vec<Fragment> = Vec::with_capacity(fragments.len());
    for fragment in fragments {
        match merged.last_mut() {
            Some(last) if last.highlight == fragment.highlight && !fragment.highlight => {
                last.text.push_str(&fragment.text);
            }
            _ => merged.push(fragment),
        }
    }
    Snippet {
        field: leaf.path.clone(),
        text: merged.iter().map(|f| f.text.as_str()).collect(),
        fragments: merged,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::tenants::TenantId;

    fn event(event_type: &str, metadata: serde_json::Value) -> Event {
        Event {
            id: Uuid::nil(),
            tenant_id: TenantId(Uuid::nil()),
            event_type: event_type.into(),
            timestamp: Utc::now(),
            received_at: Utc::now(),
            metadata: metadata.as_object().cloned().unwrap_or_default(),
            event_id: None,
            violations: Vec::new(),
        }
    }

    fn marked(snippet: &Snippet) -> String {
        snippet
            .fragments
            .iter()
            .map(|f| {
                if f.highlight {
                    format!("[{}]", f.text)
                } else {
                    f.text.clone()
                }
            })
            .collect()
    }

    fn query(q: &str) -> Query {
        Query::parse(q).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn the_value_with_most_matches_is_marked() {
        let event = event(
            "payment_failed",
            json!({"page": "/pay", "error": "Card DECLINED: card expired", "note": "<b>card</b>"}),
        );
        let snippet = snippet(&query("card declined"), &event);
        assert_eq!(snippet.field, "error");
        assert_eq!(marked(&snippet), "[Card] [DECLINED]: [card] expired");
        assert_eq!(snippet.text, "Card DECLINED: card expired");
    }

    #[test]
    fn field_terms_mark_only_their_field_and_markup_stays_text() {
        let event = event(
            "x",
            json!({"referrer": "/pay", "page": "<script>/pay</script>"}),
        );
        let snippet = snippet(&query("page:/pay"), &event);
        assert_eq!(snippet.field, "page");
        assert_eq!(marked(&snippet), "<script>/[pay]</script>");
    }

    #[test]
    fn long_values_are_cut_around_the_first_match() {
        let long = format!("{} needle {}", "a ".repeat(200), "b ".repeat(200));
        let snippet = snippet(&query("needl*"), &event("x", json!({"m": long})));
        assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'));
        assert!(snippet.text.chars().count() <= MAX_SNIPPET_CHARS + 2);
        assert!(marked(&snippet).contains("[needle]"));
    }

    #[test]
    fn without_a_match_in_text_the_first_value_is_shown() {
        let typed = snippet(
            &query("type:signup"),
            &event("signup", json!({"page": "/"})),
        );
        assert_eq!(marked(&typed), "[signup]");
        let none = snippet(&query("zzz"), &event("signup", json!({"page": "/home"})));
        assert_eq!(
            (none.field.as_str(), marked(&none).as_str()),
            ("page", "/home")
        );
    }
}
