//! Text → search tokens: the one tokenizer used for indexing events and for reading queries,
//! on both stores. Neither SQLite's nor PostgreSQL's tokenizer ever sees raw text: the index
//! stores tokens made here (FTS5 splits them on spaces only, PostgreSQL gets a ready
//! `tsvector`), so both stores match exactly the same tokens and the same query gives the same
//! hits on both.
//!
//! A token is lower-cased, compatibility-normalised (NFKD: `ﬁ` → `fi`, full-width → ASCII) and
//! stripped of diacritics (`Café` → `cafe`), at most [`MAX_TOKEN_CHARS`] characters of
//! letters and digits. Han, kana and hangul characters are one token each (those scripts do
//! not separate words with spaces, so a word is found as the phrase of its characters; their
//! marks are kept, ド is not ト), and so is every emoji or other symbol. Everything else
//! separates tokens.
//!
//! Invariant the stores rely on: a token is never empty and holds only ASCII letters and
//! digits or non-ASCII characters, so FTS5's `ascii` tokenizer keeps it whole and it can
//! never contain a quote, a space or `_`. The index's own tokens (field and tenant tokens)
//! start with `_`, so no query word can ever name or prefix-match them.

use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};
use uuid::Uuid;

/// Longer words are cut to this many characters, in the index and in queries alike.
pub const MAX_TOKEN_CHARS: usize = 64;

/// Tokens indexed per event at most (PostgreSQL keeps positions only up to 16,383); text
/// past this is not searchable. An event of 64 KiB rarely comes near it.
pub const MAX_DOCUMENT_TOKENS: usize = 16_000;

/// One token and where it came from in the source text (byte offsets), for snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

enum Class {
    /// Part of a word: a letter or a digit.
    Word,
    /// A combining mark: continues a word, otherwise ignored.
    Mark,
    /// A token on its own: a CJK character, an emoji or another symbol.
    Single,
    Separator,
}

/// Characters of scripts written without spaces between words, indexed one by one.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // hangul jamo
        | 0x3005..=0x3007     // 々 〆 〇
        | 0x3040..=0x30FF     // hiragana, katakana
        | 0x3130..=0x318F     // hangul compatibility jamo
        | 0x31F0..=0x31FF     // katakana extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xAC00..=0xD7AF     // hangul syllables
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9F     // half-width katakana
        | 0x20000..=0x3134F // CJK extensions B–G
    )
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Class::Word
        } else {
            Class::Separator
        };
    }
    if is_cjk(c) {
        Class::Single
    } else if c.is_alphanumeric() {
        Class::Word
    } else if is_combining_mark(c) {
        Class::Mark
    } else if !c.is_ascii()
        && (c.is_emoji_char() || c.general_category() == GeneralCategory::OtherSymbol)
    {
        Class::Single
    } else {
        Class::Separator
    }
}

/// Whether FTS5's `ascii` tokenizer keeps this text as one token (and PostgreSQL needs no
/// special care either): ASCII letters and digits or non-ASCII characters only.
fn is_plain(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || !c.is_ascii())
}

fn fold(raw: &str) -> String {
    raw.nfkd()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect()
}

fn truncate(token: &str) -> String {
    token.chars().take(MAX_TOKEN_CHARS).collect()
}

/// Splits `text` into tokens, with their source spans.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word_start: Option<usize> = None;
    let flush = |tokens: &mut Vec<Token>, start: usize, end: usize| {
        let raw = &text[start..end];
        if raw.is_ascii() {
            // The common case, and a word of ASCII letters and digits needs no normalising.
            let mut token = raw[..raw.len().min(MAX_TOKEN_CHARS)].to_owned();
            token.make_ascii_lowercase();
            tokens.push(Token {
                text: token,
                start,
                end,
            });
            return;
        }
        // Normalising can bring separators back (`½` → `1⁄2`): split again.
        for piece in fold(raw).split(|c: char| !c.is_alphanumeric()) {
            if is_plain(piece) {
                tokens.push(Token {
                    text: truncate(piece),
                    start,
                    end,
                });
            }
        }
    };
    for (at, c) in text.char_indices() {
        match class(c) {
            Class::Word => {
                word_start.get_or_insert(at);
            }
            Class::Mark => {}
            Class::Single => {
                if let Some(start) = word_start.take() {
                    flush(&mut tokens, start, at);
                }
                let end = at + c.len_utf8();
                // Compatibility forms only (half-width kana, `™` → `tm`): the marks of kana
                // are part of the character (ド is not ト), so they are kept.
                let folded: String = text[at..end].nfkc().flat_map(char::to_lowercase).collect();
                let original = c.to_string();
                // `⁉` would normalise to ASCII punctuation: keep the symbol itself.
                let token = if is_plain(&folded) {
                    folded
                } else if is_plain(&original) {
                    original
                } else {
                    continue;
                };
                tokens.push(Token {
                    text: truncate(&token),
                    start: at,
                    end,
                });
            }
            Class::Separator => {
                if let Some(start) = word_start.take() {
                    flush(&mut tokens, start, at);
                }
            }
        }
    }
    if let Some(start) = word_start {
        flush(&mut tokens, start, text.len());
    }
    tokens
}

/// The tokens of `text`, without spans.
pub fn words(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|token| token.text).collect()
}

/// Whether a token is one CJK character or one symbol (a whole token by construction, so a
/// prefix search on it is the same as an exact one).
pub fn is_single_char_token(token: &str) -> bool {
    let mut chars = token.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_alphanumeric() || is_cjk(c))
}

/// What a field term is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Any searchable text: the event type and every metadata value.
    Any,
    /// `type:` — the event type.
    EventType,
    /// A metadata key path, lower-cased, segments joined with `.` (`user.plan`).
    Meta(String),
}

impl Field {
    /// The index token standing for `token` in this field. Metadata paths are hashed so that
    /// any key (spaces, quotes, emoji) gives a plain fixed-size token; 48 bits make a clash
    /// between two keys of one tenant vanishingly unlikely. The hash is part of the index
    /// format: changing it needs a re-index.
    pub fn token(&self, token: &str) -> String {
        let mut scoped = self.prefix();
        scoped.push_str(token);
        scoped
    }

    /// What [`Field::token`] puts before a token: empty for [`Field::Any`].
    pub fn prefix(&self) -> String {
        match self {
            Field::Any => String::new(),
            Field::EventType => "_type_".to_owned(),
            Field::Meta(path) => {
                // FNV-1a, folded to 48 bits. It only has to tell one tenant's keys apart, not
                // resist an attacker: a clash would merely merge two fields of one tenant.
                let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
                for byte in path.bytes() {
                    hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
                }
                let folded = (hash ^ (hash >> 48)) & 0xffff_ffff_ffff;
                format!("_{folded:012x}_")
            }
        }
    }
}

/// The token every indexed event of the tenant carries, so that the index itself narrows a
/// search to one tenant (the SQL filters by tenant as well). `tenant` is the tenant's id (a
/// `TenantId`'s uuid): this module sits below `crate::tenants`, which reaches the store.
pub fn tenant_token(tenant: Uuid) -> String {
    format!("_t{}", tenant.simple())
}

/// One searchable value of an event: where it is and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// `event_type`, or the metadata path as sent (`user.plan`).
    pub path: String,
    pub field: Field,
    pub text: String,
}

/// The searchable values of an event: its type, then every metadata string, number and
/// boolean in document order (arrays contribute each element under the array's key).
pub fn leaves(event_type: &str, metadata: &Map<String, Value>) -> Vec<Leaf> {
    let mut leaves = vec![Leaf {
        path: "event_type".to_owned(),
        field: Field::EventType,
        text: event_type.to_owned(),
    }];
    let mut path = Vec::new();
    for (key, value) in metadata {
        path.push(key.as_str());
        walk(value, &mut path, &mut leaves);
        path.pop();
    }
    leaves
}

fn walk<'a>(value: &'a Value, path: &mut Vec<&'a str>, leaves: &mut Vec<Leaf>) {
    let text = match value {
        Value::Null => return,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            for item in items {
                walk(item, path, leaves);
            }
            return;
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(key.as_str());
                walk(item, path, leaves);
                path.pop();
            }
            return;
        }
    };
    let joined = path.join(".");
    leaves.push(Leaf {
        field: Field::Meta(joined.to_lowercase()),
        path: joined,
        text,
    });
}

/// The indexed tokens of an event, in order. For every value: its words, then the same words
/// scoped to its field (`_type_signup`, `_<hash of user.plan>_pro`). Because the two runs
/// alternate, a phrase never spans two values, and a scoped phrase stays within one field.
pub fn document(event_type: &str, metadata: &Map<String, Value>) -> Vec<String> {
    let mut tokens = Vec::new();
    visit_document(event_type, metadata, |prefix, word| {
        let mut token = String::with_capacity(prefix.len() + word.len());
        token.push_str(prefix);
        token.push_str(word);
        tokens.push(token);
    });
    tokens
}

/// Calls `emit(prefix, word)` for each token of [`document`] in order (the token is the two
/// concatenated; the prefix is empty for plain words), so that a caller writing the tokens
/// into one string need not allocate each.
pub fn visit_document(
    event_type: &str,
    metadata: &Map<String, Value>,
    mut emit: impl FnMut(&str, &str),
) {
    let mut count = 0;
    for leaf in leaves(event_type, metadata) {
        let words = tokenize(&leaf.text);
        count += 2 * words.len();
        if count > MAX_DOCUMENT_TOKENS {
            break;
        }
        for word in &words {
            emit("", &word.text);
        }
        let prefix = leaf.field.prefix();
        for word in &words {
            emit(&prefix, &word.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn words_are_folded_to_lower_case_without_diacritics() {
        assert_eq!(words("Café CRÈME brûlée"), ["cafe", "creme", "brulee"]);
        assert_eq!(words("e\u{301}te\u{301}"), ["ete"], "decomposed input");
        assert_eq!(words("ﬁne ＡＢＣ"), ["fine", "abc"]);
        assert_eq!(words("Straße"), ["straße"]);
    }

    #[test]
    fn punctuation_separates_and_paths_become_words() {
        assert_eq!(words("/pay/confirm?x=1"), ["pay", "confirm", "x", "1"]);
        assert_eq!(words("checkout_error"), ["checkout", "error"]);
        assert_eq!(
            words("'; DROP TABLE events; --"),
            ["drop", "table", "events"]
        );
        assert_eq!(words("a\0b"), ["a", "b"]);
        assert!(words("*** \" ( ) : -").is_empty());
    }

    #[test]
    fn cjk_characters_and_emoji_are_tokens_of_their_own() {
        assert_eq!(words("支付失败"), ["支", "付", "失", "败"]);
        assert_eq!(words("カード拒否"), ["カ", "ー", "ド", "拒", "否"]);
        assert_eq!(words("결제 실패"), ["결", "제", "실", "패"]);
        assert_eq!(words("fire🔥hot"), ["fire", "🔥", "hot"]);
        assert_eq!(words("❤️"), ["❤"], "the variation selector is dropped");
        assert_eq!(words("👍🏽"), ["👍", "🏽"]);
    }

    #[test]
    fn spans_point_back_into_the_source() {
        let text = "Card DÉCLINED 🔥";
        let spans: Vec<&str> = tokenize(text)
            .iter()
            .map(|t| &text[t.start..t.end])
            .collect();
        assert_eq!(spans, ["Card", "DÉCLINED", "🔥"]);
    }

    #[test]
    fn every_token_is_plain() {
        let nasty = "a\u{2049}b ™ ½ \u{200d} \u{fe0f} ⁂ 𝔘𝔫𝔦 \u{0301}x ＿";
        for token in words(nasty) {
            assert!(is_plain(&token), "{token:?}");
        }
        assert_eq!(words(&"x".repeat(100))[0].len(), MAX_TOKEN_CHARS);
    }

    #[test]
    fn documents_alternate_words_and_field_tokens() {
        let metadata =
            json!({"page": "/pay", "user": {"plan": "Pro"}, "tags": ["a", "b"], "n": null})
                .as_object()
                .cloned()
                .unwrap_or_default();
        let doc = document("signup", &metadata);
        let plan = Field::Meta("user.plan".into());
        assert_eq!(doc[0], "signup");
        assert_eq!(doc[1], "_type_signup");
        assert_eq!(doc[2], "pay");
        assert_eq!(doc[4], "pro");
        assert_eq!(doc[5], plan.token("pro"));
        assert_eq!(doc.len(), 10);
        assert!(plan.token("pro").starts_with('_'));
        assert_ne!(
            Field::Meta("page".into()).token("pay"),
            Field::Meta("referrer".into()).token("pay")
        );
    }
}
