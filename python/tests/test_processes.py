"""Two Python processes sharing one data directory on an RWX volume."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import sandvol

WORKER = textwrap.dedent(
    """
    import sys
    import sandvol

    data_dir, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with sandvol.Engine(data_dir) as engine:
        sb = engine.claim_sandbox("default", labels={"who": who})
        m = sb.mount("shared-rwx", "/data")
        conflicts = 0
        for i in range(n):
            sb.write_file(f"/data/{who}/f{i}", f"{who}-{i}".encode())
            while True:  # optimistic concurrency on one shared file
                st = sb.stat("/data/counter")
                value = int(sb.read_file("/data/counter"))
                try:
                    sb.write_file("/data/counter", str(value + 1).encode(), if_version=st.version)
                    break
                except sandvol.ConflictError:
                    conflicts += 1
        other = "b" if who == "a" else "a"
        print(who, conflicts, sb.id, m.mount_session_id, flush=True)
        sb.unmount("shared-rwx", m.mount_session_id)
        sb.release()
    """
)


def test_two_processes_share_an_rwx_volume(data_dir: Path, tmp_path: Path) -> None:
    with sandvol.Engine(data_dir) as engine:
        engine.create_volume(name="shared-rwx", access_mode="RWX")
        engine.volume_write_file("shared-rwx", "/counter", b"0")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    n = 40
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(data_dir), who, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("a", "b")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    with sandvol.Engine(data_dir) as engine:
        # no lost update across processes
        assert engine.volume_read_file("shared-rwx", "/counter") == str(2 * n).encode()
        for who in ("a", "b"):
            names = {e.name for e in engine.volume_list_dir("shared-rwx", f"/{who}")}
            assert names == {f"f{i}" for i in range(n)}
            assert engine.volume_read_file("shared-rwx", f"/{who}/f7") == f"{who}-7".encode()
        # both processes' sandboxes and sessions are in the shared catalog
        sbs = engine.list_sandboxes()
        assert sorted(s.labels["who"] for s in sbs) == ["a", "b"]
        assert all(s.state == "released" for s in sbs)
        for line in (o for o, _ in outs):
            who, _conflicts, sb_id, ms_id = line.split()
            assert engine.get_mount(ms_id).state == "released"
            assert engine.get_sandbox(sb_id).labels == {"who": who}
        assert engine.stats().active_mounts == 0
        kinds = {c.kind for c in engine.changes("shared-rwx")}
        assert kinds == {"write", "mkdir"} or kinds == {"write"}


def test_release_from_another_process(data_dir: Path) -> None:
    """A sandbox claimed in one process can be released from another."""
    with sandvol.Engine(data_dir) as engine:
        engine.create_volume(name="rel", access_mode="RWX")
        sb = engine.claim_sandbox("default")
        sb.mount("rel", "/r")
        sb_id = sb.id
    code = f"import sandvol; e = sandvol.Engine({str(data_dir)!r}); e.get_sandbox({sb_id!r}).release(); e.close()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with sandvol.Engine(data_dir) as engine:
        again = engine.get_sandbox(sb_id)
        assert again.state == "released"
        assert [m.state for m in again.mount_status()] == ["released"]
        engine.delete_volume("rel")
