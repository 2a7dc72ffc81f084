//! Promise calls: a core call wrapped so that returning it from a `#[napi]`
//! method hands JS a Promise and runs the call on the worker pool.
//!
//! The closure runs on a worker (the core API is blocking); its result is
//! converted on the JS thread, where a core error becomes a JS `Error` with
//! `.code` (`reactor.rs`). Panics are caught and reported as `internal`.

use crate::pool::Run;
use crate::reactor::{Settle, Shared};
use napi::bindgen_prelude::*;
use napi::sys;
use sandvol_core::{Error as CoreError, Result as CoreResult};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

/// A core call that becomes a Promise when returned to JS.
pub struct Job<T: Send + 'static> {
    call: Box<dyn Start<T>>,
}

/// Wraps `f` into a Promise-returning call.
pub fn job<T, F>(f: F) -> Job<T>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> CoreResult<T> + Send + 'static,
{
    job_with((), move |_| f())
}

/// Wraps `f` into a Promise-returning call that borrows `keep` (a write's
/// data), which is freed on the JS thread with the call, like its
/// allocation: freeing a 4 KiB buffer on the worker took the JS thread's
/// malloc arena lock from there.
pub fn job_with<T, K, F>(keep: K, f: F) -> Job<T>
where
    T: ToNapiValue + Send + 'static,
    K: Send + 'static,
    F: FnOnce(&K) -> CoreResult<T> + Send + 'static,
{
    Job { call: Box::new(Call { work: Some(f), keep, out: None, deferred: Deferred(ptr::null_mut()), shared: None }) }
}

/// One Promise call from submission to settlement, in a single allocation
/// made and freed on the JS thread: the worker only runs it and hands it
/// back. Why: a box per closure made the JS thread and the worker each free
/// what the other allocated, and glibc's slow paths for that showed up as a
/// tenth of the JS thread's time in an empty round trip (bench/RESULTS.md).
struct Call<T, F, K> {
    work: Option<F>,
    keep: K,
    out: Option<CoreResult<T>>,
    deferred: Deferred,
    shared: Option<Arc<Shared>>,
}

/// A Promise's deferred handle, carried by the worker but only used on the JS thread.
struct Deferred(sys::napi_deferred);
// SAFETY: the worker only moves the pointer; it is dereferenced by napi on the JS thread.
unsafe impl Send for Deferred {}

/// A call that `reactor::promise` gives its Promise and results queue before
/// submitting it.
pub trait Start<T>: Run + Settle {
    fn start(&mut self, deferred: sys::napi_deferred, shared: Arc<Shared>);
}

impl<T, F, K> Start<T> for Call<T, F, K>
where
    T: ToNapiValue + Send + 'static,
    K: Send + 'static,
    F: FnOnce(&K) -> CoreResult<T> + Send + 'static,
{
    fn start(&mut self, deferred: sys::napi_deferred, shared: Arc<Shared>) {
        self.deferred = Deferred(deferred);
        self.shared = Some(shared);
    }
}

impl<T, F, K> Run for Call<T, F, K>
where
    T: ToNapiValue + Send + 'static,
    K: Send + 'static,
    F: FnOnce(&K) -> CoreResult<T> + Send + 'static,
{
    fn run(mut self: Box<Self>) {
        if let Some(work) = self.work.take() {
            let keep = &self.keep;
            self.out = Some(guarded(|| work(keep)));
        }
        crate::pool::poll_next();
        if let Some(shared) = self.shared.take() {
            shared.finish(self);
        }
    }
}

impl<T, F, K> Settle for Call<T, F, K>
where
    T: ToNapiValue + Send + 'static,
    K: Send + 'static,
    F: Send + 'static,
{
    unsafe fn settle(mut self: Box<Self>, env: sys::napi_env) {
        let out = self.out.take().unwrap_or_else(|| Err(CoreError::internal("a call was settled before it ran")));
        unsafe { crate::reactor::settle(env, self.deferred.0, out) }
    }
}

/// Runs `f`, turning a panic into an `internal` error instead of crossing the boundary.
pub fn guarded<T>(f: impl FnOnce() -> CoreResult<T>) -> CoreResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(CoreError::internal(format!("sandvol panicked: {what}")))
    })
}

impl<T: ToNapiValue + Send + 'static> ToNapiValue for Job<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        crate::reactor::promise(env, val.call)
    }
}

impl<T: Send + 'static> TypeName for Job<T> {
    fn type_name() -> &'static str {
        "Promise"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}
