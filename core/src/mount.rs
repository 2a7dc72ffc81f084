//! Mount sessions: the state machine, the admission rules (mount point in use,
//! access modes) and the persisted rows.

use crate::config::{AccessMode, ConfigOverride, VolumeConfig};
use crate::error::{Error, Result};
use crate::util::{new_id, now_ms, process_identity};
use crate::volume::Volume;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::fmt;

/// The nine states of a mount session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MountState {
    /// Accepted and persisted; nothing done yet.
    Requested,
    /// Being attached.
    Mounting,
    /// Attached; file operations are routed to it.
    Mounted,
    /// The sandbox is paused; dirty data was flushed.
    Paused,
    /// Being re-attached after a pause.
    Remounting,
    /// Detached and flushed; about to be released.
    Unmounted,
    /// Releasing resources held for the session.
    Releasing,
    /// Gone (terminal).
    Released,
    /// Failed; see last_error_code (terminal).
    Failed,
}

impl MountState {
    /// Every state, in lifecycle order.
    pub const ALL: [MountState; 9] = [
        MountState::Requested,
        MountState::Mounting,
        MountState::Mounted,
        MountState::Paused,
        MountState::Remounting,
        MountState::Unmounted,
        MountState::Releasing,
        MountState::Released,
        MountState::Failed,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MountState::Requested => "requested",
            MountState::Mounting => "mounting",
            MountState::Mounted => "mounted",
            MountState::Paused => "paused",
            MountState::Remounting => "remounting",
            MountState::Unmounted => "unmounted",
            MountState::Releasing => "releasing",
            MountState::Released => "released",
            MountState::Failed => "failed",
        }
    }

    /// Parses a stored state name.
    pub fn parse(s: &str) -> Result<MountState> {
        MountState::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Error::corrupt(format!("mount state {s:?} is not a known state")))
    }

    /// True for released and failed: no transition leaves them.
    pub fn is_terminal(self) -> bool {
        matches!(self, MountState::Released | MountState::Failed)
    }

    /// Active sessions hold their volume: every state but unmounted, released and failed.
    pub fn is_active(self) -> bool {
        !matches!(self, MountState::Unmounted | MountState::Released | MountState::Failed)
    }

    /// A bootstrap wait ends once a mount is mounted or failed.
    pub fn is_settled(self) -> bool {
        matches!(self, MountState::Mounted | MountState::Failed) || self.is_terminal()
    }

    /// The only legal transitions (DESIGN.md "Mount session").
    pub fn can_transition_to(self, next: MountState) -> bool {
        use MountState::*;
        if next == Failed {
            return !self.is_terminal();
        }
        matches!(
            (self, next),
            (Requested, Mounting)
                | (Mounting, Mounted)
                | (Mounted, Paused)
                | (Paused, Remounting)
                | (Remounting, Mounted)
                | (Mounted, Unmounted)
                | (Paused, Unmounted)
                | (Unmounted, Releasing)
                | (Releasing, Released)
        )
    }
}

impl fmt::Display for MountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A volume attached to a sandbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MountSession {
    /// "ms_…" id, exposed as mount_session_id.
    pub id: String,
    /// The mounted volume.
    pub volume_id: String,
    /// The sandbox it is mounted in.
    pub sandbox_id: String,
    /// Normalized absolute mount point in the sandbox.
    pub mount_point: String,
    /// Normalized subpath of the volume ("" for the root).
    pub subpath: String,
    /// Whether writes are refused.
    pub read_only: bool,
    /// Effective cache settings (volume config plus per-mount override).
    pub config: VolumeConfig,
    /// Current state.
    pub state: MountState,
    /// Stable error code of the last failure.
    pub last_error_code: Option<String>,
    /// Message of the last failure.
    pub last_error_message: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Time of the last transition, ms since the epoch.
    pub updated_at: i64,
}

impl MountSession {
    /// The id under the name the hosted APIs use.
    pub fn mount_session_id(&self) -> &str {
        &self.id
    }
}

/// A request to mount a volume (also a bootstrap mount of `claim_sandbox`).
#[derive(Debug, Clone, Default)]
pub struct MountRequest {
    /// Volume id or name.
    pub volume: String,
    /// Absolute mount point in the sandbox.
    pub mount_point: String,
    /// Directory of the volume to mount instead of its root.
    pub subpath: Option<String>,
    /// `None` means "read-only if the access mode demands it"; `Some(false)` on ROX fails.
    pub read_only: Option<bool>,
    /// Per-mount cache settings.
    pub config: ConfigOverride,
}

impl MountRequest {
    /// A read-write (or ROX read-only) mount of `volume` at `mount_point`.
    pub fn new(volume: impl Into<String>, mount_point: impl Into<String>) -> MountRequest {
        MountRequest { volume: volume.into(), mount_point: mount_point.into(), ..Default::default() }
    }
}

pub(crate) const COLUMNS: &str = "id, volume_id, sandbox_id, mount_point, subpath, read_only, config, state, \
     last_error_code, last_error_message, created_at, updated_at";

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<MountSession> {
    let config: String = r.get(6)?;
    let state: String = r.get(7)?;
    let bad = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(MountSession {
        id: r.get(0)?,
        volume_id: r.get(1)?,
        sandbox_id: r.get(2)?,
        mount_point: r.get(3)?,
        subpath: r.get(4)?,
        read_only: r.get(5)?,
        config: serde_json::from_str(&config).map_err(|e| bad(6, e.into()))?,
        state: MountState::parse(&state).map_err(|e| bad(7, e.into()))?,
        last_error_code: r.get(8)?,
        last_error_message: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

/// Loads a session by id.
pub(crate) fn get(tx: &Connection, id: &str) -> Result<MountSession> {
    let sql = format!("SELECT {COLUMNS} FROM mounts WHERE id = ?1");
    tx.prepare_cached(&sql)?.query_row([id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("mount session {id:?} not found")))
}

/// All sessions of a sandbox, oldest first.
pub(crate) fn for_sandbox(tx: &Connection, sandbox_id: &str) -> Result<Vec<MountSession>> {
    let sql = format!("SELECT {COLUMNS} FROM mounts WHERE sandbox_id = ?1 ORDER BY rowid");
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map([sandbox_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Active sessions of a volume.
pub(crate) fn active_for_volume(tx: &Connection, volume_id: &str) -> Result<Vec<MountSession>> {
    let sql = format!("SELECT {COLUMNS} FROM mounts WHERE volume_id = ?1 ORDER BY rowid");
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map([volume_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows.into_iter().filter(|m| m.state.is_active()).collect())
}

/// Moves a session to `next` if the state machine allows it; records the error on failure.
///
/// The update is conditional on the state read in the same transaction, so two
/// processes racing on one session cannot both move it.
pub(crate) fn transition(
    tx: &Connection,
    id: &str,
    next: MountState,
    error: Option<(&str, &str)>,
) -> Result<MountSession> {
    let mut m = get(tx, id)?;
    if !m.state.can_transition_to(next) {
        return Err(Error::invalid_state(format!(
            "mount session {id} is {}; it cannot become {next}",
            m.state
        )));
    }
    let now = now_ms();
    let (pid, start) = process_identity();
    let (code, msg) = match error {
        Some((code, msg)) => (Some(code.to_string()), Some(msg.to_string())),
        None => (m.last_error_code.clone(), m.last_error_message.clone()),
    };
    let n = tx.prepare_cached(
        "UPDATE mounts SET state = ?2, updated_at = ?3, last_error_code = ?4, last_error_message = ?5,
                owner_pid = ?6, owner_start = ?7
         WHERE id = ?1 AND state = ?8",
    )?
    .execute(params![id, next.as_str(), now, code, msg, pid, start, m.state.as_str()])?;
    if n != 1 {
        return Err(Error::invalid_state(format!("mount session {id} changed state concurrently")));
    }
    m.state = next;
    m.updated_at = now;
    m.last_error_code = code;
    m.last_error_message = msg;
    tracing::debug!(mount_session_id = id, state = next.as_str(), "mount transition");
    Ok(m)
}

/// A request that passed the mount point and access-mode rules.
pub(crate) struct Admitted {
    pub read_only: bool,
    pub config: VolumeConfig,
}

/// Checks the rules that depend on other sessions: the mount point must be free in
/// the sandbox, and the volume's access mode must allow one more mount.
///
/// `group` is the requesting sandbox's group; runs inside the write transaction that
/// inserts the session, which is what makes the rules hold across processes.
pub(crate) fn admit(
    tx: &Connection,
    sandbox_id: &str,
    group: Option<&str>,
    vol: &Volume,
    mount_point: &str,
    read_only: Option<bool>,
    config: &ConfigOverride,
) -> Result<Admitted> {
    let in_use: Option<String> = tx
        .query_row(
            "SELECT id FROM mounts WHERE sandbox_id = ?1 AND mount_point = ?2
               AND state NOT IN ('unmounted', 'released', 'failed') LIMIT 1",
            params![sandbox_id, mount_point],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = in_use {
        return Err(Error::conflict(format!(
            "mount path {mount_point:?} is already used by mount session {other} in sandbox {sandbox_id}"
        )));
    }
    let read_only = match (vol.access_mode, read_only) {
        (AccessMode::ReadOnlyMany, Some(false)) => {
            return Err(Error::access_mode(format!(
                "volume {} is ROX (read-only many); a read-write mount was requested",
                vol.id
            )));
        }
        (AccessMode::ReadOnlyMany, _) => true,
        (_, ro) => ro.unwrap_or(false),
    };
    if vol.access_mode == AccessMode::ReadWriteOnce {
        let mut stmt = tx.prepare_cached(
            "SELECT m.sandbox_id, s.grp FROM mounts m JOIN sandboxes s ON s.id = m.sandbox_id
             WHERE m.volume_id = ?1 AND m.sandbox_id <> ?2
               AND m.state NOT IN ('unmounted', 'released', 'failed')",
        )?;
        let holders = stmt
            .query_map(params![vol.id, sandbox_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if let Some((other, other_group)) =
            holders.iter().find(|(_, g)| group.is_none() || g.as_deref() != group)
        {
            let why = match (group, other_group) {
                (Some(g), Some(og)) => format!("its group {og:?} differs from {g:?}"),
                _ => "the sandboxes share no group".to_string(),
            };
            return Err(Error::access_mode(format!(
                "volume {} is RWO and already mounted by sandbox {other} ({why})",
                vol.id
            )));
        }
    }
    Ok(Admitted { read_only, config: config.apply(vol.config)? })
}

/// Inserts a session in `requested`, owned by this process.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    tx: &Connection,
    sandbox_id: &str,
    volume_id: &str,
    mount_point: &str,
    subpath: &str,
    admitted: &Admitted,
    bootstrap: bool,
) -> Result<MountSession> {
    let now = now_ms();
    let (pid, start) = process_identity();
    let m = MountSession {
        id: new_id("ms"),
        volume_id: volume_id.to_string(),
        sandbox_id: sandbox_id.to_string(),
        mount_point: mount_point.to_string(),
        subpath: subpath.to_string(),
        read_only: admitted.read_only,
        config: admitted.config,
        state: MountState::Requested,
        last_error_code: None,
        last_error_message: None,
        created_at: now,
        updated_at: now,
    };
    tx.prepare_cached(
        "INSERT INTO mounts (id, volume_id, sandbox_id, mount_point, subpath, read_only, config, state,
                             bootstrap, owner_pid, owner_start, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'requested', ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        m.id,
        m.volume_id,
        m.sandbox_id,
        m.mount_point,
        m.subpath,
        m.read_only,
        serde_json::to_string(&m.config)?,
        bootstrap,
        pid,
        start,
        now
    ])?;
    Ok(m)
}

/// Inserts a bootstrap session that could not be admitted, straight through
/// requested → failed, so the claim can report it without failing.
pub(crate) fn insert_failed(
    tx: &Connection,
    sandbox_id: &str,
    volume_id: &str,
    mount_point: &str,
    subpath: &str,
    read_only: bool,
    error: &Error,
) -> Result<MountSession> {
    let admitted = Admitted { read_only, config: VolumeConfig::default() };
    let m = insert(tx, sandbox_id, volume_id, mount_point, subpath, &admitted, true)?;
    transition(tx, &m.id, MountState::Failed, Some((error.code().as_str(), error.message())))
}

/// Sessions left in a transient state by a process that is gone, oldest first.
pub(crate) fn orphaned(tx: &Connection) -> Result<Vec<MountSession>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS}, owner_pid, owner_start FROM mounts
         WHERE state IN ('requested', 'mounting', 'remounting', 'unmounted', 'releasing') ORDER BY rowid"
    ))?;
    let rows = stmt
        .query_map([], |r| Ok((from_row(r)?, r.get::<_, Option<i64>>(12)?, r.get::<_, Option<i64>>(13)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, pid, start)| !crate::util::process_alive(pid.unwrap_or(0), start.unwrap_or(0)))
        .map(|(m, _, _)| m)
        .collect())
}

/// The last_error_code recorded on sessions a forced volume delete moved to failed.
pub const FORCE_DETACHED: &str = "force_detached";

#[cfg(test)]
mod tests {
    use super::MountState::{self, *};

    #[test]
    fn exactly_the_legal_transitions_are_allowed() {
        let legal = [
            (Requested, Mounting),
            (Mounting, Mounted),
            (Mounted, Paused),
            (Paused, Remounting),
            (Remounting, Mounted),
            (Mounted, Unmounted),
            (Paused, Unmounted),
            (Unmounted, Releasing),
            (Releasing, Released),
        ];
        for from in MountState::ALL {
            for to in MountState::ALL {
                let expect = legal.contains(&(from, to)) || (to == Failed && !matches!(from, Released | Failed));
                assert_eq!(from.can_transition_to(to), expect, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn activity_and_parsing() {
        for s in MountState::ALL {
            assert_eq!(MountState::parse(s.as_str()).unwrap(), s);
            assert_eq!(s.is_active(), !matches!(s, Unmounted | Released | Failed));
        }
        assert!(MountState::parse("gone").is_err());
    }
}
