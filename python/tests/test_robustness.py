"""Hostile values in every argument, positional or keyword, of the engine,
sandbox and file-handle methods: each call returns, or raises TypeError,
ValueError, OverflowError or a sandvol error other than internal and io.
Found this way before: a PanicException from gc(grace_seconds=1e30), an
overflow panic from write_file(offset=2**63), a size_limit past i64 that
refused every write."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import sandvol


class Boom:
    """Raises from every conversion hook a binding might call."""

    def __index__(self) -> int:
        raise RuntimeError("boom")

    def __str__(self) -> str:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        raise RuntimeError("boom")

    def __iter__(self) -> Any:
        raise RuntimeError("boom")

    def __float__(self) -> float:
        raise RuntimeError("boom")

    def __bool__(self) -> bool:
        raise RuntimeError("boom")

    def __fspath__(self) -> str:
        raise RuntimeError("boom")


HOSTILE: List[Any] = [
    None, True, 0, -1, 2**31, 2**53 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 1.5, float("nan"), float("inf"), -1e300, 1e300,
    "", "\0", "\ud800", "x" * 5000, "1G", "8192P", b"x", bytearray(b"ab"), memoryview(b"abcd")[::2], [], [1], {}, {"a": 1},
    {"a": Boom()}, Boom(), object(), ("a",), [Boom()], [sandvol.MountRequest("v", "/x")],
]


def outcome(call: Callable[[], Any]) -> str:
    """'ok', or what the call raised if it is acceptable for a bad argument, or what is wrong."""
    try:
        call()
        return "ok"
    except sandvol.SandvolError as e:
        return "refused" if e.code not in ("internal", "io") else f"sandvol error {e.code}: {e}"
    except (TypeError, ValueError, OverflowError):  # UnicodeEncodeError for a lone surrogate, as os.open gives
        return "refused by Python"
    except RuntimeError as e:
        return "raised by the argument" if str(e) == "boom" else f"RuntimeError {e}"
    except BaseException as e:  # a PanicException is a BaseException
        return f"{type(e).__name__}: {e}"


ACCEPTABLE = {"ok", "refused", "refused by Python", "raised by the argument"}


def test_hostile_arguments_everywhere(tmp_path: Path) -> None:
    with sandvol.Engine(tmp_path / "e") as engine:
        engine.create_volume(name="v", access_mode="RWX")
        sb = engine.claim_sandbox("t", mounts=[sandvol.MountRequest("v", "/data")], wait_for_mounts=True)
        sb.write_file("/data/f", b"hello")
        snap = engine.create_snapshot("v")
        handle = sb.open("/data/f", "r+")
        rows: Dict[Tuple[Any, str], Tuple[Any, ...]] = {
            (engine, "create_volume"): (), (engine, "get_volume"): ("v",), (engine, "update_volume"): ("v",),
            (engine, "list_volumes"): (), (engine, "delete_volume"): ("zz",), (engine, "claim_sandbox"): ("t",),
            (engine, "changes"): ("v",), (engine, "gc"): (), (engine, "create_snapshot"): ("v",),
            (engine, "fork_snapshot"): (snap.id,), (engine, "volume_read_file"): ("v", "/f"),
            (engine, "volume_write_file"): ("v", "/w", b"x"), (engine, "volume_list_dir"): ("v", "/"),
            (sb, "mount"): ("v", "/m"), (sb, "read_file"): ("/data/f",), (sb, "write_file"): ("/data/w", b"x"),
            (sb, "list_dir"): ("/data",), (sb, "mkdir"): ("/data/d/e",), (sb, "remove"): ("/data/nothing",),
            (sb, "rename"): ("/data/nothing", "/data/n2"), (sb, "set_times"): ("/data/f",), (sb, "open"): ("/data/f",),
            (handle, "read"): (0, 4), (handle, "write"): (0, b"x"),
        }
        wrong: List[str] = []
        calls = 0
        for (obj, name), args in rows.items():
            method: Callable[..., Any] = getattr(obj, name)
            params = [p for p in inspect.signature(method).parameters.values() if p.kind != p.VAR_KEYWORD]
            assert params, f"{name} has no signature to fuzz"
            for i, param in enumerate(params):
                for value in HOSTILE:
                    pos: List[Any] = list(args)
                    kw: Dict[str, Any] = {}
                    if i < len(pos):
                        pos[i] = value
                    elif param.kind == param.POSITIONAL_ONLY:
                        continue
                    else:
                        kw[param.name] = value
                    calls += 1
                    got = outcome(lambda: method(*pos, **kw))
                    if got not in ACCEPTABLE:
                        wrong.append(f"{name}({param.name}={value!r:.30}): {got}")
        assert not wrong, f"{len(wrong)} of {calls} calls: {wrong[:20]}"
        handle.close()
        sb.release()
        assert engine.fsck().is_clean
