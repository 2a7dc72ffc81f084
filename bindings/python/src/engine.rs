//! `sandvol.Engine`: one open data directory.

use crate::convert::{AccessModeArg, NonNeg, IdArg, LabelsArg, PathArg, RefArg, SizeArg, StrArg, size_bytes, uint};
use crate::error::run;
use crate::fs::{self, PyFileInfo};
use crate::sandbox::{PyMountRequest, PyMountSession, PySandbox};
use crate::stats::{PyFsckReport, PyGcReport, PyStats};
use crate::volume::{PyChangeEntry, PyPage, PySnapshot, PyVolume, create_request, override_from};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sandvol_core::{
    ClaimOptions, Durability, Engine, EngineOptions, ListOptions, Size, Target, UpdateVolume,
};
use std::path::PathBuf;
use std::time::Duration;

/// An open sandvol data directory: volumes, sandboxes, mounts, snapshots.
///
/// ``Engine()`` opens ``$SANDVOL_HOME``, else ``./sandvol-data``; the directory
/// is created if missing. Several engines (threads or processes) may open the
/// same directory. Thread-safe; the GIL is released during every storage call.
/// Use as a context manager or call ``close()``. After ``os.fork()`` the child
/// must open its own engine: the parent's raises ``InvalidStateError`` there.
#[pyclass(frozen, module = "sandvol", name = "Engine")]
pub struct PyEngine {
    pub(crate) e: Engine,
}

#[pymethods]
impl PyEngine {
    /// Opens (creating if needed) a data directory. `durability` is "process"
    /// (default: acknowledged writes survive a process crash) or "power" (they
    /// also survive power loss). `block_size`, `inline_threshold` accept sizes;
    /// `reserved_prefixes` replaces the mount-point prefixes that are refused;
    /// `busy_timeout_ms` is how long a write waits for another process's
    /// catalog transaction before `TimeoutError` (default 30000).
    #[new]
    #[pyo3(signature = (path=None, *, durability=None, block_size=None, inline_threshold=None, reserved_prefixes=None, busy_timeout_ms=None))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        durability: Option<StrArg>,
        block_size: Option<SizeArg>,
        inline_threshold: Option<SizeArg>,
        reserved_prefixes: Option<Vec<String>>,
        busy_timeout_ms: Option<NonNeg>,
    ) -> PyResult<Self> {
        let mut opts = EngineOptions::default();
        if let Some(d) = durability {
            opts.durability = d.0.parse::<Durability>().map_err(|e| crate::error::to_py(py, e))?;
        }
        if let Some(b) = block_size {
            opts.block_size = size_bytes(py, &b)?;
        }
        if let Some(t) = inline_threshold {
            opts.inline_threshold = size_bytes(py, &t)?;
        }
        if let Some(r) = reserved_prefixes {
            opts.reserved_prefixes = r;
        }
        if let Some(ms) = busy_timeout_ms {
            opts.busy_timeout = std::time::Duration::from_millis(ms.0);
        }
        let dir = match path {
            Some(p) => p,
            None => sandvol_core::engine::default_dir(),
        };
        let e = run(py, || Engine::open_with(&dir, opts))?;
        Ok(PyEngine { e })
    }

    /// The data directory this engine opened.
    #[getter]
    fn data_dir(&self) -> PathBuf {
        self.e.data_dir().to_path_buf()
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.e.is_closed()
    }

    /// Waits for background work and closes; later calls raise InvalidStateError.
    /// Closing twice is allowed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.e.close())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the engine.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Engine({:?}{})", self.e.data_dir().display(), if self.e.is_closed() { ", closed" } else { "" })
    }

    // ---- volumes -------------------------------------------------------------

    /// Creates a volume. `access_mode` is "RWO" (default), "ROX" or "RWX" (or
    /// `sandvol.AccessMode`); sizes accept bytes or strings such as "1G".
    #[pyo3(signature = (name=None, *, access_mode=None, size_limit=None, cache_size=None, buffer_size=None, prefetch=None, writeback=None, labels=None))]
    #[allow(clippy::too_many_arguments)]
    fn create_volume(
        &self,
        py: Python<'_>,
        name: Option<StrArg>,
        access_mode: Option<AccessModeArg>,
        size_limit: Option<SizeArg>,
        cache_size: Option<SizeArg>,
        buffer_size: Option<SizeArg>,
        prefetch: Option<NonNeg>,
        writeback: Option<bool>,
        labels: Option<LabelsArg>,
    ) -> PyResult<PyVolume> {
        let req = create_request(py, name, access_mode, size_limit, cache_size, buffer_size, prefetch, writeback, labels)?;
        run(py, || self.e.create_volume(req)).map(PyVolume)
    }

    /// A volume by id or exact name.
    fn get_volume(&self, py: Python<'_>, r#ref: RefArg) -> PyResult<PyVolume> {
        run(py, || self.e.get_volume(&r#ref.0)).map(PyVolume)
    }

    /// Volumes in creation order whose labels include every given label, one page
    /// at a time (`limit` default 100, at most 1000; pass `page.next_cursor` as `cursor`).
    #[pyo3(signature = (labels=None, limit=None, cursor=None))]
    fn list_volumes(
        &self,
        py: Python<'_>,
        labels: Option<LabelsArg>,
        limit: Option<NonNeg>,
        cursor: Option<String>,
    ) -> PyResult<PyPage> {
        let opts = ListOptions { labels: labels.map(|l| l.0).unwrap_or_default(), limit: limit.map(|l| l.usize()), cursor };
        let page = run(py, || self.e.list_volumes(&opts))?;
        PyPage::new(py, page.items.into_iter().map(PyVolume).collect(), page.next_cursor)
    }

    /// Changes labels (replaced whole), size_limit (not below used_bytes) or
    /// cache settings (for mounts made afterwards). Unset arguments stay as they are.
    #[pyo3(signature = (r#ref, *, labels=None, size_limit=None, cache_size=None, buffer_size=None, prefetch=None, writeback=None))]
    #[allow(clippy::too_many_arguments)]
    fn update_volume(
        &self,
        py: Python<'_>,
        r#ref: RefArg,
        labels: Option<LabelsArg>,
        size_limit: Option<SizeArg>,
        cache_size: Option<SizeArg>,
        buffer_size: Option<SizeArg>,
        prefetch: Option<NonNeg>,
        writeback: Option<bool>,
    ) -> PyResult<PyVolume> {
        let upd = UpdateVolume {
            labels: labels.map(|l| l.0),
            size_limit: size_limit.map(|s| Some(s.0)),
            config: override_from(py, cache_size, buffer_size, prefetch, writeback)?,
        };
        run(py, || self.e.update_volume(&r#ref.0, &upd)).map(PyVolume)
    }

    /// Sets the size limit (not below used_bytes), or removes it with None.
    fn resize_volume(&self, py: Python<'_>, r#ref: RefArg, size_limit: Option<SizeArg>) -> PyResult<PyVolume> {
        let limit: Option<Size> = size_limit.map(|s| s.0);
        run(py, || self.e.resize_volume(&r#ref.0, limit)).map(PyVolume)
    }

    /// Deletes a volume and its snapshots. With active mounts it raises
    /// ConflictError, unless `force=True`: those sessions then fail with
    /// last_error_code "force_detached" first.
    #[pyo3(signature = (r#ref, force=false))]
    fn delete_volume(&self, py: Python<'_>, r#ref: RefArg, force: bool) -> PyResult<()> {
        run(py, || self.e.delete_volume(&r#ref.0, force))
    }

    // ---- sandboxes -----------------------------------------------------------

    /// Claims a running sandbox. `mounts` are bootstrap `MountRequest`s attached
    /// in the background; with `wait_for_mounts=True` the call waits up to
    /// `mount_wait_timeout_ms` (default 30 s) for each to be mounted or failed.
    /// A failed mount never fails the claim: see `sb.bootstrap_mounts`.
    #[pyo3(signature = (template, *, mounts=None, wait_for_mounts=false, mount_wait_timeout_ms=None, group=None, labels=None, root=None))]
    #[allow(clippy::too_many_arguments)]
    fn claim_sandbox(
        &self,
        py: Python<'_>,
        template: StrArg,
        mounts: Option<&Bound<'_, PyAny>>,
        wait_for_mounts: bool,
        mount_wait_timeout_ms: Option<NonNeg>,
        group: Option<StrArg>,
        labels: Option<LabelsArg>,
        root: Option<StrArg>,
    ) -> PyResult<PySandbox> {
        let mut reqs = Vec::new();
        if let Some(m) = mounts.filter(|m| !m.is_none()) {
            if m.is_instance_of::<pyo3::types::PyString>() {
                return Err(PyTypeError::new_err("mounts must be a list of sandvol.MountRequest, not str"));
            }
            let it = m.try_iter().map_err(|_| {
                PyTypeError::new_err(format!("mounts must be a list of sandvol.MountRequest, not {}", m.get_type().name().map(|n| n.to_string()).unwrap_or_default()))
            })?;
            for (i, item) in it.enumerate() {
                let item = item?;
                let req = item.cast::<PyMountRequest>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "mounts[{i}] must be a sandvol.MountRequest, not {}",
                        item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    ))
                })?;
                reqs.push(req.get().to_core());
            }
        }
        let opts = ClaimOptions {
            group: group.map(|g| g.0),
            labels: labels.map(|l| l.0).unwrap_or_default(),
            root: root.map(|r| r.0),
            mounts: reqs,
            wait_for_mounts,
            mount_wait_timeout_ms: mount_wait_timeout_ms.map(|m| m.0),
        };
        run(py, || self.e.claim_sandbox(&template.0, opts)).map(PySandbox::new)
    }

    /// A handle to an existing sandbox (from this or any process).
    fn get_sandbox(&self, py: Python<'_>, id: IdArg) -> PyResult<PySandbox> {
        run(py, || self.e.get_sandbox(&id.0)).map(PySandbox::new)
    }

    /// Every sandbox, oldest first (released ones included: they are history).
    fn list_sandboxes(&self, py: Python<'_>) -> PyResult<Vec<PySandbox>> {
        let all = run(py, || {
            self.e.list_sandboxes()?.iter().map(|i| self.e.get_sandbox(&i.id)).collect::<sandvol_core::Result<Vec<_>>>()
        })?;
        Ok(all.into_iter().map(PySandbox::new).collect())
    }

    /// One mount session by id.
    fn get_mount(&self, py: Python<'_>, mount_session_id: IdArg) -> PyResult<PyMountSession> {
        run(py, || self.e.get_mount(&mount_session_id.0)).map(PyMountSession::from)
    }

    // ---- snapshots -----------------------------------------------------------

    /// Snapshots a volume (O(metadata): blocks are shared).
    #[pyo3(signature = (volume, name=None))]
    fn create_snapshot(&self, py: Python<'_>, volume: RefArg, name: Option<StrArg>) -> PyResult<PySnapshot> {
        run(py, || self.e.create_snapshot(&volume.0, name.as_ref().map(|n| n.0.as_str()))).map(PySnapshot::from)
    }

    /// One snapshot by id.
    fn get_snapshot(&self, py: Python<'_>, id: IdArg) -> PyResult<PySnapshot> {
        run(py, || self.e.get_snapshot(&id.0)).map(PySnapshot::from)
    }

    /// Snapshots of a volume, oldest first.
    fn list_snapshots(&self, py: Python<'_>, volume: RefArg) -> PyResult<Vec<PySnapshot>> {
        Ok(run(py, || self.e.list_snapshots(&volume.0))?.into_iter().map(PySnapshot::from).collect())
    }

    /// Deletes a snapshot; blocks only it referenced become garbage for `gc`.
    fn delete_snapshot(&self, py: Python<'_>, id: IdArg) -> PyResult<()> {
        run(py, || self.e.delete_snapshot(&id.0))
    }

    /// Rewinds the snapshot's volume in place (ConflictError while a read-write
    /// mount is active); returns the volume.
    fn restore_snapshot(&self, py: Python<'_>, id: IdArg) -> PyResult<PyVolume> {
        run(py, || self.e.restore_snapshot(&id.0)).map(PyVolume)
    }

    /// Creates a new volume from a snapshot, with the source volume's settings
    /// unless overridden here.
    #[pyo3(signature = (id, *, name=None, access_mode=None, size_limit=None, cache_size=None, buffer_size=None, prefetch=None, writeback=None, labels=None))]
    #[allow(clippy::too_many_arguments)]
    fn fork_snapshot(
        &self,
        py: Python<'_>,
        id: IdArg,
        name: Option<StrArg>,
        access_mode: Option<AccessModeArg>,
        size_limit: Option<SizeArg>,
        cache_size: Option<SizeArg>,
        buffer_size: Option<SizeArg>,
        prefetch: Option<NonNeg>,
        writeback: Option<bool>,
        labels: Option<LabelsArg>,
    ) -> PyResult<PyVolume> {
        let req = create_request(py, name, access_mode, size_limit, cache_size, buffer_size, prefetch, writeback, labels)?;
        run(py, || self.e.fork_snapshot(&id.0, req)).map(PyVolume)
    }

    // ---- change feed, maintenance ---------------------------------------------

    /// Changes of a volume after sequence number `since`, oldest first (at most `limit`, default 1000).
    #[pyo3(signature = (volume, since=NonNeg(0), limit=None))]
    fn changes(&self, py: Python<'_>, volume: RefArg, since: NonNeg, limit: Option<NonNeg>) -> PyResult<Vec<PyChangeEntry>> {
        Ok(run(py, || self.e.changes(&volume.0, since.0, limit.map(|l| l.usize())))?.into_iter().map(PyChangeEntry::from).collect())
    }

    /// Engine-wide counters.
    fn stats(&self, py: Python<'_>) -> PyResult<PyStats> {
        run(py, || self.e.stats()).map(PyStats::from)
    }

    /// Deletes blocks unreferenced for at least `grace_seconds` (default 600).
    #[pyo3(signature = (grace_seconds=600.0))]
    fn gc(&self, py: Python<'_>, grace_seconds: f64) -> PyResult<PyGcReport> {
        // try_from: a finite float too large for a Duration panicked in from_secs_f64.
        let Ok(grace) = Duration::try_from_secs_f64(grace_seconds) else {
            return Err(crate::error::invalid(py, format!("grace_seconds {grace_seconds} is not a non-negative number of seconds")));
        };
        run(py, || self.e.gc(grace)).map(PyGcReport::from)
    }

    /// Checks catalog and block store against each other.
    fn fsck(&self, py: Python<'_>) -> PyResult<PyFsckReport> {
        run(py, || self.e.fsck()).map(PyFsckReport::from)
    }

    // ---- direct volume file operations (no sandbox) --------------------------

    /// Reads a whole file of volume `ref`, or `length` bytes at `offset`.
    #[pyo3(signature = (r#ref, path, offset=None, length=None))]
    fn volume_read_file<'py>(
        &self,
        py: Python<'py>,
        r#ref: RefArg,
        path: PathArg,
        offset: Option<&Bound<'_, PyAny>>,
        length: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (offset, length) = fs::range_args(offset, length)?;
        fs::read_file(py, &self.e, Target::Volume(&r#ref.0), path, offset, length)
    }

    /// Writes a file of volume `ref` atomically; see `Sandbox.write_file`.
    #[pyo3(signature = (r#ref, path, data, *, append=false, offset=None, exclusive=false, if_version=None, parents=true))]
    #[allow(clippy::too_many_arguments)]
    fn volume_write_file(
        &self,
        py: Python<'_>,
        r#ref: RefArg,
        path: PathArg,
        data: &Bound<'_, PyAny>,
        append: bool,
        offset: Option<&Bound<'_, PyAny>>,
        exclusive: bool,
        if_version: Option<&Bound<'_, PyAny>>,
        parents: bool,
    ) -> PyResult<PyFileInfo> {
        let offset = offset.map(|o| uint(o, "offset")).transpose()?;
        let if_version = if_version.map(|o| uint(o, "if_version")).transpose()?;
        fs::write_file(py, &self.e, Target::Volume(&r#ref.0), path, data, append, offset, exclusive, if_version, parents)
    }

    /// File info in volume `ref` (a final symlink is not followed).
    fn volume_stat(&self, py: Python<'_>, r#ref: RefArg, path: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.e.stat(Target::Volume(&r#ref.0), &path.0)).map(PyFileInfo::from)
    }

    /// True if the path exists in volume `ref`.
    fn volume_exists(&self, py: Python<'_>, r#ref: RefArg, path: PathArg) -> PyResult<bool> {
        run(py, || self.e.exists(Target::Volume(&r#ref.0), &path.0))
    }

    /// Lists a directory of volume `ref` in name order, one page at a time.
    #[pyo3(signature = (r#ref, path=None, limit=None, cursor=None))]
    fn volume_list_dir(
        &self,
        py: Python<'_>,
        r#ref: RefArg,
        path: Option<PathArg>,
        limit: Option<NonNeg>,
        cursor: Option<String>,
    ) -> PyResult<PyPage> {
        fs::list_dir(py, &self.e, Target::Volume(&r#ref.0), path.unwrap_or(PathArg("/".into())), limit, cursor)
    }

    /// Creates a directory in volume `ref`.
    #[pyo3(signature = (r#ref, path, parents=false))]
    fn volume_mkdir(&self, py: Python<'_>, r#ref: RefArg, path: PathArg, parents: bool) -> PyResult<PyFileInfo> {
        run(py, || self.e.mkdir(Target::Volume(&r#ref.0), &path.0, parents)).map(PyFileInfo::from)
    }

    /// Removes a path of volume `ref`.
    #[pyo3(signature = (r#ref, path, recursive=false))]
    fn volume_remove(&self, py: Python<'_>, r#ref: RefArg, path: PathArg, recursive: bool) -> PyResult<()> {
        run(py, || self.e.remove(Target::Volume(&r#ref.0), &path.0, recursive))
    }

    /// Renames atomically within volume `ref`.
    fn volume_rename(&self, py: Python<'_>, r#ref: RefArg, src: PathArg, dst: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.e.rename(Target::Volume(&r#ref.0), &src.0, &dst.0)).map(PyFileInfo::from)
    }

    /// Creates a symlink in volume `ref`.
    fn volume_symlink(&self, py: Python<'_>, r#ref: RefArg, target: StrArg, link: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.e.symlink(Target::Volume(&r#ref.0), &target.0, &link.0)).map(PyFileInfo::from)
    }

    /// A symlink's target in volume `ref`.
    fn volume_readlink(&self, py: Python<'_>, r#ref: RefArg, path: PathArg) -> PyResult<String> {
        run(py, || self.e.readlink(Target::Volume(&r#ref.0), &path.0))
    }

    /// Sets access and/or modification time (ms since the epoch) in volume `ref`.
    #[pyo3(signature = (r#ref, path, atime=None, mtime=None))]
    fn volume_set_times(
        &self,
        py: Python<'_>,
        r#ref: RefArg,
        path: PathArg,
        atime: Option<i64>,
        mtime: Option<i64>,
    ) -> PyResult<PyFileInfo> {
        run(py, || self.e.set_times(Target::Volume(&r#ref.0), &path.0, atime, mtime)).map(PyFileInfo::from)
    }

    /// Opens a file of volume `ref`; see `Sandbox.open`.
    #[pyo3(signature = (r#ref, path, mode="rb"))]
    fn volume_open<'py>(&self, py: Python<'py>, r#ref: RefArg, path: PathArg, mode: &str) -> PyResult<Bound<'py, PyAny>> {
        fs::open(py, &self.e, Target::Volume(&r#ref.0), path, mode)
    }
}
