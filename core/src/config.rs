//! Volume configuration (JuiceFS mount-option semantics), access modes and size strings.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who may mount a volume, and how (Kubernetes access modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessMode {
    /// One sandbox at a time, or several sandboxes sharing a `group`.
    #[serde(rename = "RWO")]
    ReadWriteOnce,
    /// Any number of sandboxes, every mount read-only.
    #[serde(rename = "ROX")]
    ReadOnlyMany,
    /// Any number of sandboxes, read-write.
    #[serde(rename = "RWX")]
    ReadWriteMany,
}

impl AccessMode {
    /// The short name used by every API ("RWO", "ROX", "RWX").
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "RWO",
            AccessMode::ReadOnlyMany => "ROX",
            AccessMode::ReadWriteMany => "RWX",
        }
    }
}

impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessMode {
    type Err = Error;
    /// Accepts the short names and the Kubernetes long names, any case.
    fn from_str(s: &str) -> Result<AccessMode> {
        match s.to_ascii_lowercase().as_str() {
            "rwo" | "readwriteonce" => Ok(AccessMode::ReadWriteOnce),
            "rox" | "readonlymany" => Ok(AccessMode::ReadOnlyMany),
            "rwx" | "readwritemany" => Ok(AccessMode::ReadWriteMany),
            _ => Err(Error::invalid_argument(format!(
                "access mode {s:?} is not one of RWO, ROX, RWX"
            ))),
        }
    }
}

/// Parses a size: a string with a binary unit K/M/G/T/P (optional "i"/"iB", any
/// case, fractions allowed) such as "1G", "128M", "512MiB", "1.5G".
///
/// A bare number string is refused: it is too easy to mean megabytes and get bytes.
/// Integers (bytes) are passed as [`Size::Bytes`] instead.
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = |why: &str| Error::invalid_argument(format!("size {s:?} {why}"));
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| bad("has no unit (use K, M, G, T or P, or pass an integer number of bytes)"))?;
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(bad("has no number"));
    }
    let value: f64 = num.parse().map_err(|_| bad("is not a number"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.strip_suffix("ib").or_else(|| unit.strip_suffix('i')).unwrap_or(&unit);
    let unit = unit.strip_suffix('b').filter(|u| !u.is_empty()).unwrap_or(unit);
    let shift = match unit {
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(bad("has an unknown unit (use K, M, G, T or P)")),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad("is too large"));
    }
    Ok(bytes.round() as u64)
}

/// A size as callers give it: bytes or a string with a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Size {
    /// A number of bytes.
    Bytes(u64),
    /// A string such as "1G"; parsed by [`parse_size`].
    Text(String),
}

impl Size {
    /// The size in bytes, or `invalid_argument` naming the bad string.
    pub fn bytes(&self) -> Result<u64> {
        match self {
            Size::Bytes(b) => Ok(*b),
            Size::Text(s) => parse_size(s),
        }
    }
}

impl From<u64> for Size {
    fn from(b: u64) -> Size {
        Size::Bytes(b)
    }
}
impl From<&str> for Size {
    fn from(s: &str) -> Size {
        Size::Text(s.to_string())
    }
}
impl From<String> for Size {
    fn from(s: String) -> Size {
        Size::Text(s)
    }
}

/// Effective cache settings of a volume or a mount session, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeConfig {
    /// Local block cache for this volume (soft limit, as in JuiceFS).
    pub cache_size: u64,
    /// Memory for dirty data and read-ahead; writers wait rather than exceed it.
    pub buffer_size: u64,
    /// Whole blocks fetched in the background after a cache miss (0 = off).
    pub prefetch: u32,
    /// Acknowledge writes once staged locally; upload in the background.
    pub writeback: bool,
}

impl Default for VolumeConfig {
    /// sandbox0's defaults: 1 GiB cache, 32 MiB buffer, no prefetch, write-through.
    fn default() -> Self {
        VolumeConfig { cache_size: 1 << 30, buffer_size: 32 << 20, prefetch: 0, writeback: false }
    }
}

/// A partial config: each field set here replaces the base value (volume defaults or per-mount override).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigOverride {
    /// Replaces cache_size.
    pub cache_size: Option<Size>,
    /// Replaces buffer_size.
    pub buffer_size: Option<Size>,
    /// Replaces prefetch.
    pub prefetch: Option<u32>,
    /// Replaces writeback.
    pub writeback: Option<bool>,
}

/// Smallest buffer that still holds a few small writes; smaller values are a typo.
const MIN_BUFFER: u64 = 64 << 10;

impl ConfigOverride {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.cache_size.is_none() && self.buffer_size.is_none() && self.prefetch.is_none() && self.writeback.is_none()
    }

    /// Applies this override on top of `base`, validating every value it sets.
    pub fn apply(&self, base: VolumeConfig) -> Result<VolumeConfig> {
        let mut c = base;
        if let Some(s) = &self.cache_size {
            c.cache_size = s.bytes()?;
        }
        if let Some(s) = &self.buffer_size {
            let b = s.bytes()?;
            if b < MIN_BUFFER {
                return Err(Error::invalid_argument(format!(
                    "buffer_size {b} bytes is below the minimum of {MIN_BUFFER} bytes"
                )));
            }
            c.buffer_size = b;
        }
        if let Some(p) = self.prefetch {
            if p > 1024 {
                return Err(Error::invalid_argument(format!("prefetch {p} is above the maximum of 1024 blocks")));
            }
            c.prefetch = p;
        }
        if let Some(w) = self.writeback {
            c.writeback = w;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("128M").unwrap(), 128 << 20);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("4ki").unwrap(), 4096);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("2t").unwrap(), 2 << 40);
        assert_eq!(parse_size("1P").unwrap(), 1 << 50);
        assert_eq!(parse_size("10 MB").unwrap(), 10 << 20);
        assert_eq!(Size::Bytes(7).bytes().unwrap(), 7);
    }

    #[test]
    fn bad_sizes_are_invalid_argument_naming_the_value() {
        for s in ["", "12", "1X", "G", "1.2.3G", "-1G", "1GiBB", "abc", "1e3M"] {
            let e = parse_size(s).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{s:?}");
            assert!(e.message().contains(&format!("{s:?}")), "{}", e.message());
        }
    }

    #[test]
    fn access_modes_parse() {
        assert_eq!("rwx".parse::<AccessMode>().unwrap(), AccessMode::ReadWriteMany);
        assert_eq!("ReadOnlyMany".parse::<AccessMode>().unwrap(), AccessMode::ReadOnlyMany);
        assert_eq!("RWO".parse::<AccessMode>().unwrap().as_str(), "RWO");
        assert_eq!("RWZ".parse::<AccessMode>().unwrap_err().code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn override_applies_and_validates() {
        let base = VolumeConfig::default();
        let o = ConfigOverride { prefetch: Some(3), buffer_size: Some("1M".into()), ..Default::default() };
        let c = o.apply(base).unwrap();
        assert_eq!((c.prefetch, c.buffer_size, c.cache_size), (3, 1 << 20, 1 << 30));
        let tiny = ConfigOverride { buffer_size: Some(Size::Bytes(10)), ..Default::default() };
        assert_eq!(tiny.apply(base).unwrap_err().code(), ErrorCode::InvalidArgument);
        assert!(ConfigOverride::default().is_empty());
    }
}
