"""``podcap simulate``: the command line on the seed story (examples/seed).

Expected numbers are the seed story's, computed by hand in tests/test_simulate.py: nginx
80 desired, 33 running (2 x c5d.large, 2000m allocatable each under kOps, 180m of DaemonSets per
node and 280m of system Deployments, 100m per nginx pod from the LimitRange: (3360 - 60) / 100),
47 pending, and the kube-scheduler reason below.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import podcap
from podcap.cli import main

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "examples" / "seed"
CLUSTER = str(SEED / "cluster.yaml")
MANIFESTS = str(SEED / "manifests")
REASON = (
    "0/3 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
    " no new claims to deallocate, preemption: 0/3 nodes are available: "
    "1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
)
NGINX_ROW = ["default", "Deployment", "nginx", "80", "33", "47", "0", "0", "0", "0"]


def run_main(*argv: str) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(["simulate", *argv], stream=stream)
    return status, stream.getvalue()


def run_module(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(
        [sys.executable, "-m", "podcap", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def seed_frames() -> podcap.SimulationResult:
    return podcap.simulate(podcap.load_cluster(CLUSTER), MANIFESTS)


def _nginx_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if " nginx " in f" {line} "]


def test_table_output() -> None:
    status, out = run_main("--cluster", CLUSTER, MANIFESTS)
    assert status == 0
    assert NGINX_ROW in _nginx_rows(out)
    assert REASON in out
    # 3 DaemonSets x 3 nodes + coredns 2 + autoscaler 1 + ebs-csi-controller 1 + nginx 33 = 46
    assert "46 running" in out


def test_json_output(seed_frames: podcap.SimulationResult) -> None:
    status, out = run_main("--cluster", CLUSTER, "--output", "json", MANIFESTS)
    assert status == 0
    doc = json.loads(out)
    assert set(doc) == {
        "workloads",
        "nodes",
        "placements",
        "nodeclaims",
        "scale_ups",
        "cost_per_hour",
    }
    assert doc["nodeclaims"] == []
    assert doc["cost_per_hour"] == 0.0
    assert isinstance(doc["workloads"], list)
    assert isinstance(doc["nodes"], list)
    assert len(doc["workloads"]) == 7
    assert len(doc["nodes"]) == 3
    for rec in doc["workloads"]:
        assert list(rec) == list(seed_frames.workloads.columns)
    for rec in doc["nodes"]:
        assert list(rec) == list(seed_frames.nodes.columns)
    nginx = [r for r in doc["workloads"] if r["name"] == "nginx"]
    assert len(nginx) == 1
    assert nginx[0]["namespace"] == "default"
    assert (nginx[0]["desired"], nginx[0]["running"], nginx[0]["pending"]) == (80, 33, 47)
    assert nginx[0]["reason"] == REASON
    placed = [r for r in doc["placements"] if r["name"] == "nginx"]
    assert sum(r["pods"] for r in placed) == 33
    assert {r["node"] for r in placed} == {"workers-0", "workers-1"}
    nodes = {r["node"]: r for r in doc["nodes"]}
    assert nodes["workers-0"]["binding_limit"] == "cpu"
    assert nodes["control-plane-0"]["binding_limit"] == "taint"
    assert nodes["workers-0"]["cpu_allocatable_millicores"] == 2000
    assert nodes["workers-1"]["zone"] == "ap-northeast-2c"


def test_csv_output(seed_frames: podcap.SimulationResult) -> None:
    status, out = run_main("--cluster", CLUSTER, "--output", "csv", MANIFESTS)
    assert status == 0
    frame = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert list(frame.columns) == list(seed_frames.workloads.columns)
    nginx = frame[frame["name"] == "nginx"].iloc[0]
    assert (int(nginx["desired"]), int(nginx["running"]), int(nginx["pending"])) == (80, 33, 47)
    assert nginx["reason"] == REASON


def test_manifests_from_stdin() -> None:
    text = "\n---\n".join(p.read_text() for p in sorted((SEED / "manifests").glob("*.yaml")))
    proc = run_module("simulate", "--cluster", "examples/seed/cluster.yaml", "-", stdin=text)
    assert proc.returncode == 0, proc.stderr
    assert NGINX_ROW in _nginx_rows(proc.stdout)
    assert REASON in proc.stdout


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("podcap: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_missing_cluster_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    proc = run_module("simulate", "--cluster", str(missing), MANIFESTS)
    _assert_clean_failure(proc, "nope.yaml")


def test_malformed_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x\nspec: [\n")
    proc = run_module("simulate", "--cluster", CLUSTER, str(bad))
    _assert_clean_failure(proc, "bad.yaml", "YAML")


def test_unknown_instance_type_in_cluster_file(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "nodeGroups:\n  - name: workers\n    instanceType: c5d.largee\n    count: 2\n"
    )
    proc = run_module("simulate", "--cluster", str(cluster), MANIFESTS)
    _assert_clean_failure(proc, "c5d.largee", "nodeGroups[0]")


def test_bad_input_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_main("--cluster", str(tmp_path / "missing.yaml"), MANIFESTS)
    assert status == 2
    assert out == ""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "missing.yaml" in err


def test_warnings_are_one_line_without_python_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifests = tmp_path / "m.yaml"
    manifests.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"
    )
    assert run_main("--cluster", CLUSTER, "--no-system-pods", str(manifests))[0] == 0
    err = capsys.readouterr().err
    assert (
        "podcap: warning: skipped 1 object(s) of kinds podcap does not simulate: Service (1)" in err
    )
    assert ".py:" not in err


def test_ebs_csi_flags(capsys: pytest.CaptureFixture[str]) -> None:
    # --volume-attach-limit 3 on every node: the seed's pods use no volumes, nothing changes
    status, out = run_main("--cluster", CLUSTER, MANIFESTS, "--volume-attach-limit", "3")
    assert status == 0
    assert "nginx       80       33       47" in out
    # aws-ebs-csi-driver pkg/driver/options.go Validate: one or the other
    status, _ = run_main(
        "--cluster",
        CLUSTER,
        MANIFESTS,
        "--volume-attach-limit",
        "3",
        "--reserved-volume-attachments",
        "2",
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "only one of --volume-attach-limit and --reserved-volume-attachments" in err
    status, _ = run_main("--cluster", CLUSTER, MANIFESTS, "--volume-attach-limit", "-3")
    err = capsys.readouterr().err
    assert status == 2
    assert "--volume-attach-limit" in err
    assert "integer >= 0" in err
