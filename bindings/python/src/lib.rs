//! Python bindings for sandvol: the private native module `sandvol._native`.
//!
//! Thin by design: argument conversion (`convert`), error mapping by code
//! (`error`), and the GIL released around every core call (`error::run`).
//! The public package is `python/sandvol/`.

mod bench;
mod convert;
mod engine;
mod error;
mod fs;
mod sandbox;
mod stats;
mod volume;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", sandvol_core::VERSION)?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<sandbox::PySandbox>()?;
    m.add_class::<sandbox::PyMountSession>()?;
    m.add_class::<sandbox::PyMountRequest>()?;
    m.add_class::<volume::PyVolume>()?;
    m.add_class::<volume::PyVolumeConfig>()?;
    m.add_class::<volume::PySnapshot>()?;
    m.add_class::<volume::PyChangeEntry>()?;
    m.add_class::<volume::PyPage>()?;
    m.add_class::<fs::PyFileInfo>()?;
    m.add_class::<fs::PyDirEntry>()?;
    m.add_class::<fs::PyFileHandle>()?;
    m.add_class::<stats::PyStats>()?;
    m.add_class::<stats::PyGcReport>()?;
    m.add_class::<stats::PyFsckReport>()?;
    m.add_function(wrap_pyfunction!(error::_error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error::_raise_error, m)?)?;
    m.add_function(wrap_pyfunction!(error::_panic, m)?)?;
    m.add_function(wrap_pyfunction!(bench::_bench_rust, m)?)?;
    m.add_function(wrap_pyfunction!(bench::_binding_floor, m)?)?;
    Ok(())
}
