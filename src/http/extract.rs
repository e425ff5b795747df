//! Our own extractors, so that malformed input gets our error body (with the field path)
//! instead of axum's plain-text rejections, and the body helpers shared by the JSON endpoints.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;

/// A JSON body parsed into `T`: 415 unless the content type is JSON, 400 for malformed JSON,
/// 422 with the field's path when the JSON does not fit `T`, 413 past `http.max_body_bytes`.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let limit = state.config.http.max_body_bytes;
        let bytes = read_json_body(&parts.headers, body, limit, limit).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// Parses JSON into `T`, telling syntax errors (400) from shape errors (422, with the path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Validation {
                message: inner.to_string(),
                field: (path != ".").then_some(path),
            },
            _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::bad_request(format!("malformed JSON: {error}")))?;
    Ok(value)
}

/// Checks that the request carries JSON, reads at most `max_wire` bytes of body, and
/// decompresses `Content-Encoding: gzip` up to `max_decoded` bytes. Anything larger is 413,
/// so a small compressed body cannot expand into an unbounded one.
pub async fn read_json_body(
    headers: &HeaderMap,
    body: Body,
    max_wire: usize,
    max_decoded: usize,
) -> Result<Bytes, ApiError> {
    require_json(headers)?;
    let gzip = match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str()) {
        None => false,
        Some(Ok(encoding)) if encoding.eq_ignore_ascii_case("identity") => false,
        Some(Ok(encoding)) if encoding.eq_ignore_ascii_case("gzip") => true,
        Some(_) => {
            return Err(ApiError::UnsupportedMediaType(
                "Content-Encoding must be gzip or identity".into(),
            ));
        }
    };
    let too_large = || {
        ApiError::too_large(
            None,
            format!("request body exceeds the limit of {max_decoded} bytes"),
        )
    };
    refuse_declared_oversize(headers, max_wire)?;
    let wire = axum::body::to_bytes(body, max_wire)
        .await
        .map_err(|error| {
            // to_bytes reports a length-limit breach through its source; anything else is an I/O
            // failure reading the body, which the client caused by going away or sending garbage.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(cause) = source {
                if cause.is::<http_body_util::LengthLimitError>() {
                    return too_large();
                }
                source = cause.source();
            }
            ApiError::bad_request(format!("could not read the request body: {error}"))
        })?;
    if !gzip {
        return Ok(wire);
    }
    let mut decoded = Vec::new();
    let limit = u64::try_from(max_decoded)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    flate2::read::GzDecoder::new(&wire[..])
        .take(limit)
        .read_to_end(&mut decoded)
        .map_err(|_| ApiError::bad_request("the body is not valid gzip"))?;
    if decoded.len() > max_decoded {
        return Err(too_large());
    }
    Ok(Bytes::from(decoded))
}

/// A `Content-Length` over the limit is refused before any of the body is read, so that the
/// client hears 413 at once instead of the server waiting for a body it will not take.
pub fn refuse_declared_oversize(headers: &HeaderMap, max_wire: usize) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > u64::try_from(max_wire).unwrap_or(u64::MAX) => {
            Err(ApiError::too_large(
                None,
                format!("request body of {length} bytes exceeds the limit of {max_wire} bytes"),
            ))
        }
        _ => Ok(()),
    }
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ))
    }
}

/// Path parameters; a parameter that does not parse means the resource cannot exist: 404.
pub struct AppPath<T>(pub T);

impl<T, S> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| AppPath(value))
            .map_err(|_| ApiError::NotFound("resource"))
    }
}

/// Parses an id from a path segment; a malformed id is reported like a missing resource.
pub fn parse_id(raw: &str, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(what))
}
