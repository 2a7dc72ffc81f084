//! Snapshots: O(metadata) copies of a volume's tree that share its immutable blocks.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fs::{ChangeKind, changes, tree};
use crate::mount;
use crate::util::{check_name, new_id, now_ms};
use crate::volume::{self, CreateVolume, Volume, VolumeKind};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A point-in-time copy of a volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// "snap_…" id.
    pub id: String,
    /// The volume it was taken of.
    pub volume_id: String,
    /// Name, unique per volume.
    pub name: Option<String>,
    /// The volume's used_bytes at the time.
    pub used_bytes: u64,
    /// The volume's file_count at the time.
    pub file_count: u64,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
}

const COLUMNS: &str = "id, volume_id, name, used_bytes, file_count, created_at, next_ino";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Snapshot, i64)> {
    Ok((
        Snapshot {
            id: r.get(0)?,
            volume_id: r.get(1)?,
            name: r.get(2)?,
            used_bytes: r.get::<_, i64>(3)? as u64,
            file_count: r.get::<_, i64>(4)? as u64,
            created_at: r.get(5)?,
        },
        r.get(6)?,
    ))
}

fn get(tx: &Connection, id: &str) -> Result<(Snapshot, i64)> {
    tx.query_row(&format!("SELECT {COLUMNS} FROM snapshots WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("snapshot {id:?} not found")))
}

/// Makes `vol`'s tree a copy of snapshot `snap` (the tree must be empty) and sets its counters.
fn install(tx: &Connection, snap: &Snapshot, next_ino: i64, vol: &str) -> Result<()> {
    tree::copy_tree(tx, &snap.id, vol)?;
    tx.execute(
        "UPDATE volumes SET used_bytes = ?2, file_count = ?3, next_ino = ?4, updated_at = ?5,
                change_seq = max(change_seq, (SELECT COALESCE(MAX(version), 0) FROM inodes WHERE owner = ?1))
         WHERE id = ?1",
        params![vol, snap.used_bytes as i64, snap.file_count as i64, next_ino, now_ms()],
    )?;
    Ok(())
}

impl Engine {
    /// Snapshots a volume: copies its metadata, shares its blocks.
    pub fn create_snapshot(&self, volume: &str, name: Option<&str>) -> Result<Snapshot> {
        self.check_open()?;
        if let Some(n) = name {
            check_name("snapshot", n)?;
        }
        self.inner.catalog.write(|tx| {
            let v = volume::resolve(tx, volume)?;
            if let Some(n) = name {
                let taken: bool = tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM snapshots WHERE volume_id = ?1 AND name = ?2)",
                    params![v.id, n],
                    |r| r.get(0),
                )?;
                if taken {
                    return Err(Error::already_exists(format!("snapshot name {n:?} is already taken on volume {}", v.id)));
                }
            }
            let next_ino: i64 = tx.query_row("SELECT next_ino FROM volumes WHERE id = ?1", [&v.id], |r| r.get(0))?;
            let s = Snapshot {
                id: new_id("snap"),
                volume_id: v.id.clone(),
                name: name.map(str::to_string),
                used_bytes: v.used_bytes,
                file_count: v.file_count,
                created_at: now_ms(),
            };
            tx.execute(
                "INSERT INTO snapshots (id, volume_id, name, used_bytes, file_count, next_ino, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![s.id, s.volume_id, s.name, s.used_bytes as i64, s.file_count as i64, next_ino, s.created_at],
            )?;
            tree::copy_tree(tx, &v.id, &s.id)?;
            Ok(s)
        })
    }

    /// One snapshot by id.
    pub fn get_snapshot(&self, id: &str) -> Result<Snapshot> {
        self.check_open()?;
        self.inner.catalog.read(|tx| Ok(get(tx, id)?.0))
    }

    /// Snapshots of a volume, oldest first.
    pub fn list_snapshots(&self, volume: &str) -> Result<Vec<Snapshot>> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            let v = volume::resolve(tx, volume)?;
            let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM snapshots WHERE volume_id = ?1 ORDER BY rowid"))?;
            let rows = stmt.query_map([v.id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().map(|(s, _)| s).collect())
        })
    }

    /// Deletes a snapshot; blocks only it referenced become garbage.
    pub fn delete_snapshot(&self, id: &str) -> Result<()> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            get(tx, id)?;
            tree::drop_tree(tx, id)?;
            tx.execute("DELETE FROM snapshots WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Rewinds the snapshot's volume in place; `conflict` while a read-write mount is active.
    pub fn restore_snapshot(&self, id: &str) -> Result<Volume> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let (s, next_ino) = get(tx, id)?;
            let rw: Vec<String> = mount::active_for_volume(tx, &s.volume_id)?
                .into_iter()
                .filter(|m| !m.read_only)
                .map(|m| m.id)
                .collect();
            if !rw.is_empty() {
                return Err(Error::conflict(format!(
                    "volume {} has read-write mount sessions {}; restore needs them unmounted",
                    s.volume_id,
                    rw.join(", ")
                )));
            }
            tree::drop_tree(tx, &s.volume_id)?;
            install(tx, &s, next_ino, &s.volume_id)?;
            // Versions only go up: every restored file gets a fresh one.
            let seq = crate::fs::counters::next_seq(tx, &s.volume_id)?;
            tx.execute("UPDATE inodes SET version = ?2 WHERE owner = ?1", params![s.volume_id, seq as i64])?;
            changes::record(tx, &s.volume_id, seq, "/", ChangeKind::Restore, None)?;
            volume::get_by_id(tx, &s.volume_id)
        })
    }

    /// Creates a new volume from a snapshot, with the source volume's settings
    /// unless `req` overrides them.
    pub fn fork_snapshot(&self, id: &str, req: CreateVolume) -> Result<Volume> {
        self.check_open()?;
        self.inner.catalog.write(|tx| {
            let (s, next_ino) = get(tx, id)?;
            let src = volume::get_by_id(tx, &s.volume_id)?;
            let mut req = req;
            req.access_mode = req.access_mode.or(Some(src.access_mode));
            if req.size_limit.is_none() {
                req.size_limit = src.size_limit.map(Into::into);
            }
            if req.labels.is_empty() {
                req.labels = src.labels.clone();
            }
            let mut cfg = req.config.clone();
            cfg.cache_size = cfg.cache_size.or(Some(src.config.cache_size.into()));
            cfg.buffer_size = cfg.buffer_size.or(Some(src.config.buffer_size.into()));
            cfg.prefetch = cfg.prefetch.or(Some(src.config.prefetch));
            cfg.writeback = cfg.writeback.or(Some(src.config.writeback));
            req.config = cfg;
            let v = volume::insert(tx, &req, VolumeKind::User)?;
            if let Some(limit) = v.size_limit
                && limit < s.used_bytes
            {
                return Err(Error::quota_exceeded(format!(
                    "snapshot {id} holds {} bytes, over the new volume's size_limit of {limit}",
                    s.used_bytes
                )));
            }
            tree::drop_tree(tx, &v.id)?;
            install(tx, &s, next_ino, &v.id)?;
            volume::get_by_id(tx, &v.id)
        })
    }
}
