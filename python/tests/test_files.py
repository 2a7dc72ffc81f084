"""sandvol.File: a Python binary file over an open sandvol file."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

import sandvol


@pytest.fixture
def sb(engine: sandvol.Engine) -> sandvol.Sandbox:
    engine.create_volume(name="fobj", access_mode="RWX")
    s = engine.claim_sandbox("default")
    s.mount("fobj", "/v")
    return s


def test_write_seek_read_tell(sb: sandvol.Sandbox) -> None:
    with sb.open("/v/a.bin", "w+b") as f:
        assert isinstance(f, sandvol.File) and isinstance(f, io.RawIOBase)
        assert (f.name, f.mode, f.readable(), f.writable(), f.seekable()) == ("/v/a.bin", "w+b", True, True, True)
        assert f.write(b"hello world") == 11 and f.tell() == 11
        assert f.seek(0) == 0 and f.read(5) == b"hello" and f.tell() == 5
        assert f.seek(1, io.SEEK_CUR) == 6 and f.read() == b"world"
        assert f.seek(-5, io.SEEK_END) == 6
        f.write(b"WORLD")
        f.seek(0)
        assert f.readall() == b"hello WORLD"
        # unflushed writes are visible through the handle, published on flush
        f.flush()
        assert sb.read_file("/v/a.bin") == b"hello WORLD"
        assert f.stat().size == 11
    assert f.closed
    with pytest.raises(ValueError, match="closed file"):
        f.read()
    f.close()  # twice is fine


def test_lines_readinto_and_buffered_wrappers(sb: sandvol.Sandbox) -> None:
    sb.write_file("/v/lines.txt", b"one\ntwo\nthree\n")
    with sb.open("/v/lines.txt") as f:
        assert f.readline() == b"one\n"
        assert list(f) == [b"two\n", b"three\n"]
    with sb.open("/v/lines.txt", "rb") as f:
        buf = bytearray(5)
        assert f.readinto(buf) == 5 and bytes(buf) == b"one\nt"
    with io.BufferedReader(sb.open("/v/lines.txt")) as br:
        assert br.read() == b"one\ntwo\nthree\n"
    with io.TextIOWrapper(io.BufferedReader(sb.open("/v/lines.txt")), encoding="utf-8") as tw:
        assert tw.read().splitlines() == ["one", "two", "three"]


def test_modes(sb: sandvol.Sandbox) -> None:
    sb.write_file("/v/m.txt", b"base")
    with sb.open("/v/m.txt", "ab") as f:
        assert f.tell() == 4
        f.write(b"+1")
        f.seek(0)
        f.write(b"+2")  # append mode: always at the end
        assert f.tell() == 8
        with pytest.raises(io.UnsupportedOperation, match="read"):
            f.read()
    assert sb.read_file("/v/m.txt") == b"base+1+2"
    with sb.open("/v/m.txt", "r") as f:
        with pytest.raises(io.UnsupportedOperation, match="write"):
            f.write(b"x")
    with sb.open("/v/m.txt", "w") as f:
        pass
    assert sb.read_file("/v/m.txt") == b""  # truncated
    with pytest.raises(sandvol.AlreadyExistsError):
        sb.open("/v/m.txt", "x")
    with sb.open("/v/new.txt", "xb") as f:
        f.write(b"fresh")
    assert sb.read_file("/v/new.txt") == b"fresh"
    with pytest.raises(sandvol.NotFoundError):
        sb.open("/v/missing", "rb")
    with pytest.raises(sandvol.IsADirectoryError):
        sb.open("/v", "rb")


def test_sparse_write_and_large_file(sb: sandvol.Sandbox, tmp_path: Path) -> None:
    with sb.open("/v/sparse", "wb") as f:
        f.seek(10)
        f.write(b"x")
    assert sb.read_file("/v/sparse") == b"\0" * 10 + b"x"
    # larger than one block (4 MiB), copied with shutil in 1 MiB pieces
    src = tmp_path / "big"
    payload = bytes(range(256)) * (5 * 4096 + 7)
    src.write_bytes(payload)
    with open(src, "rb") as fin, sb.open("/v/big", "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    assert sb.stat("/v/big").size == len(payload)
    with sb.open("/v/big") as f:
        f.seek(4 << 20)
        assert f.read(100) == payload[4 << 20 : (4 << 20) + 100]
        f.seek(0)
        assert f.read() == payload


def test_read_only_mount_refuses_write_open(engine: sandvol.Engine, sb: sandvol.Sandbox) -> None:
    sb.write_file("/v/r.txt", b"r")
    other = engine.claim_sandbox("default")
    other.mount("fobj", "/ro", read_only=True)
    with other.open("/ro/r.txt") as f:
        assert f.read() == b"r"
    with pytest.raises(sandvol.ReadOnlyError):
        other.open("/ro/r.txt", "r+b")
