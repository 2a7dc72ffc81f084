"""The stubs type-check the tests and the example under mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PY_DIR = Path(__file__).resolve().parent.parent


def test_mypy_strict_on_tests_and_example() -> None:
    env = dict(os.environ)
    cache = env.get("MYPY_CACHE_DIR") or str(PY_DIR / ".mypy_cache")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache, "tests", "examples", "bench"],
        cwd=PY_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_stubs_cover_every_public_name() -> None:
    import ast

    import sandvol

    tree = ast.parse((PY_DIR / "sandvol" / "__init__.pyi").read_text())
    stubbed = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            stubbed |= {a.asname or a.name for a in node.names}
    assert set(sandvol.__all__) - {"__version__"} <= stubbed
    for name in sandvol.__all__:
        obj = getattr(sandvol, name)
        if isinstance(obj, type):
            assert obj.__doc__, f"{name} has no docstring"
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member):
                    continue
                assert getattr(member, "__doc__", None), f"{name}.{attr} has no docstring"
    # every method the stub declares on Engine and Sandbox exists at runtime, and vice versa
    for cls_name in ("Engine", "Sandbox"):
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
        declared = {f.name for f in cls.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
        runtime = {a for a in dir(getattr(sandvol, cls_name)) if not a.startswith("_")}
        assert declared == runtime, (cls_name, declared ^ runtime)
