//! The writeback journal: blocks acknowledged once fsynced in `staging/`,
//! uploaded to the block store in the background, uploaded first thing after a crash.
//!
//! Each engine stages into its own directory, `engine-<pid>-<start>-<n>-<random>/`,
//! and holds an exclusive `flock` on the `lock` file inside it while it is open.
//! Another engine opening the same data directory recovers only directories
//! whose lock it can take: their engine closed or died. A process id would not
//! do: engines in other PID namespaces (containers sharing a volume directory)
//! have ids that mean nothing here, and an engine closed in a process that goes
//! on running must have its leftovers recovered all the same.
//!
//! A whole block is staged as its own file (fsync, rename, directory fsync), so
//! a local store can take it by rename. A smaller block (a small file's write)
//! is written into a reusable numbered slot file and fdatasynced: no new file,
//! no directory entry to make durable, about a third of the time, which is
//! what a writeback acknowledgement waits for.

use crate::error::{Error, Result};
use crate::store::{BlockStore, verify_block};
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Staged blocks waiting for upload.
pub(crate) struct Staging {
    dir: PathBuf,
    store: Arc<dyn BlockStore>,
    /// hash → where and how large, for blocks staged and not yet uploaded.
    pending: Mutex<HashMap<String, Staged>>,
    idle: Condvar,
    /// Signalled when a block being staged became durable or failed.
    staged: Condvar,
    /// Blocks smaller than this go to slots.
    block_size: u64,
    /// This engine's directory (whole blocks by hash, slots by number), and its free slots.
    own_dir: PathBuf,
    /// The locked `lock` file of `own_dir`, once the directory exists (durably):
    /// held while the engine is open, dropped (unlocked) by `close`.
    own_lock: Mutex<Option<std::fs::File>>,
    /// Set by `close`, under the `pending` lock: nothing is staged after it.
    closing: std::sync::atomic::AtomicBool,
    slots: Mutex<SlotPool>,
    /// Renames into `own_dir` started, and how many of them a directory fsync covers.
    renamed: std::sync::atomic::AtomicU64,
    dir_synced: Mutex<u64>,
}

#[derive(Clone, Copy)]
struct Staged {
    size: u64,
    slot: Option<u32>,
    /// Written and synced: a write of the same bytes may be acknowledged on it.
    durable: bool,
}

#[derive(Default)]
struct SlotPool {
    free: Vec<u32>,
    created: u32,
}

/// Names an engine's own directory in `staging/`: `engine-<pid>-<start>-<n>-<random>`.
const OWN_PREFIX: &str = "engine-";

/// An engine's directory while it is being set up (its lock not yet taken); never recovered.
const NEW_PREFIX: &str = ".engine-new-";

/// Age after which a `.engine-new-` directory is taken for abandoned.
const NEW_DIR_STALE: Duration = Duration::from_secs(60);

/// The file in an engine's directory that the engine keeps locked while open.
const LOCK_FILE: &str = "lock";

/// The state of another engine's directory lock.
enum Lock {
    /// Taken by us: its engine closed or died.
    Free(std::fs::File),
    /// Its engine is open.
    Held,
    /// No lock file: gone with a recovery running at the same time, or made by
    /// a build from before the lock.
    Missing,
}

fn take_lock(dir: &Path) -> Result<Lock> {
    let f = match std::fs::File::open(dir.join(LOCK_FILE)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lock::Missing),
        Err(e) => return Err(e.into()),
    };
    match f.try_lock() {
        Ok(()) => Ok(Lock::Free(f)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(Lock::Held),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// Removes a recovered directory; one already gone was removed by another engine recovering it.
fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The (pid, start time) a staging name after its prefix starts with; 0 where unreadable.
fn owner_of(rest: &str) -> (i64, i64) {
    let mut it = rest.split(['-', '.']).map(|x| x.parse::<i64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// A slot file: this header (magic, length, hash), then the bytes at `SLOT_HEADER`.
const SLOT_HEADER: u64 = 4096;
const SLOT_MAGIC: &[u8; 8] = b"SVSLOT1\0";

impl Staging {
    pub(crate) fn new(dir: PathBuf, store: Arc<dyn BlockStore>, block_size: u64) -> Staging {
        // One directory per engine: two engines of one process must not share slots.
        static ENGINES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let (pid, start) = crate::util::process_identity();
        let n = ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let own_dir = dir.join(format!("{OWN_PREFIX}{pid}-{start}-{n}-{}", &crate::util::new_id("x")[2..12]));
        Staging {
            dir,
            store,
            pending: Mutex::new(HashMap::new()),
            idle: Condvar::new(),
            staged: Condvar::new(),
            block_size,
            own_dir,
            own_lock: Mutex::new(None),
            closing: Default::default(),
            slots: Mutex::new(SlotPool::default()),
            renamed: Default::default(),
            dir_synced: Mutex::new(0),
        }
    }

    /// Uploads every block a previous run staged (crash recovery); damaged ones are dropped.
    /// Directories of engines still open (their lock is held) are theirs and left alone.
    pub(crate) fn recover(&self) -> Result<usize> {
        let mut n = 0;
        for e in std::fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().to_string();
            let path = e.path();
            if let Some(owner) = name.strip_prefix(OWN_PREFIX) {
                if path == self.own_dir {
                    continue;
                }
                let (pid, start) = owner_of(owner);
                let _lock = match take_lock(&path)? {
                    Lock::Free(f) => Some(f),
                    Lock::Held => continue,
                    // Made by a build before the lock file: judged by its process id.
                    Lock::Missing if !crate::util::process_alive(pid, start) => None,
                    Lock::Missing => continue,
                };
                n += self.recover_dir(&path)?;
                remove_dir(&path)?;
                continue;
            }
            if name.starts_with(NEW_PREFIX) {
                // Left by an engine that died while setting its directory up (it
                // never holds blocks); a young one may still be being set up.
                let stale = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|a| a > NEW_DIR_STALE));
                if stale && matches!(take_lock(&path)?, Lock::Free(_) | Lock::Missing) {
                    remove_dir(&path)?;
                }
                continue;
            }
            // Older versions: `slots-<pid>-<start>-<n>` directories, with no lock.
            if let Some(owner) = name.strip_prefix("slots-") {
                let (pid, start) = owner_of(owner);
                if !crate::util::process_alive(pid, start) {
                    n += self.recover_dir(&path)?;
                    remove_dir(&path)?;
                }
                continue;
            }
            // Older versions staged whole blocks directly in `staging/`: a
            // half-written `.tmp.<pid>.*` of a running process is still being written.
            if let Some(rest) = name.strip_prefix(".tmp.") {
                if !crate::util::process_alive(owner_of(rest).0, 0) {
                    let _ = std::fs::remove_file(&path);
                }
                continue;
            }
            n += usize::from(self.recover_block(&path, &name)?);
        }
        Ok(n)
    }

    /// Uploads a staged whole-block file and removes it; false if it was torn or gone.
    fn recover_block(&self, path: &Path, hash: &str) -> Result<bool> {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            // Another engine recovering the same directory took it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        if verify_block(hash, &data).is_err() {
            // Never acknowledged: the fsync before the metadata commit did not finish.
            tracing::warn!(hash = %hash, "dropping a torn staged block");
            let _ = std::fs::remove_file(path);
            return Ok(false);
        }
        self.store.put(hash, &data)?;
        let _ = std::fs::remove_file(path);
        Ok(true)
    }

    /// Creates this engine's directory, locked, and makes its entry in `staging/`
    /// durable, once. It is set up under another name and renamed into place
    /// with its lock held, so no engine ever sees it unlocked while this one lives.
    fn own_dir(&self) -> Result<&Path> {
        let mut lock = self.own_lock.lock();
        if lock.is_none() {
            self.refuse_if_closed()?;
            let tmp = self.dir.join(format!("{NEW_PREFIX}{}", &crate::util::new_id("x")[2..]));
            std::fs::create_dir(&tmp)?;
            let set_up = (|| -> Result<std::fs::File> {
                let f = std::fs::File::create(tmp.join(LOCK_FILE))?;
                f.try_lock().map_err(|e| Error::io(format!("cannot lock {}: {e}", tmp.display())))?;
                std::fs::rename(&tmp, &self.own_dir)?;
                Ok(f)
            })();
            let f = set_up.inspect_err(|_| {
                let _ = std::fs::remove_dir_all(&tmp);
            })?;
            std::fs::File::open(&self.dir)?.sync_all()?;
            *lock = Some(f);
        }
        Ok(&self.own_dir)
    }

    /// `invalid_state` once `close` ran: nothing is staged after it, and its directory is not re-created.
    fn refuse_if_closed(&self) -> Result<()> {
        if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::invalid_state("the engine is closed: nothing more is staged"));
        }
        Ok(())
    }

    /// Makes every rename into this engine's directory so far durable. Concurrent stagers share
    /// one directory fsync: whoever syncs covers every rename done before it began.
    fn sync_dir(&self) -> Result<()> {
        let mine = self.renamed.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let mut synced = self.dir_synced.lock();
        if *synced >= mine {
            return Ok(());
        }
        let upto = self.renamed.load(std::sync::atomic::Ordering::SeqCst);
        std::fs::File::open(&self.own_dir)?.sync_all()?;
        *synced = upto;
        Ok(())
    }

    /// Uploads the blocks in a dead engine's directory: numbered slots and whole-block files.
    fn recover_dir(&self, dir: &Path) -> Result<usize> {
        let mut n = 0;
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            // Recovered and removed by another engine opening at the same time.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for e in entries {
            let e = e?;
            let name = e.file_name().to_string_lossy().to_string();
            if name.parse::<u32>().is_ok() {
                if let Some((hash, data)) = read_slot(&e.path(), None) {
                    self.store.put(&hash, &data)?;
                    n += 1;
                }
            } else if !name.starts_with(".tmp.") && name != LOCK_FILE {
                n += usize::from(self.recover_block(&e.path(), &name)?);
            }
        }
        Ok(n)
    }

    /// Writes and fsyncs a block into the journal; the caller uploads it with [`Staging::upload`].
    pub(crate) fn stage(&self, hash: &str, data: &[u8]) -> Result<bool> {
        {
            let mut p = self.pending.lock();
            loop {
                self.refuse_if_closed()?;
                match p.get(hash) {
                    Some(s) if s.durable => return Ok(false),
                    // Another write of the same bytes is staging it: acknowledge
                    // on its copy once that is durable (or stage it here if it fails).
                    Some(_) => self.staged.wait(&mut p),
                    None => break,
                }
            }
            p.insert(hash.to_string(), Staged { size: data.len() as u64, slot: None, durable: false });
        }
        let res = if (data.len() as u64) < self.block_size {
            self.stage_in_slot(hash, data).map(Some)
        } else {
            (|| -> Result<Option<u32>> {
                let dir = self.own_dir()?;
                let tmp = dir.join(format!(".tmp.{}", &hash[..16]));
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(data)?;
                f.sync_all()?;
                std::fs::rename(&tmp, dir.join(hash))?;
                self.sync_dir()?;
                Ok(None)
            })()
        };
        {
            let mut p = self.pending.lock();
            match &res {
                Ok(slot) => {
                    if let Some(s) = p.get_mut(hash) {
                        s.slot = *slot;
                        s.durable = true;
                    }
                }
                Err(_) => {
                    p.remove(hash);
                }
            }
        }
        self.staged.notify_all();
        res.map(|_| true)
    }

    /// Writes a small block into a free slot (a new one if none is free) and
    /// syncs it: a reused slot's directory entry is durable already.
    fn stage_in_slot(&self, hash: &str, data: &[u8]) -> Result<u32> {
        let (slot, fresh) = {
            let mut pool = self.slots.lock();
            match pool.free.pop() {
                Some(s) => (s, false),
                None => {
                    pool.created += 1;
                    (pool.created - 1, true)
                }
            }
        };
        let res = (|| -> Result<()> {
            let path = self.own_dir()?.join(slot.to_string());
            let f = std::fs::OpenOptions::new().write(true).create(fresh).truncate(false).open(&path)?;
            let mut header = Vec::with_capacity(80);
            header.extend_from_slice(SLOT_MAGIC);
            header.extend_from_slice(&(data.len() as u64).to_le_bytes());
            header.extend_from_slice(hash.as_bytes());
            f.write_all_at(&header, 0)?;
            f.write_all_at(data, SLOT_HEADER)?;
            if fresh {
                // A new slot costs what a staged file does; reusing it later
                // rewrites bytes in place, and fdatasync has only those to write
                // (plus the size, if this block is larger than any before).
                f.sync_all()?;
                std::fs::File::open(&self.own_dir)?.sync_all()?;
            } else {
                f.sync_data()?;
            }
            Ok(())
        })();
        match res {
            Ok(()) => Ok(slot),
            Err(e) => {
                self.slots.lock().free.push(slot);
                Err(e)
            }
        }
    }

    /// Moves one staged block to the store.
    pub(crate) fn upload(&self, hash: &str) -> Result<()> {
        let span = tracing::debug_span!("upload", hash);
        let _g = span.enter();
        let staged = self.pending.lock().get(hash).copied();
        // On failure the block stays staged (and readable) for a retry or the next open.
        match staged.and_then(|s| s.slot) {
            Some(slot) => {
                let data = self.read(hash).ok_or_else(|| {
                    crate::Error::corrupt(format!("staged block {hash} in slot {slot} does not match its hash"))
                })?;
                self.store.put(hash, &data)?;
                // Clear the magic so a later recovery does not upload it again (best effort).
                if let Ok(f) = std::fs::OpenOptions::new().write(true).open(self.own_dir.join(slot.to_string())) {
                    let _ = f.write_all_at(&[0u8; 8], 0);
                }
            }
            None => {
                let path = self.own_dir.join(hash);
                self.store.put_file(hash, &path)?;
                let _ = std::fs::remove_file(&path);
            }
        }
        let mut p = self.pending.lock();
        if let Some(Staged { slot: Some(slot), .. }) = p.remove(hash) {
            self.slots.lock().free.push(slot);
        }
        if p.is_empty() {
            self.idle.notify_all();
        }
        Ok(())
    }

    /// The staged bytes of a block not yet uploaded.
    pub(crate) fn read(&self, hash: &str) -> Option<Vec<u8>> {
        let staged = *self.pending.lock().get(hash)?;
        match staged.slot {
            // A slot is reused once its block is uploaded: the hash check tells a stale read.
            Some(slot) => read_slot(&self.own_dir.join(slot.to_string()), Some(hash)).map(|(_, d)| d),
            None => std::fs::read(self.own_dir.join(hash)).ok(),
        }
    }

    /// A block another engine on this data directory staged and has not uploaded
    /// yet, so that its acknowledged writes are readable here too. Scans the
    /// other engines' directories: only for blocks the store does not have.
    pub(crate) fn read_other(&self, hash: &str) -> Option<Vec<u8>> {
        for e in std::fs::read_dir(&self.dir).ok()?.flatten() {
            let dir = e.path();
            if dir == self.own_dir || !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if let Ok(d) = std::fs::read(dir.join(hash))
                && verify_block(hash, &d).is_ok()
            {
                return Some(d);
            }
            for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if f.file_name().to_string_lossy().parse::<u32>().is_ok()
                    && let Some((_, d)) = read_slot(&f.path(), Some(hash))
                {
                    return Some(d);
                }
            }
        }
        None
    }

    /// True while a block is staged and not yet uploaded.
    pub(crate) fn holds(&self, hash: &str) -> bool {
        self.pending.lock().contains_key(hash)
    }

    /// Bytes staged and not yet uploaded.
    pub(crate) fn staged_bytes(&self) -> u64 {
        self.pending.lock().values().map(|s| s.size).sum()
    }

    /// Stages nothing more; removes this engine's directory if nothing is left
    /// in it, and unlocks it either way, so that the next engine to open the data
    /// directory (in this process too) uploads what is left.
    pub(crate) fn close(&self) {
        {
            let p = self.pending.lock();
            self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
            if p.is_empty() {
                let _ = std::fs::remove_dir_all(&self.own_dir);
            }
        }
        self.own_lock.lock().take();
    }

    /// Waits until every staged block is uploaded, up to `timeout`; true when idle.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut p = self.pending.lock();
        while !p.is_empty() {
            if self.idle.wait_until(&mut p, deadline).timed_out() {
                return p.is_empty();
            }
        }
        true
    }
}

/// A slot's block, if its header is whole and its bytes match the hash it names
/// (and that hash is `want`, when given).
fn read_slot(path: &Path, want: Option<&str>) -> Option<(String, Vec<u8>)> {
    let f = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 80];
    f.read_exact_at(&mut header, 0).ok()?;
    if &header[..8] != SLOT_MAGIC {
        return None;
    }
    let len = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let hash = std::str::from_utf8(&header[16..80]).ok()?.to_string();
    if want.is_some_and(|w| w != hash) || len > f.metadata().ok()?.len().saturating_sub(SLOT_HEADER) {
        return None;
    }
    let mut data = vec![0u8; len as usize];
    f.read_exact_at(&mut data, SLOT_HEADER).ok()?;
    verify_block(&hash, &data).ok()?;
    Some((hash, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{LocalStore, hash_block};

    fn setup() -> (tempfile::TempDir, Arc<dyn BlockStore>, Staging) {
        let d = tempfile::tempdir().unwrap();
        let store: Arc<dyn BlockStore> = Arc::new(LocalStore::open(&d.path().join("blocks"), false).unwrap());
        std::fs::create_dir_all(d.path().join("staging")).unwrap();
        let s = Staging::new(d.path().join("staging"), store.clone(), 64);
        (d, store, s)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn recovery_takes_dead_engines_blocks_and_leaves_live_ones() {
        let (d, store, s) = setup();
        let st = d.path().join("staging");
        let (pid, start) = crate::util::process_identity();
        let (whole, small) = (vec![7u8; 64], vec![9u8; 10]);
        let (hw, hs) = (hash_block(&whole), hash_block(&small));
        // A dead engine's directory: a whole block, a slot, a half-written file.
        let dead = st.join(format!("{OWN_PREFIX}{}-1-0", i32::MAX));
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::write(dead.join(&hw), &whole).unwrap();
        let mut slot = SLOT_MAGIC.to_vec();
        slot.extend_from_slice(&(small.len() as u64).to_le_bytes());
        slot.extend_from_slice(hs.as_bytes());
        slot.resize(SLOT_HEADER as usize, 0);
        slot.extend_from_slice(&small);
        std::fs::write(dead.join("0"), &slot).unwrap();
        std::fs::write(dead.join(".tmp.0123456789abcdef"), b"half").unwrap();
        // A running engine's directory (this process, another engine number).
        let live = st.join(format!("{OWN_PREFIX}{pid}-{start}-999"));
        std::fs::create_dir_all(&live).unwrap();
        std::fs::write(live.join(hash_block(b"live")), b"live").unwrap();
        // The old layout: whole blocks and half-written files directly in staging/.
        let legacy = vec![3u8; 64];
        std::fs::write(st.join(hash_block(&legacy)), &legacy).unwrap();
        std::fs::write(st.join(hash_block(b"x")), b"torn").unwrap();
        std::fs::write(st.join(format!(".tmp.{pid}.aaaa")), b"writing").unwrap();
        std::fs::write(st.join(format!(".tmp.{}.bbbb", i32::MAX)), b"abandoned").unwrap();

        assert_eq!(s.recover().unwrap(), 3, "the dead engine's two blocks and the legacy one");
        for (h, data) in [(&hw, &whole), (&hs, &small), (&hash_block(&legacy), &legacy)] {
            assert_eq!(&store.get(h).unwrap(), data);
        }
        assert!(!store.exists(&hash_block(b"live")).unwrap(), "a live engine's block is its own to upload");
        assert!(!store.exists(&hash_block(b"x")).unwrap(), "a torn block is dropped");
        let mut want = vec![format!(".tmp.{pid}.aaaa"), live.file_name().unwrap().to_string_lossy().into_owned()];
        want.sort();
        assert_eq!(names(&st), want);
        assert_eq!(names(&live), vec![hash_block(b"live")]);
    }

    #[test]
    fn an_engine_stages_into_its_own_directory_and_removes_it_when_idle() {
        let (d, store, s) = setup();
        let whole = vec![1u8; 64];
        let h = hash_block(&whole);
        assert!(s.stage(&h, &whole).unwrap());
        assert!(!s.stage(&h, &whole).unwrap(), "staged once");
        let own = s.own_dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(own.starts_with(OWN_PREFIX), "{own}");
        assert_eq!(names(&d.path().join("staging")), vec![own.clone()]);
        assert_eq!(names(&s.own_dir), vec![h.clone(), LOCK_FILE.to_string()]);
        assert_eq!(s.read(&h).unwrap(), whole);
        // Another engine, even of this process, recovers nothing of it while it is open.
        let other = Staging::new(d.path().join("staging"), store.clone(), 64);
        assert_eq!(other.recover().unwrap(), 0);
        assert_eq!(names(&s.own_dir), vec![h.clone(), LOCK_FILE.to_string()]);
        s.upload(&h).unwrap();
        assert_eq!(store.get(&h).unwrap(), whole);
        assert_eq!(s.staged_bytes(), 0);
        s.close();
        assert_eq!(names(&d.path().join("staging")), Vec::<String>::new());
    }

    #[test]
    fn a_locked_directory_is_left_alone_whatever_its_name_says() {
        // An engine in another PID namespace: its pid means nothing here
        // (i32::MAX is no process of ours), but it holds its lock.
        let (d, store, s) = setup();
        let other = d.path().join("staging").join(format!("{OWN_PREFIX}{}-1-0-abc", i32::MAX));
        std::fs::create_dir_all(&other).unwrap();
        let lock = std::fs::File::create(other.join(LOCK_FILE)).unwrap();
        lock.try_lock().unwrap();
        let block = vec![4u8; 64];
        std::fs::write(other.join(hash_block(&block)), &block).unwrap();
        assert_eq!(s.recover().unwrap(), 0);
        assert!(!store.exists(&hash_block(&block)).unwrap());
        assert_eq!(names(&other), vec![hash_block(&block), LOCK_FILE.to_string()]);
        // It closes (or dies): the next open takes its blocks.
        drop(lock);
        assert_eq!(s.recover().unwrap(), 1);
        assert_eq!(store.get(&hash_block(&block)).unwrap(), block);
        assert!(!other.exists());
    }

    #[test]
    fn a_closed_engines_leftovers_are_recovered_in_the_same_process() {
        let (d, store, s) = setup();
        let block = vec![5u8; 64];
        let h = hash_block(&block);
        assert!(s.stage(&h, &block).unwrap());
        // Closed before its upload (a timed-out flush): the block stays, unlocked.
        s.close();
        assert!(s.own_dir.join(&h).exists());
        let err = s.stage(&hash_block(b"late"), b"late").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidState, "{err}");
        assert!(!s.holds(&hash_block(b"late")), "nothing is staged after close");
        let next = Staging::new(d.path().join("staging"), store.clone(), 64);
        assert_eq!(next.recover().unwrap(), 1);
        assert_eq!(store.get(&h).unwrap(), block);
        assert_eq!(names(&d.path().join("staging")), Vec::<String>::new());
    }

    #[test]
    fn abandoned_directory_setups_are_removed_once_old() {
        let (d, _store, s) = setup();
        let st = d.path().join("staging");
        let make = |name: &str, age: Duration| {
            let p = st.join(name);
            std::fs::create_dir(&p).unwrap();
            let lock = std::fs::File::create(p.join(LOCK_FILE)).unwrap();
            std::fs::File::open(&p).unwrap().set_modified(std::time::SystemTime::now() - age).unwrap();
            lock
        };
        drop(make(&format!("{NEW_PREFIX}old"), Duration::from_secs(600)));
        drop(make(&format!("{NEW_PREFIX}young"), Duration::ZERO));
        let held = make(&format!("{NEW_PREFIX}held"), Duration::from_secs(600));
        held.try_lock().unwrap();
        assert_eq!(s.recover().unwrap(), 0);
        assert_eq!(names(&st), vec![format!("{NEW_PREFIX}held"), format!("{NEW_PREFIX}young")]);
    }

    #[test]
    fn a_second_write_of_a_block_being_staged_waits_until_it_is_durable() {
        let (_d, _store, s) = setup();
        let s = Arc::new(s);
        let big = vec![6u8; 32 << 20];
        let h = hash_block(&big);
        let first = {
            let (s, big, h) = (s.clone(), big.clone(), h.clone());
            std::thread::spawn(move || s.stage(&h, &big).unwrap())
        };
        // Once the first write is under way (its temporary file exists), stage the same bytes.
        let tmp = s.own_dir.join(format!(".tmp.{}", &h[..16]));
        let t0 = Instant::now();
        while !tmp.exists() {
            assert!(t0.elapsed() < Duration::from_secs(10), "the first stage never started");
            std::thread::yield_now();
        }
        assert!(!s.stage(&h, &big).unwrap(), "staged once");
        assert!(s.own_dir.join(&h).exists(), "acknowledged only once the block is durable in place");
        assert!(first.join().unwrap());
    }
}
