//! Option structs: `#[repr(C)]`, first field `size` (set by the `_init`
//! function to `sizeof` the struct), so fields can be appended in later
//! versions without breaking callers built against an older header.
//! Conversions to core types only translate; every check lives in core.

use crate::boundary::{Versioned, opt_str_arg, opt_u64, read_opts, read_opts_array, str_arg, tri};
use crate::error::sandvol_status;
use sandvol_core::{
    AccessMode, ClaimOptions, ConfigOverride, CreateVolume, Error, Labels, MountRequest, Result, Size, UpdateVolume,
    WriteMode, WriteOptions,
};
use std::ffi::{c_char, c_int};
use std::mem::size_of;

/// Value of an optional integer field that is not set.
pub const SANDVOL_UNSET: i64 = -1;

/// Target kind: paths are sandbox paths, routed through the sandbox's mounts; `target` is a sandbox id.
pub const SANDVOL_TARGET_SANDBOX: c_int = 1;
/// Target kind: paths are volume paths of one volume, no sandbox; `target` is a volume id or name.
pub const SANDVOL_TARGET_VOLUME: c_int = 2;

/// Write mode: create or replace the whole content (default).
pub const SANDVOL_WRITE_TRUNCATE: c_int = 0;
/// Write mode: create, or add to the end.
pub const SANDVOL_WRITE_APPEND: c_int = 1;
/// Write mode: create, or write at `offset` (the file grows with zeros if needed).
pub const SANDVOL_WRITE_AT: c_int = 2;
/// Write mode: create; SANDVOL_ERR_ALREADY_EXISTS if the path exists.
pub const SANDVOL_WRITE_EXCLUSIVE: c_int = 3;

macro_rules! versioned {
    ($t:ident, $defaults:expr) => {
        impl Versioned for $t {
            const V1_SIZE: usize = size_of::<$t>();
            fn defaults() -> Self {
                $defaults
            }
            fn size(&self) -> usize {
                self.size
            }
        }
    };
}

/// Cache settings of a volume, or a per-mount override; unset fields keep the base value.
/// Sizes are given either as a string with a unit ("1G", "128M", "512MiB", "1.5G")
/// or as bytes in the `_bytes` field, not both.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_config {
    /// sizeof(sandvol_config); set by sandvol_config_init.
    pub size: usize,
    /// Local block cache for the volume (soft limit); NULL = unset.
    pub cache_size: *const c_char,
    /// Same in bytes; SANDVOL_UNSET = unset.
    pub cache_size_bytes: i64,
    /// Memory for dirty data and read-ahead; NULL = unset.
    pub buffer_size: *const c_char,
    /// Same in bytes; SANDVOL_UNSET = unset.
    pub buffer_size_bytes: i64,
    /// Whole blocks fetched in the background after a cache miss (0 = off); SANDVOL_UNSET = unset.
    pub prefetch: i64,
    /// Acknowledge writes once staged locally: 1 on, 0 off, -1 unset.
    pub writeback: c_int,
}

versioned!(sandvol_config, sandvol_config {
    size: size_of::<sandvol_config>(),
    cache_size: std::ptr::null(),
    cache_size_bytes: SANDVOL_UNSET,
    buffer_size: std::ptr::null(),
    buffer_size_bytes: SANDVOL_UNSET,
    prefetch: SANDVOL_UNSET,
    writeback: -1,
});

/// Options of `sandvol_engine_open_with`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_engine_options {
    /// sizeof(sandvol_engine_options); set by sandvol_engine_options_init.
    pub size: usize,
    /// Largest chunk stored as one block, fixed per data directory; 0 = default (4 MiB).
    pub block_size: u64,
    /// Files up to this size live inline in the catalog; SANDVOL_UNSET = default (4 KiB).
    pub inline_threshold: i64,
    /// "process" (default) or "power"; NULL = default.
    pub durability: *const c_char,
    /// Replaces the reserved mount-point prefixes when not NULL (`reserved_prefixes_len` entries, may be 0).
    pub reserved_prefixes: *const *const c_char,
    /// Number of entries in `reserved_prefixes`.
    pub reserved_prefixes_len: usize,
    /// Milliseconds a write waits for another process's catalog transaction
    /// before SANDVOL_ERR_TIMEOUT; SANDVOL_UNSET = default (30000).
    pub busy_timeout_ms: i64,
}

versioned!(sandvol_engine_options, sandvol_engine_options {
    size: size_of::<sandvol_engine_options>(),
    block_size: 0,
    inline_threshold: SANDVOL_UNSET,
    durability: std::ptr::null(),
    reserved_prefixes: std::ptr::null(),
    reserved_prefixes_len: 0,
    busy_timeout_ms: SANDVOL_UNSET,
});

/// Options of `sandvol_volume_create` and `sandvol_snapshot_fork`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_volume_options {
    /// sizeof(sandvol_volume_options); set by sandvol_volume_options_init.
    pub size: usize,
    /// Unique name (may not look like an id); NULL = unnamed.
    pub name: *const c_char,
    /// "RWO" (default), "ROX" or "RWX" (or the Kubernetes long names); NULL = default.
    pub access_mode: *const c_char,
    /// Size limit with a unit ("10G"); NULL = unset.
    pub size_limit: *const c_char,
    /// Size limit in bytes; SANDVOL_UNSET = unset.
    pub size_limit_bytes: i64,
    /// Labels as a JSON object of strings, e.g. {"team":"ml"}; NULL = none.
    pub labels_json: *const c_char,
    /// Cache settings on top of the defaults; NULL = defaults.
    pub config: *const sandvol_config,
}

versioned!(sandvol_volume_options, sandvol_volume_options {
    size: size_of::<sandvol_volume_options>(),
    name: std::ptr::null(),
    access_mode: std::ptr::null(),
    size_limit: std::ptr::null(),
    size_limit_bytes: SANDVOL_UNSET,
    labels_json: std::ptr::null(),
    config: std::ptr::null(),
});

/// Options of `sandvol_volume_update_options`; unset fields stay as they are.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_volume_update_options {
    /// sizeof(sandvol_volume_update_options); set by sandvol_volume_update_options_init.
    pub size: usize,
    /// Replaces all labels (JSON object of strings; "{}" clears them); NULL = keep.
    pub labels_json: *const c_char,
    /// New size limit with a unit; NULL = unset.
    pub size_limit: *const c_char,
    /// New size limit in bytes; SANDVOL_UNSET = unset.
    pub size_limit_bytes: i64,
    /// 1 = remove the size limit (then no new limit may be given).
    pub clear_size_limit: c_int,
    /// Cache settings to change (for mounts made afterwards); NULL = keep.
    pub config: *const sandvol_config,
}

versioned!(sandvol_volume_update_options, sandvol_volume_update_options {
    size: size_of::<sandvol_volume_update_options>(),
    labels_json: std::ptr::null(),
    size_limit: std::ptr::null(),
    size_limit_bytes: SANDVOL_UNSET,
    clear_size_limit: 0,
    config: std::ptr::null(),
});

/// A mount request (`sandvol_mount`) or a bootstrap mount (`sandvol_claim_options.mounts`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_mount_request {
    /// sizeof(sandvol_mount_request); set by sandvol_mount_request_init.
    pub size: usize,
    /// Volume id or name; required.
    pub volume: *const c_char,
    /// Absolute mount point in the sandbox; required.
    pub mount_point: *const c_char,
    /// Directory of the volume to mount instead of its root; NULL = root.
    pub subpath: *const c_char,
    /// 1 read-only, 0 read-write, -1 = read-only only if the access mode demands it (ROX).
    pub read_only: c_int,
    /// Per-mount cache settings; NULL = the volume's.
    pub config: *const sandvol_config,
}

versioned!(sandvol_mount_request, sandvol_mount_request {
    size: size_of::<sandvol_mount_request>(),
    volume: std::ptr::null(),
    mount_point: std::ptr::null(),
    subpath: std::ptr::null(),
    read_only: -1,
    config: std::ptr::null(),
});

/// Options of `sandvol_sandbox_claim`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_claim_options {
    /// sizeof(sandvol_claim_options); set by sandvol_claim_options_init.
    pub size: usize,
    /// Group for RWO sharing; NULL = none.
    pub group: *const c_char,
    /// Labels as a JSON object of strings; NULL = none.
    pub labels_json: *const c_char,
    /// Host directory where real mounts are materialized; NULL = none.
    pub root: *const c_char,
    /// Bootstrap mounts (`mounts_len` structs, each set up with sandvol_mount_request_init); may be NULL when mounts_len is 0.
    pub mounts: *const sandvol_mount_request,
    /// Number of bootstrap mounts.
    pub mounts_len: usize,
    /// 1 = wait until every bootstrap mount is mounted or failed (the claim succeeds either way).
    pub wait_for_mounts: c_int,
    /// How long to wait in ms; SANDVOL_UNSET = default (30000).
    pub mount_wait_timeout_ms: i64,
}

versioned!(sandvol_claim_options, sandvol_claim_options {
    size: size_of::<sandvol_claim_options>(),
    group: std::ptr::null(),
    labels_json: std::ptr::null(),
    root: std::ptr::null(),
    mounts: std::ptr::null(),
    mounts_len: 0,
    wait_for_mounts: 0,
    mount_wait_timeout_ms: SANDVOL_UNSET,
});

/// Options of `sandvol_write_file`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandvol_write_options {
    /// sizeof(sandvol_write_options); set by sandvol_write_options_init.
    pub size: usize,
    /// SANDVOL_WRITE_TRUNCATE (default), _APPEND, _AT or _EXCLUSIVE.
    pub mode: c_int,
    /// Byte offset for SANDVOL_WRITE_AT.
    pub offset: u64,
    /// Compare-and-swap: write only if the file's version is this (0 = must not exist); SANDVOL_UNSET = always.
    pub if_version: i64,
    /// 1 (default) = create missing parent directories, 0 = SANDVOL_ERR_NOT_FOUND if a parent is missing.
    pub parents: c_int,
}

versioned!(sandvol_write_options, sandvol_write_options {
    size: size_of::<sandvol_write_options>(),
    mode: SANDVOL_WRITE_TRUNCATE,
    offset: 0,
    if_version: SANDVOL_UNSET,
    parents: 1,
});

// cbindgen reads exports from source text, so each init function is spelled out.

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_config).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_config_init(opts: *mut sandvol_config) -> sandvol_status {
    ffi_boundary!(sandvol_config_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_engine_options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_engine_options_init(opts: *mut sandvol_engine_options) -> sandvol_status {
    ffi_boundary!(sandvol_engine_options_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_volume_options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_options_init(opts: *mut sandvol_volume_options) -> sandvol_status {
    ffi_boundary!(sandvol_volume_options_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_volume_update_options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_volume_update_options_init(opts: *mut sandvol_volume_update_options) -> sandvol_status {
    ffi_boundary!(sandvol_volume_update_options_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_mount_request).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_mount_request_init(opts: *mut sandvol_mount_request) -> sandvol_status {
    ffi_boundary!(sandvol_mount_request_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_claim_options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_claim_options_init(opts: *mut sandvol_claim_options) -> sandvol_status {
    ffi_boundary!(sandvol_claim_options_init, [opts], { init(opts) })
}

/// Sets every field of `opts` to its default and `size` to sizeof(sandvol_write_options).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sandvol_write_options_init(opts: *mut sandvol_write_options) -> sandvol_status {
    ffi_boundary!(sandvol_write_options_init, [opts], { init(opts) })
}

fn init<T: Versioned>(opts: *mut T) -> Result<()> {
    // SAFETY: non-NULL (checked by the boundary), writable per the caller's contract.
    unsafe { opts.write(T::defaults()) };
    Ok(())
}

// ---- conversions -------------------------------------------------------------

/// A size given as a string with a unit or as bytes (not both).
unsafe fn size_field(text: *const c_char, bytes: i64, name: &str) -> Result<Option<Size>> {
    let t = unsafe { opt_str_arg(text, name) }?;
    let b = opt_u64(bytes, &format!("{name}_bytes"))?;
    match (t, b) {
        (Some(_), Some(_)) => Err(Error::invalid_argument(format!("both `{name}` and `{name}_bytes` are set; set one"))),
        (Some(t), None) => Ok(Some(Size::Text(t.to_string()))),
        (None, Some(b)) => Ok(Some(Size::Bytes(b))),
        (None, None) => Ok(None),
    }
}

/// Labels from a JSON object of strings.
pub unsafe fn labels(p: *const c_char, name: &str) -> Result<Option<Labels>> {
    match unsafe { opt_str_arg(p, name) }? {
        None => Ok(None),
        Some(s) => serde_json::from_str::<Labels>(s).map(Some).map_err(|e| {
            Error::invalid_argument(format!("`{name}` {s:?} is not a JSON object of string values: {e}"))
        }),
    }
}

/// A config override from an optional `sandvol_config`.
pub unsafe fn config(p: *const sandvol_config, name: &str) -> Result<ConfigOverride> {
    let Some(c) = (unsafe { read_opts(p, name) })? else {
        return Ok(ConfigOverride::default());
    };
    let prefetch = match opt_u64(c.prefetch, "prefetch")? {
        None => None,
        Some(p) => Some(u32::try_from(p).map_err(|_| Error::invalid_argument(format!("prefetch {p} is absurd")))?),
    };
    Ok(ConfigOverride {
        cache_size: unsafe { size_field(c.cache_size, c.cache_size_bytes, "cache_size") }?,
        buffer_size: unsafe { size_field(c.buffer_size, c.buffer_size_bytes, "buffer_size") }?,
        prefetch,
        writeback: tri(c.writeback, "writeback")?,
    })
}

/// Engine options.
pub unsafe fn engine_options(p: *const sandvol_engine_options) -> Result<sandvol_core::EngineOptions> {
    let mut out = sandvol_core::EngineOptions::default();
    let Some(o) = (unsafe { read_opts(p, "opts") })? else {
        return Ok(out);
    };
    if o.block_size != 0 {
        out.block_size = o.block_size;
    }
    if let Some(t) = opt_u64(o.inline_threshold, "inline_threshold")? {
        out.inline_threshold = t;
    }
    if let Some(d) = unsafe { opt_str_arg(o.durability, "durability") }? {
        out.durability = d.parse()?;
    }
    if let Some(ms) = opt_u64(o.busy_timeout_ms, "busy_timeout_ms")? {
        out.busy_timeout = std::time::Duration::from_millis(ms);
    }
    if !o.reserved_prefixes.is_null() {
        crate::boundary::check_len(o.reserved_prefixes_len, size_of::<*const c_char>(), "reserved_prefixes_len")?;
        let mut v = Vec::with_capacity(o.reserved_prefixes_len.min(1024));
        for i in 0..o.reserved_prefixes_len {
            // SAFETY: `reserved_prefixes_len` entries per the caller's contract.
            let p = unsafe { *o.reserved_prefixes.add(i) };
            v.push(unsafe { str_arg(p, &format!("reserved_prefixes[{i}]")) }?.to_string());
        }
        out.reserved_prefixes = v;
    } else if o.reserved_prefixes_len != 0 {
        return Err(Error::invalid_argument(format!(
            "`reserved_prefixes` is NULL but `reserved_prefixes_len` is {}",
            o.reserved_prefixes_len
        )));
    }
    Ok(out)
}

/// A create-volume request from optional `sandvol_volume_options`.
pub unsafe fn create_volume(p: *const sandvol_volume_options) -> Result<CreateVolume> {
    let Some(o) = (unsafe { read_opts(p, "opts") })? else {
        return Ok(CreateVolume::default());
    };
    Ok(CreateVolume {
        name: unsafe { opt_str_arg(o.name, "name") }?.map(str::to_string),
        access_mode: unsafe { opt_str_arg(o.access_mode, "access_mode") }?.map(str::parse::<AccessMode>).transpose()?,
        size_limit: unsafe { size_field(o.size_limit, o.size_limit_bytes, "size_limit") }?,
        config: unsafe { config(o.config, "config") }?,
        labels: unsafe { labels(o.labels_json, "labels_json") }?.unwrap_or_default(),
    })
}

/// An update-volume request.
pub unsafe fn update_volume(p: *const sandvol_volume_update_options) -> Result<UpdateVolume> {
    let Some(o) = (unsafe { read_opts(p, "update") })? else {
        return Ok(UpdateVolume::default());
    };
    let limit = unsafe { size_field(o.size_limit, o.size_limit_bytes, "size_limit") }?;
    let size_limit = match (o.clear_size_limit, limit) {
        (0, None) => None,
        (0, Some(l)) => Some(Some(l)),
        (1, None) => Some(None),
        (1, Some(_)) => {
            return Err(Error::invalid_argument("`clear_size_limit` is 1 and a new size limit is set; choose one"));
        }
        (v, _) => return Err(Error::invalid_argument(format!("field `clear_size_limit` is {v}; use 0 or 1"))),
    };
    Ok(UpdateVolume {
        labels: unsafe { labels(o.labels_json, "labels_json") }?,
        size_limit,
        config: unsafe { config(o.config, "config") }?,
    })
}

fn mount_request_of(m: &sandvol_mount_request, name: &str) -> Result<MountRequest> {
    Ok(MountRequest {
        volume: unsafe { str_arg(m.volume, &format!("{name}.volume")) }?.to_string(),
        mount_point: unsafe { str_arg(m.mount_point, &format!("{name}.mount_point")) }?.to_string(),
        subpath: unsafe { opt_str_arg(m.subpath, &format!("{name}.subpath")) }?.map(str::to_string),
        read_only: tri(m.read_only, &format!("{name}.read_only"))?,
        config: unsafe { config(m.config, &format!("{name}.config")) }?,
    })
}

/// A mount request (required).
pub unsafe fn mount_request(p: *const sandvol_mount_request) -> Result<MountRequest> {
    let m = unsafe { read_opts(p, "request") }?.ok_or_else(|| crate::boundary::null_arg("request"))?;
    mount_request_of(&m, "request")
}

/// Claim options.
pub unsafe fn claim_options(p: *const sandvol_claim_options) -> Result<ClaimOptions> {
    let Some(o) = (unsafe { read_opts(p, "opts") })? else {
        return Ok(ClaimOptions::default());
    };
    let mounts = unsafe { read_opts_array(o.mounts, o.mounts_len, "mounts") }?
        .iter()
        .enumerate()
        .map(|(i, m)| mount_request_of(m, &format!("mounts[{i}]")))
        .collect::<Result<Vec<_>>>()?;
    Ok(ClaimOptions {
        group: unsafe { opt_str_arg(o.group, "group") }?.map(str::to_string),
        labels: unsafe { labels(o.labels_json, "labels_json") }?.unwrap_or_default(),
        root: unsafe { opt_str_arg(o.root, "root") }?.map(str::to_string),
        mounts,
        wait_for_mounts: crate::boundary::flag(o.wait_for_mounts),
        mount_wait_timeout_ms: opt_u64(o.mount_wait_timeout_ms, "mount_wait_timeout_ms")?,
    })
}

/// Write options.
pub unsafe fn write_options(p: *const sandvol_write_options) -> Result<WriteOptions> {
    let Some(o) = (unsafe { read_opts(p, "opts") })? else {
        return Ok(WriteOptions::default());
    };
    let mode = match o.mode {
        SANDVOL_WRITE_TRUNCATE => WriteMode::Truncate,
        SANDVOL_WRITE_APPEND => WriteMode::Append,
        SANDVOL_WRITE_AT => WriteMode::At(o.offset),
        SANDVOL_WRITE_EXCLUSIVE => WriteMode::Exclusive,
        m => return Err(Error::invalid_argument(format!("write mode {m} is not one of SANDVOL_WRITE_*"))),
    };
    Ok(WriteOptions {
        mode,
        if_version: opt_u64(o.if_version, "if_version")?,
        parents: crate::boundary::flag(o.parents),
    })
}
