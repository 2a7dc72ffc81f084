//! Snapshots: create, list, get, restore, fork, delete.

use crate::boundary::{opt_str_arg, put_json, str_arg};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine};
use crate::options::{create_volume, sandvol_volume_options};
use std::ffi::c_char;

/// Snapshots a volume (O(metadata); blocks are shared). `name` NULL = unnamed;
/// names are unique per volume. `*out_json` (may be NULL) receives the Snapshot JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_create(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_create, [engine, volume_ref], {
        let e = handles::engine(engine)?;
        let s = e.create_snapshot(unsafe { str_arg(volume_ref, "volume_ref") }?, unsafe { opt_str_arg(name, "name") }?)?;
        unsafe { put_json(out_json, &s) }
    })
}

/// Snapshots of a volume, oldest first. JSON: [Snapshot].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_list(
    engine: *const sandvol_engine,
    volume_ref: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_list, [engine, volume_ref, out_json], {
        let e = handles::engine(engine)?;
        let s = e.list_snapshots(unsafe { str_arg(volume_ref, "volume_ref") }?)?;
        unsafe { put_json(out_json, &s) }
    })
}

/// One snapshot by id. JSON: Snapshot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_get(
    engine: *const sandvol_engine,
    snapshot_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_get, [engine, snapshot_id, out_json], {
        let e = handles::engine(engine)?;
        let s = e.get_snapshot(unsafe { str_arg(snapshot_id, "snapshot_id") }?)?;
        unsafe { put_json(out_json, &s) }
    })
}

/// Rewinds the snapshot's volume in place; SANDVOL_ERR_CONFLICT while a
/// read-write mount of it is active. `*out_json` (may be NULL) receives the Volume JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_restore(
    engine: *const sandvol_engine,
    snapshot_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_restore, [engine, snapshot_id], {
        let e = handles::engine(engine)?;
        let v = e.restore_snapshot(unsafe { str_arg(snapshot_id, "snapshot_id") }?)?;
        unsafe { put_json(out_json, &v) }
    })
}

/// Creates a new volume from a snapshot, with the source volume's settings
/// unless `opts` (NULL = none) overrides them. `*out_json` (may be NULL)
/// receives the new Volume JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_fork(
    engine: *const sandvol_engine,
    snapshot_id: *const c_char,
    opts: *const sandvol_volume_options,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_fork, [engine, snapshot_id], {
        let e = handles::engine(engine)?;
        let id = unsafe { str_arg(snapshot_id, "snapshot_id") }?;
        let req = unsafe { create_volume(opts) }?;
        let v = e.fork_snapshot(id, req)?;
        unsafe { put_json(out_json, &v) }
    })
}

/// Deletes a snapshot; blocks only it referenced become garbage for sandvol_gc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_snapshot_delete(engine: *const sandvol_engine, snapshot_id: *const c_char) -> sandvol_status {
    ffi_boundary!(sandvol_snapshot_delete, [engine, snapshot_id], {
        let e = handles::engine(engine)?;
        e.delete_snapshot(unsafe { str_arg(snapshot_id, "snapshot_id") }?)
    })
}
