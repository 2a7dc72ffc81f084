//! The writeback journal: blocks acknowledged once fsynced in `staging/`,
//! uploaded to the block store in the background, uploaded first thing after a crash.
//!
//! A whole block is staged as its own file (fsync, rename, directory fsync), so
//! a local store can take it by rename. A smaller block (a small file's write)
//! is written into a reusable slot file of this engine (`slots-<pid>-<start>-<n>/`)
//! and fdatasynced: no new file, no directory entry to make durable, about a
//! third of the time, which is what a writeback acknowledgement waits for.

use crate::error::Result;
use crate::store::{BlockStore, verify_block};
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Staged blocks waiting for upload.
pub(crate) struct Staging {
    dir: PathBuf,
    store: Arc<dyn BlockStore>,
    /// hash → where and how large, for blocks staged and not yet uploaded.
    pending: Mutex<HashMap<String, Staged>>,
    idle: Condvar,
    /// Blocks smaller than this go to slots.
    block_size: u64,
    /// This process's slot directory and its free slots.
    slots_dir: PathBuf,
    slots: Mutex<SlotPool>,
    /// Renames into `staging/` started, and how many of them a directory fsync covers.
    renamed: std::sync::atomic::AtomicU64,
    dir_synced: Mutex<u64>,
}

#[derive(Clone, Copy)]
struct Staged {
    size: u64,
    slot: Option<u32>,
}

#[derive(Default)]
struct SlotPool {
    free: Vec<u32>,
    created: u32,
}

/// A slot file: this header (magic, length, hash), then the bytes at `SLOT_HEADER`.
const SLOT_HEADER: u64 = 4096;
const SLOT_MAGIC: &[u8; 8] = b"SVSLOT1\0";

impl Staging {
    pub(crate) fn new(dir: PathBuf, store: Arc<dyn BlockStore>, block_size: u64) -> Staging {
        // One directory per engine: two engines of one process must not share slots.
        static ENGINES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let (pid, start) = crate::util::process_identity();
        let n = ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let slots_dir = dir.join(format!("slots-{pid}-{start}-{n}"));
        Staging {
            dir,
            store,
            pending: Mutex::new(HashMap::new()),
            idle: Condvar::new(),
            block_size,
            slots_dir,
            slots: Mutex::new(SlotPool::default()),
            renamed: Default::default(),
            dir_synced: Mutex::new(0),
        }
    }

    /// Uploads every block a previous run staged (crash recovery); damaged ones are dropped.
    /// Slot directories of processes still running are theirs and left alone.
    pub(crate) fn recover(&self) -> Result<usize> {
        let mut n = 0;
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(owner) = name.strip_prefix("slots-") {
                let mut it = owner.splitn(3, '-').map(|x| x.parse::<i64>().unwrap_or(0));
                let (pid, start) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
                if e.path() != self.slots_dir && !crate::util::process_alive(pid, start) {
                    n += self.recover_slots(&e.path())?;
                    std::fs::remove_dir_all(e.path())?;
                }
                continue;
            }
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

    /// Makes every rename into `staging/` so far durable. Concurrent stagers share
    /// one directory fsync: whoever syncs covers every rename done before it began.
    fn sync_dir(&self) -> Result<()> {
        let mine = self.renamed.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let mut synced = self.dir_synced.lock();
        if *synced >= mine {
            return Ok(());
        }
        let upto = self.renamed.load(std::sync::atomic::Ordering::SeqCst);
        std::fs::File::open(&self.dir)?.sync_all()?;
        *synced = upto;
        Ok(())
    }

    /// Uploads the blocks in a dead process's slots.
    fn recover_slots(&self, dir: &Path) -> Result<usize> {
        let mut n = 0;
        for e in std::fs::read_dir(dir)? {
            if let Some((hash, data)) = read_slot(&e?.path(), None) {
                self.store.put(&hash, &data)?;
                n += 1;
            }
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
            p.insert(hash.to_string(), Staged { size: data.len() as u64, slot: None });
        }
        if (data.len() as u64) < self.block_size {
            return match self.stage_in_slot(hash, data) {
                Ok(slot) => {
                    if let Some(s) = self.pending.lock().get_mut(hash) {
                        s.slot = Some(slot);
                    }
                    Ok(true)
                }
                Err(e) => {
                    self.pending.lock().remove(hash);
                    Err(e)
                }
            };
        }
        let tmp = self.dir.join(format!(".tmp.{}.{}", std::process::id(), &hash[..16]));
        let res = (|| -> Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.dir.join(hash))?;
            self.sync_dir()
        })();
        if let Err(e) = res {
            self.pending.lock().remove(hash);
            return Err(e);
        }
        Ok(true)
    }

    /// Writes a small block into a free slot (a new one if none is free) and
    /// syncs it: a reused slot's directory entry is durable already.
    fn stage_in_slot(&self, hash: &str, data: &[u8]) -> Result<u32> {
        let (slot, fresh) = {
            let mut pool = self.slots.lock();
            match pool.free.pop() {
                Some(s) => (s, false),
                None => {
                    pool.created += 1;
                    (pool.created - 1, true)
                }
            }
        };
        let path = self.slots_dir.join(slot.to_string());
        let res = (|| -> Result<()> {
            if fresh {
                std::fs::create_dir_all(&self.slots_dir)?;
            }
            let f = std::fs::OpenOptions::new().write(true).create(fresh).truncate(false).open(&path)?;
            let mut header = Vec::with_capacity(80);
            header.extend_from_slice(SLOT_MAGIC);
            header.extend_from_slice(&(data.len() as u64).to_le_bytes());
            header.extend_from_slice(hash.as_bytes());
            f.write_all_at(&header, 0)?;
            f.write_all_at(data, SLOT_HEADER)?;
            if fresh {
                // A new slot costs what a staged file does; reusing it later
                // rewrites bytes in place, and fdatasync has only those to write
                // (plus the size, if this block is larger than any before).
                f.sync_all()?;
                std::fs::File::open(&self.slots_dir)?.sync_all()?;
            } else {
                f.sync_data()?;
            }
            Ok(())
        })();
        match res {
            Ok(()) => Ok(slot),
            Err(e) => {
                self.slots.lock().free.push(slot);
                Err(e)
            }
        }
    }

    /// Moves one staged block to the store.
    pub(crate) fn upload(&self, hash: &str) -> Result<()> {
        let span = tracing::debug_span!("upload", hash);
        let _g = span.enter();
        let staged = self.pending.lock().get(hash).copied();
        // On failure the block stays staged (and readable) for a retry or the next open.
        match staged.and_then(|s| s.slot) {
            Some(slot) => {
                let data = self.read(hash).ok_or_else(|| {
                    crate::Error::corrupt(format!("staged block {hash} in slot {slot} does not match its hash"))
                })?;
                self.store.put(hash, &data)?;
                // Clear the magic so a later recovery does not upload it again (best effort).
                if let Ok(f) = std::fs::OpenOptions::new().write(true).open(self.slots_dir.join(slot.to_string())) {
                    let _ = f.write_all_at(&[0u8; 8], 0);
                }
            }
            None => {
                let path = self.dir.join(hash);
                self.store.put_file(hash, &path)?;
                let _ = std::fs::remove_file(&path);
            }
        }
        let mut p = self.pending.lock();
        if let Some(Staged { slot: Some(slot), .. }) = p.remove(hash) {
            self.slots.lock().free.push(slot);
        }
        if p.is_empty() {
            self.idle.notify_all();
        }
        Ok(())
    }

    /// The staged bytes of a block not yet uploaded.
    pub(crate) fn read(&self, hash: &str) -> Option<Vec<u8>> {
        let staged = *self.pending.lock().get(hash)?;
        match staged.slot {
            // A slot is reused once its block is uploaded: the hash check tells a stale read.
            Some(slot) => read_slot(&self.slots_dir.join(slot.to_string()), Some(hash)).map(|(_, d)| d),
            None => std::fs::read(self.dir.join(hash)).ok(),
        }
    }

    /// True while a block is staged and not yet uploaded.
    pub(crate) fn holds(&self, hash: &str) -> bool {
        self.pending.lock().contains_key(hash)
    }

    /// Bytes staged and not yet uploaded.
    pub(crate) fn staged_bytes(&self) -> u64 {
        self.pending.lock().values().map(|s| s.size).sum()
    }

    /// Removes this engine's slot files once nothing is staged (a clean close).
    pub(crate) fn release_slots(&self) {
        if self.pending.lock().is_empty() {
            let _ = std::fs::remove_dir_all(&self.slots_dir);
        }
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

/// A slot's block, if its header is whole and its bytes match the hash it names
/// (and that hash is `want`, when given).
fn read_slot(path: &Path, want: Option<&str>) -> Option<(String, Vec<u8>)> {
    let f = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 80];
    f.read_exact_at(&mut header, 0).ok()?;
    if &header[..8] != SLOT_MAGIC {
        return None;
    }
    let len = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let hash = std::str::from_utf8(&header[16..80]).ok()?.to_string();
    if want.is_some_and(|w| w != hash) || len > f.metadata().ok()?.len().saturating_sub(SLOT_HEADER) {
        return None;
    }
    let mut data = vec![0u8; len as usize];
    f.read_exact_at(&mut data, SLOT_HEADER).ok()?;
    verify_block(&hash, &data).ok()?;
    Some((hash, data))
}
