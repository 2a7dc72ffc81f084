//! Volumes: named, persistent file trees with an access mode, a size limit, cache settings and labels.

use crate::config::{AccessMode, ConfigOverride, Size, VolumeConfig};
use crate::error::{Error, Result};
use crate::fs::tree;
use crate::util::{check_name, new_id, now_ms};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::collections::BTreeMap;

/// Labels attached to volumes and sandboxes.
pub type Labels = BTreeMap<String, String>;

/// A volume as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    /// "vol_…" id.
    pub id: String,
    /// Unique name, if one was given.
    pub name: Option<String>,
    /// RWO, ROX or RWX.
    pub access_mode: AccessMode,
    /// Upper bound on used_bytes, if any.
    pub size_limit: Option<u64>,
    /// Default cache settings for mounts of this volume.
    pub config: VolumeConfig,
    /// Free-form labels, filterable in `list_volumes`.
    pub labels: Labels,
    /// Sum of the sizes of the volume's regular files (docs/DECISIONS.md "Volumes").
    pub used_bytes: u64,
    /// Number of regular files (directories and symlinks are not counted).
    pub file_count: u64,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change to the volume's row, ms since the epoch.
    pub updated_at: i64,
}

/// What `create_volume` takes.
#[derive(Debug, Clone, Default)]
pub struct CreateVolume {
    /// Unique name; may not look like an id.
    pub name: Option<String>,
    /// Defaults to RWO, as a Kubernetes claim would.
    pub access_mode: Option<AccessMode>,
    /// Size limit in bytes or as "10G".
    pub size_limit: Option<Size>,
    /// Cache settings on top of the defaults.
    pub config: ConfigOverride,
    /// Labels.
    pub labels: Labels,
}

/// What `update_volume` changes; unset fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UpdateVolume {
    /// Replaces all labels.
    pub labels: Option<Labels>,
    /// `Some(None)` removes the limit; `Some(Some(s))` sets it (not below used_bytes).
    pub size_limit: Option<Option<Size>>,
    /// Changes cache settings (takes effect for mounts made afterwards).
    pub config: ConfigOverride,
}

/// Filter and pagination for list calls.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Every label here must match.
    pub labels: Labels,
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of a list call.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Kind of a volume row: user volumes are visible, scratch volumes belong to one sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VolumeKind {
    User,
    Scratch,
}

impl VolumeKind {
    fn as_str(self) -> &'static str {
        match self {
            VolumeKind::User => "user",
            VolumeKind::Scratch => "scratch",
        }
    }
}

pub(crate) const DEFAULT_PAGE: usize = 100;
pub(crate) const MAX_PAGE: usize = 1000;

/// Page size from options, refusing zero and absurd values.
pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(Error::invalid_argument(format!("page limit {n} is not between 1 and {MAX_PAGE}"))),
    }
}

/// Decodes a list cursor (the rowid of the last item returned).
pub(crate) fn parse_cursor(cursor: &Option<String>) -> Result<i64> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Error::invalid_argument(format!("cursor {c:?} is not a cursor this engine returned"))),
    }
}

const COLUMNS: &str =
    "id, name, access_mode, size_limit, config, labels, used_bytes, file_count, created_at, updated_at, rowid";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Volume, i64)> {
    let mode: String = r.get(2)?;
    let config: String = r.get(4)?;
    let labels: String = r.get(5)?;
    let bad = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok((
        Volume {
            id: r.get(0)?,
            name: r.get(1)?,
            access_mode: mode.parse().map_err(|e: Error| bad(2, e.into()))?,
            size_limit: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
            config: serde_json::from_str(&config).map_err(|e| bad(4, e.into()))?,
            labels: serde_json::from_str(&labels).map_err(|e| bad(5, e.into()))?,
            used_bytes: r.get::<_, i64>(6)? as u64,
            file_count: r.get::<_, i64>(7)? as u64,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
        },
        r.get(10)?,
    ))
}

fn check_labels(labels: &Labels) -> Result<()> {
    for (k, v) in labels {
        if k.is_empty() || k.len() > 253 || v.len() > 1024 {
            return Err(Error::invalid_argument(format!("label {k:?}={v:?} is empty or too long")));
        }
    }
    Ok(())
}

/// A size_limit in bytes; the catalog keeps it as a signed 64-bit integer,
/// so a larger one (2^64 - 1 from C or Python, "8192P") would turn negative
/// there and refuse every write.
fn size_limit_bytes(s: &Size) -> Result<u64> {
    let n = s.bytes()?;
    if n > i64::MAX as u64 {
        return Err(Error::invalid_argument(format!("size_limit {n} is more than {} bytes", i64::MAX)));
    }
    Ok(n)
}

/// Inserts a volume and its empty root directory.
pub(crate) fn insert(tx: &Connection, req: &CreateVolume, kind: VolumeKind) -> Result<Volume> {
    if let Some(name) = &req.name {
        check_name("volume", name)?;
    }
    check_labels(&req.labels)?;
    let size_limit = req.size_limit.as_ref().map(size_limit_bytes).transpose()?;
    let config = req.config.apply(VolumeConfig::default())?;
    if let Some(name) = &req.name {
        let taken: bool =
            tx.prepare_cached("SELECT EXISTS(SELECT 1 FROM volumes WHERE name = ?1)")?.query_row([name], |r| r.get(0))?;
        if taken {
            return Err(Error::already_exists(format!("volume name {name:?} is already taken")));
        }
    }
    let now = now_ms();
    let v = Volume {
        id: new_id("vol"),
        name: req.name.clone(),
        access_mode: req.access_mode.unwrap_or(AccessMode::ReadWriteOnce),
        size_limit,
        config,
        labels: req.labels.clone(),
        used_bytes: 0,
        file_count: 0,
        created_at: now,
        updated_at: now,
    };
    tx.prepare_cached(
        "INSERT INTO volumes (id, name, kind, access_mode, size_limit, config, labels, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        v.id,
        v.name,
        kind.as_str(),
        v.access_mode.as_str(),
        v.size_limit.map(|s| s as i64),
        serde_json::to_string(&v.config)?,
        serde_json::to_string(&v.labels)?,
        now
    ])?;
    tree::create_root(tx, &v.id, now)?;
    Ok(v)
}

/// Resolves a ref (id or exact name) to a user volume.
pub(crate) fn resolve(tx: &Connection, r: &str) -> Result<Volume> {
    let sql = format!("SELECT {COLUMNS} FROM volumes WHERE (id = ?1 OR name = ?1) AND kind = 'user'");
    tx.prepare_cached(&sql)?.query_row([r], from_row)
        .optional()?
        .map(|(v, _)| v)
        .ok_or_else(|| Error::not_found(format!("volume {r:?} not found")))
}

/// Loads any volume (user or scratch) by id.
pub(crate) fn get_by_id(tx: &Connection, id: &str) -> Result<Volume> {
    let sql = format!("SELECT {COLUMNS} FROM volumes WHERE id = ?1");
    tx.prepare_cached(&sql)?.query_row([id], from_row)
        .optional()?
        .map(|(v, _)| v)
        .ok_or_else(|| Error::not_found(format!("volume {id:?} not found")))
}

/// Lists user volumes in creation order, filtered by labels.
pub(crate) fn list(tx: &Connection, opts: &ListOptions) -> Result<Page<Volume>> {
    let limit = page_limit(opts.limit)?;
    let after = parse_cursor(&opts.cursor)?;
    let sql = format!("SELECT {COLUMNS} FROM volumes WHERE kind = 'user' AND rowid > ?1 ORDER BY rowid");
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut rows = stmt.query([after])?;
    let mut items = Vec::new();
    let mut last = after;
    let mut more = false;
    while let Some(row) = rows.next()? {
        let (v, rowid) = from_row(row)?;
        if !opts.labels.iter().all(|(k, val)| v.labels.get(k) == Some(val)) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        last = rowid;
        items.push(v);
    }
    Ok(Page { items, next_cursor: more.then(|| last.to_string()) })
}

/// Applies an update and returns the new row.
pub(crate) fn update(tx: &Connection, r: &str, upd: &UpdateVolume) -> Result<Volume> {
    let mut v = resolve(tx, r)?;
    if let Some(labels) = &upd.labels {
        check_labels(labels)?;
        v.labels = labels.clone();
    }
    if let Some(limit) = &upd.size_limit {
        let limit = limit.as_ref().map(size_limit_bytes).transpose()?;
        if let Some(l) = limit
            && l < v.used_bytes
        {
            return Err(Error::invalid_argument(format!(
                "size_limit {l} is below volume {}'s used_bytes {}",
                v.id, v.used_bytes
            )));
        }
        v.size_limit = limit;
    }
    v.config = upd.config.apply(v.config)?;
    v.updated_at = now_ms();
    tx.prepare_cached(
        "UPDATE volumes SET labels = ?2, size_limit = ?3, config = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        v.id,
        serde_json::to_string(&v.labels)?,
        v.size_limit.map(|s| s as i64),
        serde_json::to_string(&v.config)?,
        v.updated_at
    ])?;
    Ok(v)
}

/// Removes a volume row, its file tree and its snapshots (blocks are left to gc).
pub(crate) fn remove(tx: &Connection, id: &str) -> Result<()> {
    let snaps: Vec<String> = tx
        .prepare("SELECT id FROM snapshots WHERE volume_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for s in &snaps {
        tree::drop_tree(tx, s)?;
    }
    tx.prepare_cached("DELETE FROM snapshots WHERE volume_id = ?1")?.execute([id])?;
    tree::drop_tree(tx, id)?;
    tx.prepare_cached("DELETE FROM changes WHERE volume_id = ?1")?.execute([id])?;
    tx.prepare_cached("DELETE FROM volumes WHERE id = ?1")?.execute([id])?;
    Ok(())
}

impl crate::engine::Engine {
    /// Creates a volume.
    pub fn create_volume(&self, req: CreateVolume) -> Result<Volume> {
        self.check_open()?;
        self.inner.catalog.write(|tx| insert(tx, &req, VolumeKind::User))
    }

    /// A volume by id or exact name.
    pub fn get_volume(&self, r: &str) -> Result<Volume> {
        self.check_open()?;
        self.inner.catalog.read(|tx| resolve(tx, r))
    }

    /// Volumes in creation order, filtered by labels, one page at a time.
    pub fn list_volumes(&self, opts: &ListOptions) -> Result<Page<Volume>> {
        self.check_open()?;
        self.inner.catalog.read(|tx| list(tx, opts))
    }

    /// Changes labels, size_limit or config.
    pub fn update_volume(&self, r: &str, upd: &UpdateVolume) -> Result<Volume> {
        self.check_open()?;
        self.inner.catalog.write(|tx| update(tx, r, upd))
    }

    /// Sets or clears the size limit (not below used_bytes).
    pub fn resize_volume(&self, r: &str, size_limit: Option<Size>) -> Result<Volume> {
        self.update_volume(r, &UpdateVolume { size_limit: Some(size_limit), ..Default::default() })
    }

    /// Deletes a volume with its snapshots. With active mount sessions it fails
    /// with `conflict` and changes nothing, unless `force`: then those sessions
    /// become failed with last_error_code `force_detached` first.
    pub fn delete_volume(&self, r: &str, force: bool) -> Result<()> {
        self.check_open()?;
        let span = tracing::info_span!("delete_volume", volume = r, force);
        let _g = span.enter();
        let ended = self.inner.catalog.write(|tx| {
            let v = resolve(tx, r)?;
            let active = crate::mount::active_for_volume(tx, &v.id)?;
            if !active.is_empty() {
                if !force {
                    let ids: Vec<&str> = active.iter().map(|m| m.id.as_str()).collect();
                    return Err(Error::conflict(format!(
                        "volume {} is in use by mount sessions {}",
                        v.id,
                        ids.join(", ")
                    )));
                }
                let why = format!("volume {} was force-deleted while mounted", v.id);
                for m in &active {
                    crate::mount::transition(
                        tx,
                        &m.id,
                        crate::mount::MountState::Failed,
                        Some((crate::mount::FORCE_DETACHED, &why)),
                    )?;
                }
            }
            remove(tx, &v.id)?;
            Ok(std::iter::once(v.id).chain(active.into_iter().map(|m| m.id)).collect::<Vec<_>>())
        })?;
        // The volume's own cache (direct access) and its force-detached sessions'.
        for key in &ended {
            self.inner.cache.drop_partition(key);
        }
        Ok(())
    }
}
