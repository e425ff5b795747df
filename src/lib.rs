//! Tributary: a multi-tenant event ingestion server. Senders POST events with a tenant's
//! API key; Tributary stores them durably, serves them back with filters and statistics,
//! and enforces per-tenant rate limits. See README.md for the architecture.

pub mod audit;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod compat;
pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod http;
pub mod pipeline;
pub mod privacy;
pub mod ratelimit;
pub mod retention;
pub mod schemas;
pub mod search;
pub mod startup;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod tenants;
pub mod textquery;
pub mod webhooks;

#[cfg(test)]
mod properties;
