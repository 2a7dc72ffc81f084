//! Counters exposed through `Engine::stats()`.

use crate::engine::Engine;
use crate::cache::CacheStats;
use crate::error::Result;
use serde::Serialize;

/// Engine-wide counts read from the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// User volumes.
    pub volumes: u64,
    /// Sandboxes not yet released.
    pub sandboxes: u64,
    /// Active mount sessions.
    pub active_mounts: u64,
    /// Distinct blocks referenced by the catalog.
    pub blocks: u64,
    /// Bytes those blocks hold (each stored once, however many files share it).
    pub block_bytes: u64,
    /// Sum of used_bytes over user volumes.
    pub used_bytes: u64,
    /// Cache, buffer and writeback counters of this engine (this process).
    pub cache: CacheStats,
}

impl Engine {
    /// Engine-wide counters.
    pub fn stats(&self) -> Result<Stats> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            let q = |sql: &str| -> Result<u64> { Ok(tx.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
            Ok(Stats {
                volumes: q("SELECT COUNT(*) FROM volumes WHERE kind = 'user'")?,
                sandboxes: q("SELECT COUNT(*) FROM sandboxes WHERE state <> 'released'")?,
                active_mounts: q("SELECT COUNT(*) FROM mounts WHERE state NOT IN ('unmounted', 'released', 'failed')")?,
                blocks: q("SELECT COUNT(*) FROM blocks WHERE refcount > 0")?,
                block_bytes: q("SELECT COALESCE(SUM(size), 0) FROM blocks WHERE refcount > 0")?,
                // Summed here, saturating: SQLite's SUM fails on i64 overflow.
                used_bytes: tx
                    .prepare_cached("SELECT used_bytes FROM volumes WHERE kind = 'user'")?
                    .query_map([], |r| r.get::<_, i64>(0))?
                    .try_fold(0u64, |sum, v| v.map(|v| sum.saturating_add(v.max(0) as u64)))?,
                cache: self.cache_stats(None),
            })
        })
    }

    /// Cache, buffer and writeback counters of one volume (all its mounts and direct access).
    pub fn volume_stats(&self, volume: &str) -> Result<CacheStats> {
        self.check_open()?;
        let v = self.get_volume(volume)?;
        Ok(self.cache_stats(Some(&v.id)))
    }

    fn cache_stats(&self, volume: Option<&str>) -> CacheStats {
        let mut s = self.inner.cache.stats(volume);
        // Staged blocks are not tied to one volume (identical blocks are shared).
        s.staged_bytes = self.inner.staging.staged_bytes();
        s
    }
}
