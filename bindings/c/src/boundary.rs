//! The one wrapper every export goes through (`ffi_boundary!`) and the argument
//! conversions it uses: NULL checks, UTF-8 checks, length checks, out-parameters.

use crate::error::{self, SANDVOL_OK, sandvol_status};
use sandvol_core::{Error, ErrorCode, Result};
use serde::Serialize;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Wraps the body of an export: clears the thread's last error, checks that the
/// listed pointer arguments are not NULL, runs the body under `catch_unwind`, and
/// turns its `Result<()>` (or a panic) into a status code plus the thread-local
/// last error.
///
/// ```ignore
/// ffi_boundary!(sandvol_volume_get, [engine, volume_ref, out_json], {
///     /* body returning sandvol_core::Result<()> */
/// })
/// ```
macro_rules! ffi_boundary {
    ($name:ident, [$($p:ident),* $(,)?], $body:block) => {
        $crate::boundary::run(stringify!($name), || -> ::sandvol_core::Result<()> {
            $(
                if $p.is_null() {
                    return Err($crate::boundary::null_arg(stringify!($p)));
                }
            )*
            $body
        })
    };
}

/// Runs one export body; see [`ffi_boundary!`].
pub fn run(name: &'static str, f: impl FnOnce() -> Result<()>) -> sandvol_status {
    error::clear();
    match catch_unwind(AssertUnwindSafe(|| {
        if injected_panic(name) {
            panic!("panic injected by {PANIC_ENV}={name}");
        }
        f()
    })) {
        Ok(Ok(())) => SANDVOL_OK,
        Ok(Err(e)) => error::set(e.code(), e.message()),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            // Dropping a payload can itself panic; never let that cross the boundary.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            error::set(ErrorCode::Internal, &format!("internal error in {name}: {what}"))
        }
    }
}

/// Fault injection for tests of the boundary itself: when this environment
/// variable (read once, at the first call) names an exported function, that
/// function panics inside the boundary, so a C program can observe
/// SANDVOL_ERR_INTERNAL without a bug in the engine.
pub const PANIC_ENV: &str = "SANDVOL_FFI_PANIC_IN";

fn injected_panic(name: &str) -> bool {
    static WHERE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    WHERE.get_or_init(|| std::env::var(PANIC_ENV).ok()).as_deref() == Some(name)
}

/// The error for a NULL pointer argument.
pub fn null_arg(name: &str) -> Error {
    Error::invalid_argument(format!("argument `{name}` is NULL"))
}

/// Largest length a Rust slice may have; anything above is a caller bug.
const MAX_LEN: usize = isize::MAX as usize;

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "argument `{name}` is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// An optional string argument: NULL means "not given".
///
/// # Safety
/// As [`str_arg`].
pub unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() { Ok(None) } else { unsafe { str_arg(p, name) }.map(Some) }
}

/// A byte buffer argument: `len` bytes at `p` (`p` may be NULL only when `len` is 0).
///
/// # Safety
/// `p` points to `len` readable bytes valid for the call.
pub unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    check_len(len, 1, name)?;
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::invalid_argument(format!("argument `{name}` is NULL but its length is {len}")));
    }
    // SAFETY: checked non-NULL and length bound; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A writable caller buffer: `len` bytes at `p` (`p` may be NULL only when `len` is 0).
///
/// # Safety
/// `p` points to `len` writable bytes valid for the call.
pub unsafe fn bytes_out_arg<'a>(p: *mut u8, len: usize, name: &str) -> Result<&'a mut [u8]> {
    check_len(len, 1, name)?;
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Error::invalid_argument(format!("argument `{name}` is NULL but its length is {len}")));
    }
    // SAFETY: as above.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// Refuses element counts no real array can have.
pub fn check_len(len: usize, elem_size: usize, name: &str) -> Result<()> {
    if len > MAX_LEN / elem_size.max(1) {
        return Err(Error::invalid_argument(format!("length {len} of argument `{name}` is absurd")));
    }
    Ok(())
}

/// A C boolean (`int`): 0 is false, anything else true.
pub fn flag(v: c_int) -> bool {
    v != 0
}

/// A tri-state C boolean: -1 unset, 0 false, 1 true; anything else is refused.
pub fn tri(v: c_int, name: &str) -> Result<Option<bool>> {
    match v {
        -1 => Ok(None),
        0 => Ok(Some(false)),
        1 => Ok(Some(true)),
        _ => Err(Error::invalid_argument(format!("field `{name}` is {v}; use -1 (unset), 0 or 1"))),
    }
}

/// An optional non-negative integer: -1 is unset, other negatives are refused.
pub fn opt_u64(v: i64, name: &str) -> Result<Option<u64>> {
    match v {
        -1 => Ok(None),
        v if v >= 0 => Ok(Some(v as u64)),
        _ => Err(Error::invalid_argument(format!("field `{name}` is {v}; use -1 (unset) or a value >= 0"))),
    }
}

/// Turns a Rust string into a library-owned C string (freed by `sandvol_string_free`).
pub fn into_c_string(s: String) -> Result<*mut c_char> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|e| Error::internal(format!("result contains a NUL byte at offset {}", e.nul_position())))
}

/// Stores a library-owned string in `out` (ignored when `out` is NULL).
///
/// # Safety
/// `out` is NULL or valid for a write.
pub unsafe fn put_string(out: *mut *mut c_char, s: String) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let p = into_c_string(s)?;
    // SAFETY: non-NULL, writable per the caller's contract.
    unsafe { out.write(p) };
    Ok(())
}

/// Serializes `v` to JSON and stores it in `out` (ignored when `out` is NULL).
///
/// # Safety
/// As [`put_string`].
pub unsafe fn put_json<T: Serialize + ?Sized>(out: *mut *mut c_char, v: &T) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let s = serde_json::to_string(v).map_err(|e| Error::internal(format!("cannot encode result as JSON: {e}")))?;
    unsafe { put_string(out, s) }
}

/// Serializes an already built JSON value (see `json::mount_json`).
///
/// # Safety
/// As [`put_string`].
pub unsafe fn put_value(out: *mut *mut c_char, v: serde_json::Value) -> Result<()> {
    unsafe { put_json(out, &v) }
}

/// Stores a plain value in `out` (ignored when `out` is NULL).
///
/// # Safety
/// `out` is NULL or valid for a write.
pub unsafe fn put<T>(out: *mut T, v: T) {
    if !out.is_null() {
        // SAFETY: non-NULL, writable per the caller's contract.
        unsafe { out.write(v) };
    }
}

/// Reads a caller's option struct whose first field is its `size` (bytes).
///
/// NULL gives `None` (defaults). A struct smaller than version 1 of the layout
/// (not initialized with its `_init` function) or larger than this library knows
/// (built against a newer header) is refused; a smaller, older layout is read up
/// to its size and the rest takes the defaults.
///
/// # Safety
/// `p` is NULL or points to at least `(*p).size` readable bytes.
pub unsafe fn read_opts<T: Sized + Copy + Versioned>(p: *const T, name: &str) -> Result<Option<T>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: every option struct starts with `size: usize`.
    let size = unsafe { (p as *const usize).read() };
    let max = std::mem::size_of::<T>();
    if size < T::V1_SIZE || size > max {
        return Err(Error::invalid_argument(format!(
            "argument `{name}` has size {size}, this library accepts {}..={max} bytes; initialize it with its _init function",
            T::V1_SIZE
        )));
    }
    let mut v = T::defaults();
    // SAFETY: both regions hold at least `size` bytes and do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(p as *const u8, &mut v as *mut T as *mut u8, size) };
    Ok(Some(v))
}

/// Reads an array of option structs whose stride is the first element's `size`.
///
/// # Safety
/// `p` points to `len` structs of `(*p).size` bytes each.
pub unsafe fn read_opts_array<T: Sized + Copy + Versioned>(p: *const T, len: usize, name: &str) -> Result<Vec<T>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(Error::invalid_argument(format!("argument `{name}` is NULL but its length is {len}")));
    }
    check_len(len, T::V1_SIZE, name)?;
    // SAFETY: first element is readable per the caller's contract.
    let stride = unsafe { (p as *const usize).read() };
    let mut out = Vec::with_capacity(len.min(1024));
    for i in 0..len {
        // SAFETY: element i lies at i * stride per the caller's contract.
        let elem = unsafe { (p as *const u8).add(i * stride) } as *const T;
        let v = unsafe { read_opts(elem, &format!("{name}[{i}]")) }?.expect("non-NULL");
        if v.size() != stride {
            return Err(Error::invalid_argument(format!(
                "argument `{name}[{i}]` has size {}, element 0 has {stride}; every element needs the same _init",
                v.size()
            )));
        }
        out.push(v);
    }
    Ok(out)
}

/// An option struct with a leading `size` field and versioned defaults.
pub trait Versioned {
    /// Size of the first published layout.
    const V1_SIZE: usize;
    /// The values `_init` sets (with `size` = the current layout's size).
    fn defaults() -> Self;
    /// The struct's `size` field.
    fn size(&self) -> usize;
}
