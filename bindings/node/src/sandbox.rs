//! `Sandbox`: a handle to one sandbox, its mounts and its filesystem view.

use crate::convert::*;
use crate::fs::At;
use crate::handle::FileHandle;
use crate::task::{Job, job};
use napi_derive::napi;
use parking_lot::Mutex;
use sandvol_core as core;
use std::sync::Arc;

/// A sandbox (from `engine.claimSandbox` / `engine.getSandbox`). Every method
/// returns a Promise; the getters show the row as of the last call that read it.
#[napi]
pub struct Sandbox {
    pub(crate) at: At,
    info: Arc<Mutex<SandboxInfo>>,
    bootstrap: Vec<core::MountSession>,
}

impl Sandbox {
    pub fn new(sb: core::Sandbox) -> Sandbox {
        Sandbox {
            at: At { engine: sb.engine().clone(), sandbox: true, id: Arc::from(sb.id()) },
            info: Arc::new(Mutex::new(sb.info().clone().into())),
            bootstrap: sb.bootstrap_mounts().to_vec(),
        }
    }

    fn engine(&self) -> core::Engine {
        self.at.engine.clone()
    }

    fn id_string(&self) -> String {
        self.at.id.to_string()
    }

    /// Runs a state change and remembers the row it returns.
    fn transition(
        &self,
        f: impl FnOnce(&core::Engine, &str) -> core::Result<core::SandboxInfo> + Send + 'static,
    ) -> Job<SandboxInfo> {
        let (engine, id, info) = (self.engine(), self.id_string(), self.info.clone());
        job(move || {
            let out: SandboxInfo = f(&engine, &id)?.into();
            *info.lock() = out.clone();
            Ok(out)
        })
    }
}

#[napi]
impl Sandbox {
    /// "sb_…" id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id_string()
    }

    #[napi(getter)]
    pub fn template(&self) -> String {
        self.info.lock().template.clone()
    }

    #[napi(getter)]
    pub fn group(&self) -> Option<String> {
        self.info.lock().group.clone()
    }

    /// "running", "paused" or "released", as of the last call that read it.
    #[napi(getter)]
    pub fn state(&self) -> String {
        self.info.lock().state.clone()
    }

    #[napi(getter)]
    pub fn labels(&self) -> Labels {
        self.info.lock().labels.clone()
    }

    #[napi(getter)]
    pub fn root(&self) -> Option<String> {
        self.info.lock().root.clone()
    }

    #[napi(getter)]
    pub fn created_at(&self) -> i64 {
        self.info.lock().created_at
    }

    /// The whole row as of the last call that read it.
    #[napi(getter)]
    pub fn info(&self) -> SandboxInfo {
        self.info.lock().clone()
    }

    /// Bootstrap mounts with their states at the end of the claim (after the wait, if any).
    #[napi(getter)]
    pub fn bootstrap_mounts(&self) -> Vec<MountSession> {
        sessions(self.bootstrap.clone())
    }

    /// Re-reads the sandbox row.
    #[napi]
    pub fn refresh(&self) -> Job<SandboxInfo> {
        self.transition(|e, id| Ok(e.get_sandbox(id)?.info().clone()))
    }

    /// Mounts a volume (id or name) at `mountPoint`; resolves to the mounted session.
    #[napi]
    pub fn mount(&self, volume: String, mount_point: String, opts: Opt<MountOptions>) -> Job<MountSession> {
        let (engine, id) = (self.engine(), self.id_string());
        let o = opts.take().unwrap_or_default();
        job(move || {
            let req = MountRequest { volume, mount_point, subpath: o.subpath, read_only: o.read_only, config: o.config }
                .into_core()?;
            Ok(engine.mount(&id, req)?.into())
        })
    }

    /// Flushes and releases one mount session; `ref` must name the session's volume.
    #[napi]
    pub fn unmount(&self, volume: String, mount_session_id: String) -> Job<MountSession> {
        let (engine, id) = (self.engine(), self.id_string());
        job(move || Ok(engine.unmount(&id, &volume, &mount_session_id)?.into()))
    }

    /// Every mount session of this sandbox (any state), oldest first.
    #[napi]
    pub fn mount_status(&self) -> Job<Vec<MountSession>> {
        let (engine, id) = (self.engine(), self.id_string());
        job(move || Ok(sessions(engine.mount_status(&id)?)))
    }

    #[napi]
    pub fn pause(&self) -> Job<SandboxInfo> {
        self.transition(|e, id| e.pause_sandbox(id))
    }

    #[napi]
    pub fn resume(&self) -> Job<SandboxInfo> {
        self.transition(|e, id| e.resume_sandbox(id))
    }

    /// Unmounts everything and drops the scratch volume.
    #[napi]
    pub fn release(&self) -> Job<SandboxInfo> {
        self.transition(|e, id| e.release_sandbox(id))
    }

    /// Reads a whole file, or `{offset, length}` of it.
    #[napi]
    pub fn read_file(&self, path: String, opts: Opt<ReadOptions>) -> Job<Bytes> {
        self.at.read_file(path, opts)
    }

    /// Writes a file atomically (Buffer or string); resolves to its new info.
    #[napi]
    pub fn write_file(&self, path: String, data: Data, opts: Opt<WriteOptions>) -> Job<FileInfo> {
        self.at.write_file(path, data, opts)
    }

    #[napi]
    pub fn stat(&self, path: String) -> Job<FileInfo> {
        self.at.stat(path)
    }

    #[napi]
    pub fn exists(&self, path: String) -> Job<bool> {
        self.at.exists(path)
    }

    #[napi]
    pub fn list_dir(&self, path: String, opts: Opt<ListDirOptions>) -> Job<DirPage> {
        self.at.list_dir(path, opts)
    }

    #[napi]
    pub fn mkdir(&self, path: String, opts: Opt<MkdirOptions>) -> Job<FileInfo> {
        self.at.mkdir(path, opts)
    }

    #[napi]
    pub fn remove(&self, path: String, opts: Opt<RemoveOptions>) -> Job<()> {
        self.at.remove(path, opts)
    }

    #[napi]
    pub fn rename(&self, src: String, dst: String) -> Job<FileInfo> {
        self.at.rename(src, dst)
    }

    #[napi]
    pub fn symlink(&self, target: String, link: String) -> Job<FileInfo> {
        self.at.symlink(target, link)
    }

    #[napi]
    pub fn readlink(&self, path: String) -> Job<String> {
        self.at.readlink(path)
    }

    #[napi]
    pub fn set_times(&self, path: String, opts: Opt<SetTimesOptions>) -> Job<FileInfo> {
        self.at.set_times(path, opts)
    }

    /// Opens a file handle; `mode` is "r" (default), "r+", "w", "w+", "a", "a+", "x" or "x+".
    #[napi]
    pub fn open(&self, path: String, mode: Option<String>) -> Job<FileHandle> {
        self.at.open(path, mode)
    }
}
