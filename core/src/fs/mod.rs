//! The sandbox filesystem: inodes, directories, chunk maps, file handles, the
//! change feed, and routing of sandbox paths to volumes.

pub(crate) mod changes;
pub(crate) mod counters;
pub(crate) mod data;
mod handle;
pub(crate) mod layout;
pub(crate) mod ops;
pub(crate) mod route;
pub(crate) mod tree;

pub use handle::FileHandle;
pub use tree::FileKind;

use crate::error::{Error, Result};
use serde::Serialize;

/// Largest file size, 2^53 - 1 bytes (8 PiB): the largest every binding
/// states exactly (a JS number), and small enough that a volume's byte
/// counters (SQLite integers) never overflow on a file's size change.
pub const MAX_FILE_SIZE: u64 = (1 << 53) - 1;

/// The end of a write of `len` bytes at `offset` into `shown`, refused past
/// `MAX_FILE_SIZE` (POSIX's EFBIG, "file too large").
pub(crate) fn write_end(offset: u64, len: u64, shown: &str) -> Result<u64> {
    match offset.checked_add(len) {
        Some(end) if end <= MAX_FILE_SIZE => Ok(end),
        _ => Err(Error::invalid_argument(format!(
            "writing {len} bytes at offset {offset} would make {shown:?} larger than the largest file ({MAX_FILE_SIZE} bytes)"
        ))),
    }
}

/// What `stat` and writes return about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// The path as the caller addressed it (normalized).
    pub path: String,
    /// file, dir or symlink.
    pub kind: FileKind,
    /// Bytes (for a symlink, the length of its target).
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
    /// Increases on every change; pass to `if_version` for compare-and-swap.
    pub version: u64,
    /// Last access time, ms since the epoch.
    pub atime: i64,
    /// Last content change, ms since the epoch.
    pub mtime: i64,
    /// Last metadata change, ms since the epoch.
    pub ctime: i64,
    /// Symlink target, for symlinks.
    pub target: Option<String>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirEntry {
    /// Entry name.
    pub name: String,
    /// file, dir or symlink.
    pub kind: FileKind,
    /// Bytes.
    pub size: u64,
    /// File version.
    pub version: u64,
    /// Last content change, ms since the epoch.
    pub mtime: i64,
}

/// Pagination of `list_dir` (entries come in name order).
#[derive(Debug, Clone, Default)]
pub struct ListDirOptions {
    /// Page size (default 1000, at most 10000).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page (the last name returned).
    pub cursor: Option<String>,
}

/// How `write_file` treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Create or replace the whole content.
    #[default]
    Truncate,
    /// Create, or add to the end.
    Append,
    /// Create, or write at a byte offset (the file grows with zeros if needed).
    At(u64),
    /// Create; `already_exists` if the path exists.
    Exclusive,
}

/// Options of `write_file`.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Truncate (default), append, offset or exclusive create.
    pub mode: WriteMode,
    /// Compare-and-swap: the write applies only if the file's version is this (0 = must not exist).
    pub if_version: Option<u64>,
    /// Create missing parent directories (default true, as hosted sandbox file APIs do).
    pub parents: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { mode: WriteMode::Truncate, if_version: None, parents: true }
    }
}

/// How `open` opens a file.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Allow read_at.
    pub read: bool,
    /// Allow write_at.
    pub write: bool,
    /// Create if missing.
    pub create: bool,
    /// Fail with `already_exists` if it exists (with create).
    pub exclusive: bool,
    /// Empty the file on open.
    pub truncate: bool,
    /// Every write goes to the end.
    pub append: bool,
}

impl OpenOptions {
    /// Parses a Python/C `fopen`-style mode: "r", "r+", "w", "w+", "a", "a+", "x", "x+" (a "b" is ignored).
    pub fn from_mode(mode: &str) -> crate::Result<OpenOptions> {
        let m: String = mode.chars().filter(|c| *c != 'b').collect();
        let plus = m.ends_with('+');
        let base = m.trim_end_matches('+');
        let mut o = match base {
            "r" => OpenOptions { read: true, ..Default::default() },
            "w" => OpenOptions { write: true, create: true, truncate: true, ..Default::default() },
            "a" => OpenOptions { write: true, create: true, append: true, ..Default::default() },
            "x" => OpenOptions { write: true, create: true, exclusive: true, ..Default::default() },
            _ => {
                return Err(crate::Error::invalid_argument(format!(
                    "open mode {mode:?} is not one of r, r+, w, w+, a, a+, x, x+"
                )));
            }
        };
        if plus {
            o.read = true;
            o.write = true;
        }
        Ok(o)
    }
}

/// Kind of a change-feed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// File content written (created, replaced, appended, truncated).
    Write,
    /// Directory created.
    Mkdir,
    /// Symlink created.
    Symlink,
    /// File, directory or symlink removed.
    Remove,
    /// Renamed; `new_path` holds the destination.
    Rename,
    /// Times or mode changed.
    Setattr,
    /// The whole volume was rewound to a snapshot.
    Restore,
}

impl ChangeKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Write => "write",
            ChangeKind::Mkdir => "mkdir",
            ChangeKind::Symlink => "symlink",
            ChangeKind::Remove => "remove",
            ChangeKind::Rename => "rename",
            ChangeKind::Setattr => "setattr",
            ChangeKind::Restore => "restore",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<ChangeKind> {
        [
            ChangeKind::Write,
            ChangeKind::Mkdir,
            ChangeKind::Symlink,
            ChangeKind::Remove,
            ChangeKind::Rename,
            ChangeKind::Setattr,
            ChangeKind::Restore,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of a volume's change feed; paths are relative to the volume root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEntry {
    /// Strictly increasing per volume.
    pub seq: u64,
    /// Path from the volume root ("/a/b.txt").
    pub path: String,
    /// What happened.
    pub kind: ChangeKind,
    /// Destination of a rename.
    pub new_path: Option<String>,
    /// When, ms since the epoch.
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_modes() {
        let r = OpenOptions::from_mode("rb").unwrap();
        assert!(r.read && !r.write && !r.create);
        let w = OpenOptions::from_mode("w+").unwrap();
        assert!(w.read && w.write && w.create && w.truncate);
        let a = OpenOptions::from_mode("a").unwrap();
        assert!(a.append && a.create && !a.read);
        assert!(OpenOptions::from_mode("x").unwrap().exclusive);
        assert_eq!(OpenOptions::from_mode("q").unwrap_err().code(), crate::ErrorCode::InvalidArgument);
    }

    #[test]
    fn change_kinds_round_trip() {
        for k in ["write", "mkdir", "symlink", "remove", "rename", "setattr", "restore"] {
            assert_eq!(ChangeKind::parse(k).unwrap().as_str(), k);
        }
    }
}
