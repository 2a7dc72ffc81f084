//! Argument and result conversion: JS option objects in, camelCase result objects out.

use crate::error::invalid;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use sandvol_core as core;
use sandvol_core::Result as CoreResult;
use std::collections::BTreeMap;
use std::ptr;

// ---------------------------------------------------------------- inputs

/// An optional options argument: `undefined`/`null` → `None`, an object → `Some`,
/// anything else is refused (napi's `ObjectExpected`, reported as `invalid_argument`).
pub struct Opt<T>(pub Option<T>);

impl<T> Opt<T> {
    pub fn take(self) -> Option<T> {
        self.0
    }
}

impl<T: FromNapiValue> FromNapiValue for Opt<T> {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut t = 0;
        check_status!(unsafe { sys::napi_typeof(env, v, &mut t) })?;
        match t {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(Opt(None)),
            sys::ValueType::napi_object => {
                let mut is_array = false;
                check_status!(unsafe { sys::napi_is_array(env, v, &mut is_array) })?;
                if is_array {
                    return Err(napi::Error::new(Status::ObjectExpected, "options must be a plain object, not an array"));
                }
                Ok(Opt(Some(unsafe { T::from_napi_value(env, v)? })))
            }
            _ => Err(napi::Error::new(Status::ObjectExpected, "options must be an object")),
        }
    }
}

impl<T> TypeName for Opt<T> {
    fn type_name() -> &'static str {
        "Object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// A nested option value that must be a plain object when present (napi alone
/// would read properties off a string or an array).
pub struct Obj<T>(pub T);

impl<T: FromNapiValue> FromNapiValue for Obj<T> {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        match unsafe { Opt::<T>::from_napi_value(env, v)? } {
            Opt(Some(t)) => Ok(Obj(t)),
            Opt(None) => Err(napi::Error::new(Status::ObjectExpected, "expected an object")),
        }
    }
}

impl<T> TypeName for Obj<T> {
    fn type_name() -> &'static str {
        "Object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T> ValidateNapiValue for Obj<T> {}

/// Labels given by JS: an object of strings.
pub type LabelsIn = Option<Obj<Labels>>;

pub fn labels_in(l: LabelsIn) -> Option<Labels> {
    l.map(|o| o.0)
}

/// Bytes to write: a Buffer / Uint8Array, or a string (written as UTF-8),
/// copied on the JS thread whatever their size.
///
/// Why a copy even for large Buffers: holding a reference to the Buffer does
/// not stop JS from detaching its ArrayBuffer (`structuredClone` or
/// `postMessage` with a transfer list) while a worker still reads it, and the
/// memory may then be freed under the worker (found in review: a SIGSEGV with
/// a 32 MiB write). The copy costs ~1 ms per 10 MiB here, small beside the
/// write itself.
pub struct Data(Vec<u8>);

/// Results up to this size are copied into a new Buffer rather than handed
/// over as an external one.
const COPY_MAX: usize = 64 << 10;

impl Data {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

/// `v`'s element type, length and memory if it is a typed array: one napi
/// call, which fails without side effects for anything else.
pub unsafe fn typed_array(env: sys::napi_env, v: sys::napi_value) -> Option<(sys::napi_typedarray_type, usize, *mut std::ffi::c_void)> {
    let (mut kind, mut len, mut data) = (0, 0usize, ptr::null_mut());
    let status =
        unsafe { sys::napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, ptr::null_mut(), ptr::null_mut()) };
    (status == sys::Status::napi_ok).then_some((kind, len, data))
}

impl FromNapiValue for Data {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let wrong = || napi::Error::new(Status::InvalidArg, "data must be a Buffer, a Uint8Array or a string");
        // A typed array (the usual case) is recognized by one call; anything
        // else is then looked at.
        let Some((kind, len, data)) = (unsafe { typed_array(env, v) }) else {
            let mut t = 0;
            check_status!(unsafe { sys::napi_typeof(env, v, &mut t) })?;
            if t == sys::ValueType::napi_string {
                return Ok(Data(unsafe { String::from_napi_value(env, v)? }.into_bytes()));
            }
            return Err(wrong());
        };
        if kind != sys::TypedarrayType::uint8_array {
            return Err(wrong());
        }
        let bytes = if len == 0 || data.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(data as *const u8, len) }.to_vec() };
        Ok(Data(bytes))
    }
}

impl TypeName for Data {
    fn type_name() -> &'static str {
        "Buffer | string"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// A non-negative safe integer from a JS number.
pub fn uint(what: &str, v: f64) -> CoreResult<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 {
        Ok(v as u64)
    } else {
        Err(invalid(format!("{what} {v} is not a non-negative integer")))
    }
}

pub fn opt_uint(what: &str, v: Option<f64>) -> CoreResult<Option<u64>> {
    v.map(|v| uint(what, v)).transpose()
}

/// A size: integer bytes, or a string with a unit ("1G", "128MiB").
pub fn size(what: &str, v: Either<f64, String>) -> CoreResult<core::Size> {
    match v {
        Either::A(n) => Ok(core::Size::Bytes(uint(what, n)?)),
        Either::B(s) => Ok(core::Size::Text(s)),
    }
}

pub fn opt_size(what: &str, v: Option<Either<f64, String>>) -> CoreResult<Option<core::Size>> {
    v.map(|v| size(what, v)).transpose()
}

pub fn access_mode(v: Option<String>) -> CoreResult<Option<core::AccessMode>> {
    v.map(|s| s.parse()).transpose()
}

/// Per-volume or per-mount cache settings; any field may be left out.
#[napi(object, object_to_js = false, js_name = "VolumeConfigOptions")]
#[derive(Default)]
pub struct ConfigOptions {
    pub cache_size: Option<Either<f64, String>>,
    pub buffer_size: Option<Either<f64, String>>,
    pub prefetch: Option<f64>,
    pub writeback: Option<bool>,
}

pub fn config_override(
    cache_size: Option<Either<f64, String>>,
    buffer_size: Option<Either<f64, String>>,
    prefetch: Option<f64>,
    writeback: Option<bool>,
) -> CoreResult<core::ConfigOverride> {
    let prefetch = match opt_uint("prefetch", prefetch)? {
        Some(p) => Some(u32::try_from(p).map_err(|_| invalid(format!("prefetch {p} is too large")))?),
        None => None,
    };
    Ok(core::ConfigOverride {
        cache_size: opt_size("cacheSize", cache_size)?,
        buffer_size: opt_size("bufferSize", buffer_size)?,
        prefetch,
        writeback,
    })
}

impl ConfigOptions {
    pub fn into_core(self) -> CoreResult<core::ConfigOverride> {
        config_override(self.cache_size, self.buffer_size, self.prefetch, self.writeback)
    }
}

pub type Labels = BTreeMap<String, String>;

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct CreateVolumeOptions {
    pub name: Option<String>,
    pub access_mode: Option<String>,
    pub size_limit: Option<Either<f64, String>>,
    pub cache_size: Option<Either<f64, String>>,
    pub buffer_size: Option<Either<f64, String>>,
    pub prefetch: Option<f64>,
    pub writeback: Option<bool>,
    pub labels: Option<Obj<Labels>>,
}

impl CreateVolumeOptions {
    pub fn into_core(self) -> CoreResult<core::CreateVolume> {
        Ok(core::CreateVolume {
            name: self.name,
            access_mode: access_mode(self.access_mode)?,
            size_limit: opt_size("sizeLimit", self.size_limit)?,
            config: config_override(self.cache_size, self.buffer_size, self.prefetch, self.writeback)?,
            labels: labels_in(self.labels).unwrap_or_default(),
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ListVolumesOptions {
    pub labels: Option<Obj<Labels>>,
    pub limit: Option<f64>,
    pub cursor: Option<String>,
}

impl ListVolumesOptions {
    pub fn into_core(self) -> CoreResult<core::ListOptions> {
        Ok(core::ListOptions {
            labels: labels_in(self.labels).unwrap_or_default(),
            limit: opt_uint("limit", self.limit)?.map(|l| l as usize),
            cursor: self.cursor,
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct DeleteVolumeOptions {
    pub force: Option<bool>,
}

#[napi(object, object_to_js = false)]
pub struct MountRequest {
    /// Volume id or name.
    #[napi(js_name = "ref")]
    pub volume: String,
    pub mount_point: String,
    pub subpath: Option<String>,
    pub read_only: Option<bool>,
    pub config: Option<Obj<ConfigOptions>>,
}

impl MountRequest {
    pub fn into_core(self) -> CoreResult<core::MountRequest> {
        Ok(core::MountRequest {
            volume: self.volume,
            mount_point: self.mount_point,
            subpath: self.subpath,
            read_only: self.read_only,
            config: self.config.map(|c| c.0.into_core()).transpose()?.unwrap_or_default(),
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct MountOptions {
    pub subpath: Option<String>,
    pub read_only: Option<bool>,
    pub config: Option<Obj<ConfigOptions>>,
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ClaimOptions {
    pub mounts: Option<Vec<MountRequest>>,
    pub wait_for_mounts: Option<bool>,
    pub mount_wait_timeout_ms: Option<f64>,
    pub group: Option<String>,
    pub labels: Option<Obj<Labels>>,
    pub root: Option<String>,
}

impl ClaimOptions {
    pub fn into_core(self) -> CoreResult<core::ClaimOptions> {
        Ok(core::ClaimOptions {
            group: self.group,
            labels: labels_in(self.labels).unwrap_or_default(),
            root: self.root,
            mounts: self.mounts.unwrap_or_default().into_iter().map(MountRequest::into_core).collect::<CoreResult<_>>()?,
            wait_for_mounts: self.wait_for_mounts.unwrap_or(false),
            mount_wait_timeout_ms: opt_uint("mountWaitTimeoutMs", self.mount_wait_timeout_ms)?,
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ReadOptions {
    pub offset: Option<f64>,
    pub length: Option<f64>,
}

impl ReadOptions {
    /// `(offset, length)` when a range was asked for.
    pub fn range(&self) -> CoreResult<Option<(u64, u64)>> {
        let off = opt_uint("offset", self.offset)?;
        let len = opt_uint("length", self.length)?;
        Ok(match (off, len) {
            (None, None) => None,
            (o, l) => Some((o.unwrap_or(0), l.unwrap_or(u64::MAX))),
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct WriteOptions {
    pub append: Option<bool>,
    pub offset: Option<f64>,
    pub exclusive: Option<bool>,
    pub if_version: Option<f64>,
    pub parents: Option<bool>,
}

impl WriteOptions {
    pub fn into_core(self) -> CoreResult<core::WriteOptions> {
        let offset = opt_uint("offset", self.offset)?;
        let append = self.append.unwrap_or(false);
        let exclusive = self.exclusive.unwrap_or(false);
        let chosen = [append, exclusive, offset.is_some()].iter().filter(|b| **b).count();
        if chosen > 1 {
            return Err(invalid(format!(
                "write options append={append}, exclusive={exclusive}, offset={offset:?} exclude each other"
            )));
        }
        let mode = if append {
            core::WriteMode::Append
        } else if exclusive {
            core::WriteMode::Exclusive
        } else if let Some(o) = offset {
            core::WriteMode::At(o)
        } else {
            core::WriteMode::Truncate
        };
        Ok(core::WriteOptions {
            mode,
            if_version: opt_uint("ifVersion", self.if_version)?,
            parents: self.parents.unwrap_or(true),
        })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ListDirOptions {
    pub limit: Option<f64>,
    pub cursor: Option<String>,
}

impl ListDirOptions {
    pub fn into_core(self) -> CoreResult<core::ListDirOptions> {
        Ok(core::ListDirOptions { limit: opt_uint("limit", self.limit)?.map(|l| l as usize), cursor: self.cursor })
    }
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct MkdirOptions {
    pub parents: Option<bool>,
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RemoveOptions {
    pub recursive: Option<bool>,
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SetTimesOptions {
    pub atime: Option<f64>,
    pub mtime: Option<f64>,
}

pub fn opt_time(what: &str, v: Option<f64>) -> CoreResult<Option<i64>> {
    v.map(|t| {
        if t.is_finite() && t.fract() == 0.0 && t.abs() <= 9_007_199_254_740_991.0 {
            Ok(t as i64)
        } else {
            Err(invalid(format!("{what} {t} is not an integer number of ms")))
        }
    })
    .transpose()
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SnapshotOptions {
    pub name: Option<String>,
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ChangesOptions {
    pub since: Option<f64>,
    pub limit: Option<f64>,
}

#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct GcOptions {
    /// Keep unreferenced blocks younger than this (default 600000 ms).
    pub grace_ms: Option<f64>,
}

// ---------------------------------------------------------------- outputs

/// Bytes handed to JS as a Buffer: a slab slice when small (results.rs), a copy up to
/// `COPY_MAX` (cheaper than an external buffer), the Vec itself beyond.
pub struct Bytes(pub Vec<u8>);

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        if let Some(b) = unsafe { crate::results::pooled_buffer(env, &val.0)? } {
            return Ok(b);
        }
        if val.0.len() <= COPY_MAX {
            let mut out = ptr::null_mut();
            let mut data = ptr::null_mut();
            check_status!(unsafe {
                sys::napi_create_buffer_copy(env, val.0.len(), val.0.as_ptr().cast(), &mut data, &mut out)
            })?;
            Ok(out)
        } else {
            let len = val.0.len();
            unsafe { Buffer::to_napi_value(env, Buffer::from(val.0)) }.map_err(|e| {
                // Node refuses a Buffer over `buffer.constants.MAX_LENGTH`
                // (4 GiB in Node 20) with ERR_BUFFER_TOO_LARGE: the caller
                // asked for more than one Buffer holds.
                let Some(exc) = (unsafe { crate::fast::take_exception(env) }) else { return e };
                match unsafe { crate::fast::code_of(env, exc) } {
                    Some((buf, n)) if &buf[..n] == b"ERR_BUFFER_TOO_LARGE" => napi::Error::new(
                        Status::InvalidArg,
                        format!("a result of {len} bytes is larger than a Buffer can be: read it in parts (offset and length, or a file handle)"),
                    ),
                    _ => {
                        unsafe { sys::napi_throw(env, exc) };
                        e
                    }
                }
            })
        }
    }
}

impl TypeName for Bytes {
    fn type_name() -> &'static str {
        "Buffer"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

fn n(v: u64) -> i64 {
    v as i64
}

#[napi(object, js_name = "VolumeConfig")]
pub struct VolumeConfig {
    pub cache_size: i64,
    pub buffer_size: i64,
    pub prefetch: u32,
    pub writeback: bool,
}

impl From<core::VolumeConfig> for VolumeConfig {
    fn from(c: core::VolumeConfig) -> Self {
        VolumeConfig { cache_size: n(c.cache_size), buffer_size: n(c.buffer_size), prefetch: c.prefetch, writeback: c.writeback }
    }
}

#[napi(object)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub access_mode: String,
    pub size_limit: Option<i64>,
    pub config: VolumeConfig,
    pub labels: Labels,
    pub used_bytes: i64,
    pub file_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<core::Volume> for Volume {
    fn from(v: core::Volume) -> Self {
        Volume {
            id: v.id,
            name: v.name,
            access_mode: v.access_mode.as_str().to_string(),
            size_limit: v.size_limit.map(n),
            config: v.config.into(),
            labels: v.labels,
            used_bytes: n(v.used_bytes),
            file_count: n(v.file_count),
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[napi(object)]
pub struct VolumePage {
    pub items: Vec<Volume>,
    pub next_cursor: Option<String>,
}

#[napi(object)]
pub struct MountSession {
    pub mount_session_id: String,
    pub volume_id: String,
    pub sandbox_id: String,
    pub mount_point: String,
    pub subpath: String,
    pub read_only: bool,
    pub config: VolumeConfig,
    pub state: String,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<core::MountSession> for MountSession {
    fn from(m: core::MountSession) -> Self {
        MountSession {
            mount_session_id: m.id,
            volume_id: m.volume_id,
            sandbox_id: m.sandbox_id,
            mount_point: m.mount_point,
            subpath: m.subpath,
            read_only: m.read_only,
            config: m.config.into(),
            state: m.state.as_str().to_string(),
            last_error_code: m.last_error_code,
            last_error_message: m.last_error_message,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub fn sessions(v: Vec<core::MountSession>) -> Vec<MountSession> {
    v.into_iter().map(Into::into).collect()
}

#[napi(object)]
#[derive(Clone)]
pub struct SandboxInfo {
    pub id: String,
    pub template: String,
    pub group: Option<String>,
    pub state: String,
    pub labels: Labels,
    pub root: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<core::SandboxInfo> for SandboxInfo {
    fn from(s: core::SandboxInfo) -> Self {
        SandboxInfo {
            id: s.id,
            template: s.template,
            group: s.group,
            state: s.state.as_str().to_string(),
            labels: s.labels,
            root: s.root,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A file's info handed to JS: built by the function `index.js` registers
/// (see `results.rs`), or as a napi object when there is none.
pub struct FileInfo(pub core::FileInfo);

impl From<core::FileInfo> for FileInfo {
    fn from(f: core::FileInfo) -> Self {
        FileInfo(f)
    }
}

impl ToNapiValue for FileInfo {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        match unsafe { crate::results::file_info(env, &val.0)? } {
            Some(v) => Ok(v),
            None => unsafe { FileInfoObject::to_napi_value(env, val.0.into()) },
        }
    }
}

impl TypeName for FileInfo {
    fn type_name() -> &'static str {
        "FileInfo"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// `FileInfo` the napi-rs way (no builder registered).
#[napi(object, object_from_js = false, js_name = "FileInfo")]
pub struct FileInfoObject {
    pub path: String,
    pub kind: String,
    pub size: i64,
    pub mode: u32,
    pub version: i64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    pub target: Option<String>,
}

impl From<core::FileInfo> for FileInfoObject {
    fn from(f: core::FileInfo) -> Self {
        FileInfoObject {
            path: f.path,
            kind: f.kind.as_str().to_string(),
            size: n(f.size),
            mode: f.mode,
            version: n(f.version),
            atime: f.atime,
            mtime: f.mtime,
            ctime: f.ctime,
            target: f.target,
        }
    }
}

#[napi(object)]
pub struct DirEntry {
    pub name: String,
    pub kind: String,
    pub size: i64,
    pub version: i64,
    pub mtime: i64,
}

#[napi(object)]
pub struct DirPage {
    pub items: Vec<DirEntry>,
    pub next_cursor: Option<String>,
}

impl From<core::Page<core::DirEntry>> for DirPage {
    fn from(p: core::Page<core::DirEntry>) -> Self {
        DirPage {
            items: p
                .items
                .into_iter()
                .map(|e| DirEntry { name: e.name, kind: e.kind.as_str().to_string(), size: n(e.size), version: n(e.version), mtime: e.mtime })
                .collect(),
            next_cursor: p.next_cursor,
        }
    }
}

#[napi(object)]
pub struct Snapshot {
    pub id: String,
    pub volume_id: String,
    pub name: Option<String>,
    pub used_bytes: i64,
    pub file_count: i64,
    pub created_at: i64,
}

impl From<core::Snapshot> for Snapshot {
    fn from(s: core::Snapshot) -> Self {
        Snapshot { id: s.id, volume_id: s.volume_id, name: s.name, used_bytes: n(s.used_bytes), file_count: n(s.file_count), created_at: s.created_at }
    }
}

#[napi(object)]
pub struct ChangeEntry {
    pub seq: i64,
    pub path: String,
    pub kind: String,
    pub new_path: Option<String>,
    pub at: i64,
}

impl From<core::ChangeEntry> for ChangeEntry {
    fn from(c: core::ChangeEntry) -> Self {
        ChangeEntry { seq: n(c.seq), path: c.path, kind: c.kind.as_str().to_string(), new_path: c.new_path, at: c.at }
    }
}

#[napi(object)]
pub struct Stats {
    pub volumes: i64,
    pub sandboxes: i64,
    pub active_mounts: i64,
    pub blocks: i64,
    pub block_bytes: i64,
    pub used_bytes: i64,
}

impl From<core::Stats> for Stats {
    fn from(s: core::Stats) -> Self {
        Stats {
            volumes: n(s.volumes),
            sandboxes: n(s.sandboxes),
            active_mounts: n(s.active_mounts),
            blocks: n(s.blocks),
            block_bytes: n(s.block_bytes),
            used_bytes: n(s.used_bytes),
        }
    }
}

#[napi(object)]
pub struct GcReport {
    pub blocks_deleted: i64,
    pub bytes_freed: i64,
}

#[napi(object)]
pub struct FsckReport {
    pub clean: bool,
    pub dangling: Vec<String>,
    pub leaked_blocks: Vec<String>,
    pub refcount_drift: Vec<String>,
    pub counter_drift: Vec<String>,
    pub orphans: Vec<String>,
}

impl From<core::FsckReport> for FsckReport {
    fn from(r: core::FsckReport) -> Self {
        FsckReport {
            clean: r.is_clean(),
            dangling: r.dangling,
            leaked_blocks: r.leaked_blocks,
            refcount_drift: r.refcount_drift,
            counter_drift: r.counter_drift,
            orphans: r.orphans,
        }
    }
}
