//! Path rules: mount points, subpaths and file paths, all in one place.
//!
//! Paths are UTF-8 strings (bindings refuse non-UTF-8 before they get here).
//! A normalized absolute path is "/" or "/a/b" with no empty, "." or ".."
//! component and no trailing slash.

use crate::error::{Error, Result};

/// Longest path accepted anywhere (Linux PATH_MAX).
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest single component (Linux NAME_MAX).
pub const MAX_NAME_BYTES: usize = 255;

/// Prefixes no user mount may sit at or under (the engine default).
pub const DEFAULT_RESERVED_PREFIXES: &[&str] =
    &["/.sandvol", "/proc", "/sys", "/dev", "/boot", "/etc", "/bin", "/sbin", "/lib", "/lib64"];

fn check_common(what: &str, p: &str) -> Result<()> {
    if p.len() > MAX_PATH_BYTES {
        return Err(Error::invalid_argument(format!(
            "{what} of {} bytes is longer than {MAX_PATH_BYTES} bytes",
            p.len()
        )));
    }
    if p.contains('\0') {
        return Err(Error::invalid_argument(format!("{what} {p:?} contains a NUL byte")));
    }
    Ok(())
}

/// Splits a path into components, dropping empty and "." ones; `..` is refused.
fn components<'a>(what: &str, p: &'a str) -> Result<Vec<&'a str>> {
    let mut out = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                return Err(Error::permission_denied(format!("{what} {p:?} contains \"..\"")));
            }
            c if c.len() > MAX_NAME_BYTES => {
                return Err(Error::invalid_argument(format!(
                    "{what} {p:?} has a component longer than {MAX_NAME_BYTES} bytes"
                )));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn join_abs(parts: &[&str]) -> String {
    if parts.is_empty() {
        return "/".to_string();
    }
    let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    s
}

/// Normalizes an absolute file path inside a sandbox or volume ("/a//b/./c/" → "/a/b/c").
///
/// `..` is refused with `permission_denied`: it is how escapes are attempted, and a
/// caller with a legitimate path can resolve it first.
pub fn normalize_file_path(p: &str) -> Result<String> {
    check_common("path", p)?;
    if !p.starts_with('/') {
        return Err(Error::invalid_argument(format!("path {p:?} is not absolute")));
    }
    Ok(join_abs(&components("path", p)?))
}

/// Normalizes and checks a mount point against the rules of DESIGN.md.
///
/// `..` in a mount point is a malformed request (`invalid_argument`), unlike in file
/// paths where it is an escape attempt.
pub fn normalize_mount_point(p: &str, reserved: &[String]) -> Result<String> {
    check_common("mount path", p)?;
    if !p.starts_with('/') {
        return Err(Error::invalid_argument(format!("mount path {p:?} is not absolute")));
    }
    let parts = components("mount path", p).map_err(|e| Error::invalid_argument(e.message().to_string()))?;
    let norm = join_abs(&parts);
    if norm == "/" {
        return Err(Error::invalid_argument(format!(
            "mount path {p:?} is the sandbox root, where the sandbox's scratch volume lives"
        )));
    }
    for r in reserved {
        if is_same_or_under(&norm, r) {
            return Err(Error::permission_denied(format!(
                "mount path {p:?} is at or under the reserved prefix {r:?}"
            )));
        }
    }
    Ok(norm)
}

/// Normalizes a subpath relative to the volume root ("a/./b/" → "a/b", "" or "/" → "").
///
/// A subpath that would climb above the volume root is `permission_denied`.
pub fn normalize_subpath(p: &str) -> Result<String> {
    check_common("subpath", p)?;
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(Error::permission_denied(format!(
                        "subpath {p:?} escapes the volume root"
                    )));
                }
            }
            c => out.push(c),
        }
    }
    Ok(out.join("/"))
}

/// Normalizes a reserved prefix given as an engine option.
pub fn normalize_reserved_prefix(p: &str) -> Result<String> {
    check_common("reserved prefix", p)?;
    if !p.starts_with('/') {
        return Err(Error::invalid_argument(format!("reserved prefix {p:?} is not absolute")));
    }
    Ok(join_abs(&components("reserved prefix", p)?))
}

/// True when `path` equals `prefix` or lies below it (both normalized).
pub fn is_same_or_under(path: &str, prefix: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// The part of `path` below `prefix` as an absolute path ("/mnt/data/x", "/mnt/data" → "/x").
pub fn strip_prefix(path: &str, prefix: &str) -> String {
    if prefix == "/" {
        return path.to_string();
    }
    let rest = &path[prefix.len()..];
    if rest.is_empty() { "/".to_string() } else { rest.to_string() }
}

/// Splits a normalized absolute path into its components.
pub fn split(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
}

/// Joins a normalized absolute `base` and a normalized absolute `rest`.
pub fn join(base: &str, rest: &str) -> String {
    match (base, rest) {
        ("/", r) => r.to_string(),
        (b, "/") => b.to_string(),
        (b, r) => format!("{b}{r}"),
    }
}

/// Checks a single directory-entry name (no slash, not "." or "..").
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(Error::invalid_argument(format!("file name {name:?} is not a valid name")));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid_argument(format!(
            "file name {name:?} is longer than {MAX_NAME_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn reserved() -> Vec<String> {
        DEFAULT_RESERVED_PREFIXES.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mount_points_normalize() {
        let r = reserved();
        assert_eq!(normalize_mount_point("/mnt//data/./", &r).unwrap(), "/mnt/data");
        assert_eq!(normalize_mount_point("/workspace", &r).unwrap(), "/workspace");
        // A sibling that merely shares a prefix string is not reserved.
        assert_eq!(normalize_mount_point("/etcetera", &r).unwrap(), "/etcetera");
        assert_eq!(normalize_mount_point("/library", &r).unwrap(), "/library");
    }

    #[test]
    fn mount_point_rules_each_fail_with_their_code() {
        let r = reserved();
        let cases: &[(&str, ErrorCode)] = &[
            ("mnt/data", ErrorCode::InvalidArgument),
            ("", ErrorCode::InvalidArgument),
            ("/", ErrorCode::InvalidArgument),
            ("//./", ErrorCode::InvalidArgument),
            ("/mnt/../etc", ErrorCode::InvalidArgument),
            ("/mnt/\0x", ErrorCode::InvalidArgument),
            ("/proc", ErrorCode::PermissionDenied),
            ("/etc/app", ErrorCode::PermissionDenied),
            ("/.sandvol/x", ErrorCode::PermissionDenied),
            ("/lib64/", ErrorCode::PermissionDenied),
        ];
        for (p, code) in cases {
            let e = normalize_mount_point(p, &r).unwrap_err();
            assert_eq!(e.code(), *code, "{p:?}: {}", e.message());
            assert!(e.message().contains("mount path"), "{}", e.message());
        }
        let long = format!("/{}", "a/".repeat(2100));
        assert_eq!(normalize_mount_point(&long, &r).unwrap_err().code(), ErrorCode::InvalidArgument);
        assert!(normalize_mount_point("/", &r).unwrap_err().message().contains("\"/\" is the sandbox root"));
    }

    #[test]
    fn subpaths_normalize_and_never_escape() {
        assert_eq!(normalize_subpath("a/./b/").unwrap(), "a/b");
        assert_eq!(normalize_subpath("/a/b/../c").unwrap(), "a/c");
        assert_eq!(normalize_subpath("").unwrap(), "");
        assert_eq!(normalize_subpath("a/..").unwrap(), "");
        for p in ["..", "a/../..", "../x", "/.."] {
            assert_eq!(normalize_subpath(p).unwrap_err().code(), ErrorCode::PermissionDenied, "{p}");
        }
    }

    #[test]
    fn file_paths() {
        assert_eq!(normalize_file_path("/a//b/.").unwrap(), "/a/b");
        assert_eq!(normalize_file_path("/").unwrap(), "/");
        assert_eq!(normalize_file_path("a").unwrap_err().code(), ErrorCode::InvalidArgument);
        assert_eq!(normalize_file_path("/a/../../etc").unwrap_err().code(), ErrorCode::PermissionDenied);
        assert_eq!(normalize_file_path(&format!("/{}", "x".repeat(256))).unwrap_err().code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn prefixes() {
        assert!(is_same_or_under("/a/b", "/a"));
        assert!(is_same_or_under("/a", "/a"));
        assert!(!is_same_or_under("/ab", "/a"));
        assert!(is_same_or_under("/x", "/"));
        assert_eq!(strip_prefix("/mnt/data/x/y", "/mnt/data"), "/x/y");
        assert_eq!(strip_prefix("/mnt/data", "/mnt/data"), "/");
        assert_eq!(join("/", "/x"), "/x");
        assert_eq!(join("/sub", "/"), "/sub");
        assert_eq!(join("/sub", "/x"), "/sub/x");
    }
}
