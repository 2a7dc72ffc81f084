//! Inodes and directory entries in the catalog, and path resolution inside one tree.
//!
//! A tree is owned by a volume id or a snapshot id; inode numbers are local to
//! their owner, so copying a tree (snapshot, restore, fork) is a copy of rows.

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Inode number of every tree's root directory.
pub(crate) const ROOT_INO: i64 = 1;
/// Symlinks followed in one resolution before giving up (Linux's MAXSYMLINKS).
const MAX_SYMLINK_HOPS: usize = 40;

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (its target is a string, resolved only inside its volume).
    Symlink,
}

impl FileKind {
    /// The stable name ("file", "dir", "symlink").
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Dir => "dir",
            FileKind::Symlink => "symlink",
        }
    }
    fn parse(s: &str) -> rusqlite::Result<FileKind> {
        match s {
            "file" => Ok(FileKind::File),
            "dir" => Ok(FileKind::Dir),
            "symlink" => Ok(FileKind::Symlink),
            _ => Err(rusqlite::Error::InvalidColumnType(2, s.to_string(), rusqlite::types::Type::Text)),
        }
    }
}

/// One inode row.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub ino: i64,
    pub kind: FileKind,
    pub size: u64,
    pub mode: u32,
    pub version: u64,
    /// Content lives in the inline_data table (small files).
    pub inline: bool,
    pub target: Option<String>,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
}

macro_rules! inode_columns {
    ($p:literal) => {
        concat!($p, "ino, ", $p, "kind, ", $p, "size, ", $p, "mode, ", $p, "version, ", $p, "inline, ", $p, "target, ", $p, "atime, ", $p, "mtime, ", $p, "ctime")
    };
}

const INODE_COLUMNS: &str = inode_columns!("");
const GET_INODE: &str = concat!("SELECT ", inode_columns!(""), " FROM inodes WHERE owner = ?1 AND ino = ?2");

fn inode_from_row(r: &Row<'_>) -> rusqlite::Result<Inode> {
    Ok(Inode {
        ino: r.get(0)?,
        kind: FileKind::parse(&r.get::<_, String>(1)?)?,
        size: r.get::<_, i64>(2)? as u64,
        mode: r.get(3)?,
        version: r.get::<_, i64>(4)? as u64,
        inline: r.get(5)?,
        target: r.get(6)?,
        atime: r.get(7)?,
        mtime: r.get(8)?,
        ctime: r.get(9)?,
    })
}

/// Creates the root directory of a new tree.
pub(crate) fn create_root(tx: &Connection, owner: &str, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO inodes (owner, ino, kind, mode, version, atime, mtime, ctime)
         VALUES (?1, ?2, 'dir', 493, 0, ?3, ?3, ?3)",
    )?
    .execute(params![owner, ROOT_INO, now])?;
    Ok(())
}

/// Deletes every row of a tree and releases its block references (files are left to gc).
pub(crate) fn drop_tree(tx: &Connection, owner: &str) -> Result<()> {
    crate::store::refs::release_owner(tx, owner)?;
    tx.prepare_cached("DELETE FROM chunks WHERE owner = ?1")?.execute([owner])?;
    tx.prepare_cached("DELETE FROM inline_data WHERE owner = ?1")?.execute([owner])?;
    tx.prepare_cached("DELETE FROM dentries WHERE owner = ?1")?.execute([owner])?;
    tx.prepare_cached("DELETE FROM inodes WHERE owner = ?1")?.execute([owner])?;
    Ok(())
}

/// Copies every row of tree `from` into tree `to` (which must be empty) and takes block references.
pub(crate) fn copy_tree(tx: &Connection, from: &str, to: &str) -> Result<()> {
    tx.prepare_cached(
        &format!("INSERT INTO inodes (owner, {INODE_COLUMNS}) SELECT ?2, {INODE_COLUMNS} FROM inodes WHERE owner = ?1"),
    )?
    .execute(params![from, to])?;
    tx.prepare_cached(
        "INSERT INTO dentries (owner, parent, name, ino) SELECT ?2, parent, name, ino FROM dentries WHERE owner = ?1",
    )?
    .execute(params![from, to])?;
    tx.prepare_cached(
        "INSERT INTO chunks (owner, ino, idx, hash, len) SELECT ?2, ino, idx, hash, len FROM chunks WHERE owner = ?1",
    )?
    .execute(params![from, to])?;
    tx.prepare_cached(
        "INSERT INTO inline_data (owner, ino, data) SELECT ?2, ino, data FROM inline_data WHERE owner = ?1",
    )?
    .execute(params![from, to])?;
    crate::store::refs::acquire_owner(tx, to)?;
    Ok(())
}

/// Loads an inode.
pub(crate) fn get(tx: &Connection, owner: &str, ino: i64) -> Result<Inode> {
    let mut stmt = tx.prepare_cached(GET_INODE)?;
    stmt.query_row(params![owner, ino], inode_from_row)
        .optional()?
        .ok_or_else(|| Error::corrupt(format!("inode {ino} of {owner} is referenced but missing")))
}

/// The bytes of an inline file (empty for a file that never had content).
pub(crate) fn inline_content(tx: &Connection, owner: &str, ino: i64) -> Result<Vec<u8>> {
    let mut stmt = tx.prepare_cached("SELECT data FROM inline_data WHERE owner = ?1 AND ino = ?2")?;
    Ok(stmt.query_row(params![owner, ino], |r| r.get(0)).optional()?.unwrap_or_default())
}

/// Sets a file's size, version and times after a content change, and its inline
/// bytes (`Some`) or marks it as chunked (`None`).
pub(crate) fn set_content(tx: &Connection, owner: &str, ino: i64, size: u64, inline: Option<&[u8]>, version: u64, now: i64) -> Result<()> {
    match inline {
        Some(data) => {
            // An upsert updates the row in place: same-size content is overwritten
            // page by page, where REPLACE deleted the row (freeing its overflow
            // page) and inserted a new one, ~3 more WAL frames per small write.
            tx.prepare_cached(
                "INSERT INTO inline_data (owner, ino, data) VALUES (?1, ?2, ?3) ON CONFLICT(owner, ino) DO UPDATE SET data = excluded.data",
            )?
            .execute(params![owner, ino, data])?;
        }
        None => {
            tx.prepare_cached("DELETE FROM inline_data WHERE owner = ?1 AND ino = ?2")?.execute(params![owner, ino])?;
        }
    }
    tx.prepare_cached(
        "UPDATE inodes SET size = ?3, inline = ?4, version = ?5, mtime = ?6, ctime = ?6 WHERE owner = ?1 AND ino = ?2",
    )?
    .execute(params![owner, ino, size as i64, inline.is_some(), version as i64, now])?;
    Ok(())
}

/// Deletes an inode row and its inline bytes (chunks are the caller's to release).
pub(crate) fn delete_inode(tx: &Connection, owner: &str, ino: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM inline_data WHERE owner = ?1 AND ino = ?2")?.execute(params![owner, ino])?;
    tx.prepare_cached("DELETE FROM inodes WHERE owner = ?1 AND ino = ?2")?.execute(params![owner, ino])?;
    Ok(())
}

/// Loads an inode that may have been removed.
pub(crate) fn get_opt(tx: &Connection, owner: &str, ino: i64) -> Result<Option<Inode>> {
    let mut stmt = tx.prepare_cached(GET_INODE)?;
    Ok(stmt.query_row(params![owner, ino], inode_from_row).optional()?)
}

/// Looks up one name in a directory and loads its inode, in one statement.
fn lookup_inode(tx: &Connection, owner: &str, parent: i64, name: &str) -> Result<Option<Inode>> {
    const SQL: &str = concat!(
        "SELECT ",
        inode_columns!("i."),
        " FROM dentries d JOIN inodes i ON i.owner = d.owner AND i.ino = d.ino",
        " WHERE d.owner = ?1 AND d.parent = ?2 AND d.name = ?3"
    );
    Ok(tx.prepare_cached(SQL)?.query_row(params![owner, parent, name], inode_from_row).optional()?)
}

/// Inserts a new inode and its directory entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_inode(
    tx: &Connection,
    owner: &str,
    ino: i64,
    parent: i64,
    name: &str,
    kind: FileKind,
    mode: u32,
    version: u64,
    target: Option<&str>,
    now: i64,
) -> Result<i64> {
    crate::path::check_name(name)?;
    tx.prepare_cached(
        "INSERT INTO inodes (owner, ino, kind, size, mode, version, target, atime, mtime, ctime)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
    )?
    .execute(params![
        owner,
        ino,
        kind.as_str(),
        target.map(|t| t.len() as i64).unwrap_or(0),
        mode,
        version as i64,
        target,
        now
    ])?;
    tx.prepare_cached("INSERT INTO dentries (owner, parent, name, ino) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![owner, parent, name, ino])?;
    touch_dir(tx, owner, parent, now)?;
    Ok(ino)
}

/// Updates a directory's mtime/ctime after its entries changed. A directory
/// already stamped with this millisecond is left alone: rewriting the same
/// values would still cost the commit a page.
pub(crate) fn touch_dir(tx: &Connection, owner: &str, dir: i64, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE inodes SET mtime = ?3, ctime = ?3 WHERE owner = ?1 AND ino = ?2 AND (mtime != ?3 OR ctime != ?3)")?
        .execute(params![owner, dir, now])?;
    Ok(())
}

/// Where a resolution ended: the parent directory, the last name, and the inode if it exists.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Directory that holds (or would hold) the final entry.
    pub parent: i64,
    /// Final component ("" when the path is the root itself).
    pub name: String,
    /// The final entry, if it exists.
    pub ino: Option<i64>,
    /// Its inode, when the walk loaded it (not for directories reached through `..` or the root).
    pub inode: Option<Inode>,
}

impl Resolved {
    /// The final entry's inode, loaded only if the walk did not already.
    pub(crate) fn load(self, tx: &Connection, owner: &str) -> Result<Option<Inode>> {
        match (self.inode, self.ino) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(ino)) => get(tx, owner, ino).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// Resolves `comps` below directory `root` of tree `owner`.
///
/// Symlinks are followed inside the tree only: an absolute target starts again at
/// `root` (the mount's root, as in a chroot) and a `..` that climbs above `root`
/// is `permission_denied`. The final symlink is followed when `follow_last`.
pub(crate) fn resolve(
    tx: &Connection,
    owner: &str,
    root: i64,
    comps: &[&str],
    follow_last: bool,
    shown: &str,
) -> Result<Resolved> {
    let mut trail: Vec<i64> = vec![root];
    let mut pending: Vec<String> = comps.iter().rev().map(|c| c.to_string()).collect();
    let mut hops = 0;
    loop {
        let Some(name) = pending.pop() else {
            return Ok(Resolved { parent: *trail.last().unwrap(), name: String::new(), ino: Some(*trail.last().unwrap()), inode: None });
        };
        if name.is_empty() || name == "." {
            continue;
        }
        let dir = *trail.last().unwrap();
        if name == ".." {
            if trail.len() == 1 {
                return Err(Error::permission_denied(format!("path {shown:?} escapes the volume through \"..\"")));
            }
            trail.pop();
            if pending.is_empty() {
                let cur = *trail.last().unwrap();
                return Ok(Resolved { parent: cur, name: String::new(), ino: Some(cur), inode: None });
            }
            continue;
        }
        let last = pending.is_empty();
        let Some(inode) = lookup_inode(tx, owner, dir, &name)? else {
            if last {
                return Ok(Resolved { parent: dir, name, ino: None, inode: None });
            }
            return Err(Error::not_found(format!("path {shown:?} not found (no {name:?})")));
        };
        let child = inode.ino;
        match inode.kind {
            FileKind::Symlink if !last || follow_last => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(Error::invalid_argument(format!("path {shown:?} has too many levels of symbolic links")));
                }
                let target = inode.target.unwrap_or_default();
                if target.starts_with('/') {
                    trail.truncate(1);
                }
                pending.extend(target.split('/').rev().filter(|c| !c.is_empty()).map(str::to_string));
                if pending.is_empty() {
                    let cur = *trail.last().unwrap();
                    return Ok(Resolved { parent: cur, name: String::new(), ino: Some(cur), inode: None });
                }
            }
            _ if last => return Ok(Resolved { parent: dir, name, ino: Some(child), inode: Some(inode) }),
            FileKind::Dir => trail.push(child),
            _ => return Err(Error::not_a_directory(format!("path {shown:?}: {name:?} is not a directory"))),
        }
    }
}

/// Creates every missing directory of `comps` below `root`, recording a mkdir
/// change for each (at `prefix` + path), and returns the last one.
pub(crate) fn mkdir_all(
    tx: &Connection,
    owner: &str,
    root: i64,
    comps: &[&str],
    prefix: &str,
    now: i64,
    shown: &str,
) -> Result<i64> {
    let mut dir = root;
    for i in 0..comps.len() {
        let r = resolve(tx, owner, root, &comps[..=i], true, shown)?;
        dir = match r.ino {
            Some(ino) if get(tx, owner, ino)?.kind == FileKind::Dir => ino,
            Some(_) => {
                return Err(Error::not_a_directory(format!(
                    "path {shown:?}: {:?} is not a directory",
                    comps[..=i].join("/")
                )));
            }
            None => {
                let b = super::counters::new_inode(tx, owner)?;
                let seq = b.seq;
                let ino = create_inode(tx, owner, b.ino, r.parent, &r.name, FileKind::Dir, 0o755, seq, None, now)?;
                let path = format!("{prefix}/{}", comps[..=i].join("/"));
                super::changes::record(tx, owner, seq, &path, super::ChangeKind::Mkdir, None)?;
                ino
            }
        };
    }
    Ok(dir)
}
