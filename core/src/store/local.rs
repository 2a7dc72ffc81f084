//! The default block store: one file per block under `blocks/`, fanned out by hash prefix.

use super::{BlockHash, BlockStore};
use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Blocks as files `blocks/ab/<hash>`, written to a temporary name and renamed into place.
pub struct LocalStore {
    root: PathBuf,
    fsync: bool,
    tmp_seq: AtomicU64,
}

impl LocalStore {
    /// Opens (creating) a store at `root`; with `fsync`, every block is fsynced before it counts as stored.
    pub fn open(root: &Path, fsync: bool) -> Result<LocalStore> {
        fs::create_dir_all(root.join("tmp"))?;
        // Temporary files of a crashed writer are never referenced: drop them.
        for e in fs::read_dir(root.join("tmp"))? {
            let _ = fs::remove_file(e?.path());
        }
        Ok(LocalStore { root: root.to_path_buf(), fsync, tmp_seq: AtomicU64::new(0) })
    }

    fn path_of(&self, hash: &str) -> Result<PathBuf> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::corrupt(format!("block name {hash:?} is not a BLAKE3 hex hash")));
        }
        Ok(self.root.join(&hash[..2]).join(hash))
    }
}

impl BlockStore for LocalStore {
    fn put(&self, hash: &str, data: &[u8]) -> Result<()> {
        let dest = self.path_of(hash)?;
        if let Ok(f) = fs::File::options().write(true).open(&dest) {
            // Already stored: refresh its age so gc's grace period restarts.
            f.set_modified(std::time::SystemTime::now())?;
            return Ok(());
        }
        let tmp = self.root.join("tmp").join(format!(
            "{}.{}.{}",
            std::process::id(),
            self.tmp_seq.fetch_add(1, Ordering::Relaxed),
            &hash[..16]
        ));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        if self.fsync {
            f.sync_all()?;
        }
        drop(f);
        let dir = dest.parent().expect("block path has a parent");
        if !dir.exists() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(&tmp, &dest)?;
        if self.fsync {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    fn put_file(&self, hash: &str, src: &Path) -> Result<()> {
        let dest = self.path_of(hash)?;
        if dest.exists() {
            return self.put(hash, &[]);
        }
        let dir = dest.parent().expect("block path has a parent");
        if !dir.exists() {
            fs::create_dir_all(dir)?;
        }
        // The writeback journal fsynced `src` already: moving it is the whole upload.
        match fs::rename(src, &dest) {
            Ok(()) => {
                if self.fsync {
                    fs::File::open(dir)?.sync_all()?;
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => self.put(hash, &fs::read(src)?),
            Err(e) => Err(e.into()),
        }
    }

    fn get(&self, hash: &str) -> Result<Vec<u8>> {
        let p = self.path_of(hash)?;
        let data = fs::read(&p).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::corrupt(format!("block {hash} is missing from the store")),
            _ => Error::from(e),
        })?;
        Ok(data)
    }

    fn exists(&self, hash: &str) -> Result<bool> {
        Ok(self.path_of(hash)?.exists())
    }

    fn delete(&self, hash: &str) -> Result<()> {
        match fs::remove_file(self.path_of(hash)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn age(&self, hash: &str) -> Result<Option<std::time::Duration>> {
        match fs::metadata(self.path_of(hash)?) {
            Ok(m) => Ok(Some(m.modified()?.elapsed().unwrap_or_default())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn size(&self, hash: &str) -> Result<Option<u64>> {
        match fs::metadata(self.path_of(hash)?) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn list(&self) -> Result<Vec<BlockHash>> {
        let mut out = Vec::new();
        for d in fs::read_dir(&self.root)? {
            let d = d?;
            let name = d.file_name();
            if name.len() != 2 || !d.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(d.path())? {
                if let Some(n) = f?.file_name().to_str() {
                    out.push(n.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}
