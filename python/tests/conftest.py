"""Shared fixtures: a fresh data directory and engine per test."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Callable, Iterator

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
