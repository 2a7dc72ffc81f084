//! Engine: open, close, and engine-wide operations (stats, gc, fsck).

use crate::boundary::{opt_str_arg, opt_u64, put, put_json, put_string, put_value};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine};
use crate::options::{engine_options, sandvol_engine_options};
use sandvol_core::{DEFAULT_GC_GRACE, Engine, Error};
use std::ffi::c_char;
use std::time::Duration;

/// Opens (creating if needed) a data directory with default options.
///
/// `path` NULL means `$SANDVOL_HOME` if set and not empty, else `./sandvol-data`; "" is invalid. On success
/// `*out_engine` receives a handle to close with sandvol_engine_close. Several
/// handles, threads and processes may use one data directory at once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_engine_open(path: *const c_char, out_engine: *mut *mut sandvol_engine) -> sandvol_status {
    ffi_boundary!(sandvol_engine_open, [out_engine], {
        let e = match unsafe { opt_str_arg(path, "path") }? {
            Some(p) => Engine::open(p)?,
            None => Engine::open_default()?,
        };
        unsafe { put(out_engine, handles::new_engine(e)) };
        Ok(())
    })
}

/// Opens a data directory with options (`opts` NULL = defaults; see sandvol_engine_options).
/// `path` NULL means `$SANDVOL_HOME` if set and not empty, else `./sandvol-data`; "" is invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_engine_open_with(
    path: *const c_char,
    opts: *const sandvol_engine_options,
    out_engine: *mut *mut sandvol_engine,
) -> sandvol_status {
    ffi_boundary!(sandvol_engine_open_with, [out_engine], {
        let o = unsafe { engine_options(opts) }?;
        let dir = match unsafe { opt_str_arg(path, "path") }? {
            Some(p) => std::path::PathBuf::from(p),
            None => sandvol_core::engine::default_dir(),
        };
        let e = Engine::open_with(dir, o)?;
        unsafe { put(out_engine, handles::new_engine(e)) };
        Ok(())
    })
}

/// Waits for background work, closes the engine and releases the handle.
///
/// NULL is allowed and does nothing. The handle is released even when closing
/// reports an error. Must not be called twice; if it is, the second call
/// touches nothing and returns SANDVOL_ERR_INVALID_ARGUMENT (handles are never
/// reused), as does any later use of the handle. Calls already running on other
/// threads finish or fail with SANDVOL_ERR_INVALID_STATE. Open sandvol_file
/// handles of this engine must still be closed with sandvol_file_close.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_engine_close(engine: *mut sandvol_engine) -> sandvol_status {
    ffi_boundary!(sandvol_engine_close, [], {
        if engine.is_null() {
            return Ok(());
        }
        let e = handles::take_engine(engine)?;
        e.close()
    })
}

/// The data directory the engine opened; `*out_path` is freed with sandvol_string_free.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_engine_data_dir(engine: *const sandvol_engine, out_path: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_engine_data_dir, [engine, out_path], {
        let e = handles::engine(engine)?;
        let dir = e.data_dir().to_str().ok_or_else(|| Error::invalid_argument("data directory is not UTF-8"))?.to_string();
        unsafe { put_string(out_path, dir) }
    })
}

/// Engine-wide counters. JSON: {"volumes", "sandboxes", "active_mounts",
/// "blocks", "block_bytes", "used_bytes"} (all integers; sandboxes = not released).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_stats(engine: *const sandvol_engine, out_json: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_stats, [engine, out_json], {
        let s = handles::engine(engine)?.stats()?;
        unsafe { put_json(out_json, &s) }
    })
}

/// Deletes blocks nothing references once unreferenced for `grace_ms`
/// (SANDVOL_UNSET = the default 600000 ms). JSON (`out_json` may be NULL):
/// {"blocks_deleted": int, "bytes_freed": int}.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_gc(engine: *const sandvol_engine, grace_ms: i64, out_json: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_gc, [engine], {
        let e = handles::engine(engine)?;
        let grace = opt_u64(grace_ms, "grace_ms")?.map(Duration::from_millis).unwrap_or(DEFAULT_GC_GRACE);
        let r = e.gc(grace)?;
        unsafe { put_json(out_json, &r) }
    })
}

/// Checks the catalog against the block store. JSON: {"clean": bool,
/// "dangling": [str], "leaked_blocks": [str], "refcount_drift": [str],
/// "counter_drift": [str], "orphans": [str]}; "clean" is true when nothing but
/// leaked blocks (harmless until gc) was found. Findings are not an error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_fsck(engine: *const sandvol_engine, out_json: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_fsck, [engine, out_json], {
        let r = handles::engine(engine)?.fsck()?;
        let mut v = serde_json::to_value(&r).map_err(|e| Error::internal(format!("cannot encode fsck report: {e}")))?;
        if let serde_json::Value::Object(o) = &mut v {
            o.insert("clean".into(), serde_json::Value::Bool(r.is_clean()));
        }
        unsafe { put_value(out_json, v) }
    })
}
