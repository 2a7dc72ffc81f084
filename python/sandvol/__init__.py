"""sandvol: an embeddable engine for sandbox volumes (SQLite for sandbox volumes).

>>> import sandvol
>>> engine = sandvol.Engine("./sandvol-data")
>>> vol = engine.create_volume(name="datasets", access_mode="RWX", cache_size="1G")
>>> sb = engine.claim_sandbox("default")
>>> m = sb.mount(vol.id, "/mnt/data")
>>> sb.write_file("/mnt/data/hello.txt", b"Hello, Volume!")

Errors are subclasses of :class:`SandvolError` with a stable ``code``. Arguments
of the wrong Python type raise :class:`TypeError`; values the engine refuses
(bad paths, sizes, access modes) raise :class:`InvalidArgumentError`, a
:class:`ValueError`. The GIL is released during every storage call.
"""

from __future__ import annotations

from .exceptions import (
    AccessModeError,
    AlreadyExistsError,
    ConflictError,
    CorruptError,
    CrossDeviceError,
    DirectoryNotEmptyError,
    InternalError,
    InvalidArgumentError,
    InvalidStateError,
    IOError,
    IsADirectoryError,
    NotADirectoryError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    ReadOnlyError,
    SandvolError,
    SourceError,
    TimeoutError,
)
from ._enums import AccessMode
from ._native import (
    ChangeEntry,
    DirEntry,
    Engine,
    FileInfo,
    FsckReport,
    GcReport,
    MountRequest,
    MountSession,
    Page,
    Sandbox,
    Snapshot,
    Stats,
    Volume,
    VolumeConfig,
    __version__,
)
from ._file import File

__all__ = [
    "__version__",
    "AccessMode",
    "ChangeEntry",
    "DirEntry",
    "Engine",
    "File",
    "FileInfo",
    "FsckReport",
    "GcReport",
    "MountRequest",
    "MountSession",
    "Page",
    "Sandbox",
    "Snapshot",
    "Stats",
    "Volume",
    "VolumeConfig",
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
]
