//! Block reads and writes as the filesystem sees them: cache first, then the
//! writeback journal, then the store; writes go to the journal (writeback) or
//! straight to the store (write-through).

use super::partition::{BlockBytes, Flight};
use super::{Counters, ReadCtx};
use crate::config::VolumeConfig;
use crate::engine::Engine;
use crate::error::Result;
use crate::store::{hash_block, verify_block};
use std::sync::Arc;
use std::time::Duration;

/// Attempts at uploading a staged block before leaving it for the next open.
const UPLOAD_ATTEMPTS: u32 = 5;

/// `data` (verified) as a mapping of its cache file, if it could be cached.
/// A block that cannot be cached (the cache full of bigger ones, its disk
/// failing, the session detached meanwhile) is still the read's data: the
/// cache speeds reads up, it never fails them.
fn cached(ctx: &ReadCtx, hash: &str, data: &[u8], prefetched: bool) -> Option<BlockBytes> {
    match ctx.partition.insert(hash, data, prefetched) {
        Ok(m) => m.map(BlockBytes::Mapped),
        Err(e) => {
            tracing::warn!(hash, error = %e, "block read but not cached");
            None
        }
    }
}

impl Engine {
    /// The cache context for reads through partition `key` of `volume_id`.
    pub(crate) fn read_ctx(&self, key: &str, volume_id: &str, config: &VolumeConfig) -> ReadCtx {
        ReadCtx { partition: self.inner.cache.partition(key, volume_id, config), config: *config }
    }

    /// One whole block: a cache hit, or a fetch (shared with concurrent readers
    /// of the same block) that is verified and then cached.
    pub(crate) fn block(&self, ctx: &ReadCtx, hash: &str, prefetched: bool) -> Result<BlockBytes> {
        if let Some(m) = ctx.partition.get(hash) {
            return Ok(BlockBytes::Mapped(m));
        }
        let (flight, leader) = {
            let mut inflight = self.inner.cache.inflight.lock();
            match inflight.get(hash) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(Flight::new());
                    inflight.insert(hash.to_string(), f.clone());
                    (f, true)
                }
            }
        };
        if !leader {
            let got = flight.wait()?;
            // The leader may have cached it in another partition: cache it here too.
            return Ok(cached(ctx, hash, &got, false).unwrap_or(got));
        }
        let out = self.fetch_into_cache(ctx, hash, prefetched);
        flight.finish(&out);
        self.inner.cache.inflight.lock().remove(hash);
        out
    }

    fn fetch_into_cache(&self, ctx: &ReadCtx, hash: &str, prefetched: bool) -> Result<BlockBytes> {
        let c = &ctx.partition.counters;
        if !prefetched {
            Counters::bump(&c.misses, 1);
        }
        let from_store = || {
            let d = self.inner.store.get(hash)?;
            Counters::bump(&c.bytes_from_store, d.len() as u64);
            Ok::<_, crate::Error>(d)
        };
        let data = match self.inner.staging.read(hash) {
            Some(d) => d,
            None => match from_store() {
                Ok(d) => d,
                // Another engine on this data directory may have staged it (writeback)
                // and not uploaded it yet; or uploaded it just now, hence the retry.
                Err(e) => match self.inner.staging.read_other(hash) {
                    Some(d) => d,
                    None => from_store().map_err(|_| e)?,
                },
            },
        };
        verify_block(hash, &data)?;
        Ok(cached(ctx, hash, &data, prefetched).unwrap_or_else(|| BlockBytes::Owned(Arc::new(data))))
    }

    /// Fetches blocks in the background so a later read hits the cache.
    pub(crate) fn prefetch(&self, ctx: &ReadCtx, hashes: Vec<String>) {
        for hash in hashes {
            if ctx.partition.contains(&hash) || self.inner.cache.inflight.lock().contains_key(&hash) {
                continue;
            }
            let (engine, ctx) = (self.clone(), ctx.clone());
            let _ = self.spawn_blocking(move || {
                if let Err(e) = engine.block(&ctx, &hash, true) {
                    tracing::debug!(hash, error = %e, "prefetch failed");
                }
            });
        }
    }

    /// Stores a block: fsynced into the journal and uploaded in the background
    /// (writeback), or written to the store before returning (write-through).
    pub(crate) fn put_block(&self, config: &VolumeConfig, data: &[u8]) -> Result<String> {
        let hash = hash_block(data);
        if config.writeback {
            if self.inner.staging.stage(&hash, data)? {
                let engine = self.clone();
                let h = hash.clone();
                self.spawn_blocking(move || {
                    for attempt in 0..UPLOAD_ATTEMPTS {
                        match engine.inner.staging.upload(&h) {
                            Ok(()) => return,
                            Err(e) => {
                                tracing::warn!(hash = %h, attempt, error = %e, "upload failed");
                                std::thread::sleep(Duration::from_millis(100 << attempt));
                            }
                        }
                    }
                })?;
            }
        } else {
            self.inner.store.put(&hash, data)?;
        }
        Ok(hash)
    }

    /// Waits until every block acknowledged in writeback mode is uploaded.
    pub(crate) fn flush_uploads(&self, timeout: Duration) -> bool {
        self.inner.staging.wait_idle(timeout)
    }
}
