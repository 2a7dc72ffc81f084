"""Exceptions raised by sandvol.

Every error the engine reports is a :class:`SandvolError` carrying the stable
snake_case ``code`` shared by every language binding (see DESIGN.md "Errors").
Each code has one subclass, which also derives from the closest Python builtin,
so ``except LookupError`` or ``except PermissionError`` work as expected.

The underlying cause reported by the engine (an OS error, a SQLite error) is
attached as ``__cause__``.
"""

from __future__ import annotations

import builtins
import errno as _errno
from typing import Dict, Optional, Type

__all__ = [
    "SandvolError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "ConflictError",
    "AccessModeError",
    "ReadOnlyError",
    "PermissionDeniedError",
    "InvalidStateError",
    "QuotaExceededError",
    "TimeoutError",
    "NotADirectoryError",
    "IsADirectoryError",
    "DirectoryNotEmptyError",
    "CrossDeviceError",
    "IOError",
    "CorruptError",
    "InternalError",
    "SourceError",
    "error_class",
]


class SandvolError(Exception):
    """Base class of every error sandvol raises; ``code`` is the stable error code."""

    code: str = "internal"
    _errno: Optional[int] = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message: str = message
        # Instance attribute too, so ``vars(e)`` and pickling-free copies keep it.
        self.code = type(self).code
        if isinstance(self, OSError) and self._errno is not None:
            # errno/strerror as an OSError raised by the OS would carry them.
            setattr(self, "errno", self._errno)
            setattr(self, "strerror", message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.message,))


class InvalidArgumentError(SandvolError, ValueError):
    """A bad path, size string, access mode or option (``invalid_argument``)."""

    code = "invalid_argument"


class NotFoundError(SandvolError, LookupError):
    """A volume, snapshot, sandbox, mount session or file is missing (``not_found``)."""

    code = "not_found"


class AlreadyExistsError(SandvolError):
    """A name is taken, or an exclusive create found an existing file (``already_exists``)."""

    code = "already_exists"


class ConflictError(SandvolError):
    """Volume in use, mount path in use, or version mismatch (``conflict``)."""

    code = "conflict"


class AccessModeError(SandvolError):
    """A mount request breaks the volume's access mode (``access_mode_violation``)."""

    code = "access_mode_violation"


class ReadOnlyError(SandvolError, PermissionError):
    """A write through a read-only mount, or the ROX rule (``read_only``)."""

    code = "read_only"
    _errno = _errno.EROFS


class PermissionDeniedError(SandvolError, PermissionError):
    """A reserved path or an escape attempt (``permission_denied``)."""

    code = "permission_denied"
    _errno = _errno.EACCES


class InvalidStateError(SandvolError):
    """The operation is not allowed in the current state (``invalid_state``)."""

    code = "invalid_state"


class QuotaExceededError(SandvolError, OSError):
    """The volume's size_limit would be passed; nothing was changed (``quota_exceeded``)."""

    code = "quota_exceeded"
    _errno = _errno.EDQUOT


class TimeoutError(SandvolError, builtins.TimeoutError):
    """A wait ran out, e.g. for another process's catalog lock (``timeout``)."""

    code = "timeout"
    _errno = _errno.ETIMEDOUT


class NotADirectoryError(SandvolError, builtins.NotADirectoryError):
    """A path component that must be a directory is not one (``not_a_directory``)."""

    code = "not_a_directory"
    _errno = _errno.ENOTDIR


class IsADirectoryError(SandvolError, builtins.IsADirectoryError):
    """A file operation was aimed at a directory (``is_a_directory``)."""

    code = "is_a_directory"
    _errno = _errno.EISDIR


class DirectoryNotEmptyError(SandvolError, OSError):
    """A non-recursive remove of a directory that has entries (``directory_not_empty``)."""

    code = "directory_not_empty"
    _errno = _errno.ENOTEMPTY


class CrossDeviceError(SandvolError, OSError):
    """A rename across volumes (``cross_device``)."""

    code = "cross_device"
    _errno = _errno.EXDEV


class IOError(SandvolError, OSError):
    """A backend or disk failure (``io``)."""

    code = "io"
    _errno = _errno.EIO


class CorruptError(SandvolError):
    """A hash mismatch or a damaged catalog (``corrupt``)."""

    code = "corrupt"


class InternalError(SandvolError):
    """A bug inside sandvol, e.g. a caught Rust panic (``internal``)."""

    code = "internal"


class SourceError(Exception):
    """An underlying cause (a SQLite error, a library error) shown as ``__cause__``.

    OS errors appear as plain :class:`OSError` with their ``errno`` instead.
    """


_BY_CODE: Dict[str, Type[SandvolError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        AlreadyExistsError,
        ConflictError,
        AccessModeError,
        ReadOnlyError,
        PermissionDeniedError,
        InvalidStateError,
        QuotaExceededError,
        TimeoutError,
        NotADirectoryError,
        IsADirectoryError,
        DirectoryNotEmptyError,
        CrossDeviceError,
        IOError,
        CorruptError,
        InternalError,
    )
}


def error_class(code: str) -> Type[SandvolError]:
    """The exception class for a stable error code (``InternalError`` for unknown codes)."""
    return _BY_CODE.get(code, InternalError)
