//! Sandboxes, mount requests and mount sessions.

use crate::convert::{IdArg, NonNeg, PathArg, RefArg, StrArg, uint};
use crate::error::run;
use crate::fs::{self, PyFileInfo};
use crate::volume::{PyPage, PyVolumeConfig, repr_of};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sandvol_core as core;
use sandvol_core::{Engine, Labels, SandboxInfo, SandboxState, Target};
use std::sync::Mutex;

/// A volume attached to a sandbox, moving through the mount state machine.
/// Times are ms since the epoch.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "MountSession")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyMountSession {
    /// "ms_…" id (pass it to `unmount`).
    pub mount_session_id: String,
    /// The mounted volume's id.
    pub volume_id: String,
    /// The sandbox it is mounted in.
    pub sandbox_id: String,
    /// Normalized absolute mount point.
    pub mount_point: String,
    /// Normalized subpath of the volume ("" for the root).
    pub subpath: String,
    /// Whether writes are refused.
    pub read_only: bool,
    /// Effective cache settings (volume config plus per-mount override).
    pub config: PyVolumeConfig,
    /// requested, mounting, mounted, paused, remounting, unmounted, releasing, released or failed.
    pub state: &'static str,
    /// Stable error code of the last failure (e.g. "not_found", "force_detached").
    pub last_error_code: Option<String>,
    /// Message of the last failure.
    pub last_error_message: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Time of the last transition.
    pub updated_at: i64,
}

impl From<core::MountSession> for PyMountSession {
    fn from(m: core::MountSession) -> Self {
        PyMountSession {
            config: PyVolumeConfig::from_core(&m.config),
            mount_session_id: m.id,
            volume_id: m.volume_id,
            sandbox_id: m.sandbox_id,
            mount_point: m.mount_point,
            subpath: m.subpath,
            read_only: m.read_only,
            state: m.state.as_str(),
            last_error_code: m.last_error_code,
            last_error_message: m.last_error_message,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[pymethods]
impl PyMountSession {
    /// Same as `mount_session_id`.
    #[getter]
    fn id(&self) -> &str {
        &self.mount_session_id
    }
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("mount_session_id", &self.mount_session_id)?;
        d.set_item("volume_id", &self.volume_id)?;
        d.set_item("sandbox_id", &self.sandbox_id)?;
        d.set_item("mount_point", &self.mount_point)?;
        d.set_item("subpath", &self.subpath)?;
        d.set_item("read_only", self.read_only)?;
        d.set_item("config", self.config.to_dict(py)?)?;
        d.set_item("state", self.state)?;
        d.set_item("last_error_code", &self.last_error_code)?;
        d.set_item("last_error_message", &self.last_error_message)?;
        d.set_item("created_at", self.created_at)?;
        d.set_item("updated_at", self.updated_at)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("MountSession", &self.to_dict(py)?)
    }
}

/// A request to mount volume `ref` (id or name) at `mount_point`; used for the
/// bootstrap `mounts=` of `claim_sandbox`.
#[pyclass(frozen, eq, module = "sandvol", name = "MountRequest")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyMountRequest {
    volume: String,
    mount_point: String,
    subpath: Option<String>,
    read_only: Option<bool>,
    config: Option<PyVolumeConfig>,
}

impl PyMountRequest {
    pub fn to_core(&self) -> core::MountRequest {
        core::MountRequest {
            volume: self.volume.clone(),
            mount_point: self.mount_point.clone(),
            subpath: self.subpath.clone(),
            read_only: self.read_only,
            config: self.config.as_ref().map(|c| c.to_override()).unwrap_or_default(),
        }
    }
}

/// Reads an optional `VolumeConfig` argument.
pub fn config_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PyVolumeConfig>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.cast::<PyVolumeConfig>() {
            Ok(c) => Ok(Some(c.get().clone())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "config must be a sandvol.VolumeConfig, not {}",
                o.get_type().name()?
            ))),
        },
    }
}

#[pymethods]
impl PyMountRequest {
    /// `read_only=None` means read-only only if the access mode demands it (ROX).
    #[new]
    #[pyo3(signature = (r#ref, mount_point, subpath=None, read_only=None, config=None))]
    fn new(
        r#ref: RefArg,
        mount_point: PathArg,
        subpath: Option<PathArg>,
        read_only: Option<bool>,
        config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(PyMountRequest {
            volume: r#ref.0,
            mount_point: mount_point.0,
            subpath: subpath.map(|s| s.0),
            read_only,
            config: config_arg(config)?,
        })
    }
    /// Volume id or name.
    #[getter(r#ref)]
    fn get_ref(&self) -> &str {
        &self.volume
    }
    /// Absolute mount point in the sandbox.
    #[getter]
    fn mount_point(&self) -> &str {
        &self.mount_point
    }
    /// Directory of the volume to mount instead of its root.
    #[getter]
    fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }
    /// True, False, or None (read-only only if the access mode demands it).
    #[getter]
    fn read_only(&self) -> Option<bool> {
        self.read_only
    }
    /// Per-mount cache settings.
    #[getter]
    fn config(&self) -> Option<PyVolumeConfig> {
        self.config.clone()
    }
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ref", &self.volume)?;
        d.set_item("mount_point", &self.mount_point)?;
        d.set_item("subpath", &self.subpath)?;
        d.set_item("read_only", self.read_only)?;
        d.set_item("config", self.config.as_ref().map(|c| c.to_dict(py)).transpose()?)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("MountRequest", &self.to_dict(py)?)
    }
}

/// A sandbox: a private scratch volume at "/" plus the volumes mounted into it.
/// File methods take sandbox paths, routed through the mount table.
///
/// Attributes reflect the sandbox as of the last call on this handle
/// (`refresh()` re-reads it). Used as a context manager, it is released on exit.
#[pyclass(frozen, module = "sandvol", name = "Sandbox")]
pub struct PySandbox {
    engine: Engine,
    id: String,
    info: Mutex<SandboxInfo>,
    bootstrap: Vec<PyMountSession>,
}

impl PySandbox {
    pub fn new(s: core::Sandbox) -> Self {
        PySandbox {
            engine: s.engine().clone(),
            id: s.id().to_string(),
            info: Mutex::new(s.info().clone()),
            bootstrap: s.bootstrap_mounts().iter().cloned().map(PyMountSession::from).collect(),
        }
    }
    fn at(&self) -> Target<'_> {
        Target::Sandbox(&self.id)
    }
    fn info(&self) -> SandboxInfo {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set_info(&self, i: SandboxInfo) {
        *self.info.lock().unwrap_or_else(|p| p.into_inner()) = i;
    }
}

#[pymethods]
impl PySandbox {
    /// "sb_…" id.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }
    /// Template the sandbox was claimed from.
    #[getter]
    fn template(&self) -> String {
        self.info().template
    }
    /// Group for RWO sharing, if any.
    #[getter]
    fn group(&self) -> Option<String> {
        self.info().group
    }
    /// "running", "paused" or "released".
    #[getter]
    fn state(&self) -> &'static str {
        self.info().state.as_str()
    }
    /// Labels (a fresh dict).
    #[getter]
    fn labels(&self) -> Labels {
        self.info().labels
    }
    /// Host directory where real mounts are materialized, if any.
    #[getter]
    fn root(&self) -> Option<String> {
        self.info().root
    }
    /// Creation time, ms since the epoch.
    #[getter]
    fn created_at(&self) -> i64 {
        self.info().created_at
    }
    /// Last state change, ms since the epoch.
    #[getter]
    fn updated_at(&self) -> i64 {
        self.info().updated_at
    }
    /// The bootstrap mounts, with their states as of the end of the claim.
    #[getter]
    fn bootstrap_mounts(&self) -> Vec<PyMountSession> {
        self.bootstrap.clone()
    }

    /// Re-reads the sandbox's row (state, updated_at).
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        let s = run(py, || self.engine.get_sandbox(&self.id))?;
        self.set_info(s.info().clone());
        Ok(())
    }

    /// Mounts volume `ref` (id or name) at `mount_point` and returns the mounted session.
    #[pyo3(signature = (r#ref, mount_point, subpath=None, read_only=None, config=None))]
    fn mount(
        &self,
        py: Python<'_>,
        r#ref: RefArg,
        mount_point: PathArg,
        subpath: Option<PathArg>,
        read_only: Option<bool>,
        config: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyMountSession> {
        let req = core::MountRequest {
            volume: r#ref.0,
            mount_point: mount_point.0,
            subpath: subpath.map(|s| s.0),
            read_only,
            config: config_arg(config)?.map(|c| c.to_override()).unwrap_or_default(),
        };
        run(py, || self.engine.mount(&self.id, req)).map(PyMountSession::from)
    }

    /// Flushes and releases one mount session of volume `ref`; returns it (state "released").
    fn unmount(&self, py: Python<'_>, r#ref: RefArg, mount_session_id: IdArg) -> PyResult<PyMountSession> {
        run(py, || self.engine.unmount(&self.id, &r#ref.0, &mount_session_id.0)).map(PyMountSession::from)
    }

    /// Every mount session of this sandbox (any state), oldest first.
    fn mount_status(&self, py: Python<'_>) -> PyResult<Vec<PyMountSession>> {
        Ok(run(py, || self.engine.mount_status(&self.id))?.into_iter().map(PyMountSession::from).collect())
    }

    /// Pauses: every mounted session becomes paused.
    fn pause(&self, py: Python<'_>) -> PyResult<()> {
        let i = run(py, || self.engine.pause_sandbox(&self.id))?;
        self.set_info(i);
        Ok(())
    }

    /// Resumes: every paused session goes remounting → mounted (or failed).
    fn resume(&self, py: Python<'_>) -> PyResult<()> {
        let i = run(py, || self.engine.resume_sandbox(&self.id))?;
        self.set_info(i);
        Ok(())
    }

    /// Unmounts everything and drops the scratch volume; works from any process.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        let i = run(py, || self.engine.release_sandbox(&self.id))?;
        self.set_info(i);
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Releases the sandbox unless it is already released.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        if self.info().state != SandboxState::Released {
            self.release(py)?;
        }
        Ok(false)
    }

    /// Reads a whole file, or `length` bytes at `offset` (fewer at the end).
    #[pyo3(signature = (path, offset=None, length=None))]
    fn read_file<'py>(
        &self,
        py: Python<'py>,
        path: PathArg,
        offset: Option<&Bound<'_, PyAny>>,
        length: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (offset, length) = fs::range_args(offset, length)?;
        fs::read_file(py, &self.engine, self.at(), path, offset, length)
    }

    /// Writes a file atomically and returns its new FileInfo. By default the
    /// file is created or replaced; `append=True` adds to the end, `offset=n`
    /// writes at a byte offset, `exclusive=True` fails if it exists;
    /// `if_version=v` applies only if the file's version is `v` (0: must not exist).
    #[pyo3(signature = (path, data, *, append=false, offset=None, exclusive=false, if_version=None, parents=true))]
    #[allow(clippy::too_many_arguments)]
    fn write_file(
        &self,
        py: Python<'_>,
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
        fs::write_file(py, &self.engine, self.at(), path, data, append, offset, exclusive, if_version, parents)
    }

    /// File info (a final symlink is not followed).
    fn stat(&self, py: Python<'_>, path: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.engine.stat(self.at(), &path.0)).map(PyFileInfo::from)
    }

    /// True if the path exists.
    fn exists(&self, py: Python<'_>, path: PathArg) -> PyResult<bool> {
        run(py, || self.engine.exists(self.at(), &path.0))
    }

    /// Lists a directory in name order, one page at a time.
    #[pyo3(signature = (path=None, limit=None, cursor=None))]
    fn list_dir(&self, py: Python<'_>, path: Option<PathArg>, limit: Option<NonNeg>, cursor: Option<String>) -> PyResult<PyPage> {
        fs::list_dir(py, &self.engine, self.at(), path.unwrap_or(PathArg("/".into())), limit, cursor)
    }

    /// Creates a directory (and missing parents with `parents=True`).
    #[pyo3(signature = (path, parents=false))]
    fn mkdir(&self, py: Python<'_>, path: PathArg, parents: bool) -> PyResult<PyFileInfo> {
        run(py, || self.engine.mkdir(self.at(), &path.0, parents)).map(PyFileInfo::from)
    }

    /// Removes a file, symlink or empty directory (any directory with `recursive=True`).
    #[pyo3(signature = (path, recursive=false))]
    fn remove(&self, py: Python<'_>, path: PathArg, recursive: bool) -> PyResult<()> {
        run(py, || self.engine.remove(self.at(), &path.0, recursive))
    }

    /// Renames atomically within one volume (across volumes: CrossDeviceError).
    fn rename(&self, py: Python<'_>, src: PathArg, dst: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.engine.rename(self.at(), &src.0, &dst.0)).map(PyFileInfo::from)
    }

    /// Creates a symlink at `link` pointing to `target` (resolved inside its volume).
    fn symlink(&self, py: Python<'_>, target: StrArg, link: PathArg) -> PyResult<PyFileInfo> {
        run(py, || self.engine.symlink(self.at(), &target.0, &link.0)).map(PyFileInfo::from)
    }

    /// A symlink's target.
    fn readlink(&self, py: Python<'_>, path: PathArg) -> PyResult<String> {
        run(py, || self.engine.readlink(self.at(), &path.0))
    }

    /// Sets access and/or modification time (ms since the epoch).
    #[pyo3(signature = (path, atime=None, mtime=None))]
    fn set_times(&self, py: Python<'_>, path: PathArg, atime: Option<i64>, mtime: Option<i64>) -> PyResult<PyFileInfo> {
        run(py, || self.engine.set_times(self.at(), &path.0, atime, mtime)).map(PyFileInfo::from)
    }

    /// Opens a file and returns a binary file object (`sandvol.File`).
    /// Modes: "r", "r+", "w", "w+", "a", "a+", "x", "x+" (a "b" is allowed and ignored).
    #[pyo3(signature = (path, mode="rb"))]
    fn open<'py>(&self, py: Python<'py>, path: PathArg, mode: &str) -> PyResult<Bound<'py, PyAny>> {
        fs::open(py, &self.engine, self.at(), path, mode)
    }

    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let i = self.info();
        let d = PyDict::new(py);
        d.set_item("id", &i.id)?;
        d.set_item("template", &i.template)?;
        d.set_item("group", &i.group)?;
        d.set_item("state", i.state.as_str())?;
        d.set_item("labels", &i.labels)?;
        d.set_item("root", &i.root)?;
        d.set_item("created_at", i.created_at)?;
        d.set_item("updated_at", i.updated_at)?;
        let boot = self.bootstrap.iter().map(|m| m.to_dict(py)).collect::<PyResult<Vec<_>>>()?;
        d.set_item("bootstrap_mounts", boot)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let i = self.info();
        let d = PyDict::new(py);
        d.set_item("id", &i.id)?;
        d.set_item("template", &i.template)?;
        d.set_item("state", i.state.as_str())?;
        d.set_item("group", &i.group)?;
        d.set_item("bootstrap_mounts", self.bootstrap.len())?;
        repr_of("Sandbox", &d)
    }
}
