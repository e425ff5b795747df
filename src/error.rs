//! Domain errors: what a capability (event validation, the list/stats/search parsers, webhooks,
//! tenants) refuses or fails with, in its own terms and without HTTP. This module sits below
//! both the capabilities and [`crate::http`]; [`crate::http::error::ApiError`] converts from
//! these types, and that conversion alone decides status codes, so every path that reaches the
//! same check (single, batch, compatibility endpoints) answers with the same code and field.
//!
//! Invariant: a [`ValidationError`] always names the input field at fault, as a path
//! (`events[3].event_type`, `meta.plan`, `url`); it becomes a 422 `validation_error`.

use crate::store::StoreError;

/// Well-formed but invalid input: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn field(&self) -> &str {
        &self.field
    }
}

/// What a capability's operation (more than a parser) can end with besides success.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The named thing does not exist for this tenant (another tenant's counts as missing).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The operation does not fit the thing's current state.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl DomainError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        DomainError::Internal(error.into())
    }
}
