//! The accept loop: each connection served by hyper (HTTP/1.1, with upgrades for the live
//! stream) with the limits `axum::serve` does not offer. Invariants:
//!
//! - a connection must send a whole request head within `http.header_read_timeout_secs`, for
//!   its first request and again whenever it sits idle between requests, or it is closed; so a
//!   silent or half-sent client holds a socket for seconds, not forever;
//! - at most `http.max_connections` are open; past that a new one is closed at once, counted
//!   (`tributary_http_connections_refused_total`) and logged (at most once a second);
//! - on shutdown the listener closes, every connection is asked to finish its request and
//!   close, and after `http.shutdown_grace_secs` whatever is still open is dropped, so no
//!   client can hold the server open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::HttpConfig;

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module's doc).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.header_read_timeout_secs));
    let slots = Arc::new(Semaphore::new(config.max_connections));
    // Asks every connection to finish its request and close.
    let draining = CancellationToken::new();
    // The connections' tasks, so that those left after the grace period can be ended: each
    // holds the router, and with it the committer handle whose drop lets the committer finish.
    let mut connections = JoinSet::new();
    let mut last_refusal_log: Option<Instant> = None;
    tokio::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::counter!("tributary_http_connections_refused_total").increment(1);
            if last_refusal_log.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                last_refusal_log = Some(Instant::now());
                tracing::warn!(
                    max_connections = config.max_connections,
                    %peer,
                    "connection limit reached: closing new connections (http.max_connections)"
                );
            }
            drop(stream);
            continue;
        };
        // Small writes (live-stream frames, short responses) go out at once: with Nagle's
        // algorithm a frame can wait for the peer's delayed ACK, up to 40 ms on Linux.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        // The peer's address, for whoever needs it (the audit log records it).
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let draining = draining.clone();
        connections.spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = draining.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(error = %error, %peer, "connection ended with an error");
            }
        });
    }

    drop(listener);
    draining.cancel();
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            grace_secs = config.shutdown_grace_secs,
            open = connections.len(),
            "connections still open after the shutdown grace period are closed"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}
