//! Ownership of what the library hands out: strings and byte buffers.

use sandvol_core::{Error, Result};
use std::alloc::{Layout, alloc, dealloc};
use std::ffi::{CString, c_char};

/// Frees a string returned by the library (JSON results, ids, symlink targets).
///
/// NULL is allowed and does nothing. Must not be called twice on the same
/// string, and must not be given a string the library did not return.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the string came from `CString::into_raw` (caller's contract).
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Bytes in front of every buffer: the buffer's length, so that freeing needs only the pointer.
const HEADER: usize = 16;

fn layout(len: usize) -> Result<Layout> {
    let total = len.checked_add(HEADER).ok_or_else(|| Error::invalid_argument(format!("buffer length {len} is absurd")))?;
    Layout::from_size_align(total, HEADER).map_err(|_| Error::invalid_argument(format!("buffer length {len} is absurd")))
}

/// Copies `bytes` into a library-owned buffer freed by `sandvol_buffer_free`.
/// Never NULL on success, even for zero bytes.
pub fn into_buffer(bytes: &[u8]) -> Result<*mut u8> {
    let l = layout(bytes.len())?;
    // SAFETY: the layout is non-zero sized.
    let base = unsafe { alloc(l) };
    if base.is_null() {
        return Err(Error::io(format!("out of memory allocating {} bytes", bytes.len())));
    }
    // SAFETY: base holds HEADER + len bytes, aligned to 16.
    unsafe {
        (base as *mut usize).write(bytes.len());
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(HEADER), bytes.len());
        Ok(base.add(HEADER))
    }
}

/// Frees a byte buffer returned by the library (file contents).
///
/// NULL is allowed and does nothing. Must not be called twice on the same
/// buffer, and must not be given a pointer the library did not return.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_buffer_free(data: *mut u8) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` came from `into_buffer`, so the header precedes it.
    unsafe {
        let base = data.sub(HEADER);
        let len = (base as *const usize).read();
        if let Ok(l) = layout(len) {
            dealloc(base, l);
        }
    }
}
