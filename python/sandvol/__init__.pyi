"""Type stubs for sandvol (the native classes live in the private sandvol._native)."""

import os
import pathlib
from types import TracebackType
from typing import Any, Dict, Generic, Iterator, List, Literal, Optional, Sequence, Tuple, Type, TypeVar, Union, overload

from ._enums import AccessMode as AccessMode
from ._file import File as File
from .exceptions import (
    AccessModeError as AccessModeError,
    AlreadyExistsError as AlreadyExistsError,
    ConflictError as ConflictError,
    CorruptError as CorruptError,
    CrossDeviceError as CrossDeviceError,
    DirectoryNotEmptyError as DirectoryNotEmptyError,
    InternalError as InternalError,
    InvalidArgumentError as InvalidArgumentError,
    InvalidStateError as InvalidStateError,
    IOError as IOError,
    IsADirectoryError as IsADirectoryError,
    NotADirectoryError as NotADirectoryError,
    NotFoundError as NotFoundError,
    PermissionDeniedError as PermissionDeniedError,
    QuotaExceededError as QuotaExceededError,
    ReadOnlyError as ReadOnlyError,
    SandvolError as SandvolError,
    SourceError as SourceError,
    TimeoutError as TimeoutError,
)

__version__: str

#: A size: an int of bytes, or a str with a binary unit ("1G", "128M", "1.5GiB").
SizeLike = Union[int, str]
#: "RWO", "ROX", "RWX" (any case, or the Kubernetes long names) or AccessMode.
AccessModeLike = Union[AccessMode, str]
#: Bytes-like data accepted by writes.
BytesLike = Union[bytes, bytearray, memoryview]
Labels = Dict[str, str]

MountState = Literal[
    "requested", "mounting", "mounted", "paused", "remounting", "unmounted", "releasing", "released", "failed"
]
FileKind = Literal["file", "dir", "symlink"]
ChangeKind = Literal["write", "mkdir", "symlink", "remove", "rename", "setattr", "restore"]
OpenMode = Literal["r", "rb", "r+", "rb+", "r+b", "w", "wb", "w+", "wb+", "w+b", "a", "ab", "a+", "ab+", "a+b", "x", "xb", "x+", "xb+", "x+b"]

_T = TypeVar("_T")

class VolumeConfig:
    """Cache settings of a volume or a mount (JuiceFS mount-option semantics).

    As an argument every field is optional and overrides the volume's value;
    sizes accept bytes or strings with a unit. As a result (``Volume.config``,
    ``MountSession.config``) every field is set, sizes in bytes.
    """

    def __init__(
        self,
        cache_size: Optional[SizeLike] = None,
        buffer_size: Optional[SizeLike] = None,
        prefetch: Optional[int] = None,
        writeback: Optional[bool] = None,
    ) -> None: ...
    @property
    def cache_size(self) -> Optional[int]:
        """Bytes of local block cache (soft limit)."""
    @property
    def buffer_size(self) -> Optional[int]:
        """Bytes of memory for dirty data and read-ahead."""
    @property
    def prefetch(self) -> Optional[int]:
        """Whole blocks fetched in the background after a cache miss (0 = off)."""
    @property
    def writeback(self) -> Optional[bool]:
        """Acknowledge writes once staged locally; upload in the background."""
    def to_dict(self) -> Dict[str, Optional[Union[int, bool]]]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class Volume:
    """A named, persistent file tree. Timestamps are ms since the epoch."""

    @property
    def id(self) -> str:
        """"vol_…" id."""
    @property
    def name(self) -> Optional[str]:
        """Unique name, if one was given."""
    @property
    def access_mode(self) -> AccessMode:
        """RWO, ROX or RWX."""
    @property
    def size_limit(self) -> Optional[int]:
        """Upper bound on used_bytes, if any."""
    @property
    def config(self) -> VolumeConfig:
        """Default cache settings for mounts of this volume."""
    @property
    def labels(self) -> Labels:
        """Labels (a fresh dict)."""
    @property
    def used_bytes(self) -> int:
        """Sum of the sizes of the volume's regular files."""
    @property
    def file_count(self) -> int:
        """Number of regular files."""
    @property
    def created_at(self) -> int:
        """Creation time, ms since the epoch."""
    @property
    def updated_at(self) -> int:
        """Last change, ms since the epoch."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict (access_mode a str, config a dict)."""
    def __eq__(self, other: object) -> bool: ...

class Snapshot:
    """A point-in-time copy of a volume."""

    @property
    def id(self) -> str:
        """"snap_…" id."""
    @property
    def volume_id(self) -> str:
        """The volume it was taken of."""
    @property
    def name(self) -> Optional[str]:
        """Name, unique per volume."""
    @property
    def used_bytes(self) -> int:
        """The volume's used_bytes at the time."""
    @property
    def file_count(self) -> int:
        """The volume's file_count at the time."""
    @property
    def created_at(self) -> int:
        """Creation time, ms since the epoch."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class MountRequest:
    """A request to mount volume ``ref`` (id or name) at ``mount_point``.

    ``read_only=None`` means read-only only if the access mode demands it (ROX).
    """

    def __init__(
        self,
        ref: str,
        mount_point: str,
        subpath: Optional[str] = None,
        read_only: Optional[bool] = None,
        config: Optional[VolumeConfig] = None,
    ) -> None: ...
    @property
    def ref(self) -> str:
        """Volume id or name."""
    @property
    def mount_point(self) -> str:
        """Absolute mount point in the sandbox."""
    @property
    def subpath(self) -> Optional[str]:
        """Directory of the volume to mount instead of its root."""
    @property
    def read_only(self) -> Optional[bool]:
        """True, False, or None (read-only only if the access mode demands it)."""
    @property
    def config(self) -> Optional[VolumeConfig]:
        """Per-mount cache settings."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class MountSession:
    """A volume attached to a sandbox. Times are ms since the epoch."""

    @property
    def mount_session_id(self) -> str:
        """"ms_…" id (pass it to ``unmount``)."""
    @property
    def id(self) -> str:
        """Same as ``mount_session_id``."""
    @property
    def volume_id(self) -> str:
        """The mounted volume's id."""
    @property
    def sandbox_id(self) -> str:
        """The sandbox it is mounted in."""
    @property
    def mount_point(self) -> str:
        """Normalized absolute mount point."""
    @property
    def subpath(self) -> str:
        """Normalized subpath of the volume ("" for the root)."""
    @property
    def read_only(self) -> bool:
        """Whether writes are refused."""
    @property
    def config(self) -> VolumeConfig:
        """Effective cache settings."""
    @property
    def state(self) -> MountState:
        """Current state."""
    @property
    def last_error_code(self) -> Optional[str]:
        """Stable error code of the last failure (e.g. "not_found", "force_detached")."""
    @property
    def last_error_message(self) -> Optional[str]:
        """Message of the last failure."""
    @property
    def created_at(self) -> int:
        """Creation time."""
    @property
    def updated_at(self) -> int:
        """Time of the last transition."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class FileInfo:
    """What ``stat`` and writes return. Times are ms since the epoch."""

    @property
    def path(self) -> str:
        """The path as addressed (normalized)."""
    @property
    def kind(self) -> FileKind:
        """"file", "dir" or "symlink"."""
    @property
    def size(self) -> int:
        """Bytes (for a symlink, the length of its target)."""
    @property
    def mode(self) -> int:
        """Unix permission bits."""
    @property
    def version(self) -> int:
        """Increases on every change; pass to ``if_version`` for compare-and-swap."""
    @property
    def atime(self) -> int:
        """Last access time."""
    @property
    def mtime(self) -> int:
        """Last content change."""
    @property
    def ctime(self) -> int:
        """Last metadata change."""
    @property
    def target(self) -> Optional[str]:
        """Symlink target, for symlinks."""
    @property
    def is_file(self) -> bool:
        """True for regular files."""
    @property
    def is_dir(self) -> bool:
        """True for directories."""
    @property
    def is_symlink(self) -> bool:
        """True for symlinks."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class DirEntry:
    """One entry of a directory listing."""

    @property
    def name(self) -> str:
        """Entry name."""
    @property
    def kind(self) -> FileKind:
        """"file", "dir" or "symlink"."""
    @property
    def size(self) -> int:
        """Bytes."""
    @property
    def version(self) -> int:
        """File version."""
    @property
    def mtime(self) -> int:
        """Last content change, ms since the epoch."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class ChangeEntry:
    """One entry of a volume's change feed; paths are relative to the volume root."""

    @property
    def seq(self) -> int:
        """Strictly increasing per volume; pass the last one as ``since``."""
    @property
    def path(self) -> str:
        """Path from the volume root."""
    @property
    def kind(self) -> ChangeKind:
        """What happened."""
    @property
    def new_path(self) -> Optional[str]:
        """Destination of a rename."""
    @property
    def at(self) -> int:
        """When, ms since the epoch."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class Page(Generic[_T]):
    """One page of a list call: a sequence of items plus ``next_cursor``."""

    @property
    def items(self) -> List[_T]:
        """The items of this page (a fresh list)."""
    @property
    def next_cursor(self) -> Optional[str]:
        """Pass as ``cursor`` for the next page; None on the last page."""
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> _T: ...
    def __iter__(self) -> Iterator[_T]: ...
    def to_dict(self) -> Dict[str, Any]:
        """``{"items": [item.to_dict(), ...], "next_cursor": ...}``."""

class Stats:
    """Engine-wide counts read from the catalog."""

    @property
    def volumes(self) -> int: ...
    @property
    def sandboxes(self) -> int: ...
    @property
    def active_mounts(self) -> int: ...
    @property
    def blocks(self) -> int: ...
    @property
    def block_bytes(self) -> int: ...
    @property
    def used_bytes(self) -> int: ...
    def to_dict(self) -> Dict[str, int]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class GcReport:
    """What ``gc`` did."""

    @property
    def blocks_deleted(self) -> int: ...
    @property
    def bytes_freed(self) -> int: ...
    def to_dict(self) -> Dict[str, int]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class FsckReport:
    """What ``fsck`` found; empty lists mean a consistent data directory."""

    @property
    def dangling(self) -> List[str]: ...
    @property
    def leaked_blocks(self) -> List[str]: ...
    @property
    def refcount_drift(self) -> List[str]: ...
    @property
    def counter_drift(self) -> List[str]: ...
    @property
    def orphans(self) -> List[str]: ...
    @property
    def is_clean(self) -> bool:
        """True when nothing but leaked blocks (harmless until gc) was found."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""
    def __eq__(self, other: object) -> bool: ...

class Sandbox:
    """A sandbox: a private scratch volume at "/" plus mounted volumes.

    File methods take sandbox paths. Attributes reflect the last call on this
    handle (``refresh()`` re-reads). As a context manager it is released on exit.
    """

    @property
    def id(self) -> str:
        """"sb_…" id."""
    @property
    def template(self) -> str:
        """Template the sandbox was claimed from."""
    @property
    def group(self) -> Optional[str]:
        """Group for RWO sharing, if any."""
    @property
    def state(self) -> str:
        """"running", "paused" or "released" (a plain str: it changes with pause/resume/release)."""
    @property
    def labels(self) -> Labels:
        """Labels (a fresh dict)."""
    @property
    def root(self) -> Optional[str]:
        """Host directory where real mounts are materialized, if any."""
    @property
    def created_at(self) -> int:
        """Creation time, ms since the epoch."""
    @property
    def updated_at(self) -> int:
        """Last state change, ms since the epoch."""
    @property
    def bootstrap_mounts(self) -> List[MountSession]:
        """The bootstrap mounts, with their states as of the end of the claim."""
    def refresh(self) -> None:
        """Re-reads the sandbox's row."""
    def mount(
        self,
        ref: str,
        mount_point: str,
        subpath: Optional[str] = None,
        read_only: Optional[bool] = None,
        config: Optional[VolumeConfig] = None,
    ) -> MountSession:
        """Mounts volume ``ref`` at ``mount_point``; returns the mounted session."""
    def unmount(self, ref: str, mount_session_id: str) -> MountSession:
        """Flushes and releases one mount session of volume ``ref``."""
    def mount_status(self) -> List[MountSession]:
        """Every mount session of this sandbox (any state), oldest first."""
    def pause(self) -> None:
        """Pauses: every mounted session becomes paused."""
    def resume(self) -> None:
        """Resumes: every paused session goes remounting → mounted (or failed)."""
    def release(self) -> None:
        """Unmounts everything and drops the scratch volume."""
    def __enter__(self) -> "Sandbox": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    def read_file(self, path: str, offset: Optional[int] = None, length: Optional[int] = None) -> bytes:
        """Reads a whole file, or ``length`` bytes at ``offset``."""
    def write_file(
        self,
        path: str,
        data: BytesLike,
        *,
        append: bool = False,
        offset: Optional[int] = None,
        exclusive: bool = False,
        if_version: Optional[int] = None,
        parents: bool = True,
    ) -> FileInfo:
        """Writes a file atomically and returns its new FileInfo."""
    def stat(self, path: str) -> FileInfo:
        """File info (a final symlink is not followed)."""
    def exists(self, path: str) -> bool:
        """True if the path exists."""
    def list_dir(self, path: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[DirEntry]:
        """Lists a directory in name order, one page at a time."""
    def mkdir(self, path: str, parents: bool = False) -> FileInfo:
        """Creates a directory."""
    def remove(self, path: str, recursive: bool = False) -> None:
        """Removes a file, symlink or (empty, or with recursive) directory."""
    def rename(self, src: str, dst: str) -> FileInfo:
        """Renames atomically within one volume."""
    def symlink(self, target: str, link: str) -> FileInfo:
        """Creates a symlink at ``link`` pointing to ``target``."""
    def readlink(self, path: str) -> str:
        """A symlink's target."""
    def set_times(self, path: str, atime: Optional[int] = None, mtime: Optional[int] = None) -> FileInfo:
        """Sets access and/or modification time (ms since the epoch)."""
    def open(self, path: str, mode: OpenMode = "rb") -> File:
        """Opens a file and returns a binary file object."""
    def to_dict(self) -> Dict[str, Any]:
        """The fields as a plain dict."""

class Engine:
    """An open sandvol data directory. ``Engine()`` opens ``$SANDVOL_HOME``, else ``./sandvol-data``."""

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]", None] = None,
        *,
        durability: Optional[Literal["process", "power"]] = None,
        block_size: Optional[SizeLike] = None,
        inline_threshold: Optional[SizeLike] = None,
        reserved_prefixes: Optional[Sequence[str]] = None,
        busy_timeout_ms: Optional[int] = None,
    ) -> None: ...
    @property
    def data_dir(self) -> pathlib.Path:
        """The data directory this engine opened."""
    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
    def close(self) -> None:
        """Waits for background work and closes; closing twice is allowed."""
    def __enter__(self) -> "Engine": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    # volumes
    def create_volume(
        self,
        name: Optional[str] = None,
        *,
        access_mode: Optional[AccessModeLike] = None,
        size_limit: Optional[SizeLike] = None,
        cache_size: Optional[SizeLike] = None,
        buffer_size: Optional[SizeLike] = None,
        prefetch: Optional[int] = None,
        writeback: Optional[bool] = None,
        labels: Optional[Labels] = None,
    ) -> Volume:
        """Creates a volume (access mode RWO unless given)."""
    def get_volume(self, ref: str) -> Volume:
        """A volume by id or exact name."""
    def list_volumes(
        self, labels: Optional[Labels] = None, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[Volume]:
        """Volumes in creation order matching every given label, one page at a time."""
    def update_volume(
        self,
        ref: str,
        *,
        labels: Optional[Labels] = None,
        size_limit: Optional[SizeLike] = None,
        cache_size: Optional[SizeLike] = None,
        buffer_size: Optional[SizeLike] = None,
        prefetch: Optional[int] = None,
        writeback: Optional[bool] = None,
    ) -> Volume:
        """Changes labels, size_limit or cache settings; unset arguments stay."""
    def resize_volume(self, ref: str, size_limit: Optional[SizeLike]) -> Volume:
        """Sets the size limit, or removes it with None."""
    def delete_volume(self, ref: str, force: bool = False) -> None:
        """Deletes a volume (ConflictError while mounted, unless force)."""
    # sandboxes
    def claim_sandbox(
        self,
        template: str,
        *,
        mounts: Optional[Sequence[MountRequest]] = None,
        wait_for_mounts: bool = False,
        mount_wait_timeout_ms: Optional[int] = None,
        group: Optional[str] = None,
        labels: Optional[Labels] = None,
        root: Optional[str] = None,
    ) -> Sandbox:
        """Claims a running sandbox with optional bootstrap mounts."""
    def get_sandbox(self, id: str) -> Sandbox:
        """A handle to an existing sandbox."""
    def list_sandboxes(self) -> List[Sandbox]:
        """Every sandbox, oldest first (released ones included)."""
    def get_mount(self, mount_session_id: str) -> MountSession:
        """One mount session by id."""
    # snapshots
    def create_snapshot(self, volume: str, name: Optional[str] = None) -> Snapshot:
        """Snapshots a volume (O(metadata))."""
    def get_snapshot(self, id: str) -> Snapshot:
        """One snapshot by id."""
    def list_snapshots(self, volume: str) -> List[Snapshot]:
        """Snapshots of a volume, oldest first."""
    def delete_snapshot(self, id: str) -> None:
        """Deletes a snapshot."""
    def restore_snapshot(self, id: str) -> Volume:
        """Rewinds the snapshot's volume in place; returns the volume."""
    def fork_snapshot(
        self,
        id: str,
        *,
        name: Optional[str] = None,
        access_mode: Optional[AccessModeLike] = None,
        size_limit: Optional[SizeLike] = None,
        cache_size: Optional[SizeLike] = None,
        buffer_size: Optional[SizeLike] = None,
        prefetch: Optional[int] = None,
        writeback: Optional[bool] = None,
        labels: Optional[Labels] = None,
    ) -> Volume:
        """Creates a new volume from a snapshot."""
    # change feed, maintenance
    def changes(self, volume: str, since: int = 0, limit: Optional[int] = None) -> List[ChangeEntry]:
        """Changes of a volume after sequence ``since``, oldest first."""
    def stats(self) -> Stats:
        """Engine-wide counters."""
    def gc(self, grace_seconds: float = 600.0) -> GcReport:
        """Deletes blocks unreferenced for at least ``grace_seconds``."""
    def fsck(self) -> FsckReport:
        """Checks catalog and block store against each other."""
    # direct volume file operations
    def volume_read_file(self, ref: str, path: str, offset: Optional[int] = None, length: Optional[int] = None) -> bytes:
        """Reads a file of volume ``ref``."""
    def volume_write_file(
        self,
        ref: str,
        path: str,
        data: BytesLike,
        *,
        append: bool = False,
        offset: Optional[int] = None,
        exclusive: bool = False,
        if_version: Optional[int] = None,
        parents: bool = True,
    ) -> FileInfo:
        """Writes a file of volume ``ref`` atomically."""
    def volume_stat(self, ref: str, path: str) -> FileInfo:
        """File info in volume ``ref``."""
    def volume_exists(self, ref: str, path: str) -> bool:
        """True if the path exists in volume ``ref``."""
    def volume_list_dir(
        self, ref: str, path: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[DirEntry]:
        """Lists a directory of volume ``ref``."""
    def volume_mkdir(self, ref: str, path: str, parents: bool = False) -> FileInfo:
        """Creates a directory in volume ``ref``."""
    def volume_remove(self, ref: str, path: str, recursive: bool = False) -> None:
        """Removes a path of volume ``ref``."""
    def volume_rename(self, ref: str, src: str, dst: str) -> FileInfo:
        """Renames atomically within volume ``ref``."""
    def volume_symlink(self, ref: str, target: str, link: str) -> FileInfo:
        """Creates a symlink in volume ``ref``."""
    def volume_readlink(self, ref: str, path: str) -> str:
        """A symlink's target in volume ``ref``."""
    def volume_set_times(self, ref: str, path: str, atime: Optional[int] = None, mtime: Optional[int] = None) -> FileInfo:
        """Sets times in volume ``ref``."""
    def volume_open(self, ref: str, path: str, mode: OpenMode = "rb") -> File:
        """Opens a file of volume ``ref``."""

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
