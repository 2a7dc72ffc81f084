"""Binary file objects over sandvol files (``Sandbox.open`` / ``Engine.volume_open``)."""

from __future__ import annotations

import io
from typing import Any, Optional

from ._native import FileHandle as _FileHandle
from ._native import FileInfo

__all__ = ["File"]


class File(io.RawIOBase):
    """An open sandvol file that behaves like a Python binary file.

    Supports ``read``, ``readinto``, ``readall``, ``readline``, iteration,
    ``write``, ``seek``, ``tell``, ``flush``, ``close`` and ``with``. Writes are
    buffered by the engine up to the mount's ``buffer_size`` and published on
    ``flush()`` / ``close()`` (POSIX-like: each flush publishes what it wrote;
    ``write_file`` is the atomic whole-file operation). ``truncate`` is not
    supported. Storage calls release the GIL.
    """

    def __init__(self, handle: _FileHandle, mode: str) -> None:
        super().__init__()
        self._h = handle
        self._mode = mode
        self._pos = handle.size if handle.append else 0

    # -- identity ------------------------------------------------------------
    @property
    def name(self) -> str:
        """The path this file was opened at."""
        return self._h.path

    @property
    def mode(self) -> str:
        """The mode it was opened with."""
        return self._mode

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"pos={self._pos}"
        return f"<sandvol.File name={self.name!r} mode={self._mode!r} {state}>"

    # -- capabilities --------------------------------------------------------
    def readable(self) -> bool:
        """True if opened for reading."""
        self._check_open()
        return self._h.readable

    def writable(self) -> bool:
        """True if opened for writing."""
        self._check_open()
        return self._h.writable

    def seekable(self) -> bool:
        """Always True while open."""
        self._check_open()
        return True

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _check_readable(self) -> None:
        self._check_open()
        if not self._h.readable:
            raise io.UnsupportedOperation(f"read: {self.name!r} was opened with mode {self._mode!r}")

    def _check_writable(self) -> None:
        self._check_open()
        if not self._h.writable:
            raise io.UnsupportedOperation(f"write: {self.name!r} was opened with mode {self._mode!r}")

    # -- position ------------------------------------------------------------
    def tell(self) -> int:
        """Current position."""
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Moves the position (SEEK_SET, SEEK_CUR or SEEK_END) and returns it."""
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._h.size + offset
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    # -- reading -------------------------------------------------------------
    def read(self, size: Optional[int] = -1) -> bytes:
        """Reads up to ``size`` bytes (all remaining bytes if negative or None)."""
        self._check_readable()
        if size is None or size < 0:
            return self.readall()
        data = self._h.read_at(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        """Reads until the end of the file."""
        self._check_readable()
        remaining = max(self._h.size - self._pos, 0)
        data = self._h.read_at(self._pos, remaining)
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Reads into a writable buffer; returns the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        n = len(data)
        view[:n] = data
        return n

    # -- writing -------------------------------------------------------------
    def write(self, data: Any) -> int:
        """Writes bytes at the position (at the end in append mode); returns the count."""
        self._check_writable()
        n = self._h.write_at(self._pos, data)
        if self._h.append:
            self._pos = self._h.size
        else:
            self._pos += n
        return n

    def flush(self) -> None:
        """Publishes buffered writes."""
        if self.closed:
            return
        self._h.flush()

    def close(self) -> None:
        """Flushes and closes; closing twice is allowed."""
        if self.closed:
            return
        try:
            self._h.close()
        finally:
            super().close()

    def stat(self) -> FileInfo:
        """The file's committed FileInfo."""
        self._check_open()
        return self._h.stat()
