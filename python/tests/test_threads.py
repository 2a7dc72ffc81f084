"""Threads sharing one Engine, and proof that storage calls release the GIL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, ContextManager, List

import sandvol


def test_threads_share_one_engine(engine: sandvol.Engine) -> None:
    engine.create_volume(name="shared", access_mode="RWX")
    sandboxes = [engine.claim_sandbox("default") for _ in range(4)]
    for sb in sandboxes:
        sb.mount("shared", "/data")

    def work(i: int) -> int:
        sb = sandboxes[i % len(sandboxes)]
        for n in range(50):
            path = f"/data/t{i}/f{n}"
            sb.write_file(path, f"{i}:{n}".encode())
            assert sb.read_file(path) == f"{i}:{n}".encode()
        with sb.open(f"/data/t{i}/big", "wb") as f:
            for _ in range(16):
                f.write(b"z" * 4096)
        return len(sb.list_dir(f"/data/t{i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(work, range(8)))
    assert counts == [51] * 8
    vol = engine.get_volume("shared")
    assert vol.file_count == 8 * 51
    for i in range(8):
        assert engine.volume_read_file("shared", f"/t{i}/f49") == f"{i}:49".encode()
        assert engine.volume_stat("shared", f"/t{i}/big").size == 16 * 4096


def test_concurrent_cas_from_threads_loses_no_update(engine: sandvol.Engine) -> None:
    engine.create_volume(name="cas", access_mode="RWX")
    engine.volume_write_file("cas", "/counter", b"0")

    def bump(_: int) -> int:
        retries = 0
        while True:
            st = engine.volume_stat("cas", "/counter")
            value = int(engine.volume_read_file("cas", "/counter"))
            try:
                engine.volume_write_file("cas", "/counter", str(value + 1).encode(), if_version=st.version)
                return retries
            except sandvol.ConflictError:
                retries += 1

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(bump, range(60)))
    assert engine.volume_read_file("cas", "/counter") == b"60"


def test_gil_is_released_while_a_call_waits(
    engine: sandvol.Engine, data_dir: Path, hold_catalog_lock: Callable[[Path], ContextManager[None]]
) -> None:
    """Another process holds the catalog's write lock; a thread's create_volume
    waits for it inside the engine. If that wait held the GIL, this thread could
    neither count nor release the lock, and the call would end in TimeoutError
    after the engine's 30 s busy timeout."""
    engine.create_volume(name="warm")
    result: List[object] = []

    def create() -> None:
        try:
            result.append(engine.create_volume(name="after-wait"))
        except BaseException as e:  # noqa: BLE001
            result.append(e)

    t = threading.Thread(target=create)
    with hold_catalog_lock(data_dir):
        t.start()
        ticks_while_blocked = 0
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            ticks_while_blocked += 1
        assert t.is_alive(), "the call should still be waiting for the lock"
        assert result == []
    t.join(timeout=30)
    assert not t.is_alive()
    assert len(result) == 1 and isinstance(result[0], sandvol.Volume), result
    assert result[0].name == "after-wait"
    assert ticks_while_blocked > 10_000, ticks_while_blocked


def test_parallel_reads_overlap(engine: sandvol.Engine) -> None:
    """Reads from several threads complete, and a pure-Python thread keeps
    running alongside them (it would stall if every call held the GIL long)."""
    engine.create_volume(name="par", access_mode="RWX")
    data = bytes(range(256)) * 4096  # 1 MiB
    engine.volume_write_file("par", "/blob", data)
    stop = threading.Event()
    spins = [0]

    def spinner() -> None:
        while not stop.is_set():
            spins[0] += 1

    s = threading.Thread(target=spinner)
    s.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            outs = list(pool.map(lambda _: engine.volume_read_file("par", "/blob"), range(40)))
    finally:
        stop.set()
        s.join()
    assert all(o == data for o in outs)
    assert spins[0] > 0
