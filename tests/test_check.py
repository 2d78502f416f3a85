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
