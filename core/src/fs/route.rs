//! Routing: which volume tree, and which directory in it, a sandbox path or a
//! direct volume path lands in.

use super::tree::{self, ROOT_INO};
use crate::config::{AccessMode, VolumeConfig};
use crate::error::{Error, ErrorCode, Result};
use crate::mount::{self, MountState};
use crate::path::{is_same_or_under, normalize_file_path, split, strip_prefix};
use crate::sandbox::{self, SandboxState};
use crate::util::now_ms;
use crate::volume;
use rusqlite::{Connection, params};

/// Where file operations are addressed: a sandbox's view or a volume directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Paths are sandbox paths, routed through the sandbox's mount table.
    Sandbox(&'a str),
    /// Paths are volume paths of the volume with this id or name (no sandbox).
    Volume(&'a str),
}

/// A resolved route.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// Volume id whose tree holds the path.
    pub owner: String,
    /// Directory the route starts at (the volume root, or a mount's subpath directory).
    pub root: i64,
    /// Path below `root`, normalized absolute.
    pub rel: String,
    /// Volume-relative path of `root` ("" for the volume root), for the change feed.
    pub prefix: String,
    /// Why writes are refused here, if they are.
    pub deny_write: Option<(ErrorCode, String)>,
    /// Effective cache settings.
    pub config: VolumeConfig,
    /// Sandbox path of `root` ("/" for a volume or the scratch volume), for messages.
    pub shown_root: String,
    /// Cache partition: the mount session, or the volume for direct and scratch access.
    pub cache_key: String,
}

impl Route {
    /// The path as the caller gave it, for messages and FileInfo.
    pub fn shown(&self) -> String {
        crate::path::join(&self.shown_root, &self.rel)
    }
    /// The volume-relative path of `rel`, for the change feed.
    pub fn volume_path(&self, rel: &str) -> String {
        if rel == "/" {
            if self.prefix.is_empty() { "/".to_string() } else { self.prefix.clone() }
        } else {
            format!("{}{rel}", self.prefix)
        }
    }
    /// Components of `rel`.
    pub fn comps(&self) -> Vec<&str> {
        split(&self.rel)
    }
    /// The cache context for reads through this route.
    pub fn ctx(&self, engine: &crate::Engine) -> crate::cache::ReadCtx {
        engine.read_ctx(&self.cache_key, &self.owner, &self.config)
    }
    /// `read_only` / `permission` error when writes are refused.
    pub fn check_writable(&self) -> Result<()> {
        match &self.deny_write {
            Some((code, msg)) => Err(Error::new(*code, msg.clone())),
            None => Ok(()),
        }
    }
}

/// Routes `path` for `target`.
pub(crate) fn route(tx: &Connection, cache: &RouteCache, target: Target<'_>, path: &str) -> Result<Route> {
    let path = normalize_file_path(path)?;
    match target {
        Target::Volume(r) => route_volume(tx, r, path),
        Target::Sandbox(id) => route_sandbox(tx, cache, id, path, None),
    }
}

fn route_volume(tx: &Connection, r: &str, path: String) -> Result<Route> {
    let v = volume::resolve(tx, r)?;
    let deny_write = if v.access_mode == AccessMode::ReadOnlyMany && !mount::active_for_volume(tx, &v.id)?.is_empty()
    {
        Some((
            ErrorCode::ReadOnly,
            format!("volume {} is ROX and mounted; direct writes wait until it has no active mount", v.id),
        ))
    } else {
        None
    };
    Ok(Route {
        cache_key: v.id.clone(),
        owner: v.id,
        root: ROOT_INO,
        rel: path,
        prefix: String::new(),
        deny_write,
        config: v.config,
        shown_root: "/".to_string(),
    })
}

/// One active mount of a sandbox, as routing needs it.
#[derive(Debug)]
struct MountEntry {
    id: String,
    volume_id: String,
    mount_point: String,
    subpath: String,
    read_only: bool,
    config: VolumeConfig,
    state: String,
    root_ino: Option<i64>,
}

/// A sandbox's state, scratch volume and active mounts at one routing version.
#[derive(Debug)]
struct SandboxTable {
    version: i64,
    state: String,
    scratch: String,
    mounts: Vec<MountEntry>,
}

/// Mount tables by sandbox, valid while the catalog's `route_version` (bumped by
/// triggers on every sandbox or mount change, from any process) is unchanged.
#[derive(Default)]
pub(crate) struct RouteCache {
    tables: parking_lot::Mutex<std::collections::HashMap<String, std::sync::Arc<SandboxTable>>>,
}

/// Sandboxes whose tables are kept; past this the cache starts over.
const ROUTE_CACHE_MAX: usize = 4096;

impl RouteCache {
    fn table(&self, tx: &Connection, sandbox_id: &str) -> Result<std::sync::Arc<SandboxTable>> {
        let version: i64 = tx
            .prepare_cached("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'route_version'")?
            .query_row([], |r| r.get(0))?;
        if let Some(t) = self.tables.lock().get(sandbox_id)
            && t.version == version
        {
            return Ok(t.clone());
        }
        let (state, scratch) = sandbox::state_and_scratch(tx, sandbox_id)?;
        let mut stmt = tx.prepare_cached(
            "SELECT id, volume_id, mount_point, subpath, read_only, config, state, root_ino FROM mounts
             WHERE sandbox_id = ?1 AND state NOT IN ('unmounted', 'released', 'failed')",
        )?;
        let mounts = stmt
            .query_map(params![sandbox_id], |r| {
                let config: String = r.get(5)?;
                Ok(MountEntry {
                    id: r.get(0)?,
                    volume_id: r.get(1)?,
                    mount_point: r.get(2)?,
                    subpath: r.get(3)?,
                    read_only: r.get(4)?,
                    config: serde_json::from_str(&config).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
                    })?,
                    state: r.get(6)?,
                    root_ino: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let t = std::sync::Arc::new(SandboxTable { version, state, scratch, mounts });
        let mut tables = self.tables.lock();
        if tables.len() >= ROUTE_CACHE_MAX {
            tables.clear();
        }
        tables.insert(sandbox_id.to_string(), t.clone());
        Ok(t)
    }
}

/// Routes a sandbox path by the longest mount point among its active sessions;
/// `exclude` skips one session (the one being attached).
fn route_sandbox(tx: &Connection, cache: &RouteCache, sandbox_id: &str, path: String, exclude: Option<&str>) -> Result<Route> {
    let t = cache.table(tx, sandbox_id)?;
    if t.state != SandboxState::Running.as_str() {
        return Err(Error::invalid_state(format!(
            "sandbox {sandbox_id} is {}; file operations need a running sandbox",
            t.state
        )));
    }
    let best = t
        .mounts
        .iter()
        .filter(|m| Some(m.id.as_str()) != exclude && is_same_or_under(&path, &m.mount_point))
        .max_by_key(|m| m.mount_point.len());
    let Some(m) = best else {
        return Ok(Route {
            cache_key: t.scratch.clone(),
            owner: t.scratch.clone(),
            root: ROOT_INO,
            rel: path,
            prefix: String::new(),
            deny_write: None,
            config: VolumeConfig::default(),
            shown_root: "/".to_string(),
        });
    };
    if m.state != MountState::Mounted.as_str() {
        return Err(Error::invalid_state(format!(
            "path {path:?} is under mount {:?} (session {}), which is {}",
            m.mount_point, m.id, m.state
        )));
    }
    let root = m.root_ino.ok_or_else(|| Error::corrupt(format!("mounted session {} has no root directory", m.id)))?;
    Ok(Route {
        cache_key: m.id.clone(),
        owner: m.volume_id.clone(),
        root,
        rel: strip_prefix(&path, &m.mount_point),
        prefix: if m.subpath.is_empty() { String::new() } else { format!("/{}", m.subpath) },
        deny_write: m.read_only.then(|| (ErrorCode::ReadOnly, format!("mount {:?} (session {}) is read-only", m.mount_point, m.id))),
        config: m.config,
        shown_root: m.mount_point.clone(),
    })
}

/// Creates the mount point directory in the sandbox view under `session`'s own
/// mount (scratch volume or an enclosing mount). Read-only parents are left as
/// they are: the mount is reachable by routing either way.
pub(crate) fn create_mount_point(
    tx: &Connection,
    cache: &RouteCache,
    sandbox_id: &str,
    mount_point: &str,
    session: &str,
) -> Result<()> {
    let r = route_sandbox(tx, cache, sandbox_id, mount_point.to_string(), Some(session))?;
    if r.deny_write.is_some() {
        return Ok(());
    }
    let comps = r.comps();
    let shown = r.shown();
    tree::mkdir_all(tx, &r.owner, r.root, &comps, &r.prefix, now_ms(), &shown)?;
    Ok(())
}
