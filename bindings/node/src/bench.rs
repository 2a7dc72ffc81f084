//! Benchmark-only exports (underscore names, not part of the API): synchronous
//! variants of readFile/writeFile, and a loop of the same core call in Rust, so
//! `make bench` can put the binding's cost next to the Rust cost in one run.

use crate::convert::{Bytes, Data, FileInfo};
use crate::error::{Code, sync_err};
use crate::fast::{self, Fail};
use crate::sandbox::Sandbox;
use napi::sys;
use napi_derive::napi;
use sandvol_core as core;
use std::time::Instant;

/// The benchmark's functions that take a sandbox and whose cost is part of
/// what it measures, as lean entry points like the API's (`fast.rs`), so they
/// carry the same argument and result glue: `readFileSync(sb, path)` and
/// `writeFileSync(sb, path, data)` (the API calls on the JS thread), and the
/// binding floors `floorSync(sb, path)`, `floorAsync(sb, path)` and
/// `floorWriteSync(sb, path, data)`, and `empty()`, a native call that does
/// nothing (what any binding pays to enter native code and come back).
#[napi(js_name = "_benchFunctions")]
pub fn bench_functions(env: napi::Env) -> napi::Result<fast::Raw> {
    fast::functions(
        env.raw(),
        &[
            (c"readFileSync", read_file_sync),
            (c"writeFileSync", write_file_sync),
            (c"floorSync", floor_sync),
            (c"floorAsync", floor_async),
            (c"floorWriteSync", floor_write_sync),
            (c"empty", empty),
        ],
    )
}

/// `sb.readFile(path)` on the JS thread.
unsafe extern "C" fn read_file_sync(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        fast::entry(env, info, Fail::Throw, |_, [sb, path]| {
            let path = fast::path(env, path)?;
            let at = &fast::sandbox(env, sb)?.at;
            fast::value(env, Bytes(at.engine.read_file(at.target(), &path)?))
        })
    }
}

/// `sb.writeFile(path, data)` on the JS thread.
unsafe extern "C" fn write_file_sync(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        fast::entry(env, info, Fail::Throw, |_, [sb, path, data]| {
            let (path, data) = (fast::path(env, path)?, fast::arg::<Data>(env, data)?);
            let at = &fast::sandbox(env, sb)?.at;
            let info = at.engine.write_file(at.target(), &path, data.as_slice(), &core::WriteOptions::default())?;
            fast::value(env, FileInfo(info))
        })
    }
}

/// Runs `iters` calls of the core read_file ("read") or write_file ("write",
/// of `data`: the very bytes the JS variants write) at `path` in Rust on the JS
/// thread and returns nanoseconds per call.
#[napi(js_name = "_rustLoop")]
pub fn rust_loop(sb: &Sandbox, op: String, path: String, data: Data, iters: u32) -> napi::Result<f64, Code> {
    core_loop(&sb.at, &op, &path, data.as_slice(), iters).map_err(sync_err)
}

/// The same loop on a worker of the pool, where a Promise call's core call runs:
/// the baseline for the Promise path (the benchmark VM's two CPUs do not run
/// the same code equally fast, and the JS thread and the worker sit on different ones).
#[napi(js_name = "_rustLoopOnWorker")]
pub fn rust_loop_on_worker(sb: &Sandbox, op: String, path: String, data: Data, iters: u32) -> crate::task::Job<f64> {
    let at = sb.at.clone();
    crate::task::job(move || core_loop(&at, &op, &path, data.as_slice(), iters))
}

/// Per-call nanoseconds of `iters` such calls on a worker, so the benchmark's
/// long runs compare medians and tails of Rust and Node, not only means (a
/// mean hides whether the difference is every call's or a few stalled ones').
#[napi(js_name = "_rustLatenciesOnWorker")]
pub fn rust_latencies_on_worker(sb: &Sandbox, op: String, path: String, data: Data, iters: u32) -> crate::task::Job<Vec<f64>> {
    let at = sb.at.clone();
    crate::task::job(move || {
        let mut out = Vec::with_capacity(iters as usize);
        for _ in 0..iters {
            let start = Instant::now();
            core_call(&at, &op, &path, data.as_slice())?;
            out.push(start.elapsed().as_nanos() as f64);
        }
        Ok(out)
    })
}

fn core_loop(at: &crate::fs::At, op: &str, path: &str, data: &[u8], iters: u32) -> sandvol_core::Result<f64> {
    let start = Instant::now();
    for _ in 0..iters {
        core_call(at, op, path, data)?;
    }
    Ok(start.elapsed().as_nanos() as f64 / iters.max(1) as f64)
}

/// One core read_file ("read") or write_file ("write" of `data`) at `path`.
fn core_call(at: &crate::fs::At, op: &str, path: &str, data: &[u8]) -> sandvol_core::Result<()> {
    let (e, t) = (&at.engine, at.target());
    match op {
        "read" => {
            std::hint::black_box(e.read_file(t, path)?);
        }
        "write" => {
            std::hint::black_box(e.write_file(t, path, data, &core::WriteOptions::default())?);
        }
        other => return Err(sandvol_core::Error::invalid_argument(format!("op {other:?} is not read or write"))),
    }
    Ok(())
}

/// Resolves never: panics on the worker thread, so tests can check that a panic
/// becomes an `internal` rejection instead of crossing into Node.
#[napi(js_name = "_panicForTest")]
pub fn panic_for_test() -> crate::task::Job<()> {
    crate::task::job(|| panic!("deliberate panic for the boundary test"))
}

/// An empty job: the cost of the Promise round trip (worker pool and back) alone.
#[napi(js_name = "_noopAsync")]
pub fn noop_async() -> crate::task::Job<()> {
    crate::task::job(|| Ok(()))
}

/// The sync binding's own cost: the arguments and 4 KiB Buffer result of
/// `readFileSync`, with the core call replaced by an allocation.
unsafe extern "C" fn floor_sync(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        fast::entry(env, info, Fail::Throw, |_, [sb, path]| {
            let path = fast::path(env, path)?;
            std::hint::black_box((&fast::sandbox(env, sb)?.at.id, &path));
            fast::value(env, Bytes(vec![0u8; 4096]))
        })
    }
}

/// The Promise path's own cost: `sb.readFile`'s arguments, the worker round
/// trip and a 4 KiB Buffer result, with the core call replaced by an allocation.
unsafe extern "C" fn floor_async(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        fast::entry(env, info, Fail::Reject, |_, [sb, path]| {
            let path = fast::path(env, path)?;
            let id = fast::sandbox(env, sb)?.at.id.clone();
            let job = crate::task::job(move || {
                std::hint::black_box((&id, &path));
                Ok(Bytes(vec![0u8; 4096]))
            });
            fast::value(env, job)
        })
    }
}

/// Nothing: returns `undefined` without looking at its arguments.
unsafe extern "C" fn empty(_env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    std::ptr::null_mut()
}

/// The sync write binding's own cost: `writeFileSync`'s arguments (path and
/// data conversion, including the copy of the data) and a `FileInfo` result,
/// with the core call replaced by a canned result.
unsafe extern "C" fn floor_write_sync(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        fast::entry(env, info, Fail::Throw, |_, [sb, path, data]| {
            let (path, data) = (fast::path(env, path)?, fast::arg::<Data>(env, data)?);
            std::hint::black_box((&fast::sandbox(env, sb)?.at.id, data.as_slice()));
            fast::value(
                env,
                FileInfo(core::FileInfo {
                    size: data.as_slice().len() as u64,
                    path,
                    kind: core::FileKind::File,
                    mode: 0o644,
                    version: 1_000_000,
                    atime: 1_795_000_000_000,
                    mtime: 1_795_000_000_000,
                    ctime: 1_795_000_000_000,
                    target: None,
                }),
            )
        })
    }
}
