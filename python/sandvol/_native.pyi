"""Private native module; the public names are typed in sandvol/__init__.pyi."""

from typing import List, Optional, Tuple

from . import (
    ChangeEntry as ChangeEntry,
    DirEntry as DirEntry,
    Engine as Engine,
    FileInfo as FileInfo,
    FsckReport as FsckReport,
    GcReport as GcReport,
    MountRequest as MountRequest,
    MountSession as MountSession,
    Page as Page,
    Sandbox as Sandbox,
    Snapshot as Snapshot,
    Stats as Stats,
    Volume as Volume,
    VolumeConfig as VolumeConfig,
)
from . import BytesLike

__version__: str

class FileHandle:
    """The native side of sandvol.File."""

    def read_at(self, offset: int, length: int) -> bytes: ...
    def write_at(self, offset: int, data: BytesLike) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def stat(self) -> FileInfo: ...
    @property
    def size(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def readable(self) -> bool: ...
    @property
    def writable(self) -> bool: ...
    @property
    def append(self) -> bool: ...

def _error_codes() -> List[Tuple[str, int]]: ...
def _raise_error(code: str, message: str, io_errno: Optional[int] = None) -> None: ...
def _panic() -> None: ...
def _bench_rust(
    engine: Engine,
    op: str,
    path: str,
    iterations: int,
    size: int = 4096,
    sandbox_id: Optional[str] = None,
    volume: Optional[str] = None,
    data: Optional[bytes] = None,
) -> float: ...
def _binding_floor(path: str, size: int = 4096) -> bytes: ...
