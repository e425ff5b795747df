//! The wire encodings that SDKs use for their bodies, undone into plain JSON bytes:
//!
//! - any `Content-Type` (browser SDKs send `text/plain` to avoid a CORS preflight);
//! - gzip, named by `Content-Encoding: gzip`, by `?compression=gzip-js` (posthog-js), or only
//!   recognisable by its magic bytes;
//! - form-encoded `data=<base64 JSON>` (posthog-js's `sendBeacon` and older SDKs), with
//!   `compression=lz64` meaning the `data` is lz-string's base64 form;
//! - `GET ?data=<base64 JSON>` (PostHog's pixel-style capture).
//!
//! Every step is bounded: the body on the wire by `max_wire`, and what any decompression
//! yields by `max_decoded` (413 past it), so a small body cannot expand into an unbounded one.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

use crate::http::error::ApiError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What a compatibility handler takes of its request besides the body: where the payload
/// comes from and how it is encoded, and the credential headers.
pub struct Wire {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Wire {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Wire {
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            query: parts.uri.query().map(str::to_owned),
        })
    }
}

impl Wire {
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The payload, decoded, at most `limit` bytes on the wire and once decoded.
    pub async fn read(&self, body: Body, limit: usize) -> Result<Bytes, ApiError> {
        let limits = Limits {
            max_wire: limit,
            max_decoded: limit,
        };
        read_payload(self, body, limits).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_wire: usize,
    pub max_decoded: usize,
}

/// Reads the body (or, for GET, the `data` query parameter) and undoes its encodings.
pub async fn read_payload(wire: &Wire, body: Body, limits: Limits) -> Result<Bytes, ApiError> {
    let query_compression = query_param(wire.query(), "compression");
    if wire.method == Method::GET {
        let data = query_param(wire.query(), "data")
            .ok_or_else(|| ApiError::bad_request("send the events as `data=<base64 JSON>`"))?;
        return decode_data(&data, query_compression.as_deref(), limits);
    }

    crate::http::extract::refuse_declared_oversize(&wire.headers, limits.max_wire)?;
    let raw = read_body(body, limits.max_wire).await?;
    let raw = match content_encoding(&wire.headers)? {
        Encoding::Gzip => gunzip(&raw, limits.max_decoded)?,
        Encoding::Identity => raw,
    };
    let raw = if raw.starts_with(&GZIP_MAGIC) {
        // posthog-js names gzip in the query string only; some proxies drop the header.
        gunzip(&raw, limits.max_decoded)?
    } else {
        raw
    };
    if is_form(&wire.headers, &raw) {
        let mut data = None;
        let mut compression = query_compression;
        for (name, value) in form_urlencoded::parse(&raw) {
            match &*name {
                "data" => data = Some(value.into_owned()),
                "compression" => compression = Some(value.into_owned()),
                _ => {}
            }
        }
        let data =
            data.ok_or_else(|| ApiError::bad_request("a form body must carry `data=<base64>`"))?;
        return decode_data(&data, compression.as_deref(), limits);
    }
    if query_compression.as_deref() == Some("lz64") {
        let text = std::str::from_utf8(&raw)
            .map_err(|_| ApiError::bad_request("an lz64 body must be text"))?;
        return lz64(text, limits.max_decoded);
    }
    if raw.len() > limits.max_decoded {
        return Err(too_large(limits.max_decoded));
    }
    Ok(raw)
}

/// The value of a query parameter, form-decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

enum Encoding {
    Identity,
    Gzip,
}

fn content_encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str()) {
        None => Ok(Encoding::Identity),
        Some(Ok(value)) if value.eq_ignore_ascii_case("identity") => Ok(Encoding::Identity),
        Some(Ok(value)) if value.eq_ignore_ascii_case("gzip") => Ok(Encoding::Gzip),
        Some(_) => Err(ApiError::UnsupportedMediaType(
            "Content-Encoding must be gzip or identity".into(),
        )),
    }
}

/// Form bodies are told by their content type, or by their shape when a client sends them as
/// `text/plain` (a JSON body never starts with `data=`).
fn is_form(headers: &HeaderMap, raw: &[u8]) -> bool {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    form_type || raw.starts_with(b"data=")
}

/// Decodes a `data` value: lz-string's base64 when `compression=lz64`, else base64 of JSON
/// (possibly of gzip). Plain JSON in `data` is taken as it is.
fn decode_data(data: &str, compression: Option<&str>, limits: Limits) -> Result<Bytes, ApiError> {
    if compression == Some("lz64") {
        return lz64(data, limits.max_decoded);
    }
    let trimmed = data.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Bytes::copy_from_slice(trimmed.as_bytes()));
    }
    let decoded = base64(trimmed)?;
    if decoded.starts_with(&GZIP_MAGIC) {
        return gunzip(&decoded, limits.max_decoded);
    }
    if decoded.len() > limits.max_decoded {
        return Err(too_large(limits.max_decoded));
    }
    Ok(Bytes::from(decoded))
}

/// Standard or URL-safe base64, padded or not. A `+` that went through a form decoder as a
/// space is put back: SDKs do not always percent-encode it.
fn base64(data: &str) -> Result<Vec<u8>, ApiError> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    let repaired: String = data
        .chars()
        .filter(|c| !c.is_ascii_control() && *c != '\n')
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    STANDARD
        .decode(&repaired)
        .or_else(|_| URL_SAFE.decode(&repaired))
        .or_else(|_| general_purpose::STANDARD.decode(&repaired))
        .map_err(|_| ApiError::bad_request("`data` is not valid base64"))
}

fn lz64(data: &str, max_decoded: usize) -> Result<Bytes, ApiError> {
    // lz-string's base64 alphabet is the standard one; form decoding may have turned `+`
    // into spaces.
    let repaired = data.trim().replace(' ', "+");
    let wide = lz_str::decompress_from_base64(&repaired)
        .filter(|wide| !wide.is_empty() || repaired.is_empty())
        .ok_or_else(|| ApiError::bad_request("the body is not valid lz64 (lz-string base64)"))?;
    // Two bytes per UTF-16 unit bounds the UTF-8 size closely enough for the limit check.
    if wide.len() > max_decoded {
        return Err(too_large(max_decoded));
    }
    let text = String::from_utf16(&wide)
        .map_err(|_| ApiError::bad_request("the lz64 body does not decode to text"))?;
    if text.len() > max_decoded {
        return Err(too_large(max_decoded));
    }
    Ok(Bytes::from(text))
}

async fn read_body(body: Body, max_wire: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, max_wire).await.map_err(|error| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(cause) = source {
            if cause.is::<http_body_util::LengthLimitError>() {
                return too_large(max_wire);
            }
            source = cause.source();
        }
        ApiError::bad_request(format!("could not read the request body: {error}"))
    })
}

fn gunzip(compressed: &[u8], max_decoded: usize) -> Result<Bytes, ApiError> {
    let mut decoded = Vec::new();
    let limit = u64::try_from(max_decoded)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    flate2::read::GzDecoder::new(compressed)
        .take(limit)
        .read_to_end(&mut decoded)
        .map_err(|_| ApiError::bad_request("the body is not valid gzip"))?;
    if decoded.len() > max_decoded {
        return Err(too_large(max_decoded));
    }
    Ok(Bytes::from(decoded))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::too_large(
        None,
        format!("request body exceeds the limit of {limit} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use axum::http::HeaderValue;

    use super::*;

    const LIMITS: Limits = Limits {
        max_wire: 1 << 20,
        max_decoded: 1 << 20,
    };
    const JSON: &str = r#"{"event":"x","properties":{"é":"ü"}}"#;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    async fn post(
        headers: &[(header::HeaderName, &str)],
        query: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Bytes, ApiError> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        let wire = Wire {
            method: Method::POST,
            headers: map,
            query: query.map(str::to_owned),
        };
        read_payload(&wire, Body::from(body), LIMITS).await
    }

    #[tokio::test]
    async fn json_under_any_content_type_passes_through() {
        let out = post(&[(header::CONTENT_TYPE, "text/plain")], None, JSON.into())
            .await
            .unwrap();
        assert_eq!(out, JSON.as_bytes());
    }

    #[tokio::test]
    async fn gzip_is_found_by_header_by_query_and_by_magic_bytes() {
        let zipped = gzip(JSON.as_bytes());
        for (headers, query) in [
            (vec![(header::CONTENT_ENCODING, "gzip")], None),
            (vec![], Some("compression=gzip-js&ver=1.0")),
            (vec![(header::CONTENT_TYPE, "text/plain")], None),
        ] {
            let out = post(&headers, query, zipped.clone()).await.unwrap();
            assert_eq!(out, JSON.as_bytes());
        }
    }

    #[tokio::test]
    async fn form_data_in_base64_and_lz64_is_decoded() {
        let b64 = general_purpose::STANDARD.encode(JSON);
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", &b64)
            .finish();
        let out = post(
            &[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
            None,
            form.into(),
        )
        .await
        .unwrap();
        assert_eq!(out, JSON.as_bytes());

        let lz = lz_str::compress_to_base64(JSON);
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("data", &lz)
            .append_pair("compression", "lz64")
            .finish();
        let out = post(&[], None, form.into()).await.unwrap();
        assert_eq!(out, JSON.as_bytes());
    }

    #[tokio::test]
    async fn an_unencoded_plus_in_base64_survives_form_decoding() {
        // Bytes chosen so that standard base64 holds a `+`.
        let json = r#"{"k":"~~~>"}"#;
        let b64 = general_purpose::STANDARD.encode(json);
        assert!(b64.contains('+'), "{b64}");
        let out = post(&[], None, format!("data={b64}").into()).await.unwrap();
        assert_eq!(out, json.as_bytes());
    }

    #[tokio::test]
    async fn get_takes_the_data_parameter() {
        let b64 = general_purpose::URL_SAFE_NO_PAD.encode(JSON);
        let wire = Wire {
            method: Method::GET,
            headers: HeaderMap::new(),
            query: Some(format!("data={b64}&ip=1")),
        };
        let out = read_payload(&wire, Body::empty(), LIMITS).await.unwrap();
        assert_eq!(out, JSON.as_bytes());
    }

    #[tokio::test]
    async fn garbage_is_a_400_and_a_gzip_bomb_a_413() {
        let bad = post(
            &[(header::CONTENT_ENCODING, "gzip")],
            None,
            b"nope".to_vec(),
        )
        .await
        .unwrap_err();
        assert_eq!(bad.status(), 400);
        let bad = post(&[], None, b"data=%%%".to_vec()).await.unwrap_err();
        assert_eq!(bad.status(), 400);
        let bad = post(&[], Some("compression=lz64"), b"!!!".to_vec())
            .await
            .unwrap_err();
        assert_eq!(bad.status(), 400);

        let bomb = gzip(&vec![b' '; 2 << 20]);
        let refused = post(&[(header::CONTENT_ENCODING, "gzip")], None, bomb)
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 413);
        let refused = post(&[(header::CONTENT_ENCODING, "br")], None, JSON.into())
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 415);
    }

    #[test]
    fn lz64_never_panics_on_random_input() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for length in 0..400 {
            let text: String = (0..length)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize] as char
                })
                .collect();
            let _ = lz64(&text, 1 << 16);
        }
    }
}
