//! Integration tests: one binary, one module per capability. Every test talks to the real
//! server over real HTTP on a random port with a fresh database, or to a real store.

mod audit;
mod auth;
mod breakdown;
mod cancellation;
mod cli;
mod compat;
mod config;
mod connections;
mod deletions;
mod delivery_fairness;
mod deploy;
mod durability;
mod exclude;
mod helpers;
mod ingest;
mod isolation;
mod operations;
mod outages;
mod pg;
mod privacy;
mod process;
mod query;
mod ratelimit;
mod replays;
mod retention;
mod scaled;
mod schemas;
mod sdk;
mod search;
mod store_suite;
mod stream;
mod tenants;
mod webhooks;
