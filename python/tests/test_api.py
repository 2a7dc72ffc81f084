"""The rest of the API: objects, volumes, sandboxes, files, snapshots, maintenance."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

import sandvol


def test_result_objects_have_attributes_repr_and_to_dict(engine: sandvol.Engine) -> None:
    vol = engine.create_volume(name="objs", access_mode=sandvol.AccessMode.ROX, size_limit="1M", labels={"team": "a"})
    d = vol.to_dict()
    assert d["id"] == vol.id and d["name"] == "objs" and d["access_mode"] == "ROX"
    assert type(d["access_mode"]) is str
    assert d["size_limit"] == 1 << 20 and d["labels"] == {"team": "a"}
    assert d["config"] == {"cache_size": 1 << 30, "buffer_size": 32 << 20, "prefetch": 0, "writeback": False}
    assert repr(vol).startswith(f"Volume(id='{vol.id}', name='objs', access_mode='ROX'")
    assert vol == engine.get_volume("objs")
    labels = vol.labels
    labels["x"] = "y"  # a fresh dict: the object does not change
    assert vol.labels == {"team": "a"}

    sb = engine.claim_sandbox("default", labels={"k": "v"}, group="g1")
    assert (sb.group, sb.labels) == ("g1", {"k": "v"})
    m = sb.mount("objs", "/data")
    assert m.read_only is True  # ROX: read-only without asking
    md = m.to_dict()
    assert md["mount_session_id"] == m.mount_session_id == m.id
    assert md["state"] == "mounted" and md["config"]["prefetch"] == 0
    assert "MountSession(mount_session_id=" in repr(m)
    assert sb.to_dict()["state"] == "running"
    assert repr(sb) == f"Sandbox(id='{sb.id}', template='default', state='running', group='g1', bootstrap_mounts=0)"

    info = sb.write_file("/tmp/a.txt", b"abc")
    assert info.to_dict()["kind"] == "file" and info.is_file and not info.is_dir
    assert "FileInfo(path='/tmp/a.txt'" in repr(info)
    req = sandvol.MountRequest("objs", "/x", subpath="sub", read_only=True, config=sandvol.VolumeConfig(prefetch=2))
    assert req.to_dict() == {
        "ref": "objs",
        "mount_point": "/x",
        "subpath": "sub",
        "read_only": True,
        "config": {"cache_size": None, "buffer_size": None, "prefetch": 2, "writeback": None},
    }
    assert req.ref == "objs" and req.config == sandvol.VolumeConfig(prefetch=2)
    assert repr(sandvol.VolumeConfig(cache_size="1K")) == "VolumeConfig(cache_size=1024, buffer_size=None, prefetch=None, writeback=None)"
    st = engine.stats()
    assert st.to_dict() == {
        "volumes": 1,
        "sandboxes": 1,
        "active_mounts": 1,
        "blocks": 0,
        "block_bytes": 0,
        "used_bytes": 0,
    }


def test_sizes_accept_strings_and_ints(engine: sandvol.Engine) -> None:
    v = engine.create_volume(size_limit=1000, cache_size="1.5G", buffer_size="512KiB", prefetch=3, writeback=True)
    assert v.size_limit == 1000
    assert (v.config.cache_size, v.config.buffer_size, v.config.prefetch, v.config.writeback) == (
        3 << 29,
        512 << 10,
        3,
        True,
    )
    assert v.name is None and v.access_mode == "RWO"
    v2 = engine.update_volume(v.id, size_limit="2k", labels={"a": "b"}, prefetch=0)
    assert (v2.size_limit, v2.labels, v2.config.prefetch, v2.config.cache_size) == (2048, {"a": "b"}, 0, 3 << 29)
    assert engine.resize_volume(v.id, None).size_limit is None
    assert engine.resize_volume(v.id, "1G").size_limit == 1 << 30


def test_list_volumes_filters_and_pages(engine: sandvol.Engine, unique: Callable[[str], str]) -> None:
    ids = [engine.create_volume(name=unique("v"), labels={"env": "a" if i % 2 else "b"}).id for i in range(5)]
    page = engine.list_volumes(limit=2)
    assert [v.id for v in page] == ids[:2] and len(page) == 2 and page[0].id == ids[0] and page[-1].id == ids[1]
    assert page.next_cursor is not None
    rest = engine.list_volumes(limit=10, cursor=page.next_cursor)
    assert [v.id for v in rest.items] == ids[2:] and rest.next_cursor is None
    assert [v.id for v in engine.list_volumes(labels={"env": "a"})] == [ids[1], ids[3]]
    assert rest.to_dict()["next_cursor"] is None and len(rest.to_dict()["items"]) == 3
    with pytest.raises(IndexError):
        page[2]


def test_sandbox_lifecycle_and_lookup(engine: sandvol.Engine) -> None:
    vol = engine.create_volume(name="life", access_mode="RWO")
    sb = engine.claim_sandbox("tmpl")
    m = sb.mount("life", "/data")
    sb.write_file("/data/f", b"1")
    sb.pause()
    assert sb.state == "paused"
    assert [s.state for s in sb.mount_status()] == ["paused"]
    with pytest.raises(sandvol.InvalidStateError):
        sb.read_file("/data/f")
    sb.resume()
    assert sb.state == "running" and sb.read_file("/data/f") == b"1"
    same = engine.get_sandbox(sb.id)
    assert same.id == sb.id and same.state == "running" and same.bootstrap_mounts == []
    assert engine.get_mount(m.mount_session_id).mount_point == "/data"
    assert [s.id for s in engine.list_sandboxes()] == [sb.id]
    # RWO: a second sandbox cannot mount it
    other = engine.claim_sandbox("tmpl")
    with pytest.raises(sandvol.AccessModeError):
        other.mount(vol.id, "/data")
    with other:
        pass
    assert other.state == "released"
    other.refresh()
    assert other.state == "released"
    # force delete detaches the session
    engine.delete_volume(vol.id, force=True)
    after = engine.get_mount(m.mount_session_id)
    assert (after.state, after.last_error_code) == ("failed", "force_detached")
    sb.release()
    with pytest.raises(sandvol.InvalidStateError):
        sb.release()


def test_bootstrap_mount_failure_never_fails_the_claim(engine: sandvol.Engine) -> None:
    sb = engine.claim_sandbox(
        "default", mounts=[sandvol.MountRequest("no-such-volume", "/data")], wait_for_mounts=True
    )
    [bm] = sb.bootstrap_mounts
    assert (bm.state, bm.last_error_code) == ("failed", "not_found")


def test_sandbox_file_operations(engine: sandvol.Engine) -> None:
    engine.create_volume(name="files", access_mode="RWX")
    sb = engine.claim_sandbox("default")
    sb.mount("files", "/w")
    v1 = sb.write_file("/w/a/b.txt", b"hello")
    assert sb.read_file("/w/a/b.txt", offset=1, length=3) == b"ell"
    assert sb.read_file("/w/a/b.txt", offset=3) == b"lo"
    v2 = sb.write_file("/w/a/b.txt", b"!", append=True)
    assert v2.version > v1.version and sb.read_file("/w/a/b.txt") == b"hello!"
    sb.write_file("/w/a/b.txt", b"J", offset=0)
    assert sb.read_file("/w/a/b.txt") == b"Jello!"
    with pytest.raises(sandvol.ConflictError):
        sb.write_file("/w/a/b.txt", b"x", if_version=v1.version)
    assert sb.read_file("/w/a/b.txt") == b"Jello!"
    cur = sb.stat("/w/a/b.txt")
    v3 = sb.write_file("/w/a/b.txt", b"cas", if_version=cur.version)
    assert v3.version > cur.version
    with pytest.raises(sandvol.AlreadyExistsError):
        sb.write_file("/w/a/b.txt", b"x", exclusive=True)
    sb.write_file("/w/new.txt", bytearray(b"ba"), exclusive=True)
    sb.write_file("/w/mv.txt", memoryview(b"mv"))
    assert sb.read_file("/w/new.txt") == b"ba" and sb.read_file("/w/mv.txt") == b"mv"
    assert sb.exists("/w/new.txt") and not sb.exists("/w/nope")
    d = sb.mkdir("/w/d1/d2", parents=True)
    assert d.kind == "dir" and d.is_dir
    assert [(e.name, e.kind) for e in sb.list_dir("/w")] == [
        ("a", "dir"),
        ("d1", "dir"),
        ("mv.txt", "file"),
        ("new.txt", "file"),
    ]
    page = sb.list_dir("/w", limit=1)
    assert [e.name for e in page] == ["a"] and page.next_cursor is not None
    assert [e.name for e in sb.list_dir("/w", cursor=page.next_cursor)][:1] == ["d1"]
    r = sb.rename("/w/new.txt", "/w/d1/renamed.txt")
    assert r.path == "/w/d1/renamed.txt" and not sb.exists("/w/new.txt")
    s = sb.symlink("d1/renamed.txt", "/w/link")
    assert s.kind == "symlink" and s.target == "d1/renamed.txt"
    assert sb.readlink("/w/link") == "d1/renamed.txt"
    assert sb.read_file("/w/link") == b"ba"
    t = sb.set_times("/w/mv.txt", mtime=1_000)
    assert t.mtime == 1_000
    with pytest.raises(sandvol.DirectoryNotEmptyError):
        sb.remove("/w/d1")
    sb.remove("/w/d1", recursive=True)
    assert not sb.exists("/w/d1")
    # scratch volume at "/" is private to the sandbox
    sb.write_file("/home/user/x", b"scratch")
    assert sb.list_dir("/").items[0].name in {"home", "w"}
    other = engine.claim_sandbox("default")
    assert not other.exists("/home/user/x")


def test_volume_prefixed_file_operations(engine: sandvol.Engine) -> None:
    v = engine.create_volume(name="direct")
    engine.volume_write_file("direct", "/a.txt", b"abc")
    engine.volume_write_file(v.id, "/a.txt", b"def", append=True)
    assert engine.volume_read_file("direct", "/a.txt") == b"abcdef"
    assert engine.volume_read_file("direct", "/a.txt", offset=2, length=2) == b"cd"
    assert engine.volume_stat("direct", "/a.txt").size == 6
    assert engine.volume_exists("direct", "/a.txt")
    engine.volume_mkdir("direct", "/d/e", parents=True)
    engine.volume_rename("direct", "/a.txt", "/d/a.txt")
    engine.volume_symlink("direct", "/d/a.txt", "/l")
    assert engine.volume_readlink("direct", "/l") == "/d/a.txt"
    assert engine.volume_set_times("direct", "/d/a.txt", atime=5).atime == 5
    assert [e.name for e in engine.volume_list_dir("direct")] == ["d", "l"]
    assert [e.name for e in engine.volume_list_dir("direct", "/d")] == ["a.txt", "e"]
    with engine.volume_open("direct", "/d/a.txt", "r+b") as f:
        assert f.read(3) == b"abc"
        f.write(b"XYZ")
    assert engine.volume_read_file("direct", "/d/a.txt") == b"abcXYZ"
    engine.volume_remove("direct", "/d", recursive=True)
    assert not engine.volume_exists("direct", "/d")
    assert v.used_bytes == 0 and engine.get_volume("direct").used_bytes == 0


def test_snapshots_changes_and_maintenance(engine: sandvol.Engine) -> None:
    v = engine.create_volume(name="snaps", access_mode="RWX")
    engine.volume_write_file("snaps", "/a", b"1" * 10_000)
    s1 = engine.create_snapshot("snaps", name="s1")
    s2 = engine.create_snapshot(v.id)
    assert s1.used_bytes == 10_000 and s1.file_count == 1 and s2.name is None
    assert [s.id for s in engine.list_snapshots("snaps")] == [s1.id, s2.id]
    assert engine.get_snapshot(s1.id) == s1
    engine.delete_snapshot(s2.id)
    with pytest.raises(sandvol.NotFoundError):
        engine.get_snapshot(s2.id)
    with pytest.raises(sandvol.AlreadyExistsError):
        engine.create_snapshot("snaps", name="s1")
    engine.volume_write_file("snaps", "/b", b"2")
    changes = engine.changes("snaps")
    assert [(c.path, c.kind) for c in changes] == [("/a", "write"), ("/b", "write")]
    assert engine.changes("snaps", since=changes[0].seq) == changes[1:]
    assert changes[0].to_dict()["kind"] == "write"
    engine.restore_snapshot(s1.id)
    assert not engine.volume_exists("snaps", "/b")
    assert engine.changes("snaps", since=changes[-1].seq)[-1].kind == "restore"
    fork = engine.fork_snapshot(s1.id, name="snaps-fork", access_mode="RWO", labels={"f": "1"})
    assert (fork.access_mode, fork.labels, fork.used_bytes) == ("RWO", {"f": "1"}, 10_000)
    report = engine.fsck()
    assert report.is_clean and report.dangling == [] and report.to_dict()["is_clean"] is True
    gc = engine.gc(grace_seconds=0)
    assert gc.blocks_deleted >= 0 and set(gc.to_dict()) == {"blocks_deleted", "bytes_freed"}
    assert engine.volume_read_file(fork.id, "/a") == b"1" * 10_000


def test_quota_and_read_only(engine: sandvol.Engine) -> None:
    engine.create_volume(name="small", size_limit=100, access_mode="RWX")
    engine.volume_write_file("small", "/a", b"x" * 60)
    with pytest.raises(sandvol.QuotaExceededError) as ei:
        engine.volume_write_file("small", "/b", b"x" * 60)
    assert isinstance(ei.value, OSError) and ei.value.code == "quota_exceeded"
    assert not engine.volume_exists("small", "/b") and engine.get_volume("small").used_bytes == 60
    sb = engine.claim_sandbox("default")
    sb.mount("small", "/ro", read_only=True)
    with pytest.raises(sandvol.ReadOnlyError) as ro:
        sb.write_file("/ro/c", b"1")
    assert isinstance(ro.value, PermissionError)
    assert sb.read_file("/ro/a") == b"x" * 60


def test_engine_close_and_context_manager(data_dir: Path) -> None:
    e = sandvol.Engine(data_dir, durability="power")
    assert not e.closed and str(data_dir) in repr(e)
    e.create_volume(name="keep")
    e.close()
    e.close()  # twice is fine
    assert e.closed and "closed" in repr(e)
    with pytest.raises(sandvol.InvalidStateError):
        e.get_volume("keep")
    with sandvol.Engine(data_dir) as e2:
        assert e2.get_volume("keep").name == "keep"
    assert e2.closed
    # mount sessions are durable across engines
    with sandvol.Engine(str(data_dir)) as e3:
        sb = e3.claim_sandbox("default")
        sb.mount("keep", "/k")
        sb.write_file("/k/f", b"durable")
        sid = sb.id
    with sandvol.Engine(data_dir) as e4:
        again = e4.get_sandbox(sid)
        assert again.read_file("/k/f") == b"durable"
        assert [m.state for m in again.mount_status()] == ["mounted"]
