"""The seed walkthrough (DESIGN.md "API sketch"), asserted step by step."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import sandvol

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "walkthrough.py"


def test_api_sketch(engine: sandvol.Engine) -> None:
    vol = engine.create_volume(name="datasets", access_mode="RWX", cache_size="1G", buffer_size="128M")
    assert vol.id.startswith("vol_")
    assert vol.name == "datasets"
    assert vol.access_mode == "RWX" and vol.access_mode is sandvol.AccessMode.RWX
    assert str(vol.access_mode) == "RWX"
    assert vol.config.cache_size == 1 << 30 and vol.config.buffer_size == 128 << 20

    sb = engine.claim_sandbox("default")
    assert sb.id.startswith("sb_") and sb.state == "running" and sb.template == "default"
    m = sb.mount(vol.id, "/mnt/data")
    assert m.mount_session_id.startswith("ms_")
    assert (m.mount_point, m.state, m.volume_id, m.sandbox_id) == ("/mnt/data", "mounted", vol.id, sb.id)
    info = sb.write_file("/mnt/data/hello.txt", b"Hello, Volume!")
    assert isinstance(info, sandvol.FileInfo)
    assert (info.path, info.kind, info.size) == ("/mnt/data/hello.txt", "file", 14)
    assert sb.read_file("/mnt/data/hello.txt") == b"Hello, Volume!"

    sb2 = engine.claim_sandbox(
        "default",
        mounts=[sandvol.MountRequest("datasets", "/workspace/data")],
        wait_for_mounts=True,
        mount_wait_timeout_ms=30_000,
    )
    assert [(bm.volume_id, bm.mount_point, bm.state) for bm in sb2.bootstrap_mounts] == [
        (vol.id, "/workspace/data", "mounted")
    ]
    assert sb2.read_file("/workspace/data/hello.txt") == b"Hello, Volume!"

    status = sb.mount_status()
    assert [(s.volume_id, s.mount_point, s.mount_session_id, s.state) for s in status] == [
        (vol.id, "/mnt/data", m.mount_session_id, "mounted")
    ]

    with pytest.raises(sandvol.ConflictError) as ei:
        engine.delete_volume(vol.id)
    assert ei.value.code == "conflict"
    assert vol.id in str(ei.value)

    snap = engine.create_snapshot(vol.id, name="v1")
    assert snap.id.startswith("snap_") and snap.volume_id == vol.id and snap.name == "v1"
    fork = engine.fork_snapshot(snap.id, name="datasets-copy")
    assert fork.access_mode == "RWX" and fork.name == "datasets-copy"
    engine.volume_write_file(fork.id, "/notes.txt", b"direct, no mount")
    assert engine.volume_read_file(fork.id, "/notes.txt") == b"direct, no mount"
    assert engine.volume_read_file(fork.id, "/hello.txt") == b"Hello, Volume!"

    released = sb.unmount(vol.id, m.mount_session_id)
    assert released.state == "released"
    sb2.release()
    assert sb2.state == "released"
    engine.volume_write_file(vol.id, "/hello.txt", b"changed after v1")
    restored = engine.restore_snapshot(snap.id)
    assert restored.id == vol.id
    assert engine.volume_read_file(vol.id, "/hello.txt") == b"Hello, Volume!"
    engine.delete_volume(vol.id)
    with pytest.raises(sandvol.NotFoundError):
        engine.get_volume(vol.id)
    assert engine.get_volume("datasets-copy").id == fork.id


def test_example_runs_twice_on_one_data_dir(data_dir: Path) -> None:
    """The shipped example uses unique names and cleans up after itself."""
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, str(EXAMPLE), str(data_dir)], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert "delete   conflict" in out.stdout
        assert "back to b'Hello, Volume!'" in out.stdout
    with sandvol.Engine(data_dir) as e:
        assert len(e.list_volumes()) == 0
        assert e.stats().active_mounts == 0


def test_example_main_in_process(data_dir: Path) -> None:
    ns = runpy.run_path(str(EXAMPLE))
    ns["main"](str(data_dir))
    with sandvol.Engine(data_dir) as e:
        assert e.list_volumes().items == []


def test_default_data_dir_is_sandvol_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SANDVOL_HOME", str(home))
    with sandvol.Engine() as e:
        assert e.data_dir == home
        assert (home / "catalog.db").exists()
    monkeypatch.delenv("SANDVOL_HOME")
    monkeypatch.chdir(tmp_path)
    with sandvol.Engine() as e:
        assert e.data_dir.name == "sandvol-data"
        assert (tmp_path / "sandvol-data" / "catalog.db").exists()
