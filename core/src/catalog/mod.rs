//! The metadata store: one SQLite database (`catalog.db`, WAL mode) per data directory.
//!
//! Every rule that spans rows is checked inside one `BEGIN IMMEDIATE`
//! transaction, so two processes sharing a data directory serialize on
//! SQLite's write lock and cannot both pass a check the other would fail.

mod schema;

pub use schema::SCHEMA_VERSION;

use crate::error::Result;
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How much a write survives, like SQLite's `synchronous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Survives a crash of the process (WAL, synchronous=NORMAL, no fsync per write).
    #[default]
    Process,
    /// Also survives power loss (blocks fsynced, synchronous=FULL).
    Power,
}

impl std::str::FromStr for Durability {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Durability> {
        match s {
            "process" => Ok(Durability::Process),
            "power" => Ok(Durability::Power),
            _ => Err(crate::Error::invalid_argument(format!(
                "durability {s:?} is not one of \"process\", \"power\""
            ))),
        }
    }
}

/// A connection to the catalog shared by the engine's threads.
pub struct Catalog {
    conn: Mutex<Connection>,
    checkpointer: Arc<Checkpointer>,
    /// Joined on drop, so no thread outlives the catalog (in the opening process).
    checkpoint_thread: Option<std::thread::JoinHandle<()>>,
    pid: u32,
}

/// Moves WAL checkpoints (and their fsync) off the request path: a background
/// thread with its own connection checkpoints shortly after writes.
struct Checkpointer {
    /// Commits since the last checkpoint; `u64::MAX` asks the thread to stop.
    dirty: Mutex<u64>,
    wake: Condvar,
    /// Checkpoints run so far.
    runs: std::sync::atomic::AtomicU64,
}

/// How often the checkpointer looks for work while there were writes.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Commits that wake the checkpointer early. Every page a reader looks up is
/// first searched in the WAL's index, which grows with the WAL: keeping the
/// WAL short (it restarts after a complete checkpoint) keeps reads cheap.
const CHECKPOINT_AFTER_COMMITS: u64 = 256;

/// Page size of a new catalog. A small-file operation dirties a few small rows
/// on as many pages (the inode, the volume's counters, the change feed), and
/// the WAL, its checkpoints and their fsyncs move whole pages: with 2 KiB pages
/// a 4 KiB overwrite is 6 KiB of WAL instead of 12 KiB. 1 KiB pages made reads
/// of 4 KiB inline files slower (a longer overflow chain); bench/RESULTS.md,
/// "Catalog page size". A catalog keeps the page size it was created with.
pub const PAGE_SIZE: u32 = 2048;

/// How long a writer waits for another process's transaction before `timeout`, by default.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl Catalog {
    /// Opens (creating if needed) and migrates the catalog at `path`.
    pub fn open(path: &Path, durability: Durability, busy_timeout: Duration) -> Result<Catalog> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(busy_timeout)?;
        // Only takes effect on a new, empty database (before WAL mode is set).
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(
            None,
            "synchronous",
            match durability {
                Durability::Process => "NORMAL",
                Durability::Power => "FULL",
            },
        )?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // Reads from a mapping instead of pread; a page cache large enough for the hot tree;
        // fewer, larger checkpoints.
        conn.pragma_update(None, "mmap_size", 256i64 << 20)?;
        conn.pragma_update(None, "cache_size", -32768i64)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // The background checkpointer does this work; the limit is only a backstop
        // for a checkpointer that cannot keep up.
        conn.pragma_update(None, "wal_autocheckpoint", 50_000i64)?;
        // Plans never depend on bound values: without this, SQLite re-plans a cached
        // statement on every execution once a parameter can sway its plan (any
        // ORDER BY with a bound WHERE term here), ~10-20 µs each time.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(128);
        schema::migrate(&mut conn)?;
        let checkpointer = Arc::new(Checkpointer { dirty: Mutex::new(0), wake: Condvar::new(), runs: Default::default() });
        let cp_conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        cp_conn.busy_timeout(busy_timeout)?;
        let cp = checkpointer.clone();
        let handle = std::thread::Builder::new()
            .name("sandvol-checkpoint".into())
            .spawn(move || cp.run(cp_conn))
            .map_err(|e| crate::Error::io(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Catalog { conn: Mutex::new(conn), checkpointer, checkpoint_thread: Some(handle), pid: std::process::id() })
    }

    /// Runs `f` in a read transaction (a consistent snapshot of the catalog).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.run("BEGIN", f)
    }

    /// Runs `f` in a write transaction holding the database write lock; commits on `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.run("BEGIN IMMEDIATE", f)
    }

    /// BEGIN and COMMIT through cached statements: parsing them on every call
    /// cost more than a small file operation itself.
    fn run<T>(&self, begin: &str, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.conn.lock();
        if !conn.is_autocommit() {
            // A panic inside an earlier transaction left it open: roll it back.
            conn.prepare_cached("ROLLBACK")?.execute([])?;
        }
        conn.prepare_cached(begin)?.execute([])?;
        match f(&conn) {
            Ok(v) => match conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([])) {
                Ok(_) => {
                    if begin != "BEGIN" {
                        self.checkpointer.note_commit();
                    }
                    Ok(v)
                }
                Err(e) => {
                    let _ = conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
                Err(e)
            }
        }
    }
}

impl Checkpointer {
    fn note_commit(&self) {
        // Saturating: u64::MAX is the stop request and must stay as it is.
        let mut d = self.dirty.lock();
        *d = d.saturating_add(1);
        if *d == 1 || *d == CHECKPOINT_AFTER_COMMITS {
            self.wake.notify_all();
        }
    }

    /// Sleeps until there were commits, lets more gather for up to
    /// `CHECKPOINT_EVERY` (or `CHECKPOINT_AFTER_COMMITS` of them), checkpoints, repeats.
    fn run(&self, conn: Connection) {
        loop {
            {
                let mut d = self.dirty.lock();
                while *d == 0 {
                    self.wake.wait(&mut d);
                }
                if *d < CHECKPOINT_AFTER_COMMITS {
                    self.wake.wait_for(&mut d, CHECKPOINT_EVERY);
                }
                if *d == u64::MAX {
                    return;
                }
                *d = 0;
            }
            // PASSIVE never blocks writers or readers; what it cannot copy now it copies next time.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(error = %e, "checkpoint skipped");
            }
            self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Drop for Catalog {
    fn drop(&mut self) {
        *self.checkpointer.dirty.lock() = u64::MAX;
        self.checkpointer.wake.notify_all();
        // A forked child has no such thread to join.
        if let Some(h) = self.checkpoint_thread.take()
            && std::process::id() == self.pid
        {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for_runs(c: &Catalog, n: u64) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while c.checkpointer.runs.load(std::sync::atomic::Ordering::Relaxed) < n {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn the_background_checkpointer_follows_commits_from_the_first_on() {
        let d = tempfile::tempdir().unwrap();
        let c = Catalog::open(&d.path().join("catalog.db"), Durability::Process, DEFAULT_BUSY_TIMEOUT).unwrap();
        let put = |k: &str| {
            c.write(|tx| {
                tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, 'x')", [k])?;
                Ok(())
            })
            .unwrap()
        };
        put("a");
        assert!(wait_for_runs(&c, 1), "no checkpoint after the first commit");
        // After an idle spell, the next commits are checkpointed too.
        std::thread::sleep(CHECKPOINT_EVERY * 2);
        let before = c.checkpointer.runs.load(std::sync::atomic::Ordering::Relaxed);
        put("b");
        assert!(wait_for_runs(&c, before + 1), "no checkpoint after an idle spell");
    }

    fn page_size(c: &Catalog) -> i64 {
        c.read(|tx| Ok(tx.query_row("PRAGMA page_size", [], |r| r.get(0))?)).unwrap()
    }

    #[test]
    fn a_new_catalog_uses_small_pages_and_an_old_one_keeps_its_own() {
        let d = tempfile::tempdir().unwrap();
        let c = Catalog::open(&d.path().join("new.db"), Durability::Process, DEFAULT_BUSY_TIMEOUT).unwrap();
        assert_eq!(page_size(&c), PAGE_SIZE as i64);

        // A catalog made with 4 KiB pages (as by earlier builds, or SQLite's default).
        let old = d.path().join("old.db");
        {
            let conn = Connection::open(&old).unwrap();
            conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)").unwrap();
        }
        let c = Catalog::open(&old, Durability::Process, DEFAULT_BUSY_TIMEOUT).unwrap();
        assert_eq!(page_size(&c), 4096);
        c.write(|tx| {
            tx.execute("INSERT INTO meta (key, value) VALUES ('k', ?1)", [&"v".repeat(5000)])?;
            Ok(())
        })
        .unwrap();
        drop(c);
        let c = Catalog::open(&old, Durability::Process, DEFAULT_BUSY_TIMEOUT).unwrap();
        let v: String = c.read(|tx| Ok(tx.query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))?)).unwrap();
        assert_eq!((v.len(), page_size(&c)), (5000, 4096));
    }

    #[test]
    fn cached_statements_keep_their_plans_across_bindings() {
        let d = tempfile::tempdir().unwrap();
        let c = Catalog::open(&d.path().join("catalog.db"), Durability::Process, DEFAULT_BUSY_TIMEOUT).unwrap();
        c.read(|tx| {
            assert!(tx.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)?);
            // An ORDER BY with a bound term: executing it with new values must not re-prepare it.
            let sql = "SELECT idx FROM chunks WHERE owner = ?1 AND ino = ?2 AND idx > ?3 ORDER BY idx";
            for i in 0..3i64 {
                tx.prepare_cached(sql)?.query([&"v" as &dyn rusqlite::ToSql, &1i64, &i])?.next()?;
            }
            let reprepared: i64 = tx.prepare_cached(sql).map(|s| s.get_status(rusqlite::StatementStatus::RePrepare) as i64)?;
            assert_eq!(reprepared, 0);
            Ok(())
        })
        .unwrap();
    }
}
