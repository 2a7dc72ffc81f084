//! Argument conversion with clear messages.
//!
//! Convention: an argument of the wrong Python *type* raises `TypeError` naming
//! the expected type; a value of the right type that the engine refuses (bad
//! path, size string, access mode) raises `sandvol.InvalidArgumentError` (a
//! `ValueError`) naming the value.

use crate::error::invalid;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyMemoryView, PyString};
use sandvol_core::{AccessMode, Labels, Size};

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// A `str` argument; `what` names it in the `TypeError`.
pub fn string(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(obj))))?;
    match s.to_cow() {
        Ok(c) => Ok(c.into_owned()),
        Err(_) => Err(invalid(obj.py(), format!("{what} {} is not valid UTF-8", s.repr().map(|r| r.to_string()).unwrap_or_default()))),
    }
}

macro_rules! str_arg {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A `str` argument (", $what, ").")]
        pub struct $name(pub String);
        impl<'a, 'py> FromPyObject<'a, 'py> for $name {
            type Error = PyErr;
            fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                string(&obj, $what).map($name)
            }
        }
    };
}
str_arg!(PathArg, "path");
str_arg!(RefArg, "ref (a volume id or name)");
str_arg!(IdArg, "id");
str_arg!(StrArg, "argument");

/// A size: an int of bytes or a string with a unit ("1G", "128M", "1.5GiB").
pub struct SizeArg(pub Size);
impl<'a, 'py> FromPyObject<'a, 'py> for SizeArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        size(&obj, "size")
    }
}

pub fn size(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SizeArg> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{what} must be an int (bytes) or a str such as \"1G\", not bool")));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i128>() {
            Ok(n) if n < 0 => Err(invalid(obj.py(), format!("{what} {n} is negative"))),
            Ok(n) if n > u64::MAX as i128 => Err(invalid(obj.py(), format!("{what} {n} is too large"))),
            Ok(n) => Ok(SizeArg(Size::Bytes(n as u64))),
            Err(_) => Err(invalid(obj.py(), format!("{what} {} is too large", obj))),
        };
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(SizeArg(Size::Text(string(obj, what)?)));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be an int (bytes) or a str such as \"1G\", not {}",
        type_name(obj)
    )))
}

/// Bytes as the engine stores them (validated by core's parser).
pub fn size_bytes(py: Python<'_>, s: &SizeArg) -> PyResult<u64> {
    s.0.bytes().map_err(|e| crate::error::to_py(py, e))
}

/// "RWO" / "ROX" / "RWX" (any case, or the Kubernetes long names) or `sandvol.AccessMode`.
pub struct AccessModeArg(pub AccessMode);
impl<'a, 'py> FromPyObject<'a, 'py> for AccessModeArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        if !obj.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(format!(
                "access_mode must be a str (\"RWO\", \"ROX\", \"RWX\") or sandvol.AccessMode, not {}",
                type_name(&obj)
            )));
        }
        let s = string(&obj, "access_mode")?;
        s.parse::<AccessMode>().map(AccessModeArg).map_err(|e| crate::error::to_py(py, e))
    }
}

/// A dict of str to str.
pub struct LabelsArg(pub Labels);
impl<'a, 'py> FromPyObject<'a, 'py> for LabelsArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let d = obj
            .cast::<PyDict>()
            .map_err(|_| PyTypeError::new_err(format!("labels must be a dict of str to str, not {}", type_name(&obj))))?;
        let mut out = Labels::new();
        for (k, v) in d.iter() {
            if !k.is_instance_of::<PyString>() || !v.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(format!(
                    "labels must be a dict of str to str; entry {}: {} is {}: {}",
                    k.repr()?,
                    v.repr()?,
                    type_name(&k),
                    type_name(&v)
                )));
            }
            out.insert(string(&k, "label key")?, string(&v, "label value")?);
        }
        Ok(LabelsArg(out))
    }
}

/// A non-negative integer (offsets, lengths, versions).
pub fn uint(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!("{what} must be an int, not {}", type_name(obj))));
    }
    match obj.extract::<i128>() {
        Ok(n) if n < 0 => Err(invalid(obj.py(), format!("{what} {n} is negative"))),
        Ok(n) if n <= u64::MAX as i128 => Ok(n as u64),
        _ => Err(invalid(obj.py(), format!("{what} {obj} is too large"))),
    }
}

/// A non-negative int argument (counts, limits, sequence numbers): a negative
/// value is `invalid_argument`, not `OverflowError`.
pub struct NonNeg(pub u64);
impl<'a, 'py> FromPyObject<'a, 'py> for NonNeg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        uint(&obj, "value").map(NonNeg)
    }
}
impl NonNeg {
    /// As u32, saturating (the engine then refuses values above its maximum).
    pub fn u32(&self) -> u32 {
        self.0.min(u32::MAX as u64) as u32
    }
    /// As usize, saturating.
    pub fn usize(&self) -> usize {
        self.0.min(usize::MAX as u64) as usize
    }
}

/// Calls `f` with the bytes of a bytes-like object. `bytes` is borrowed without
/// a copy (it is immutable, so it is safe to read with the GIL released);
/// `bytearray` and `memoryview` are copied first, since other threads could
/// change them while the GIL is released.
pub fn with_bytes<R>(obj: &Bound<'_, PyAny>, what: &str, f: impl FnOnce(&[u8]) -> PyResult<R>) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return f(b.as_bytes());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        let v = b.to_vec();
        return f(&v);
    }
    if obj.is_instance_of::<PyMemoryView>() {
        let b = obj.call_method0("tobytes")?;
        let b = b.cast::<PyBytes>()?;
        return f(b.as_bytes());
    }
    let hint = if obj.is_instance_of::<PyString>() { " (encode a str first, e.g. text.encode())" } else { "" };
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes, bytearray or memoryview, not {}{hint}",
        type_name(obj)
    )))
}
