//! Volumes on the engine: create/get/list/update/delete and direct file
//! operations by volume ref (`volumeReadFile`, …).

use crate::convert::*;
use crate::engine::Engine;
use crate::fs::At;
use crate::handle::FileHandle;
use crate::task::{Job, job};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use sandvol_core as core;
use std::sync::Arc;

/// Options of `updateVolume`; `sizeLimit: null` removes the limit.
pub struct UpdateVolumeOptions {
    labels: Option<Labels>,
    size_limit: Option<Option<Either<f64, String>>>,
    config: ConfigOptions,
}

impl FromNapiValue for UpdateVolumeOptions {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        // Opt<UpdateVolumeOptions> already checked that `v` is an object.
        let obj = unsafe { Object::from_napi_value(env, v)? };
        let size_limit = if obj.has_named_property("sizeLimit")? {
            let raw: Unknown = obj.get_named_property("sizeLimit")?;
            match raw.get_type()? {
                ValueType::Undefined => None,
                ValueType::Null => Some(None),
                _ => Some(Some(unsafe { Either::<f64, String>::from_napi_value(env, raw.raw())? })),
            }
        } else {
            None
        };
        Ok(UpdateVolumeOptions {
            labels: labels_in(obj.get("labels")?),
            size_limit,
            config: ConfigOptions {
                cache_size: obj.get("cacheSize")?,
                buffer_size: obj.get("bufferSize")?,
                prefetch: obj.get("prefetch")?,
                writeback: obj.get("writeback")?,
            },
        })
    }
}

impl TypeName for UpdateVolumeOptions {
    fn type_name() -> &'static str {
        "UpdateVolumeOptions"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl UpdateVolumeOptions {
    fn into_core(self) -> core::Result<core::UpdateVolume> {
        Ok(core::UpdateVolume {
            labels: self.labels,
            size_limit: match self.size_limit {
                None => None,
                Some(None) => Some(None),
                Some(Some(s)) => Some(Some(size("sizeLimit", s)?)),
            },
            config: self.config.into_core()?,
        })
    }
}

impl Engine {
    fn at_volume(&self, r: String) -> At {
        At { engine: self.inner.clone(), sandbox: false, id: Arc::from(r) }
    }
}

#[napi]
impl Engine {
    /// Creates a volume: `{name, accessMode: 'RWO'|'ROX'|'RWX', sizeLimit, cacheSize, bufferSize, prefetch, writeback, labels}`.
    #[napi]
    pub fn create_volume(&self, opts: Opt<CreateVolumeOptions>) -> Job<Volume> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || Ok(e.create_volume(opts.into_core()?)?.into()))
    }

    /// A volume by id or name.
    #[napi]
    pub fn get_volume(&self, volume: String) -> Job<Volume> {
        let e = self.inner.clone();
        job(move || Ok(e.get_volume(&volume)?.into()))
    }

    /// Volumes matching every label given, one page at a time.
    #[napi]
    pub fn list_volumes(&self, opts: Opt<ListVolumesOptions>) -> Job<VolumePage> {
        let e = self.inner.clone();
        let opts = opts.take().unwrap_or_default();
        job(move || {
            let p = e.list_volumes(&opts.into_core()?)?;
            Ok(VolumePage { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor })
        })
    }

    /// Updates labels, sizeLimit (null removes it) and cache settings.
    #[napi]
    pub fn update_volume(&self, volume: String, opts: Opt<UpdateVolumeOptions>) -> Job<Volume> {
        let e = self.inner.clone();
        let opts = opts.take();
        job(move || {
            let upd = match opts {
                Some(o) => o.into_core()?,
                None => core::UpdateVolume::default(),
            };
            Ok(e.update_volume(&volume, &upd)?.into())
        })
    }

    /// Deletes a volume; `conflict` while mounted unless `{force: true}`.
    #[napi]
    pub fn delete_volume(&self, volume: String, opts: Opt<DeleteVolumeOptions>) -> Job<()> {
        let e = self.inner.clone();
        let force = opts.take().and_then(|o| o.force).unwrap_or(false);
        job(move || e.delete_volume(&volume, force))
    }

    #[napi]
    pub fn volume_read_file(&self, volume: String, path: String, opts: Opt<ReadOptions>) -> Job<Bytes> {
        self.at_volume(volume).read_file(path, opts)
    }

    #[napi]
    pub fn volume_write_file(&self, volume: String, path: String, data: Data, opts: Opt<WriteOptions>) -> Job<FileInfo> {
        self.at_volume(volume).write_file(path, data, opts)
    }

    #[napi]
    pub fn volume_stat(&self, volume: String, path: String) -> Job<FileInfo> {
        self.at_volume(volume).stat(path)
    }

    #[napi]
    pub fn volume_exists(&self, volume: String, path: String) -> Job<bool> {
        self.at_volume(volume).exists(path)
    }

    #[napi]
    pub fn volume_list_dir(&self, volume: String, path: String, opts: Opt<ListDirOptions>) -> Job<DirPage> {
        self.at_volume(volume).list_dir(path, opts)
    }

    #[napi]
    pub fn volume_mkdir(&self, volume: String, path: String, opts: Opt<MkdirOptions>) -> Job<FileInfo> {
        self.at_volume(volume).mkdir(path, opts)
    }

    #[napi]
    pub fn volume_remove(&self, volume: String, path: String, opts: Opt<RemoveOptions>) -> Job<()> {
        self.at_volume(volume).remove(path, opts)
    }

    #[napi]
    pub fn volume_rename(&self, volume: String, src: String, dst: String) -> Job<FileInfo> {
        self.at_volume(volume).rename(src, dst)
    }

    #[napi]
    pub fn volume_symlink(&self, volume: String, target: String, link: String) -> Job<FileInfo> {
        self.at_volume(volume).symlink(target, link)
    }

    #[napi]
    pub fn volume_readlink(&self, volume: String, path: String) -> Job<String> {
        self.at_volume(volume).readlink(path)
    }

    #[napi]
    pub fn volume_set_times(&self, volume: String, path: String, opts: Opt<SetTimesOptions>) -> Job<FileInfo> {
        self.at_volume(volume).set_times(path, opts)
    }

    #[napi]
    pub fn volume_open(&self, volume: String, path: String, mode: Option<String>) -> Job<FileHandle> {
        self.at_volume(volume).open(path, mode)
    }
}
