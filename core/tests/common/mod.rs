//! Shared test helpers: temporary engines and child processes.
#![allow(dead_code)]

pub mod model;

use sandvol_core::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A fresh data directory and an engine on it.
pub fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path()).unwrap();
    (dir, e)
}

/// An engine with a small block size, so multi-block files stay small in tests.
pub fn small_blocks(dir: &Path) -> Engine {
    Engine::open_with(dir, EngineOptions { block_size: 64 << 10, ..Default::default() }).unwrap()
}

pub fn vol(e: &Engine, name: &str, mode: AccessMode) -> Volume {
    e.create_volume(CreateVolume { name: Some(name.into()), access_mode: Some(mode), ..Default::default() }).unwrap()
}

pub fn claim(e: &Engine) -> Sandbox {
    e.claim_sandbox("default", ClaimOptions::default()).unwrap()
}

pub fn claim_in(e: &Engine, group: &str) -> Sandbox {
    e.claim_sandbox("default", ClaimOptions { group: Some(group.into()), ..Default::default() }).unwrap()
}

pub fn mount_req(v: &str, mp: &str) -> MountRequest {
    MountRequest::new(v, mp)
}

pub fn code<T: std::fmt::Debug>(r: Result<T>) -> ErrorCode {
    r.expect_err("expected an error").code()
}

/// Spawns this test binary again to run test `name` with `SANDVOL_CHILD_*` env vars set.
pub fn spawn_child(name: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    cmd.spawn().unwrap()
}

/// Reads lines a child printed with a "CHILD " prefix.
pub fn child_lines(out: &str) -> Vec<String> {
    out.lines().filter_map(child_line).collect()
}

/// The text after "CHILD " on a line (the test harness may print before it on the same line).
pub fn child_line(l: &str) -> Option<String> {
    l.find("CHILD ").map(|i| l[i + 6..].trim_end().to_string())
}

/// What a [`HookedStore`] does before each `put`: delay it, count it, or
/// refuse it with an error.
pub trait PutHook: Send + Sync + 'static {
    fn before_put(&self, hash: &str, data: &[u8]) -> Result<()>;
}

/// The local store of `dir` with a hook before every `put`: how tests inject
/// block store trouble. `put_file` goes through `put` (the trait's default),
/// so the hook sees those blocks too.
pub struct HookedStore<H> {
    pub inner: LocalStore,
    pub hook: H,
}

impl<H: PutHook> HookedStore<H> {
    pub fn open(dir: &Path, hook: H) -> std::sync::Arc<Self> {
        std::sync::Arc::new(HookedStore { inner: LocalStore::open(&dir.join("blocks"), false).unwrap(), hook })
    }
}

impl<H: PutHook> BlockStore for HookedStore<H> {
    fn put(&self, hash: &str, data: &[u8]) -> Result<()> {
        self.hook.before_put(hash, data)?;
        self.inner.put(hash, data)
    }
    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        self.inner.get(hash)
    }
    fn exists(&self, hash: &str) -> Result<bool> {
        self.inner.exists(hash)
    }
    fn delete(&self, hash: &str) -> Result<()> {
        self.inner.delete(hash)
    }
    fn list(&self) -> Result<Vec<String>> {
        self.inner.list()
    }
    fn age(&self, hash: &str) -> Result<Option<std::time::Duration>> {
        self.inner.age(hash)
    }
    fn size(&self, hash: &str) -> Result<Option<u64>> {
        self.inner.size(hash)
    }
}
