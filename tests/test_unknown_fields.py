"""Unknown fields in the parts of a manifest podcap reads: one warning per field path and file,
as ``kubectl apply --validate=warn`` gives them, never an error and never silence.

Known fields: the JSON names of the Kubernetes 1.34 API types (``k8s.io/api`` v0.34.1) and of
Argo Rollouts' ``RolloutSpec`` (see :mod:`podcap.io.fields`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import podcap
from podcap.cli import main
from podcap.io.fields import unknown_fields

REPO = Path(__file__).resolve().parents[1]
CLUSTER = str(REPO / "examples" / "seed" / "cluster.yaml")


def deployment(name: str = "web", **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "x", **container}]},
            },
        },
    }


def caught(sources: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        podcap.load_manifests(sources)
    return [str(w.message) for w in records if issubclass(w.category, podcap.PodcapWarning)]


def test_a_typo_is_one_warning_with_a_suggestion() -> None:
    doc = deployment(resoures={"requests": {"cpu": "100m"}})
    assert caught([doc]) == [
        "<object 0>, document 0 (Deployment web): unknown field "
        '"spec.template.spec.containers[0].resoures" ignored; did you mean "resources"?'
    ]


def test_the_same_path_in_many_documents_of_a_file_is_one_warning_with_a_count(
    tmp_path: Path,
) -> None:
    docs = [deployment(f"w{i}", resoures={}) for i in range(4)]
    docs[2]["spec"]["replica"] = 3
    path = tmp_path / "deploy.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    assert caught(path) == [
        f"{path}, document 0 (Deployment w0): unknown field "
        '"spec.template.spec.containers[0].resoures" ignored; did you mean "resources"? '
        "(also in 3 more documents of this file)",
        f'{path}, document 2 (Deployment w2): unknown field "spec.replica" ignored; did you '
        'mean "replicas"?',
    ]


def test_each_file_is_reported_on_its_own(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(deployment(name[0], resoures={})))
    messages = caught(tmp_path)
    assert len(messages) == 2
    assert [m.split(",")[0] for m in messages] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]


def test_no_suggestion_when_nothing_is_close() -> None:
    doc = deployment()
    doc["metadata"]["colour"] = "blue"
    assert caught([doc]) == [
        '<object 0>, document 0 (Deployment web): unknown field "metadata.colour" ignored'
    ]


@pytest.mark.parametrize(
    ("kind", "path", "field", "suggestion"),
    [
        ("Pod", ("spec",), "tolerations_", "tolerations"),
        ("Pod", ("spec", "containers", 0, "resources"), "request", "requests"),
        ("Pod", ("spec", "containers", 0, "ports", 0), "hostport", "hostPort"),
        ("Pod", ("spec", "tolerations", 0), "efect", "effect"),
        ("Pod", ("spec", "topologySpreadConstraints", 0), "maxskew", "maxSkew"),
        ("Pod", ("spec", "affinity"), "podAntiAfinity", "podAntiAffinity"),
        ("Pod", ("spec", "initContainers", 0), "restartPolicyy", "restartPolicy"),
        ("Job", ("spec",), "paralelism", "parallelism"),
        (
            "CronJob",
            ("spec", "jobTemplate", "spec", "template", "spec"),
            "nodeSelectr",
            "nodeSelector",
        ),
        ("CronJob", ("spec",), "shedule", "schedule"),
        ("StatefulSet", ("spec",), "podManagementPolice", "podManagementPolicy"),
        ("DaemonSet", ("spec", "template", "metadata"), "lables", "labels"),
        ("Rollout", ("spec",), "strategyy", "strategy"),
        ("ReplicationController", ("spec",), "replica", "replicas"),
    ],
)
def test_known_fields_per_object_path(
    kind: str, path: tuple[Any, ...], field: str, suggestion: str
) -> None:
    pod = {
        "containers": [{"name": "c", "resources": {}, "ports": [{"containerPort": 80}]}],
        "initContainers": [{"name": "i"}],
        "tolerations": [{"operator": "Exists"}],
        "topologySpreadConstraints": [{"maxSkew": 1}],
        "affinity": {},
    }
    template = {"metadata": {"labels": {"a": "b"}}, "spec": pod}
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    if kind == "Pod":
        body["spec"] = pod
    elif kind == "CronJob":
        body["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
    else:
        body["spec"] = {"template": template}
    assert unknown_fields(kind, body) == []
    target: Any = body
    for key in path:
        target = target[key]
    target[field] = 1
    dotted = ".".join(f"[{k}]" if isinstance(k, int) else k for k in path).replace(".[", "[")
    assert unknown_fields(kind, body) == [(f"{dotted}.{field}", suggestion)]


def test_only_workloads_are_checked_and_other_kinds_are_skipped_as_before() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spce": {}}
    assert caught([service]) == [
        "skipped 1 object(s) of kinds podcap does not simulate: Service (1)"
    ]


def test_the_warnings_come_before_the_error_they_may_explain() -> None:
    doc = deployment()
    pod = doc["spec"]["template"]["spec"]
    pod["container"] = pod.pop("containers")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        with pytest.raises(podcap.InvalidManifestError, match="a pod needs at least one container"):
            podcap.load_manifests([doc])
    assert [str(w.message) for w in records] == [
        '<object 0>, document 0 (Deployment web): unknown field "spec.template.spec.container" '
        'ignored; did you mean "containers"?'
    ]


def test_warnings_as_errors_still_raise_the_invalid_manifest_error() -> None:
    doc = deployment()
    pod = doc["spec"]["template"]["spec"]
    pod["container"] = pod.pop("containers")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(podcap.InvalidManifestError):
            podcap.load_manifests([doc])


def test_valid_manifests_of_every_kind_warn_nothing() -> None:
    base = deployment()
    base["metadata"].update(
        {"namespace": "default", "annotations": {"a": "b"}, "labels": {"app": "web"}}
    )
    base["spec"].update(
        {"strategy": {}, "minReadySeconds": 5, "revisionHistoryLimit": 3, "paused": False}
    )
    pod = base["spec"]["template"]["spec"]
    pod.update(
        {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "serviceAccountName": "sa",
            "securityContext": {},
            "volumes": [],
            "dnsPolicy": "ClusterFirst",
            "priorityClassName": "",
            "schedulingGates": [],
            "resourceClaims": [],
            "hostnameOverride": "h",
        }
    )
    pod["containers"][0].update(
        {
            "command": ["sh"],
            "env": [],
            "livenessProbe": {},
            "resizePolicy": [],
            "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}, "claims": []},
            "volumeMounts": [],
            "imagePullPolicy": "Always",
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        podcap.load_manifests([base])


def test_the_command_line_prints_one_line_per_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(yaml.safe_dump_all([deployment(f"w{i}", resoures={}) for i in range(3)]))
    argv = ["simulate", "--cluster", CLUSTER, "--no-system-pods", "--engine", "reference"]
    assert main([*argv, str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    ours = [line for line in err if "unknown field" in line]
    assert ours == [
        f"podcap: warning: {path}, document 0 (Deployment w0): unknown field "
        '"spec.template.spec.containers[0].resoures" ignored; did you mean "resources"? '
        "(also in 2 more documents of this file)"
    ]
    assert not any(".py:" in line for line in err)
