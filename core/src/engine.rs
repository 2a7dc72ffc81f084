//! The engine: one open data directory (catalog, block store, cache, staging).

use crate::cache::{BlockCache, Staging};
use crate::catalog::{Catalog, Durability};
use crate::error::{Error, Result};
use crate::mount::MountSession;
use crate::path::{DEFAULT_RESERVED_PREFIXES, normalize_reserved_prefix};
use crate::store::{BlockStore, LocalStore};
use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Environment variable naming the default data directory.
pub const HOME_ENV: &str = "SANDVOL_HOME";
/// Data directory used when neither a path nor `$SANDVOL_HOME` is given.
pub const DEFAULT_DATA_DIR: &str = "./sandvol-data";

/// A host's own attach/detach work for a mount (bind mounts into a container,
/// FUSE, warming a remote store); its failure fails the mount session.
pub trait MountHook: Send + Sync {
    /// Called while a session is mounting or remounting.
    fn attach(&self, session: &MountSession) -> Result<()>;
    /// Called when a session is paused or unmounted; errors are recorded, not fatal.
    fn detach(&self, _session: &MountSession) -> Result<()> {
        Ok(())
    }
}

/// Options fixed when a data directory is opened.
#[derive(Clone)]
pub struct EngineOptions {
    /// Largest chunk of a file stored as one block (default 4 MiB; fixed per data directory).
    pub block_size: u64,
    /// Files up to this size live inline in the catalog (default 4 KiB).
    pub inline_threshold: u64,
    /// What an acknowledged write survives.
    pub durability: Durability,
    /// Mount points at or under these prefixes are refused.
    pub reserved_prefixes: Vec<String>,
    /// Host work run when mounts attach and detach.
    pub mount_hook: Option<Arc<dyn MountHook>>,
    /// Block store backend; `None` means the local `blocks/` directory.
    pub store: Option<Arc<dyn BlockStore>>,
    /// How long a write waits for another process's transaction before `timeout` (default 30 s).
    pub busy_timeout: std::time::Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            block_size: 4 << 20,
            inline_threshold: 4096,
            durability: Durability::Process,
            reserved_prefixes: DEFAULT_RESERVED_PREFIXES.iter().map(|s| s.to_string()).collect(),
            mount_hook: None,
            store: None,
            busy_timeout: crate::catalog::DEFAULT_BUSY_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("block_size", &self.block_size)
            .field("inline_threshold", &self.inline_threshold)
            .field("durability", &self.durability)
            .field("reserved_prefixes", &self.reserved_prefixes)
            .field("mount_hook", &self.mount_hook.is_some())
            .field("store", &self.store.is_some())
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}

pub(crate) struct Inner {
    pub dir: PathBuf,
    pub opts: EngineOptions,
    pub catalog: Catalog,
    pub store: Arc<dyn BlockStore>,
    pub cache: BlockCache,
    pub staging: Staging,
    pub routes: crate::fs::route::RouteCache,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    closed: AtomicBool,
    /// Process that opened the engine: a forked child has no runtime threads and
    /// shares the SQLite handle, so it must open its own engine.
    pid: u32,
}

/// An open data directory. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("dir", &self.inner.dir).finish()
    }
}

const BLOCK_SIZE_RANGE: std::ops::RangeInclusive<u64> = (64 << 10)..=(64 << 20);

/// The data directory used when none is given: `$SANDVOL_HOME`, else
/// `./sandvol-data`. An empty `$SANDVOL_HOME` counts as unset (as XDG's
/// variables do), so `SANDVOL_HOME= prog` does not open the working directory.
pub fn default_dir() -> PathBuf {
    default_dir_for(std::env::var_os(HOME_ENV))
}

fn default_dir_for(home: Option<std::ffi::OsString>) -> PathBuf {
    match home {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    }
}

impl Engine {
    /// Opens (creating if needed) the data directory with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Engine> {
        Engine::open_with(dir, EngineOptions::default())
    }

    /// Opens the directory named by `$SANDVOL_HOME`, else `./sandvol-data` (`default_dir`).
    pub fn open_default() -> Result<Engine> {
        Engine::open(default_dir())
    }

    /// Opens (creating if needed) the data directory with `opts`.
    pub fn open_with(dir: impl AsRef<Path>, mut opts: EngineOptions) -> Result<Engine> {
        let dir = dir.as_ref().to_path_buf();
        let span = tracing::info_span!("engine_open", dir = %dir.display());
        let _g = span.enter();
        // An empty path would open the working directory, which is never
        // what a caller who meant "no path" (the default) or a path wanted.
        if dir.as_os_str().is_empty() {
            return Err(Error::invalid_argument(
                "data directory \"\" is empty: give a path, or none for $SANDVOL_HOME / ./sandvol-data",
            ));
        }
        if dir.as_os_str().as_encoded_bytes().contains(&0) {
            return Err(Error::invalid_argument(format!("data directory {:?} contains a NUL byte", dir.display().to_string())));
        }
        if !BLOCK_SIZE_RANGE.contains(&opts.block_size) {
            return Err(Error::invalid_argument(format!(
                "block_size {} is outside {}..={} bytes",
                opts.block_size,
                BLOCK_SIZE_RANGE.start(),
                BLOCK_SIZE_RANGE.end()
            )));
        }
        if opts.inline_threshold > opts.block_size {
            return Err(Error::invalid_argument(format!(
                "inline_threshold {} is larger than block_size {}",
                opts.inline_threshold, opts.block_size
            )));
        }
        // SQLite takes the busy timeout as an int of milliseconds.
        if opts.busy_timeout.as_millis() > i32::MAX as u128 {
            return Err(Error::invalid_argument(format!(
                "busy_timeout {} ms is more than {} ms",
                opts.busy_timeout.as_millis(),
                i32::MAX
            )));
        }
        opts.reserved_prefixes =
            opts.reserved_prefixes.iter().map(|p| normalize_reserved_prefix(p)).collect::<Result<_>>()?;
        if dir.exists() && !dir.is_dir() {
            return Err(Error::invalid_argument(format!("data directory {:?} is not a directory", dir.display())));
        }
        for sub in ["blocks", "cache", "staging"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| {
                let msg = format!("cannot create {:?}: {e}", dir.join(sub).display());
                // A name the OS refuses (ENAMETOOLONG) is the caller's path, not a failing disk.
                let err = if e.kind() == std::io::ErrorKind::InvalidFilename { Error::invalid_argument(msg) } else { Error::io(msg) };
                err.with_source(e)
            })?;
        }
        let catalog = Catalog::open(&dir.join("catalog.db"), opts.durability, opts.busy_timeout)?;
        catalog.write(|tx| crate::fs::layout::check_block_size(tx, opts.block_size))?;
        let store: Arc<dyn BlockStore> = match &opts.store {
            Some(s) => s.clone(),
            None => Arc::new(LocalStore::open(&dir.join("blocks"), opts.durability == Durability::Power)?),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(16)
            .thread_name("sandvol-bg")
            .enable_time()
            .build()
            .map_err(|e| Error::io(format!("cannot start the background runtime: {e}")).with_source(e))?;
        let staging = Staging::new(dir.join("staging"), store.clone(), opts.block_size);
        // Blocks acknowledged before a crash reach the store before anything else runs.
        let recovered = staging.recover()?;
        if recovered > 0 {
            tracing::info!(blocks = recovered, "uploaded staged blocks left by a previous run");
        }
        let cache = BlockCache::new(dir.join("cache"));
        let engine = Engine {
            inner: Arc::new(Inner {
                dir,
                opts,
                catalog,
                store,
                cache,
                staging,
                routes: Default::default(),
                runtime: Mutex::new(Some(runtime)),
                closed: AtomicBool::new(false),
                pid: std::process::id(),
            }),
        };
        engine.recover()?;
        Ok(engine)
    }

    /// The data directory this engine opened.
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The options this engine was opened with (reserved prefixes normalized).
    pub fn options(&self) -> &EngineOptions {
        &self.inner.opts
    }

    /// Waits for background work and closes; later calls on any clone fail with `invalid_state`.
    ///
    /// Closing twice is allowed and does nothing the second time.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        if self.inner.forked() {
            // A forked child's copy: the threads, uploads and staging directory
            // are the parent's, which goes on using them (Drop forgets the runtime).
            return Ok(());
        }
        if !self.flush_uploads(std::time::Duration::from_secs(60)) {
            tracing::warn!("closing with staged blocks not yet uploaded; the next open uploads them");
        }
        if let Some(rt) = self.inner.runtime.lock().take() {
            rt.shutdown_timeout(std::time::Duration::from_secs(30));
        }
        // After the uploads stopped: what is left is for the next engine to open.
        self.inner.staging.close();
        Ok(())
    }

    /// True once `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.inner.forked() {
            return Err(Error::invalid_state(format!(
                "engine for {:?} was opened in process {} before a fork; open a new engine in this process",
                self.inner.dir.display(),
                self.inner.pid
            )));
        }
        if self.is_closed() {
            return Err(Error::invalid_state(format!("engine for {:?} is closed", self.inner.dir.display())));
        }
        Ok(())
    }

    /// Runs `f` on the background pool.
    pub(crate) fn spawn_blocking(&self, f: impl FnOnce() + Send + 'static) -> Result<()> {
        self.spawn_blocking_or_return(f).map_err(|_| Error::invalid_state("engine is closed"))
    }

    /// Runs `f` on the background pool, or hands it back when the engine is closed
    /// (so the caller can run it itself).
    pub(crate) fn spawn_blocking_or_return<F: FnOnce() + Send + 'static>(&self, f: F) -> std::result::Result<(), F> {
        let rt = self.inner.runtime.lock();
        match rt.as_ref() {
            Some(rt) => {
                rt.spawn_blocking(f);
                Ok(())
            }
            None => Err(f),
        }
    }

    /// Resumes transitions that a dead process left half done (see `mount::orphaned`),
    /// and drops cache partitions no session or volume owns any more.
    fn recover(&self) -> Result<()> {
        const LIVE: &str = "SELECT id FROM mounts WHERE state NOT IN ('unmounted', 'released', 'failed') UNION SELECT id FROM volumes";
        let live: std::collections::HashSet<String> = self.inner.catalog.read(|tx| {
            let mut stmt = tx.prepare(LIVE)?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })?;
        if let Ok(rd) = std::fs::read_dir(self.inner.dir.join("cache")) {
            for e in rd.flatten() {
                let key = e.file_name().to_string_lossy().to_string();
                if live.contains(&key) {
                    continue;
                }
                // Checked again just before: another process may have created
                // the session or volume since the list was read.
                let still_dead = self.inner.catalog.read(|tx| {
                    Ok(!tx.prepare_cached(&format!("SELECT 1 FROM ({LIVE}) WHERE id = ?1"))?.exists([&key])?)
                })?;
                if still_dead {
                    self.inner.cache.remove_stale(&key);
                }
            }
        }
        let orphans = self.inner.catalog.read(crate::mount::orphaned)?;
        for m in orphans {
            tracing::info!(mount_session_id = %m.id, state = %m.state, "recovering mount session");
            if let Err(e) = self.resume_orphan(&m) {
                tracing::warn!(mount_session_id = %m.id, error = %e, "recovery failed");
            }
        }
        Ok(())
    }
}

impl Inner {
    /// True in a process forked from the one that opened the engine.
    fn forked(&self) -> bool {
        std::process::id() != self.pid
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.forked() {
            // A forked child must not join threads it does not have.
            if let Some(rt) = self.runtime.get_mut().take() {
                std::mem::forget(rt);
            }
            return;
        }
        // Dropping a runtime inside another runtime panics; hand it off instead.
        if let Some(rt) = self.runtime.get_mut().take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_directory_is_sandvol_home_unless_unset_or_empty() {
        assert_eq!(default_dir_for(Some("/srv/sv".into())), PathBuf::from("/srv/sv"));
        assert_eq!(default_dir_for(None), PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(default_dir_for(Some("".into())), PathBuf::from(DEFAULT_DATA_DIR));
    }
}
