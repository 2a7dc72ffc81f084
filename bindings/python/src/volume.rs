//! Volumes, their config, snapshots, pages and the change feed.

use crate::convert::{AccessModeArg, LabelsArg, NonNeg, SizeArg, StrArg, size, size_bytes};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use sandvol_core as core;
use sandvol_core::{ConfigOverride, Labels, Size};

/// `Name(k=v, ...)` from a `to_dict()` result.
pub fn repr_of(name: &str, d: &Bound<'_, PyDict>) -> PyResult<String> {
    let mut parts = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        parts.push(format!("{}={}", k, v.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

static ACCESS_MODE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `sandvol.AccessMode` member for a core access mode.
pub fn access_mode_obj<'py>(py: Python<'py>, m: core::AccessMode) -> PyResult<Bound<'py, PyAny>> {
    ACCESS_MODE.import(py, "sandvol._enums", "AccessMode")?.call1((m.as_str(),))
}

/// Cache settings of a volume or a mount (JuiceFS mount-option semantics).
///
/// As an argument every field is optional and overrides the volume's value;
/// sizes accept bytes or strings with a unit ("1G", "128M"). As a result
/// (``Volume.config``, ``MountSession.config``) every field is set, in bytes.
#[pyclass(frozen, eq, module = "sandvol", name = "VolumeConfig")]
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PyVolumeConfig {
    /// Bytes of local block cache (soft limit).
    #[pyo3(get)]
    pub cache_size: Option<u64>,
    /// Bytes of memory for dirty data and read-ahead.
    #[pyo3(get)]
    pub buffer_size: Option<u64>,
    /// Whole blocks fetched in the background after a cache miss (0 = off).
    #[pyo3(get)]
    pub prefetch: Option<u32>,
    /// Acknowledge writes once staged locally; upload in the background.
    #[pyo3(get)]
    pub writeback: Option<bool>,
}

impl PyVolumeConfig {
    pub fn from_core(c: &core::VolumeConfig) -> Self {
        PyVolumeConfig {
            cache_size: Some(c.cache_size),
            buffer_size: Some(c.buffer_size),
            prefetch: Some(c.prefetch),
            writeback: Some(c.writeback),
        }
    }
    pub fn to_override(&self) -> ConfigOverride {
        ConfigOverride {
            cache_size: self.cache_size.map(Size::Bytes),
            buffer_size: self.buffer_size.map(Size::Bytes),
            prefetch: self.prefetch,
            writeback: self.writeback,
        }
    }
}

/// Builds a config override from the flat keyword arguments of create/update/fork.
pub fn override_from(
    py: Python<'_>,
    cache_size: Option<SizeArg>,
    buffer_size: Option<SizeArg>,
    prefetch: Option<NonNeg>,
    writeback: Option<bool>,
) -> PyResult<ConfigOverride> {
    let prefetch = prefetch.map(|p| p.u32());
    Ok(ConfigOverride {
        cache_size: cache_size.map(|s| size_bytes(py, &s).map(Size::Bytes)).transpose()?,
        buffer_size: buffer_size.map(|s| size_bytes(py, &s).map(Size::Bytes)).transpose()?,
        prefetch,
        writeback,
    })
}

/// Builds the request of create_volume and fork_snapshot from their shared keyword arguments.
#[allow(clippy::too_many_arguments)]
pub fn create_request(
    py: Python<'_>,
    name: Option<StrArg>,
    access_mode: Option<AccessModeArg>,
    size_limit: Option<SizeArg>,
    cache_size: Option<SizeArg>,
    buffer_size: Option<SizeArg>,
    prefetch: Option<NonNeg>,
    writeback: Option<bool>,
    labels: Option<LabelsArg>,
) -> PyResult<core::CreateVolume> {
    Ok(core::CreateVolume {
        name: name.map(|n| n.0),
        access_mode: access_mode.map(|a| a.0),
        size_limit: size_limit.map(|s| s.0),
        config: override_from(py, cache_size, buffer_size, prefetch, writeback)?,
        labels: labels.map(|l| l.0).unwrap_or_default(),
    })
}

#[pymethods]
impl PyVolumeConfig {
    /// Cache settings; unset fields keep the volume's (or the default) value.
    #[new]
    #[pyo3(signature = (cache_size=None, buffer_size=None, prefetch=None, writeback=None))]
    fn new(
        py: Python<'_>,
        cache_size: Option<&Bound<'_, PyAny>>,
        buffer_size: Option<&Bound<'_, PyAny>>,
        prefetch: Option<NonNeg>,
        writeback: Option<bool>,
    ) -> PyResult<Self> {
        let cs = cache_size.filter(|o| !o.is_none()).map(|o| size(o, "cache_size")).transpose()?;
        let bs = buffer_size.filter(|o| !o.is_none()).map(|o| size(o, "buffer_size")).transpose()?;
        Ok(PyVolumeConfig {
            cache_size: cs.map(|s| size_bytes(py, &s)).transpose()?,
            buffer_size: bs.map(|s| size_bytes(py, &s)).transpose()?,
            prefetch: prefetch.map(|p| p.u32()),
            writeback,
        })
    }

    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("cache_size", self.cache_size)?;
        d.set_item("buffer_size", self.buffer_size)?;
        d.set_item("prefetch", self.prefetch)?;
        d.set_item("writeback", self.writeback)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("VolumeConfig", &self.to_dict(py)?)
    }
}

/// A volume: a named, persistent file tree with an access mode, a size limit,
/// cache settings and labels. Timestamps are milliseconds since the epoch.
#[pyclass(frozen, eq, module = "sandvol", name = "Volume")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyVolume(pub core::Volume);

#[pymethods]
impl PyVolume {
    /// "vol_…" id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// Unique name, if one was given.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// RWO, ROX or RWX, as a `sandvol.AccessMode` (a str).
    #[getter]
    fn access_mode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        access_mode_obj(py, self.0.access_mode)
    }
    /// Upper bound on used_bytes, if any.
    #[getter]
    fn size_limit(&self) -> Option<u64> {
        self.0.size_limit
    }
    /// Default cache settings for mounts of this volume.
    #[getter]
    fn config(&self) -> PyVolumeConfig {
        PyVolumeConfig::from_core(&self.0.config)
    }
    /// Labels (a fresh dict).
    #[getter]
    fn labels(&self) -> Labels {
        self.0.labels.clone()
    }
    /// Sum of the sizes of the volume's regular files.
    #[getter]
    fn used_bytes(&self) -> u64 {
        self.0.used_bytes
    }
    /// Number of regular files.
    #[getter]
    fn file_count(&self) -> u64 {
        self.0.file_count
    }
    /// Creation time, ms since the epoch.
    #[getter]
    fn created_at(&self) -> i64 {
        self.0.created_at
    }
    /// Last change, ms since the epoch.
    #[getter]
    fn updated_at(&self) -> i64 {
        self.0.updated_at
    }
    /// The fields as a plain dict (JSON-friendly: access_mode is a str, config a dict).
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let v = &self.0;
        let d = PyDict::new(py);
        d.set_item("id", &v.id)?;
        d.set_item("name", &v.name)?;
        d.set_item("access_mode", v.access_mode.as_str())?;
        d.set_item("size_limit", v.size_limit)?;
        d.set_item("config", PyVolumeConfig::from_core(&v.config).to_dict(py)?)?;
        d.set_item("labels", &v.labels)?;
        d.set_item("used_bytes", v.used_bytes)?;
        d.set_item("file_count", v.file_count)?;
        d.set_item("created_at", v.created_at)?;
        d.set_item("updated_at", v.updated_at)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("Volume", &self.to_dict(py)?)
    }
}

/// A point-in-time copy of a volume (O(metadata); blocks are shared).
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "Snapshot")]
#[derive(Clone, Debug, PartialEq)]
pub struct PySnapshot {
    /// "snap_…" id.
    pub id: String,
    /// The volume it was taken of.
    pub volume_id: String,
    /// Name, unique per volume.
    pub name: Option<String>,
    /// The volume's used_bytes at the time.
    pub used_bytes: u64,
    /// The volume's file_count at the time.
    pub file_count: u64,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
}

impl From<core::Snapshot> for PySnapshot {
    fn from(s: core::Snapshot) -> Self {
        PySnapshot {
            id: s.id,
            volume_id: s.volume_id,
            name: s.name,
            used_bytes: s.used_bytes,
            file_count: s.file_count,
            created_at: s.created_at,
        }
    }
}

#[pymethods]
impl PySnapshot {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", &self.id)?;
        d.set_item("volume_id", &self.volume_id)?;
        d.set_item("name", &self.name)?;
        d.set_item("used_bytes", self.used_bytes)?;
        d.set_item("file_count", self.file_count)?;
        d.set_item("created_at", self.created_at)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("Snapshot", &self.to_dict(py)?)
    }
}

/// One entry of a volume's change feed; paths are relative to the volume root.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "ChangeEntry")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyChangeEntry {
    /// Strictly increasing per volume; pass the last one as `since`.
    pub seq: u64,
    /// Path from the volume root ("/a/b.txt").
    pub path: String,
    /// write, mkdir, symlink, remove, rename, setattr or restore.
    pub kind: &'static str,
    /// Destination of a rename.
    pub new_path: Option<String>,
    /// When, ms since the epoch.
    pub at: i64,
}

impl From<core::ChangeEntry> for PyChangeEntry {
    fn from(c: core::ChangeEntry) -> Self {
        PyChangeEntry { seq: c.seq, path: c.path, kind: c.kind.as_str(), new_path: c.new_path, at: c.at }
    }
}

#[pymethods]
impl PyChangeEntry {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("seq", self.seq)?;
        d.set_item("path", &self.path)?;
        d.set_item("kind", self.kind)?;
        d.set_item("new_path", &self.new_path)?;
        d.set_item("at", self.at)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("ChangeEntry", &self.to_dict(py)?)
    }
}

/// One page of a list call: a sequence of items plus `next_cursor` (None on the last page).
#[pyclass(frozen, generic, module = "sandvol", name = "Page")]
pub struct PyPage {
    items: Py<PyList>,
    next_cursor: Option<String>,
}

impl PyPage {
    pub fn new<'py, T>(py: Python<'py>, items: Vec<T>, next_cursor: Option<String>) -> PyResult<Self>
    where
        T: IntoPyObject<'py>,
    {
        Ok(PyPage { items: PyList::new(py, items)?.unbind(), next_cursor })
    }
}

#[pymethods]
impl PyPage {
    /// The items of this page (a fresh list).
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.items.bind(py).iter())
    }
    /// Pass as `cursor` to get the next page; None on the last page.
    #[getter]
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
    fn __len__(&self, py: Python<'_>) -> usize {
        self.items.bind(py).len()
    }
    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        let l = self.items.bind(py);
        let n = l.len() as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(PyIndexError::new_err(format!("page index {index} out of range for {n} items")));
        }
        l.get_item(i as usize)
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.items.bind(py).try_iter().map(|i| i.into_any())
    }
    /// `{"items": [item.to_dict(), ...], "next_cursor": ...}`.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let items = PyList::empty(py);
        for it in self.items.bind(py).iter() {
            items.append(it.call_method0("to_dict")?)?;
        }
        let d = PyDict::new(py);
        d.set_item("items", items)?;
        d.set_item("next_cursor", &self.next_cursor)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Page(items={}, next_cursor={:?})", self.items.bind(py).repr()?, self.next_cursor))
    }
}
