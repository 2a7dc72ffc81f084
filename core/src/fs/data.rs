//! File content: inline bytes for small files, else an ordered map of chunk index
//! to immutable block. Chunk `i` covers bytes `[i*block_size, i*block_size+len)`;
//! bytes of the file that no chunk covers read as zeros (sparse files).

use super::tree::Inode;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::store::{hash_block, refs};
use rusqlite::{Transaction, params};
use std::collections::BTreeMap;

/// A file's content at one version, limited to the chunks a caller asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Committed {
    pub size: u64,
    pub version: u64,
    pub inline: Option<Vec<u8>>,
    /// idx → (hash, len)
    pub chunks: BTreeMap<u64, (String, u64)>,
}

/// Index range of the chunks that bytes `[off, off+len)` touch (empty when len is 0).
pub(crate) fn chunk_span(off: u64, len: u64, bs: u64) -> std::ops::Range<u64> {
    if len == 0 {
        return 0..0;
    }
    off / bs..(off + len - 1) / bs + 1
}

/// Loads the content of `inode` for chunks in `span` (all chunks when `None`).
pub(crate) fn load(tx: &Transaction<'_>, owner: &str, inode: &Inode, span: Option<std::ops::Range<u64>>) -> Result<Committed> {
    let mut c = Committed { size: inode.size, version: inode.version, inline: inode.inline_data.clone(), chunks: BTreeMap::new() };
    if c.inline.is_some() {
        return Ok(c);
    }
    let (lo, hi) = span.map(|r| (r.start as i64, r.end as i64)).unwrap_or((0, i64::MAX));
    if lo >= hi {
        return Ok(c);
    }
    let mut stmt = tx.prepare_cached(
        "SELECT idx, hash, len FROM chunks WHERE owner = ?1 AND ino = ?2 AND idx >= ?3 AND idx < ?4 ORDER BY idx",
    )?;
    let mut rows = stmt.query(params![owner, inode.ino, lo, hi])?;
    while let Some(r) = rows.next()? {
        c.chunks.insert(r.get::<_, i64>(0)? as u64, (r.get(1)?, r.get::<_, i64>(2)? as u64));
    }
    Ok(c)
}

impl Engine {
    /// Fetches one block (verified against its hash).
    pub(crate) fn fetch_block(&self, hash: &str) -> Result<Vec<u8>> {
        self.inner.store.get(hash)
    }

    /// Stores one block and returns its hash.
    pub(crate) fn put_block(&self, data: &[u8]) -> Result<String> {
        let hash = hash_block(data);
        self.inner.store.put(&hash, data)?;
        Ok(hash)
    }

    /// Bytes `[off, off+len)` of committed content (clamped to its size), fetched from the store.
    pub(crate) fn assemble(&self, c: &Committed, off: u64, len: u64) -> Result<Vec<u8>> {
        let end = c.size.min(off.saturating_add(len));
        if off >= end {
            return Ok(Vec::new());
        }
        if let Some(inline) = &c.inline {
            let s = (off as usize).min(inline.len());
            let e = (end as usize).min(inline.len());
            let mut out = inline[s..e].to_vec();
            out.resize((end - off) as usize, 0);
            return Ok(out);
        }
        let bs = self.inner.opts.block_size;
        let mut out = vec![0u8; (end - off) as usize];
        for idx in chunk_span(off, end - off, bs) {
            let Some((hash, clen)) = c.chunks.get(&idx) else { continue };
            let cstart = idx * bs;
            let s = off.max(cstart);
            let e = end.min(cstart + clen);
            if s >= e {
                continue;
            }
            let block = self.fetch_block(hash)?;
            if block.len() as u64 != *clen {
                return Err(Error::corrupt(format!("block {hash} has {} bytes; its chunk says {clen}", block.len())));
            }
            out[(s - off) as usize..(e - off) as usize].copy_from_slice(&block[(s - cstart) as usize..(e - cstart) as usize]);
        }
        Ok(out)
    }

    /// The committed bytes of chunk `idx` (up to its end or the file size), for merges.
    pub(crate) fn chunk_bytes(&self, c: &Committed, idx: u64) -> Result<Vec<u8>> {
        let bs = self.inner.opts.block_size;
        let start = idx * bs;
        let end = c.size.min(start + bs);
        if start >= end {
            return Ok(Vec::new());
        }
        if let Some(inline) = &c.inline {
            let mut v = inline.get(start as usize..).unwrap_or(&[]).to_vec();
            v.resize((end - start) as usize, 0);
            return Ok(v);
        }
        match c.chunks.get(&idx) {
            None => Ok(vec![0; (end - start) as usize]),
            Some((hash, _)) => {
                let mut v = self.fetch_block(hash)?;
                v.resize((end - start) as usize, 0);
                Ok(v)
            }
        }
    }
}

/// A new chunk, its block already in the store.
#[derive(Debug, Clone)]
pub(crate) struct NewChunk {
    pub idx: u64,
    pub hash: String,
    pub len: u64,
}

/// Replaces chunk rows of a file: drops the rows of `drop` (all when `None`) and
/// of every index in `new`, then inserts `new`; block references follow.
pub(crate) fn replace_chunks(
    tx: &Transaction<'_>,
    owner: &str,
    ino: i64,
    drop: Option<&[u64]>,
    new: &[NewChunk],
) -> Result<()> {
    let mut victims: Vec<String> = Vec::new();
    {
        let mut del_one = tx.prepare_cached("DELETE FROM chunks WHERE owner = ?1 AND ino = ?2 AND idx = ?3 RETURNING hash")?;
        match drop {
            None => {
                let mut del_all = tx.prepare_cached("DELETE FROM chunks WHERE owner = ?1 AND ino = ?2 RETURNING hash")?;
                let rows = del_all.query_map(params![owner, ino], |r| r.get::<_, String>(0))?;
                for h in rows {
                    victims.push(h?);
                }
            }
            Some(list) => {
                for idx in list {
                    let rows = del_one.query_map(params![owner, ino, *idx as i64], |r| r.get::<_, String>(0))?;
                    for h in rows {
                        victims.push(h?);
                    }
                }
            }
        }
        for n in new {
            let rows = del_one.query_map(params![owner, ino, n.idx as i64], |r| r.get::<_, String>(0))?;
            for h in rows {
                victims.push(h?);
            }
        }
    }
    let mut ins = tx.prepare_cached("INSERT INTO chunks (owner, ino, idx, hash, len) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for n in new {
        refs::acquire(tx, &n.hash, n.len)?;
        ins.execute(params![owner, ino, n.idx as i64, n.hash, n.len as i64])?;
    }
    for h in victims {
        refs::release(tx, &h)?;
    }
    Ok(())
}

/// True when every new chunk's block is safe to reference: either the catalog
/// already holds a live reference, or the block is in the store. A block whose
/// count was zero may have been deleted by gc after it was stored; the caller
/// stores it again.
pub(crate) fn blocks_present(tx: &Transaction<'_>, store: &dyn crate::store::BlockStore, new: &[NewChunk]) -> Result<bool> {
    let mut live = tx.prepare_cached("SELECT 1 FROM blocks WHERE hash = ?1 AND refcount > 0")?;
    for n in new {
        if !live.exists([&n.hash])? && !store.exists(&n.hash)? {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::chunk_span;

    #[test]
    fn spans() {
        assert_eq!(chunk_span(0, 0, 4), 0..0);
        assert_eq!(chunk_span(0, 4, 4), 0..1);
        assert_eq!(chunk_span(3, 2, 4), 0..2);
        assert_eq!(chunk_span(8, 9, 4), 2..5);
    }
}
