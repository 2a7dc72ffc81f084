//! Opaque handles. A handle is a token, never a pointer the library
//! dereferences: the registry maps it to the object, so a closed, freed or
//! forged handle is reported as `SANDVOL_ERR_INVALID_ARGUMENT` instead of
//! touching freed memory, and closing on one thread while another thread
//! still uses the handle is safe (the other call keeps its own reference).

use parking_lot::RwLock;
use sandvol_core::{Engine, Error, FileHandle, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// An open engine (a data directory). Thread-safe: one handle may be used from many threads.
pub struct sandvol_engine {
    _opaque: [u8; 0],
}

/// An open file. Thread-safe; calls on one handle are serialized.
pub struct sandvol_file {
    _opaque: [u8; 0],
}

enum Obj {
    Engine(Engine),
    File(Arc<FileHandle>),
}

static REGISTRY: LazyLock<RwLock<HashMap<usize, Obj>>> = LazyLock::new(|| RwLock::new(HashMap::new()));
/// Tokens are never reused, so a stale handle can never name a newer object.
static NEXT: AtomicUsize = AtomicUsize::new(1);

fn insert(obj: Obj) -> usize {
    let token = NEXT.fetch_add(1, Ordering::Relaxed) << 4;
    REGISTRY.write().insert(token, obj);
    token
}

/// Removes a handle; an empty registry gives its memory back (so a program that
/// closed every handle leaves nothing behind for leak checkers).
fn remove(reg: &mut HashMap<usize, Obj>, token: usize) -> Option<Obj> {
    let out = reg.remove(&token);
    if reg.is_empty() {
        reg.shrink_to_fit();
    }
    out
}

fn stale(kind: &str, token: usize) -> Error {
    Error::invalid_argument(format!(
        "{kind} handle {token:#x} is not open (already closed or freed, or not returned by sandvol)"
    ))
}

/// Registers an engine and returns its handle.
pub fn new_engine(e: Engine) -> *mut sandvol_engine {
    insert(Obj::Engine(e)) as *mut sandvol_engine
}

/// Registers a file and returns its handle.
pub fn new_file(f: FileHandle) -> *mut sandvol_file {
    insert(Obj::File(Arc::new(f))) as *mut sandvol_file
}

/// The engine behind a handle.
pub fn engine(h: *const sandvol_engine) -> Result<Engine> {
    if h.is_null() {
        return Err(crate::boundary::null_arg("engine"));
    }
    match REGISTRY.read().get(&(h as usize)) {
        Some(Obj::Engine(e)) => Ok(e.clone()),
        _ => Err(stale("engine", h as usize)),
    }
}

/// Removes an engine handle from the registry and returns its engine.
pub fn take_engine(h: *mut sandvol_engine) -> Result<Engine> {
    let mut reg = REGISTRY.write();
    match reg.get(&(h as usize)) {
        Some(Obj::Engine(_)) => match remove(&mut reg, h as usize) {
            Some(Obj::Engine(e)) => Ok(e),
            _ => unreachable!("checked above"),
        },
        _ => Err(stale("engine", h as usize)),
    }
}

/// The file behind a handle.
pub fn file(h: *const sandvol_file) -> Result<Arc<FileHandle>> {
    if h.is_null() {
        return Err(crate::boundary::null_arg("file"));
    }
    match REGISTRY.read().get(&(h as usize)) {
        Some(Obj::File(f)) => Ok(f.clone()),
        _ => Err(stale("file", h as usize)),
    }
}

/// Removes a file handle from the registry and returns its file.
pub fn take_file(h: *mut sandvol_file) -> Result<Arc<FileHandle>> {
    let mut reg = REGISTRY.write();
    match reg.get(&(h as usize)) {
        Some(Obj::File(_)) => match remove(&mut reg, h as usize) {
            Some(Obj::File(f)) => Ok(f),
            _ => unreachable!("checked above"),
        },
        _ => Err(stale("file", h as usize)),
    }
}
