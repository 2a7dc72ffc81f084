//! Mount sessions: mount, unmount, status.

use crate::boundary::{put_value, str_arg};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine};
use crate::options::{mount_request, sandvol_mount_request};
use std::ffi::c_char;

/// Mounts a volume into a running sandbox and returns the mounted session.
///
/// Rule violations (reserved or taken mount point, access mode) fail before
/// anything is persisted. A failure while attaching leaves the session
/// "failed" (visible in sandvol_mount_status) and returns the error.
/// `*out_json` (may be NULL) receives the MountSession JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_mount(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    request: *const sandvol_mount_request,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_mount, [engine, sandbox_id, request], {
        let e = handles::engine(engine)?;
        let sb = unsafe { str_arg(sandbox_id, "sandbox_id") }?;
        let req = unsafe { mount_request(request) }?;
        let m = e.mount(sb, req)?;
        unsafe { put_value(out_json, crate::json::mount(&m)?) }
    })
}

/// Flushes, detaches and releases one mount session (mounted or paused).
/// `volume_ref` must name the session's volume (else SANDVOL_ERR_NOT_FOUND);
/// a session that is no longer mounted or paused gives SANDVOL_ERR_INVALID_STATE.
/// `*out_json` (may be NULL) receives the MountSession JSON (state "released").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_unmount(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    volume_ref: *const c_char,
    mount_session_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_unmount, [engine, sandbox_id, volume_ref, mount_session_id], {
        let e = handles::engine(engine)?;
        let m = e.unmount(
            unsafe { str_arg(sandbox_id, "sandbox_id") }?,
            unsafe { str_arg(volume_ref, "volume_ref") }?,
            unsafe { str_arg(mount_session_id, "mount_session_id") }?,
        )?;
        unsafe { put_value(out_json, crate::json::mount(&m)?) }
    })
}

/// Every mount session of a sandbox (any state), oldest first. JSON: [MountSession].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_mount_status(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_mount_status, [engine, sandbox_id, out_json], {
        let e = handles::engine(engine)?;
        let ms = e.mount_status(unsafe { str_arg(sandbox_id, "sandbox_id") }?)?;
        unsafe { put_value(out_json, crate::json::mounts(&ms)?) }
    })
}

/// One mount session by id. JSON: MountSession.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_mount_get(
    engine: *const sandvol_engine,
    mount_session_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_mount_get, [engine, mount_session_id, out_json], {
        let e = handles::engine(engine)?;
        let m = e.get_mount(unsafe { str_arg(mount_session_id, "mount_session_id") }?)?;
        unsafe { put_value(out_json, crate::json::mount(&m)?) }
    })
}
