"""Shared fixtures: a fresh data directory and engine per test."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, ContextManager, Iterator

import pytest

import sandvol

_counter = itertools.count()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty data directory."""
    return tmp_path / "data"


@pytest.fixture
def engine(data_dir: Path) -> Iterator[sandvol.Engine]:
    """An engine on a fresh data directory, closed after the test."""
    with sandvol.Engine(data_dir) as e:
        yield e


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Returns unique names: unique("vol") -> "vol-<pid>-<n>"."""

    def make(prefix: str) -> str:
        return f"{prefix}-{os.getpid()}-{next(_counter)}"

    return make


# Holds a catalog's write lock (another process, plain sqlite3) until stdin closes.
_LOCK_HOLDER = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "c.execute('COMMIT')\n"
)


@pytest.fixture
def hold_catalog_lock() -> Callable[[Path], ContextManager[None]]:
    """``with hold_catalog_lock(data_dir):`` another process holds the data
    directory's catalog write lock for the duration of the block."""

    @contextlib.contextmanager
    def hold(data_dir: Path) -> Iterator[None]:
        holder = subprocess.Popen(
            [sys.executable, "-c", _LOCK_HOLDER, str(data_dir / "catalog.db")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "locked"
            yield
        finally:
            if holder.stdin is not None and not holder.stdin.closed:
                holder.stdin.close()  # EOF: the holder commits and exits
            try:
                holder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                holder.kill()  # never hide the test's own outcome behind this
                holder.wait()
            if holder.stdout is not None:
                holder.stdout.close()

    return hold
