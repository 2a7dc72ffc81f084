//! The filesystem operations shared by `Sandbox` (sandbox paths) and `Engine`
//! (`volume_*`, volume paths), their result types, and open files.

use crate::convert::{NonNeg, PathArg, uint, with_bytes};
use crate::error::{invalid, run, to_py};
use crate::volume::{PyPage, repr_of};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyType};
use sandvol_core as core;
use sandvol_core::{Engine, FileHandle, ListDirOptions, OpenOptions, Target, WriteMode, WriteOptions};

/// What `stat` and writes return about a file. Times are ms since the epoch.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "FileInfo")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyFileInfo {
    /// The path as addressed (normalized).
    pub path: String,
    /// "file", "dir" or "symlink".
    pub kind: &'static str,
    /// Bytes (for a symlink, the length of its target).
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
    /// Increases on every change; pass to `if_version` for compare-and-swap.
    pub version: u64,
    /// Last access time.
    pub atime: i64,
    /// Last content change.
    pub mtime: i64,
    /// Last metadata change.
    pub ctime: i64,
    /// Symlink target, for symlinks.
    pub target: Option<String>,
}

impl From<core::FileInfo> for PyFileInfo {
    fn from(f: core::FileInfo) -> Self {
        PyFileInfo {
            path: f.path,
            kind: f.kind.as_str(),
            size: f.size,
            mode: f.mode,
            version: f.version,
            atime: f.atime,
            mtime: f.mtime,
            ctime: f.ctime,
            target: f.target,
        }
    }
}

#[pymethods]
impl PyFileInfo {
    /// True for regular files.
    #[getter]
    fn is_file(&self) -> bool {
        self.kind == "file"
    }
    /// True for directories.
    #[getter]
    fn is_dir(&self) -> bool {
        self.kind == "dir"
    }
    /// True for symlinks.
    #[getter]
    fn is_symlink(&self) -> bool {
        self.kind == "symlink"
    }
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("path", &self.path)?;
        d.set_item("kind", self.kind)?;
        d.set_item("size", self.size)?;
        d.set_item("mode", self.mode)?;
        d.set_item("version", self.version)?;
        d.set_item("atime", self.atime)?;
        d.set_item("mtime", self.mtime)?;
        d.set_item("ctime", self.ctime)?;
        d.set_item("target", &self.target)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("FileInfo", &self.to_dict(py)?)
    }
}

/// One entry of a directory listing.
#[pyclass(frozen, eq, get_all, module = "sandvol", name = "DirEntry")]
#[derive(Clone, Debug, PartialEq)]
pub struct PyDirEntry {
    /// Entry name.
    pub name: String,
    /// "file", "dir" or "symlink".
    pub kind: &'static str,
    /// Bytes.
    pub size: u64,
    /// File version.
    pub version: u64,
    /// Last content change, ms since the epoch.
    pub mtime: i64,
}

impl From<core::DirEntry> for PyDirEntry {
    fn from(e: core::DirEntry) -> Self {
        PyDirEntry { name: e.name, kind: e.kind.as_str(), size: e.size, version: e.version, mtime: e.mtime }
    }
}

#[pymethods]
impl PyDirEntry {
    /// The fields as a plain dict.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("name", &self.name)?;
        d.set_item("kind", self.kind)?;
        d.set_item("size", self.size)?;
        d.set_item("version", self.version)?;
        d.set_item("mtime", self.mtime)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of("DirEntry", &self.to_dict(py)?)
    }
}

/// `offset=` and `length=` of read_file: non-negative ints or None.
pub fn range_args(offset: Option<&Bound<'_, PyAny>>, length: Option<&Bound<'_, PyAny>>) -> PyResult<(u64, Option<u64>)> {
    let offset = match offset {
        Some(o) if !o.is_none() => uint(o, "offset")?,
        _ => 0,
    };
    let length = match length {
        Some(l) if !l.is_none() => Some(uint(l, "length")?),
        _ => None,
    };
    Ok((offset, length))
}

pub fn read_file<'py>(
    py: Python<'py>,
    e: &Engine,
    t: Target<'_>,
    path: PathArg,
    offset: u64,
    length: Option<u64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let p = path.0.as_str();
    let v = if offset == 0 && length.is_none() {
        run(py, || e.read_file(t, p))?
    } else {
        run(py, || e.read_range(t, p, offset, length.unwrap_or(u64::MAX)))?
    };
    Ok(PyBytes::new(py, &v))
}

#[allow(clippy::too_many_arguments)]
pub fn write_file(
    py: Python<'_>,
    e: &Engine,
    t: Target<'_>,
    path: PathArg,
    data: &Bound<'_, PyAny>,
    append: bool,
    offset: Option<u64>,
    exclusive: bool,
    if_version: Option<u64>,
    parents: bool,
) -> PyResult<PyFileInfo> {
    let mode = match (append, offset, exclusive) {
        (false, None, false) => WriteMode::Truncate,
        (true, None, false) => WriteMode::Append,
        (false, Some(o), false) => WriteMode::At(o),
        (false, None, true) => WriteMode::Exclusive,
        _ => {
            return Err(invalid(
                py,
                format!("write_file of {:?}: append, offset and exclusive are mutually exclusive", path.0),
            ));
        }
    };
    let opts = WriteOptions { mode, if_version, parents };
    let p = path.0.as_str();
    with_bytes(data, "data", |bytes| run(py, || e.write_file(t, p, bytes, &opts)).map(PyFileInfo::from))
}

pub fn list_dir(
    py: Python<'_>,
    e: &Engine,
    t: Target<'_>,
    path: PathArg,
    limit: Option<NonNeg>,
    cursor: Option<String>,
) -> PyResult<PyPage> {
    let opts = ListDirOptions { limit: limit.map(|l| l.usize()), cursor };
    let p = path.0.as_str();
    let page = run(py, || e.list_dir(t, p, &opts))?;
    PyPage::new(py, page.items.into_iter().map(PyDirEntry::from).collect(), page.next_cursor)
}

static FILE_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Opens a file and wraps the native handle in `sandvol.File` (an `io.RawIOBase`).
pub fn open<'py>(py: Python<'py>, e: &Engine, t: Target<'_>, path: PathArg, mode: &str) -> PyResult<Bound<'py, PyAny>> {
    let opts = OpenOptions::from_mode(mode).map_err(|err| to_py(py, err))?;
    let p = path.0.as_str();
    let h = run(py, || e.open_file(t, p, opts))?;
    let native = Bound::new(py, PyFileHandle { h, readable: opts.read, writable: opts.write, append: opts.append })?;
    FILE_CLASS.import(py, "sandvol._file", "File")?.call1((native, mode))
}

/// The native side of `sandvol.File`: positional reads and writes on one open file.
#[pyclass(frozen, module = "sandvol._native", name = "FileHandle")]
pub struct PyFileHandle {
    h: FileHandle,
    readable: bool,
    writable: bool,
    append: bool,
}

#[pymethods]
impl PyFileHandle {
    /// Reads up to `length` bytes at `offset`, seeing this handle's unflushed writes.
    fn read_at<'py>(&self, py: Python<'py>, offset: u64, length: u64) -> PyResult<Bound<'py, PyBytes>> {
        let v = run(py, || self.h.read_at(offset, length))?;
        Ok(PyBytes::new(py, &v))
    }
    /// Writes `data` at `offset` (at the end for append handles); returns the bytes written.
    fn write_at(&self, py: Python<'_>, offset: u64, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        with_bytes(data, "data", |b| run(py, || self.h.write_at(offset, b)))
    }
    /// Publishes buffered writes.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.h.flush())
    }
    /// Flushes and closes; closing twice is allowed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, || self.h.close())
    }
    /// The file's committed info.
    fn stat(&self, py: Python<'_>) -> PyResult<PyFileInfo> {
        run(py, || self.h.stat()).map(PyFileInfo::from)
    }
    /// Current size, including unflushed writes.
    #[getter]
    fn size(&self) -> u64 {
        self.h.size()
    }
    /// The path this handle was opened at.
    #[getter]
    fn path(&self) -> &str {
        self.h.path()
    }
    /// Opened for reading.
    #[getter]
    fn readable(&self) -> bool {
        self.readable
    }
    /// Opened for writing.
    #[getter]
    fn writable(&self) -> bool {
        self.writable
    }
    /// Every write goes to the end.
    #[getter]
    fn append(&self) -> bool {
        self.append
    }
}
