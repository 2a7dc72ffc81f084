//! The writeback journal: blocks acknowledged once fsynced in `staging/`,
//! uploaded to the block store in the background, uploaded first thing after a crash.

use crate::error::Result;
use crate::store::{BlockStore, verify_block};
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Staged blocks waiting for upload.
pub(crate) struct Staging {
    dir: PathBuf,
    store: Arc<dyn BlockStore>,
    /// hash → size of blocks staged and not yet uploaded.
    pending: Mutex<HashMap<String, u64>>,
    idle: Condvar,
}

impl Staging {
    pub(crate) fn new(dir: PathBuf, store: Arc<dyn BlockStore>) -> Staging {
        Staging { dir, store, pending: Mutex::new(HashMap::new()), idle: Condvar::new() }
    }

    /// Uploads every block a previous run staged (crash recovery); damaged ones are dropped.
    pub(crate) fn recover(&self) -> Result<usize> {
        let mut n = 0;
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with(".tmp.") {
                let _ = std::fs::remove_file(e.path());
                continue;
            }
            let data = std::fs::read(e.path())?;
            if verify_block(&name, &data).is_err() {
                // Never acknowledged: the fsync before the metadata commit did not finish.
                tracing::warn!(hash = %name, "dropping a torn staged block");
                let _ = std::fs::remove_file(e.path());
                continue;
            }
            self.store.put(&name, &data)?;
            std::fs::remove_file(e.path())?;
            n += 1;
        }
        Ok(n)
    }

    /// Writes and fsyncs a block into the journal; the caller uploads it with [`Staging::upload`].
    pub(crate) fn stage(&self, hash: &str, data: &[u8]) -> Result<bool> {
        {
            let mut p = self.pending.lock();
            if p.contains_key(hash) {
                return Ok(false);
            }
            p.insert(hash.to_string(), data.len() as u64);
        }
        let tmp = self.dir.join(format!(".tmp.{}.{}", std::process::id(), &hash[..16]));
        let res = (|| -> Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.dir.join(hash))?;
            std::fs::File::open(&self.dir)?.sync_all()?;
            Ok(())
        })();
        if let Err(e) = res {
            self.pending.lock().remove(hash);
            return Err(e);
        }
        Ok(true)
    }

    /// Moves one staged block to the store.
    pub(crate) fn upload(&self, hash: &str) -> Result<()> {
        let span = tracing::debug_span!("upload", hash);
        let _g = span.enter();
        let path = self.dir.join(hash);
        // On failure the block stays staged (and readable) for a retry or the next open.
        self.store.put_file(hash, &path)?;
        let _ = std::fs::remove_file(&path);
        let mut p = self.pending.lock();
        p.remove(hash);
        if p.is_empty() {
            self.idle.notify_all();
        }
        Ok(())
    }

    /// The staged bytes of a block not yet uploaded.
    pub(crate) fn read(&self, hash: &str) -> Option<Vec<u8>> {
        if !self.pending.lock().contains_key(hash) {
            return None;
        }
        std::fs::read(self.dir.join(hash)).ok()
    }

    /// True while a block is staged and not yet uploaded.
    pub(crate) fn holds(&self, hash: &str) -> bool {
        self.pending.lock().contains_key(hash)
    }

    /// Bytes staged and not yet uploaded.
    pub(crate) fn staged_bytes(&self) -> u64 {
        self.pending.lock().values().sum()
    }

    /// Waits until every staged block is uploaded, up to `timeout`; true when idle.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut p = self.pending.lock();
        while !p.is_empty() {
            if self.idle.wait_until(&mut p, deadline).timed_out() {
                return p.is_empty();
            }
        }
        true
    }
}
