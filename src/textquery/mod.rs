//! The search language compiled for the stores: what `q` means, and everything a store needs
//! to index events and evaluate a query, with no HTTP, parameter or storage code.
//!
//! [`text`] turns text into tokens (the same for events and queries); [`parse`] reads `q`
//! into a small tree of those tokens ([`Query`]); [`render`] writes the tree, and an event's
//! index document, in each store's syntax (FTS5, `tsquery`, `tsvector`), always for a bound
//! parameter; [`matcher`] evaluates the tree in Rust against one event with the verdict the
//! stores give. Because the tokens are ours, the same query gives the same set of hits on both
//! stores; only the scores differ (BM25 on SQLite, cover density weighted by rarity on
//! PostgreSQL).
//!
//! Where it sits: below both `crate::store` (which renders and runs queries) and
//! `crate::search` (which parses requests into them and calls the store), and it imports
//! neither, nor any capability: what it needs from them comes in as parameters (a tenant as
//! its plain uuid, an event as its type and metadata). Keep it that way, or the store and the
//! capabilities import each other again.

pub mod matcher;
pub mod parse;
pub mod render;
pub mod text;

pub use parse::{ParseError, Query};

/// How many of the most recent matching events (in commit order) a search ranks. Ranking
/// costs time per match, and a query matching hundreds of thousands of events would cost
/// hundreds of milliseconds; a query that matches more than this many ranks the most recent
/// ones (older matches stay reachable through the list endpoint's `q`). Both stores use the
/// same window, so they return the same hits.
pub const RANK_WINDOW: u32 = 2_000;
