//! Private benchmark helper: loops the same core call the Python methods make,
//! in Rust, so `make bench` can print Python's per-call overhead.

use crate::engine::PyEngine;
use crate::error::{invalid, run};
use pyo3::prelude::*;
use sandvol_core::{Target, WriteOptions};
use std::time::Instant;

/// Runs `iterations` of `op` ("read_file", or "write_file" of `data` if given,
/// else of `size` bytes)
/// on `path` of sandbox `sandbox_id` (or volume `volume` when given) from Rust;
/// returns nanoseconds per call.
#[pyfunction]
#[pyo3(signature = (engine, op, path, iterations, size=4096, sandbox_id=None, volume=None, data=None))]
#[allow(clippy::too_many_arguments)]
pub fn _bench_rust(
    py: Python<'_>,
    engine: &PyEngine,
    op: &str,
    path: &str,
    iterations: u64,
    size: usize,
    sandbox_id: Option<&str>,
    volume: Option<&str>,
    data: Option<Vec<u8>>,
) -> PyResult<f64> {
    let t = match (sandbox_id, volume) {
        (Some(s), None) => Target::Sandbox(s),
        (None, Some(v)) => Target::Volume(v),
        _ => return Err(invalid(py, "give exactly one of sandbox_id and volume")),
    };
    let e = &engine.e;
    let data = data.unwrap_or_else(|| vec![0xa5u8; size]);
    let opts = WriteOptions::default();
    match op {
        "read_file" => run(py, || {
            let start = Instant::now();
            for _ in 0..iterations {
                std::hint::black_box(e.read_file(t, std::hint::black_box(path))?);
            }
            Ok(start.elapsed().as_nanos() as f64 / iterations.max(1) as f64)
        }),
        "write_file" => run(py, || {
            let start = Instant::now();
            for _ in 0..iterations {
                std::hint::black_box(e.write_file(t, std::hint::black_box(path), &data, &opts)?);
            }
            Ok(start.elapsed().as_nanos() as f64 / iterations.max(1) as f64)
        }),
        other => Err(invalid(py, format!("bench op {other:?} is not read_file or write_file"))),
    }
}

/// The binding's round trip without the core: the same argument conversion,
/// GIL release and 4 KiB `bytes` result as `Sandbox.read_file`, around a core
/// call replaced by allocating the bytes. Its cost bounds the binding's own
/// per-call overhead.
#[pyfunction]
#[pyo3(signature = (path, size=4096))]
pub fn _binding_floor<'py>(
    py: Python<'py>,
    path: crate::convert::PathArg,
    size: usize,
) -> PyResult<pyo3::Bound<'py, pyo3::types::PyBytes>> {
    let p = path.0.as_str();
    let v = run(py, || Ok(std::hint::black_box(vec![p.len() as u8; size])))?;
    Ok(pyo3::types::PyBytes::new(py, &v))
}
