//! Block reference counts in the catalog: one reference per chunk row that names a block.
//!
//! A count that drops to zero only records when; the garbage collector deletes
//! the block later, after a grace period, so a reader that resolved a chunk map
//! just before a rewrite can still fetch the old block.

use crate::error::Result;
use crate::util::now_ms;
use rusqlite::{Connection, params};

/// Takes one reference to `hash` (a block of `size` bytes already in the store).
pub(crate) fn acquire(tx: &Connection, hash: &str, size: u64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO blocks (hash, size, refcount, zero_since) VALUES (?1, ?2, 1, NULL)
         ON CONFLICT(hash) DO UPDATE SET refcount = refcount + 1, zero_since = NULL",
    )?
    .execute(params![hash, size as i64])?;
    Ok(())
}

/// Drops one reference to `hash`.
pub(crate) fn release(tx: &Connection, hash: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE blocks SET refcount = refcount - 1,
                zero_since = CASE WHEN refcount = 1 THEN ?2 ELSE zero_since END
         WHERE hash = ?1",
    )?
    .execute(params![hash, now_ms()])?;
    Ok(())
}

/// Takes one reference per chunk row of tree `owner` (after its rows were copied in).
pub(crate) fn acquire_owner(tx: &Connection, owner: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE blocks SET refcount = blocks.refcount + c.n, zero_since = NULL
         FROM (SELECT hash, count(*) AS n FROM chunks WHERE owner = ?1 GROUP BY hash) AS c
         WHERE blocks.hash = c.hash",
    )?
    .execute([owner])?;
    Ok(())
}

/// Drops one reference per chunk row of tree `owner` (before its rows are deleted).
pub(crate) fn release_owner(tx: &Connection, owner: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE blocks SET refcount = blocks.refcount - c.n,
                zero_since = CASE WHEN blocks.refcount = c.n THEN ?2 ELSE blocks.zero_since END
         FROM (SELECT hash, count(*) AS n FROM chunks WHERE owner = ?1 GROUP BY hash) AS c
         WHERE blocks.hash = c.hash",
    )?
    .execute(params![owner, now_ms()])?;
    Ok(())
}
