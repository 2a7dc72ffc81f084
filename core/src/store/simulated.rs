//! A block store wrapper that behaves like remote object storage: every request
//! waits a first-byte latency, and bytes move over one shared link of fixed
//! bandwidth. Tests and benchmarks use it to show what the cache, prefetch,
//! read-ahead and writeback buy before a real object store is wired in.

use super::{BlockHash, BlockStore};
use crate::error::Result;
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Object-storage-like latency and bandwidth in front of another store.
pub struct SimulatedStore {
    inner: Arc<dyn BlockStore>,
    first_byte: Duration,
    bytes_per_sec: u64,
    /// When the shared link is next free: transfers queue behind each other.
    link_free: Mutex<Instant>,
    gets: AtomicU64,
    puts: AtomicU64,
}

impl SimulatedStore {
    /// Wraps `inner` with `first_byte` latency per request and `bytes_per_sec` of shared bandwidth.
    pub fn new(inner: Arc<dyn BlockStore>, first_byte: Duration, bytes_per_sec: u64) -> SimulatedStore {
        SimulatedStore {
            inner,
            first_byte,
            bytes_per_sec: bytes_per_sec.max(1),
            link_free: Mutex::new(Instant::now()),
            gets: AtomicU64::new(0),
            puts: AtomicU64::new(0),
        }
    }

    /// Whole-block fetches served so far.
    pub fn gets(&self) -> u64 {
        self.gets.load(Ordering::Relaxed)
    }

    /// Block uploads served so far.
    pub fn puts(&self) -> u64 {
        self.puts.load(Ordering::Relaxed)
    }

    fn transfer(&self, bytes: u64) {
        std::thread::sleep(self.first_byte);
        let cost = Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec as f64);
        let done = {
            let mut free = self.link_free.lock();
            let start = (*free).max(Instant::now());
            *free = start + cost;
            *free
        };
        let now = Instant::now();
        if done > now {
            std::thread::sleep(done - now);
        }
    }
}

impl BlockStore for SimulatedStore {
    fn put(&self, hash: &str, data: &[u8]) -> Result<()> {
        self.transfer(data.len() as u64);
        self.puts.fetch_add(1, Ordering::Relaxed);
        self.inner.put(hash, data)
    }
    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        let data = self.inner.get(hash)?;
        self.transfer(data.len() as u64);
        self.gets.fetch_add(1, Ordering::Relaxed);
        Ok(data)
    }
    fn exists(&self, hash: &str) -> Result<bool> {
        std::thread::sleep(self.first_byte);
        self.inner.exists(hash)
    }
    fn delete(&self, hash: &str) -> Result<()> {
        self.inner.delete(hash)
    }
    fn list(&self) -> Result<Vec<BlockHash>> {
        self.inner.list()
    }
    fn age(&self, hash: &str) -> Result<Option<Duration>> {
        self.inner.age(hash)
    }
    fn size(&self, hash: &str) -> Result<Option<u64>> {
        self.inner.size(hash)
    }
}
