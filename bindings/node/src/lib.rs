//! Node bindings for sandvol (napi-rs). Thin: argument conversion, error
//! mapping, and running every blocking core call on a worker thread (pool.rs,
//! reactor.rs).
//!
//! The JS package (`node/`) loads this as `sandvol.node`; `index.js` adds the
//! `MountRequest` helper and turns argument-conversion errors into
//! `invalid_argument`.

// napi-derive registers the exported functions only outside `cargo test`
// builds, so there every export looks unused.
#![cfg_attr(test, allow(dead_code))]

mod bench;
mod convert;
mod engine;
mod error;
mod fast;
mod fs;
mod handle;
mod pool;
mod reactor;
mod results;
mod sandbox;
mod task;
mod volume;

/// The crate version (same as the core's).
#[napi_derive::napi]
pub fn version() -> String {
    sandvol_core::VERSION.to_string()
}
