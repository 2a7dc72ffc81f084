//! Sandboxes: claim (with bootstrap mounts), get, list, pause, resume, release.

use crate::boundary::{put_json, put_value, str_arg};
use crate::error::sandvol_status;
use crate::handles::{self, sandvol_engine};
use crate::options::{claim_options, sandvol_claim_options};
use std::ffi::c_char;

/// Claims a running sandbox from `template`, with optional bootstrap mounts
/// (`opts` NULL = none).
///
/// Bootstrap mounts attach in the background; with `wait_for_mounts` the call
/// waits up to `mount_wait_timeout_ms` for each to be mounted or failed and
/// returns their states either way (a failed mount never fails the claim: look
/// at "bootstrap_mounts"[i]."state" and "last_error_code"). `*out_json` (may
/// be NULL) receives the Sandbox JSON; "id" is the sandbox id used by every
/// other sandbox call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_claim(
    engine: *const sandvol_engine,
    template_name: *const c_char,
    opts: *const sandvol_claim_options,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_claim, [engine, template_name], {
        let e = handles::engine(engine)?;
        let t = unsafe { str_arg(template_name, "template_name") }?;
        let o = unsafe { claim_options(opts) }?;
        let sb = e.claim_sandbox(t, o)?;
        unsafe { put_value(out_json, crate::json::sandbox(&sb)?) }
    })
}

/// A sandbox by id (any state, released ones included). JSON: Sandbox.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_get(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_get, [engine, sandbox_id, out_json], {
        let e = handles::engine(engine)?;
        let sb = e.get_sandbox(unsafe { str_arg(sandbox_id, "sandbox_id") }?)?;
        unsafe { put_value(out_json, crate::json::sandbox(&sb)?) }
    })
}

/// Every sandbox, oldest first (released ones included). JSON: [SandboxInfo]
/// (a Sandbox without "bootstrap_mounts").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_list(engine: *const sandvol_engine, out_json: *mut *mut c_char) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_list, [engine, out_json], {
        let l = handles::engine(engine)?.list_sandboxes()?;
        unsafe { put_json(out_json, &l) }
    })
}

/// Pauses a running sandbox: every mounted session becomes "paused" and file
/// operations fail with SANDVOL_ERR_INVALID_STATE until resumed.
/// `*out_json` (may be NULL) receives the SandboxInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_pause(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_pause, [engine, sandbox_id], {
        let e = handles::engine(engine)?;
        let i = e.pause_sandbox(unsafe { str_arg(sandbox_id, "sandbox_id") }?)?;
        unsafe { put_json(out_json, &i) }
    })
}

/// Resumes a paused sandbox: every paused session goes remounting -> mounted
/// (or failed). `*out_json` (may be NULL) receives the SandboxInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_resume(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_resume, [engine, sandbox_id], {
        let e = handles::engine(engine)?;
        let i = e.resume_sandbox(unsafe { str_arg(sandbox_id, "sandbox_id") }?)?;
        unsafe { put_json(out_json, &i) }
    })
}

/// Releases a sandbox (from any process): unmounts every session, drops its
/// scratch volume, marks it "released". `*out_json` (may be NULL) receives the
/// SandboxInfo JSON.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_sandbox_release(
    engine: *const sandvol_engine,
    sandbox_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sandvol_status {
    ffi_boundary!(sandvol_sandbox_release, [engine, sandbox_id], {
        let e = handles::engine(engine)?;
        let i = e.release_sandbox(unsafe { str_arg(sandbox_id, "sandbox_id") }?)?;
        unsafe { put_json(out_json, &i) }
    })
}
