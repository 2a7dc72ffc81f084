//! Data-directory-wide layout facts stored in the catalog (`meta` table).

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};

/// Records the block size on first open and refuses a different one later:
/// chunk maps are only meaningful with the block size they were cut with.
pub(crate) fn check_block_size(tx: &Connection, block_size: u64) -> Result<()> {
    let stored: Option<String> =
        tx.prepare_cached("SELECT value FROM meta WHERE key = 'block_size'")?.query_row([], |r| r.get(0)).optional()?;
    match stored {
        None => {
            tx.prepare_cached("INSERT INTO meta (key, value) VALUES ('block_size', ?1)")?.execute([block_size.to_string()])?;
            Ok(())
        }
        Some(s) if s == block_size.to_string() => Ok(()),
        Some(s) => Err(Error::invalid_argument(format!(
            "block_size {block_size} differs from the data directory's block_size {s}"
        ))),
    }
}
