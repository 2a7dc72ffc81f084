//! JSON shapes of structured results (documented in the header) and
//! `sandvol_json_get`, a small accessor so C callers need no JSON parser.

use crate::boundary::{put_string, str_arg};
use crate::error::sandvol_status;
use sandvol_core::{Error, MountSession, Result, Sandbox};
use serde_json::Value;
use std::ffi::c_char;

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::internal(format!("cannot encode result as JSON: {e}")))
}

/// A mount session, with its id also under the name the hosted APIs use.
pub fn mount(m: &MountSession) -> Result<Value> {
    let mut v = to_value(m)?;
    if let Value::Object(o) = &mut v {
        o.insert("mount_session_id".into(), Value::String(m.id.clone()));
    }
    Ok(v)
}

/// A list of mount sessions.
pub fn mounts(ms: &[MountSession]) -> Result<Value> {
    Ok(Value::Array(ms.iter().map(mount).collect::<Result<_>>()?))
}

/// A sandbox: its row plus `bootstrap_mounts`.
pub fn sandbox(sb: &Sandbox) -> Result<Value> {
    let mut v = to_value(sb.info())?;
    if let Value::Object(o) = &mut v {
        o.insert("bootstrap_mounts".into(), mounts(sb.bootstrap_mounts())?);
    }
    Ok(v)
}

/// Looks up one value in a JSON document by JSON Pointer (RFC 6901), e.g.
/// "/id", "/bootstrap_mounts/0/state", "/items/2/name".
///
/// A string value is returned without quotes; any other value (number, bool,
/// null, object, array) as compact JSON text. `*out_value` is freed with
/// sandvol_string_free. Errors: SANDVOL_ERR_INVALID_ARGUMENT when `json` is not
/// JSON, SANDVOL_ERR_NOT_FOUND when nothing is at `pointer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_json_get(
    json: *const c_char,
    pointer: *const c_char,
    out_value: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_json_get, [json, pointer, out_value], {
        let text = unsafe { str_arg(json, "json") }?;
        let ptr = unsafe { str_arg(pointer, "pointer") }?;
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid_argument(format!("argument `json` is not JSON: {e}")))?;
        let found = doc
            .pointer(ptr)
            .ok_or_else(|| Error::not_found(format!("JSON pointer {ptr:?} matches nothing")))?;
        let s = match found {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if s.contains('\0') {
            return Err(Error::invalid_argument(format!("value at {ptr:?} contains a NUL byte")));
        }
        unsafe { put_string(out_value, s) }
    })
}
