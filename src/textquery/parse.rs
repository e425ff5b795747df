//! The query language, parsed by hand into a small syntax tree ([`Query`]). Nothing the user
//! typed reaches a store as syntax: the tree holds only tokens made by
//! [`super::text::tokenize`], and [`super::render`] writes the store's syntax from it.
//!
//! ```text
//! card declined          words: all must match (in any field)
//! "card declined"        a phrase: these words, adjacent and in order
//! page:/pay              a field term: type: for the event type, any metadata key otherwise,
//! user.plan:pro          nested keys with dots; the value may be a "quoted phrase"
//! -refund  NOT refund    negation (needs a non-negated term beside it)
//! card OR paypal         either; binds tighter than the implicit AND: a b OR c = a (b OR c)
//! (card OR paypal) fail  grouping
//! decl*                  prefix (at least 2 characters before the *)
//! ```
//!
//! `AND` between terms is accepted and changes nothing. `OR`, `AND` and `NOT` are operators
//! only in capitals; in lower case they are words. Punctuation inside a word separates
//! tokens, so `card-declined` or `/pay/confirm` is a phrase. A word with no letters, digits
//! or emoji (`&`, `--`) is ignored; a field term with none is refused, since ignoring it would
//! silently widen the search. Malformed input is refused with the character position.

use super::text::{self, Field, is_single_char_token};

/// Longest accepted `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// Most terms (words, phrases, field terms) in one query.
pub const MAX_TERMS: usize = 32;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 8;
/// Fewest characters before a `*`: a one-letter prefix would expand to a large part of
/// the vocabulary.
pub const MIN_PREFIX_CHARS: usize = 2;

/// A parsed query. Every AND group holds at least one term that is not negated, and no
/// negated term is an alternative of an OR: both stores can evaluate such a tree without a
/// scan of everything.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub root: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(Term),
}

/// Tokens to find in a field; more than one token is a phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub field: Field,
    /// Never empty.
    pub tokens: Vec<String>,
    /// The last token matches any token it starts.
    pub prefix: bool,
}

/// Why a query was refused, saying where (1-based character positions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl Query {
    /// Parses `q`.
    pub fn parse(q: &str) -> Result<Query, ParseError> {
        let chars: Vec<char> = q.chars().collect();
        if chars.len() > MAX_QUERY_CHARS {
            return Err(ParseError(format!(
                "q is {} characters long; at most {MAX_QUERY_CHARS} are accepted",
                chars.len()
            )));
        }
        let items = lex(&chars)?;
        if items.is_empty() {
            return Err(ParseError("q is empty: give words to search for".into()));
        }
        let mut parser = Parser {
            items,
            next: 0,
            terms: 0,
        };
        let nodes = parser.sequence(0)?;
        if let Some(item) = parser.peek() {
            // sequence() stops only at the end or at a `)`.
            return Err(ParseError(format!("unmatched ) at character {}", item.at)));
        }
        let root = group(nodes).ok_or_else(|| {
            ParseError("q has nothing to search for: no letters, digits or emoji".into())
        })?;
        Ok(Query { root })
    }

    /// The terms that must or may match (not the negated ones), in query order, each once.
    pub fn positive_terms(&self) -> Vec<&Term> {
        let mut terms = Vec::new();
        collect_positive(&self.root, &mut terms);
        let mut unique: Vec<&Term> = Vec::with_capacity(terms.len());
        for term in terms {
            if !unique.contains(&term) {
                unique.push(term);
            }
        }
        unique
    }

    /// The tree without its negations: what ranking looks at.
    pub fn positive(&self) -> Node {
        strip_negations(&self.root).unwrap_or_else(|| self.root.clone())
    }

    /// Pairs of adjacent single words at the top level (`card declined fraud` → `card
    /// declined`, `declined fraud`). Events holding such a pair as a phrase rank higher than
    /// events where the words are scattered; the pairs never change which events match.
    pub fn adjacent_pairs(&self) -> Vec<[String; 2]> {
        let Node::And(children) = &self.root else {
            return Vec::new();
        };
        let single = |node: &Node| match node {
            Node::Term(Term {
                field: Field::Any,
                tokens,
                prefix: false,
            }) if tokens.len() == 1 => Some(tokens[0].clone()),
            _ => None,
        };
        children
            .windows(2)
            .filter_map(|pair| Some([single(&pair[0])?, single(&pair[1])?]))
            .take(8)
            .collect()
    }

    /// Both queries must match.
    pub fn and(&self, other: &Query) -> Query {
        Query {
            root: Node::And(vec![self.root.clone(), other.root.clone()]),
        }
    }
}

fn collect_positive<'a>(node: &'a Node, terms: &mut Vec<&'a Term>) {
    match node {
        Node::And(children) | Node::Or(children) => {
            for child in children {
                collect_positive(child, terms);
            }
        }
        Node::Not(_) => {}
        Node::Term(term) => terms.push(term),
    }
}

fn strip_negations(node: &Node) -> Option<Node> {
    match node {
        Node::Not(_) => None,
        Node::Term(_) => Some(node.clone()),
        Node::And(children) => group(children.iter().filter_map(strip_negations).collect()),
        Node::Or(children) => {
            let mut children: Vec<Node> = children.iter().filter_map(strip_negations).collect();
            match children.len() {
                0 => None,
                1 => children.pop(),
                _ => Some(Node::Or(children)),
            }
        }
    }
}

/// An AND of the nodes: none → nothing, one → itself, nested ANDs flattened.
fn group(nodes: Vec<Node>) -> Option<Node> {
    let mut flat = Vec::with_capacity(nodes.len());
    for node in nodes {
        match node {
            Node::And(children) => flat.extend(children),
            other => flat.push(other),
        }
    }
    match flat.len() {
        0 => None,
        1 => flat.pop(),
        _ => Some(Node::And(flat)),
    }
}

#[derive(Debug)]
enum Lexeme {
    Open,
    Close,
    Or,
    And,
    /// `-` before a term, or `NOT`.
    Not,
    Term {
        field: Option<String>,
        text: String,
        prefix: bool,
        /// As typed, for messages.
        source: String,
    },
}

#[derive(Debug)]
struct Item {
    lexeme: Lexeme,
    /// 1-based character position.
    at: usize,
}

fn is_break(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '(' | ')' | '"')
}

/// The phrase starting with the quote at `open`: its text and the index after the closing
/// quote.
fn phrase(chars: &[char], open: usize) -> Result<(String, usize), ParseError> {
    let close = chars[open + 1..]
        .iter()
        .position(|&c| c == '"')
        .ok_or_else(|| {
            ParseError(format!(
                "unclosed quote: the phrase starting at character {} has no closing \"",
                open + 1
            ))
        })?;
    let end = open + 1 + close;
    Ok((chars[open + 1..end].iter().collect(), end + 1))
}

/// A `*` right after a phrase's closing quote.
fn star(chars: &[char], at: usize) -> (bool, usize) {
    let mut next = at;
    while chars.get(next) == Some(&'*') {
        next += 1;
    }
    (next > at, next)
}

/// `user.plan` → `user.plan` when it can name a field; `None` for a word with a colon in it
/// (`10:30`, `https://…`).
fn field_name(name: &str, value: &str) -> Option<String> {
    let first = name.chars().next()?;
    if first.is_ascii_digit() || value.starts_with("//") || name.contains('*') {
        return None;
    }
    Some(name.to_owned())
}

fn lex(chars: &[char]) -> Result<Vec<Item>, ParseError> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() || c.is_control() {
            i += 1;
            continue;
        }
        let lexeme = match c {
            '(' => {
                i += 1;
                Lexeme::Open
            }
            ')' => {
                i += 1;
                Lexeme::Close
            }
            '"' => {
                let (text, after) = phrase(chars, i)?;
                let (prefix, after) = star(chars, after);
                let source = chars[i..after].iter().collect();
                i = after;
                Lexeme::Term {
                    field: None,
                    text,
                    prefix,
                    source,
                }
            }
            '-' if chars.get(i + 1).is_some_and(|&next| {
                !next.is_whitespace() && !next.is_control() && next != ')'
            }) =>
            {
                i += 1;
                Lexeme::Not
            }
            _ => {
                let start = i;
                while i < chars.len() && !is_break(chars[i]) {
                    i += 1;
                }
                let run: String = chars[start..i].iter().collect();
                match run.as_str() {
                    "OR" => Lexeme::Or,
                    "AND" => Lexeme::And,
                    "NOT" => Lexeme::Not,
                    _ => bare_term(chars, &run, at, &mut i)?,
                }
            }
        };
        items.push(Item { lexeme, at });
    }
    Ok(items)
}

/// A word, a prefix or a field term; `i` is just after `run` and moves past a quoted value.
fn bare_term(chars: &[char], run: &str, at: usize, i: &mut usize) -> Result<Lexeme, ParseError> {
    let field = run
        .split_once(':')
        .and_then(|(name, value)| Some((field_name(name, value)?, value)));
    let (field, value, quoted) = match field {
        Some((name, "")) if chars.get(*i) == Some(&'"') => {
            let (text, after) = phrase(chars, *i)?;
            let (prefix, after) = star(chars, after);
            let source = chars[at - 1..after].iter().collect();
            *i = after;
            return Ok(Lexeme::Term {
                field: Some(name),
                text,
                prefix,
                source,
            });
        }
        Some((name, "")) => {
            return Err(ParseError(format!(
                "`{name}:` at character {at} needs a value: a word or a \"quoted phrase\""
            )));
        }
        Some((name, value)) => (Some(name), value, false),
        None => (None, run, false),
    };
    debug_assert!(!quoted);
    let text = value.trim_end_matches('*');
    let prefix = text.len() < value.len();
    if prefix && text.is_empty() {
        return Err(ParseError(format!(
            "`{run}` at character {at}: * must follow a word, as in decl*"
        )));
    }
    Ok(Lexeme::Term {
        field,
        text: text.to_owned(),
        prefix,
        source: run.to_owned(),
    })
}

struct Parser {
    items: Vec<Item>,
    next: usize,
    terms: usize,
}

/// A parsed operand: the node (`None` when it had nothing searchable) and, when it is a
/// negation, where the negation was written.
type Operand = Option<(Node, Option<usize>)>;

impl Parser {
    fn peek(&self) -> Option<&Item> {
        self.items.get(self.next)
    }

    fn take(&mut self) -> Option<&Item> {
        let item = self.items.get(self.next);
        self.next += 1;
        item
    }

    /// Whether the next item can start an operand.
    fn operand_follows(&self) -> bool {
        matches!(
            self.peek().map(|item| &item.lexeme),
            Some(Lexeme::Open | Lexeme::Not | Lexeme::Term { .. })
        )
    }

    /// Operands up to the end or a `)`, implicitly ANDed. Checks that the group has a term
    /// that is not negated.
    fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, ParseError> {
        let mut nodes: Vec<(Node, Option<usize>)> = Vec::new();
        let mut seen_operand = false;
        while let Some(item) = self.peek() {
            match item.lexeme {
                Lexeme::Close => break,
                Lexeme::And => {
                    let at = item.at;
                    self.next += 1;
                    if !seen_operand || !self.operand_follows() {
                        return Err(ParseError(format!(
                            "AND at character {at} needs a term on each side"
                        )));
                    }
                }
                _ => {
                    seen_operand = true;
                    if let Some(operand) = self.alternatives(depth)? {
                        nodes.push(operand);
                    }
                }
            }
        }
        if let Some(at) = nodes.first().and_then(|(_, negated)| *negated)
            && nodes.iter().all(|(_, negated)| negated.is_some())
        {
            return Err(ParseError(format!(
                "the negation at character {at} needs a term that is not negated beside it \
                 (-refund alone would match almost everything)"
            )));
        }
        Ok(nodes.into_iter().map(|(node, _)| node).collect())
    }

    /// `a OR b OR c`, or a single operand.
    fn alternatives(&mut self, depth: usize) -> Result<Operand, ParseError> {
        let first = self.unary(depth)?;
        let mut alternatives = vec![first];
        while let Some(Item {
            lexeme: Lexeme::Or,
            at,
        }) = self.peek()
        {
            let at = *at;
            self.next += 1;
            if !self.operand_follows() {
                return Err(ParseError(format!(
                    "OR at character {at} needs a term on each side"
                )));
            }
            alternatives.push(self.unary(depth)?);
        }
        if alternatives.len() == 1 {
            return Ok(alternatives.pop().flatten());
        }
        let mut nodes = Vec::with_capacity(alternatives.len());
        for (node, negated) in alternatives.into_iter().flatten() {
            if let Some(at) = negated {
                return Err(ParseError(format!(
                    "the negation at character {at} cannot be an alternative of OR"
                )));
            }
            match node {
                Node::Or(children) => nodes.extend(children),
                other => nodes.push(other),
            }
        }
        Ok(match nodes.len() {
            0 => None,
            1 => nodes.pop().map(|node| (node, None)),
            _ => Some((Node::Or(nodes), None)),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Operand, ParseError> {
        if let Some(Item {
            lexeme: Lexeme::Not,
            at,
        }) = self.peek()
        {
            let at = *at;
            self.next += 1;
            if matches!(self.peek().map(|item| &item.lexeme), Some(Lexeme::Not)) {
                return Err(ParseError(format!("double negation at character {at}")));
            }
            if !self.operand_follows() {
                return Err(ParseError(format!(
                    "the negation at character {at} needs a term after it"
                )));
            }
            let operand = self.primary(depth)?;
            return Ok(operand.map(|node| (Node::Not(Box::new(node)), Some(at))));
        }
        Ok(self.primary(depth)?.map(|node| (node, None)))
    }

    fn primary(&mut self, depth: usize) -> Result<Option<Node>, ParseError> {
        let Some(item) = self.take() else {
            return Err(ParseError("q ends where a term was expected".into()));
        };
        let at = item.at;
        match &item.lexeme {
            Lexeme::Open => {
                if depth >= MAX_DEPTH {
                    return Err(ParseError(format!(
                        "the parentheses at character {at} are nested more than {MAX_DEPTH} deep"
                    )));
                }
                let empty = matches!(self.peek().map(|item| &item.lexeme), Some(Lexeme::Close));
                let nodes = self.sequence(depth + 1)?;
                match self.take() {
                    Some(Item {
                        lexeme: Lexeme::Close,
                        ..
                    }) => {}
                    _ => {
                        return Err(ParseError(format!(
                            "the ( at character {at} is never closed"
                        )));
                    }
                }
                if empty {
                    return Err(ParseError(format!("empty parentheses at character {at}")));
                }
                Ok(group(nodes))
            }
            Lexeme::Close => Err(ParseError(format!("unmatched ) at character {at}"))),
            Lexeme::Or => Err(ParseError(format!(
                "OR at character {at} needs a term on each side"
            ))),
            Lexeme::And => Err(ParseError(format!(
                "AND at character {at} needs a term on each side"
            ))),
            Lexeme::Not => Err(ParseError(format!("double negation at character {at}"))),
            Lexeme::Term {
                field,
                text,
                prefix,
                source,
            } => {
                let term = term(field.as_deref(), text, *prefix, source, at)?;
                if term.is_some() {
                    self.terms += 1;
                    if self.terms > MAX_TERMS {
                        return Err(ParseError(format!(
                            "q has more than {MAX_TERMS} terms (the one at character {at} is one too many)"
                        )));
                    }
                }
                Ok(term.map(Node::Term))
            }
        }
    }
}

fn term(
    field: Option<&str>,
    text: &str,
    prefix: bool,
    source: &str,
    at: usize,
) -> Result<Option<Term>, ParseError> {
    let field = match field {
        None => Field::Any,
        Some(name) if name.eq_ignore_ascii_case("type") => Field::EventType,
        Some(name) => {
            let valid = name.split('.').count() <= 16
                && name
                    .split('.')
                    .all(|segment| !segment.is_empty() && segment.chars().count() <= 128);
            if !valid {
                return Err(ParseError(format!(
                    "`{name}:` at character {at} is not a field: use type: or a metadata key \
                     such as page: or user.plan:"
                )));
            }
            Field::Meta(name.to_lowercase())
        }
    };
    let tokens = text::words(text);
    let Some(last) = tokens.last() else {
        return match field {
            // A word like `&` has nothing to find: leave it out.
            Field::Any => Ok(None),
            _ => Err(ParseError(format!(
                "`{source}` at character {at} has no letters, digits or emoji to search for; \
                 to match an exact value use the meta.<key>= or event_type= parameter"
            ))),
        };
    };
    let prefix = prefix && !is_single_char_token(last);
    if prefix && last.chars().count() < MIN_PREFIX_CHARS {
        return Err(ParseError(format!(
            "`{source}` at character {at}: a prefix needs at least {MIN_PREFIX_CHARS} letters \
             or digits before the *"
        )));
    }
    Ok(Some(Term {
        field,
        tokens,
        prefix,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(token: &str) -> Node {
        Node::Term(Term {
            field: Field::Any,
            tokens: vec![token.to_owned()],
            prefix: false,
        })
    }

    fn parse(q: &str) -> Node {
        match Query::parse(q) {
            Ok(query) => query.root,
            Err(error) => panic!("{q:?}: {error}"),
        }
    }

    fn error(q: &str) -> String {
        match Query::parse(q) {
            Ok(query) => panic!("{q:?} parsed as {query:?}"),
            Err(ParseError(message)) => message,
        }
    }

    #[test]
    fn words_are_anded_and_or_binds_tighter() {
        assert_eq!(parse("card"), word("card"));
        assert_eq!(
            parse("a b OR c"),
            Node::And(vec![word("a"), Node::Or(vec![word("b"), word("c")])])
        );
        assert_eq!(parse("a AND b"), Node::And(vec![word("a"), word("b")]));
        assert_eq!(
            parse("(a OR b) c"),
            Node::And(vec![Node::Or(vec![word("a"), word("b")]), word("c")])
        );
        assert_eq!(
            parse("a or b"),
            Node::And(vec![word("a"), word("or"), word("b")])
        );
    }

    #[test]
    fn phrases_fields_prefixes_and_negations() {
        assert_eq!(
            parse("\"Card  Declined\""),
            Node::Term(Term {
                field: Field::Any,
                tokens: vec!["card".into(), "declined".into()],
                prefix: false
            })
        );
        assert_eq!(
            parse("user.plan:Pro*"),
            Node::Term(Term {
                field: Field::Meta("user.plan".into()),
                tokens: vec!["pro".into()],
                prefix: true
            })
        );
        assert_eq!(
            parse("Type:\"checkout error\""),
            Node::Term(Term {
                field: Field::EventType,
                tokens: vec!["checkout".into(), "error".into()],
                prefix: false
            })
        );
        assert_eq!(
            parse("a -b NOT c"),
            Node::And(vec![
                word("a"),
                Node::Not(Box::new(word("b"))),
                Node::Not(Box::new(word("c")))
            ])
        );
        assert_eq!(
            parse("10:30 https://x.io"),
            Node::And(vec![
                Node::Term(Term {
                    field: Field::Any,
                    tokens: vec!["10".into(), "30".into()],
                    prefix: false
                }),
                Node::Term(Term {
                    field: Field::Any,
                    tokens: vec!["https".into(), "x".into(), "io".into()],
                    prefix: false
                })
            ])
        );
        assert_eq!(
            parse("card & - declined"),
            Node::And(vec![word("card"), word("declined")])
        );
    }

    #[test]
    fn malformed_queries_say_where() {
        for (q, expected) in [
            ("", "empty"),
            ("   ", "empty"),
            ("card \"declined", "character 6"),
            ("(card", "character 1 is never closed"),
            ("card)", "unmatched ) at character 5"),
            ("()", "empty parentheses at character 1"),
            ("OR card", "OR at character 1"),
            ("card OR", "OR at character 6"),
            ("card AND", "AND at character 6"),
            ("-card", "negation at character 1"),
            (
                "a OR -b",
                "negation at character 6 cannot be an alternative",
            ),
            ("--a b", "double negation at character 1"),
            ("*", "* must follow a word"),
            ("a*", "at least 2"),
            ("page:", "`page:` at character 1 needs a value"),
            ("page:/", "no letters"),
            ("a..b:x", "not a field"),
            ("!!! x*", "at least 2"),
            ("&&&", "nothing to search for"),
        ] {
            let message = error(q);
            assert!(message.contains(expected), "{q:?}: {message}");
        }
        assert!(error(&"(".repeat(20)).contains("nested more than"));
        assert!(error(&"a ".repeat(40)).contains("more than 32 terms"));
        assert!(error(&"x".repeat(MAX_QUERY_CHARS + 1)).contains("at most"));
    }

    #[test]
    fn hostile_text_stays_tokens() {
        for q in [
            "NEAR(a b)",
            "{body}:x",
            "body:x",
            "tenant:x",
            "'; DROP TABLE events; --",
            "a\0b",
            "^x",
            "x:y:z",
        ] {
            let query = Query::parse(q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
            for term in query.positive_terms() {
                for token in &term.tokens {
                    assert!(
                        token.chars().all(|c| c.is_alphanumeric()),
                        "{q:?} gave {token:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn adjacent_single_words_pair_up() {
        let query =
            Query::parse("card declined page:/pay fraud alert").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            query.adjacent_pairs(),
            [
                ["card".to_owned(), "declined".to_owned()],
                ["fraud".to_owned(), "alert".to_owned()]
            ]
        );
    }
}
