"""A short seeded fuzz run (``benchmarks/fuzz_inputs.py``): mutated manifests end in a result or
a PodcapError, never in another exception."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_inputs.py"


def test_mutated_manifests_only_raise_podcap_errors() -> None:
    spec = importlib.util.spec_from_file_location("fuzz_inputs", FUZZ)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    escapes = module.run(seed=7, cases=150)
    assert not escapes, escapes


def test_mutated_cluster_files_only_raise_podcap_errors(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("fuzz_inputs", FUZZ)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    escapes = module.run_clusters(seed=7, cases=150, folder=tmp_path)
    assert not escapes, escapes
