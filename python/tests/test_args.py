"""Bad arguments: wrong Python types raise TypeError naming the expected type;
right types with values the engine refuses raise InvalidArgumentError (a
ValueError) naming the value. Nothing is changed by a refused call."""

from __future__ import annotations

import os
from typing import Any, Callable

import pytest

import sandvol


def refused(engine: sandvol.Engine) -> Callable[[], None]:
    """Snapshot of the observable state, to check a refused call changed nothing."""
    before = (engine.stats().to_dict(), [v.to_dict() for v in engine.list_volumes()])

    def check() -> None:
        after = (engine.stats().to_dict(), [v.to_dict() for v in engine.list_volumes()])
        assert after == before

    return check


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size_limit": 1.5}, r"size must be an int \(bytes\) or a str such as \"1G\", not float"),
        ({"size_limit": True}, r"not bool"),
        ({"cache_size": [1]}, r"not list"),
        ({"access_mode": 3}, r"access_mode must be a str .* not int"),
        ({"labels": ["a"]}, r"labels must be a dict of str to str, not list"),
        ({"labels": {"a": 1}}, r"labels must be a dict of str to str; entry 'a': 1 is str: int"),
        ({"name": 7}, r"argument must be a str, not int"),
        ({"prefetch": "3"}, r"value must be an int, not str\nwhile processing 'prefetch'"),
        ({"writeback": "yes"}, r"'str' object is not an instance of 'bool'\nwhile processing 'writeback'"),
    ],
)
def test_wrong_types_raise_type_error(engine: sandvol.Engine, kwargs: dict[str, Any], match: str) -> None:
    check = refused(engine)
    with pytest.raises(TypeError, match=match) as ei:
        engine.create_volume(**kwargs)
    assert not isinstance(ei.value, sandvol.SandvolError)
    check()


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"size_limit": "12"}, '"12" has no unit'),
        ({"size_limit": "1X"}, '"1X" has an unknown unit'),
        ({"size_limit": -1}, "size -1 is negative"),
        ({"size_limit": 2**70}, "is too large"),
        ({"cache_size": "lots"}, '"lots"'),
        ({"buffer_size": 10}, "buffer_size 10 bytes is below the minimum"),
        ({"access_mode": "RWZ"}, '"RWZ" is not one of RWO, ROX, RWX'),
        ({"name": "vol_looks_like_an_id"}, "looks like an id"),
        ({"name": "bad name!"}, '"bad name!"'),
        ({"name": "bad\udcffname"}, "is not valid UTF-8"),
        ({"prefetch": 5000}, "prefetch 5000 is above the maximum"),
        ({"prefetch": -1}, "value -1 is negative"),
    ],
)
def test_bad_values_raise_invalid_argument(engine: sandvol.Engine, kwargs: dict[str, Any], needle: str) -> None:
    check = refused(engine)
    with pytest.raises(sandvol.InvalidArgumentError) as ei:
        engine.create_volume(**kwargs)
    assert isinstance(ei.value, ValueError) and ei.value.code == "invalid_argument"
    assert needle in str(ei.value)
    check()


def test_access_mode_accepts_names_and_enum(engine: sandvol.Engine) -> None:
    assert engine.create_volume(access_mode="rwx").access_mode is sandvol.AccessMode.RWX
    assert engine.create_volume(access_mode="ReadOnlyMany").access_mode is sandvol.AccessMode.ROX
    assert engine.create_volume(access_mode=sandvol.AccessMode.RWO).access_mode == "RWO"


def test_volume_config_validates_early() -> None:
    with pytest.raises(sandvol.InvalidArgumentError, match='"1Q"'):
        sandvol.VolumeConfig(cache_size="1Q")
    with pytest.raises(TypeError, match="not float"):
        sandvol.VolumeConfig(buffer_size=1.0)  # type: ignore[arg-type]
    assert sandvol.VolumeConfig(cache_size=None).cache_size is None


def test_file_operation_arguments(engine: sandvol.Engine) -> None:
    sb = engine.claim_sandbox("default")
    sb.write_file("/f", b"keep")
    before = sb.stat("/f")
    with pytest.raises(TypeError, match=r"data must be bytes, bytearray or memoryview, not str \(encode a str first"):
        sb.write_file("/f", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path must be a str, not int"):
        sb.read_file(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path must be a str, not PurePosixPath"):
        import pathlib

        sb.read_file(pathlib.PurePosixPath("/f"))  # type: ignore[arg-type]
    with pytest.raises(sandvol.InvalidArgumentError, match="offset -1 is negative"):
        sb.write_file("/f", b"x", offset=-1)
    with pytest.raises(TypeError, match="if_version must be an int, not str"):
        sb.write_file("/f", b"x", if_version="1")  # type: ignore[arg-type]
    with pytest.raises(sandvol.InvalidArgumentError, match="mutually exclusive"):
        sb.write_file("/f", b"x", append=True, offset=0)
    for offset in (2**53 - 1, 2**63, 2**64 - 1):  # past the largest file (an overflow panic before)
        with pytest.raises(sandvol.InvalidArgumentError, match="larger than the largest file"):
            sb.write_file("/f", b"x", offset=offset)
    with pytest.raises(sandvol.InvalidArgumentError, match="length -5 is negative"):
        sb.read_file("/f", length=-5)
    with pytest.raises(sandvol.InvalidArgumentError, match="relative"):
        sb.read_file("relative/path")
    with pytest.raises(sandvol.PermissionDeniedError):
        sb.read_file("/a/../../etc")
    with pytest.raises(sandvol.InvalidArgumentError, match="open mode \"rt\""):
        sb.open("/f", "rt")  # type: ignore[arg-type]
    assert sb.stat("/f") == before and sb.read_file("/f") == b"keep"


def test_mount_and_claim_arguments(engine: sandvol.Engine) -> None:
    engine.create_volume(name="mnt-args", access_mode="RWX")
    sb = engine.claim_sandbox("default")
    check = refused(engine)
    with pytest.raises(TypeError, match="config must be a sandvol.VolumeConfig, not dict"):
        sb.mount("mnt-args", "/d", config={"prefetch": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ref \(a volume id or name\) must be a str, not NoneType"):
        sb.mount(None, "/d")  # type: ignore[arg-type]
    with pytest.raises(sandvol.InvalidArgumentError, match='mount path "d" is not absolute'):
        sb.mount("mnt-args", "d")
    with pytest.raises(sandvol.InvalidArgumentError, match="sandbox root"):
        sb.mount("mnt-args", "/")
    with pytest.raises(sandvol.PermissionDeniedError, match="/etc"):
        sb.mount("mnt-args", "/etc/data")
    with pytest.raises(TypeError, match=r"mounts\[1\] must be a sandvol.MountRequest, not tuple"):
        engine.claim_sandbox(
            "default", mounts=[sandvol.MountRequest("mnt-args", "/a"), ("mnt-args", "/b")]  # type: ignore[list-item]
        )
    with pytest.raises(TypeError, match="mounts must be a list of sandvol.MountRequest, not str"):
        engine.claim_sandbox("default", mounts="mnt-args")  # type: ignore[arg-type]
    with pytest.raises(sandvol.ConflictError, match="appears twice"):
        engine.claim_sandbox(
            "default", mounts=[sandvol.MountRequest("mnt-args", "/a"), sandvol.MountRequest("mnt-args", "/a/")]
        )
    with pytest.raises(sandvol.InvalidArgumentError, match="template"):
        engine.claim_sandbox("")
    check()
    assert sb.mount_status() == []


def test_list_and_engine_arguments(engine: sandvol.Engine, tmp_path: Any) -> None:
    with pytest.raises(sandvol.InvalidArgumentError, match="page limit 0"):
        engine.list_volumes(limit=0)
    with pytest.raises(sandvol.InvalidArgumentError, match='cursor "zzz"'):
        engine.list_volumes(cursor="zzz")
    with pytest.raises(sandvol.InvalidArgumentError, match='durability "fast"'):
        sandvol.Engine(tmp_path / "d1", durability="fast")  # type: ignore[arg-type]
    with pytest.raises(sandvol.InvalidArgumentError, match="block_size"):
        sandvol.Engine(tmp_path / "d2", block_size="1K")
    with pytest.raises(TypeError):
        sandvol.Engine(42)  # type: ignore[arg-type]
    # "" would have opened the working directory; a NUL byte was an io error.
    with pytest.raises(sandvol.InvalidArgumentError, match='data directory "" is empty'):
        sandvol.Engine("")
    with pytest.raises(sandvol.InvalidArgumentError, match="contains a NUL byte"):
        sandvol.Engine(str(tmp_path / "a\0b"))
    assert not (tmp_path / "a").exists() and not os.path.exists("catalog.db")
    for bad in (-1, float("nan"), float("inf"), 1e30):  # 1e30 s panicked converting to a Duration
        with pytest.raises(sandvol.InvalidArgumentError, match="grace_seconds"):
            engine.gc(grace_seconds=bad)
    with pytest.raises(sandvol.InvalidArgumentError, match="value -3 is negative"):
        engine.changes("x", since=-3)
