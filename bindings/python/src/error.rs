//! Error mapping: core `ErrorCode` → the Python class of `sandvol.exceptions`
//! (never by message text), with the core error's `source()` chain as `__cause__`.

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use sandvol_core::{Error, ErrorCode};
use std::panic::AssertUnwindSafe;

static ERROR_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static SOURCE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Converts a core error into the matching `sandvol.<Code>Error` instance.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    build(py, &e).unwrap_or_else(|err| err)
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let exc = instance(py, e)?;
    let mut last = exc.clone();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let cause = cause(py, s)?;
        last.setattr("__cause__", &cause)?;
        last = cause;
        src = s.source();
    }
    Ok(PyErr::from_value(exc))
}

fn instance<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyAny>> {
    let class_of = ERROR_CLASS.import(py, "sandvol.exceptions", "error_class")?;
    class_of.call1((e.code().as_str(),))?.call1((e.message(),))
}

/// One link of the cause chain: OS errors keep their errno, core errors their
/// class, anything else (SQLite, JSON) becomes `sandvol.SourceError`.
fn cause<'py>(py: Python<'py>, s: &(dyn std::error::Error + 'static)) -> PyResult<Bound<'py, PyAny>> {
    if let Some(core) = s.downcast_ref::<Error>() {
        return instance(py, core);
    }
    if let Some(io) = s.downcast_ref::<std::io::Error>() {
        let err = match io.raw_os_error() {
            Some(n) => PyOSError::new_err((n, io.to_string())),
            None => PyOSError::new_err(io.to_string()),
        };
        return Ok(err.into_value(py).into_bound(py).into_any());
    }
    let cls = SOURCE_ERROR.import(py, "sandvol.exceptions", "SourceError")?;
    cls.call1((s.to_string(),))
}

/// Runs a core call with the GIL released; a panic becomes `internal`, an error
/// its mapped exception.
#[inline]
pub fn run<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> sandvol_core::Result<T> + Send,
{
    py.detach(|| match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(Error::internal(format!("sandvol panicked: {}", panic_message(&p)))),
    })
    .map_err(|e| to_py(py, e))
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// `invalid_argument` raised by the binding itself (bad value of the right type).
pub fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py(py, Error::invalid_argument(message))
}

/// Test hook: every core error code with its stable number, in numeric order.
#[pyfunction]
pub fn _error_codes() -> Vec<(&'static str, u32)> {
    ErrorCode::ALL.iter().map(|c| (c.as_str(), *c as u32)).collect()
}

/// Test hook: raises the exception a core error with `code` and `message` maps to;
/// with `io_errno`, the error carries an OS error as its source.
#[pyfunction]
#[pyo3(signature = (code, message, io_errno=None))]
pub fn _raise_error(py: Python<'_>, code: &str, message: &str, io_errno: Option<i32>) -> PyResult<()> {
    let code = ErrorCode::from_name(code)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown error code {code:?}")))?;
    let mut e = Error::new(code, message);
    if let Some(n) = io_errno {
        e = e.with_source(std::io::Error::from_raw_os_error(n));
    }
    Err(to_py(py, e))
}

/// Test hook: a panic inside a core call, to show it surfaces as `InternalError`.
#[pyfunction]
pub fn _panic(py: Python<'_>) -> PyResult<()> {
    run(py, || -> sandvol_core::Result<()> { panic!("deliberate test panic") })
}
