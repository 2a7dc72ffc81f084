//! The one error type of sandvol and its stable codes.
//!
//! Every binding maps errors by [`ErrorCode`], never by message text. Codes are
//! `#[repr(u32)]` and never renumbered: C exposes them as `-(code as i32)`.

use std::fmt;

/// Stable error code; the numeric value is part of the C ABI and never changes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Bad path, size string, access mode or option (HTTP 400).
    InvalidArgument = 1,
    /// Volume, snapshot, sandbox, mount session or file missing (404).
    NotFound = 2,
    /// Name taken, or exclusive create of an existing file (409).
    AlreadyExists = 3,
    /// Volume in use, mount path in use, version mismatch (409).
    Conflict = 4,
    /// Mount request against the volume's access mode (409).
    AccessModeViolation = 5,
    /// Write through a read-only mount, or the ROX rule (403).
    ReadOnly = 6,
    /// Reserved path or escape attempt (403).
    PermissionDenied = 7,
    /// Operation not allowed in the current state (409).
    InvalidState = 8,
    /// size_limit reached (507).
    QuotaExceeded = 9,
    /// A wait ran out (504).
    Timeout = 10,
    /// A path component that must be a directory is not one.
    NotADirectory = 11,
    /// A file operation was aimed at a directory.
    IsADirectory = 12,
    /// Removing a directory that still has entries without `recursive`.
    DirectoryNotEmpty = 13,
    /// Rename across volumes.
    CrossDevice = 14,
    /// Backend or disk failure (500).
    Io = 15,
    /// Hash mismatch or damaged catalog (500).
    Corrupt = 16,
    /// A bug inside sandvol (a caught panic at a binding boundary).
    Internal = 17,
}

impl ErrorCode {
    /// Every code, in numeric order; bindings' tests walk this list.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::Conflict,
        ErrorCode::AccessModeViolation,
        ErrorCode::ReadOnly,
        ErrorCode::PermissionDenied,
        ErrorCode::InvalidState,
        ErrorCode::QuotaExceeded,
        ErrorCode::Timeout,
        ErrorCode::NotADirectory,
        ErrorCode::IsADirectory,
        ErrorCode::DirectoryNotEmpty,
        ErrorCode::CrossDevice,
        ErrorCode::Io,
        ErrorCode::Corrupt,
        ErrorCode::Internal,
    ];

    /// The stable snake_case name shared by every language.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Conflict => "conflict",
            ErrorCode::AccessModeViolation => "access_mode_violation",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Timeout => "timeout",
            ErrorCode::NotADirectory => "not_a_directory",
            ErrorCode::IsADirectory => "is_a_directory",
            ErrorCode::DirectoryNotEmpty => "directory_not_empty",
            ErrorCode::CrossDevice => "cross_device",
            ErrorCode::Io => "io",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status a hosted API would answer with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidArgument
            | ErrorCode::NotADirectory
            | ErrorCode::IsADirectory
            | ErrorCode::CrossDevice => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists
            | ErrorCode::Conflict
            | ErrorCode::AccessModeViolation
            | ErrorCode::InvalidState
            | ErrorCode::DirectoryNotEmpty => 409,
            ErrorCode::ReadOnly | ErrorCode::PermissionDenied => 403,
            ErrorCode::QuotaExceeded => 507,
            ErrorCode::Timeout => 504,
            ErrorCode::Io | ErrorCode::Corrupt | ErrorCode::Internal => 500,
        }
    }

    /// Parses a stable name back into its code (used when a code is stored in the catalog).
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every sandvol operation returns; the message names the offending value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("{message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an error with a code and a message that names the offending value.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), source: None }
    }

    /// Attaches the underlying cause (shown as `__cause__` in Python).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

macro_rules! ctor {
    ($($name:ident => $code:ident),* $(,)?) => {
        impl Error {
            $(
                #[doc = concat!("Shorthand for an `", stringify!($code), "` error.")]
                pub fn $name(message: impl Into<String>) -> Error {
                    Error::new(ErrorCode::$code, message)
                }
            )*
        }
    };
}

ctor! {
    invalid_argument => InvalidArgument,
    not_found => NotFound,
    already_exists => AlreadyExists,
    conflict => Conflict,
    access_mode => AccessModeViolation,
    read_only => ReadOnly,
    permission_denied => PermissionDenied,
    invalid_state => InvalidState,
    quota_exceeded => QuotaExceeded,
    timeout => Timeout,
    not_a_directory => NotADirectory,
    is_a_directory => IsADirectory,
    directory_not_empty => DirectoryNotEmpty,
    cross_device => CrossDevice,
    io => Io,
    corrupt => Corrupt,
    internal => Internal,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ffi::ErrorCode as Sq;
        let code = match e.sqlite_error_code() {
            Some(Sq::DatabaseCorrupt) | Some(Sq::NotADatabase) => ErrorCode::Corrupt,
            Some(Sq::DatabaseBusy) | Some(Sq::DatabaseLocked) => ErrorCode::Timeout,
            _ => ErrorCode::Io,
        };
        Error::new(code, format!("catalog: {e}")).with_source(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorCode::Io, format!("i/o: {e}")).with_source(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::new(ErrorCode::Corrupt, format!("catalog json: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_round_trip() {
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*c as u32, i as u32 + 1, "codes are dense and never renumbered");
            assert_eq!(ErrorCode::from_name(c.as_str()), Some(*c));
        }
        assert_eq!(ErrorCode::Conflict.http_status(), 409);
        assert_eq!(ErrorCode::QuotaExceeded.http_status(), 507);
        assert_eq!(ErrorCode::from_name("nope"), None);
    }
}
