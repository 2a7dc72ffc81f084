//! A randomized model test of `FileHandle` (core/src/fs/handle.rs): random
//! opens in every mode, `write_at` / `read_at` / `flush` / `close` through up
//! to two handles per file, mixed with whole-file `write_file` / `read_file` /
//! `read_range` / `stat` through the engine, checked against a plain
//! `Vec<u8>` per file. Small blocks and small buffers make batches, spills and
//! inline flushes happen all the time; some configurations also put a block
//! store in front that refuses "poisoned" blocks (see `MARKER`), so the paths
//! where a failed batch goes back to the write buffer run too.
//!
//! What the model asserts (only what the engine documents):
//! - a handle's `size()` and `read_at` see its own unflushed writes exactly;
//! - after `flush`/`close` of the only writer, every reader sees exactly its content;
//! - before that, other readers may see some of the writer's batches already
//!   committed: a byte the writer has not written since its last flush must
//!   read as before, and the size lies between the published size and the writer's;
//! - `write_file` replaces / appends / writes at an offset as documented;
//! - versions never decrease and a flush of new writes raises the version;
//! - `dirty_bytes()` stays within buffer_size plus one block;
//! - at the end (every handle closed): all content, `gc`, then `fsck` is clean.
//!
//! Not asserted (not documented): what a read-only handle returns past the
//! file's current size (its `size()` stays the one it saw at open, so after
//! another writer truncates it reads zeros up to that size, and it never sees
//! growth past it), and how two writers' chunks merge (see below).
//!
//! Two writers on one file at once (two writable handles, or `write_file`
//! while a writable handle is open) are allowed now and then, but the model
//! does not guess how they merge (handles publish whole chunks): the file is
//! marked "chaos" and only self-consistency is checked until its last writable
//! handle is closed, when the model takes the engine's content as the new truth.
//!
//! Replay and hunting (environment variables of the randomized test):
//! - `HANDLE_MODEL_SEED=<seed>` runs that seed alone and prints every operation
//!   (with `--nocapture`); a failure prints the seed, the operation index and
//!   the operations that led there;
//! - `HANDLE_MODEL_SEEDS=<a>..<b>` runs other seeds, `HANDLE_MODEL_OPS=<n>` longer runs;
//!
//! Bugs it found, fixed and kept as minimized tests at the end of this file:
//! `empty_write_at_past_the_end_grows_the_file` and
//! `buffer_bound_holds_after_a_failed_batch` (and it fails most seeds with the
//! earlier spill bug of `one_large_write_at_into_an_empty_file_keeps_every_byte`
//! in tests/fs.rs put back).

mod common;

use common::model::{self, Rng, ensure};
use common::*;
use sandvol_core::*;
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BS: u64 = 64 << 10;
const SEEDS: u64 = 40;
const OPS: usize = 150;
const FILES: usize = 3;
/// Files stay below this (so a run stays fast in debug builds).
const MAX_SIZE: u64 = 12 * BS;
/// A block that starts with these bytes cannot be stored by `FlakyStore`.
const MARKER: [u8; 8] = *b"\xfePOISON\xfe";

// ---------------------------------------------------------------------------
// Engine configurations and a block store that fails on demand.

#[derive(Clone, Copy, Debug)]
struct Config {
    buffer_size: &'static str,
    buffer_bytes: u64,
    inline_threshold: u64,
    /// Poisoned blocks fail to store (and poison operations run).
    flaky: bool,
}

const CONFIGS: &[Config] = &[
    // Batches of one block, four of them in the buffer.
    Config { buffer_size: "256K", buffer_bytes: 256 << 10, inline_threshold: 4096, flaky: false },
    // buffer_size = one block: every new chunk waits for the previous batch.
    Config { buffer_size: "64K", buffer_bytes: 64 << 10, inline_threshold: 4096, flaky: false },
    // Two blocks.
    Config { buffer_size: "128K", buffer_bytes: 128 << 10, inline_threshold: 4096, flaky: true },
    Config { buffer_size: "256K", buffer_bytes: 256 << 10, inline_threshold: 4096, flaky: true },
    // Batches of four blocks.
    Config { buffer_size: "1M", buffer_bytes: 1 << 20, inline_threshold: 4096, flaky: false },
    // Inline files up to a whole block.
    Config { buffer_size: "64K", buffer_bytes: 64 << 10, inline_threshold: BS, flaky: true },
    Config { buffer_size: "128K", buffer_bytes: 128 << 10, inline_threshold: BS / 2, flaky: false },
];

/// Refuses any block that starts with `MARKER`, and counts the refusals.
struct Poisoned {
    refused: AtomicU64,
}

impl PutHook for Poisoned {
    fn before_put(&self, hash: &str, data: &[u8]) -> Result<()> {
        if data.starts_with(&MARKER) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Error::io(format!("injected: block store refuses poisoned block {hash}")));
        }
        Ok(())
    }
}

type FlakyStore = HookedStore<Poisoned>;

/// An engine with 64 KiB blocks (seeds of one config share it, each in its own volume).
fn open_engine(dir: &Path, cfg: Config) -> (Engine, Option<Arc<FlakyStore>>) {
    let (e, flaky) = if cfg.flaky {
        let store = HookedStore::open(dir, Poisoned { refused: AtomicU64::new(0) });
        let opts = EngineOptions { block_size: BS, inline_threshold: cfg.inline_threshold, store: Some(store.clone()), ..Default::default() };
        (Engine::open_with(dir, opts).unwrap(), Some(store))
    } else if cfg.inline_threshold == 4096 {
        (small_blocks(dir), None)
    } else {
        let opts = EngineOptions { block_size: BS, inline_threshold: cfg.inline_threshold, ..Default::default() };
        (Engine::open_with(dir, opts).unwrap(), None)
    };
    (e, flaky)
}

// ---------------------------------------------------------------------------
// The model.

/// What the model knows about one file.
struct FileM {
    path: String,
    exists: bool,
    /// The content every reader sees once the (single) writer has flushed.
    published: Vec<u8>,
    /// Bytes the writer wrote since its last flush: readers may see them old or new.
    unsure: Vec<std::ops::Range<u64>>,
    /// Upper bound of the committed size while the writer has unflushed writes.
    hi: u64,
    /// Two writers overlapped: content unknown until the last writable handle closes.
    chaos: bool,
    /// A poisoned block was written here (failures are expected while in chaos).
    marked: bool,
    /// Bumped whenever the committed content may have changed.
    generation: u64,
    /// Highest version seen.
    version: u64,
}

impl FileM {
    /// True while readers may see the writer's batches: some bytes or the size are not known exactly.
    fn settled(&self) -> bool {
        self.unsure.is_empty() && self.hi <= self.published.len() as u64
    }

    /// The parts of `[a, b)` no unflushed write covers.
    fn known(&self, a: u64, b: u64) -> Vec<(u64, u64)> {
        let mut rs: Vec<_> = self.unsure.iter().filter(|r| r.start < b && r.end > a).cloned().collect();
        rs.sort_by_key(|r| r.start);
        let mut out = Vec::new();
        let mut pos = a;
        for r in rs {
            if r.start > pos {
                out.push((pos, r.start));
            }
            pos = pos.max(r.end);
        }
        if pos < b {
            out.push((pos, b));
        }
        out
    }

    /// Committed size bounds.
    fn size_bounds(&self) -> (u64, u64) {
        let lo = self.published.len() as u64;
        (lo, self.hi.max(lo))
    }
}

/// An open handle and what the model expects of it.
struct HandleM {
    id: usize,
    file: usize,
    mode: &'static str,
    read: bool,
    write: bool,
    append: bool,
    /// `None` once dropped.
    h: Option<FileHandle>,
    /// For a writer (file not in chaos): its content including unflushed writes.
    view: Vec<u8>,
    generation_at_open: u64,
    /// Wrote bytes since its last successful flush.
    wrote: bool,
    version_at_flush: u64,
    /// A store failure is possible for this handle's next flush (a poisoned
    /// chunk was written since the last successful flush).
    poisoned_since_flush: bool,
    /// A flush or write of this handle failed since its last successful flush.
    failed_since_flush: bool,
    /// The chunk this handle last poisoned.
    focus: Option<u64>,
    last_read_end: u64,
}

fn poisoned(content: &[u8]) -> bool {
    let mut pos = 0usize;
    while pos + MARKER.len() <= content.len() {
        if content[pos..pos + MARKER.len()] == MARKER {
            return true;
        }
        pos += BS as usize;
    }
    false
}

fn first_diff(got: &[u8], want: &[u8]) -> String {
    let i = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
    let show = |v: &[u8]| format!("{:02x?}", &v[i.min(v.len())..(i + 8).min(v.len())]);
    format!("got {} bytes, want {}; first difference at {} (block {} + {}): got {} want {}", got.len(), want.len(), i, i as u64 / BS, i as u64 % BS, show(got), show(want))
}

fn apply_write(content: &mut Vec<u8>, off: u64, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let end = off as usize + data.len();
    if content.len() < end {
        content.resize(end, 0);
    }
    content[off as usize..end].copy_from_slice(data);
}

#[derive(Default, Debug)]
struct Tally {
    ops: usize,
    writes: usize,
    bytes_written: u64,
    reads: usize,
    flushes: usize,
    closes: usize,
    write_files: usize,
    chaos: usize,
    injected_failures: usize,
    refused_puts: u64,
    max_size: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.ops += o.ops;
        self.writes += o.writes;
        self.bytes_written += o.bytes_written;
        self.reads += o.reads;
        self.flushes += o.flushes;
        self.closes += o.closes;
        self.write_files += o.write_files;
        self.chaos += o.chaos;
        self.injected_failures += o.injected_failures;
        self.refused_puts += o.refused_puts;
        self.max_size = self.max_size.max(o.max_size);
    }
}

struct Run<'a> {
    e: Engine,
    /// This seed's volume, with the config's buffer_size.
    vol: String,
    cfg: Config,
    rng: Rng,
    files: Vec<FileM>,
    handles: Vec<HandleM>,
    closed: Vec<FileHandle>,
    next_id: usize,
    log: &'a RefCell<Vec<String>>,
    tally: Tally,
    verbose: bool,
}

type R<T = ()> = std::result::Result<T, String>;

impl HandleM {
    fn h(&self) -> &FileHandle {
        self.h.as_ref().expect("handle was dropped")
    }
}

impl Run<'_> {
    fn note(&self, s: String) {
        if self.verbose {
            eprintln!("{s}");
        }
        self.log.borrow_mut().push(s);
    }

    fn writers(&self, f: usize) -> usize {
        self.handles.iter().filter(|h| h.file == f && h.write).count()
    }

    /// A byte range of what readers other than the writer see, checked against the model.
    ///
    /// With `zero_tail` (a reader handle), bytes past the file's size may come
    /// back as zeros: the handle's size is the one it saw at open.
    fn check_committed(&self, f: usize, off: u64, got: &[u8], what: &str, zero_tail: bool) -> R {
        let fm = &self.files[f];
        if fm.chaos {
            return Ok(());
        }
        let (_, hi) = fm.size_bounds();
        if !zero_tail {
            ensure!(off + got.len() as u64 <= hi.max(off), "{what}: {} bytes at {off} reach past the largest possible size {hi}", got.len());
        }
        for (a, b) in fm.known(off, off + got.len() as u64) {
            let g = &got[(a - off) as usize..(b - off) as usize];
            let p = fm.published.len() as u64;
            let want_pub = &fm.published[a.min(p) as usize..b.min(p) as usize];
            let (g_pub, g_tail) = g.split_at(want_pub.len());
            let bad = if g_pub != want_pub {
                Some(a + g_pub.iter().zip(want_pub).position(|(x, y)| x != y).unwrap() as u64)
            } else {
                g_tail.iter().position(|x| *x != 0).map(|i| a.max(p) + i as u64)
            };
            if let Some(pos) = bad {
                let b = got[(pos - off) as usize];
                let want = fm.published.get(pos as usize).copied().unwrap_or(0);
                return Err(format!(
                    "{what}: byte {pos} (block {} + {}) is {b:#04x}, want {want:#04x} (published size {}, no unflushed write covers it)",
                    pos / BS,
                    pos % BS,
                    p
                ));
            }
        }
        Ok(())
    }

    fn check_size(&self, f: usize, size: u64, what: &str) -> R {
        let fm = &self.files[f];
        if fm.chaos {
            return Ok(());
        }
        let (lo, hi) = fm.size_bounds();
        ensure!(lo <= size && size <= hi, "{what}: size {size}, want {}", if lo == hi { format!("{lo}") } else { format!("{lo}..={hi}") });
        Ok(())
    }

    fn observe_version(&mut self, f: usize, v: u64, what: &str) -> R {
        let fm = &mut self.files[f];
        ensure!(v >= fm.version, "{what}: version went back from {} to {v}", fm.version);
        fm.version = v;
        Ok(())
    }

    /// The file's committed state through the engine: read_file and stat agree with the model.
    fn check_file(&mut self, f: usize, what: &str) -> R {
        let path = self.files[f].path.clone();
        if !self.files[f].exists {
            let r = self.e.read_file(Target::Volume(&self.vol), &path);
            ensure!(matches!(&r, Err(e) if e.code() == ErrorCode::NotFound), "{what}: read_file of a missing file: {:?}", r.map(|v| v.len()));
            return Ok(());
        }
        let got = self.e.read_file(Target::Volume(&self.vol), &path).map_err(|e| format!("{what}: read_file: {e}"))?;
        let st = self.e.stat(Target::Volume(&self.vol), &path).map_err(|e| format!("{what}: stat: {e}"))?;
        self.observe_version(f, st.version, what)?;
        let fm = &self.files[f];
        // Nothing commits between the two calls (commits happen inside handle calls).
        ensure!(st.size == got.len() as u64, "{what}: stat size {} but read_file gave {} bytes", st.size, got.len());
        if fm.chaos {
            return Ok(());
        }
        self.check_size(f, got.len() as u64, &format!("{what}: read_file"))?;
        if !fm.settled() {
            self.check_committed(f, 0, &got, &format!("{what}: read_file"), false)?;
        } else {
            ensure!(got == fm.published, "{what}: read_file: {}", first_diff(&got, &fm.published));
            ensure!(st.size == got.len() as u64, "{what}: stat size {} but {} bytes", st.size, got.len());
        }
        Ok(())
    }

    /// Takes the engine's content as the truth once two writers stopped overlapping.
    fn maybe_resync(&mut self, f: usize) -> R {
        if !self.files[f].chaos || self.writers(f) > 0 {
            return Ok(());
        }
        let path = self.files[f].path.clone();
        let got = self.e.read_file(Target::Volume(&self.vol), &path).map_err(|e| format!("resync read_file: {e}"))?;
        let st = self.e.stat(Target::Volume(&self.vol), &path).map_err(|e| format!("resync stat: {e}"))?;
        ensure!(st.size == got.len() as u64, "resync: stat size {} but read_file gave {} bytes", st.size, got.len());
        self.observe_version(f, st.version, "resync")?;
        let fm = &mut self.files[f];
        fm.chaos = false;
        fm.marked = poisoned(&got);
        fm.hi = got.len() as u64;
        fm.published = got;
        fm.unsure.clear();
        fm.generation += 1;
        let msg = format!("   resync {}: {} bytes", fm.path, fm.published.len());
        self.note(msg);
        Ok(())
    }

    fn enter_chaos(&mut self, f: usize, why: &str) {
        if !self.files[f].chaos {
            self.tally.chaos += 1;
            self.note(format!("   chaos on {}: {why}", self.files[f].path));
        }
        self.files[f].chaos = true;
        self.files[f].generation += 1;
    }

    /// A failure is acceptable only where a poisoned block may be stored.
    fn failure_allowed(&self, k: usize, f: usize) -> bool {
        let fm = &self.files[f];
        let h = &self.handles[k];
        if fm.chaos {
            return fm.marked;
        }
        h.poisoned_since_flush || poisoned(&h.view) || poisoned(&fm.published)
    }

    // --- offsets and sizes ---

    fn pick_offset(&mut self, len: u64) -> u64 {
        let r = &mut self.rng;
        match r.below(100) {
            0..25 => r.range(0, len),
            25..45 => len,
            45..60 => len + r.range(1, 2 * BS),
            60..85 => {
                let k = r.range(0, len / BS + 1);
                (k * BS + r.range(0, 600)).saturating_sub(300)
            }
            _ => r.range(0, 5000),
        }
    }

    fn pick_write_len(&mut self) -> u64 {
        let r = &mut self.rng;
        match r.below(100) {
            0..8 => 0,
            8..45 => r.range(1, 256),
            45..75 => r.range(257, 8192),
            75..87 => r.range(8193, 2 * BS),
            87..92 => BS,
            // Several batches in one call.
            _ => r.range(2 * BS, 5 * BS + 1000),
        }
    }

    /// Keeps a write within MAX_SIZE.
    fn clamp(&mut self, off: u64, n: u64) -> u64 {
        if off + n <= MAX_SIZE { off } else { self.rng.below(MAX_SIZE - n) }
    }

    // --- operations ---

    fn op_open(&mut self, i: usize) -> R {
        let f = self.rng.below(FILES as u64) as usize;
        let on_file = self.handles.iter().filter(|h| h.file == f).count();
        if on_file >= 2 {
            return self.op_read_file(i);
        }
        let exists = self.files[f].exists;
        let path = self.files[f].path.clone();
        // Now and then, a mode the file's state refuses.
        if self.rng.chance(8) {
            let (mode, code) = if exists { (self.rng.pick(&["x", "x+"]), ErrorCode::AlreadyExists) } else { (self.rng.pick(&["r", "r+"]), ErrorCode::NotFound) };
            self.note(format!("#{i} open {path} {mode:?} (must fail with {code:?})"));
            let r = self.e.open_file(Target::Volume(&self.vol), &path, OpenOptions::from_mode(mode).unwrap());
            ensure!(matches!(&r, Err(e) if e.code() == code), "open {mode:?}: want {code:?}, got {:?}", r.map(|_| "a handle").map_err(|e| e.code()));
            return self.check_file(f, "after a refused open");
        }
        let mut mode = if exists { self.rng.pick(&["r", "r+", "w", "w+", "a", "a+", "r+", "a+"]) } else { self.rng.pick(&["w", "w+", "a", "a+", "x", "x+"]) };
        let opts = OpenOptions::from_mode(mode).unwrap();
        if opts.write && self.writers(f) > 0 && !self.rng.chance(15) {
            // Mostly one writer at a time: the second handle reads.
            mode = "r";
        }
        let opts = OpenOptions::from_mode(mode).unwrap();
        let id = self.next_id;
        self.next_id += 1;
        self.note(format!("#{i} h{id} = open {path} {mode:?}"));
        if opts.write && self.writers(f) > 0 {
            self.enter_chaos(f, "a second writable handle");
        }
        let h = self.e.open_file(Target::Volume(&self.vol), &path, opts).map_err(|e| format!("open {mode:?}: {e}"))?;
        let fm = &mut self.files[f];
        if !fm.exists {
            fm.exists = true;
            fm.published.clear();
            fm.unsure.clear();
            fm.hi = 0;
            fm.generation += 1;
        }
        if opts.truncate {
            if !fm.chaos {
                fm.published.clear();
                fm.unsure.clear();
                fm.hi = 0;
            }
            fm.generation += 1;
        }
        let st = h.stat().map_err(|e| format!("handle stat: {e}"))?;
        self.observe_version(f, st.version, "open")?;
        self.check_size(f, st.size, "handle stat after open")?;
        self.check_size(f, h.size(), "size() after open")?;
        let fm = &self.files[f];
        let view = if opts.write && !fm.chaos { fm.published.clone() } else { Vec::new() };
        let poisoned_since_flush = poisoned(&view);
        self.handles.push(HandleM {
            id,
            file: f,
            mode,
            read: opts.read,
            write: opts.write,
            append: opts.append,
            h: Some(h),
            view,
            generation_at_open: fm.generation,
            wrote: false,
            version_at_flush: st.version,
            poisoned_since_flush,
            failed_since_flush: false,
            focus: None,
            last_read_end: 0,
        });
        Ok(())
    }

    fn pick_handle(&mut self, pred: impl Fn(&HandleM) -> bool) -> Option<usize> {
        let cands: Vec<usize> = (0..self.handles.len()).filter(|&k| pred(&self.handles[k])).collect();
        if cands.is_empty() { None } else { Some(self.rng.pick(&cands)) }
    }

    fn op_write_at(&mut self, i: usize, poison: bool) -> R {
        let Some(k) = self.pick_handle(|h| h.write) else { return self.op_open(i) };
        let f = self.handles[k].file;
        let chaos = self.files[f].chaos;
        let size = self.handles[k].h().size();
        if !chaos {
            let want = self.handles[k].view.len() as u64;
            ensure!(size == want, "h{}.size() = {size}, want {want}", self.handles[k].id);
        }
        let (off, data, what) = if poison {
            let view = &self.handles[k].view;
            // Cure a poisoned block if there is one, else poison one.
            let cure = (0..=(view.len() as u64 / BS)).map(|b| b * BS).find(|&p| view.get(p as usize..p as usize + 8) == Some(&MARKER[..]));
            match cure {
                Some(p) if !chaos => (p, self.rng.bytes(8), "cure"),
                _ => {
                    let b = self.rng.range(0, size / BS);
                    self.files[f].marked = true;
                    self.handles[k].focus = Some(b * BS);
                    (b * BS, MARKER.to_vec(), "poison")
                }
            }
        } else {
            let mut n = self.pick_write_len();
            if self.handles[k].append {
                n = n.min(MAX_SIZE.saturating_sub(size));
            }
            // After a poisoning, writes often land on that chunk again (while its batch may be in flight).
            let off = match self.handles[k].focus {
                Some(p) if self.rng.chance(40) => p + self.rng.range(8, 3000),
                _ => self.pick_offset(size),
            };
            let off = self.clamp(off, n);
            (off, self.rng.bytes(n as usize), "")
        };
        self.do_write(i, k, off, &data, what)
    }

    /// Writes through handle `k` and applies the write to the model. If the
    /// block store refuses a batch (a poisoned chunk), the chunks go back to
    /// the buffer and `write_at` fails having buffered part of its bytes: the
    /// model then cures the poisoned chunks and retries the same write, after
    /// which the handle's content is known again (every earlier write kept).
    fn do_write(&mut self, i: usize, k: usize, off: u64, data: &[u8], what: &str) -> R {
        self.write_or_retry(i, k, off, data, what, true)
    }

    fn write_or_retry(&mut self, i: usize, k: usize, off: u64, data: &[u8], what: &str, retry: bool) -> R {
        let f = self.handles[k].file;
        let hm = &self.handles[k];
        let size = hm.h().size();
        let lands = if hm.append { format!(" (appends at {size})") } else { String::new() };
        self.note(format!("#{i} h{}.write_at({off}, {} bytes){lands} {what}", hm.id, data.len()));
        let r = hm.h().write_at(off, data);
        self.tally.writes += 1;
        self.tally.bytes_written += data.len() as u64;
        match r {
            Ok(n) => ensure!(n == data.len() as u64, "write_at returned {n}, want {}", data.len()),
            Err(e) => {
                let allowed = self.failure_allowed(k, f) || data.windows(MARKER.len()).any(|w| w == MARKER);
                ensure!(allowed, "write_at: unexpected error {e}");
                self.tally.injected_failures += 1;
                self.note(format!("   failed as allowed ({e}); part of it may be buffered"));
                if !retry || self.files[f].chaos || self.handles[k].append {
                    self.enter_chaos(f, "a write_at failed part way");
                    return Ok(());
                }
                let hm = &mut self.handles[k];
                hm.failed_since_flush = true;
                let sick: Vec<u64> = (0..=(hm.view.len() as u64 / BS)).map(|b| b * BS).filter(|&p| hm.view.get(p as usize..p as usize + 8) == Some(&MARKER[..])).collect();
                for p in sick {
                    let bytes = self.rng.bytes(8);
                    self.write_or_retry(i, k, p, &bytes, "cure after a failed write", false)?;
                    if self.files[f].chaos {
                        return Ok(());
                    }
                }
                return self.write_or_retry(i, k, off, data, "retry", false);
            }
        }
        if self.files[f].chaos {
            return Ok(());
        }
        // An empty write changes nothing (`empty_write_at_past_the_end_grows_the_file`).
        let hm = &mut self.handles[k];
        let off = if hm.append { hm.view.len() as u64 } else { off };
        apply_write(&mut hm.view, off, data);
        if !data.is_empty() {
            hm.wrote = true;
        }
        hm.poisoned_since_flush |= poisoned(&hm.view);
        let view_len = hm.view.len() as u64;
        let fm = &mut self.files[f];
        if !data.is_empty() {
            fm.unsure.push(off..off + data.len() as u64);
            fm.hi = fm.hi.max(view_len);
            fm.generation += 1;
        }
        self.tally.max_size = self.tally.max_size.max(view_len);
        let hm = &self.handles[k];
        let got = hm.h().size();
        ensure!(got == view_len, "after write_at({off}, {} bytes): size() = {got}, want {view_len}", data.len());
        let dirty = hm.h().dirty_bytes();
        // Also after a failed batch (`buffer_bound_holds_after_a_failed_batch`).
        ensure!(dirty <= self.cfg.buffer_bytes + BS, "dirty_bytes() = {dirty} passes buffer_size {} + one block", self.cfg.buffer_bytes);
        Ok(())
    }

    fn op_read_at(&mut self, i: usize) -> R {
        let Some(k) = self.pick_handle(|h| h.read) else { return self.op_read_file(i) };
        let f = self.handles[k].file;
        let size = self.handles[k].h().size();
        let off = if self.rng.chance(25) { self.handles[k].last_read_end } else { self.pick_offset(size).min(size + 100) };
        let len = match self.rng.below(10) {
            0 => 0,
            1 => size + 10,
            2..5 => self.rng.range(1, 300),
            _ => self.rng.range(1, 3 * BS),
        };
        let into = self.rng.chance(25);
        let hm = &self.handles[k];
        self.note(format!("#{i} h{}.{}({off}, {len})", hm.id, if into { "read_into" } else { "read_at" }));
        let got = if into {
            let mut buf = vec![0xEEu8; len as usize];
            let n = hm.h().read_into(off, &mut buf).map_err(|e| format!("read_into: {e}"))?;
            buf.truncate(n);
            buf
        } else {
            hm.h().read_at(off, len).map_err(|e| format!("read_at: {e}"))?
        };
        self.tally.reads += 1;
        let hm = &mut self.handles[k];
        hm.last_read_end = off + got.len() as u64;
        let want_len = len.min(size.saturating_sub(off));
        ensure!(got.len() as u64 == want_len, "read returned {} bytes, want {want_len} (size() {size})", got.len());
        let fm = &self.files[f];
        if fm.chaos {
            return Ok(());
        }
        if hm.write {
            let v = &hm.view;
            let want = &v[(off as usize).min(v.len())..((off + len) as usize).min(v.len())];
            ensure!(got == want, "h{} ({:?}) read at {off}: {}", hm.id, hm.mode, first_diff(&got, want));
        } else if hm.generation_at_open == fm.generation && fm.settled() {
            let v = &fm.published;
            let want = &v[(off as usize).min(v.len())..((off + len) as usize).min(v.len())];
            ensure!(got == want, "h{} ({:?}, file unchanged since open) read at {off}: {}", hm.id, hm.mode, first_diff(&got, want));
        } else {
            let what = format!("h{} ({:?}) read at {off}", hm.id, hm.mode);
            self.check_committed(f, off, &got, &what, true)?;
        }
        Ok(())
    }

    /// After a successful flush or close of handle `k`.
    fn published_by(&mut self, k: usize, what: &str) -> R {
        let f = self.handles[k].file;
        self.tally.flushes += 1;
        if self.files[f].chaos || !self.handles[k].write {
            return Ok(());
        }
        let view = self.handles[k].view.clone();
        let fm = &mut self.files[f];
        fm.published = view;
        fm.unsure.clear();
        fm.hi = fm.published.len() as u64;
        fm.generation += 1;
        let path = fm.path.clone();
        let hm = &mut self.handles[k];
        let wrote = std::mem::take(&mut hm.wrote);
        hm.failed_since_flush = false;
        hm.poisoned_since_flush = poisoned(&hm.view);
        let before = hm.version_at_flush;
        let st = self.e.stat(Target::Volume(&self.vol), &path).map_err(|e| format!("stat after {what}: {e}"))?;
        self.handles[k].version_at_flush = st.version;
        self.observe_version(f, st.version, what)?;
        ensure!(!wrote || st.version > before, "{what} published new writes but the version stayed {before}");
        self.check_file(f, what)
    }

    fn op_flush(&mut self, i: usize) -> R {
        let Some(k) = self.pick_handle(|_| true) else { return self.op_open(i) };
        let f = self.handles[k].file;
        self.note(format!("#{i} h{}.flush()", self.handles[k].id));
        match self.handles[k].h().flush() {
            Ok(()) => self.published_by(k, "flush"),
            Err(e) => {
                ensure!(self.failure_allowed(k, f), "flush: unexpected error {e}");
                self.tally.injected_failures += 1;
                self.note(format!("   failed as allowed ({e})"));
                if self.files[f].chaos {
                    return Ok(());
                }
                // The chunks went back to the buffer: the handle still sees all its writes.
                let hm = &mut self.handles[k];
                hm.poisoned_since_flush = poisoned(&hm.view);
                hm.failed_since_flush = true;
                let size = hm.h().size();
                ensure!(size == hm.view.len() as u64, "after a failed flush: size() = {size}, want {}", hm.view.len());
                if hm.read {
                    let got = hm.h().read_at(0, u64::MAX).map_err(|e| format!("read_at after a failed flush: {e}"))?;
                    ensure!(got == hm.view, "after a failed flush, h{} reads: {}", hm.id, first_diff(&got, &hm.view));
                }
                let dirty = hm.h().dirty_bytes();
                ensure!(dirty <= self.cfg.buffer_bytes + BS, "after a failed flush, dirty_bytes() = {dirty} passes buffer_size + one block");
                // Committed state: some batches may have made it.
                self.check_file(f, "after a failed flush")
            }
        }
    }

    fn op_close(&mut self, i: usize, drop_it: bool) -> R {
        let Some(k) = self.pick_handle(|_| true) else { return self.op_open(i) };
        self.close_handle(i, k, drop_it)
    }

    fn close_handle(&mut self, i: usize, k: usize, drop_it: bool) -> R {
        let f = self.handles[k].file;
        self.note(format!("#{i} h{}.{}", self.handles[k].id, if drop_it { "drop (flushes)" } else { "close()" }));
        self.tally.closes += 1;
        let may_fail = self.handles[k].write && self.failure_allowed(k, f);
        let r = if drop_it {
            drop(self.handles[k].h.take());
            if may_fail {
                // A failed flush on drop is only logged: what was published is unknown.
                self.handles.remove(k);
                self.enter_chaos(f, "dropped a handle whose flush may fail");
                return self.maybe_resync(f);
            }
            Ok(())
        } else {
            let r = self.handles[k].h().close();
            if r.is_ok() {
                let again = self.handles[k].h().close();
                ensure!(again.is_ok(), "closing twice: {:?}", again.err());
            }
            r
        };
        match r {
            Ok(()) => {
                self.published_by(k, if drop_it { "drop" } else { "close" })?;
                let hm = self.handles.remove(k);
                if let Some(h) = hm.h {
                    self.closed.push(h);
                    if self.closed.len() > 3 {
                        self.closed.remove(0);
                    }
                }
                self.maybe_resync(f)?;
                self.check_file(f, "after close")
            }
            Err(e) => {
                ensure!(may_fail, "close: unexpected error {e}");
                self.tally.injected_failures += 1;
                self.note(format!("   failed as allowed ({e}); what was published is unknown"));
                let hm = self.handles.remove(k);
                let w = hm.h().write_at(0, b"x");
                ensure!(matches!(&w, Err(e) if e.code() == ErrorCode::InvalidState), "write after a failed close: {:?}", w.map_err(|e| e.code()));
                self.enter_chaos(f, "close failed");
                self.maybe_resync(f)
            }
        }
    }

    fn op_write_file(&mut self, i: usize, poison: bool) -> R {
        let mut f = self.rng.below(FILES as u64) as usize;
        if self.writers(f) > 0 && !self.rng.chance(15) {
            // Mostly between handle lifetimes: pick a file no handle writes.
            match (0..FILES).find(|&g| self.writers(g) == 0) {
                Some(g) => f = g,
                None => return self.op_stat(i),
            }
        }
        let path = self.files[f].path.clone();
        let old_len = self.files[f].published.len() as u64;
        let n = match self.rng.below(100) {
            0..10 => 0,
            10..55 => self.rng.range(1, self.cfg.inline_threshold.min(4096)),
            55..80 => self.rng.range(1, 2 * BS),
            _ => self.rng.range(2 * BS, 3 * BS + 100),
        };
        let mut data = self.rng.bytes(n as usize);
        let mut mode = match self.rng.below(100) {
            0..35 => WriteMode::Truncate,
            35..60 => WriteMode::Append,
            60..90 => {
                let o = self.pick_offset(old_len);
                WriteMode::At(self.clamp(o, n))
            }
            _ => WriteMode::Exclusive,
        };
        if poison {
            data = MARKER.to_vec();
            mode = WriteMode::At(self.rng.range(0, old_len / BS) * BS);
            self.files[f].marked = true;
        }
        if matches!(mode, WriteMode::Append) && old_len + n > MAX_SIZE {
            mode = WriteMode::Truncate;
        }
        self.note(format!("#{i} write_file {path} {mode:?} {} bytes{}", data.len(), if poison { " poison" } else { "" }));
        self.tally.write_files += 1;
        if self.writers(f) > 0 {
            self.enter_chaos(f, "write_file while a writable handle is open");
        }
        let r = self.e.write_file(Target::Volume(&self.vol), &path, &data, &WriteOptions { mode, ..Default::default() });
        let fm = &self.files[f];
        let refuse = mode == WriteMode::Exclusive && fm.exists;
        if refuse {
            ensure!(matches!(&r, Err(e) if e.code() == ErrorCode::AlreadyExists), "exclusive write_file of an existing file: {:?}", r.map_err(|e| e.code()));
            return self.check_file(f, "after a refused exclusive write_file");
        }
        let mut want = if fm.exists { fm.published.clone() } else { Vec::new() };
        match mode {
            WriteMode::Truncate | WriteMode::Exclusive => want = data.clone(),
            WriteMode::Append => {
                let o = want.len() as u64;
                apply_write(&mut want, o, &data)
            }
            WriteMode::At(o) => {
                if want.len() < o as usize {
                    want.resize(o as usize, 0);
                }
                apply_write(&mut want, o, &data)
            }
        }
        match r {
            Ok(info) => {
                self.observe_version(f, info.version, "write_file")?;
                let fm = &mut self.files[f];
                fm.exists = true;
                if !fm.chaos {
                    ensure!(info.size == want.len() as u64, "write_file returned size {}, want {}", info.size, want.len());
                    fm.published = want;
                    fm.hi = fm.published.len() as u64;
                    fm.unsure.clear();
                }
                fm.generation += 1;
                self.tally.max_size = self.tally.max_size.max(info.size);
            }
            Err(e) => {
                let allowed = if fm.chaos { fm.marked } else { self.cfg.flaky && (poisoned(&want) || poisoned(&fm.published)) };
                ensure!(allowed, "write_file: unexpected error {e}");
                self.tally.injected_failures += 1;
                self.note(format!("   failed as allowed ({e}); the file must be as it was"));
            }
        }
        self.check_file(f, "after write_file")
    }

    fn op_read_file(&mut self, i: usize) -> R {
        let f = self.rng.below(FILES as u64) as usize;
        self.note(format!("#{i} read_file {}", self.files[f].path));
        self.check_file(f, "read_file")
    }

    fn op_read_range(&mut self, i: usize) -> R {
        let f = self.rng.below(FILES as u64) as usize;
        if !self.files[f].exists {
            return self.op_read_file(i);
        }
        let (_, hi) = self.files[f].size_bounds();
        let off = self.pick_offset(hi).min(hi + 10);
        let len = self.rng.range(0, 3 * BS);
        let path = self.files[f].path.clone();
        self.note(format!("#{i} read_range {path} {off} {len}"));
        let got = self.e.read_range(Target::Volume(&self.vol), &path, off, len).map_err(|e| format!("read_range: {e}"))?;
        ensure!(got.len() as u64 <= len, "read_range returned {} bytes, asked {len}", got.len());
        let fm = &self.files[f];
        if !fm.chaos {
            let (lo, _) = fm.size_bounds();
            let at_least = len.min(lo.saturating_sub(off));
            ensure!(got.len() as u64 >= at_least, "read_range returned {} bytes, want at least {at_least}", got.len());
        }
        self.check_committed(f, off, &got, "read_range", false)
    }

    fn op_stat(&mut self, i: usize) -> R {
        let f = self.rng.below(FILES as u64) as usize;
        let path = self.files[f].path.clone();
        self.note(format!("#{i} stat {path}"));
        match self.e.stat(Target::Volume(&self.vol), &path) {
            Ok(st) => {
                ensure!(self.files[f].exists, "stat of a file never created: {st:?}");
                ensure!(st.kind == FileKind::File, "stat kind {:?}", st.kind);
                self.observe_version(f, st.version, "stat")?;
                self.check_size(f, st.size, "stat")
            }
            Err(e) => {
                ensure!(!self.files[f].exists && e.code() == ErrorCode::NotFound, "stat: {e}");
                Ok(())
            }
        }
    }

    /// Calls a handle does not allow fail with `invalid_state` and change nothing.
    fn op_misuse(&mut self, i: usize) -> R {
        if !self.closed.is_empty() && self.rng.chance(50) {
            let c = self.rng.below(self.closed.len() as u64) as usize;
            self.note(format!("#{i} calls on a closed handle"));
            let h = &self.closed[c];
            let w = h.write_at(0, b"late");
            ensure!(matches!(&w, Err(e) if e.code() == ErrorCode::InvalidState), "write_at on a closed handle: {:?}", w.map_err(|e| e.code()));
            let r = h.read_at(0, 10);
            ensure!(matches!(&r, Err(e) if e.code() == ErrorCode::InvalidState), "read_at on a closed handle: {:?}", r.map(|v| v.len()).map_err(|e| e.code()));
            ensure!(h.flush().is_ok() && h.close().is_ok(), "flush/close of a closed handle fail");
            return Ok(());
        }
        let Some(k) = self.pick_handle(|h| !h.read || !h.write) else { return self.op_stat(i) };
        let hm = &self.handles[k];
        self.note(format!("#{i} h{} ({:?}) misuse", hm.id, hm.mode));
        if !hm.write {
            let w = hm.h().write_at(0, b"nope");
            ensure!(matches!(&w, Err(e) if e.code() == ErrorCode::InvalidState), "write_at on a read-only handle: {:?}", w.map_err(|e| e.code()));
        } else {
            let r = hm.h().read_at(0, 10);
            ensure!(matches!(&r, Err(e) if e.code() == ErrorCode::InvalidState), "read_at on a write-only handle: {:?}", r.map(|v| v.len()).map_err(|e| e.code()));
        }
        Ok(())
    }

    fn step(&mut self, i: usize) -> R {
        self.tally.ops += 1;
        let roll = self.rng.below(100);
        match roll {
            0..12 => self.op_open(i),
            12..40 => self.op_write_at(i, false),
            40..54 => self.op_read_at(i),
            54..61 => self.op_flush(i),
            61..67 => self.op_close(i, false),
            67..69 => self.op_close(i, true),
            69..77 => self.op_write_file(i, false),
            77..82 => self.op_read_file(i),
            82..86 => self.op_read_range(i),
            86..90 => self.op_stat(i),
            90..92 => self.op_misuse(i),
            // Poison (or cure) a chunk: the store refuses it, a batch fails.
            _ if self.cfg.flaky => {
                if self.rng.chance(80) { self.op_write_at(i, true) } else { self.op_write_file(i, true) }
            }
            _ => self.op_write_at(i, false),
        }
    }

    /// Closes every handle, then checks content, gc and fsck.
    fn finish(&mut self, i: usize) -> R {
        // Cure poisoned content first so the last closes publish everything.
        for k in 0..self.handles.len() {
            let hm = &self.handles[k];
            if !hm.write || hm.append || self.files[hm.file].chaos {
                continue;
            }
            let sick: Vec<u64> = (0..=(hm.view.len() as u64 / BS)).map(|b| b * BS).filter(|&p| hm.view.get(p as usize..p as usize + 8) == Some(&MARKER[..])).collect();
            for p in sick {
                let bytes = self.rng.bytes(8);
                self.do_write(i, k, p, &bytes, "final cure")?;
            }
        }
        while !self.handles.is_empty() {
            let k = self.rng.below(self.handles.len() as u64) as usize;
            self.close_handle(i, k, false)?;
        }
        for f in 0..FILES {
            self.check_file(f, "at the end")?;
        }
        let gc = self.e.gc(Duration::ZERO).map_err(|e| format!("gc: {e}"))?;
        self.note(format!("   gc: {gc:?}"));
        for f in 0..FILES {
            self.check_file(f, "after gc")?;
        }
        let used: u64 = self.files.iter().filter(|f| f.exists).map(|f| f.published.len() as u64).sum();
        let vol = self.e.get_volume(&self.vol).map_err(|e| format!("get_volume: {e}"))?;
        ensure!(vol.used_bytes == used, "volume used_bytes {} but the files hold {used}", vol.used_bytes);
        let report = self.e.fsck().map_err(|e| format!("fsck: {e}"))?;
        ensure!(report.is_clean(), "fsck: {report:?}");
        Ok(())
    }
}

/// One engine per config, shared by its seeds: its directory, the engine, its flaky store.
type SharedEngine = (tempfile::TempDir, Engine, Option<Arc<FlakyStore>>);

/// Runs one seed in a volume of its own; on failure returns the message (the log holds the operations).
fn run_seed(seed: u64, ops: usize, log: &RefCell<Vec<String>>, verbose: bool, e: &Engine, flaky: Option<&FlakyStore>) -> R<Tally> {
    let cfg = CONFIGS[(seed % CONFIGS.len() as u64) as usize];
    let vol = format!("m{seed}");
    e.create_volume(CreateVolume {
        name: Some(vol.clone()),
        config: ConfigOverride { buffer_size: Some(cfg.buffer_size.into()), ..Default::default() },
        ..Default::default()
    })
    .map_err(|e| format!("create_volume: {e}"))?;
    let refused_before = flaky.map(|s| s.hook.refused.load(Ordering::Relaxed)).unwrap_or(0);
    log.borrow_mut().push(format!("seed {seed}: {cfg:?}"));
    let mut run = Run {
        e: e.clone(),
        vol: vol.clone(),
        cfg,
        rng: Rng::new(seed),
        files: (0..FILES)
            .map(|f| FileM {
                path: format!("/f{f}"),
                exists: false,
                published: Vec::new(),
                unsure: Vec::new(),
                hi: 0,
                chaos: false,
                marked: false,
                generation: 0,
                version: 0,
            })
            .collect(),
        handles: Vec::new(),
        closed: Vec::new(),
        next_id: 0,
        log,
        tally: Tally::default(),
        verbose,
    };
    // Some files start small (inline) so handles grow them out of the catalog.
    for f in 0..FILES {
        if run.rng.chance(60) {
            let n = run.rng.range(0, cfg.inline_threshold.min(4096)) as usize;
            let data = run.rng.bytes(n);
            run.note(format!("#- write_file /f{f} {n} bytes (inline start)"));
            e.write_file(Target::Volume(&vol), &format!("/f{f}"), &data, &WriteOptions::default()).map_err(|e| format!("setup: {e}"))?;
            run.files[f].exists = true;
            run.files[f].hi = n as u64;
            run.files[f].published = data;
        }
    }
    for i in 0..ops {
        run.step(i).map_err(|m| format!("op #{i}: {m}"))?;
    }
    run.finish(ops).map_err(|m| format!("finish: {m}"))?;
    let mut tally = std::mem::take(&mut run.tally);
    if let Some(s) = flaky {
        tally.refused_puts = s.hook.refused.load(Ordering::Relaxed) - refused_before;
    }
    Ok(tally)
}

#[test]
fn handles_match_a_model_over_random_operations() {
    let model::Plan { seeds, ops, verbose } = model::plan("HANDLE_MODEL", SEEDS, OPS);
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut total = Tally::default();
    let mut engines: Vec<Option<SharedEngine>> = (0..CONFIGS.len()).map(|_| None).collect();
    for &seed in &seeds {
        let c = (seed % CONFIGS.len() as u64) as usize;
        let (_, e, flaky) = engines[c].get_or_insert_with(|| {
            let dir = tempfile::tempdir().unwrap();
            let (e, flaky) = open_engine(dir.path(), CONFIGS[c]);
            (dir, e, flaky)
        });
        if let Some(t) = model::run_seed("HANDLE_MODEL", seed, &mut failures, |log| run_seed(seed, ops, log, verbose, e, flaky.as_deref())) {
            total.add(&t);
        }
    }
    for (_, e, _) in engines.iter().flatten() {
        e.close().unwrap();
    }
    eprintln!("{} seeds x {ops} operations in {:.1?}: {total:?}", seeds.len(), started.elapsed());
    model::assert_no_failures(&failures, seeds.len());
}

// ---------------------------------------------------------------------------
// Bugs the model found, minimized.

/// A `write_at` of zero bytes at an offset past the end made the file that
/// long (zeros), through the handle's `size()` and, after `close`, for every
/// reader: `write_at` set the size to the write's end even when no chunk was
/// written, and the next flush published it. A handle promises POSIX-like
/// semantics, and a `pwrite` of zero bytes "shall return zero and have no other
/// results". Fixed: an empty `write_at` returns at once. (The random test hit
/// it in most seeds: 8% of its writes are empty, some past the end.)
#[test]
fn empty_write_at_past_the_end_grows_the_file() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    vol(&e, "v", AccessMode::ReadWriteMany);
    let at = Target::Volume("v");
    // An inline file, and one in blocks.
    for (path, len) in [("/small", 3usize), ("/big", 2 * BS as usize + 5)] {
        let data = vec![7u8; len];
        e.write_file(at, path, &data, &WriteOptions::default()).unwrap();
        let h = e.open_file(at, path, OpenOptions::from_mode("r+").unwrap()).unwrap();
        assert_eq!(h.write_at(5 * BS, b"").unwrap(), 0);
        assert_eq!(h.size(), len as u64, "{path}: a write of nothing changed the handle's size");
        h.close().unwrap();
        assert_eq!(e.stat(at, path).unwrap().size, len as u64, "{path}: a write of nothing grew the file");
        assert!(e.read_file(at, path).unwrap() == data, "{path}: content changed");
    }
}

/// After a batch fails to store, its chunks go back to the write buffer (as
/// `settle` documents) — all of them at once, up to buffer_size plus a block.
/// The next `write_at` that needed a new chunk called `spill`, which found no
/// batch in flight, handed that whole buffer to the pool as one batch without
/// waiting for it, and buffered the new chunk on top: `dirty_bytes()` reached
/// buffer_size plus two blocks here (more with a larger buffer), past the
/// documented bound "buffer_size plus one block". `spill` only settled batches
/// *before* `submit`, assuming the dirty buffer held at most a batch; it now
/// also settles after it while the batches in flight hold more than
/// buffer_size (never the case without a failure, so the usual overlap stays).
#[test]
fn buffer_bound_holds_after_a_failed_batch() {
    let d = tempfile::tempdir().unwrap();
    let cfg = Config { buffer_size: "64K", buffer_bytes: 64 << 10, inline_threshold: 4096, flaky: true };
    let (e, _store) = open_engine(d.path(), cfg);
    e.create_volume(CreateVolume {
        name: Some("v".into()),
        config: ConfigOverride { buffer_size: Some(cfg.buffer_size.into()), ..Default::default() },
        ..Default::default()
    })
    .unwrap();
    let at = Target::Volume("v");
    let h = e.open_file(at, "/f", OpenOptions::from_mode("w+").unwrap()).unwrap();
    let mut poisoned_block = MARKER.to_vec();
    poisoned_block.resize(BS as usize, 1);
    h.write_at(0, &poisoned_block).unwrap();
    // A second block: chunk 0 becomes a batch (that the store will refuse).
    h.write_at(BS, &vec![2u8; BS as usize]).unwrap();
    assert!(h.flush().is_err(), "the poisoned block cannot be stored");
    // Both chunks are back in the buffer (two blocks: still within the bound).
    assert!(h.dirty_bytes() <= cfg.buffer_bytes + BS, "after the failed flush: {}", h.dirty_bytes());
    assert_eq!(h.read_at(0, 2 * BS).unwrap(), [poisoned_block.clone(), vec![2u8; BS as usize]].concat());
    // A third block: spill submits both restored chunks as one batch and buffers this one too.
    let r = h.write_at(2 * BS, &vec![3u8; BS as usize]);
    let dirty = h.dirty_bytes();
    assert!(dirty <= cfg.buffer_bytes + BS, "dirty_bytes() = {dirty} (write_at: {:?}) passes buffer_size {} + one block", r.map_err(|e| e.code()), cfg.buffer_bytes);
}
