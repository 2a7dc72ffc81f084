//! File operations, addressed by sandbox path (SANDVOL_TARGET_SANDBOX + sandbox
//! id) or directly by volume path (SANDVOL_TARGET_VOLUME + volume id or name),
//! and open file handles.

use crate::boundary::{bytes_arg, bytes_out_arg, flag, opt_str_arg, put, put_json, put_string, str_arg};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine, sandvol_file};
use crate::memory::into_buffer;
use crate::options::{SANDVOL_TARGET_SANDBOX, SANDVOL_TARGET_VOLUME, sandvol_write_options, write_options};
use sandvol_core::{Error, ListDirOptions, OpenOptions, Result, Target};
use std::ffi::{c_char, c_int};

unsafe fn target<'a>(kind: c_int, id: *const c_char) -> Result<Target<'a>> {
    let id = unsafe { str_arg(id, "target_id") }?;
    match kind {
        SANDVOL_TARGET_SANDBOX => Ok(Target::Sandbox(id)),
        SANDVOL_TARGET_VOLUME => Ok(Target::Volume(id)),
        k => Err(Error::invalid_argument(format!(
            "target_kind {k} is not SANDVOL_TARGET_SANDBOX ({SANDVOL_TARGET_SANDBOX}) or SANDVOL_TARGET_VOLUME ({SANDVOL_TARGET_VOLUME})"
        ))),
    }
}

unsafe fn put_bytes(out_data: *mut *mut u8, out_len: *mut usize, bytes: &[u8]) -> Result<()> {
    let p = into_buffer(bytes)?;
    unsafe {
        put(out_data, p);
        put(out_len, bytes.len());
    }
    Ok(())
}

/// Reads a whole file. `*out_data` (never NULL on success, even when empty)
/// is freed with sandvol_buffer_free; `*out_len` receives its length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_read_file(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> sandvol_status {
    ffi_boundary!(sandvol_read_file, [engine, target_id, path, out_data, out_len], {
        let e = handles::engine(engine)?;
        let bytes = e.read_file(unsafe { target(target_kind, target_id) }?, unsafe { str_arg(path, "path") }?)?;
        unsafe { put_bytes(out_data, out_len, &bytes) }
    })
}

/// Reads up to `len` bytes at `offset` (fewer at the end of the file; none past it).
/// Ownership as sandvol_read_file.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_read_range(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    offset: u64,
    len: u64,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> sandvol_status {
    ffi_boundary!(sandvol_read_range, [engine, target_id, path, out_data, out_len], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let bytes = e.read_range(t, unsafe { str_arg(path, "path") }?, offset, len)?;
        unsafe { put_bytes(out_data, out_len, &bytes) }
    })
}

/// Writes `len` bytes (`data` may be NULL when `len` is 0) atomically: readers
/// see the old or the new content. `opts` NULL = create or replace, creating
/// parent directories. With `if_version` the write is a compare-and-swap
/// failing with SANDVOL_ERR_CONFLICT on a version mismatch. Writes through a
/// read-only mount fail with SANDVOL_ERR_READ_ONLY, past size_limit with
/// SANDVOL_ERR_QUOTA, and change nothing. `*out_json` (may be NULL) receives
/// the new FileInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_write_file(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const sandvol_write_options,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_write_file, [engine, target_id, path], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let p = unsafe { str_arg(path, "path") }?;
        let bytes = unsafe { bytes_arg(data, len, "data") }?;
        let o = unsafe { write_options(opts) }?;
        let info = e.write_file(t, p, bytes, &o)?;
        unsafe { put_json(out_json, &info) }
    })
}

/// File info; a symlink is reported as itself (like lstat). JSON: FileInfo.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_stat(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_stat, [engine, target_id, path, out_json], {
        let e = handles::engine(engine)?;
        let info = e.stat(unsafe { target(target_kind, target_id) }?, unsafe { str_arg(path, "path") }?)?;
        unsafe { put_json(out_json, &info) }
    })
}

/// `*out_exists` = 1 when the path exists (a dangling symlink exists), else 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_exists(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    out_exists: *mut c_int,
) -> sandvol_status {
    ffi_boundary!(sandvol_exists, [engine, target_id, path, out_exists], {
        let e = handles::engine(engine)?;
        let x = e.exists(unsafe { target(target_kind, target_id) }?, unsafe { str_arg(path, "path") }?)?;
        unsafe { put(out_exists, c_int::from(x)) };
        Ok(())
    })
}

/// Lists a directory in name order, one page at a time: `limit` 0 = default
/// (1000, at most 10000), `cursor` NULL = first page, else the previous page's
/// "next_cursor". JSON: {"items": [DirEntry], "next_cursor": str|null}.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_list_dir(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    limit: usize,
    cursor: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_list_dir, [engine, target_id, path, out_json], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let opts = ListDirOptions {
            limit: (limit != 0).then_some(limit),
            cursor: unsafe { opt_str_arg(cursor, "cursor") }?.map(str::to_string),
        };
        let page = e.list_dir(t, unsafe { str_arg(path, "path") }?, &opts)?;
        unsafe { put_json(out_json, &page) }
    })
}

/// Creates a directory; with `parents` non-zero, missing parents too and no
/// error if it exists. `*out_json` (may be NULL) receives the FileInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_mkdir(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    parents: c_int,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_mkdir, [engine, target_id, path], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let info = e.mkdir(t, unsafe { str_arg(path, "path") }?, flag(parents))?;
        unsafe { put_json(out_json, &info) }
    })
}

/// Removes a file, symlink or directory; a non-empty directory needs
/// `recursive` non-zero (else SANDVOL_ERR_DIRECTORY_NOT_EMPTY).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_remove(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    recursive: c_int,
) -> sandvol_status {
    ffi_boundary!(sandvol_remove, [engine, target_id, path], {
        let e = handles::engine(engine)?;
        e.remove(unsafe { target(target_kind, target_id) }?, unsafe { str_arg(path, "path") }?, flag(recursive))
    })
}

/// Renames atomically within one volume (replacing a file or an empty
/// directory at `dst`); across volumes SANDVOL_ERR_CROSS_DEVICE. `*out_json`
/// (may be NULL) receives the FileInfo JSON of `dst`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_rename(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    src: *const c_char,
    dst: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_rename, [engine, target_id, src, dst], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let info = e.rename(t, unsafe { str_arg(src, "src") }?, unsafe { str_arg(dst, "dst") }?)?;
        unsafe { put_json(out_json, &info) }
    })
}

/// Creates a symlink at `link` pointing to `link_target` (stored as given,
/// only ever resolved inside the volume). `*out_json` (may be NULL) receives
/// the FileInfo JSON of the link.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_symlink(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    link_target: *const c_char,
    link: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_symlink, [engine, target_id, link_target, link], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let info = e.symlink(t, unsafe { str_arg(link_target, "link_target") }?, unsafe { str_arg(link, "link") }?)?;
        unsafe { put_json(out_json, &info) }
    })
}

/// The target of a symlink as stored; `*out_target` is freed with sandvol_string_free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_readlink(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    out_target: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_readlink, [engine, target_id, path, out_target], {
        let e = handles::engine(engine)?;
        let s = e.readlink(unsafe { target(target_kind, target_id) }?, unsafe { str_arg(path, "path") }?)?;
        unsafe { put_string(out_target, s) }
    })
}

/// Sets the access and/or modification time, in ms since the epoch; a NULL
/// time pointer leaves that time as it is. `*out_json` (may be NULL) receives
/// the FileInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_set_times(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    atime_ms: *const i64,
    mtime_ms: *const i64,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_set_times, [engine, target_id, path], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        // SAFETY: each is NULL or points to an int64_t per the caller's contract.
        let a = unsafe { atime_ms.as_ref() }.copied();
        let m = unsafe { mtime_ms.as_ref() }.copied();
        let info = e.set_times(t, unsafe { str_arg(path, "path") }?, a, m)?;
        unsafe { put_json(out_json, &info) }
    })
}

/// Opens a file for positional reads and writes. `mode` is fopen-style: "r",
/// "r+", "w", "w+", "a", "a+", "x", "x+" (a "b" is ignored). Close the handle
/// with sandvol_file_close; writes are published by sandvol_file_flush or close.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_open(
    engine: *const sandvol_engine,
    target_kind: c_int,
    target_id: *const c_char,
    path: *const c_char,
    mode: *const c_char,
    out_file: *mut *mut sandvol_file,
) -> sandvol_status {
    ffi_boundary!(sandvol_file_open, [engine, target_id, path, mode, out_file], {
        let e = handles::engine(engine)?;
        let t = unsafe { target(target_kind, target_id) }?;
        let p = unsafe { str_arg(path, "path") }?;
        let o = OpenOptions::from_mode(unsafe { str_arg(mode, "mode") }?)?;
        let f = e.open_file(t, p, o)?;
        unsafe { put(out_file, handles::new_file(f)) };
        Ok(())
    })
}

/// Reads up to `buf_len` bytes at `offset` into the caller's `buf` (which may
/// be NULL when `buf_len` is 0), seeing this handle's unflushed writes;
/// `*out_read` receives the count (0 at or past the end of the file).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_read_at(
    file: *const sandvol_file,
    offset: u64,
    buf: *mut u8,
    buf_len: usize,
    out_read: *mut usize,
) -> sandvol_status {
    ffi_boundary!(sandvol_file_read_at, [file, out_read], {
        let f = handles::file(file)?;
        let dst = unsafe { bytes_out_arg(buf, buf_len, "buf") }?;
        let bytes = f.read_at(offset, dst.len() as u64)?;
        let n = bytes.len().min(dst.len());
        dst[..n].copy_from_slice(&bytes[..n]);
        unsafe { put(out_read, n) };
        Ok(())
    })
}

/// Writes `len` bytes at `offset` (at the end for "a" handles). Data is
/// buffered up to the mount's buffer_size, then flushed as blocks.
/// `*out_written` (may be NULL) receives the count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_write_at(
    file: *const sandvol_file,
    offset: u64,
    data: *const u8,
    len: usize,
    out_written: *mut usize,
) -> sandvol_status {
    ffi_boundary!(sandvol_file_write_at, [file], {
        let f = handles::file(file)?;
        let src = unsafe { bytes_arg(data, len, "data") }?;
        let n = f.write_at(offset, src)?;
        unsafe { put(out_written, n as usize) };
        Ok(())
    })
}

/// Publishes buffered writes: blocks to the store, then one metadata commit.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_flush(file: *const sandvol_file) -> sandvol_status {
    ffi_boundary!(sandvol_file_flush, [file], { handles::file(file)?.flush() })
}

/// Current size of the file, including this handle's unflushed writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_size(file: *const sandvol_file, out_size: *mut u64) -> sandvol_status {
    ffi_boundary!(sandvol_file_size, [file, out_size], {
        let f = handles::file(file)?;
        unsafe { put(out_size, f.size()) };
        Ok(())
    })
}

/// The file's committed info. JSON: FileInfo.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_stat(file: *const sandvol_file, out_json: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_file_stat, [file, out_json], {
        let info = handles::file(file)?.stat()?;
        unsafe { put_json(out_json, &info) }
    })
}

/// Flushes, closes and releases a file handle; returns the flush result (the
/// handle is released either way). NULL is allowed and does nothing. Must not
/// be called twice; if it is, the second call touches nothing and returns
/// SANDVOL_ERR_INVALID_ARGUMENT, as does any later use of the handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_file_close(file: *mut sandvol_file) -> sandvol_status {
    ffi_boundary!(sandvol_file_close, [], {
        if file.is_null() {
            return Ok(());
        }
        handles::take_file(file)?.close()
    })
}
