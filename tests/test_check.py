"""``podcap check``: the CI gate.  Exit 0 and "OK" when every replica runs; exit 1 with a
one-screen explanation (workload, reason, a concrete fix) when not; exit 2 on bad input.

Expected numbers are computed by hand in the comments (allocatable and system pod requests as
in tests/test_clusters.py: c5d.large under kOps 2000m; DaemonSets aws-node 50m, kube-proxy
100m, ebs-csi-node 30m = 180m per node; kOps system Deployments coredns 2 x 100m,
coredns-autoscaler 20m, ebs-csi-controller 60m = 280m).
"""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

import podcap
from podcap.cli import main

REPO = Path(__file__).resolve().parents[1]
EKSCTL = REPO / "examples" / "eksctl" / "cluster.yaml"
KOPS = REPO / "examples" / "kops" / "cluster.yaml"
SEED_APP = REPO / "examples" / "seed" / "manifests" / "app.yaml"
SNAPSHOT = REPO / "examples" / "snapshot"

SMALL_APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1
          resources: {requests: {cpu: 100m, memory: 128Mi}}
"""

NGINX_WITH_REQUEST = """
apiVersion: v1
kind: LimitRange
metadata: {{name: limits, namespace: default}}
spec:
  limits:
    - type: Container
      defaultRequest: {{cpu: 100m}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: default}}
spec:
  replicas: 80
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          resources: {{requests: {{cpu: {cpu}m}}}}
"""


def run_check(*argv: str) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(["check", *argv], stream=stream)
    return status, stream.getvalue()


def nginx_running(cluster: podcap.ClusterState, manifests: object) -> int:
    result = podcap.simulate(cluster, manifests)
    w = result.workloads
    return int(w.loc[w["name"] == "nginx", "running"].iloc[0])


def test_check_ok_on_the_eksctl_example(tmp_path: Path) -> None:
    app = tmp_path / "web.yaml"
    app.write_text(SMALL_APP)
    status, out = run_check("--cluster", str(EKSCTL), str(app))
    assert status == 0
    assert out.startswith("OK")
    # Pods counted: 6 nodes (2 m5.xlarge + 2 m5a.xlarge + 2 c5.2xlarge) x 3 DaemonSets
    # (aws-node, kube-proxy, ebs-csi-node; they tolerate the batch taint) = 18, coredns 2,
    # ebs-csi-controller 2 (EKS add-on default), web 3: 25 pods of 6 workloads.
    assert "25 pods of 6 workloads" in out
    assert "FAIL" not in out


@pytest.fixture(scope="module")
def seed_check() -> tuple[int, str]:
    return run_check("--cluster", str(KOPS), str(SEED_APP))


def test_check_fails_with_a_one_screen_explanation(seed_check: tuple[int, str]) -> None:
    status, out = seed_check
    assert status == 1
    lines = out.rstrip("\n").splitlines()
    assert len(lines) <= 24  # one screen
    assert lines[0].startswith("FAIL")
    # workload and outcome: 33 of 80 run, 47 pend (see tests/test_clusters.py)
    assert "Deployment default/nginx: 33/80 running (pending=47)" in out
    # the reason, as kube-scheduler words it
    assert "Insufficient cpu" in out
    assert "would fix it" in out
    assert "Traceback" not in out


def test_check_suggests_node_count_that_really_works(seed_check: tuple[int, str]) -> None:
    # By hand: n c5d.large workers leave n x 1820m after DaemonSets, minus 280m of system
    # Deployments, for 80 x 100m = 8000m: n = 4 gives 7000m (< 8000m, fails whatever the
    # packing), n = 5 gives 8820m (every node takes 16-18 pods of 100m, well under maxPods 100
    # and 432 pod IPs).  So 5.
    _, out = seed_check
    m = re.search(r"scale node group (\S+) from (\d+) to (\d+) nodes", out)
    assert m is not None, out
    group, current, n = m.group(1), int(m.group(2)), int(m.group(3))
    assert (group, current, n) == ("nodes", 2, 5)
    ci = podcap.read_cluster(KOPS)
    assert nginx_running(ci.change_node_group(group, count=n), SEED_APP) == 80
    assert nginx_running(ci.change_node_group(group, count=n - 1), SEED_APP) < 80


def test_check_suggests_a_smaller_request_that_really_works(
    seed_check: tuple[int, str], tmp_path: Path
) -> None:
    # By hand: 2 x 1820m - 280m = 3360m for 80 pods.  42m x 80 = 3360m would need no waste at
    # all, but the 280m of Deployments split over the two nodes (x on node A) as subsets of
    # {100, 100, 20, 60} and (1820 - x) is never a multiple of 42 for those x: 42m fails.
    # 41m: floor((1820 - x) / 41) + floor((1540 + x) / 41) = 81 >= 80 for every such x.
    _, out = seed_check
    m = re.search(r"lower the cpu request per container from 100m to (\d+)m", out)
    assert m is not None, out
    cpu = int(m.group(1))
    assert cpu == 41
    ci = podcap.read_cluster(KOPS)
    fits = tmp_path / "fits.yaml"
    fits.write_text(textwrap.dedent(NGINX_WITH_REQUEST.format(cpu=cpu)))
    assert nginx_running(ci, fits) == 80
    too_big = tmp_path / "too_big.yaml"
    too_big.write_text(textwrap.dedent(NGINX_WITH_REQUEST.format(cpu=cpu + 1)))
    assert nginx_running(ci, too_big) < 80


def test_check_on_a_snapshot_names_the_quota(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # examples/snapshot + rollout.yaml (hand computation in tests/test_snapshot.py): payments
    # 9 of 20 run, 6 pend, 5 are never created (shop-quota requests.cpu 6 with 3000m used).
    # A smaller request: r with 680//r + 680//r + 780//r >= 20 (and 20r <= 3000m of quota):
    # r = 97 gives 7 + 7 + 8 = 22; r = 98 gives 6 + 6 + 7 = 19.  So 97m.
    status, out = run_check("--cluster", str(SNAPSHOT), str(SNAPSHOT / "rollout.yaml"))
    warned = [line for line in capsys.readouterr().err.splitlines() if "migrate" in line]
    assert len(warned) == 1
    assert warned[0].startswith("podcap: warning: ")
    assert status == 1
    assert "Deployment shop/payments: 9/20 running (pending=6, not_created=5)" in out
    assert "ResourceQuota" in out
    assert "from 200m to 97m" in out


def test_check_from_python_returns_a_report() -> None:
    ci = podcap.read_cluster(KOPS)
    report = podcap.check(ci, SEED_APP)
    assert isinstance(report, podcap.CheckReport)
    assert report.ok is False
    assert report.problems
    assert any("default/nginx" in p for p in report.problems)
    assert str(report).startswith("FAIL")
    w = report.result.workloads
    assert int(w.loc[w["name"] == "nginx", "pending"].iloc[0]) == 47


def test_check_from_python_ok(tmp_path: Path) -> None:
    app = tmp_path / "web.yaml"
    app.write_text(SMALL_APP)
    report = podcap.check(podcap.read_cluster(EKSCTL), app)
    assert report.ok is True
    assert report.problems == []


@pytest.mark.parametrize("which", ["cluster", "manifest"])
def test_check_bad_input_exits_2_without_traceback(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "does-not-exist.yaml"
    cluster, manifest = (missing, SEED_APP) if which == "cluster" else (KOPS, missing)
    status, out = run_check("--cluster", str(cluster), str(manifest))
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err + out
    assert str(missing) in err
    assert err.startswith("podcap: error:")
    assert len(err.strip().splitlines()) == 1


def test_check_no_system_pods(tmp_path: Path) -> None:
    # Without implied pods the two workers hold 2 x 2000m / 100m = 40 nginx pods.
    status, out = run_check("--cluster", str(KOPS), "--no-system-pods", str(SEED_APP))
    assert status == 1
    assert "Deployment default/nginx: 40/80 running (pending=40)" in out


def test_check_json_and_markdown_outputs() -> None:
    status, out = run_check("--cluster", str(KOPS), str(SEED_APP), "--output", "json")
    assert status == 1
    data = json.loads(out)
    assert data["ok"] is False
    (finding,) = data["findings"]
    assert (finding["kind"], finding["name"], finding["running"], finding["pending"]) == (
        "Deployment",
        "nginx",
        33,
        47,
    )
    assert finding["limits"] == ["cpu", "taint"]
    assert finding["fixes"]
    status, out = run_check("--cluster", str(KOPS), str(SEED_APP), "--output", "markdown")
    assert status == 1
    assert out.startswith("### podcap check: FAIL")
    assert "| Deployment default/nginx | 33/80 | 47 | 0 | 0 | 0 |" in out


# ---------------------------------------------------------------------------------------------
# many failing workloads: one combined fix, verified, and the per-workload view
#
# One m5.large with overhead "none" (allocatable = capacity: 2000m cpu, 29 pods) and no system
# pods, so every number below is computed by hand.


def one_node(count: int = 1) -> podcap.Cluster:
    return podcap.Cluster([podcap.NodeGroup("workers", "m5.large", count, overhead="none")])


def deployment(name: str, replicas: int, cpu: str) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": name, "image": "x", "resources": {"requests": {"cpu": cpu}}}
                    ]
                },
            },
        },
    }


def all_run(cluster: object, manifests: object) -> bool:
    w = podcap.simulate(cluster, manifests).workloads
    return bool((w["running"] == w["desired"]).all())


def test_one_node_count_for_all_failing_workloads_together() -> None:
    # a and b: 10 pods of 500m each; a node holds 4 (2000m).  Alone, either needs 3 nodes
    # (12 slots); together they need 20 slots: 5 nodes (4 nodes hold 16).  Per-workload counts
    # (3 and 3) do not add up; the report gives 5 for both.
    docs = [deployment("a", 10, "500m"), deployment("b", 10, "500m")]
    report = podcap.check(one_node(), docs)
    assert not report.ok
    (nodes,) = [c for c in report.combined if "node_groups" in c]
    assert nodes["node_groups"] == {"workers": [1, 5]}
    assert nodes["workloads"] == ["Deployment default/a", "Deployment default/b"]
    assert all_run(one_node(5), docs)
    assert not all_run(one_node(4), docs)
    for f in report.findings:
        assert any(
            fix.startswith("scale node group workers from 1 to 5 nodes (with the other workload")
            for fix in f["fixes"]
        ), f["fixes"]
    text = str(report)
    assert "would fix them together (each verified by one simulation):" in text
    assert "  - scale node group workers from 1 to 5 nodes" in text
    # the per-workload view adds up: a misses 6 pods (4 ran), b 10; a new node holds 4 of
    # them, so 1.5 and 2.5 new nodes: the 4 the combined fix adds
    needs = {f["name"]: f["needs"] for f in report.findings}
    assert {k: (v["pods"], v["pods_per_new_node"]) for k, v in needs.items()} == {
        "a": (6, 4),
        "b": (10, 4),
    }
    assert sum(v["new_nodes"] for v in needs.values()) == 4
    assert "room for 6 more pod(s) of 500m cpu, 1.50 of a new node of workers" in text


def test_one_request_level_for_all_failing_workloads_together() -> None:
    # a: 5 pods of 500m, b: 3 pods of 500m, on one 2000m node: a runs 4, b none.  All 8 pods
    # need r with 8r <= 2000, so 250m for both (8 x 251m = 2008m does not fit).
    docs = [deployment("a", 5, "500m"), deployment("b", 3, "500m")]
    report = podcap.check(one_node(), docs)
    (cpu,) = [c for c in report.combined if c.get("resource") == "cpu"]
    assert cpu["requests"] == {"Deployment default/a": 250, "Deployment default/b": 250}
    for f in report.findings:
        assert (
            "lower the cpu request per container from 500m to 250m (with the other workload "
            "short of cpu lowered alike)"
        ) in f["fixes"]
    assert all_run(one_node(), [deployment("a", 5, "250m"), deployment("b", 3, "250m")])
    assert not all_run(one_node(), [deployment("a", 5, "251m"), deployment("b", 3, "251m")])


def test_no_request_fix_when_pod_slots_bind() -> None:
    # 40 pods of 100m on one node of 29 pod slots: no cpu request lets 40 pods run there, so
    # none is claimed (the estimate says so without a simulation); 2 nodes (58 slots) do.
    docs = [deployment("many", 40, "100m")]
    report = podcap.check(one_node(), docs)
    assert [c.get("resource") for c in report.combined] == [None]
    assert report.combined[0]["node_groups"] == {"workers": [1, 2]}
    assert all_run(one_node(2), docs)


def test_a_pod_larger_than_a_node_gets_no_node_fix() -> None:
    report = podcap.check(one_node(), [deployment("huge", 1, "3")])
    (f,) = report.findings
    assert not any("scale node group" in fix for fix in f["fixes"])
    assert f["needs"]["pods_per_new_node"] == 0
    assert "the pod does not fit on a new node of workers" in str(report)


def test_simulations_do_not_grow_with_the_number_of_workloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 60 failing workloads: one simulation, then at most MAX_VERIFICATIONS per combined fix
    # (nodes, cpu, memory), not a search per workload.
    from podcap.analysis import check as module

    calls = []
    real = module.simulate

    def counted(*args: object, **kwargs: object) -> podcap.SimulationResult:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "simulate", counted)
    docs = [deployment(f"w{i}", 2, "300m") for i in range(60)]
    report = podcap.check(one_node(), docs)
    assert len(report.findings) > 50
    assert len(calls) <= 3 * module.MAX_VERIFICATIONS
    (nodes,) = [c for c in report.combined if "node_groups" in c]
    assert nodes["simulations"] <= module.MAX_VERIFICATIONS
    count = nodes["node_groups"]["workers"][1]
    assert all_run(one_node(count), docs)


def test_an_estimate_that_falls_short_is_grown_and_verified_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Make the estimate one new node (a and b of the first test need four): the simulation
    # does not confirm it, the estimate is grown from what is still missing, and the fix
    # reported is one a simulation confirmed.
    from podcap.analysis import check as module

    monkeypatch.setattr(module, "_new_nodes", lambda *args: 1)
    docs = [deployment("a", 10, "500m"), deployment("b", 10, "500m")]
    report = podcap.check(one_node(), docs)
    (nodes,) = [c for c in report.combined if "node_groups" in c]
    assert nodes["simulations"] > 1
    assert all_run(one_node(nodes["node_groups"]["workers"][1]), docs)


def test_no_fix_is_claimed_that_no_simulation_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    # One verification allowed and an estimate that falls short: no node fix is reported.
    from podcap.analysis import check as module

    monkeypatch.setattr(module, "_new_nodes", lambda *args: 1)
    monkeypatch.setattr(module, "MAX_VERIFICATIONS", 1)
    docs = [deployment("a", 10, "500m"), deployment("b", 10, "500m")]
    report = podcap.check(one_node(), docs)
    assert not any("node_groups" in c for c in report.combined)
    assert not any("scale node group" in fix for f in report.findings for fix in f["fixes"])


def test_combined_fixes_in_json_and_markdown() -> None:
    docs = [deployment("a", 10, "500m"), deployment("b", 10, "500m")]
    report = podcap.check(one_node(), docs)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["combined"][0]["fix"] == "scale node group workers from 1 to 5 nodes"
    assert data["findings"][0]["needs"]["pods"] == 6
    md = report.to_markdown()
    assert "**Would fix them together** (each verified by one simulation):" in md
    assert "- scale node group workers from 1 to 5 nodes" in md
    assert "- needs: room for 6 more pod(s) of 500m cpu" in md
