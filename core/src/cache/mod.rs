//! The block cache: whole blocks kept as files under `cache/`, read through
//! memmap2 mappings, evicted by recency (LRU).
//!
//! The cache is split into partitions, one per mount session (and one per
//! volume for direct access), each bounded by that mount's `cache_size`, as each
//! JuiceFS mount has its own cache. A block is verified against its hash when it
//! enters a partition, and again on first use after a restart. Losing the cache
//! is always safe: it only ever holds copies of immutable blocks.

mod io;
mod partition;
mod staging;

pub(crate) use partition::Partition;
pub(crate) use staging::Staging;

use crate::config::VolumeConfig;
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Cache and write counters, per partition and summed per volume and engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Block reads served from the cache.
    pub hits: u64,
    /// Block reads that went to staging or the store.
    pub misses: u64,
    /// Bytes fetched from the block store.
    pub bytes_from_store: u64,
    /// Blocks fetched ahead of need (prefetch and sequential read-ahead).
    pub prefetched: u64,
    /// Prefetched blocks that a read later used.
    pub prefetched_used: u64,
    /// Prefetched blocks evicted without being read.
    pub prefetched_wasted: u64,
    /// Blocks evicted to stay within cache_size.
    pub evictions: u64,
    /// Cached blocks found damaged (dropped and fetched again).
    pub corrupt: u64,
    /// Bytes currently held in the cache.
    pub cached_bytes: u64,
    /// Bytes written but not yet flushed by open file handles.
    pub dirty_bytes: u64,
    /// Bytes acknowledged in `staging/` and not yet uploaded (writeback).
    pub staged_bytes: u64,
}

impl CacheStats {
    pub(crate) fn add(&mut self, o: &CacheStats) {
        self.hits += o.hits;
        self.misses += o.misses;
        self.bytes_from_store += o.bytes_from_store;
        self.prefetched += o.prefetched;
        self.prefetched_used += o.prefetched_used;
        self.prefetched_wasted += o.prefetched_wasted;
        self.evictions += o.evictions;
        self.corrupt += o.corrupt;
        self.cached_bytes += o.cached_bytes;
        self.dirty_bytes += o.dirty_bytes;
        self.staged_bytes += o.staged_bytes;
    }
}

/// Monotonic counters of one partition.
#[derive(Default)]
pub(crate) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub bytes_from_store: AtomicU64,
    pub prefetched: AtomicU64,
    pub prefetched_used: AtomicU64,
    pub prefetched_wasted: AtomicU64,
    pub evictions: AtomicU64,
    pub corrupt: AtomicU64,
    pub dirty_bytes: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// Where a read's blocks are cached and how it may read ahead.
#[derive(Clone)]
pub(crate) struct ReadCtx {
    pub partition: Arc<Partition>,
    pub config: VolumeConfig,
}

/// Every partition of one engine.
pub(crate) struct BlockCache {
    root: PathBuf,
    parts: RwLock<HashMap<String, Arc<Partition>>>,
    /// Blocks being fetched, so concurrent readers of one block wait for one fetch.
    pub(crate) inflight: Mutex<HashMap<String, Arc<partition::Flight>>>,
    /// Keys dropped lately, oldest first: a read that resolved its session
    /// just before the session detached must not create the partition again
    /// (its directory would never be removed). Session ids are never reused,
    /// and no read stays in flight over `RECENT_DROPS` detaches.
    dropped: Mutex<(VecDeque<String>, HashSet<String>)>,
}

/// How many dropped keys `BlockCache` remembers.
const RECENT_DROPS: usize = 4096;

impl BlockCache {
    pub(crate) fn new(root: PathBuf) -> BlockCache {
        BlockCache {
            root,
            parts: RwLock::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            dropped: Mutex::new(Default::default()),
        }
    }

    /// The partition `key` (a mount session id or a volume id), created or
    /// loaded from disk on first use; its capacity follows the latest config.
    pub(crate) fn partition(&self, key: &str, volume_id: &str, config: &VolumeConfig) -> Arc<Partition> {
        if let Some(p) = self.parts.read().get(key) {
            p.set_capacity(config.cache_size);
            return p.clone();
        }
        let mut parts = self.parts.write();
        // Checked under the partitions' lock, which a drop holds while it records the key.
        if self.dropped.lock().1.contains(key) {
            return Arc::new(Partition::dropped(self.root.join(key), volume_id));
        }
        parts
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Partition::open(self.root.join(key), volume_id, config.cache_size)))
            .clone()
    }

    /// Removes the directory of a partition no session or volume owns, found
    /// at open. Not remembered as dropped: another process may create that id
    /// meanwhile (the caller checks it is still dead first).
    pub(crate) fn remove_stale(&self, key: &str) {
        let parts = self.parts.read();
        if !parts.contains_key(key) {
            let _ = std::fs::remove_dir_all(self.root.join(key));
        }
    }

    /// Drops a partition and its files (a released mount's cache).
    pub(crate) fn drop_partition(&self, key: &str) {
        let p = {
            let mut parts = self.parts.write();
            let mut d = self.dropped.lock();
            if d.1.insert(key.to_string()) {
                d.0.push_back(key.to_string());
                if d.0.len() > RECENT_DROPS
                    && let Some(old) = d.0.pop_front()
                {
                    d.1.remove(&old);
                }
            }
            parts.remove(key)
        };
        match p {
            Some(p) => p.clear(),
            None => {
                let _ = std::fs::remove_dir_all(self.root.join(key));
            }
        }
    }

    /// Sums the stats of the partitions that match `volume` (all when `None`).
    pub(crate) fn stats(&self, volume: Option<&str>) -> CacheStats {
        let mut out = CacheStats::default();
        for p in self.parts.read().values() {
            if volume.is_none_or(|v| v == p.volume_id()) {
                out.add(&p.stats());
            }
        }
        out
    }
}
