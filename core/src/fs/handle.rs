//! Open files: positional reads and writes for files larger than memory.
//!
//! Writes collect in whole-chunk buffers. When half the mount's buffer_size is
//! dirty, those chunks become a batch stored as blocks on the background pool
//! while the writer fills the other half (so hashing, writing and fsyncing
//! overlap with the caller); a batch is committed (one metadata transaction)
//! before the next one starts, and `flush`/`close` wait for the last one.
//! Unlike `write_file`, a handle gives POSIX-like semantics: each flush
//! publishes the chunks it wrote.

use super::changes;
use super::counters::{Delta, bump};
use super::data::{self, NewChunk, chunk_span};
use super::ops::{info, lookup};
use super::route::{Target, route};
use super::tree::{self, FileKind};
use super::{ChangeKind, FileInfo, OpenOptions};
use crate::cache::{Counters, ReadCtx};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::util::now_ms;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An open file. `Send + Sync`; operations on one handle are serialized.
pub struct FileHandle {
    engine: Engine,
    ctx: ReadCtx,
    owner: String,
    ino: i64,
    path: String,
    vpath: String,
    readable: bool,
    writable: bool,
    append: bool,
    buffer_size: u64,
    state: Mutex<State>,
}

struct State {
    /// Size including unflushed writes.
    size: u64,
    /// Size as last committed by this handle (or seen at open).
    committed_size: u64,
    /// Dirty chunks by index, each holding the chunk's bytes from its start.
    dirty: BTreeMap<u64, Vec<u8>>,
    dirty_bytes: u64,
    /// Batches being stored in the background, oldest first; committed in that order.
    pending: std::collections::VecDeque<Batch>,
    closed: bool,
    /// End of the last read, to tell sequential reads from random ones.
    last_read_end: Option<u64>,
}

/// Chunks handed to the background pool as blocks; committed together once all are stored.
struct Batch {
    /// The chunks' bytes, kept so reads and partial writes through this handle see them until the commit.
    chunks: BTreeMap<u64, Arc<Vec<u8>>>,
    bytes: u64,
    /// The file size the commit publishes.
    size: u64,
    done: crossbeam::channel::Receiver<Result<NewChunk>>,
}

impl Batch {
    /// Waits until every chunk is stored; the first failure wins.
    fn wait(&self) -> Result<Vec<NewChunk>> {
        let mut new = Vec::with_capacity(self.chunks.len());
        let mut failed = None;
        for _ in 0..self.chunks.len() {
            match self.done.recv() {
                Ok(Ok(c)) => new.push(c),
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(_) => failed = failed.or(Some(Error::internal("a block store job vanished"))),
            }
        }
        new.sort_by_key(|c| c.idx);
        failed.map_or(Ok(new), Err)
    }
}

impl std::fmt::Debug for FileHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHandle").field("path", &self.path).field("owner", &self.owner).finish()
    }
}

impl Engine {
    /// Opens a file for positional reads and writes (see [`OpenOptions::from_mode`]).
    pub fn open_file(&self, target: Target<'_>, path: &str, opts: OpenOptions) -> Result<FileHandle> {
        self.check_open()?;
        if !opts.read && !opts.write {
            return Err(Error::invalid_argument(format!("open of {path:?} asks for neither read nor write")));
        }
        let (owner, ino, size, shown, vpath, r) = self.inner.catalog.write(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            if opts.write {
                r.check_writable()?;
            }
            let shown = r.shown();
            let vpath = r.volume_path(&r.rel);
            let cur = lookup(tx, &r, true)?;
            let i = match cur {
                Some(i) if opts.create && opts.exclusive => {
                    let _ = i;
                    return Err(Error::already_exists(format!("path {shown:?} already exists")));
                }
                Some(i) => i,
                None if opts.create => {
                    let res = tree::resolve(tx, &r.owner, r.root, &r.comps(), true, &shown)?;
                    let b = bump(tx, &r.owner, Delta { new_inode: true, files: 1, ..Default::default() }, &shown)?;
                    let seq = b.seq;
                    let ino = tree::create_inode(tx, &r.owner, b.ino, res.parent, &res.name, FileKind::File, 0o644, seq, None, now_ms())?;
                    changes::record(tx, &r.owner, seq, &vpath, ChangeKind::Write, None)?;
                    tree::get(tx, &r.owner, ino)?
                }
                None => return Err(Error::not_found(format!("path {shown:?} not found"))),
            };
            match i.kind {
                FileKind::Dir => return Err(Error::is_a_directory(format!("path {shown:?} is a directory"))),
                FileKind::Symlink => return Err(Error::not_found(format!("path {shown:?} is a dangling symlink"))),
                FileKind::File => {}
            }
            let mut size = i.size;
            if opts.truncate && size > 0 {
                let seq = bump(tx, &r.owner, Delta { bytes: -(size as i64), ..Default::default() }, &shown)?.seq;
                data::replace_chunks(tx, &r.owner, i.ino, None, &[])?;
                tree::set_content(tx, &r.owner, i.ino, 0, None, seq, now_ms())?;
                changes::record(tx, &r.owner, seq, &vpath, ChangeKind::Write, None)?;
                size = 0;
            }
            Ok((r.owner.clone(), i.ino, size, shown, vpath, r))
        })?;
        let buffer_size = r.config.buffer_size;
        Ok(FileHandle {
            engine: self.clone(),
            ctx: r.ctx(self),
            owner,
            ino,
            path: shown,
            vpath,
            readable: opts.read,
            writable: opts.write,
            append: opts.append,
            buffer_size,
            state: Mutex::new(State {
                size,
                committed_size: size,
                dirty: BTreeMap::new(),
                dirty_bytes: 0,
                pending: std::collections::VecDeque::new(),
                closed: false,
                // A first read at offset 0 starts a sequential stream, as Linux readahead assumes.
                last_read_end: Some(0),
            }),
        })
    }
}

impl FileHandle {
    /// The path this handle was opened at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Current size, including writes not yet flushed.
    pub fn size(&self) -> u64 {
        self.state.lock().size
    }

    fn check(&self, st: &State, write: bool) -> Result<()> {
        self.engine.check_open()?;
        if st.closed {
            return Err(Error::invalid_state(format!("file handle for {:?} is closed", self.path)));
        }
        if write && !self.writable {
            return Err(Error::invalid_state(format!("file handle for {:?} was not opened for writing", self.path)));
        }
        if !write && !self.readable {
            return Err(Error::invalid_state(format!("file handle for {:?} was not opened for reading", self.path)));
        }
        Ok(())
    }

    fn committed(&self, span: std::ops::Range<u64>) -> Result<data::Committed> {
        self.engine.inner.catalog.read(|tx| {
            let i = tree::get_opt(tx, &self.owner, self.ino)?
                .ok_or_else(|| Error::not_found(format!("file {:?} was removed while open", self.path)))?;
            data::load(tx, &self.owner, &i, Some(span))
        })
    }

    /// Reads up to `len` bytes at `offset`, seeing this handle's unflushed writes.
    ///
    /// Reads that continue where the previous one ended are sequential: they
    /// start background fetches of the blocks ahead, as many as buffer_size holds.
    pub fn read_at(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        let n = len.min(self.size().saturating_sub(offset));
        let mut out = vec![0u8; n as usize];
        let got = self.read_into(offset, &mut out)?;
        out.truncate(got);
        Ok(out)
    }

    /// Reads into the caller's buffer at `offset` and returns how many bytes were
    /// read (fewer at the end of the file): a cache hit is one copy from the
    /// mapping into `buf`, with no allocation.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut st = self.state.lock();
        self.check(&st, false)?;
        let end = st.size.min(offset.saturating_add(buf.len() as u64));
        if offset >= end {
            return Ok(0);
        }
        let bs = self.engine.inner.opts.block_size;
        let sequential = st.last_read_end == Some(offset);
        st.last_read_end = Some(end);
        let ahead_n = if sequential { (self.ctx.config.buffer_size / bs).max(1) } else { 0 };
        let (c, ahead) = self.engine.inner.catalog.read(|tx| {
            let i = tree::get_opt(tx, &self.owner, self.ino)?
                .ok_or_else(|| Error::not_found(format!("file {:?} was removed while open", self.path)))?;
            let ahead = data::following(tx, &self.owner, self.ino, (end - 1) / bs, ahead_n)?;
            Ok((data::load(tx, &self.owner, &i, Some(chunk_span(offset, end - offset, bs)))?, ahead))
        })?;
        if !ahead.is_empty() {
            self.engine.prefetch(&self.ctx, ahead);
        }
        let out = &mut buf[..(end - offset) as usize];
        self.engine.assemble_into(&self.ctx, &c, offset, out)?;
        // Newer than the committed bytes: the batches being stored, then the dirty chunks.
        let span = offset / bs..=(end - 1) / bs;
        let pending = st.pending.iter().flat_map(|b| b.chunks.range(span.clone()).map(|(i, c)| (*i, c.as_slice())));
        let dirty = st.dirty.range(span.clone()).map(|(i, c)| (*i, c.as_slice()));
        for (idx, chunk) in pending.chain(dirty) {
            let cstart = idx * bs;
            let s = offset.max(cstart);
            let e = end.min(cstart + chunk.len() as u64);
            if s < e {
                out[(s - offset) as usize..(e - offset) as usize]
                    .copy_from_slice(&chunk[(s - cstart) as usize..(e - cstart) as usize]);
            }
        }
        Ok(out.len())
    }

    /// Writes `bytes` at `offset` (at the end for append handles); returns the bytes written.
    ///
    /// Blocks when the dirty buffer would pass buffer_size: it flushes first.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<u64> {
        let mut st = self.state.lock();
        self.check(&st, true)?;
        if bytes.is_empty() {
            // As POSIX write(2): nothing written, nothing changes (not even the size past a hole).
            return Ok(0);
        }
        let offset = if self.append { st.size } else { offset };
        let bs = self.engine.inner.opts.block_size;
        let end = super::write_end(offset, bytes.len() as u64, &self.path)?;
        for idx in chunk_span(offset, bytes.len() as u64, bs) {
            let cstart = idx * bs;
            let s = offset.max(cstart);
            let e = end.min(cstart + bs);
            if !st.dirty.contains_key(&idx) {
                if st.dirty_bytes + bs > self.batch_limit() {
                    self.spill(&mut st, end)?;
                }
                let covers = s == cstart && (e == cstart + bs || e >= st.size);
                let base = if covers {
                    Vec::new()
                } else if let Some(c) = st.pending.iter().rev().find_map(|b| b.chunks.get(&idx)) {
                    c.as_ref().clone()
                } else if cstart >= st.committed_size {
                    Vec::new()
                } else {
                    self.engine.chunk_bytes(&self.ctx, &self.committed(idx..idx + 1)?, idx)?
                };
                st.dirty_bytes += base.len() as u64;
                Counters::bump(&self.ctx.partition.counters.dirty_bytes, base.len() as u64);
                st.dirty.insert(idx, base);
            }
            let buf = st.dirty.get_mut(&idx).expect("chunk was just buffered");
            let need = (e - cstart) as usize;
            let grew = need.saturating_sub(buf.len()) as u64;
            if buf.len() < need {
                buf.resize(need, 0);
            }
            buf[(s - cstart) as usize..need].copy_from_slice(&bytes[(s - offset) as usize..(e - offset) as usize]);
            st.dirty_bytes += grew;
            Counters::bump(&self.ctx.partition.counters.dirty_bytes, grew);
        }
        st.size = st.size.max(end);
        Ok(bytes.len() as u64)
    }

    /// Publishes buffered writes: blocks to the store, then one metadata commit.
    pub fn flush(&self) -> Result<()> {
        let mut st = self.state.lock();
        if st.closed {
            return Ok(());
        }
        self.engine.check_open()?;
        self.flush_locked(&mut st)
    }

    fn flush_locked(&self, st: &mut State) -> Result<()> {
        if st.dirty.is_empty() && st.pending.is_empty() && st.size == st.committed_size {
            return Ok(());
        }
        let span = tracing::debug_span!("flush", path = %self.path, dirty_bytes = st.dirty_bytes);
        let _g = span.enter();
        if st.pending.is_empty() && st.size <= self.engine.inner.opts.inline_threshold {
            return self.flush_inline(st);
        }
        self.submit(st);
        while !st.pending.is_empty() {
            self.settle(st)?;
        }
        Ok(())
    }

    /// Dirty bytes that make a batch: a quarter of buffer_size (at least a block),
    /// so up to three batches are stored while the writer fills the fourth.
    fn batch_limit(&self) -> u64 {
        let bs = self.engine.inner.opts.block_size;
        (self.buffer_size / 4).max(bs)
    }

    /// Makes room in the write buffer: commits the oldest batches until another
    /// fits, then starts storing the dirty chunks as a new batch. `writing_to`
    /// is the end of the write in progress: `st.size` does not cover it yet,
    /// and only a file that stays within the inline threshold is flushed inline
    /// (taking the size before the write dropped the chunks already buffered).
    fn spill(&self, st: &mut State, writing_to: u64) -> Result<()> {
        if st.size.max(writing_to) <= self.engine.inner.opts.inline_threshold {
            return self.flush_locked(st);
        }
        let room = self.buffer_size.saturating_sub(self.batch_limit());
        while !st.pending.is_empty() && st.pending.iter().map(|b| b.bytes).sum::<u64>() + st.dirty_bytes > room {
            self.settle(st)?;
        }
        self.submit(st);
        // After a failed batch its chunks came back to the dirty buffer, so the
        // batch just submitted can be larger than a batch: wait until what is in
        // flight fits buffer_size, or the chunk about to be buffered would take
        // the handle past buffer_size plus one block. (Without a failure the
        // loop above already keeps it within `room`, so this never waits.)
        while st.pending.iter().map(|b| b.bytes).sum::<u64>() > self.buffer_size {
            self.settle(st)?;
        }
        Ok(())
    }

    /// Hands the dirty chunks to the background pool as one batch.
    fn submit(&self, st: &mut State) {
        let (tx, rx) = crossbeam::channel::unbounded();
        let mut chunks = BTreeMap::new();
        for (idx, buf) in std::mem::take(&mut st.dirty) {
            let buf = Arc::new(buf);
            let (engine, config, data, tx) = (self.engine.clone(), self.ctx.config, buf.clone(), tx.clone());
            let job = move || {
                let r = engine.put_block(&config, &data).map(|hash| NewChunk { idx, hash, len: data.len() as u64 });
                let _ = tx.send(r);
            };
            if let Err(job) = self.engine.spawn_blocking_or_return(job) {
                job();
            }
            chunks.insert(idx, buf);
        }
        // A spill runs in the middle of a write, before `st.size` covers it: the
        // chunks' own ends count too, or the commit would cut them short.
        let bs = self.engine.inner.opts.block_size;
        let size = chunks.iter().map(|(idx, c)| idx * bs + c.len() as u64).fold(st.size, u64::max);
        st.pending.push_back(Batch { chunks, bytes: std::mem::take(&mut st.dirty_bytes), size, done: rx });
    }

    /// Waits for the oldest batch and commits it. If a block could not be
    /// stored, nothing more is committed: every batch still in flight is
    /// waited for and its chunks go back to the dirty buffer (unless rewritten
    /// since), so a later flush retries them in order.
    fn settle(&self, st: &mut State) -> Result<()> {
        let Some(batch) = st.pending.pop_front() else { return Ok(()) };
        let res = batch.wait().and_then(|new| self.commit(batch.size, &new));
        match res {
            Ok(()) => {
                self.ctx.partition.counters.dirty_bytes.fetch_sub(batch.bytes, std::sync::atomic::Ordering::Relaxed);
                st.committed_size = st.committed_size.max(batch.size);
                Ok(())
            }
            Err(e) => {
                // This batch was waited for above; the later ones still may have jobs running.
                let later: Vec<Batch> = std::mem::take(&mut st.pending).into();
                let mut released = batch.bytes;
                let mut back = batch.chunks;
                for b in later {
                    let _ = b.wait();
                    released += b.bytes;
                    back.extend(b.chunks);
                }
                for (idx, buf) in back {
                    if let std::collections::btree_map::Entry::Vacant(v) = st.dirty.entry(idx) {
                        released -= buf.len() as u64;
                        st.dirty_bytes += buf.len() as u64;
                        v.insert(Arc::try_unwrap(buf).unwrap_or_else(|b| b.as_ref().clone()));
                    }
                }
                self.ctx.partition.counters.dirty_bytes.fetch_sub(released, std::sync::atomic::Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// One metadata transaction that publishes this handle's writes: the file
    /// grows to at least `size`, `content` replaces what changed, and the change
    /// feed records it.
    fn publish(&self, size: u64, content: impl FnOnce(&rusqlite::Connection, &tree::Inode, u64, u64) -> Result<()>) -> Result<()> {
        self.engine.inner.catalog.write(|tx| {
            let cur = tree::get_opt(tx, &self.owner, self.ino)?
                .ok_or_else(|| Error::not_found(format!("file {:?} was removed while open", self.path)))?;
            let new_size = cur.size.max(size);
            let delta = Delta { bytes: new_size as i64 - cur.size as i64, ..Default::default() };
            let seq = bump(tx, &self.owner, delta, &self.path)?.seq;
            content(tx, &cur, new_size, seq)?;
            changes::record(tx, &self.owner, seq, &self.vpath, ChangeKind::Write, None)
        })
    }

    /// Publishes stored chunks and the new size.
    fn commit(&self, size: u64, new: &[NewChunk]) -> Result<()> {
        self.publish(size, |tx, cur, new_size, seq| {
            let old_inline = if cur.inline { tree::inline_content(tx, &self.owner, self.ino)? } else { Vec::new() };
            if !old_inline.is_empty() && !new.iter().any(|n| n.idx == 0) {
                // The file grew out of the catalog: its bytes become chunk 0.
                let hash = self.engine.put_block(&self.ctx.config, &old_inline)?;
                data::replace_chunks(tx, &self.owner, self.ino, Some(&[]), &[NewChunk { idx: 0, hash, len: old_inline.len() as u64 }])?;
            }
            data::replace_chunks(tx, &self.owner, self.ino, Some(&[]), new)?;
            tree::set_content(tx, &self.owner, self.ino, new_size, None, seq, now_ms())
        })
    }

    /// A file that fits the inline threshold: its whole content goes into the catalog.
    fn flush_inline(&self, st: &mut State) -> Result<()> {
        let mut content = self.engine.chunk_bytes(&self.ctx, &self.committed(0..1)?, 0)?;
        if let Some(buf) = st.dirty.get(&0) {
            if content.len() < buf.len() {
                content.resize(buf.len(), 0);
            }
            content[..buf.len()].copy_from_slice(buf);
        }
        content.resize(st.size as usize, 0);
        self.publish(st.size, |tx, _, new_size, seq| {
            data::replace_chunks(tx, &self.owner, self.ino, None, &[])?;
            tree::set_content(tx, &self.owner, self.ino, new_size, Some(&content), seq, now_ms())
        })?;
        st.dirty.clear();
        self.ctx.partition.counters.dirty_bytes.fetch_sub(st.dirty_bytes, std::sync::atomic::Ordering::Relaxed);
        st.dirty_bytes = 0;
        st.committed_size = st.size;
        Ok(())
    }

    /// Flushes and closes; later calls fail with `invalid_state`. Closing twice is allowed.
    pub fn close(&self) -> Result<()> {
        let mut st = self.state.lock();
        if st.closed {
            return Ok(());
        }
        let out = if self.engine.is_closed() { Ok(()) } else { self.flush_locked(&mut st) };
        st.closed = true;
        out
    }

    /// The file's committed info.
    pub fn stat(&self) -> Result<FileInfo> {
        self.engine.inner.catalog.read(|tx| {
            let i = tree::get_opt(tx, &self.owner, self.ino)?
                .ok_or_else(|| Error::not_found(format!("file {:?} was removed while open", self.path)))?;
            Ok(info(self.path.clone(), &i))
        })
    }

    /// Bytes held in the write buffer, including the batch being stored
    /// (bounded by buffer_size plus one block).
    pub fn dirty_bytes(&self) -> u64 {
        let st = self.state.lock();
        st.dirty_bytes + st.pending.iter().map(|b| b.bytes).sum::<u64>()
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        if let Err(e) = self.close()
            && e.code() != ErrorCode::InvalidState
        {
            tracing::warn!(path = %self.path, error = %e, "flush on drop failed; unflushed writes are lost");
        }
    }
}
