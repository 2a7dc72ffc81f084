//! Garbage collection of unreferenced blocks, and `fsck`, the consistency check
//! between catalog and block store.

use crate::engine::Engine;
use crate::error::Result;
use crate::util::now_ms;
use rusqlite::params;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Default time an unreferenced block is kept before `gc` deletes it, so a
/// reader or writer racing with a rewrite still finds it.
pub const DEFAULT_GC_GRACE: Duration = Duration::from_secs(600);

/// What `gc` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Blocks deleted from the store.
    pub blocks_deleted: u64,
    /// Bytes those blocks held.
    pub bytes_freed: u64,
}

/// What `fsck` found; empty lists mean a consistent data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FsckReport {
    /// Chunks naming a block that is missing from the catalog or the store: "owner/ino/idx -> hash".
    pub dangling: Vec<String>,
    /// Blocks in the store that nothing references (gc frees them).
    pub leaked_blocks: Vec<String>,
    /// Blocks whose stored reference count differs from the chunks naming them: "hash stored=a actual=b".
    pub refcount_drift: Vec<String>,
    /// Volumes whose used_bytes or file_count differ from their files: "vol field stored=a actual=b".
    pub counter_drift: Vec<String>,
    /// Inodes no directory entry reaches, or entries naming missing inodes: "owner/ino".
    pub orphans: Vec<String>,
}

impl FsckReport {
    /// True when nothing but leaked blocks (harmless until gc) was found.
    pub fn is_clean(&self) -> bool {
        self.dangling.is_empty() && self.refcount_drift.is_empty() && self.counter_drift.is_empty() && self.orphans.is_empty()
    }
}

impl Engine {
    /// Deletes blocks no chunk references, once unreferenced for at least `grace`.
    ///
    /// Runs under the catalog's write lock, so no writer can take a new reference
    /// to a block between the check and the delete (writers re-check that a
    /// revived block still exists before committing).
    pub fn gc(&self, grace: Duration) -> Result<GcReport> {
        self.check_open()?;
        let span = tracing::info_span!("gc");
        let _g = span.enter();
        // Saturating: a grace longer than i64 milliseconds (Duration::MAX from C
        // or a huge float from Python) means "keep everything", never a cutoff
        // wrapped into the future that would delete young blocks.
        let cutoff = now_ms().saturating_sub(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
        let store = self.inner.store.clone();
        let listed = store.list()?;
        self.inner.catalog.write(|tx| {
            let mut report = GcReport::default();
            let rows: Vec<(String, i64)> = tx
                .prepare("SELECT hash, size FROM blocks WHERE refcount <= 0 AND zero_since <= ?1")?
                .query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut deleted = BTreeSet::new();
            for (hash, size) in rows {
                tx.execute("DELETE FROM blocks WHERE hash = ?1 AND refcount <= 0", [&hash])?;
                store.delete(&hash)?;
                deleted.insert(hash);
                report.blocks_deleted += 1;
                report.bytes_freed += size as u64;
            }
            let mut known = tx.prepare_cached("SELECT 1 FROM blocks WHERE hash = ?1")?;
            for hash in listed {
                if deleted.contains(&hash) || known.exists([&hash])? {
                    continue;
                }
                // A block stored moments ago may belong to a write not yet committed.
                if store.age(&hash)?.is_some_and(|age| age < grace) {
                    continue;
                }
                let size = store.size(&hash)?.unwrap_or(0);
                store.delete(&hash)?;
                report.blocks_deleted += 1;
                report.bytes_freed += size;
            }
            Ok(report)
        })
    }

    /// Checks catalog against store: dangling chunks, leaked blocks, refcount and counter drift, orphans.
    pub fn fsck(&self) -> Result<FsckReport> {
        self.check_open()?;
        let span = tracing::info_span!("fsck");
        let _g = span.enter();
        let in_store: BTreeSet<String> = self.inner.store.list()?.into_iter().collect();
        self.inner.catalog.read(|tx| {
            let mut rep = FsckReport::default();
            let mut actual: BTreeMap<String, i64> = BTreeMap::new();
            let mut stmt = tx.prepare("SELECT c.owner, c.ino, c.idx, c.hash, b.hash FROM chunks c LEFT JOIN blocks b ON b.hash = c.hash")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (owner, ino, idx, hash): (String, i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let row: Option<String> = r.get(4)?;
                *actual.entry(hash.clone()).or_default() += 1;
                // Staged and not uploaded yet (here or by another engine on this data directory) counts as present.
                let present = || in_store.contains(&hash) || self.inner.staging.holds(&hash) || self.inner.staging.read_other(&hash).is_some();
                if row.is_none() || !present() {
                    rep.dangling.push(format!("{owner}/{ino}/{idx} -> {hash}"));
                }
            }
            let mut stmt = tx.prepare("SELECT hash, refcount FROM blocks")?;
            let mut rows = stmt.query([])?;
            let mut referenced = BTreeSet::new();
            while let Some(r) = rows.next()? {
                let (hash, stored): (String, i64) = (r.get(0)?, r.get(1)?);
                let a = actual.get(&hash).copied().unwrap_or(0);
                if a != stored {
                    rep.refcount_drift.push(format!("{hash} stored={stored} actual={a}"));
                }
                if a > 0 {
                    referenced.insert(hash);
                }
            }
            rep.leaked_blocks = in_store.iter().filter(|h| !referenced.contains(*h)).cloned().collect();
            let mut stmt = tx.prepare(
                "SELECT v.id, v.used_bytes, v.file_count,
                        (SELECT COALESCE(SUM(size), 0) FROM inodes i WHERE i.owner = v.id AND i.kind = 'file'),
                        (SELECT COUNT(*) FROM inodes i WHERE i.owner = v.id AND i.kind = 'file')
                 FROM volumes v",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (id, ub, fc, aub, afc): (String, i64, i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                if ub != aub {
                    rep.counter_drift.push(format!("{id} used_bytes stored={ub} actual={aub}"));
                }
                if fc != afc {
                    rep.counter_drift.push(format!("{id} file_count stored={fc} actual={afc}"));
                }
            }
            let mut stmt = tx.prepare(
                "SELECT i.owner, i.ino FROM inodes i WHERE i.ino <> 1
                   AND NOT EXISTS (SELECT 1 FROM dentries d WHERE d.owner = i.owner AND d.ino = i.ino)
                 UNION ALL
                 SELECT d.owner, d.ino FROM dentries d
                   WHERE NOT EXISTS (SELECT 1 FROM inodes i WHERE i.owner = d.owner AND i.ino = d.ino)",
            )?;
            let mut rows = stmt.query(params![])?;
            while let Some(r) = rows.next()? {
                rep.orphans.push(format!("{}/{}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?));
            }
            Ok(rep)
        })
    }
}
