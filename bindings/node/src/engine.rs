//! `Engine`: one open data directory; sandboxes, snapshots and maintenance.

use crate::convert::*;
use crate::sandbox::Sandbox;
use crate::task::{Job, job};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use sandvol_core as core;
use std::time::Duration;

/// Options fixed when a data directory is opened.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct EngineOptions {
    /// "process" (default) or "power".
    pub durability: Option<String>,
    /// Bytes per block (default 4 MiB; fixed per data directory).
    pub block_size: Option<Either<f64, String>>,
    /// Files up to this size live inline in the catalog (default 4 KiB).
    pub inline_threshold: Option<Either<f64, String>>,
    /// Mount points at or under these prefixes are refused.
    pub reserved_prefixes: Option<Vec<String>>,
    /// How long a write waits for another process's transaction before `timeout` (default 30000).
    pub busy_timeout_ms: Option<f64>,
}

impl EngineOptions {
    fn into_core(self) -> core::Result<core::EngineOptions> {
        let mut o = core::EngineOptions::default();
        if let Some(d) = self.durability {
            o.durability = d.parse()?;
        }
        if let Some(b) = opt_size("blockSize", self.block_size)? {
            o.block_size = b.bytes()?;
        }
        if let Some(b) = opt_size("inlineThreshold", self.inline_threshold)? {
            o.inline_threshold = b.bytes()?;
        }
        if let Some(p) = self.reserved_prefixes {
            o.reserved_prefixes = p;
        }
        if let Some(ms) = opt_uint("busyTimeoutMs", self.busy_timeout_ms)? {
            o.busy_timeout = Duration::from_millis(ms);
        }
        Ok(o)
    }
}

/// An open data directory. Open with `await Engine.open(path?)`.
#[napi]
pub struct Engine {
    pub(crate) inner: core::Engine,
}

#[napi]
impl Engine {
    /// Opens (creating if needed) a data directory; without a path, `$SANDVOL_HOME`,
    /// else `./sandvol-data`.
    /// (Exposed to JS as `Engine.open` by index.js: napi makes static members read-only.)
    #[napi(js_name = "_open")]
    pub fn open(path: Option<String>, opts: Opt<EngineOptions>) -> Job<Engine> {
        let opts = opts.take();
        job(move || {
            let inner = match (path, opts) {
                (None, None) => core::Engine::open_default()?,
                (path, opts) => {
                    let dir = path.map(std::path::PathBuf::from).unwrap_or_else(core::engine::default_dir);
                    core::Engine::open_with(dir, opts.unwrap_or_default().into_core()?)?
                }
            };
            Ok(Engine { inner })
        })
    }

    /// The data directory this engine opened.
    #[napi(getter)]
    pub fn data_dir(&self) -> String {
        self.inner.data_dir().to_string_lossy().into_owned()
    }

    /// True once `close` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Waits for background work and closes; later calls fail with `invalid_state`.
    #[napi]
    pub fn close(&self) -> Job<()> {
        let e = self.inner.clone();
        job(move || e.close())
    }

    /// Claims a running sandbox, optionally with bootstrap mounts.
    #[napi]
    pub fn claim_sandbox(&self, template: String, opts: Opt<ClaimOptions>) -> Job<Sandbox> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || Ok(Sandbox::new(e.claim_sandbox(&template, opts.into_core()?)?)))
    }

    /// A handle to an existing sandbox (any process may have claimed it).
    #[napi]
    pub fn get_sandbox(&self, id: String) -> Job<Sandbox> {
        let e = self.inner.clone();
        job(move || Ok(Sandbox::new(e.get_sandbox(&id)?)))
    }

    /// Every sandbox, oldest first (released ones included).
    #[napi]
    pub fn list_sandboxes(&self) -> Job<Vec<SandboxInfo>> {
        let e = self.inner.clone();
        job(move || Ok(e.list_sandboxes()?.into_iter().map(Into::into).collect()))
    }

    /// One mount session by id.
    #[napi]
    pub fn get_mount(&self, mount_session_id: String) -> Job<MountSession> {
        let e = self.inner.clone();
        job(move || Ok(e.get_mount(&mount_session_id)?.into()))
    }

    /// Snapshots a volume (O(metadata)); `opts` may be the name itself.
    #[napi]
    pub fn create_snapshot(&self, volume: String, opts: Option<Either<String, Obj<SnapshotOptions>>>) -> Job<Snapshot> {
        let e = self.inner.clone();
        let name = match opts {
            Some(Either::A(n)) => Some(n),
            Some(Either::B(o)) => o.0.name,
            None => None,
        };
        job(move || Ok(e.create_snapshot(&volume, name.as_deref())?.into()))
    }

    #[napi]
    pub fn get_snapshot(&self, id: String) -> Job<Snapshot> {
        let e = self.inner.clone();
        job(move || Ok(e.get_snapshot(&id)?.into()))
    }

    /// Snapshots of a volume, oldest first.
    #[napi]
    pub fn list_snapshots(&self, volume: String) -> Job<Vec<Snapshot>> {
        let e = self.inner.clone();
        job(move || Ok(e.list_snapshots(&volume)?.into_iter().map(Into::into).collect()))
    }

    /// Rewinds the snapshot's volume in place (`conflict` while a read-write mount is active).
    #[napi]
    pub fn restore_snapshot(&self, id: String) -> Job<Volume> {
        let e = self.inner.clone();
        job(move || Ok(e.restore_snapshot(&id)?.into()))
    }

    /// Creates a new volume from a snapshot (settings of the source unless overridden).
    #[napi]
    pub fn fork_snapshot(&self, id: String, opts: Opt<CreateVolumeOptions>) -> Job<Volume> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || Ok(e.fork_snapshot(&id, opts.into_core()?)?.into()))
    }

    #[napi]
    pub fn delete_snapshot(&self, id: String) -> Job<()> {
        let e = self.inner.clone();
        job(move || e.delete_snapshot(&id))
    }

    /// Changes of a volume after sequence `since` (default 0), oldest first.
    #[napi]
    pub fn changes(&self, volume: String, opts: Opt<ChangesOptions>) -> Job<Vec<ChangeEntry>> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || {
            let since = opt_uint("since", opts.since)?.unwrap_or(0);
            let limit = opt_uint("limit", opts.limit)?.map(|l| l as usize);
            Ok(e.changes(&volume, since, limit)?.into_iter().map(Into::into).collect())
        })
    }

    /// Engine-wide counters.
    #[napi]
    pub fn stats(&self) -> Job<Stats> {
        let e = self.inner.clone();
        job(move || Ok(e.stats()?.into()))
    }

    /// Deletes blocks nothing references once unreferenced for `graceMs` (default 10 min).
    #[napi]
    pub fn gc(&self, opts: Opt<GcOptions>) -> Job<GcReport> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || {
            let grace = match opt_uint("graceMs", opts.grace_ms)? {
                Some(ms) => Duration::from_millis(ms),
                None => core::DEFAULT_GC_GRACE,
            };
            let r = e.gc(grace)?;
            Ok(GcReport { blocks_deleted: r.blocks_deleted as i64, bytes_freed: r.bytes_freed as i64 })
        })
    }

    /// Consistency check between catalog and block store.
    #[napi]
    pub fn fsck(&self) -> Job<FsckReport> {
        let e = self.inner.clone();
        job(move || Ok(e.fsck()?.into()))
    }
}
