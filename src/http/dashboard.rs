//! The dashboard: the built `web/dist` folder, served at `/`. Paths that are not files fall
//! back to `index.html` so that client-side routes survive a reload; `/api/…` never falls
//! back, so API clients always get JSON errors.
//!
//! The files themselves are not in this crate: the `tributary` binary embeds them
//! (crates/dashboard-assets) and hands their lookup to [`install`] at start-up. Were the library
//! to depend on the embed, every new dashboard build would recompile the whole server; this way
//! it relinks. Without an installed lookup (the library on its own, as in tests) the dashboard
//! is simply absent.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Finds a dashboard file by its path under `web/dist` (no leading slash): its bytes and MIME
/// type.
pub type AssetLookup = fn(&str) -> Option<(Cow<'static, [u8]>, String)>;

/// Process-wide, like the files it looks up: they are part of the executable.
static ASSETS: OnceLock<AssetLookup> = OnceLock::new();

/// Sets where dashboard files come from; the first call wins (the binary makes it once).
pub fn install(lookup: AssetLookup) {
    let _ = ASSETS.set(lookup);
}

fn asset(path: &str) -> Option<(Cow<'static, [u8]>, String)> {
    ASSETS.get().and_then(|lookup| lookup(path))
}

/// What the browser may load on dashboard pages: only our own origin (the live feed's
/// WebSocket included). Inline styles are allowed for the chart library's computed styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Path prefixes that belong to an API (ours or an SDK's): an unknown path under them is a
/// JSON 404, never the dashboard.
const API_PREFIXES: [&str; 13] = [
    "api", "v1", "beacon", "e", "i", "capture", "track", "batch", "engage", "decide", "flags",
    "array", "static",
];

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let first_segment = path.split('/').next().unwrap_or("");
    // Only a browser navigating (GET/HEAD) reaches the dashboard; an SDK or API client that
    // posts to a wrong path must see an error it can read.
    if !matches!(method, Method::GET | Method::HEAD) || API_PREFIXES.contains(&first_segment) {
        return ApiError::NotFound("route").into_response();
    }
    if let Some((data, mime)) = asset(path).filter(|_| !path.is_empty()) {
        // Vite puts content hashes in asset names, so they can be cached forever.
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return response(StatusCode::OK, &mime, cache, data.into_owned());
    }
    match asset("index.html") {
        Some((index, _)) => response(StatusCode::OK, "text/html; charset=utf-8", "no-cache", index.into_owned()),
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
