//! Small shared helpers: ids, clocks, process identity.

use crate::error::{Error, Result};

/// Milliseconds since the Unix epoch (all timestamps in the catalog).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// A new random id with a type prefix ("vol_", "snap_", "sb_", "ms_") and 20 base-36 characters.
pub fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 20];
    getrandom::fill(&mut raw).expect("the OS random source is available");
    let mut s = String::with_capacity(prefix.len() + 21);
    s.push_str(prefix);
    s.push('_');
    s.extend(raw.iter().map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char));
    s
}

/// Id prefixes the engine hands out; a name that starts with one is refused.
pub const ID_PREFIXES: &[&str] = &["vol_", "snap_", "sb_", "ms_"];

/// True when `s` has the shape of an id the engine hands out.
pub fn looks_like_id(s: &str) -> bool {
    ID_PREFIXES.iter().any(|p| s.starts_with(p))
}

/// Checks a user-chosen name (volumes, snapshots): Docker's volume-name rule, not id-shaped.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let ok_first = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok_first || !ok_rest || name.len() > 128 {
        return Err(Error::invalid_argument(format!(
            "{what} name {name:?} must be 1-128 characters of [A-Za-z0-9_.-] starting with a letter or digit"
        )));
    }
    if looks_like_id(name) {
        return Err(Error::invalid_argument(format!(
            "{what} name {name:?} looks like an id (prefixes vol_, snap_, sb_, ms_ are reserved)"
        )));
    }
    Ok(())
}

/// This process's identity: pid and start time (so a reused pid is not mistaken for us).
pub fn process_identity() -> (i64, i64) {
    // Read from /proc once per process (a forked child has another pid and reads its own).
    static CACHED: std::sync::Mutex<Option<(i64, i64)>> = std::sync::Mutex::new(None);
    let pid = std::process::id() as i64;
    let mut c = CACHED.lock().unwrap_or_else(|e| e.into_inner());
    match *c {
        Some((p, start)) if p == pid => (pid, start),
        _ => {
            let id = (pid, process_start(pid).unwrap_or(0));
            *c = Some(id);
            id
        }
    }
}

fn process_start(pid: i64) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime) counts from after the ")" that closes the command name.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// True when the process that recorded `(pid, start)` is still running.
pub fn process_alive(pid: i64, start: i64) -> bool {
    match process_start(pid) {
        Some(s) => start == 0 || s == start,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_are_unique() {
        let a = new_id("vol");
        assert!(a.starts_with("vol_") && a.len() == 24, "{a}");
        assert_ne!(a, new_id("vol"));
        assert!(looks_like_id(&a));
    }

    #[test]
    fn names() {
        check_name("volume", "datasets").unwrap();
        check_name("volume", "a.b-c_1").unwrap();
        for bad in ["", "-x", "a/b", "vol_abc", "snap_x", "x y", &"n".repeat(129)] {
            let e = check_name("volume", bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let (pid, start) = process_identity();
        assert!(start > 0);
        assert!(process_alive(pid, start));
        assert!(!process_alive(pid, start + 1));
        assert!(!process_alive(i32::MAX as i64, 0));
    }
}
