//! Open files: positional read/write for files larger than memory.

use crate::convert::{Bytes, Data, FileInfo, uint};
use crate::task::{Job, job, job_with};
use napi_derive::napi;
use sandvol_core as core;
use std::sync::Arc;

/// An open file (from `sb.open` / `engine.volumeOpen`). Close it when done:
/// `close()` flushes buffered writes.
#[napi]
pub struct FileHandle {
    inner: Arc<core::FileHandle>,
}

impl FileHandle {
    pub fn new(h: core::FileHandle) -> FileHandle {
        FileHandle { inner: Arc::new(h) }
    }
}

#[napi]
impl FileHandle {
    /// The path it was opened at.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.inner.path().to_string()
    }

    /// Current size including unflushed writes.
    #[napi(getter)]
    pub fn size(&self) -> i64 {
        self.inner.size() as i64
    }

    /// Reads up to `length` bytes at `offset` (fewer at the end of the file).
    #[napi]
    pub fn read(&self, offset: f64, length: f64) -> Job<Bytes> {
        let h = self.inner.clone();
        job(move || Ok(Bytes(h.read_at(uint("offset", offset)?, uint("length", length)?)?)))
    }

    /// Writes `data` at `offset` (at the end for append handles); resolves to the bytes written.
    #[napi]
    pub fn write(&self, offset: f64, data: Data) -> Job<i64> {
        let h = self.inner.clone();
        job_with(data, move |data| Ok(h.write_at(uint("offset", offset)?, data.as_slice())? as i64))
    }

    /// Publishes buffered writes.
    #[napi]
    pub fn flush(&self) -> Job<()> {
        let h = self.inner.clone();
        job(move || h.flush())
    }

    /// The file's committed info.
    #[napi]
    pub fn stat(&self) -> Job<FileInfo> {
        let h = self.inner.clone();
        job(move || Ok(h.stat()?.into()))
    }

    /// Flushes and closes; later calls fail with `invalid_state`. Closing twice is allowed.
    #[napi]
    pub fn close(&self) -> Job<()> {
        let h = self.inner.clone();
        job(move || h.close())
    }
}
