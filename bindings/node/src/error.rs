//! Error mapping: every sandvol error becomes a JS `Error` whose `.code` is the
//! stable code string of [`ErrorCode`]; the mapping is by code, never by message.

use napi::bindgen_prelude::*;
use napi::{Env, sys};
use sandvol_core::{Error as CoreError, ErrorCode};

/// A napi error status that JS sees as `err.code` (used by synchronous exports).
#[derive(Debug, Clone, Copy)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// Synchronous error with a sandvol code.
pub fn sync_err(e: CoreError) -> napi::Error<Code> {
    napi::Error::new(Code(e.code().as_str()), e.message().to_string())
}

/// Builds the JS `Error` object for a core error and wraps it so napi rejects
/// (or throws) with that very object.
pub fn js_error(env: &Env, e: &CoreError) -> napi::Error {
    match build(env.raw(), e.code(), e.message()) {
        Ok(err) => err,
        Err(fallback) => fallback,
    }
}

fn build(env: sys::napi_env, code: ErrorCode, message: &str) -> Result<napi::Error> {
    let env = Env::from_raw(env);
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, message.to_string()))?;
    obj.set_named_property("code", code.as_str())?;
    let unknown = obj.to_unknown();
    Ok(napi::Error::from(unknown))
}

/// An `invalid_argument` core error.
pub fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::invalid_argument(msg)
}

/// Every stable error code, in numeric order (ErrorCode::ALL).
#[napi_derive::napi(js_name = "errorCodes")]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL.iter().map(|c| c.as_str().to_string()).collect()
}
