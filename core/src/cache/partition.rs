//! One cache partition: a directory of block files, an LRU index, and mappings.

use super::{CacheStats, Counters};
use crate::error::{Error, ErrorCode, Result};
use crate::store::verify_block;
use memmap2::Mmap;
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of one block, from a cache mapping or (when the block cannot be cached) owned.
#[derive(Clone)]
pub(crate) enum BlockBytes {
    Mapped(Arc<Mmap>),
    Owned(Arc<Vec<u8>>),
}

impl std::ops::Deref for BlockBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            BlockBytes::Mapped(m) => m,
            BlockBytes::Owned(v) => v,
        }
    }
}

/// A fetch in progress; later readers of the same block wait on it.
pub(crate) struct Flight {
    done: Mutex<Option<std::result::Result<BlockBytes, (ErrorCode, String)>>>,
    cv: Condvar,
}

impl Flight {
    pub(crate) fn new() -> Flight {
        Flight { done: Mutex::new(None), cv: Condvar::new() }
    }
    pub(crate) fn finish(&self, r: &Result<BlockBytes>) {
        *self.done.lock() = Some(match r {
            Ok(b) => Ok(b.clone()),
            Err(e) => Err((e.code(), e.message().to_string())),
        });
        self.cv.notify_all();
    }
    pub(crate) fn wait(&self) -> Result<BlockBytes> {
        let mut g = self.done.lock();
        while g.is_none() {
            self.cv.wait(&mut g);
        }
        g.as_ref().unwrap().clone().map_err(|(c, m)| Error::new(c, m))
    }
}

struct Entry {
    map: Option<Arc<Mmap>>,
    size: u64,
    tick: u64,
    /// Loaded from disk after a restart and not yet checked against its hash.
    verified: bool,
    /// Fetched ahead of need and not read yet.
    prefetched: bool,
}

#[derive(Default)]
struct Inner {
    used: u64,
    /// Bytes of inserts being written; `used + reserved` never passes the capacity.
    reserved: u64,
    tick: u64,
    entries: HashMap<String, Entry>,
    lru: BTreeMap<u64, String>,
    /// Cleared for good (its session detached): inserts racing with that
    /// must neither fail their read nor recreate the directory.
    dropped: bool,
}

/// One partition of the block cache.
pub(crate) struct Partition {
    dir: PathBuf,
    volume_id: String,
    capacity: AtomicU64,
    inner: Mutex<Inner>,
    pub(crate) counters: Counters,
    tmp_seq: AtomicU64,
}

fn is_hash(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Partition {
    /// Opens a partition directory, indexing blocks a previous run left (oldest first in LRU order).
    pub(crate) fn open(dir: PathBuf, volume_id: &str, capacity: u64) -> Partition {
        let _ = std::fs::create_dir_all(&dir);
        let mut found = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                let Ok(md) = e.metadata() else { continue };
                if !is_hash(&name) {
                    let _ = std::fs::remove_file(e.path());
                    continue;
                }
                found.push((md.modified().ok(), name, md.len()));
            }
        }
        found.sort();
        let p = Partition {
            dir,
            volume_id: volume_id.to_string(),
            capacity: AtomicU64::new(capacity),
            inner: Mutex::new(Inner::default()),
            counters: Counters::default(),
            tmp_seq: AtomicU64::new(0),
        };
        {
            let mut g = p.inner.lock();
            for (_, hash, size) in found {
                g.tick += 1;
                let t = g.tick;
                g.used += size;
                g.lru.insert(t, hash.clone());
                g.entries.insert(hash, Entry { map: None, size, tick: t, verified: false, prefetched: false });
            }
            p.evict_locked(&mut g, 0);
        }
        p
    }

    /// A partition of a key that was dropped: it caches nothing and never
    /// creates its directory (a read that resolved its session just before the
    /// session detached reads on, from the store).
    pub(crate) fn dropped(dir: PathBuf, volume_id: &str) -> Partition {
        Partition {
            dir,
            volume_id: volume_id.to_string(),
            capacity: AtomicU64::new(0),
            inner: Mutex::new(Inner { dropped: true, ..Inner::default() }),
            counters: Counters::default(),
            tmp_seq: AtomicU64::new(0),
        }
    }

    pub(crate) fn volume_id(&self) -> &str {
        &self.volume_id
    }

    /// Applies a new cache_size, evicting down to it.
    pub(crate) fn set_capacity(&self, cap: u64) {
        if self.capacity.swap(cap, Ordering::Relaxed) != cap {
            let mut g = self.inner.lock();
            self.evict_locked(&mut g, 0);
        }
    }

    fn evict_locked(&self, g: &mut Inner, need: u64) {
        let cap = self.capacity.load(Ordering::Relaxed);
        while g.used + g.reserved + need > cap {
            let Some((_, hash)) = g.lru.pop_first() else { break };
            if let Some(e) = g.entries.remove(&hash) {
                g.used -= e.size;
                Counters::bump(&self.counters.evictions, 1);
                if e.prefetched {
                    Counters::bump(&self.counters.prefetched_wasted, 1);
                }
                let _ = std::fs::remove_file(self.dir.join(&hash));
            }
        }
    }

    fn touch_locked(g: &mut Inner, hash: &str) {
        g.tick += 1;
        let t = g.tick;
        if let Some(e) = g.entries.get_mut(hash) {
            g.lru.remove(&e.tick);
            e.tick = t;
            g.lru.insert(t, hash.to_string());
        }
    }

    fn forget_locked(&self, g: &mut Inner, hash: &str) {
        if let Some(e) = g.entries.remove(hash) {
            g.lru.remove(&e.tick);
            g.used -= e.size;
            let _ = std::fs::remove_file(self.dir.join(hash));
        }
    }

    /// True when the block is cached here.
    pub(crate) fn contains(&self, hash: &str) -> bool {
        self.inner.lock().entries.contains_key(hash)
    }

    /// A cached block's mapping (a hit), or `None` (a miss). A block loaded from
    /// a previous run is verified on first use; a damaged one is dropped.
    pub(crate) fn get(&self, hash: &str) -> Option<Arc<Mmap>> {
        let (map, verified) = {
            let mut g = self.inner.lock();
            let e = g.entries.get_mut(hash)?;
            if e.map.is_none() {
                let f = std::fs::File::open(self.dir.join(hash)).ok();
                // SAFETY: cache files are written once under a temporary name and
                // renamed into place; nothing writes to them afterwards.
                e.map = f.and_then(|f| unsafe { Mmap::map(&f) }.ok()).map(Arc::new);
            }
            let Some(map) = e.map.clone() else {
                self.forget_locked(&mut g, hash);
                return None;
            };
            if e.prefetched {
                e.prefetched = false;
                Counters::bump(&self.counters.prefetched_used, 1);
            }
            let verified = e.verified;
            Self::touch_locked(&mut g, hash);
            (map, verified)
        };
        if !verified {
            if verify_block(hash, &map).is_err() {
                Counters::bump(&self.counters.corrupt, 1);
                tracing::warn!(hash, dir = %self.dir.display(), "damaged cache block dropped");
                self.forget_locked(&mut self.inner.lock(), hash);
                return None;
            }
            if let Some(e) = self.inner.lock().entries.get_mut(hash) {
                e.verified = true;
            }
        }
        Counters::bump(&self.counters.hits, 1);
        Some(map)
    }

    /// Adds a verified block; returns its mapping, or `None` when it cannot fit.
    pub(crate) fn insert(&self, hash: &str, data: &[u8], prefetched: bool) -> Result<Option<Arc<Mmap>>> {
        let size = data.len() as u64;
        if size > self.capacity.load(Ordering::Relaxed) || size == 0 {
            return Ok(None);
        }
        {
            // Reserve room first, so files being written count against the capacity too.
            let mut g = self.inner.lock();
            if g.dropped {
                return Ok(None);
            }
            if let Some(m) = g.entries.get(hash).and_then(|e| e.map.clone()) {
                return Ok(Some(m));
            }
            self.evict_locked(&mut g, size);
            if g.used + g.reserved + size > self.capacity.load(Ordering::Relaxed) {
                return Ok(None);
            }
            g.reserved += size;
        }
        let io = |e: std::io::Error| Error::io(format!("cannot cache block {hash} in {:?}: {e}", self.dir.display())).with_source(e);
        let tmp = self.dir.join(format!(".tmp.{}.{}", std::process::id(), self.tmp_seq.fetch_add(1, Ordering::Relaxed)));
        let written = std::fs::create_dir_all(&self.dir).and_then(|_| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(data)
        });
        let mut g = self.inner.lock();
        g.reserved -= size;
        if g.dropped {
            // Dropped while the file was written (which may have recreated the directory).
            let _ = std::fs::remove_file(&tmp);
            let _ = std::fs::remove_dir(&self.dir);
            return Ok(None);
        }
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        if let Some(m) = g.entries.get(hash).and_then(|e| e.map.clone()) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Some(m));
        }
        self.evict_locked(&mut g, size);
        let path = self.dir.join(hash);
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        // SAFETY: as in `get`; the file was just written and is never modified.
        let map = match std::fs::File::open(&path).and_then(|f| unsafe { Mmap::map(&f) }) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                // Not indexed, so not counted: it must not stay on disk.
                let _ = std::fs::remove_file(&path);
                return Err(io(e));
            }
        };
        g.tick += 1;
        let t = g.tick;
        g.used += size;
        g.lru.insert(t, hash.to_string());
        g.entries.insert(hash.to_string(), Entry { map: Some(map.clone()), size, tick: t, verified: true, prefetched });
        if prefetched {
            Counters::bump(&self.counters.prefetched, 1);
        }
        Ok(Some(map))
    }

    /// Removes every cached block of this partition and its directory, for
    /// good: later inserts cache nothing.
    pub(crate) fn clear(&self) {
        let mut g = self.inner.lock();
        g.dropped = true;
        g.entries.clear();
        g.lru.clear();
        g.used = 0;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CacheStats {
            hits: l(&c.hits),
            misses: l(&c.misses),
            bytes_from_store: l(&c.bytes_from_store),
            prefetched: l(&c.prefetched),
            prefetched_used: l(&c.prefetched_used),
            prefetched_wasted: l(&c.prefetched_wasted),
            evictions: l(&c.evictions),
            corrupt: l(&c.corrupt),
            cached_bytes: self.inner.lock().used,
            dirty_bytes: l(&c.dirty_bytes),
            staged_bytes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cleared_partition_caches_nothing_and_leaves_no_directory() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("ms_x");
        let p = Partition::open(dir.clone(), "vol_x", 1 << 20);
        let block = vec![7u8; 1000];
        let hash = crate::store::hash_block(&block);
        assert!(p.insert(&hash, &block, false).unwrap().is_some());
        p.clear();
        assert!(!dir.exists());
        assert!(p.insert(&hash, &block, false).unwrap().is_none());
        assert!(p.get(&hash).is_none());
        assert!(!dir.exists(), "an insert after the drop recreated the directory");
        let q = Partition::dropped(dir.clone(), "vol_x");
        assert!(q.insert(&hash, &block, false).unwrap().is_none());
        assert!(!dir.exists());
    }
}
