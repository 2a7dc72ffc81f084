//! Engine-wide counters, gc and fsck reports.

use crate::volume::repr_of;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sandvol_core as core;

/// Engine-wide counts read from the catalog.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "Stats")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyStats {
    /// User volumes.
    pub volumes: u64,
    /// Sandboxes not yet released.
    pub sandboxes: u64,
    /// Active mount sessions.
    pub active_mounts: u64,
    /// Distinct blocks referenced by the catalog.
    pub blocks: u64,
    /// Bytes those blocks hold (each stored once).
    pub block_bytes: u64,
    /// Sum of used_bytes over user volumes.
    pub used_bytes: u64,
}

impl From<core::Stats> for PyStats {
    fn from(s: core::Stats) -> Self {
        PyStats {
            volumes: s.volumes,
            sandboxes: s.sandboxes,
            active_mounts: s.active_mounts,
            blocks: s.blocks,
            block_bytes: s.block_bytes,
            used_bytes: s.used_bytes,
        }
    }
}

#[pymethods]
impl PyStats {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("volumes", self.volumes)?;
        d.set_item("sandboxes", self.sandboxes)?;
        d.set_item("active_mounts", self.active_mounts)?;
        d.set_item("blocks", self.blocks)?;
        d.set_item("block_bytes", self.block_bytes)?;
        d.set_item("used_bytes", self.used_bytes)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("Stats", &self.to_dict(py)?)
    }
}

/// What `gc` did.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "GcReport")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyGcReport {
    /// Blocks deleted from the store.
    pub blocks_deleted: u64,
    /// Bytes those blocks held.
    pub bytes_freed: u64,
}

impl From<core::GcReport> for PyGcReport {
    fn from(r: core::GcReport) -> Self {
        PyGcReport { blocks_deleted: r.blocks_deleted, bytes_freed: r.bytes_freed }
    }
}

#[pymethods]
impl PyGcReport {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("blocks_deleted", self.blocks_deleted)?;
        d.set_item("bytes_freed", self.bytes_freed)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("GcReport", &self.to_dict(py)?)
    }
}

/// What `fsck` found; empty lists mean a consistent data directory.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "FsckReport")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyFsckReport {
    /// Chunks naming a missing block.
    pub dangling: Vec<String>,
    /// Blocks nothing references (gc frees them).
    pub leaked_blocks: Vec<String>,
    /// Blocks whose stored reference count is wrong.
    pub refcount_drift: Vec<String>,
    /// Volumes whose used_bytes or file_count are wrong.
    pub counter_drift: Vec<String>,
    /// Unreachable inodes or entries naming missing inodes.
    pub orphans: Vec<String>,
    /// True when nothing but leaked blocks (harmless until gc) was found.
    pub is_clean: bool,
}

impl From<core::FsckReport> for PyFsckReport {
    fn from(r: core::FsckReport) -> Self {
        PyFsckReport {
            is_clean: r.is_clean(),
            dangling: r.dangling,
            leaked_blocks: r.leaked_blocks,
            refcount_drift: r.refcount_drift,
            counter_drift: r.counter_drift,
            orphans: r.orphans,
        }
    }
}

#[pymethods]
impl PyFsckReport {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("dangling", &self.dangling)?;
        d.set_item("leaked_blocks", &self.leaked_blocks)?;
        d.set_item("refcount_drift", &self.refcount_drift)?;
        d.set_item("counter_drift", &self.counter_drift)?;
        d.set_item("orphans", &self.orphans)?;
        d.set_item("is_clean", self.is_clean)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("FsckReport", &self.to_dict(py)?)
    }
}
