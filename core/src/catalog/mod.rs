//! The metadata store: one SQLite database (`catalog.db`, WAL mode) per data directory.
//!
//! Every rule that spans rows is checked inside one `BEGIN IMMEDIATE`
//! transaction, so two processes sharing a data directory serialize on
//! SQLite's write lock and cannot both pass a check the other would fail.

mod schema;

pub use schema::SCHEMA_VERSION;

use crate::error::Result;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
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
}

/// How long a writer waits for another process's transaction before `timeout`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl Catalog {
    /// Opens (creating if needed) and migrates the catalog at `path`.
    pub fn open(path: &Path, durability: Durability) -> Result<Catalog> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
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
        conn.set_prepared_statement_cache_capacity(128);
        schema::migrate(&mut conn)?;
        Ok(Catalog { conn: Mutex::new(conn) })
    }

    /// Runs `f` in a read transaction (a consistent snapshot of the catalog).
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// Runs `f` in a write transaction holding the database write lock; commits on `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}
