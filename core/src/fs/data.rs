//! File content: inline bytes for small files, else an ordered map of chunk index
//! to immutable block. Chunk `i` covers bytes `[i*block_size, i*block_size+len)`;
//! bytes of the file that no chunk covers read as zeros (sparse files).

use super::tree::Inode;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::cache::ReadCtx;
use crate::store::refs;
use rusqlite::{Connection, params};
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
pub(crate) fn load(tx: &Connection, owner: &str, inode: &Inode, span: Option<std::ops::Range<u64>>) -> Result<Committed> {
    let mut c = Committed { size: inode.size, version: inode.version, inline: None, chunks: BTreeMap::new() };
    if inode.inline {
        c.inline = Some(super::tree::inline_content(tx, owner, inode.ino)?);
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
    /// Bytes `[off, off+len)` of committed content (clamped to its size), read
    /// through the cache; missing blocks are fetched in parallel, as many at a
    /// time as the mount's buffer_size holds.
    pub(crate) fn assemble(&self, ctx: &ReadCtx, c: &Committed, off: u64, len: u64) -> Result<Vec<u8>> {
        let end = c.size.min(off.saturating_add(len));
        if off >= end {
            return Ok(Vec::new());
        }
        let mut out = vec![0u8; (end - off) as usize];
        self.assemble_into(ctx, c, off, &mut out)?;
        Ok(out)
    }

    /// Fills `dst` with the bytes at `off` of committed content; what lies past the
    /// content's end, or in a hole, reads as zeros (`dst` may hold old bytes).
    pub(crate) fn assemble_into(&self, ctx: &ReadCtx, c: &Committed, off: u64, dst: &mut [u8]) -> Result<()> {
        let end = c.size.min(off.saturating_add(dst.len() as u64));
        if off >= end {
            dst.fill(0);
            return Ok(());
        }
        let (out, past_end) = dst.split_at_mut((end - off) as usize);
        past_end.fill(0);
        if let Some(inline) = &c.inline {
            let s = (off as usize).min(inline.len());
            let e = (end as usize).min(inline.len());
            out[..e - s].copy_from_slice(&inline[s..e]);
            out[e - s..].fill(0);
            return Ok(());
        }
        let bs = self.inner.opts.block_size;
        // One task per chunk: the block, where in it to start, and the slice of `out` it fills.
        let mut tasks: Vec<(&str, u64, usize, &mut [u8])> = Vec::new();
        let mut rest: &mut [u8] = out;
        let mut pos = off;
        for idx in chunk_span(off, end - off, bs) {
            let cstart = idx * bs;
            let cend = end.min(cstart + bs);
            let (here, tail) = std::mem::take(&mut rest).split_at_mut((cend - pos) as usize);
            rest = tail;
            let filled = match c.chunks.get(&idx) {
                Some((_, clen)) => (cstart + clen).min(cend).saturating_sub(pos) as usize,
                None => 0,
            };
            let (data, hole) = here.split_at_mut(filled);
            hole.fill(0);
            if let Some((hash, clen)) = c.chunks.get(&idx)
                && filled > 0
            {
                tasks.push((hash.as_str(), *clen, (pos - cstart) as usize, data));
            }
            pos = cend;
        }
        let missing = tasks.iter().filter(|t| !ctx.partition.contains(t.0)).count();
        let parallel = ((ctx.config.buffer_size / bs) as usize).clamp(1, 16).min(missing);
        let run = |(hash, clen, from, dst): (&str, u64, usize, &mut [u8])| -> Result<()> {
            let block = self.block(ctx, hash, false)?;
            if block.len() as u64 != clen {
                return Err(Error::corrupt(format!("block {hash} has {} bytes; its chunk says {clen}", block.len())));
            }
            dst.copy_from_slice(&block[from..from + dst.len()]);
            Ok(())
        };
        if parallel <= 1 {
            tasks.into_iter().try_for_each(run)?;
        } else {
            // Missing blocks are fetched `parallel` at a time, each copied as it lands.
            let queue = parking_lot::Mutex::new(tasks.into_iter());
            let failed: parking_lot::Mutex<Option<Error>> = parking_lot::Mutex::new(None);
            std::thread::scope(|s| {
                for _ in 0..parallel {
                    s.spawn(|| {
                        loop {
                            let Some(t) = queue.lock().next() else { break };
                            if let Err(e) = run(t) {
                                failed.lock().get_or_insert(e);
                                break;
                            }
                        }
                    });
                }
            });
            if let Some(e) = failed.into_inner() {
                return Err(e);
            }
        }
        Ok(())
    }

    /// The committed bytes of chunk `idx` (up to its end or the file size), for merges.
    pub(crate) fn chunk_bytes(&self, ctx: &ReadCtx, c: &Committed, idx: u64) -> Result<Vec<u8>> {
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
                let mut v = self.block(ctx, hash, false)?.to_vec();
                v.resize((end - start) as usize, 0);
                Ok(v)
            }
        }
    }
}

/// Hashes of the chunks after `after` (exclusive), up to `n`, for read-ahead.
pub(crate) fn following(tx: &Connection, owner: &str, ino: i64, after: u64, n: u64) -> Result<Vec<String>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = tx.prepare_cached(
        "SELECT hash FROM chunks WHERE owner = ?1 AND ino = ?2 AND idx > ?3 AND idx <= ?4 ORDER BY idx",
    )?;
    let rows = stmt.query_map(params![owner, ino, after as i64, (after + n) as i64], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    tx: &Connection,
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
