//! Block stores: where immutable, content-addressed blocks live.
//!
//! The filesystem code only sees the [`BlockStore`] trait, so an object-store
//! backend fits in without touching it.

pub mod gc;
mod local;
pub(crate) mod refs;
mod simulated;

pub use local::LocalStore;
pub use simulated::SimulatedStore;

use crate::error::{Error, Result};

/// A block's name: the lowercase hex BLAKE3 hash of its bytes.
pub type BlockHash = String;

/// Hashes a block's bytes into its name.
pub fn hash_block(data: &[u8]) -> BlockHash {
    blake3::hash(data).to_hex().to_string()
}

/// Checks that `data` is the block named `hash`; a mismatch is `corrupt`, never returned data.
pub fn verify_block(hash: &str, data: &[u8]) -> Result<()> {
    let actual = hash_block(data);
    if actual != hash {
        return Err(Error::corrupt(format!("block {hash} has hash {actual}: its bytes are damaged")));
    }
    Ok(())
}

/// A place that stores immutable blocks by hash.
pub trait BlockStore: Send + Sync {
    /// Stores `data` under `hash` (idempotent: an existing block is left as it is).
    fn put(&self, hash: &str, data: &[u8]) -> Result<()>;
    /// Fetches a whole block (the engine verifies it against its hash).
    fn get(&self, hash: &str) -> Result<Vec<u8>>;
    /// True when the block is present.
    fn exists(&self, hash: &str) -> Result<bool>;
    /// Deletes a block (missing is not an error).
    fn delete(&self, hash: &str) -> Result<()>;
    /// Every block name present (for gc and fsck).
    fn list(&self) -> Result<Vec<BlockHash>>;
    /// Time since the block was last stored (a re-store of an existing block counts);
    /// `None` when the backend cannot tell.
    fn age(&self, _hash: &str) -> Result<Option<std::time::Duration>> {
        Ok(None)
    }
    /// Size in bytes, if present.
    fn size(&self, _hash: &str) -> Result<Option<u64>> {
        Ok(None)
    }
    /// Stores the block held in file `src` (whose bytes are known to hash to
    /// `hash`). A store on the same filesystem may move the file instead of
    /// copying it; either way the caller must not use `src` afterwards.
    fn put_file(&self, hash: &str, src: &std::path::Path) -> Result<()> {
        self.put(hash, &std::fs::read(src)?)
    }
}
