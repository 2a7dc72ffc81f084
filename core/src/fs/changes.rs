//! The per-volume change feed: one row per change, numbered by the volume's sequence.

use super::{ChangeEntry, ChangeKind};
use crate::error::{Error, Result};
use crate::util::now_ms;
use rusqlite::{Connection, params};

/// Appends a change with sequence `seq` (from `counters::bump`).
pub(crate) fn record(
    tx: &Connection,
    volume_id: &str,
    seq: u64,
    path: &str,
    kind: ChangeKind,
    new_path: Option<&str>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO changes (volume_id, seq, path, kind, new_path, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![volume_id, seq as i64, path, kind.as_str(), new_path, now_ms()])?;
    Ok(())
}

/// Changes with a sequence above `since`, oldest first.
pub(crate) fn since(tx: &Connection, volume_id: &str, since: u64, limit: usize) -> Result<Vec<ChangeEntry>> {
    let mut stmt = tx.prepare_cached(
        "SELECT seq, path, kind, new_path, at FROM changes WHERE volume_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt
        // Saturating: `since` past every sequence (u64::MAX) asks for nothing, where
        // a wrapped -1 asked for everything; a huge limit is no limit.
        .query_map(params![volume_id, i64::try_from(since).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(seq, path, kind, new_path, at)| {
            let kind = ChangeKind::parse(&kind)
                .ok_or_else(|| Error::corrupt(format!("change kind {kind:?} is not a known kind")))?;
            Ok(ChangeEntry { seq: seq as u64, path, kind, new_path, at })
        })
        .collect()
}
