//! sandvol-core: an embeddable engine for sandbox volumes.
//!
//! One [`Engine`] owns a data directory: a SQLite catalog of volumes, sandboxes
//! and mount sessions, a block store of immutable BLAKE3-named blocks, and the
//! sandbox filesystem that routes sandbox paths to volumes. Every rule of the
//! product lives in this crate; the C, Python and Node bindings only convert.
//!
//! ```no_run
//! use sandvol_core::{Engine, CreateVolume, AccessMode, ClaimOptions, MountRequest, Target, WriteOptions};
//! let engine = Engine::open("./sandvol-data")?;
//! let vol = engine.create_volume(CreateVolume {
//!     name: Some("datasets".into()),
//!     access_mode: Some(AccessMode::ReadWriteMany),
//!     ..Default::default()
//! })?;
//! let sb = engine.claim_sandbox("default", ClaimOptions::default())?;
//! let m = sb.mount(MountRequest::new(&vol.id, "/mnt/data"))?;
//! engine.write_file(Target::Sandbox(sb.id()), "/mnt/data/hello.txt", b"Hello, Volume!", &WriteOptions::default())?;
//! assert_eq!(engine.read_file(Target::Sandbox(sb.id()), "/mnt/data/hello.txt")?, b"Hello, Volume!");
//! sb.unmount(&vol.id, &m.id)?;
//! # Ok::<(), sandvol_core::Error>(())
//! ```

pub mod cache;
pub mod catalog;
pub mod config;
pub mod engine;
pub mod error;
pub mod fs;
pub mod mount;
pub mod path;
pub mod sandbox;
pub mod snapshot;
pub mod stats;
pub mod store;
mod util;
pub mod volume;

pub use cache::CacheStats;
pub use catalog::Durability;
pub use config::{AccessMode, ConfigOverride, Size, VolumeConfig, parse_size};
pub use engine::{Engine, EngineOptions, MountHook};
pub use error::{Error, ErrorCode, Result};
pub use fs::route::Target;
pub use fs::{ChangeEntry, ChangeKind, DirEntry, FileHandle, FileInfo, FileKind, ListDirOptions, OpenOptions, WriteMode, WriteOptions};
pub use mount::{FORCE_DETACHED, MountRequest, MountSession, MountState};
pub use sandbox::{ClaimOptions, Sandbox, SandboxInfo, SandboxState};
pub use snapshot::Snapshot;
pub use stats::Stats;
pub use store::gc::{DEFAULT_GC_GRACE, FsckReport, GcReport};
pub use store::{BlockStore, LocalStore, SimulatedStore};
pub use volume::{CreateVolume, Labels, ListOptions, Page, UpdateVolume, Volume};

/// The crate version (also what the C ABI's `sandvol_version()` returns).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
