"""The seed walkthrough from DESIGN.md, in Python.

Volumes, sandboxes, bootstrap mounts, shared RWX files, the delete conflict,
snapshots, fork, direct volume files, restore. Names are unique per run, and
everything it creates is deleted again, so it can run repeatedly on one data
directory.

Run: ``python examples/walkthrough.py [DATA_DIR]`` (default: $SANDVOL_HOME,
else ./sandvol-data).
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import sandvol


def main(data_dir: Optional[str] = None) -> None:
    """Runs the walkthrough on ``data_dir`` and prints what it sees."""
    name = f"datasets-{os.getpid()}-{os.urandom(3).hex()}"
    with sandvol.Engine(data_dir) as engine:
        vol = engine.create_volume(name=name, access_mode="RWX", cache_size="1G", buffer_size="128M")
        print("volume  ", vol.id, vol.name, vol.access_mode)

        sb = engine.claim_sandbox("default")
        m = sb.mount(vol.id, "/mnt/data")
        print("mount   ", m.mount_session_id, m.mount_point, m.state)
        sb.write_file("/mnt/data/hello.txt", b"Hello, Volume!")
        assert sb.read_file("/mnt/data/hello.txt") == b"Hello, Volume!"

        sb2 = engine.claim_sandbox(
            "default",
            mounts=[sandvol.MountRequest(name, "/workspace/data")],
            wait_for_mounts=True,
            mount_wait_timeout_ms=30_000,
        )
        for bm in sb2.bootstrap_mounts:
            print("boot    ", bm.volume_id, bm.mount_point, bm.state)
        assert sb2.read_file("/workspace/data/hello.txt") == b"Hello, Volume!"
        print("sandbox2 reads", sb2.read_file("/workspace/data/hello.txt"))

        for s in sb.mount_status():
            print("status  ", s.volume_id, s.mount_point, s.mount_session_id, s.state)

        try:
            engine.delete_volume(vol.id)
        except sandvol.ConflictError as e:
            print("delete  ", e.code, f"({e})")
        else:
            raise AssertionError("deleting a mounted volume must raise ConflictError")

        snap = engine.create_snapshot(vol.id, name="v1")
        fork = engine.fork_snapshot(snap.id, name=f"{name}-copy")
        engine.volume_write_file(fork.id, "/notes.txt", b"direct, no mount")
        print("fork    ", fork.id, "reads", engine.volume_read_file(fork.id, "/notes.txt"))

        sb.unmount(vol.id, m.mount_session_id)
        sb2.release()
        engine.volume_write_file(vol.id, "/hello.txt", b"changed after v1")
        engine.restore_snapshot(snap.id)
        assert engine.volume_read_file(vol.id, "/hello.txt") == b"Hello, Volume!"
        print("restore ", vol.id, "back to", engine.volume_read_file(vol.id, "/hello.txt"))

        sb.release()
        engine.delete_volume(vol.id)
        engine.delete_volume(fork.id)
        print("deleted ", vol.id, "and", fork.id)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
