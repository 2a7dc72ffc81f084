//! Error mapping: every sandvol error becomes a JS `Error` whose `.code` is the
//! stable code string of [`ErrorCode`]; the mapping is by code, never by message.

use napi::sys;
use sandvol_core::{Error as CoreError, ErrorCode};
use std::ptr;

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

/// The JS `Error` for a core error: its message, and `.code` set to the stable
/// code (napi_create_error sets `code` itself).
pub fn error_value(env: sys::napi_env, e: &CoreError) -> sys::napi_value {
    let string = |s: &str| {
        let mut v = ptr::null_mut();
        unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
        v
    };
    let (code, message) = (string(e.code().as_str()), string(e.message()));
    let mut err = ptr::null_mut();
    unsafe { sys::napi_create_error(env, code, message, &mut err) };
    err
}

/// The code of a failed result conversion: a result napi-rs or Node refused
/// (`InvalidArg`: a Buffer over Node's limit) is the caller's request,
/// anything else sandvol's.
pub fn conversion_code(e: &napi::Error) -> ErrorCode {
    if e.status == napi::Status::InvalidArg { ErrorCode::InvalidArgument } else { ErrorCode::Internal }
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
