//! Volumes: create, get, list, update, delete, and the change feed.

use crate::boundary::{flag, opt_str_arg, put_json, str_arg};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine};
use crate::options::{create_volume, labels, sandvol_volume_options, sandvol_volume_update_options, update_volume};
use sandvol_core::ListOptions;
use std::ffi::{c_char, c_int};

/// Creates a volume (`opts` NULL = an unnamed RWO volume with default config).
/// `*out_json` (may be NULL) receives the Volume JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_create(
    engine: *const sandvol_engine,
    opts: *const sandvol_volume_options,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_create, [engine], {
        let e = handles::engine(engine)?;
        let req = unsafe { create_volume(opts) }?;
        let v = e.create_volume(req)?;
        unsafe { put_json(out_json, &v) }
    })
}

/// A volume by id or exact name. `*out_json` receives the Volume JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_get(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_get, [engine, volume_ref, out_json], {
        let e = handles::engine(engine)?;
        let v = e.get_volume(unsafe { str_arg(volume_ref, "volume_ref") }?)?;
        unsafe { put_json(out_json, &v) }
    })
}

/// Volumes in creation order, one page at a time.
///
/// `labels_json` (NULL = no filter) is a JSON object of strings every returned
/// volume must carry; `limit` 0 = default page size (100, at most 1000);
/// `cursor` NULL = first page, else the previous page's "next_cursor".
/// JSON: {"items": [Volume], "next_cursor": str|null}.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_list(
    engine: *const sandvol_engine,
    labels_json: *const c_char,
    limit: usize,
    cursor: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_list, [engine, out_json], {
        let e = handles::engine(engine)?;
        let opts = ListOptions {
            labels: unsafe { labels(labels_json, "labels_json") }?.unwrap_or_default(),
            limit: (limit != 0).then_some(limit),
            cursor: unsafe { opt_str_arg(cursor, "cursor") }?.map(str::to_string),
        };
        let page = e.list_volumes(&opts)?;
        unsafe { put_json(out_json, &page) }
    })
}

/// Changes labels, size limit or config of a volume (see sandvol_volume_update_options;
/// NULL = change nothing). `*out_json` (may be NULL) receives the new Volume JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_update(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    update: *const sandvol_volume_update_options,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_update_options, [engine, volume_ref], {
        let e = handles::engine(engine)?;
        let r = unsafe { str_arg(volume_ref, "volume_ref") }?;
        let upd = unsafe { update_volume(update) }?;
        let v = e.update_volume(r, &upd)?;
        unsafe { put_json(out_json, &v) }
    })
}

/// Deletes a volume with its snapshots.
///
/// While a mount session of the volume is active it fails with
/// SANDVOL_ERR_CONFLICT and changes nothing, unless `force` is non-zero: then
/// those sessions become "failed" with last_error_code "force_detached" first.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_delete(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    force: c_int,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_delete, [engine, volume_ref], {
        let e = handles::engine(engine)?;
        e.delete_volume(unsafe { str_arg(volume_ref, "volume_ref") }?, flag(force))
    })
}

/// Changes of a volume with a sequence number above `since`, oldest first, at
/// most `limit` (0 = default 1000). JSON: [{"seq": int, "path": str (from the
/// volume root), "kind": "write"|"mkdir"|"symlink"|"remove"|"rename"|"setattr"|"restore",
/// "new_path": str|null, "at": int}].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_changes(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    since: u64,
    limit: usize,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_volume_changes, [engine, volume_ref, out_json], {
        let e = handles::engine(engine)?;
        let c = e.changes(unsafe { str_arg(volume_ref, "volume_ref") }?, since, (limit != 0).then_some(limit))?;
        unsafe { put_json(out_json, &c) }
    })
}
