//! Hand-written napi entry points for the per-file calls a program makes most:
//! `Sandbox` readFile, writeFile, stat and exists, and `FileHandle` read and
//! write. `index.js` installs them on the prototypes in place of the generated
//! methods (which stay, for the `.node` file loaded on its own).
//!
//! Why: the glue napi-rs generates for a `&self` method cost ~1 µs per
//! Promise call on the benchmark VM, a fifth of the binding's budget
//! (bench/RESULTS.md, "Lean entry points"): per call it allocates a borrow
//! scope, records the borrow of `this` in a process-wide map behind a mutex
//! and removes it again, and `index.js` wraps the method to turn a throw into
//! a rejection. These entries convert the arguments with the same
//! `FromNapiValue` impls, check `this` by napi-rs's type tag for `Sandbox`,
//! and never throw: a bad argument rejects the Promise with
//! `invalid_argument`, as the wrapped methods do.
//!
//! Soundness: the arguments are converted before `this` is unwrapped (an
//! options object's getters run JS, which could reach the sandbox), and the
//! `&Sandbox` lives only until its `At` is cloned, without JS in between.
//! Write data is copied during conversion (`convert::Data`), so nothing the
//! worker reads belongs to JS. Neither class has `&mut self` methods, which is
//! what lets these entries skip napi-rs's borrow tracking; adding one would
//! need it back.

use crate::convert::{Data, FileInfo, Opt, ReadOptions, WriteOptions};
use crate::error::{error_value, invalid};
use crate::handle::FileHandle;
use crate::sandbox::Sandbox;
use napi::bindgen_prelude::*;
use napi::sys;
use sandvol_core::{Error as CoreError, ErrorCode, Result as CoreResult};
use std::ffi::CStr;
use std::ptr;

/// A raw napi callback.
type Entry = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// A JS value handed back as it is.
pub struct Raw(pub sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// `{ readFile, writeFile, stat, exists }` for `Sandbox.prototype` (called
/// once by `index.js`).
#[napi_derive::napi(js_name = "_fastSandboxMethods")]
pub fn fast_sandbox_methods(env: Env) -> napi::Result<Raw> {
    functions(
        env.raw(),
        &[(c"readFile", read_file), (c"writeFile", write_file), (c"stat", stat), (c"exists", exists)],
    )
}

/// `{ read, write }` for `FileHandle.prototype` (called once by `index.js`).
#[napi_derive::napi(js_name = "_fastFileHandleMethods")]
pub fn fast_file_handle_methods(env: Env) -> napi::Result<Raw> {
    functions(env.raw(), &[(c"read", handle_read), (c"write", handle_write)])
}

/// An object with one function per `(name, entry)`.
pub fn functions(env: sys::napi_env, entries: &[(&CStr, Entry)]) -> napi::Result<Raw> {
    let mut obj = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_object(env, &mut obj) })?;
    for (name, entry) in entries {
        let mut f = ptr::null_mut();
        let len = name.to_bytes().len() as isize;
        check_status!(unsafe { sys::napi_create_function(env, name.as_ptr(), len, Some(*entry), ptr::null_mut(), &mut f) })?;
        check_status!(unsafe { sys::napi_set_named_property(env, obj, name.as_ptr(), f) })?;
    }
    Ok(Raw(obj))
}

/// How an entry reports an error: by a rejected Promise, or (the benchmark's
/// synchronous variants) by throwing.
#[derive(Clone, Copy, PartialEq)]
pub enum Fail {
    Reject,
    Throw,
}

/// Runs an entry's body with `this` and its first `N` arguments (missing ones
/// are `undefined`), turning an error into a rejection or a throw.
pub unsafe fn entry<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    fail: Fail,
    body: impl FnOnce(sys::napi_value, [sys::napi_value; N]) -> CoreResult<sys::napi_value>,
) -> sys::napi_value {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let mut this = ptr::null_mut();
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), &mut this, ptr::null_mut()) };
    let out = if status == sys::Status::napi_ok {
        // A panic must not unwind into Node (it would abort the process).
        crate::task::guarded(|| body(this, argv))
    } else {
        Err(CoreError::internal(format!("napi_get_cb_info failed with status {status}")))
    };
    match out {
        Ok(v) => v,
        Err(e) => unsafe { fail_with(env, fail, &e) },
    }
}

unsafe fn fail_with(env: sys::napi_env, fail: Fail, e: &CoreError) -> sys::napi_value {
    // A JS exception a conversion left pending (a throwing getter) is the
    // argument error itself, reported as the wrapped methods did: the same
    // object, with `.code` 'invalid_argument' unless it carries a sandvol code.
    let err = match unsafe { take_exception(env) } {
        Some(exc) => {
            unsafe { mark_code(env, exc, ErrorCode::InvalidArgument) };
            exc
        }
        None => error_value(env, e),
    };
    match fail {
        Fail::Throw => {
            unsafe { sys::napi_throw(env, err) };
            ptr::null_mut()
        }
        Fail::Reject => {
            let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
            unsafe {
                sys::napi_create_promise(env, &mut deferred, &mut promise);
                sys::napi_reject_deferred(env, deferred, err);
            }
            promise
        }
    }
}

/// The pending JS exception, cleared, if there is one.
pub unsafe fn take_exception(env: sys::napi_env) -> Option<sys::napi_value> {
    let mut pending = false;
    unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    if !pending {
        return None;
    }
    let mut exc = ptr::null_mut();
    let ok = unsafe { sys::napi_get_and_clear_last_exception(env, &mut exc) } == sys::Status::napi_ok;
    (ok && !exc.is_null()).then_some(exc)
}

/// The `.code` string of a thrown object (up to 31 bytes), if it has one.
pub unsafe fn code_of(env: sys::napi_env, exc: sys::napi_value) -> Option<([u8; 32], usize)> {
    let mut t = 0;
    if unsafe { sys::napi_typeof(env, exc, &mut t) } != sys::Status::napi_ok || t != sys::ValueType::napi_object {
        return None;
    }
    let mut code = ptr::null_mut();
    let mut buf = [0u8; 32];
    let mut len = 0usize;
    let ok = unsafe { sys::napi_get_named_property(env, exc, c"code".as_ptr(), &mut code) } == sys::Status::napi_ok
        && unsafe { sys::napi_get_value_string_utf8(env, code, buf.as_mut_ptr().cast(), buf.len(), &mut len) } == sys::Status::napi_ok;
    // A throwing `code` getter leaves an exception: not ours to report.
    let _ = unsafe { take_exception(env) };
    ok.then_some((buf, len))
}

/// Sets `.code = code` on a thrown object unless its code is already one of
/// sandvol's; anything that fails here (a primitive, a frozen object, a
/// throwing `code` getter) leaves the value as it is.
pub unsafe fn mark_code(env: sys::napi_env, exc: sys::napi_value, code: ErrorCode) {
    let mut t = 0;
    if unsafe { sys::napi_typeof(env, exc, &mut t) } != sys::Status::napi_ok || t != sys::ValueType::napi_object {
        return;
    }
    if let Some((buf, len)) = unsafe { code_of(env, exc) }
        && ErrorCode::ALL.iter().any(|c| c.as_str().as_bytes() == &buf[..len])
    {
        return;
    }
    let mut value = ptr::null_mut();
    let code = code.as_str();
    unsafe {
        sys::napi_create_string_utf8(env, code.as_ptr().cast(), code.len() as isize, &mut value);
        sys::napi_set_named_property(env, exc, c"code".as_ptr(), value);
    }
    let _ = unsafe { take_exception(env) };
}

/// An argument converted with its `FromNapiValue` impl; a failure is a bad
/// argument.
pub unsafe fn arg<T: FromNapiValue>(env: sys::napi_env, v: sys::napi_value) -> CoreResult<T> {
    unsafe { T::from_napi_value(env, v) }.map_err(|e| invalid(e.reason.clone()))
}

/// A path argument (a string). Read with one napi call into a stack buffer
/// when it fits, which paths do: `String`'s conversion asks for the length
/// first and then copies, walking the string twice.
pub unsafe fn path(env: sys::napi_env, v: sys::napi_value) -> CoreResult<String> {
    let mut buf = [0u8; 1024];
    let mut len = 0usize;
    let status = unsafe { sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    // Node writes whole characters only, so a string cut short can leave up to
    // 3 bytes unused: it is complete only with room for one more character.
    if status == sys::Status::napi_ok && len + 4 < buf.len() {
        // Node hands out UTF-8 (lone surrogates replaced).
        return std::str::from_utf8(&buf[..len]).map(str::to_owned).map_err(|e| invalid(format!("path is not UTF-8: {e}")));
    }
    // Longer, or not a string: the `String` conversion, with its messages.
    unsafe { arg::<String>(env, v) }
}

/// The `T` (a `#[napi]` class) that `v` wraps, checked by its napi-rs type
/// tag: any other object, including one given `T`'s prototype, is a bad
/// argument. Call after converting the other arguments, and use it before any
/// JS runs.
pub unsafe fn unwrap<'a, T: TypeTag>(env: sys::napi_env, v: sys::napi_value, class: &str) -> CoreResult<&'a T> {
    let tag = T::type_tag();
    if let Some(p) = unsafe { memo::get(env, v, &tag) } {
        return Ok(unsafe { &*p.cast::<T>() });
    }
    let wrong = || invalid(format!("expected a {class} as `this`"));
    // Called directly, not through napi-rs's `validate_type_tag`, which
    // accepts anything in a build without the `napi8` feature: this symbol
    // only exists with it, so such a build fails to compile instead of casting blindly.
    let mut tagged = false;
    if unsafe { sys::napi_check_object_type_tag(env, v, &tag, &mut tagged) } != sys::Status::napi_ok || !tagged {
        let _ = unsafe { take_exception(env) };
        return Err(wrong());
    }
    let mut p = ptr::null_mut();
    if unsafe { sys::napi_unwrap(env, v, &mut p) } != sys::Status::napi_ok || p.is_null() {
        return Err(wrong());
    }
    unsafe { memo::set(env, v, &tag, p) };
    Ok(unsafe { &*p.cast::<T>() })
}

/// The last object `unwrap` checked on this thread, so a run of calls on one
/// sandbox (or handle) checks its class once: the type-tag check and
/// `napi_unwrap` each look a private symbol up on the object, ~0.25 µs a call,
/// ~0.7 µs right after a core call (bench/RESULTS.md, "The napi calls that
/// run cold after a core call"), where comparing with the remembered object
/// is two cheap napi calls (0.09 / ~0.3 µs).
///
/// Soundness: the object is held by a weak reference, so it cannot be kept
/// alive by this; a hit means `v` is that very object, alive (it is an
/// argument of the running call), so the pointer napi-rs wrapped in it is
/// still its own (napi-rs frees it only when the object is collected, and
/// never unwraps a class instance). The reference is deleted by an
/// environment cleanup hook, before napi forgets its references.
mod memo {
    use napi::sys;
    use std::cell::RefCell;
    use std::ffi::c_void;
    use std::ptr;

    struct Last {
        env: sys::napi_env,
        obj: sys::napi_ref,
        tag: (u64, u64),
        ptr: *mut c_void,
    }

    thread_local! {
        static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
        /// Environments whose cleanup hook is registered (one per thread in Node).
        static HOOKED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    /// The remembered pointer if `v` is the remembered object of class `tag`.
    pub unsafe fn get(env: sys::napi_env, v: sys::napi_value, tag: &sys::napi_type_tag) -> Option<*mut c_void> {
        LAST.with_borrow(|last| {
            let l = last.as_ref().filter(|l| l.env == env && l.tag == (tag.lower, tag.upper))?;
            let mut obj = ptr::null_mut();
            let mut same = false;
            let ok = unsafe { sys::napi_get_reference_value(env, l.obj, &mut obj) } == sys::Status::napi_ok
                && !obj.is_null()
                && unsafe { sys::napi_strict_equals(env, obj, v, &mut same) } == sys::Status::napi_ok;
            (ok && same).then_some(l.ptr)
        })
    }

    /// Remembers `v` (checked to be of class `tag`, wrapping `p`) instead of the last one.
    pub unsafe fn set(env: sys::napi_env, v: sys::napi_value, tag: &sys::napi_type_tag, p: *mut c_void) {
        let hooked = HOOKED.with_borrow(|h| h.contains(&(env as usize)));
        if !hooked {
            if unsafe { sys::napi_add_env_cleanup_hook(env, Some(forget), env.cast()) } != sys::Status::napi_ok {
                return;
            }
            HOOKED.with_borrow_mut(|h| h.push(env as usize));
        }
        let mut obj = ptr::null_mut();
        if unsafe { sys::napi_create_reference(env, v, 0, &mut obj) } != sys::Status::napi_ok {
            return;
        }
        let old = LAST.with_borrow_mut(|last| last.replace(Last { env, obj, tag: (tag.lower, tag.upper), ptr: p }));
        if let Some(old) = old {
            // Set only while its environment is alive (its cleanup hook clears it).
            unsafe { sys::napi_delete_reference(old.env, old.obj) };
        }
    }

    unsafe extern "C" fn forget(arg: *mut c_void) {
        let env: sys::napi_env = arg.cast();
        // try_with: never panic here (this runs from Node, not under `entry`).
        let _ = HOOKED.try_with(|h| h.borrow_mut().retain(|e| *e != env as usize));
        let old = LAST.try_with(|last| {
            let mut last = last.borrow_mut();
            if last.as_ref().is_some_and(|l| l.env == env) { last.take() } else { None }
        });
        if let Ok(Some(old)) = old {
            unsafe { sys::napi_delete_reference(old.env, old.obj) };
        }
    }
}

/// The `Sandbox` that `v` wraps (see `unwrap`).
pub unsafe fn sandbox<'a>(env: sys::napi_env, v: sys::napi_value) -> CoreResult<&'a Sandbox> {
    unsafe { unwrap(env, v, "Sandbox") }
}

/// A result as a JS value (a `Job` becomes its Promise).
pub fn value<T: ToNapiValue>(env: sys::napi_env, v: T) -> CoreResult<sys::napi_value> {
    unsafe { T::to_napi_value(env, v) }.map_err(|e| CoreError::new(crate::error::conversion_code(&e), e.reason.clone()))
}

unsafe extern "C" fn read_file(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [path, opts]| {
            let (path, opts) = (self::path(env, path)?, arg::<Opt<ReadOptions>>(env, opts)?);
            value(env, sandbox(env, this)?.at.read_file(path, opts))
        })
    }
}

unsafe extern "C" fn write_file(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [path, data, opts]| {
            let path = self::path(env, path)?;
            let data = arg::<Data>(env, data)?;
            let opts = arg::<Opt<WriteOptions>>(env, opts)?;
            value::<crate::task::Job<FileInfo>>(env, sandbox(env, this)?.at.write_file(path, data, opts))
        })
    }
}

unsafe extern "C" fn stat(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [path]| {
            let path = self::path(env, path)?;
            value(env, sandbox(env, this)?.at.stat(path))
        })
    }
}

unsafe extern "C" fn exists(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [path]| {
            let path = self::path(env, path)?;
            value(env, sandbox(env, this)?.at.exists(path))
        })
    }
}

unsafe extern "C" fn handle_read(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [offset, length]| {
            let (offset, length) = (arg::<f64>(env, offset)?, arg::<f64>(env, length)?);
            value(env, unwrap::<FileHandle>(env, this, "FileHandle")?.read(offset, length))
        })
    }
}

unsafe extern "C" fn handle_write(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        entry(env, info, Fail::Reject, |this, [offset, data]| {
            let (offset, data) = (arg::<f64>(env, offset)?, arg::<Data>(env, data)?);
            value(env, unwrap::<FileHandle>(env, this, "FileHandle")?.write(offset, data))
        })
    }
}
