"""YAML as Kubernetes reads it, bounded: every hostile file ends in a clear PodcapError, fast."""

from __future__ import annotations

import time

import pytest

import podcap

BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(podcap.InvalidManifestError, match="PODCAP_MAX_YAML_NODES") as info:
        podcap.load_manifests(BOMB)
    assert time.perf_counter() - start < 2
    assert "expands to more than 5,000,000 YAML nodes" in str(info.value)


def test_a_bare_equals_sign_is_a_string() -> None:
    # kube-prometheus writes `=` as a value; kubectl reads it as the string "="
    from podcap import _yaml

    doc = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {op: =}}\n"
        "spec: {containers: [{name: c, image: x, args: [=]}]}\n"
    )
    assert _yaml.load(doc, "t")["metadata"]["annotations"] == {"op": "="}
    assert podcap.load_manifests(doc).workloads[0].name == "p"
    # as a label value the string "=" is refused, as the API server refuses it
    with pytest.raises(podcap.InvalidManifestError, match=r"metadata\.labels: Invalid value: '='"):
        podcap.load_manifests(doc.replace("annotations", "labels"))


def test_python_tags_are_never_constructed() -> None:
    doc = "apiVersion: v1\nkind: Pod\nmetadata: !!python/object/apply:os.system ['true']\n"
    with pytest.raises(podcap.InvalidManifestError, match="not valid YAML"):
        podcap.load_manifests(doc)


def test_nesting_depth_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAP_MAX_YAML_DEPTH", "50")
    deep = "a: " + "[" * 60 + "]" * 60 + "\n"
    with pytest.raises(
        podcap.InvalidManifestError, match=r"deeper than 50 levels.*PODCAP_MAX_YAML_DEPTH"
    ):
        podcap.load_manifests(deep)


def test_input_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAP_MAX_INPUT_BYTES", "100")
    with pytest.raises(
        podcap.InvalidManifestError, match=r"input limit of 100 bytes.*PODCAP_MAX_INPUT_BYTES"
    ):
        podcap.load_manifests("apiVersion: v1\nkind: Pod\n" + "# padding\n" * 20)


def test_a_bad_limit_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAP_MAX_YAML_NODES", "many")
    with pytest.raises(podcap.InvalidManifestError, match="PODCAP_MAX_YAML_NODES='many'"):
        podcap.load_manifests("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")


def _deployment(replicas: str = "3", cpu: str = "100m", containers: int = 1) -> str:
    body = "".join(
        f'        - {{name: c{i}, image: x, resources: {{requests: {{cpu: "{cpu}"}}}}}}\n'
        for i in range(containers)
    )
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n" + body
    )


CLUSTER = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1)])


@pytest.mark.parametrize("replicas", [str(2**31), str(2**63), "-1"])
def test_replicas_are_int32(replicas: str) -> None:
    with pytest.raises(
        podcap.InvalidManifestError,
        match=r"spec\.replicas: must be an integer from 0 to 2147483647",
    ):
        podcap.simulate(CLUSTER, _deployment(replicas=replicas))


@pytest.mark.parametrize("cpu", ["1e16", "9" * 4400])
def test_quantities_past_int64_or_absurdly_long_are_errors(cpu: str) -> None:
    with pytest.raises(podcap.InvalidManifestError, match="invalid quantity"):
        podcap.simulate(CLUSTER, _deployment(cpu=cpu))


def test_a_pod_total_past_int64_is_an_error_not_a_wrap() -> None:
    # each container 5e15 cpu = 5e18 millicores (fits int64); two of them do not
    with pytest.raises(podcap.PodcapError, match=r"exceeds 9,223,372,036,854,775,807 \(int64\)"):
        podcap.simulate(CLUSTER, _deployment(cpu="5e15", containers=2))


def _affinity_pod(operator: str, values: list[str] | None) -> dict[str, object]:
    req: dict[str, object] = {"key": "rank", "operator": operator}
    if values is not None:
        req["values"] = values
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "image": "x"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [req]}]
                    }
                }
            },
        },
    }


@pytest.mark.parametrize(
    ("operator", "values", "message"),
    [
        ("Gt", ["ten"], "must be an integer when `operator` is 'Lt' or 'Gt'"),
        ("Lt", ["1", "2"], "must be specified single value when `operator` is 'Lt' or 'Gt'"),
        ("In", None, "must be specified when `operator` is 'In' or 'NotIn'"),
        ("Exists", ["x"], "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
    ],
)
def test_node_selector_requirements_are_validated_as_the_api_does(
    operator: str, values: list[str] | None, message: str
) -> None:
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.load_manifests([_affinity_pod(operator, values)])
    assert message in str(info.value)
    assert "matchExpressions[0].values" in str(info.value)


def test_gt_on_a_label_that_is_not_an_integer_matches_no_node() -> None:
    cluster = podcap.Cluster([podcap.NodeGroup("g", "m5.large", 1, labels={"rank": "high"})])
    for engine in ("fast", "reference"):
        result = podcap.simulate(cluster, [_affinity_pod("Gt", ["1"])], engine=engine)  # type: ignore[arg-type]
        assert int(result.workloads["pending"].iloc[0]) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", 2**40, "count must be an integer from 0 to 10,000,000"),
        ("maxPods", 2**40, "max_pods must be an integer from 1 to 2147483647"),
        ("zones", True, "zones must be a non-empty list"),
        ("taints", 1.5, "taints: expected a list of taints"),
        ("extendedResources", [1], "extended_resources must map names"),
        ("cni", {"WARM_IP_TARGET": str(2**70)}, "warm_ip_target must be an integer from 0"),
    ],
)
def test_hostile_cluster_file_fields(
    tmp_path: object, field: str, value: object, message: str
) -> None:
    from pathlib import Path

    import yaml

    assert isinstance(tmp_path, Path)
    group: dict[str, object] = {"name": "g", "instanceType": "m5.large", "count": 1}
    group[field] = value
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump({"nodeGroups": [group]}))
    with pytest.raises(podcap.PodcapError) as info:
        podcap.read_cluster(path)
    assert message in str(info.value)
    assert "nodeGroups[0]" in str(info.value)


def test_base60_numbers_are_strings_as_kubectl_reads_them() -> None:
    from podcap import _yaml

    assert _yaml.load("a: 1:30\nb: 190\nc: 0x10\nd: 1.5\n", "t") == {
        "a": "1:30",
        "b": 190,
        "c": 16,
        "d": 1.5,
    }
