"""``podcap.testing``: its strategies draw inputs podcap accepts, and hostile ones it answers.

Invariants: every valid input simulates to a result whose outcome columns add up to ``desired``
(per workload); every mutated input ends in a result (with the same invariant) or a
``PodcapError``, never another exception.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podcap
from podcap import testing
from podcap.model.validation import label_key_errors, label_value_errors
from podcap.pipeline.results import OUTCOMES

REPO = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINES = st.sampled_from(["fast", "reference"])


def outcomes_add_up(result: podcap.SimulationResult) -> None:
    w = result.workloads
    pd.testing.assert_series_equal(
        w[list(OUTCOMES)].sum(axis=1), w["desired"], check_names=False, check_dtype=False
    )
    assert (w[list(OUTCOMES)] >= 0).all().all()


@settings(max_examples=200)
@given(key=testing.label_keys(), value=testing.label_values())
def test_labels_are_valid(key: str, value: str) -> None:
    assert label_key_errors(key) == []
    assert label_value_errors(value) == []


@SETTINGS
@given(cluster=testing.clusters(), text=testing.manifests(), engine=ENGINES)
def test_valid_manifests_simulate_and_outcomes_add_up(
    cluster: podcap.Cluster, text: str, engine: Any
) -> None:
    # valid input warns nothing (pytest turns podcap's warnings into errors)
    outcomes_add_up(podcap.simulate(cluster, text, engine=engine))


@SETTINGS
@given(text=testing.cluster_files(), docs=testing.manifest_documents(), engine=ENGINES)
def test_valid_cluster_files_simulate_and_outcomes_add_up(
    text: str, docs: list[dict[str, Any]], engine: Any
) -> None:
    outcomes_add_up(podcap.simulate(podcap.load_cluster(text), docs, engine=engine))


@SETTINGS
@given(
    cluster=testing.clusters(),
    items=st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
    data=st.data(),
)
def test_workload_spec_objects_simulate_and_outcomes_add_up(
    cluster: podcap.Cluster, items: list[int], data: st.DataObject
) -> None:
    workloads = [data.draw(testing.workloads(name=f"w{i}")) for i in range(len(items))]
    result = podcap.simulate(cluster, podcap.Manifests(workloads=workloads))
    outcomes_add_up(result)
    assert list(result.workloads["name"]) == [w.name for w in workloads]


def result_or_podcap_error(cluster: Any, docs: Any, engine: Any = "fast") -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = podcap.simulate(cluster, docs, engine=engine)
        except podcap.PodcapError:
            return
    outcomes_add_up(result)


@SETTINGS
@given(
    cluster=testing.clusters(),
    docs=testing.mutated(testing.manifest_documents()),
    engine=ENGINES,
)
def test_mutated_manifests_end_in_a_result_or_a_podcap_error(
    cluster: podcap.Cluster, docs: list[dict[str, Any]], engine: Any
) -> None:
    result_or_podcap_error(cluster, docs, engine)


@SETTINGS
@given(
    doc=testing.mutated(testing.cluster_documents(), testing.HOSTILE_CLUSTER_VALUES),
    docs=testing.manifest_documents(max_size=2),
)
def test_mutated_cluster_files_end_in_a_result_or_a_podcap_error(
    doc: dict[str, Any], docs: list[dict[str, Any]]
) -> None:
    text = yaml.safe_dump(doc)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster = podcap.load_cluster(text if "\n" in text else text + "\n")
    except podcap.PodcapError:
        return
    result_or_podcap_error(cluster, docs)


def test_mutate_is_seeded_and_leaves_its_input_alone() -> None:
    import random

    base = {"nodeGroups": [{"name": "g", "instanceType": "m5.large", "count": 1}]}
    first = testing.mutate(base, random.Random(3))
    assert first == testing.mutate(base, random.Random(3))
    assert first != base
    assert base == {"nodeGroups": [{"name": "g", "instanceType": "m5.large", "count": 1}]}


def test_importing_podcap_does_not_import_hypothesis() -> None:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "import sys, podcap; assert 'hypothesis' not in sys.modules, 'imported'"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
