//! The one API error type, mapped to the JSON error body of SPEC §4 in one place:
//! `{"error":{"code","message","field","request_id"}}` with a stable `code`.
//! 5xx are logged at `error` with their cause chain and never show internals to the client.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{DomainError, ValidationError};
use crate::http::request_id;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body could not be used at all (malformed JSON): 400.
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    /// Well-formed but invalid input: 422.
    #[error("{message}")]
    Validation {
        message: String,
        field: Option<String>,
    },
    /// An event its tenant's data contract refuses (see `crate::schemas`): 422, with the
    /// code `schema_violation` or `unplanned_event_type` and what is wrong.
    #[error("{message}")]
    Contract {
        code: &'static str,
        message: String,
        field: String,
        violations: Vec<crate::events::Violation>,
    },
    #[error("{0}")]
    Unauthorized(Cow<'static, str>),
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    PayloadTooLarge {
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    UnsupportedMediaType(Cow<'static, str>),
    /// Over the tenant's rate limit; the headers tell when to come back.
    #[error("{message}")]
    RateLimited { message: String, headers: HeaderMap },
    /// A dependency (database, Redis) is down or overloaded, or the request timed out.
    #[error("{message}")]
    Unavailable {
        message: Cow<'static, str>,
        #[source]
        source: Option<anyhow::Error>,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The error body, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: validation_error, schema_violation, unplanned_event_type,
    /// unauthorized, forbidden, not_found, conflict, payload_too_large, unsupported_media_type,
    /// rate_limited, unavailable, internal.
    pub code: &'static str,
    pub message: String,
    /// The input field at fault, as a path (`events[3].event_type`), when there is one.
    pub field: Option<String>,
    pub request_id: Option<String>,
    /// For `schema_violation` and `unplanned_event_type`: what the schema found wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<crate::events::Violation>>,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            field: None,
        }
    }

    pub fn too_large(field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError::PayloadTooLarge {
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    pub fn unauthorized(message: &'static str) -> Self {
        ApiError::Unauthorized(Cow::Borrowed(message))
    }

    pub fn forbidden(message: &'static str) -> Self {
        ApiError::Forbidden(Cow::Borrowed(message))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } | ApiError::Contract { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } | ApiError::Validation { .. } => "validation_error",
            ApiError::Contract { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. }
            | ApiError::Validation { field, .. }
            | ApiError::PayloadTooLarge { field, .. } => field.as_deref(),
            ApiError::Contract { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The detail object, also used for per-item errors in a batch response.
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code(),
            message: self.to_string(),
            field: self.field().map(str::to_owned),
            request_id: None,
            violations: match self {
                ApiError::Contract { violations, .. } => Some(violations.clone()),
                _ => None,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            error if error.is_unavailable() => ApiError::Unavailable {
                message: Cow::Borrowed("storage is unavailable, retry later"),
                source: Some(error.into()),
            },
            error => ApiError::Internal(error.into()),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        ApiError::Validation {
            message: error.message,
            field: Some(error.field),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(invalid) => invalid.into(),
            DomainError::NotFound(what) => ApiError::NotFound(what),
            DomainError::Conflict(message) => ApiError::Conflict(message),
            DomainError::Store(store) => store.into(),
            DomainError::Internal(source) => ApiError::Internal(source),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = ?anyhow_chain(&self), code = self.code(), "request failed");
        } else {
            tracing::debug!(error = %self, code = self.code(), "request rejected");
        }
        let mut detail = self.detail();
        detail.request_id = request_id::current();
        let mut response = (status, axum::Json(ErrorBody { error: detail })).into_response();
        if let ApiError::RateLimited { headers, .. } = self {
            response.headers_mut().extend(headers);
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The error and its sources, one per line, for logs.
fn anyhow_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
