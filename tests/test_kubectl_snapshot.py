"""``podcap snapshot DIR``: kubectl get -o json for the objects podcap reads, written to DIR.

kubectl is replaced by a stand-in script written by each test: it answers ``get RESOURCE ...
-o json`` with canned Lists (the shape kubectl prints; the nodes and pods are those of
``examples/snapshot``), says what kubectl says for a resource type the server does not serve
(``error: the server doesn't have a resource type "X"``, exit 1) and logs its arguments.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import podcap
from podcap.cli import main
from podcap.errors import KubectlError, PodcapError, SnapshotWriteError
from podcap.io.kubectl import SNAPSHOT_RESOURCES, write_snapshot

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "snapshot"
ROLLOUT = EXAMPLE / "rollout.yaml"


def kube_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}


def _example(kind: str) -> list[dict[str, Any]]:
    items = json.loads((EXAMPLE / "policies.json").read_text())["items"]
    return [i for i in items if i["kind"] == kind]


NODE_POOL = {
    "apiVersion": "karpenter.sh/v1",
    "kind": "NodePool",
    "metadata": {"name": "default"},
    "spec": {
        "template": {
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": "default",
                },
                "requirements": [
                    {
                        "key": "node.kubernetes.io/instance-type",
                        "operator": "In",
                        "values": ["m5.large"],
                    }
                ],
            }
        }
    },
}
NODE_CLASS = {
    "apiVersion": "karpenter.k8s.aws/v1",
    "kind": "EC2NodeClass",
    "metadata": {"name": "default"},
    "spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}]},
}
PRIORITY_CLASSES = [
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": 2000001000,
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "batch-low"},
        "value": -10,
    },
]


def responses(*, karpenter: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "nodes": json.loads((EXAMPLE / "nodes.json").read_text()),
        "pods": json.loads((EXAMPLE / "pods.json").read_text()),
        "limitranges": kube_list(_example("LimitRange")),
        "resourcequotas": kube_list(_example("ResourceQuota")),
        "priorityclasses.scheduling.k8s.io": kube_list(PRIORITY_CLASSES),
    }
    if karpenter:
        out["nodepools.v1.karpenter.sh"] = kube_list([NODE_POOL])
        out["ec2nodeclasses.v1.karpenter.k8s.aws"] = kube_list([NODE_CLASS])
    return out


STAND_IN = """\
#!{python}
import json, sys
from pathlib import Path
here = Path(__file__).resolve().parent
args = sys.argv[1:]
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps(args) + "\\n")
answers = json.loads((here / "answers.json").read_text())
if "get" not in args or args[-2:] != ["-o", "json"]:
    sys.stderr.write("error: unknown command line " + " ".join(args) + "\\n")
    sys.exit(2)
resource = args[args.index("get") + 1]
fail = answers.get("__fail__", {{}})
if resource in fail:
    sys.stderr.write(fail[resource] + "\\n")
    sys.exit(1)
if resource not in answers:
    sys.stderr.write('error: the server doesn\\'t have a resource type "%s"\\n' % resource.split(".")[0])
    sys.exit(1)
sys.stdout.write(answers[resource] if isinstance(answers[resource], str) else json.dumps(answers[resource], indent=2))
"""


def stand_in(tmp_path: Path, answers: dict[str, Any]) -> Path:
    """A kubectl that answers from ``answers`` (resource -> List, or text printed as is)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "kubectl"
    exe.write_text(STAND_IN.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (bindir / "answers.json").write_text(json.dumps(answers))
    return exe


def calls(exe: Path) -> list[list[str]]:
    log = exe.parent / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


needs_posix = pytest.mark.skipif(os.name != "posix", reason="the stand-in kubectl is a script")


@needs_posix
def test_snapshot_writes_what_podcap_reads_and_reads_back(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses())
    out_dir = tmp_path / "snap"
    written = write_snapshot(out_dir, kubectl=str(exe), context="prod", kubeconfig="/k/config")
    names = [p.name for p in written.files]
    assert names == [r.file for r in SNAPSHOT_RESOURCES]
    assert written.items["nodes.json"] == 3
    assert written.items["pods.json"] == 21
    assert written.notes == []
    # every call is kubectl [--kubeconfig F] [--context C] get RESOURCE [-A] -o json
    got = calls(exe)
    assert got[0] == [
        "--kubeconfig",
        "/k/config",
        "--context",
        "prod",
        "get",
        "nodes",
        "-o",
        "json",
    ]
    assert got[1][4:] == ["get", "pods", "--all-namespaces", "-o", "json"]
    assert [c[5] for c in got] == [r.resource for r in SNAPSHOT_RESOURCES]
    assert not list(out_dir.glob(".*"))  # no partial files left
    # read back: the 3 nodes with their pods, the policies, the Karpenter NodePool
    with pytest.warns(podcap.PodcapWarning, match="Succeeded, holds no resources"):
        state = podcap.read_cluster(out_dir)
    assert state.cluster.node_count == 3
    assert state.karpenter is not None
    assert [p.name for p in state.karpenter.node_pools] == ["default"]
    result = podcap.simulate(state, [ROLLOUT])
    row = result.workloads.set_index("name").loc["payments"]
    assert row["desired"] == 20
    assert (
        row["running"]
        + row["pending"]
        + row["container_creating"]
        + row["not_created"]
        + row["rejected"]
        == 20
    )


@needs_posix
def test_snapshot_directory_simulates_like_the_example(tmp_path: Path) -> None:
    # The same objects as examples/snapshot, split per kind: the same answer.
    exe = stand_in(tmp_path, responses(karpenter=False))
    write_snapshot(tmp_path / "snap", kubectl=str(exe))
    with pytest.warns(podcap.PodcapWarning, match="not used"):
        snap = podcap.read_cluster(tmp_path / "snap")
    with pytest.warns(podcap.PodcapWarning, match="not used"):
        example = podcap.read_cluster(EXAMPLE)
    mine = podcap.simulate(snap, [ROLLOUT]).workloads
    theirs = podcap.simulate(example, [ROLLOUT]).workloads
    cols = ["namespace", "name", "desired", "running", "pending", "container_creating"]
    assert mine[cols].to_dict("records") == theirs[cols].to_dict("records")


@needs_posix
def test_missing_karpenter_crds_are_left_out_with_a_note(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses(karpenter=False))
    out_dir = tmp_path / "snap"
    out_dir.mkdir()
    (out_dir / "nodepools.json").write_text(json.dumps(kube_list([NODE_POOL])))  # an old one
    written = write_snapshot(out_dir, kubectl=str(exe))
    assert [p.name for p in written.files] == [
        "nodes.json",
        "pods.json",
        "limitranges.json",
        "resourcequotas.json",
        "priorityclasses.json",
    ]
    assert not (out_dir / "nodepools.json").exists()
    assert len(written.notes) == 2
    assert written.notes[0].startswith("nodepools.v1.karpenter.sh: not served by this cluster")
    with pytest.warns(podcap.PodcapWarning, match="Succeeded, holds no resources"):
        state = podcap.read_cluster(out_dir)
    assert state.karpenter is None


@needs_posix
def test_cli_snapshot_then_simulate(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses(karpenter=False))
    out = io.StringIO()
    snap = tmp_path / "snap"
    assert (
        main(["snapshot", str(snap), "--kubectl", str(exe), "--context", "prod"], stream=out) == 0
    )
    text = out.getvalue()
    assert f"wrote 5 file(s) to {snap}:" in text
    assert "nodes.json" in text
    assert "3 object(s)" in text
    assert "note: nodepools.v1.karpenter.sh: not served by this cluster" in text
    assert f"podcap simulate --cluster {snap} MANIFEST" in text
    out = io.StringIO()
    assert (
        main(["simulate", "--cluster", str(snap), str(ROLLOUT), "--output", "json"], stream=out)
        == 0
    )
    assert any(r["name"] == "payments" for r in json.loads(out.getvalue())["workloads"])


def test_kubectl_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KubectlError, match="kubectl not found: no 'kubectl' on PATH; install"):
        write_snapshot(tmp_path / "snap")
    assert not (tmp_path / "snap").exists()


def test_kubectl_path_not_executable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "kubectl"
    assert main(["snapshot", str(tmp_path / "snap"), "--kubectl", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"podcap: error: kubectl not found: {missing} is not an executable file "
        "(give --kubectl PATH)\n"
    )


@needs_posix
def test_failing_get_shows_kubectls_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = responses()
    answers["__fail__"] = {
        "pods": 'Error from server (Forbidden): pods is forbidden: User "dev" cannot list '
        'resource "pods" in API group "" at the cluster scope'
    }
    exe = stand_in(tmp_path, answers)
    out_dir = tmp_path / "snap"
    assert main(["snapshot", str(out_dir), "--kubectl", str(exe)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"podcap: error: {exe} get pods --all-namespaces -o json failed (exit status 1): "
        'Error from server (Forbidden): pods is forbidden: User "dev" cannot list'
    )
    # a failed snapshot writes nothing: no file of this run, no temporary file left
    assert not (out_dir / "nodes.json").exists()
    assert not (out_dir / "pods.json").exists()
    assert not list(out_dir.glob(".*"))


@needs_posix
def test_a_failed_snapshot_leaves_an_earlier_one_whole(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses())
    out_dir = tmp_path / "snap"
    assert main(["snapshot", str(out_dir), "--kubectl", str(exe)]) == 0
    before = {p.name: p.read_bytes() for p in out_dir.glob("*.json")}
    answers = responses()
    answers["__fail__"] = {"pods": "error: the server is gone"}
    (tmp_path / "second").mkdir()
    failing = stand_in(tmp_path / "second", answers)
    assert main(["snapshot", str(out_dir), "--kubectl", str(failing)]) == 2
    assert {p.name: p.read_bytes() for p in out_dir.glob("*.json")} == before


@needs_posix
def test_missing_core_type_is_an_error(tmp_path: Path) -> None:
    answers = responses()
    del answers["priorityclasses.scheduling.k8s.io"]
    exe = stand_in(tmp_path, answers)
    with pytest.raises(KubectlError) as info:
        write_snapshot(tmp_path / "snap", kubectl=str(exe))
    assert str(info.value) == (
        f"{exe} get priorityclasses.scheduling.k8s.io -o json: the cluster has no resource type "
        "'priorityclasses.scheduling.k8s.io', which podcap reads from every cluster: "
        'error: the server doesn\'t have a resource type "priorityclasses"'
    )


@needs_posix
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("No resources found", "kubectl did not print JSON: Expecting value"),
        (
            '{"kind": "Node", "metadata": {"name": "a"}}',
            "expected a List with items from kubectl, got Node",
        ),
        ("[1, 2]", "expected a List with items from kubectl, got list"),
    ],
)
def test_output_that_is_not_a_list(tmp_path: Path, answer: str, message: str) -> None:
    answers = responses()
    answers["nodes"] = answer
    exe = stand_in(tmp_path, answers)
    with pytest.raises(KubectlError, match=message):
        write_snapshot(tmp_path / "snap", kubectl=str(exe))
    assert not (tmp_path / "snap" / "nodes.json").exists()


@needs_posix
def test_directory_errors(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses())
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(SnapshotWriteError, match="exists and is not a directory"):
        write_snapshot(a_file, kubectl=str(exe))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # running as root: permissions do not stop us
            pytest.skip("the directory stays writable for this user")
        with pytest.raises(SnapshotWriteError, match="the snapshot directory is not writable"):
            write_snapshot(locked, kubectl=str(exe))
    finally:
        locked.chmod(0o700)
    assert isinstance(SnapshotWriteError("x"), OSError)
    assert isinstance(KubectlError("x"), (RuntimeError, PodcapError))


@needs_posix
def test_other_files_in_the_directory_are_named(tmp_path: Path) -> None:
    exe = stand_in(tmp_path, responses(karpenter=False))
    out_dir = tmp_path / "snap"
    out_dir.mkdir()
    (out_dir / "extra.json").write_text(json.dumps(kube_list([])))
    written = write_snapshot(out_dir, kubectl=str(exe))
    assert written.notes[-1] == (
        f"{out_dir} also holds extra.json, which --cluster reads with the snapshot"
    )


def test_stand_in_script_is_well_formed() -> None:
    # the template renders (braces escaped) and is valid Python
    compile(textwrap.dedent(STAND_IN.format(python=sys.executable)), "kubectl", "exec")
