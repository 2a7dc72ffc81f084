"""Errors: one class per core code (walking every code core has), builtin bases,
the cause chain, real triggers for the codes, panics, and fork safety."""

from __future__ import annotations

import builtins
import errno
import os
import time
from pathlib import Path
from typing import Callable, ContextManager, Dict, Tuple, Type

import pytest

import sandvol
import sandvol.exceptions
from sandvol import _native

# DESIGN.md "Errors": code -> (class name, builtin base or None).
EXPECTED: Dict[str, Tuple[str, Type[BaseException] | None]] = {
    "invalid_argument": ("InvalidArgumentError", ValueError),
    "not_found": ("NotFoundError", LookupError),
    "already_exists": ("AlreadyExistsError", None),
    "conflict": ("ConflictError", None),
    "access_mode_violation": ("AccessModeError", None),
    "read_only": ("ReadOnlyError", PermissionError),
    "permission_denied": ("PermissionDeniedError", PermissionError),
    "invalid_state": ("InvalidStateError", None),
    "quota_exceeded": ("QuotaExceededError", OSError),
    "timeout": ("TimeoutError", builtins.TimeoutError),
    "not_a_directory": ("NotADirectoryError", builtins.NotADirectoryError),
    "is_a_directory": ("IsADirectoryError", builtins.IsADirectoryError),
    "directory_not_empty": ("DirectoryNotEmptyError", OSError),
    "cross_device": ("CrossDeviceError", OSError),
    "io": ("IOError", OSError),
    "corrupt": ("CorruptError", None),
    "internal": ("InternalError", None),
}


def test_every_core_code_has_its_class() -> None:
    codes = _native._error_codes()
    assert [n for _, n in codes] == list(range(1, len(codes) + 1)), "core codes are dense and ordered"
    assert {c for c, _ in codes} == set(EXPECTED), "a core code was added or removed: update the mapping"
    for code, _num in codes:
        name, base = EXPECTED[code]
        cls = getattr(sandvol, name)
        assert cls is getattr(sandvol.exceptions, name)
        assert sandvol.exceptions.error_class(code) is cls
        assert cls.code == code
        assert issubclass(cls, sandvol.SandvolError) and issubclass(cls, Exception)
        if base is not None:
            assert issubclass(cls, base), f"{name} must be a {base.__name__}"
        else:
            assert not issubclass(cls, OSError) and not issubclass(cls, ValueError)
        with pytest.raises(cls) as ei:
            _native._raise_error(code, f"message for {code}")
        e = ei.value
        assert type(e) is cls and e.code == code
        assert str(e) == f"message for {code}" and e.message == f"message for {code}"
        assert e.__cause__ is None


def test_oserror_subclasses_carry_errno() -> None:
    with pytest.raises(sandvol.NotADirectoryError) as ei:
        _native._raise_error("not_a_directory", "nope")
    assert ei.value.errno == errno.ENOTDIR and str(ei.value) == "nope"
    with pytest.raises(OSError) as q:
        _native._raise_error("quota_exceeded", "full")
    assert q.value.errno == errno.EDQUOT


def test_unknown_code_is_rejected_by_the_hook() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        _native._raise_error("no_such_code", "x")


def test_source_chain_becomes_cause() -> None:
    with pytest.raises(sandvol.IOError) as ei:
        _native._raise_error("io", "disk trouble", io_errno=errno.ENOSPC)
    cause = ei.value.__cause__
    assert type(cause) is OSError and cause.errno == errno.ENOSPC


def test_real_io_error_has_os_cause(tmp_path: Path) -> None:
    f = tmp_path / "a-file"
    f.write_bytes(b"not a directory")
    with pytest.raises(sandvol.IOError) as ei:
        sandvol.Engine(f / "data")
    assert ei.value.code == "io" and "blocks" in str(ei.value)
    assert isinstance(ei.value.__cause__, OSError) and ei.value.__cause__.errno == errno.ENOTDIR


def test_damaged_catalog_is_corrupt(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    (d / "catalog.db").write_bytes(b"this is not a sqlite database at all" * 200)
    with pytest.raises(sandvol.CorruptError) as ei:
        sandvol.Engine(d)
    assert ei.value.code == "corrupt"
    assert isinstance(ei.value.__cause__, sandvol.SourceError)


def test_panic_becomes_internal_error() -> None:
    with pytest.raises(sandvol.InternalError) as ei:
        _native._panic()
    assert ei.value.code == "internal" and "deliberate test panic" in str(ei.value)


def test_timeout_after_busy_timeout_ms_changes_nothing(
    tmp_path: Path, hold_catalog_lock: Callable[[Path], ContextManager[None]]
) -> None:
    """Another process holds the catalog's write lock for longer than the
    engine's busy timeout: TimeoutError (code "timeout"), and nothing created."""
    data_dir = tmp_path / "busy"
    with pytest.raises(sandvol.InvalidArgumentError) as ei:
        sandvol.Engine(data_dir, busy_timeout_ms=-1)
    assert "-1" in str(ei.value)
    with pytest.raises(sandvol.InvalidArgumentError) as ei:
        sandvol.Engine(data_dir, busy_timeout_ms=2**31)
    assert "busy_timeout 2147483648 ms" in str(ei.value)
    assert not data_dir.exists()
    with sandvol.Engine(data_dir, busy_timeout_ms=300) as engine:
        with hold_catalog_lock(data_dir):
            t0 = time.monotonic()
            with pytest.raises(sandvol.TimeoutError) as te:
                engine.create_volume(name="late")
            waited = time.monotonic() - t0
        assert te.value.code == "timeout" and isinstance(te.value, builtins.TimeoutError)
        assert 0.25 <= waited < 10, waited
        with pytest.raises(sandvol.NotFoundError):
            engine.get_volume("late")


def test_codes_from_real_operations(engine: sandvol.Engine) -> None:
    """Every code the engine can produce here, triggered for real."""
    seen: Dict[str, str] = {}

    def expect(cls: Type[sandvol.SandvolError], fn: object, *args: object, **kw: object) -> None:
        assert callable(fn)
        with pytest.raises(cls) as ei:
            fn(*args, **kw)
        assert type(ei.value) is cls
        seen[ei.value.code] = str(ei.value)

    rwx = engine.create_volume(name="e-rwx", access_mode="RWX")
    rox = engine.create_volume(name="e-rox", access_mode="ROX")
    other = engine.create_volume(name="e-other", access_mode="RWX", size_limit=10)
    sb = engine.claim_sandbox("default")
    m = sb.mount(rwx.id, "/a")
    sb.mount(other.id, "/b")
    sb.write_file("/a/file", b"x")
    sb.mkdir("/a/dir")
    sb.write_file("/a/dir/inner", b"y")

    expect(sandvol.InvalidArgumentError, engine.create_volume, size_limit="12")
    expect(sandvol.NotFoundError, engine.get_volume, "missing")
    expect(sandvol.AlreadyExistsError, engine.create_volume, name="e-rwx")
    expect(sandvol.ConflictError, engine.delete_volume, rwx.id)
    expect(sandvol.AccessModeError, sb.mount, rox.id, "/c", read_only=False)
    ro = sb.mount(rox.id, "/ro")
    expect(sandvol.ReadOnlyError, sb.write_file, "/ro/x", b"1")
    expect(sandvol.PermissionDeniedError, sb.mount, rwx.id, "/proc/x")
    expect(sandvol.QuotaExceededError, sb.write_file, "/b/big", b"x" * 11)
    expect(sandvol.NotADirectoryError, sb.write_file, "/a/file/child", b"1")
    expect(sandvol.IsADirectoryError, sb.read_file, "/a/dir")
    expect(sandvol.DirectoryNotEmptyError, sb.remove, "/a/dir")
    expect(sandvol.CrossDeviceError, sb.rename, "/a/file", "/b/file")
    sb.unmount(rwx.id, m.mount_session_id)
    expect(sandvol.InvalidStateError, sb.unmount, rwx.id, m.mount_session_id)
    sb.unmount(rox.id, ro.mount_session_id)
    assert set(seen) == set(EXPECTED) - {"timeout", "io", "corrupt", "internal"}
    # the message names the offending value
    assert "\"12\"" in seen["invalid_argument"] and "missing" in seen["not_found"]
    # nothing changed after the refused operations
    assert not sb.exists("/b/big") and sb.exists("/a/file") is False  # /a is unmounted now
    assert engine.volume_read_file(rwx.id, "/file") == b"x"
    assert engine.volume_exists(rwx.id, "/dir/inner")


def test_closed_engine_is_invalid_state(engine: sandvol.Engine) -> None:
    """A closed engine refuses calls with invalid_state, not a crash."""
    engine.close()
    with pytest.raises(sandvol.InvalidStateError, match="closed"):
        engine.stats()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_gets_invalid_state_not_a_hang(engine: sandvol.Engine, data_dir: Path) -> None:
    vol = engine.create_volume(name="forked", access_mode="RWX")
    engine.volume_write_file(vol.id, "/f", b"parent")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        status = b"?"
        try:
            try:
                engine.get_volume(vol.id)
                status = b"no-error"
            except sandvol.InvalidStateError as e:
                status = b"invalid_state" if "fork" in str(e) else b"wrong-message"
            except BaseException as e:  # noqa: BLE001
                status = type(e).__name__.encode()
            if status == b"invalid_state":
                with sandvol.Engine(data_dir) as fresh:  # a new engine works in the child
                    status += b"+" + fresh.volume_read_file(vol.id, "/f")
        finally:
            os.write(w, status)
            os._exit(0)
    os.close(w)
    deadline = time.monotonic() + 60
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("child hung after fork")
        time.sleep(0.01)
    with os.fdopen(r, "rb") as f:
        assert f.read() == b"invalid_state+parent"
    # the parent's engine is unaffected
    assert engine.volume_read_file(vol.id, "/f") == b"parent"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_closing_its_copy_leaves_the_parents_staging_alone(engine: sandvol.Engine, data_dir: Path) -> None:
    """The child's engine is a copy of the parent's: closing it must not remove
    the staging directory the parent keeps writing writeback blocks into."""
    vol = engine.create_volume(name="wb", writeback=True)
    sb = engine.claim_sandbox("default")
    m = sb.mount(vol.id, "/w")
    sb.write_file("/w/a", b"a" * 10_000)  # a block: staged, then uploaded
    sb.unmount(vol.id, m.mount_session_id)  # waits for the upload: the child's copy has nothing pending
    own = [p for p in (data_dir / "staging").iterdir() if p.name.startswith("engine-")]
    assert len(own) == 1, own
    pid = os.fork()
    if pid == 0:  # child
        try:
            engine.close()
        finally:
            os._exit(0)
    _, st = os.waitpid(pid, 0)
    assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0
    assert own[0].is_dir(), "the parent's staging directory survived the child's close"
    engine.volume_write_file(vol.id, "/b", b"b" * 10_000)
    assert engine.volume_read_file(vol.id, "/b") == b"b" * 10_000
