//! Result objects built by JS: `index.js` registers a function that turns a
//! result's fields (passed as arguments) into a plain object literal, and the
//! binding makes one call to it per result; and one that hands out small
//! Buffers as slices of a shared slab, which the binding fills.
//!
//! Why: napi-rs builds a `#[napi(object)]` result with `napi_define_properties`,
//! which adds every property through V8's generic define path (name
//! internalization, map transition, per property). For a `FileInfo` that was
//! ~17,000 instructions per object (callgrind), the largest part of the sync
//! `writeFile` binding cost. Through the builder (the path, one
//! `napi_call_function`, an object literal that V8 builds from its cached
//! boilerplate) it is ~3,000; the numbers are written to a Float64Array the
//! builder reads, as a napi value per number cost more than the rest right
//! after a core call.
//!
//! Small read results (up to `POOLED_MAX`) go into slab slices for the same
//! reason `Buffer.allocUnsafe` pools: a Buffer with its own memory is a new
//! ArrayBuffer backing store each time (allocation, external-memory accounting,
//! GC sweeping), ~2.7 µs per 4 KiB Buffer on the benchmark machine, against
//! ~0.1 µs for a view of a slab (bench/RESULTS.md, "Pooled read Buffers").
//!
//! The functions live in the environment's instance data, so each Node
//! environment (main thread, every worker) has its own. Without a registered
//! function (the `.node` file loaded on its own, not through `index.js`) results
//! are built the napi-rs way, with the same properties.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use sandvol_core as core;
use std::ffi::c_void;
use std::ptr;

/// Per-environment references to the registered builder functions, and the
/// `FileInfo` builder's number slots.
struct Builders {
    file_info: sys::napi_ref,
    pooled_buffer: sys::napi_ref,
    /// The Float64Array the numbers of a `FileInfo` are written to (kept alive).
    slots: sys::napi_ref,
    /// Its memory: `FILE_INFO_SLOTS` doubles outside V8's heap, which V8 does
    /// not move.
    slot_data: *mut f64,
}

/// Numbers of a `FileInfo` passed through the slots: kind index, size, mode,
/// version, atime, mtime, ctime.
pub const FILE_INFO_SLOTS: usize = 7;

impl Builders {
    unsafe fn delete(self, env: sys::napi_env) {
        unsafe {
            sys::napi_delete_reference(env, self.file_info);
            sys::napi_delete_reference(env, self.pooled_buffer);
            sys::napi_delete_reference(env, self.slots);
        }
    }
}

unsafe extern "C" fn drop_builders(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let b = unsafe { Box::from_raw(data.cast::<Builders>()) };
    unsafe { b.delete(env) };
}

/// Largest result handed out as a slab slice; larger ones get their own memory
/// (the copy then outweighs the allocation, and a retained slice keeps its whole
/// slab alive, which must stay a small multiple of the slice).
pub const POOLED_MAX: usize = 8 << 10;

/// A JS function argument, kept as the raw value.
pub struct JsFn(sys::napi_value);

impl FromNapiValue for JsFn {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut t = 0;
        check_status!(unsafe { sys::napi_typeof(env, v, &mut t) })?;
        if t != sys::ValueType::napi_function {
            return Err(napi::Error::new(Status::FunctionExpected, "expected a function"));
        }
        Ok(JsFn(v))
    }
}

impl TypeName for JsFn {
    fn type_name() -> &'static str {
        "Function"
    }
    fn value_type() -> ValueType {
        ValueType::Function
    }
}

impl ValidateNapiValue for JsFn {}

/// A Float64Array argument: its value and memory.
pub struct Slots(sys::napi_value, *mut f64);

impl FromNapiValue for Slots {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        match unsafe { crate::convert::typed_array(env, v) } {
            Some((sys::TypedarrayType::float64_array, len, data)) if len >= FILE_INFO_SLOTS && !data.is_null() => {
                Ok(Slots(v, data.cast()))
            }
            _ => Err(napi::Error::new(Status::InvalidArg, format!("expected a Float64Array of {FILE_INFO_SLOTS} or more"))),
        }
    }
}

impl TypeName for Slots {
    fn type_name() -> &'static str {
        "Float64Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Slots {}

/// Registers `fileInfo(path, target)`, which returns the `FileInfo` object
/// with the numbers found in `slots` (a Float64Array over an ArrayBuffer of
/// its own, so its memory stays put): kind index (0 file, 1 dir, 2 symlink),
/// size, mode, version, atime, mtime, ctime; target is `undefined` for
/// anything but a symlink. And `pooledBuffer(len)`, which returns an unfilled
/// Buffer of `len` (at most `POOLED_MAX`) bytes cut from a shared slab.
/// Called once by `index.js`.
#[napi(js_name = "_setResultBuilders")]
pub fn set_result_builders(env: Env, file_info: JsFn, pooled_buffer: JsFn, slots: Slots) -> napi::Result<()> {
    let env = env.raw();
    let mut new =
        Builders { file_info: ptr::null_mut(), pooled_buffer: ptr::null_mut(), slots: ptr::null_mut(), slot_data: slots.1 };
    check_status!(unsafe { sys::napi_create_reference(env, file_info.0, 1, &mut new.file_info) })?;
    if let Err(e) = check_status!(unsafe { sys::napi_create_reference(env, pooled_buffer.0, 1, &mut new.pooled_buffer) }) {
        unsafe { sys::napi_delete_reference(env, new.file_info) };
        return Err(e);
    }
    if let Err(e) = check_status!(unsafe { sys::napi_create_reference(env, slots.0, 1, &mut new.slots) }) {
        unsafe {
            sys::napi_delete_reference(env, new.file_info);
            sys::napi_delete_reference(env, new.pooled_buffer);
        }
        return Err(e);
    }
    let mut cur: *mut c_void = ptr::null_mut();
    if let Err(e) = check_status!(unsafe { sys::napi_get_instance_data(env, &mut cur) }) {
        unsafe { new.delete(env) };
        return Err(e);
    }
    if !cur.is_null() {
        // Registered before in this environment: swap the functions.
        let old = std::mem::replace(unsafe { &mut *cur.cast::<Builders>() }, new);
        unsafe { old.delete(env) };
        return Ok(());
    }
    let data = Box::into_raw(Box::new(new));
    if let Err(e) = check_status!(unsafe { sys::napi_set_instance_data(env, data.cast(), Some(drop_builders), ptr::null_mut()) }) {
        let b = unsafe { Box::from_raw(data) };
        unsafe { b.delete(env) };
        return Err(e);
    }
    Ok(())
}

/// This environment's builders, if registered.
unsafe fn builders<'a>(env: sys::napi_env) -> napi::Result<Option<&'a Builders>> {
    let mut cur: *mut c_void = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_instance_data(env, &mut cur) })?;
    Ok(if cur.is_null() { None } else { Some(unsafe { &*cur.cast::<Builders>() }) })
}

/// A registered builder function of this environment, if any.
unsafe fn builder(env: sys::napi_env, which: fn(&Builders) -> sys::napi_ref) -> napi::Result<Option<sys::napi_value>> {
    match unsafe { builders(env)? } {
        Some(b) => unsafe { function(env, which(b)) },
        None => Ok(None),
    }
}

/// The function a builder reference holds, if it is still there.
unsafe fn function(env: sys::napi_env, r: sys::napi_ref) -> napi::Result<Option<sys::napi_value>> {
    let mut f = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_reference_value(env, r, &mut f) })?;
    Ok(if f.is_null() { None } else { Some(f) })
}

/// Calls a builder; `None` if it threw (it should not), with the exception
/// cleared so it does not escape as an uncaught one from a Promise resolution:
/// the caller then builds the value the napi way.
unsafe fn call(env: sys::napi_env, build: sys::napi_value, args: &[sys::napi_value]) -> napi::Result<Option<sys::napi_value>> {
    let mut undefined = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_undefined(env, &mut undefined) })?;
    let mut out = ptr::null_mut();
    let status = unsafe { sys::napi_call_function(env, undefined, build, args.len(), args.as_ptr(), &mut out) };
    if status != sys::Status::napi_ok {
        let mut pending = false;
        check_status!(unsafe { sys::napi_is_exception_pending(env, &mut pending) })?;
        if pending {
            let mut e = ptr::null_mut();
            check_status!(unsafe { sys::napi_get_and_clear_last_exception(env, &mut e) })?;
        }
        return Ok(None);
    }
    Ok(Some(out))
}

/// `bytes` as a slab-slice Buffer through the registered builder; `None` when
/// they are too large or empty, there is no builder, or it failed.
pub unsafe fn pooled_buffer(env: sys::napi_env, bytes: &[u8]) -> napi::Result<Option<sys::napi_value>> {
    if bytes.is_empty() || bytes.len() > POOLED_MAX {
        return Ok(None);
    }
    let Some(build) = (unsafe { builder(env, |b| b.pooled_buffer)? }) else {
        return Ok(None);
    };
    let Some(buf) = (unsafe { call(env, build, &[uint32(env, bytes.len() as u32)?])? }) else {
        return Ok(None);
    };
    let mut data = ptr::null_mut();
    let mut len = 0usize;
    // Anything but a Buffer of the asked length: build the result the napi way.
    if unsafe { sys::napi_get_buffer_info(env, buf, &mut data, &mut len) } != sys::Status::napi_ok
        || len != bytes.len()
        || data.is_null()
    {
        return Ok(None);
    }
    // A fresh slice of the slab: nothing else has been handed this memory.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), len) };
    Ok(Some(buf))
}

fn kind_index(k: core::FileKind) -> u32 {
    match k {
        core::FileKind::File => 0,
        core::FileKind::Dir => 1,
        core::FileKind::Symlink => 2,
    }
}

unsafe fn string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) })?;
    Ok(v)
}

unsafe fn uint32(env: sys::napi_env, n: u32) -> napi::Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_uint32(env, n, &mut v) })?;
    Ok(v)
}

/// `FileInfo` through the registered builder; `None` when there is none (or it failed).
pub unsafe fn file_info(env: sys::napi_env, f: &core::FileInfo) -> napi::Result<Option<sys::napi_value>> {
    let Some(b) = (unsafe { builders(env)? }) else {
        return Ok(None);
    };
    let Some(build) = (unsafe { function(env, b.file_info)? }) else {
        return Ok(None);
    };
    let mut undefined = ptr::null_mut();
    check_status!(unsafe { sys::napi_get_undefined(env, &mut undefined) })?;
    let target = match &f.target {
        Some(t) => unsafe { string(env, t)? },
        None => undefined,
    };
    let path = unsafe { string(env, &f.path)? };
    // The numbers go through the slots, not as arguments: a napi value each
    // was most of the builder's cost right after a core call. Written last,
    // with no JS run between here and the builder reading them. u64 sizes and
    // versions as JS numbers, like the napi object path (i64 → number).
    let numbers = [
        kind_index(f.kind) as f64,
        f.size as i64 as f64,
        f.mode as f64,
        f.version as i64 as f64,
        f.atime as f64,
        f.mtime as f64,
        f.ctime as f64,
    ];
    unsafe { ptr::copy_nonoverlapping(numbers.as_ptr(), b.slot_data, FILE_INFO_SLOTS) };
    unsafe { call(env, build, &[path, target]) }
}
