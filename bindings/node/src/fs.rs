//! File operations shared by the sandbox view (`sb.readFile`) and the direct
//! volume side (`engine.volumeReadFile`): one implementation, two targets.

use crate::convert::*;
use crate::handle::FileHandle;
use crate::task::{Job, job, job_with};
use sandvol_core as core;
use std::sync::Arc;

/// Where file operations are addressed: a sandbox id or a volume ref.
#[derive(Clone)]
pub struct At {
    pub engine: core::Engine,
    pub sandbox: bool,
    pub id: Arc<str>,
}

impl At {
    pub fn target(&self) -> core::Target<'_> {
        if self.sandbox { core::Target::Sandbox(&self.id) } else { core::Target::Volume(&self.id) }
    }

    pub fn read_file(&self, path: String, opts: Opt<ReadOptions>) -> Job<Bytes> {
        let at = self.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || {
            let bytes = match opts.range()? {
                None => at.engine.read_file(at.target(), &path)?,
                Some((off, len)) => at.engine.read_range(at.target(), &path, off, len)?,
            };
            Ok(Bytes(bytes))
        })
    }

    pub fn write_file(&self, path: String, data: Data, opts: Opt<WriteOptions>) -> Job<FileInfo> {
        let at = self.clone();
        let opts = opts.take().unwrap_or_default();
        job_with(data, move |data| {
            let opts = opts.into_core()?;
            Ok(at.engine.write_file(at.target(), &path, data.as_slice(), &opts)?.into())
        })
    }

    pub fn stat(&self, path: String) -> Job<FileInfo> {
        let at = self.clone();
        job(move || Ok(at.engine.stat(at.target(), &path)?.into()))
    }

    pub fn exists(&self, path: String) -> Job<bool> {
        let at = self.clone();
        job(move || at.engine.exists(at.target(), &path))
    }

    pub fn list_dir(&self, path: String, opts: Opt<ListDirOptions>) -> Job<DirPage> {
        let at = self.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || Ok(at.engine.list_dir(at.target(), &path, &opts.into_core()?)?.into()))
    }

    pub fn mkdir(&self, path: String, opts: Opt<MkdirOptions>) -> Job<FileInfo> {
        let at = self.clone();
        let parents = opts.take().and_then(|o| o.parents).unwrap_or(false);
        job(move || Ok(at.engine.mkdir(at.target(), &path, parents)?.into()))
    }

    pub fn remove(&self, path: String, opts: Opt<RemoveOptions>) -> Job<()> {
        let at = self.clone();
        let recursive = opts.take().and_then(|o| o.recursive).unwrap_or(false);
        job(move || at.engine.remove(at.target(), &path, recursive))
    }

    pub fn rename(&self, src: String, dst: String) -> Job<FileInfo> {
        let at = self.clone();
        job(move || Ok(at.engine.rename(at.target(), &src, &dst)?.into()))
    }

    pub fn symlink(&self, target: String, link: String) -> Job<FileInfo> {
        let at = self.clone();
        job(move || Ok(at.engine.symlink(at.target(), &target, &link)?.into()))
    }

    pub fn readlink(&self, path: String) -> Job<String> {
        let at = self.clone();
        job(move || at.engine.readlink(at.target(), &path))
    }

    pub fn set_times(&self, path: String, opts: Opt<SetTimesOptions>) -> Job<FileInfo> {
        let at = self.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || {
            let atime = opt_time("atime", opts.atime)?;
            let mtime = opt_time("mtime", opts.mtime)?;
            Ok(at.engine.set_times(at.target(), &path, atime, mtime)?.into())
        })
    }

    pub fn open(&self, path: String, mode: Option<String>) -> Job<FileHandle> {
        let at = self.clone();
        job(move || {
            let opts = core::OpenOptions::from_mode(mode.as_deref().unwrap_or("r"))?;
            let h = at.engine.open_file(at.target(), &path, opts)?;
            Ok(FileHandle::new(h))
        })
    }
}
