//! Status codes, the thread-local last error, and version information.

#![allow(unused_parens)]

use sandvol_core::ErrorCode;
use std::cell::RefCell;
use std::ffi::{CString, c_char, c_int};

/// Return type of every fallible function: `SANDVOL_OK` (0) or a negative `SANDVOL_ERR_*`.
pub type sandvol_status = c_int;

/// Success.
pub const SANDVOL_OK: sandvol_status = 0;
/// Bad path, size string, access mode, option, NULL pointer, non-UTF-8 string or absurd length (HTTP 400).
pub const SANDVOL_ERR_INVALID_ARGUMENT: sandvol_status = (-1);
/// Volume, snapshot, sandbox, mount session or file missing (404).
pub const SANDVOL_ERR_NOT_FOUND: sandvol_status = (-2);
/// Name taken, or exclusive create of an existing file (409).
pub const SANDVOL_ERR_ALREADY_EXISTS: sandvol_status = (-3);
/// Volume in use, mount path in use, version mismatch (409).
pub const SANDVOL_ERR_CONFLICT: sandvol_status = (-4);
/// Mount request against the volume's access mode (409).
pub const SANDVOL_ERR_ACCESS_MODE: sandvol_status = (-5);
/// Write through a read-only mount, or the ROX rule (403).
pub const SANDVOL_ERR_READ_ONLY: sandvol_status = (-6);
/// Reserved path or escape attempt (403).
pub const SANDVOL_ERR_PERMISSION: sandvol_status = (-7);
/// Operation not allowed in the current state (409).
pub const SANDVOL_ERR_INVALID_STATE: sandvol_status = (-8);
/// size_limit reached (507).
pub const SANDVOL_ERR_QUOTA: sandvol_status = (-9);
/// A wait ran out, e.g. another process held the catalog's write lock too long (504).
pub const SANDVOL_ERR_TIMEOUT: sandvol_status = (-10);
/// A path component that must be a directory is not one.
pub const SANDVOL_ERR_NOT_A_DIRECTORY: sandvol_status = (-11);
/// A file operation was aimed at a directory.
pub const SANDVOL_ERR_IS_A_DIRECTORY: sandvol_status = (-12);
/// Removing a directory that still has entries without `recursive`.
pub const SANDVOL_ERR_DIRECTORY_NOT_EMPTY: sandvol_status = (-13);
/// Rename across volumes.
pub const SANDVOL_ERR_CROSS_DEVICE: sandvol_status = (-14);
/// Backend or disk failure (500).
pub const SANDVOL_ERR_IO: sandvol_status = (-15);
/// Hash mismatch or damaged catalog (500).
pub const SANDVOL_ERR_CORRUPT: sandvol_status = (-16);
/// A bug inside sandvol: a panic caught at the C boundary (500).
pub const SANDVOL_ERR_INTERNAL: sandvol_status = (-17);

/// Major version of this library (also in `sandvol_version()`).
pub const SANDVOL_VERSION_MAJOR: u32 = 0;
/// Minor version of this library.
pub const SANDVOL_VERSION_MINOR: u32 = 1;
/// Patch version of this library.
pub const SANDVOL_VERSION_PATCH: u32 = 0;
/// MAJOR * 1000000 + MINOR * 1000 + PATCH, for `#if` comparisons.
pub const SANDVOL_VERSION_NUMBER: u32 = 1000;

/// The status code of a core error code: `-(code as u32)`.
pub fn status_of(code: ErrorCode) -> sandvol_status {
    -(code as u32 as c_int)
}

/// The core error code of a status, if it is one.
pub fn code_of(status: c_int) -> Option<ErrorCode> {
    ErrorCode::ALL.iter().copied().find(|c| status_of(*c) == status)
}

struct Last {
    status: sandvol_status,
    message: Option<CString>,
}

thread_local! {
    static LAST: RefCell<Last> = const { RefCell::new(Last { status: SANDVOL_OK, message: None }) };
}

/// Forgets the thread's last error (done at the start of every call).
pub fn clear() {
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            l.status = SANDVOL_OK;
            l.message = None;
        }
    });
}

/// Records an error for this thread and returns its status.
pub fn set(code: ErrorCode, message: &str) -> sandvol_status {
    let status = status_of(code);
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            l.status = status;
            l.message = Some(text);
        }
    });
    status
}

/// Message of the last failed call on this thread, or "" when the last call succeeded.
///
/// The message names the offending value. The pointer is owned by the library
/// and stays valid until the next sandvol call on this thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn sandvol_last_error_message() -> *const c_char {
    LAST.try_with(|l| match l.try_borrow() {
        Ok(l) => l.message.as_ref().map(|m| m.as_ptr()).unwrap_or(c"".as_ptr()),
        Err(_) => c"".as_ptr(),
    })
    .unwrap_or(c"".as_ptr())
}

/// Status of the last call on this thread: `SANDVOL_OK` or the `SANDVOL_ERR_*` it returned.
#[unsafe(no_mangle)]
pub extern "C" fn sandvol_last_error_code() -> sandvol_status {
    LAST.try_with(|l| l.try_borrow().map(|l| l.status).unwrap_or(SANDVOL_OK)).unwrap_or(SANDVOL_OK)
}

/// The stable snake_case name of a status ("ok", "conflict", ...; the `code`
/// string of the Python and Node bindings), or "unknown" for any other value.
/// The string is static; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn sandvol_error_name(status: sandvol_status) -> *const c_char {
    static NAMES: [&std::ffi::CStr; 17] = [
        c"invalid_argument",
        c"not_found",
        c"already_exists",
        c"conflict",
        c"access_mode_violation",
        c"read_only",
        c"permission_denied",
        c"invalid_state",
        c"quota_exceeded",
        c"timeout",
        c"not_a_directory",
        c"is_a_directory",
        c"directory_not_empty",
        c"cross_device",
        c"io",
        c"corrupt",
        c"internal",
    ];
    if status == SANDVOL_OK {
        return c"ok".as_ptr();
    }
    match code_of(status) {
        Some(c) => NAMES.get(c as usize - 1).map(|n| n.as_ptr()).unwrap_or(c"unknown".as_ptr()),
        None => c"unknown".as_ptr(),
    }
}

/// The library version ("MAJOR.MINOR.PATCH", the crate version), a static string; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn sandvol_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn constants_match_core_codes() {
        let consts = [
            SANDVOL_ERR_INVALID_ARGUMENT,
            SANDVOL_ERR_NOT_FOUND,
            SANDVOL_ERR_ALREADY_EXISTS,
            SANDVOL_ERR_CONFLICT,
            SANDVOL_ERR_ACCESS_MODE,
            SANDVOL_ERR_READ_ONLY,
            SANDVOL_ERR_PERMISSION,
            SANDVOL_ERR_INVALID_STATE,
            SANDVOL_ERR_QUOTA,
            SANDVOL_ERR_TIMEOUT,
            SANDVOL_ERR_NOT_A_DIRECTORY,
            SANDVOL_ERR_IS_A_DIRECTORY,
            SANDVOL_ERR_DIRECTORY_NOT_EMPTY,
            SANDVOL_ERR_CROSS_DEVICE,
            SANDVOL_ERR_IO,
            SANDVOL_ERR_CORRUPT,
            SANDVOL_ERR_INTERNAL,
        ];
        assert_eq!(consts.len(), ErrorCode::ALL.len());
        for (c, s) in ErrorCode::ALL.iter().zip(consts) {
            assert_eq!(status_of(*c), s, "{c}");
            assert_eq!(code_of(s), Some(*c));
            let name = unsafe { CStr::from_ptr(sandvol_error_name(s)) }.to_str().unwrap();
            assert_eq!(name, c.as_str());
        }
        assert_eq!(unsafe { CStr::from_ptr(sandvol_error_name(0)) }.to_str().unwrap(), "ok");
        assert_eq!(unsafe { CStr::from_ptr(sandvol_error_name(-99)) }.to_str().unwrap(), "unknown");
        assert_eq!(unsafe { CStr::from_ptr(sandvol_error_name(3)) }.to_str().unwrap(), "unknown");
    }

    #[test]
    fn version_matches_cargo() {
        let v = unsafe { CStr::from_ptr(sandvol_version()) }.to_str().unwrap();
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
        assert_eq!((SANDVOL_VERSION_MAJOR, SANDVOL_VERSION_MINOR, SANDVOL_VERSION_PATCH), (major, minor, patch));
        assert_eq!(SANDVOL_VERSION_NUMBER, major * 1_000_000 + minor * 1000 + patch);
    }

    #[test]
    fn panics_become_internal_with_a_message() {
        let st = crate::boundary::run("sandvol_test", || panic!("boom {}", 42));
        assert_eq!(st, SANDVOL_ERR_INTERNAL);
        assert_eq!(sandvol_last_error_code(), SANDVOL_ERR_INTERNAL);
        let msg = unsafe { CStr::from_ptr(sandvol_last_error_message()) }.to_str().unwrap();
        assert!(msg.contains("sandvol_test") && msg.contains("boom 42"), "{msg}");
        let st = crate::boundary::run("sandvol_test", || Ok(()));
        assert_eq!(st, SANDVOL_OK);
        assert_eq!(sandvol_last_error_code(), SANDVOL_OK);
        assert_eq!(unsafe { CStr::from_ptr(sandvol_last_error_message()) }.to_str().unwrap(), "");
    }
}
