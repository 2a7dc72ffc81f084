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
use rusqlite::{Transaction, params};

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
pub(crate) fn route(tx: &Transaction<'_>, target: Target<'_>, path: &str) -> Result<Route> {
    let path = normalize_file_path(path)?;
    match target {
        Target::Volume(r) => route_volume(tx, r, path),
        Target::Sandbox(id) => route_sandbox(tx, id, path, None),
    }
}

fn route_volume(tx: &Transaction<'_>, r: &str, path: String) -> Result<Route> {
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

/// Routes a sandbox path by the longest mount point among its active sessions;
/// `exclude` skips one session (the one being attached).
fn route_sandbox(tx: &Transaction<'_>, sandbox_id: &str, path: String, exclude: Option<&str>) -> Result<Route> {
    let (sb, scratch) = sandbox::get_row(tx, sandbox_id)?;
    if sb.state != SandboxState::Running {
        return Err(Error::invalid_state(format!(
            "sandbox {sandbox_id} is {}; file operations need a running sandbox",
            sb.state.as_str()
        )));
    }
    let mut stmt = tx.prepare_cached(
        "SELECT id, volume_id, mount_point, subpath, read_only, config, state, root_ino FROM mounts
         WHERE sandbox_id = ?1 AND state NOT IN ('unmounted', 'released', 'failed')",
    )?;
    let mut best: Option<(String, String, String, String, bool, String, String, Option<i64>)> = None;
    let mut rows = stmt.query(params![sandbox_id])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let mp: String = r.get(2)?;
        if Some(id.as_str()) == exclude || !is_same_or_under(&path, &mp) {
            continue;
        }
        if best.as_ref().is_none_or(|b| mp.len() > b.2.len()) {
            best = Some((id, r.get(1)?, mp, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?));
        }
    }
    let Some((id, volume_id, mp, subpath, read_only, config, state, root_ino)) = best else {
        return Ok(Route {
            cache_key: scratch.clone(),
            owner: scratch,
            root: ROOT_INO,
            rel: path,
            prefix: String::new(),
            deny_write: None,
            config: VolumeConfig::default(),
            shown_root: "/".to_string(),
        });
    };
    if state != MountState::Mounted.as_str() {
        return Err(Error::invalid_state(format!(
            "path {path:?} is under mount {mp:?} (session {id}), which is {state}"
        )));
    }
    let root = root_ino.ok_or_else(|| Error::corrupt(format!("mounted session {id} has no root directory")))?;
    Ok(Route {
        cache_key: id.clone(),
        owner: volume_id,
        root,
        rel: strip_prefix(&path, &mp),
        prefix: if subpath.is_empty() { String::new() } else { format!("/{subpath}") },
        deny_write: read_only.then(|| (ErrorCode::ReadOnly, format!("mount {mp:?} (session {id}) is read-only"))),
        config: serde_json::from_str(&config)?,
        shown_root: mp,
    })
}

/// Creates the mount point directory in the sandbox view under `session`'s own
/// mount (scratch volume or an enclosing mount). Read-only parents are left as
/// they are: the mount is reachable by routing either way.
pub(crate) fn create_mount_point(tx: &Transaction<'_>, sandbox_id: &str, mount_point: &str, session: &str) -> Result<()> {
    let r = route_sandbox(tx, sandbox_id, mount_point.to_string(), Some(session))?;
    if r.deny_write.is_some() {
        return Ok(());
    }
    let comps = r.comps();
    let shown = r.shown();
    tree::mkdir_all(tx, &r.owner, r.root, &comps, &r.prefix, now_ms(), &shown)?;
    Ok(())
}
