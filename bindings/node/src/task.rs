//! Promise calls: a core call wrapped so that returning it from a `#[napi]`
//! method hands JS a Promise and runs the call on the worker pool.
//!
//! The closure runs on a worker (the core API is blocking); its result is
//! converted on the JS thread, where a core error becomes a JS `Error` with
//! `.code` (`reactor.rs`). Panics are caught and reported as `internal`.

use napi::bindgen_prelude::*;
use napi::sys;
use sandvol_core::{Error as CoreError, Result as CoreResult};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A blocking core call and its result.
pub type Work<T> = Box<dyn FnOnce() -> CoreResult<T> + Send + 'static>;

/// A core call that becomes a Promise when returned to JS.
pub struct Job<T: Send + 'static> {
    work: Work<T>,
}

/// Wraps `f` into a Promise-returning call.
pub fn job<T, F>(f: F) -> Job<T>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce() -> CoreResult<T> + Send + 'static,
{
    Job { work: Box::new(f) }
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
        crate::reactor::promise(env, val.work)
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
