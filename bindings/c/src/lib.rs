//! C ABI for sandvol: `libsandvol.so` / `libsandvol.a` and `include/sandvol.h`.
//!
//! Thin by design: every export converts its arguments, calls `sandvol-core`
//! and maps the result; no rule of the product is implemented here. The
//! conventions every export follows (status codes, out-parameters, ownership,
//! JSON schemas) are written at the top of the generated header.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

#[macro_use]
pub mod boundary;
pub mod engine;
pub mod error;
pub mod file;
pub mod handles;
pub mod json;
pub mod memory;
pub mod mount;
pub mod options;
pub mod sandbox;
pub mod snapshot;
pub mod volume;
