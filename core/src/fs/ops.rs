//! File operations by sandbox path or by volume path.
//!
//! Writes follow one pattern: read what the write depends on, store any new
//! blocks, then commit the metadata in one write transaction that re-checks the
//! file's version. Blocks are therefore durable before anything points at them,
//! and readers see a file's old or new content, never a mix.

use super::changes;
use super::counters::{self, Delta, bump, next_seq};
use super::data::{self, Committed, NewChunk, chunk_span};
use super::route::{Route, Target, route};
use super::tree::{self, FileKind, Inode};
use super::{ChangeEntry, ChangeKind, DirEntry, FileInfo, ListDirOptions, WriteMode, WriteOptions};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::path::check_name;
use crate::util::now_ms;
use crate::volume::{self, Page};
use rusqlite::{Connection, params};

/// How many times a write re-reads after losing a race before giving up.
const MAX_WRITE_ATTEMPTS: usize = 64;

pub(crate) fn info(path: String, i: &Inode) -> FileInfo {
    FileInfo {
        path,
        kind: i.kind,
        size: i.size,
        mode: i.mode,
        version: i.version,
        atime: i.atime,
        mtime: i.mtime,
        ctime: i.ctime,
        target: i.target.clone(),
    }
}

/// Looks up the inode at a route's path, following symlinks as asked.
pub(crate) fn lookup(tx: &Connection, r: &Route, follow: bool) -> Result<Option<Inode>> {
    let res = tree::resolve(tx, &r.owner, r.root, &r.comps(), follow, &r.shown())?;
    res.load(tx, &r.owner)
}

fn existing(tx: &Connection, r: &Route, follow: bool) -> Result<Inode> {
    lookup(tx, r, follow)?.ok_or_else(|| Error::not_found(format!("path {:?} not found", r.shown())))
}

/// What a planned write will put in place.
enum Plan {
    Inline(Vec<u8>),
    Chunks { drop_all: bool, new: Vec<NewChunk> },
}

/// Outcome of the commit step of a write.
enum Commit {
    Done(FileInfo),
    Retry,
}

impl Engine {
    /// Reads a whole file.
    pub fn read_file(&self, target: Target<'_>, path: &str) -> Result<Vec<u8>> {
        self.read_range(target, path, 0, u64::MAX)
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_range(&self, target: Target<'_>, path: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.check_open()?;
        let bs = self.inner.opts.block_size;
        let (c, r, ahead) = self.inner.catalog.read(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            let i = existing(tx, &r, true)?;
            match i.kind {
                FileKind::File => {}
                FileKind::Dir => return Err(Error::is_a_directory(format!("path {:?} is a directory", r.shown()))),
                FileKind::Symlink => return Err(Error::not_found(format!("path {:?} is a dangling symlink", r.shown()))),
            }
            let end = i.size.min(offset.saturating_add(len));
            let span = chunk_span(offset, end.saturating_sub(offset), bs);
            let ahead = match span.end {
                0 => Vec::new(),
                e => data::following(tx, &r.owner, i.ino, e - 1, r.config.prefetch as u64)?,
            };
            Ok((data::load(tx, &r.owner, &i, Some(span))?, r, ahead))
        })?;
        let ctx = r.ctx(self);
        // A read that touches an uncached block starts `prefetch` fetches of the blocks after it.
        if !ahead.is_empty() && c.chunks.values().any(|(h, _)| !ctx.partition.contains(h)) {
            self.prefetch(&ctx, ahead);
        }
        self.assemble(&ctx, &c, offset, len)
    }

    /// Writes a file atomically (readers see the old or the new content) and returns its new info.
    pub fn write_file(&self, target: Target<'_>, path: &str, bytes: &[u8], opts: &WriteOptions) -> Result<FileInfo> {
        self.check_open()?;
        let inline_max = self.inner.opts.inline_threshold;
        // Small writes that stay small need no block: one transaction does everything.
        if bytes.len() as u64 <= inline_max {
            let done = self.inner.catalog.write(|tx| {
                let r = route(tx, &self.inner.routes, target, path)?;
                r.check_writable()?;
                let shown = r.shown();
                let (res, cur) = resolve_for_write(tx, &r, opts, &shown)?;
                let old = cur.as_ref().map(|i| i.size).unwrap_or(0);
                let (off, len) = write_extent(opts.mode, old, bytes.len() as u64);
                let end = super::write_end(off, len, &shown)?;
                let new_size = if opts.mode == WriteMode::Truncate { len } else { old.max(end) };
                if new_size > inline_max {
                    return Ok(None);
                }
                let mut content = match (&cur, opts.mode) {
                    (_, WriteMode::Truncate) | (None, _) => Vec::new(),
                    (Some(i), _) => tree::inline_content(tx, &r.owner, i.ino)?,
                };
                content.resize(new_size as usize, 0);
                content[off as usize..off as usize + bytes.len()].copy_from_slice(bytes);
                apply_write(tx, &r, &res, cur.as_ref(), &Plan::Inline(content), new_size, &shown).map(Some)
            })?;
            if let Some(info) = done {
                return Ok(info);
            }
        }
        let bs = self.inner.opts.block_size;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            // 1. What the write depends on.
            let (pre, pre_ino, route0, shown) = self.inner.catalog.read(|tx| {
                let r = route(tx, &self.inner.routes, target, path)?;
                r.check_writable()?;
                let shown = r.shown();
                let (i, parents_pending) = match lookup(tx, &r, true) {
                    // Missing parents are created at commit.
                    Err(e) if e.code() == ErrorCode::NotFound && opts.parents => (None, true),
                    other => (other?, false),
                };
                // With parents still to create, the commit decides (it may fail
                // creating them, e.g. under a dangling symlink, with not_found):
                // checking `if_version` against a missing file here answered
                // `conflict` where the same write of a small file said `not_found`.
                if !parents_pending {
                    check_existing(i.as_ref(), opts, &shown)?;
                }
                let c = match &i {
                    None => Committed::default(),
                    Some(i) => {
                        let (off, len) = write_extent(opts.mode, i.size, bytes.len() as u64);
                        super::write_end(off, len, &shown)?;
                        // Only the chunks the write lands in partially are merged.
                        let span = chunk_span(off, len, bs);
                        let mut c = data::load(tx, &r.owner, i, Some(span.start..span.start + 1))?;
                        if span.end > span.start + 1 {
                            c.chunks.extend(data::load(tx, &r.owner, i, Some(span.end - 1..span.end))?.chunks);
                        }
                        c
                    }
                };
                Ok((c, i.map(|i| i.ino), r, shown))
            })?;
            let ctx = route0.ctx(self);
            // 2. New content and blocks (stored before any metadata points at them).
            let old_size = pre.size;
            let (off, len) = write_extent(opts.mode, old_size, bytes.len() as u64);
            let end = super::write_end(off, len, &shown)?;
            let new_size = match opts.mode {
                WriteMode::Truncate => len,
                _ => old_size.max(end),
            };
            let plan = if new_size <= inline_max {
                let mut content = if opts.mode == WriteMode::Truncate { Vec::new() } else { self.assemble(&ctx, &pre, 0, old_size)? };
                content.resize(new_size as usize, 0);
                content[off as usize..off as usize + bytes.len()].copy_from_slice(bytes);
                Plan::Inline(content)
            } else {
                let truncating = opts.mode == WriteMode::Truncate;
                let mut new = Vec::new();
                for idx in chunk_span(off, bytes.len() as u64, bs) {
                    let cstart = idx * bs;
                    let s = off.max(cstart);
                    let e = (off + bytes.len() as u64).min(cstart + bs);
                    let full = s == cstart && (e == cstart + bs || e >= new_size);
                    let beyond_old = pre.inline.is_none() && !pre.chunks.contains_key(&idx) && cstart >= old_size;
                    let mut chunk = if truncating || full || beyond_old { Vec::new() } else { self.chunk_bytes(&ctx, &pre, idx)? };
                    let need = (e - cstart) as usize;
                    if chunk.len() < need {
                        chunk.resize(need, 0);
                    }
                    chunk[(s - cstart) as usize..need].copy_from_slice(&bytes[(s - off) as usize..(e - off) as usize]);
                    let hash = self.put_block(&route0.config, &chunk)?;
                    new.push(NewChunk { idx, hash, len: chunk.len() as u64 });
                }
                // An inline file that grows past the threshold moves its bytes into chunk 0.
                if !truncating && pre.inline.is_some() && !new.iter().any(|n| n.idx == 0) && old_size > 0 {
                    let chunk = self.chunk_bytes(&ctx, &pre, 0)?;
                    let hash = self.put_block(&route0.config, &chunk)?;
                    new.push(NewChunk { idx: 0, hash, len: chunk.len() as u64 });
                }
                Plan::Chunks { drop_all: truncating || pre.inline.is_some(), new }
            };
            // 3. Commit, re-checking that nothing we depended on moved.
            let depends_on_old = opts.mode != WriteMode::Truncate;
            let outcome = self.inner.catalog.write(|tx| {
                let r = route(tx, &self.inner.routes, target, path)?;
                r.check_writable()?;
                let (res, cur) = resolve_for_write(tx, &r, opts, &shown)?;
                let cur_version = cur.as_ref().map(|i| i.version).unwrap_or(0);
                if r.owner != route0.owner || (depends_on_old && (cur.as_ref().map(|i| i.ino) != pre_ino || cur_version != pre.version)) {
                    return Ok(Commit::Retry);
                }
                apply_write(tx, &r, &res, cur.as_ref(), &plan, new_size, &shown).map(Commit::Done)
            })?;
            if let Commit::Done(fi) = outcome {
                return Ok(fi);
            }
        }
        Err(Error::conflict(format!("path {path:?} kept changing under {MAX_WRITE_ATTEMPTS} write attempts")))
    }

    /// File info; a symlink is reported as itself, not followed (like `lstat`).
    pub fn stat(&self, target: Target<'_>, path: &str) -> Result<FileInfo> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            let i = existing(tx, &r, false)?;
            Ok(info(r.shown(), &i))
        })
    }

    /// True when the path exists (a dangling symlink exists).
    pub fn exists(&self, target: Target<'_>, path: &str) -> Result<bool> {
        match self.stat(target, path) {
            Ok(_) => Ok(true),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Lists a directory in name order, one page at a time.
    pub fn list_dir(&self, target: Target<'_>, path: &str, opts: &ListDirOptions) -> Result<Page<DirEntry>> {
        self.check_open()?;
        let limit = match opts.limit {
            None => 1000,
            Some(n) if (1..=10_000).contains(&n) => n,
            Some(n) => return Err(Error::invalid_argument(format!("page limit {n} is not between 1 and 10000"))),
        };
        self.inner.catalog.read(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            let dir = existing(tx, &r, true)?;
            if dir.kind != FileKind::Dir {
                return Err(Error::not_a_directory(format!("path {:?} is not a directory", r.shown())));
            }
            let mut stmt = tx.prepare_cached(
                "SELECT d.name, i.kind, i.size, i.version, i.mtime FROM dentries d
                 JOIN inodes i ON i.owner = d.owner AND i.ino = d.ino
                 WHERE d.owner = ?1 AND d.parent = ?2 AND d.name > ?3 ORDER BY d.name LIMIT ?4",
            )?;
            let after = opts.cursor.clone().unwrap_or_default();
            let mut items = stmt
                .query_map(params![r.owner, dir.ino, after, limit as i64 + 1], |row| {
                    let kind: String = row.get(1)?;
                    Ok(DirEntry {
                        name: row.get(0)?,
                        kind: match kind.as_str() {
                            "dir" => FileKind::Dir,
                            "symlink" => FileKind::Symlink,
                            _ => FileKind::File,
                        },
                        size: row.get::<_, i64>(2)? as u64,
                        version: row.get::<_, i64>(3)? as u64,
                        mtime: row.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let next_cursor = if items.len() > limit {
                items.truncate(limit);
                items.last().map(|e| e.name.clone())
            } else {
                None
            };
            Ok(Page { items, next_cursor })
        })
    }

    /// Creates a directory; with `parents`, missing parents too and no error if it exists.
    pub fn mkdir(&self, target: Target<'_>, path: &str, parents: bool) -> Result<FileInfo> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            r.check_writable()?;
            let shown = r.shown();
            let comps = r.comps();
            if parents {
                let ino = tree::mkdir_all(tx, &r.owner, r.root, &comps, &r.prefix, now_ms(), &shown)?;
                return Ok(info(shown, &tree::get(tx, &r.owner, ino)?));
            }
            let res = tree::resolve(tx, &r.owner, r.root, &comps, true, &shown)?;
            if res.ino.is_some() {
                return Err(Error::already_exists(format!("path {shown:?} already exists")));
            }
            let b = counters::new_inode(tx, &r.owner)?;
            let seq = b.seq;
            let ino = tree::create_inode(tx, &r.owner, b.ino, res.parent, &res.name, FileKind::Dir, 0o755, seq, None, now_ms())?;
            changes::record(tx, &r.owner, seq, &r.volume_path(&r.rel), ChangeKind::Mkdir, None)?;
            Ok(info(shown, &tree::get(tx, &r.owner, ino)?))
        })
    }

    /// Removes a file, symlink or directory (non-empty only with `recursive`).
    pub fn remove(&self, target: Target<'_>, path: &str, recursive: bool) -> Result<()> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            r.check_writable()?;
            let shown = r.shown();
            if r.rel == "/" {
                return Err(Error::conflict(format!("path {shown:?} is the root of its mount and cannot be removed")));
            }
            let res = tree::resolve(tx, &r.owner, r.root, &r.comps(), false, &shown)?;
            let ino = res.ino.ok_or_else(|| Error::not_found(format!("path {shown:?} not found")))?;
            let i = tree::get(tx, &r.owner, ino)?;
            let mut doomed = vec![i.clone()];
            if i.kind == FileKind::Dir {
                let mut stack = vec![ino];
                while let Some(d) = stack.pop() {
                    let kids: Vec<i64> = tx
                        .prepare_cached("SELECT ino FROM dentries WHERE owner = ?1 AND parent = ?2")?
                        .query_map(params![r.owner, d], |row| row.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    if !kids.is_empty() && !recursive {
                        return Err(Error::directory_not_empty(format!("directory {shown:?} is not empty")));
                    }
                    for k in kids {
                        let ki = tree::get(tx, &r.owner, k)?;
                        if ki.kind == FileKind::Dir {
                            stack.push(k);
                        }
                        doomed.push(ki);
                    }
                }
            }
            let (mut bytes, mut files) = (0i64, 0i64);
            for d in &doomed {
                if d.kind == FileKind::File {
                    bytes += d.size as i64;
                    files += 1;
                    if !d.inline {
                        data::replace_chunks(tx, &r.owner, d.ino, None, &[])?;
                    }
                }
                if d.kind == FileKind::Dir {
                    tx.prepare_cached("DELETE FROM dentries WHERE owner = ?1 AND parent = ?2")?.execute(params![r.owner, d.ino])?;
                }
                tree::delete_inode(tx, &r.owner, d.ino)?;
            }
            tx.prepare_cached("DELETE FROM dentries WHERE owner = ?1 AND parent = ?2 AND name = ?3")?
                .execute(params![r.owner, res.parent, res.name])?;
            tree::touch_dir(tx, &r.owner, res.parent, now_ms())?;
            let seq = bump(tx, &r.owner, Delta { bytes: -bytes, files: -files, ..Default::default() }, &shown)?.seq;
            changes::record(tx, &r.owner, seq, &r.volume_path(&r.rel), ChangeKind::Remove, None)?;
            Ok(())
        })
    }

    /// Renames atomically within one volume (replacing a file, or an empty directory,
    /// at the destination); across volumes it is `cross_device`.
    pub fn rename(&self, target: Target<'_>, src: &str, dst: &str) -> Result<FileInfo> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let rs = route(tx, &self.inner.routes, target, src)?;
            let rd = route(tx, &self.inner.routes, target, dst)?;
            rs.check_writable()?;
            rd.check_writable()?;
            let (ss, ds) = (rs.shown(), rd.shown());
            if rs.owner != rd.owner {
                return Err(Error::cross_device(format!("rename {ss:?} -> {ds:?} crosses volumes")));
            }
            if rs.rel == "/" || rd.rel == "/" {
                return Err(Error::conflict(format!("rename {ss:?} -> {ds:?} moves a mount root")));
            }
            let from = tree::resolve(tx, &rs.owner, rs.root, &rs.comps(), false, &ss)?;
            let src_ino = from.ino.ok_or_else(|| Error::not_found(format!("path {ss:?} not found")))?;
            let to = tree::resolve(tx, &rd.owner, rd.root, &rd.comps(), false, &ds)?;
            if to.ino == Some(src_ino) {
                return Ok(info(ds, &tree::get(tx, &rs.owner, src_ino)?));
            }
            let si = tree::get(tx, &rs.owner, src_ino)?;
            if si.kind == FileKind::Dir && is_descendant(tx, &rs.owner, to.parent, src_ino)? {
                return Err(Error::invalid_argument(format!("rename {ss:?} -> {ds:?} moves a directory into itself")));
            }
            check_name(&to.name)?;
            let mut freed = Delta::default();
            if let Some(victim) = to.ino {
                let vi = tree::get(tx, &rd.owner, victim)?;
                match (si.kind == FileKind::Dir, vi.kind == FileKind::Dir) {
                    (true, false) => return Err(Error::not_a_directory(format!("rename destination {ds:?} is not a directory"))),
                    (false, true) => return Err(Error::is_a_directory(format!("rename destination {ds:?} is a directory"))),
                    (true, true) => {
                        let has: bool = tx.prepare_cached(
                            "SELECT EXISTS(SELECT 1 FROM dentries WHERE owner = ?1 AND parent = ?2)",
                        )?
                        .query_row(params![rd.owner, victim],
                        |row| row.get(0))?;
                        if has {
                            return Err(Error::directory_not_empty(format!("rename destination {ds:?} is not empty")));
                        }
                    }
                    (false, false) => {
                        if vi.kind == FileKind::File {
                            if !vi.inline {
                                data::replace_chunks(tx, &rd.owner, victim, None, &[])?;
                            }
                            freed = Delta { bytes: -(vi.size as i64), files: -1, ..Default::default() };
                        }
                    }
                }
                tree::delete_inode(tx, &rd.owner, victim)?;
                tx.prepare_cached("DELETE FROM dentries WHERE owner = ?1 AND parent = ?2 AND name = ?3")?.execute(params![rd.owner, to.parent, to.name])?;
            }
            let seq = bump(tx, &rs.owner, freed, &ds)?.seq;
            tx.prepare_cached(
                "UPDATE dentries SET parent = ?4, name = ?5 WHERE owner = ?1 AND parent = ?2 AND name = ?3",
            )?
            .execute(params![rs.owner, from.parent, from.name, to.parent, to.name])?;
            let now = now_ms();
            tx.prepare_cached("UPDATE inodes SET ctime = ?3, version = ?4 WHERE owner = ?1 AND ino = ?2")?.execute(params![rs.owner, src_ino, now, seq as i64])?;
            tree::touch_dir(tx, &rs.owner, from.parent, now)?;
            tree::touch_dir(tx, &rs.owner, to.parent, now)?;
            changes::record(tx, &rs.owner, seq, &rs.volume_path(&rs.rel), ChangeKind::Rename, Some(&rd.volume_path(&rd.rel)))?;
            Ok(info(ds, &tree::get(tx, &rs.owner, src_ino)?))
        })
    }

    /// Creates a symlink at `link` pointing to `target_path` (stored as given; only ever
    /// resolved inside the volume).
    pub fn symlink(&self, target: Target<'_>, target_path: &str, link: &str) -> Result<FileInfo> {
        self.check_open()?;
        if target_path.is_empty() || target_path.len() > crate::path::MAX_PATH_BYTES || target_path.contains('\0') {
            return Err(Error::invalid_argument(format!("symlink target {target_path:?} is empty, too long or has a NUL")));
        }
        self.inner.catalog.write(|tx| {
            let r = route(tx, &self.inner.routes, target, link)?;
            r.check_writable()?;
            let shown = r.shown();
            let res = tree::resolve(tx, &r.owner, r.root, &r.comps(), false, &shown)?;
            if res.ino.is_some() {
                return Err(Error::already_exists(format!("path {shown:?} already exists")));
            }
            let b = counters::new_inode(tx, &r.owner)?;
            let seq = b.seq;
            let ino = tree::create_inode(tx, &r.owner, b.ino, res.parent, &res.name, FileKind::Symlink, 0o777, seq, Some(target_path), now_ms())?;
            changes::record(tx, &r.owner, seq, &r.volume_path(&r.rel), ChangeKind::Symlink, None)?;
            Ok(info(shown, &tree::get(tx, &r.owner, ino)?))
        })
    }

    /// The target of a symlink, as stored.
    pub fn readlink(&self, target: Target<'_>, path: &str) -> Result<String> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            let i = existing(tx, &r, false)?;
            i.target.ok_or_else(|| Error::invalid_argument(format!("path {:?} is not a symlink", r.shown())))
        })
    }

    /// Sets access and/or modification time (ms since the epoch).
    pub fn set_times(&self, target: Target<'_>, path: &str, atime: Option<i64>, mtime: Option<i64>) -> Result<FileInfo> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let r = route(tx, &self.inner.routes, target, path)?;
            r.check_writable()?;
            let i = existing(tx, &r, true)?;
            let seq = next_seq(tx, &r.owner)?;
            tx.prepare_cached(
                "UPDATE inodes SET atime = ?3, mtime = ?4, ctime = ?5, version = ?6 WHERE owner = ?1 AND ino = ?2",
            )?
            .execute(params![r.owner, i.ino, atime.unwrap_or(i.atime), mtime.unwrap_or(i.mtime), now_ms(), seq as i64])?;
            changes::record(tx, &r.owner, seq, &r.volume_path(&r.rel), ChangeKind::Setattr, None)?;
            Ok(info(r.shown(), &tree::get(tx, &r.owner, i.ino)?))
        })
    }

    /// Changes of a volume after sequence `since`, oldest first, at most `limit` (default 1000).
    pub fn changes(&self, volume: &str, since: u64, limit: Option<usize>) -> Result<Vec<ChangeEntry>> {
        self.check_open()?;
        let limit = volume::page_limit(limit.or(Some(1000)).map(|l| l.min(volume::MAX_PAGE)))?;
        self.inner.catalog.read(|tx| {
            let v = volume::resolve(tx, volume)?;
            changes::since(tx, &v.id, since, limit)
        })
    }
}

/// Refuses a write to what exists at its path: a directory, or anything for an
/// exclusive create, or a version other than `if_version`.
fn check_existing(cur: Option<&Inode>, opts: &WriteOptions, shown: &str) -> Result<()> {
    match cur {
        Some(i) if i.kind == FileKind::Dir => return Err(Error::is_a_directory(format!("path {shown:?} is a directory"))),
        Some(_) if opts.mode == WriteMode::Exclusive => {
            return Err(Error::already_exists(format!("path {shown:?} already exists")));
        }
        _ => {}
    }
    let version = cur.map(|i| i.version).unwrap_or(0);
    if let Some(want) = opts.if_version
        && want != version
    {
        return Err(Error::conflict(format!("path {shown:?} is at version {version}, not the expected {want}")));
    }
    Ok(())
}

/// Resolves a write's target inside the write transaction (creating parents if
/// asked) and checks what exists there.
fn resolve_for_write(tx: &Connection, r: &Route, opts: &WriteOptions, shown: &str) -> Result<(tree::Resolved, Option<Inode>)> {
    let comps = r.comps();
    let res = match tree::resolve(tx, &r.owner, r.root, &comps, true, shown) {
        Err(e) if e.code() == ErrorCode::NotFound && opts.parents => {
            tree::mkdir_all(tx, &r.owner, r.root, &comps[..comps.len().saturating_sub(1)], &r.prefix, now_ms(), shown)?;
            tree::resolve(tx, &r.owner, r.root, &comps, true, shown)?
        }
        other => other?,
    };
    if res.name.is_empty() && res.ino.is_some() {
        return Err(Error::is_a_directory(format!("path {shown:?} is a directory")));
    }
    let cur = res.clone().load(tx, &r.owner)?;
    check_existing(cur.as_ref(), opts, shown)?;
    Ok((res, cur))
}

/// Puts a planned write in place: the inode (created if needed), its content,
/// the volume's counters and the change feed. Refuses a write past size_limit.
fn apply_write(
    tx: &Connection,
    r: &Route,
    res: &tree::Resolved,
    cur: Option<&Inode>,
    plan: &Plan,
    new_size: u64,
    shown: &str,
) -> Result<FileInfo> {
    let cur_size = cur.map(|i| i.size).unwrap_or(0);
    let delta = Delta { new_inode: cur.is_none(), bytes: new_size as i64 - cur_size as i64, files: cur.is_none() as i64 };
    let b = bump(tx, &r.owner, delta, shown)?;
    let seq = b.seq;
    let now = now_ms();
    let ino = match cur {
        Some(i) => i.ino,
        None => tree::create_inode(tx, &r.owner, b.ino, res.parent, &res.name, FileKind::File, 0o644, seq, None, now)?,
    };
    let inline = match plan {
        Plan::Inline(content) => {
            if cur.is_some_and(|i| !i.inline && i.size > 0) {
                data::replace_chunks(tx, &r.owner, ino, None, &[])?;
            }
            Some(content.as_slice())
        }
        Plan::Chunks { drop_all, new } => {
            data::replace_chunks(tx, &r.owner, ino, if *drop_all { None } else { Some(&[]) }, new)?;
            None
        }
    };
    tree::set_content(tx, &r.owner, ino, new_size, inline, seq, now)?;
    changes::record(tx, &r.owner, seq, &r.volume_path(&r.rel), ChangeKind::Write, None)?;
    let (mode, atime) = cur.map(|i| (i.mode, i.atime)).unwrap_or((0o644, now));
    Ok(FileInfo {
        path: shown.to_string(),
        kind: FileKind::File,
        size: new_size,
        mode,
        version: seq,
        atime,
        mtime: now,
        ctime: now,
        target: None,
    })
}

/// Offset and length a write of `len` bytes lands at, given the mode and current size.
fn write_extent(mode: WriteMode, size: u64, len: u64) -> (u64, u64) {
    match mode {
        WriteMode::Append => (size, len),
        WriteMode::At(o) => (o, len),
        WriteMode::Truncate | WriteMode::Exclusive => (0, len),
    }
}

/// True when `dir` is `ancestor` or lies below it.
fn is_descendant(tx: &Connection, owner: &str, mut dir: i64, ancestor: i64) -> Result<bool> {
    loop {
        if dir == ancestor {
            return Ok(true);
        }
        if dir == tree::ROOT_INO {
            return Ok(false);
        }
        dir = tx.prepare_cached("SELECT parent FROM dentries WHERE owner = ?1 AND ino = ?2")?.query_row(params![owner, dir], |r| r.get(0))?;
    }
}
