//! The dashboard: the built `web/dist` folder, embedded in the binary at compile time, served
//! at `/`. Paths that are not files fall back to `index.html` so that client-side routes
//! survive a reload; `/api/…` never falls back, so API clients always get JSON errors.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "web/dist"]
#[allow_missing = true]
struct Assets;

/// What the browser may load on dashboard pages: only our own origin (the live feed's
/// WebSocket included). Inline styles are allowed for the chart library's computed styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return ApiError::NotFound("route").into_response();
    }
    if let Some(file) = Assets::get(path).filter(|_| !path.is_empty()) {
        let mime = file.metadata.mimetype();
        // Vite puts content hashes in asset names, so they can be cached forever.
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return response(StatusCode::OK, mime, cache, file.data.into_owned());
    }
    match Assets::get("index.html") {
        Some(index) => response(StatusCode::OK, "text/html; charset=utf-8", "no-cache", index.data.into_owned()),
        None => response(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no-cache",
            b"The dashboard was not built into this binary: run `make run` (or `npm --prefix web run build` and rebuild)."
                .to_vec(),
        ),
    }
}

fn response(status: StatusCode, mime: &str, cache: &'static str, body: Vec<u8>) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}
