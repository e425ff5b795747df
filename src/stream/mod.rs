//! The live stream (`GET /api/v1/ws`): a tenant's committed events pushed over WebSocket,
//! with type filters, resume from an event id without gap or duplicate, and backpressure that
//! never reaches ingestion.
//!
//! Protocol (also in the README and the OpenAPI description):
//! - server → client: `{"type":"event","data":Event}`, `{"type":"subscribed","event_types":[…]}`
//!   (once live, and after each subscribe), `{"type":"lagged","missed":N}`,
//!   `{"type":"error","code","message"}`;
//! - client → server: `{"type":"subscribe","event_types":[…]}` replaces the filter (empty: all);
//! - close codes: 1001 server shutting down, 4000 ping not answered, 4008 too slow.

pub mod routes;
pub mod session;

/// Close code: the server is going away (shutdown or restart). Reconnect.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: the previous ping was not answered in time.
pub const CLOSE_PING_TIMEOUT: u16 = 4000;
/// A client message larger than the stream takes (64 KiB; clients only send subscriptions).
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: the client read too slowly (missed too many events, or a write timed out).
pub const CLOSE_TOO_SLOW: u16 = 4008;
