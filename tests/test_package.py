"""The ``podcap`` package: its public names load their modules on first use (PEP 562), so
``import podcap`` is quick and imports neither pandas nor matplotlib (import time itself is
measured in ``benchmarks/bench_import.py``, not asserted here)."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import podcap

REPO = Path(__file__).resolve().parents[1]
INIT = REPO / "src" / "podcap" / "__init__.py"


def _run(code: str) -> str:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


HEAVY = ("pandas", "numpy", "matplotlib", "numba", "yaml", "scipy")


def test_import_podcap_imports_no_heavy_library() -> None:
    out = _run(
        "import sys, podcap\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(podcap.PodcapError.__name__, podcap.__version__)"
    )
    loaded, names = out.splitlines()
    assert loaded == "[]"
    assert names.split()[0] == "PodcapError"


def test_using_podcap_does_not_import_matplotlib_or_numba() -> None:
    # every public name loaded, a small simulation run: plots (matplotlib) and the compiled
    # kernels (numba) still wait until they are used
    out = _run(
        "import sys, podcap\n"
        "[getattr(podcap, n) for n in podcap.__all__]\n"
        "c = podcap.Cluster([podcap.NodeGroup('g', 'm5.large', 1)])\n"
        "podcap.simulate(c, [])\n"
        "print(sorted(m for m in ('matplotlib', 'numba') if m in sys.modules))"
    )
    assert out.strip() == "[]"


def _type_checking_imports() -> dict[str, str]:
    """name -> module, from the ``if TYPE_CHECKING:`` block of podcap/__init__.py."""
    tree = ast.parse(INIT.read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    names = {}
    for stmt in block.body:
        assert isinstance(stmt, ast.ImportFrom)
        for alias in stmt.names:
            module = stmt.module or ""
            names[alias.name] = f"{module}.{alias.name}" if module == "podcap" else module
    return names


def test_what_type_checkers_see_is_what_is_loaded() -> None:
    static = _type_checking_imports()
    eager = {"__version__", *(n for n in podcap.__all__ if n.endswith(("Error", "Warning")))}
    assert set(static) == set(podcap.__all__) - eager
    assert static == podcap._LAZY
    for name, module in static.items():
        loaded = importlib.import_module(module)
        expected = loaded if module == f"podcap.{name}" else getattr(loaded, name)
        assert getattr(podcap, name) is expected, name


def test_every_public_name_imports() -> None:
    namespace: dict[str, object] = {}
    exec(f"from podcap import {', '.join(podcap.__all__)}", namespace)
    assert all(namespace[n] is getattr(podcap, n) for n in podcap.__all__)
    assert set(podcap.__all__) <= set(dir(podcap))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        podcap.simulat  # noqa: B018
