"""Reading Kubernetes manifests and cluster files: sources, apply order, kinds, errors.

Expected values are hand-computed from the manifests written here, or come from Kubernetes
semantics cited per test:

* kubectl apply of a multi-document file / directory applies every object; ``kind: List``
  expands to its items; an empty document is skipped.
* Deployment/ReplicaSet/StatefulSet ``spec.replicas`` defaults to 1 (API defaulting).
* Job: ``spec.parallelism`` defaults to 1, and "the actual number of pods running in parallel
  will not exceed the number of remaining completions" (kubernetes.io/docs/concepts/workloads/
  controllers/job/, "Controlling parallelism").
* Toleration operator is ``Equal`` or ``Exists``; taint effect is ``NoSchedule``,
  ``PreferNoSchedule`` or ``NoExecute`` (concepts/scheduling-eviction/taint-and-toleration/).

podcap numbers documents from 0 in the order they appear in their file or text.
"""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import pytest
import yaml

import podcap
from podcap import InvalidManifestError, PodcapError, PodcapWarning

OUTCOMES = ["running", "pending", "container_creating", "not_created", "rejected"]


def deploy(
    name: str,
    replicas: int | None = 1,
    cpu: str | None = None,
    namespace: str | None = None,
    kind: str = "Deployment",
) -> str:
    """A Deployment-like object as YAML text (no leading '---')."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    reps = f"\n  replicas: {replicas}" if replicas is not None else ""
    res = f"\n        resources:\n          requests:\n            cpu: {cpu}" if cpu else ""
    api = "v1" if kind == "Pod" else "apps/v1"
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}{ns}\nspec:{reps}\n"
        f"  selector:\n    matchLabels:\n      app: {name}\n"
        f"  template:\n    metadata:\n      labels:\n        app: {name}\n"
        f"    spec:\n      containers:\n      - name: app\n        image: nginx{res}\n"
    )


NAMESPACE_A = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n"
SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-svc\nspec:\n  ports: [{port: 80}]\n"
)
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  a: b\n"
LIMITRANGE_100M = textwrap.dedent(
    """\
    apiVersion: v1
    kind: LimitRange
    metadata:
      name: limits
    spec:
      limits:
      - type: Container
        defaultRequest:
          cpu: 100m
    """
)


def join(*docs: str) -> str:
    return "---\n" + "---\n".join(docs)


@pytest.fixture(scope="module")
def cluster() -> podcap.Cluster:
    # 3 x m5.xlarge: room for every small workload below.
    return podcap.Cluster([podcap.NodeGroup("w", "m5.xlarge", 3)])


def names(ms: podcap.Manifests) -> list[tuple[str, str, int]]:
    return [(w.kind, w.name, w.replicas) for w in ms.workloads]


def accounted(result: podcap.SimulationResult) -> None:
    w = result.workloads
    assert (w[OUTCOMES].sum(axis=1) == w["desired"]).all()


# ---------------------------------------------------------------------------------------------
# sources


def test_multi_document_text():
    text = join(NAMESPACE_A, LIMITRANGE_100M, deploy("web", 3), deploy("api", 2))
    ms = podcap.load_manifests(text)
    assert ms.namespaces == ["team-a"]
    assert [lr.name for lr in ms.limit_ranges] == ["limits"]
    assert names(ms) == [("Deployment", "web", 3), ("Deployment", "api", 2)]
    assert ms.skipped == []


def test_file_path_as_str_and_pathlike(tmp_path: Path):
    f = tmp_path / "app.yaml"
    f.write_text(join(deploy("web", 2), deploy("api", 4)))
    for src in (f, str(f)):
        ms = podcap.load_manifests(src)
        assert names(ms) == [("Deployment", "web", 2), ("Deployment", "api", 4)]


def test_directory_reads_yaml_files_in_sorted_order_and_ignores_others(tmp_path: Path):
    d = tmp_path / "manifests"
    (d / "sub").mkdir(parents=True)
    (d / "b.yml").write_text(deploy("second", 2))
    (d / "a.yaml").write_text(deploy("first", 1))
    (d / "sub" / "c.yaml").write_text(deploy("third", 3))
    (d / "z.json").write_text(json.dumps(yaml.safe_load(deploy("fourth", 4))))
    (d / "README.md").write_text("kind: Deployment\nnot: a manifest\n")
    (d / "notes.txt").write_text("::: not yaml :::")
    ms = podcap.load_manifests(d)
    # sorted paths: a.yaml, b.yml, sub/c.yaml, z.json; README.md and notes.txt are not manifests
    assert names(ms) == [
        ("Deployment", "first", 1),
        ("Deployment", "second", 2),
        ("Deployment", "third", 3),
        ("Deployment", "fourth", 4),
    ]


def test_directory_without_manifests_is_an_error(tmp_path: Path):
    (tmp_path / "README.md").write_text("hello")
    with pytest.raises(InvalidManifestError, match=r"no \.yaml, \.yml or \.json files"):
        podcap.load_manifests(tmp_path)


def test_missing_path_is_an_error(tmp_path: Path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(missing)
    assert str(missing) in str(info.value)


def test_dicts_and_lists_of_sources(tmp_path: Path):
    obj = yaml.safe_load(deploy("from-dict", 2))
    assert names(podcap.load_manifests(obj)) == [("Deployment", "from-dict", 2)]
    f = tmp_path / "x.yaml"
    f.write_text(deploy("from-file", 3))
    ms = podcap.load_manifests([obj, f, deploy("from-text", 4)])
    assert sorted(names(ms)) == [
        ("Deployment", "from-dict", 2),
        ("Deployment", "from-file", 3),
        ("Deployment", "from-text", 4),
    ]


def test_kind_list_is_expanded():
    items = [yaml.safe_load(deploy("web", 2)), yaml.safe_load(deploy("db", 1, kind="StatefulSet"))]
    lst = {"apiVersion": "v1", "kind": "List", "items": items}
    ms = podcap.load_manifests(lst)
    assert names(ms) == [("Deployment", "web", 2), ("StatefulSet", "db", 1)]
    # the same as YAML text
    text = yaml.safe_dump(lst)
    assert names(podcap.load_manifests(text)) == names(ms)


def test_empty_documents_are_ignored():
    text = "---\n---\n# only a comment\n---\n" + deploy("web", 2) + "---\n---\n"
    ms = podcap.load_manifests(text)
    assert names(ms) == [("Deployment", "web", 2)]


def test_duplicate_object_later_wins():
    # kubectl apply of the same (namespace, kind, name) twice: the second spec is what exists.
    text = join(deploy("web", 2), deploy("web", 5))
    assert names(podcap.load_manifests(text)) == [("Deployment", "web", 5)]


def test_same_name_in_other_namespace_or_kind_is_a_different_object():
    text = join(
        NAMESPACE_A,
        deploy("web", 2),
        deploy("web", 3, namespace="team-a"),
        deploy("web", 4, kind="StatefulSet"),
    )
    ms = podcap.load_manifests(text)
    got = sorted((w.namespace, w.kind, w.replicas) for w in ms.workloads)
    assert got == [
        ("default", "Deployment", 2),
        ("default", "StatefulSet", 4),
        ("team-a", "Deployment", 3),
    ]


# ---------------------------------------------------------------------------------------------
# apply order: Namespace, PriorityClass, LimitRange, ResourceQuota, then workloads


def test_limitrange_after_deployment_still_applies(cluster):
    # The LimitRange comes after the Deployment in the file; podcap applies kinds in the order
    # Namespace, PriorityClass, LimitRange, ResourceQuota, workloads, so the pods get the
    # LimitRange's defaultRequest cpu 100m.
    r = podcap.simulate(cluster, join(deploy("web", 2), LIMITRANGE_100M))
    accounted(r)
    (rec,) = r.workloads.to_dict("records")
    assert rec["cpu_request_millicores"] == 100


def test_quota_after_deployment_still_applies(cluster):
    quota = (
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec:\n  hard:\n    pods: '2'\n"
    )
    r = podcap.simulate(cluster, join(deploy("web", 5), quota))
    accounted(r)
    (rec,) = r.workloads.to_dict("records")
    assert (rec["running"], rec["not_created"]) == (2, 3)


def test_priority_class_after_deployment_is_known(cluster):
    pc = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n"
    d = deploy("web", 2).replace("    spec:\n", "    spec:\n      priorityClassName: high\n")
    r = podcap.simulate(cluster, join(d, pc))
    accounted(r)
    (rec,) = r.workloads.to_dict("records")
    assert rec["rejected"] == 0
    assert rec["running"] == 2


def test_workloads_keep_document_order():
    text = join(
        deploy("j", 1, kind="ReplicaSet"),
        deploy("d1", 1),
        LIMITRANGE_100M,
        deploy("d2", 1),
        NAMESPACE_A,
    )
    ms = podcap.load_manifests(text)
    # kubectl apply order: documents as written, whatever their kind
    assert [w.name for w in ms.workloads] == ["j", "d1", "d2"]
    assert ms.namespaces == ["team-a"]


# ---------------------------------------------------------------------------------------------
# workload kinds and replica counts


def job(parallelism: int | None, completions: int | None) -> str:
    spec = ""
    if parallelism is not None:
        spec += f"  parallelism: {parallelism}\n"
    if completions is not None:
        spec += f"  completions: {completions}\n"
    return (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: batch\nspec:\n"
        + spec
        + "  template:\n    spec:\n      restartPolicy: Never\n"
        "      containers:\n      - name: work\n        image: busybox\n"
    )


@pytest.mark.parametrize(
    ("parallelism", "completions", "pods"),
    [
        (4, 10, 4),  # parallelism pods at a time
        (4, 2, 2),  # never more than the remaining completions
        (None, 5, 1),  # parallelism defaults to 1
        (3, None, 3),  # no completions: parallelism
    ],
)
def test_job_pods_are_parallelism_capped_by_completions(parallelism, completions, pods):
    (w,) = podcap.load_manifests(job(parallelism, completions)).workloads
    assert (w.kind, w.replicas) == ("Job", pods)


def test_statefulset_replicaset_pod_and_default_replicas():
    text = join(
        deploy("db", 3, kind="StatefulSet"),
        deploy("rs", 2, kind="ReplicaSet"),
        deploy("defaulted", None),
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: Pod
            metadata:
              name: solo
            spec:
              containers:
              - name: app
                image: nginx
            """
        ),
    )
    ms = podcap.load_manifests(text)
    assert sorted(names(ms)) == [
        ("Deployment", "defaulted", 1),
        ("Pod", "solo", 1),
        ("ReplicaSet", "rs", 2),
        ("StatefulSet", "db", 3),
    ]


def test_daemonset_runs_one_pod_per_node(cluster):
    ds = deploy("agent", None, kind="DaemonSet")
    r = podcap.simulate(cluster, ds)
    accounted(r)
    (rec,) = r.workloads.to_dict("records")
    # 3 nodes, no taints -> 3 desired, 3 running
    assert (rec["kind"], rec["desired"], rec["running"]) == ("DaemonSet", 3, 3)


# ---------------------------------------------------------------------------------------------
# kinds podcap does not simulate


def test_unknown_kinds_give_one_warning_and_are_listed_in_skipped():
    text = join(SERVICE, deploy("web", 2), CONFIGMAP)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ms = podcap.load_manifests(text)
    ours = [w for w in caught if issubclass(w.category, PodcapWarning)]
    assert len(ours) == 1
    msg = str(ours[0].message)
    # one short line with counts per kind; the objects are listed in Manifests.skipped
    assert (
        msg == "skipped 2 object(s) of kinds podcap does not simulate: ConfigMap (1), Service (1)"
    )
    assert len(ms.skipped) == 2
    assert any(s.startswith("Service web-svc") for s in ms.skipped)
    assert any(s.startswith("ConfigMap web-config") for s in ms.skipped)
    assert names(ms) == [("Deployment", "web", 2)]


def test_simulate_result_lists_skipped_objects(cluster):
    with pytest.warns(PodcapWarning, match=r"Service \(1\)"):
        r = podcap.simulate(cluster, join(deploy("web", 1), SERVICE))
    assert len(r.skipped) == 1
    assert r.skipped[0].startswith("Service web-svc")


def test_no_warning_without_unknown_kinds():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        podcap.load_manifests(join(NAMESPACE_A, LIMITRANGE_100M, deploy("web", 1)))


# ---------------------------------------------------------------------------------------------
# errors: type and message (file, document index, field path, what is valid)


def test_invalid_manifest_error_types():
    assert issubclass(InvalidManifestError, ValueError)
    assert issubclass(InvalidManifestError, PodcapError)


def test_malformed_yaml_names_file_and_line(tmp_path: Path):
    f = tmp_path / "broken.yaml"
    # line 4, column 12 is the second ':' of "  name: web: x"
    f.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web: x\n")
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "line 4" in msg
    assert "column 12" in msg


def test_missing_kind_names_file_and_document(tmp_path: Path):
    f = tmp_path / "nokind.yaml"
    f.write_text(join(deploy("web", 1), "apiVersion: v1\nmetadata:\n  name: x\n"))
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "document 1" in msg  # the second document
    assert "kind" in msg


def test_non_mapping_document_is_an_error():
    with pytest.raises(InvalidManifestError, match=r"document 0.*mapping"):
        podcap.load_manifests("- a\n- b\n")


@pytest.mark.parametrize(
    "containers_yaml",
    ["      containers: []\n", "      nodeSelector: {a: b}\n"],
    ids=["empty-list", "absent"],
)
def test_missing_containers(tmp_path: Path, containers_yaml: str):
    text = deploy("web", 1)
    head = text[: text.index("      containers:")]
    f = tmp_path / "nocontainers.yaml"
    f.write_text(head + containers_yaml)
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "document 0" in msg
    assert "spec.template.spec.containers" in msg
    assert "at least one container" in msg


def test_bad_quantity_names_file_document_and_field_path(tmp_path: Path):
    f = tmp_path / "app.yaml"
    f.write_text(join(NAMESPACE_A, deploy("web", 2, cpu="10x")))
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, PodcapError)
    msg = str(err)
    assert str(f) in msg
    assert "document 1" in msg
    assert "Deployment web" in msg
    assert "spec.template.spec.containers[0].resources.requests.cpu" in msg
    assert "'10x'" in msg


def test_bad_quantity_in_init_container_and_limitrange_field_paths():
    bad_init = (
        deploy("web", 1)
        + "      initContainers:\n      - name: setup\n        image: busybox\n"
        + "        resources:\n          limits:\n            memory: 12Q\n"
    )
    with pytest.raises(
        InvalidManifestError,
        match=r"spec\.template\.spec\.initContainers\[0\]\.resources\.limits\.memory",
    ):
        podcap.load_manifests(bad_init)
    bad_lr = LIMITRANGE_100M.replace("cpu: 100m", "cpu: lots")
    with pytest.raises(InvalidManifestError, match=r"spec\.limits\[0\]\.defaultRequest\.cpu"):
        podcap.load_manifests(bad_lr)


def test_negative_replicas(tmp_path: Path):
    f = tmp_path / "neg.yaml"
    f.write_text(deploy("web", -1))
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "document 0" in msg
    assert "spec.replicas" in msg
    assert "-1" in msg


def test_negative_job_parallelism():
    with pytest.raises(InvalidManifestError, match=r"spec\.parallelism"):
        podcap.load_manifests(job(-2, None))


def test_replicas_of_wrong_type():
    with pytest.raises(InvalidManifestError, match=r"spec\.replicas"):
        podcap.load_manifests(deploy("web", 1).replace("replicas: 1", "replicas: three"))


def test_invalid_toleration_operator(tmp_path: Path):
    text = deploy("web", 1).replace(
        "    spec:\n",
        "    spec:\n      tolerations:\n      - key: dedicated\n        operator: Equals\n"
        "        value: web\n        effect: NoSchedule\n",
    )
    f = tmp_path / "tol.yaml"
    f.write_text(text)
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_manifests(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "spec.template.spec.tolerations[0].operator" in msg
    assert "'Equals'" in msg
    assert "Equal" in msg
    assert "Exists" in msg


# ---------------------------------------------------------------------------------------------
# cluster files


def cluster_file(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "cluster.yaml"
    f.write_text(textwrap.dedent(body))
    return f


def test_cluster_file_loads_taints(tmp_path: Path):
    f = cluster_file(
        tmp_path,
        """\
        nodeGroups:
          - name: web
            instanceType: m5.large
            count: 2
            taints: ["dedicated=web:NoSchedule"]
        """,
    )
    c = podcap.load_cluster(f)
    (g,) = c.node_groups
    assert (g.name, g.instance_type, g.count) == ("web", "m5.large", 2)
    (t,) = g.taints
    assert (t.key, t.value, t.effect) == ("dedicated", "web", "NoSchedule")


def test_cluster_taint_without_effect_is_an_error(tmp_path: Path):
    f = cluster_file(
        tmp_path,
        """\
        nodeGroups:
          - name: web
            instanceType: m5.large
            count: 2
            taints: ["dedicated=web"]
        """,
    )
    with pytest.raises(PodcapError) as info:
        podcap.load_cluster(f)
    assert isinstance(info.value, InvalidManifestError)
    msg = str(info.value)
    assert str(f) in msg
    assert "'web'" in msg  # the node group
    assert "dedicated=web" in msg
    for effect in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        assert effect in msg


def test_cluster_unknown_instance_type_suggests_closest(tmp_path: Path):
    f = cluster_file(
        tmp_path,
        """\
        nodeGroups:
          - name: web
            instanceType: m5.lage
            count: 2
        """,
    )
    with pytest.raises(PodcapError) as info:
        podcap.load_cluster(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "'m5.lage'" in msg
    assert "did you mean 'm5.large'" in msg


def test_cluster_missing_required_field(tmp_path: Path):
    f = cluster_file(
        tmp_path,
        """\
        nodeGroups:
          - name: web
            count: 2
        """,
    )
    with pytest.raises(InvalidManifestError) as info:
        podcap.load_cluster(f)
    msg = str(info.value)
    assert str(f) in msg
    assert "nodeGroups[0]" in msg
    assert "'instanceType'" in msg
