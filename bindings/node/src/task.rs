//! Running core calls off the main thread: one generic libuv-pool task.
//!
//! The closure runs on a libuv worker (the core API is blocking); its result is
//! converted on the JS thread, where a core error becomes a JS `Error` with
//! `.code`. Panics are caught and reported as `internal`.

use crate::error::js_error;
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use sandvol_core::{Error as CoreError, Result as CoreResult};
use std::panic::{AssertUnwindSafe, catch_unwind};

type Work<T> = Box<dyn FnOnce() -> CoreResult<T> + Send + 'static>;

/// A core call to run on the libuv pool.
pub struct Job<T: Send + 'static> {
    work: Option<Work<T>>,
}

/// Wraps `f` into a Promise-returning task.
pub fn job<T, F>(f: F) -> AsyncTask<Job<T>>
where
    T: ToNapiValue + TypeName + Send + 'static,
    F: FnOnce() -> CoreResult<T> + Send + 'static,
{
    AsyncTask::new(Job { work: Some(Box::new(f)) })
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

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = CoreResult<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.work.take().expect("a job runs once");
        Ok(guarded(work))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|e| js_error(&env, &e))
    }
}
