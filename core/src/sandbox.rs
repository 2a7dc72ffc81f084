//! Sandboxes: claim (with bootstrap mounts), pause, resume, release; and the
//! mount / unmount operations that drive mount sessions through their states.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fs::route::Target;
use crate::fs::{DirEntry, FileHandle, FileInfo, ListDirOptions, OpenOptions, WriteOptions, tree};
use crate::mount::{self, MountRequest, MountSession, MountState};
use crate::path::{normalize_mount_point, normalize_subpath, split};
use crate::util::{new_id, now_ms};
use crate::volume::{self, CreateVolume, Labels, Page, VolumeKind};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Lifecycle state of a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxState {
    /// Mounts are live and file operations are served.
    Running,
    /// Mounts are paused; file operations fail with `invalid_state`.
    Paused,
    /// Everything was unmounted and the scratch volume dropped (terminal).
    Released,
}

impl SandboxState {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxState::Running => "running",
            SandboxState::Paused => "paused",
            SandboxState::Released => "released",
        }
    }
    fn parse(s: &str) -> rusqlite::Result<SandboxState> {
        match s {
            "running" => Ok(SandboxState::Running),
            "paused" => Ok(SandboxState::Paused),
            "released" => Ok(SandboxState::Released),
            _ => Err(rusqlite::Error::InvalidColumnType(3, s.to_string(), rusqlite::types::Type::Text)),
        }
    }
}

/// A sandbox as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SandboxInfo {
    /// "sb_…" id.
    pub id: String,
    /// Template name the host claimed it from.
    pub template: String,
    /// Sandboxes sharing a group may share an RWO volume.
    pub group: Option<String>,
    /// Current state.
    pub state: SandboxState,
    /// Labels.
    pub labels: Labels,
    /// Host directory where real mounts are materialized, if any.
    pub root: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last state change, ms since the epoch.
    pub updated_at: i64,
}

/// Options of `claim_sandbox`.
#[derive(Debug, Clone, Default)]
pub struct ClaimOptions {
    /// Group for RWO sharing.
    pub group: Option<String>,
    /// Labels.
    pub labels: Labels,
    /// Host directory where real mounts are materialized.
    pub root: Option<String>,
    /// Mounts attached in the background right after the claim.
    pub mounts: Vec<MountRequest>,
    /// Wait for every bootstrap mount to be mounted or failed before returning.
    pub wait_for_mounts: bool,
    /// How long to wait (default 30 s); the claim returns either way.
    pub mount_wait_timeout_ms: Option<u64>,
}

/// Default bootstrap wait, as in sandbox0's SDK.
pub const DEFAULT_MOUNT_WAIT_MS: u64 = 30_000;

/// A handle to one sandbox: its row as last read plus the engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Sandbox {
    engine: Engine,
    info: SandboxInfo,
    bootstrap_mounts: Vec<MountSession>,
}

impl Sandbox {
    /// The sandbox id.
    pub fn id(&self) -> &str {
        &self.info.id
    }
    /// The row as of when this handle was made (see [`Sandbox::refresh`]).
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }
    /// The bootstrap mounts as of the end of the claim (states after the wait, if any).
    pub fn bootstrap_mounts(&self) -> &[MountSession] {
        &self.bootstrap_mounts
    }
    /// The engine this sandbox lives in.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
    /// Re-reads the sandbox row.
    pub fn refresh(&mut self) -> Result<&SandboxInfo> {
        self.info = self.engine.get_sandbox(&self.info.id)?.info;
        Ok(&self.info)
    }
    /// Mounts a volume; see [`Engine::mount`].
    pub fn mount(&self, req: MountRequest) -> Result<MountSession> {
        self.engine.mount(&self.info.id, req)
    }
    /// Unmounts a session; see [`Engine::unmount`].
    pub fn unmount(&self, volume: &str, mount_session_id: &str) -> Result<MountSession> {
        self.engine.unmount(&self.info.id, volume, mount_session_id)
    }
    /// Every mount session of this sandbox, oldest first.
    pub fn mount_status(&self) -> Result<Vec<MountSession>> {
        self.engine.mount_status(&self.info.id)
    }
    /// Pauses the sandbox; see [`Engine::pause_sandbox`].
    pub fn pause(&self) -> Result<SandboxInfo> {
        self.engine.pause_sandbox(&self.info.id)
    }
    /// Resumes the sandbox; see [`Engine::resume_sandbox`].
    pub fn resume(&self) -> Result<SandboxInfo> {
        self.engine.resume_sandbox(&self.info.id)
    }
    /// Releases the sandbox; see [`Engine::release_sandbox`].
    pub fn release(&self) -> Result<SandboxInfo> {
        self.engine.release_sandbox(&self.info.id)
    }
    fn at(&self) -> Target<'_> {
        Target::Sandbox(&self.info.id)
    }
    /// Reads a whole file at a sandbox path.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        self.engine.read_file(self.at(), path)
    }
    /// Reads up to `len` bytes at `offset`.
    pub fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>> {
        self.engine.read_range(self.at(), path, offset, len)
    }
    /// Writes a whole file (create or replace), creating parent directories.
    pub fn write_file(&self, path: &str, bytes: &[u8]) -> Result<FileInfo> {
        self.engine.write_file(self.at(), path, bytes, &WriteOptions::default())
    }
    /// Writes with explicit options (append, offset, exclusive, if_version).
    pub fn write_file_with(&self, path: &str, bytes: &[u8], opts: &WriteOptions) -> Result<FileInfo> {
        self.engine.write_file(self.at(), path, bytes, opts)
    }
    /// File info (symlinks not followed).
    pub fn stat(&self, path: &str) -> Result<FileInfo> {
        self.engine.stat(self.at(), path)
    }
    /// Lists a directory.
    pub fn list_dir(&self, path: &str, opts: &ListDirOptions) -> Result<Page<DirEntry>> {
        self.engine.list_dir(self.at(), path, opts)
    }
    /// Creates a directory.
    pub fn mkdir(&self, path: &str, parents: bool) -> Result<FileInfo> {
        self.engine.mkdir(self.at(), path, parents)
    }
    /// Removes a path.
    pub fn remove(&self, path: &str, recursive: bool) -> Result<()> {
        self.engine.remove(self.at(), path, recursive)
    }
    /// Renames within one volume.
    pub fn rename(&self, src: &str, dst: &str) -> Result<FileInfo> {
        self.engine.rename(self.at(), src, dst)
    }
    /// Creates a symlink.
    pub fn symlink(&self, target: &str, link: &str) -> Result<FileInfo> {
        self.engine.symlink(self.at(), target, link)
    }
    /// Reads a symlink's target.
    pub fn readlink(&self, path: &str) -> Result<String> {
        self.engine.readlink(self.at(), path)
    }
    /// Opens a file handle.
    pub fn open_file(&self, path: &str, opts: OpenOptions) -> Result<FileHandle> {
        self.engine.open_file(self.at(), path, opts)
    }
}

const COLUMNS: &str = "id, template, grp, state, labels, root, created_at, updated_at, scratch_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(SandboxInfo, String)> {
    let labels: String = r.get(4)?;
    Ok((
        SandboxInfo {
            id: r.get(0)?,
            template: r.get(1)?,
            group: r.get(2)?,
            state: SandboxState::parse(&r.get::<_, String>(3)?)?,
            labels: serde_json::from_str(&labels).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
            })?,
            root: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
        },
        r.get(8)?,
    ))
}

/// Loads a sandbox row and its scratch volume id.
pub(crate) fn get_row(tx: &Connection, id: &str) -> Result<(SandboxInfo, String)> {
    let mut stmt = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM sandboxes WHERE id = ?1"))?;
    stmt.query_row([id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("sandbox {id:?} not found")))
}

/// A sandbox's state name and scratch volume id: all routing needs, without the labels.
pub(crate) fn state_and_scratch(tx: &Connection, id: &str) -> Result<(String, String)> {
    let mut stmt = tx.prepare_cached("SELECT state, scratch_id FROM sandboxes WHERE id = ?1")?;
    stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::not_found(format!("sandbox {id:?} not found")))
}

fn set_state(tx: &Connection, id: &str, state: SandboxState) -> Result<SandboxInfo> {
    tx.prepare_cached(
        "UPDATE sandboxes SET state = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, state.as_str(), now_ms()])?;
    Ok(get_row(tx, id)?.0)
}

/// A bootstrap or direct mount request after its syntax was checked.
struct Checked {
    volume: String,
    mount_point: String,
    subpath: String,
    read_only: Option<bool>,
    config: crate::config::ConfigOverride,
}

impl Engine {
    fn check_request(&self, req: &MountRequest) -> Result<Checked> {
        Ok(Checked {
            volume: req.volume.clone(),
            mount_point: normalize_mount_point(&req.mount_point, &self.inner.opts.reserved_prefixes)?,
            subpath: normalize_subpath(req.subpath.as_deref().unwrap_or(""))?,
            read_only: req.read_only,
            config: req.config.clone(),
        })
    }

    /// Admits and inserts a session in `requested` (one write transaction).
    fn request_mount(
        &self,
        tx: &Connection,
        sb: &SandboxInfo,
        c: &Checked,
        bootstrap: bool,
    ) -> Result<MountSession> {
        if sb.state != SandboxState::Running {
            return Err(Error::invalid_state(format!("sandbox {} is {}; it cannot mount", sb.id, sb.state.as_str())));
        }
        let vol = volume::resolve(tx, &c.volume)?;
        let admitted = mount::admit(tx, &sb.id, sb.group.as_deref(), &vol, &c.mount_point, c.read_only, &c.config)?;
        mount::insert(tx, &sb.id, &vol.id, &c.mount_point, &c.subpath, &admitted, bootstrap)
    }

    /// Claims a running sandbox, with optional bootstrap mounts attached in the background.
    ///
    /// Malformed bootstrap requests (bad mount point, duplicate mount point) fail the
    /// claim before anything is persisted; a mount that cannot be attached (unknown
    /// volume, access mode, missing subpath) becomes a failed session and never fails
    /// the claim.
    pub fn claim_sandbox(&self, template: &str, opts: ClaimOptions) -> Result<Sandbox> {
        self.check_open()?;
        let span = tracing::info_span!("claim_sandbox", template, mounts = opts.mounts.len());
        let _g = span.enter();
        if template.is_empty() || template.len() > 253 {
            return Err(Error::invalid_argument(format!("template {template:?} is empty or too long")));
        }
        if let Some(g) = &opts.group
            && (g.is_empty() || g.len() > 253)
        {
            return Err(Error::invalid_argument(format!("group {g:?} is empty or too long")));
        }
        let checked = opts.mounts.iter().map(|m| self.check_request(m)).collect::<Result<Vec<_>>>()?;
        for (i, c) in checked.iter().enumerate() {
            if checked[..i].iter().any(|o| o.mount_point == c.mount_point) {
                return Err(Error::conflict(format!(
                    "mount path {:?} appears twice in the bootstrap mounts",
                    c.mount_point
                )));
            }
        }
        // With nothing but catalog work to do and a caller that waits anyway, the
        // mounts attach in the claim's own transaction: no thread hop, one commit.
        let inline = opts.wait_for_mounts && self.inner.opts.mount_hook.is_none();
        let (info, sessions) = self.inner.catalog.write(|tx| {
            let now = now_ms();
            let scratch = volume::insert(tx, &CreateVolume::default(), VolumeKind::Scratch)?;
            let id = new_id("sb");
            tx.prepare_cached(
                "INSERT INTO sandboxes (id, template, grp, state, labels, root, scratch_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?7)",
            )?
            .execute(params![id, template, opts.group, serde_json::to_string(&opts.labels)?, opts.root, scratch.id, now])?;
            let info = get_row(tx, &id)?.0;
            let mut sessions = Vec::new();
            for c in &checked {
                // request_mount checks everything before its single insert, so a
                // refused mount leaves no partial rows behind.
                let m = match self.request_mount(tx, &info, c, true) {
                    Ok(m) => m,
                    Err(e) => {
                        let vol_id = volume::resolve(tx, &c.volume).map(|v| v.id).unwrap_or_else(|_| c.volume.clone());
                        mount::insert_failed(tx, &id, &vol_id, &c.mount_point, &c.subpath, c.read_only.unwrap_or(false), &e)?
                    }
                };
                sessions.push(m);
            }
            if inline {
                for m in sessions.iter_mut().filter(|m| m.state == MountState::Requested) {
                    *m = match self.attach_in_tx(tx, &m.id)? {
                        Ok(mounted) => mounted,
                        Err(_) => mount::get(tx, &m.id)?,
                    };
                }
            }
            Ok((info, sessions))
        })?;
        if inline {
            return Ok(Sandbox { engine: self.clone(), info, bootstrap_mounts: sessions });
        }
        let (done_tx, done_rx) = crossbeam::channel::unbounded();
        let requested: Vec<String> =
            sessions.iter().filter(|m| m.state == MountState::Requested).map(|m| m.id.clone()).collect();
        let mut pending = requested.len();
        if self.inner.opts.mount_hook.is_none() {
            // Catalog work only: one task attaches them all in one transaction.
            if !requested.is_empty() {
                let engine = self.clone();
                self.spawn_blocking(move || {
                    engine.attach_all(&requested);
                    for _ in &requested {
                        let _ = done_tx.send(());
                    }
                })?;
            }
        } else {
            // Host hooks may be slow: each mount attaches on its own.
            for id in requested {
                let engine = self.clone();
                let done = done_tx.clone();
                self.spawn_blocking(move || {
                    let _ = engine.attach(&id);
                    let _ = done.send(());
                })?;
            }
        }
        if opts.wait_for_mounts && pending > 0 {
            let deadline =
                Instant::now() + Duration::from_millis(opts.mount_wait_timeout_ms.unwrap_or(DEFAULT_MOUNT_WAIT_MS));
            while pending > 0 {
                match done_rx.recv_deadline(deadline) {
                    Ok(()) => pending -= 1,
                    Err(_) => break,
                }
            }
        }
        let ids: Vec<String> = sessions.iter().map(|m| m.id.clone()).collect();
        let bootstrap_mounts =
            self.inner.catalog.read(|tx| ids.iter().map(|id| mount::get(tx, id)).collect::<Result<Vec<_>>>())?;
        Ok(Sandbox { engine: self.clone(), info, bootstrap_mounts })
    }

    /// Attaches requested sessions (no host hook) in one write transaction; if that
    /// transaction cannot run, each session is attached on its own.
    fn attach_all(&self, ids: &[String]) {
        let batch = self.inner.catalog.write(|tx| {
            for id in ids {
                let _ = self.attach_in_tx(tx, id)?;
            }
            Ok(())
        });
        if let Err(e) = batch {
            tracing::warn!(error = %e, "batched attach failed; attaching one by one");
            for id in ids {
                let _ = self.attach(id);
            }
        }
    }

    /// requested → mounting → mounted inside the caller's write transaction, or
    /// failed with the error. A savepoint keeps a failed attach's partial work
    /// (directories, root pin) from landing. The outer `Result` is the
    /// transaction's; the inner one is the mount's.
    fn attach_in_tx(&self, tx: &Connection, id: &str) -> Result<Result<MountSession>> {
        let span = tracing::info_span!("mount", mount_session_id = id);
        let _g = span.enter();
        // Someone else moved it on (released, recovered): leave it as it is.
        let m = match mount::transition(tx, id, MountState::Mounting, None) {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        tx.prepare_cached("SAVEPOINT attach")?.execute([])?;
        match self.prepare_mount(tx, &m) {
            Ok(()) => {
                tx.prepare_cached("RELEASE attach")?.execute([])?;
                Ok(Ok(mount::transition(tx, id, MountState::Mounted, None)?))
            }
            Err(e) => {
                tx.prepare_cached("ROLLBACK TO attach")?.execute([])?;
                tx.prepare_cached("RELEASE attach")?.execute([])?;
                tracing::warn!(mount_session_id = id, error = %e, "mount failed");
                mount::transition(tx, id, MountState::Failed, Some((e.code().as_str(), e.message())))?;
                Ok(Err(e))
            }
        }
    }

    /// Drives a requested session through mounting to mounted, or to failed.
    pub(crate) fn attach(&self, session_id: &str) -> Result<MountSession> {
        let span = tracing::info_span!("mount", mount_session_id = session_id);
        let _g = span.enter();
        let m = self.inner.catalog.write(|tx| mount::transition(tx, session_id, MountState::Mounting, None))?;
        self.finish_attach(m, MountState::Mounted)
    }

    /// Prepares the volume side of a mount (subpath, mount point directory), runs
    /// the host hook, then moves the session to `target`; any error fails the session.
    fn finish_attach(&self, m: MountSession, target: MountState) -> Result<MountSession> {
        let prepared = self.inner.catalog.write(|tx| self.prepare_mount(tx, &m));
        let hooked = prepared.and_then(|_| match &self.inner.opts.mount_hook {
            Some(h) => h.attach(&m),
            None => Ok(()),
        });
        match hooked {
            Ok(()) => self.inner.catalog.write(|tx| mount::transition(tx, &m.id, target, None)),
            Err(e) => {
                tracing::warn!(mount_session_id = %m.id, error = %e, "mount failed");
                let failed = self.inner.catalog.write(|tx| {
                    mount::transition(tx, &m.id, MountState::Failed, Some((e.code().as_str(), e.message())))
                });
                failed?;
                Err(e)
            }
        }
    }

    /// Resolves or creates the subpath and pins it as the session's root; creates the
    /// mount point directory in the sandbox view.
    fn prepare_mount(&self, tx: &Connection, m: &MountSession) -> Result<()> {
        let vol = volume::get_by_id(tx, &m.volume_id)?;
        let comps = split(&m.subpath);
        let shown = format!("/{}", m.subpath);
        let root = if m.read_only {
            let r = tree::resolve(tx, &vol.id, tree::ROOT_INO, &comps, true, &shown)?;
            let ino = r.ino.ok_or_else(|| {
                Error::not_found(format!("subpath {:?} does not exist in volume {}", m.subpath, vol.id))
            })?;
            if tree::get(tx, &vol.id, ino)?.kind != tree::FileKind::Dir {
                return Err(Error::not_a_directory(format!("subpath {:?} of volume {} is not a directory", m.subpath, vol.id)));
            }
            ino
        } else {
            tree::mkdir_all(tx, &vol.id, tree::ROOT_INO, &comps, "", now_ms(), &shown)?
        };
        tx.prepare_cached("UPDATE mounts SET root_ino = ?2 WHERE id = ?1")?.execute(params![m.id, root])?;
        crate::fs::route::create_mount_point(tx, &self.inner.routes, &m.sandbox_id, &m.mount_point, &m.id)?;
        Ok(())
    }

    /// Mounts a volume into a running sandbox and returns the mounted session.
    ///
    /// Rule violations fail before anything is persisted. A failure while attaching
    /// leaves the session in `failed` (visible in `mount_status`) and returns the error.
    pub fn mount(&self, sandbox_id: &str, req: MountRequest) -> Result<MountSession> {
        self.check_open()?;
        let c = self.check_request(&req)?;
        if self.inner.opts.mount_hook.is_none() {
            // Admission and attach in one transaction; a refused request persists nothing.
            return self.inner.catalog.write(|tx| {
                let (sb, _) = get_row(tx, sandbox_id)?;
                let m = self.request_mount(tx, &sb, &c, false)?;
                self.attach_in_tx(tx, &m.id)
            })?;
        }
        let m = self.inner.catalog.write(|tx| {
            let (sb, _) = get_row(tx, sandbox_id)?;
            self.request_mount(tx, &sb, &c, false)
        })?;
        self.attach(&m.id)
    }

    /// Flushes, detaches and releases one mount session (mounted or paused).
    ///
    /// `volume` (id or name) must be the session's volume: a mismatch is `not_found`,
    /// so a stale id can never unmount someone else's volume.
    pub fn unmount(&self, sandbox_id: &str, volume: &str, mount_session_id: &str) -> Result<MountSession> {
        self.check_open()?;
        let span = tracing::info_span!("unmount", sandbox_id, mount_session_id);
        let _g = span.enter();
        let m = self.inner.catalog.read(|tx| {
            let vol = volume::resolve(tx, volume)?;
            let m = mount::get(tx, mount_session_id)?;
            if m.sandbox_id != sandbox_id || m.volume_id != vol.id {
                return Err(Error::not_found(format!(
                    "mount session {mount_session_id} of volume {volume:?} not found in sandbox {sandbox_id}"
                )));
            }
            Ok(m)
        })?;
        self.detach(&m)
    }

    /// mounted|paused → unmounted → releasing → released, flushing first.
    fn detach(&self, m: &MountSession) -> Result<MountSession> {
        if !m.state.can_transition_to(MountState::Unmounted) {
            return Err(Error::invalid_state(format!(
                "mount session {} is {}; only mounted or paused sessions can be unmounted",
                m.id, m.state
            )));
        }
        // Handles flush on close; what is left to flush is the writeback journal.
        self.flush_for(m)?;
        if let Some(h) = &self.inner.opts.mount_hook
            && let Err(e) = h.detach(m)
        {
            tracing::warn!(mount_session_id = %m.id, error = %e, "detach hook failed");
        }
        self.inner.catalog.write(|tx| mount::transition(tx, &m.id, MountState::Unmounted, None))?;
        let out = self.finish_release(&m.id);
        self.inner.cache.drop_partition(&m.id);
        out
    }

    fn finish_release(&self, id: &str) -> Result<MountSession> {
        self.inner.catalog.write(|tx| {
            mount::transition(tx, id, MountState::Releasing, None)?;
            mount::transition(tx, id, MountState::Released, None)
        })
    }

    /// Every mount session of a sandbox (any state), oldest first.
    pub fn mount_status(&self, sandbox_id: &str) -> Result<Vec<MountSession>> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            get_row(tx, sandbox_id)?;
            mount::for_sandbox(tx, sandbox_id)
        })
    }

    /// One mount session by id.
    pub fn get_mount(&self, mount_session_id: &str) -> Result<MountSession> {
        self.check_open()?;
        self.inner.catalog.read(|tx| mount::get(tx, mount_session_id))
    }

    /// A handle to an existing sandbox.
    pub fn get_sandbox(&self, id: &str) -> Result<Sandbox> {
        self.check_open()?;
        let (info, bootstrap_mounts) = self.inner.catalog.read(|tx| {
            let (info, _) = get_row(tx, id)?;
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {} FROM mounts WHERE sandbox_id = ?1 AND bootstrap = 1 ORDER BY rowid",
                mount::COLUMNS
            ))?;
            let boot = stmt.query_map([id], mount::from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((info, boot))
        })?;
        Ok(Sandbox { engine: self.clone(), info, bootstrap_mounts })
    }

    /// Every sandbox, oldest first (released ones included: they are history).
    pub fn list_sandboxes(&self) -> Result<Vec<SandboxInfo>> {
        self.check_open()?;
        self.inner.catalog.read(|tx| {
            let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM sandboxes ORDER BY rowid"))?;
            let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().map(|(i, _)| i).collect())
        })
    }

    /// Pauses a running sandbox: every mounted session is flushed and becomes paused.
    pub fn pause_sandbox(&self, id: &str) -> Result<SandboxInfo> {
        self.check_open()?;
        let span = tracing::info_span!("pause_sandbox", sandbox_id = id);
        let _g = span.enter();
        let sessions = self.inner.catalog.read(|tx| {
            let (sb, _) = get_row(tx, id)?;
            if sb.state != SandboxState::Running {
                return Err(Error::invalid_state(format!("sandbox {id} is {}; only a running sandbox can pause", sb.state.as_str())));
            }
            mount::for_sandbox(tx, id)
        })?;
        for m in sessions.iter().filter(|m| m.state == MountState::Mounted) {
            self.flush_for(m)?;
            if let Some(h) = &self.inner.opts.mount_hook
                && let Err(e) = h.detach(m)
            {
                tracing::warn!(mount_session_id = %m.id, error = %e, "detach hook failed");
            }
        }
        self.inner.catalog.write(|tx| {
            for m in mount::for_sandbox(tx, id)? {
                if m.state == MountState::Mounted {
                    mount::transition(tx, &m.id, MountState::Paused, None)?;
                }
            }
            set_state(tx, id, SandboxState::Paused)
        })
    }

    /// Resumes a paused sandbox: every paused session goes remounting → mounted (or failed).
    pub fn resume_sandbox(&self, id: &str) -> Result<SandboxInfo> {
        self.check_open()?;
        let span = tracing::info_span!("resume_sandbox", sandbox_id = id);
        let _g = span.enter();
        let remounting = self.inner.catalog.write(|tx| {
            let (sb, _) = get_row(tx, id)?;
            if sb.state != SandboxState::Paused {
                return Err(Error::invalid_state(format!("sandbox {id} is {}; only a paused sandbox can resume", sb.state.as_str())));
            }
            let mut out = Vec::new();
            for m in mount::for_sandbox(tx, id)? {
                if m.state == MountState::Paused {
                    out.push(mount::transition(tx, &m.id, MountState::Remounting, None)?);
                }
            }
            set_state(tx, id, SandboxState::Running)?;
            Ok(out)
        })?;
        for m in remounting {
            // A session that fails to remount is recorded as failed; the sandbox still runs.
            let _ = self.finish_attach(m, MountState::Mounted);
        }
        self.inner.catalog.read(|tx| Ok(get_row(tx, id)?.0))
    }

    /// Releases a sandbox from any process: unmounts every session (in-flight ones
    /// fail), drops the scratch volume, and marks the sandbox released.
    pub fn release_sandbox(&self, id: &str) -> Result<SandboxInfo> {
        self.check_open()?;
        let span = tracing::info_span!("release_sandbox", sandbox_id = id);
        let _g = span.enter();
        let sessions = self.inner.catalog.read(|tx| {
            let (sb, _) = get_row(tx, id)?;
            if sb.state == SandboxState::Released {
                return Err(Error::invalid_state(format!("sandbox {id} is already released")));
            }
            mount::for_sandbox(tx, id)
        })?;
        for m in &sessions {
            if matches!(m.state, MountState::Mounted | MountState::Paused) {
                self.detach(m)?;
            }
        }
        let (info, ended) = self.inner.catalog.write(|tx| {
            let (sb, scratch) = get_row(tx, id)?;
            if sb.state == SandboxState::Released {
                return Err(Error::invalid_state(format!("sandbox {id} is already released")));
            }
            let mut ended = vec![scratch.clone()];
            for m in mount::for_sandbox(tx, id)? {
                match m.state {
                    MountState::Unmounted | MountState::Releasing => {
                        if m.state == MountState::Unmounted {
                            mount::transition(tx, &m.id, MountState::Releasing, None)?;
                        }
                        mount::transition(tx, &m.id, MountState::Released, None)?;
                        ended.push(m.id);
                    }
                    s if !s.is_terminal() => {
                        let why = format!("sandbox {id} was released while the mount was {s}");
                        mount::transition(tx, &m.id, MountState::Failed, Some(("invalid_state", &why)))?;
                        ended.push(m.id);
                    }
                    _ => {}
                }
            }
            volume::remove(tx, &scratch)?;
            Ok((set_state(tx, id, SandboxState::Released)?, ended))
        })?;
        // The scratch volume's cache and that of sessions that ended here
        // without a detach (a detach drops its own).
        for key in &ended {
            self.inner.cache.drop_partition(key);
        }
        Ok(info)
    }

    /// Makes a session's acknowledged writes durable in the store before it detaches.
    fn flush_for(&self, m: &MountSession) -> Result<()> {
        let span = tracing::info_span!("flush", mount_session_id = %m.id);
        let _g = span.enter();
        if self.flush_uploads(Duration::from_secs(300)) {
            Ok(())
        } else {
            Err(Error::timeout(format!("mount session {}: staged blocks were not uploaded within 300 s", m.id)))
        }
    }

    /// Finishes a transition a dead process left half done.
    pub(crate) fn resume_orphan(&self, m: &MountSession) -> Result<()> {
        match m.state {
            MountState::Requested => {
                let engine = self.clone();
                let id = m.id.clone();
                self.spawn_blocking(move || {
                    let _ = engine.attach(&id);
                })?;
            }
            MountState::Mounting | MountState::Remounting => {
                let _ = self.finish_attach(m.clone(), MountState::Mounted);
            }
            MountState::Unmounted | MountState::Releasing => {
                if m.state == MountState::Unmounted {
                    self.inner.catalog.write(|tx| mount::transition(tx, &m.id, MountState::Releasing, None))?;
                }
                self.inner.catalog.write(|tx| mount::transition(tx, &m.id, MountState::Released, None))?;
                self.inner.cache.drop_partition(&m.id);
            }
            _ => {}
        }
        Ok(())
    }
}
