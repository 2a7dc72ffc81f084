//! A volume's counters — change sequence, next inode number, used bytes, file
//! count — moved together in one UPDATE per operation. Three separate updates
//! of the volume row were a third of a small file operation's cost.

use crate::error::{Error, Result};
use crate::util::now_ms;
use rusqlite::{Connection, OptionalExtension, params};

/// What one operation changes in its volume's counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Delta {
    /// Allocate an inode number.
    pub new_inode: bool,
    /// Change of used_bytes.
    pub bytes: i64,
    /// Change of file_count.
    pub files: i64,
}

/// What the update handed back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bumped {
    /// The operation's change sequence number (also the new version of what it touched).
    pub seq: u64,
    /// The allocated inode number (meaningful when `new_inode` was asked for).
    pub ino: i64,
}

/// Takes the next sequence number (and an inode number, if asked), applies the
/// usage change, and refuses growth past size_limit with `quota_exceeded`; the
/// caller's transaction then rolls everything back.
pub(crate) fn bump(tx: &Connection, volume_id: &str, d: Delta, shown: &str) -> Result<Bumped> {
    let mut stmt = tx.prepare_cached(
        "UPDATE volumes SET change_seq = change_seq + 1, next_ino = next_ino + ?2, used_bytes = used_bytes + ?3,
                file_count = file_count + ?4, updated_at = ?5
         WHERE id = ?1 RETURNING change_seq, next_ino - ?2, used_bytes, size_limit",
    )?;
    let row = stmt
        .query_row(params![volume_id, d.new_inode as i64, d.bytes, d.files, now_ms()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional();
    let (seq, ino, used, limit): (i64, i64, i64, Option<i64>) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return Err(Error::not_found(format!("volume {volume_id:?} not found"))),
        // SQLite turns an integer sum past i64 into a float: the volume would
        // hold more bytes than it can count (sparse files at the largest size).
        // The caller's transaction rolls the update back.
        Err(rusqlite::Error::InvalidColumnType(2, _, rusqlite::types::Type::Real)) => {
            return Err(Error::quota_exceeded(format!(
                "writing {shown:?} would bring volume {volume_id} past {} bytes, the most it can count",
                i64::MAX
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(limit) = limit
        && d.bytes > 0
        && used > limit
    {
        return Err(Error::quota_exceeded(format!(
            "writing {shown:?} would bring volume {volume_id} to {used} bytes, over its size_limit of {limit} bytes"
        )));
    }
    Ok(Bumped { seq: seq as u64, ino })
}

/// Takes the next sequence number for a change that moves no counter.
pub(crate) fn next_seq(tx: &Connection, volume_id: &str) -> Result<u64> {
    Ok(bump(tx, volume_id, Delta::default(), "")?.seq)
}

/// Takes a sequence number and an inode number for a new directory or symlink.
pub(crate) fn new_inode(tx: &Connection, volume_id: &str) -> Result<Bumped> {
    bump(tx, volume_id, Delta { new_inode: true, ..Default::default() }, "")
}
