"""What the Kubernetes API server refuses, podcap refuses, with the API server's reasons.

Rules and messages: apimachinery ``pkg/api/validate/content`` (``IsLabelKey``, ``IsLabelValue``,
``IsDNS1123Subdomain``), ``apis/meta/v1/validation`` (``ValidateLabelSelectorRequirement``),
``pkg/apis/core/validation`` (``ValidateTolerations``, ``validateTopologySpreadConstraints``,
``validateMinDomains``, ``validateNodeTaints``), ``pkg/apis/scheduling/validation``
(``ValidatePriorityClass``) and ``scheduling/v1.IsKnownSystemPriorityClass``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import podcap
from podcap.model.validation import invalid_label, label_key_errors, label_value_errors

NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


# ---- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "app",
        "App.Name_1",
        "a" * 63,
        "example.com/tier",
        "kubernetes.io/hostname",
        f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 61}/x",  # a 253-byte prefix
        "1",
    ],
)
def test_valid_label_keys(key: str) -> None:
    assert label_key_errors(key) == []


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("", ["name part must be non-empty", NAME_RULE]),
        ("-app", [NAME_RULE]),
        ("app name", [NAME_RULE]),
        ("a" * 64, ["name part must be no more than 63 bytes"]),
        ("/app", ["prefix part must be non-empty"]),
        ("example.com/", ["name part must be non-empty", NAME_RULE]),
        (
            "Example.com/app",
            [
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                "alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
        ),
        ("é", [NAME_RULE]),
        ("app\n", [NAME_RULE]),  # Python's $ would match before a final newline; Go's does not
    ],
)
def test_invalid_label_keys_with_apimachinerys_messages(key: str, errors: list[str]) -> None:
    assert label_key_errors(key) == errors


def test_a_key_with_two_slashes() -> None:
    (error,) = label_key_errors("a/b/c")
    assert error.startswith("a valid label key must consist of alphanumeric characters")
    assert error.endswith(
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    )


def test_prefix_longer_than_253_bytes() -> None:
    prefix = ".".join(["a" * 63] * 4)  # 255 bytes
    assert label_key_errors(f"{prefix}/x")[0] == "prefix part must be no more than 253 bytes"


@pytest.mark.parametrize("value", ["", "web", "v1.2_3-x", "a" * 63, "0"])
def test_valid_label_values(value: str) -> None:
    assert label_value_errors(value) == []


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("a" * 64, ["must be no more than 63 bytes"]),
        ("ü" * 32, ["must be no more than 63 bytes", VALUE_RULE]),  # 64 bytes in UTF-8
        ("=", [VALUE_RULE]),
        ("web-", [VALUE_RULE]),
        ("a b", [VALUE_RULE]),
    ],
)
def test_invalid_label_values(value: str, errors: list[str]) -> None:
    assert label_value_errors(value) == errors


def test_invalid_label_names_the_value_shortened() -> None:
    problem = invalid_label("app", "x" * 10_000 + "!")
    assert problem is not None
    assert problem.startswith("Invalid value: 'xxxxxxxx")
    assert "...: must be no more than 63 bytes; a valid label must be" in problem
    assert len(problem) < 500


# ---- manifests ---------------------------------------------------------------------------------


def deployment(**pod: Any) -> dict[str, Any]:
    labels = pod.pop("labels", {"app": "web"})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": pod.pop("selector", {"matchLabels": {"app": "web"}}),
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "x"}], **pod},
            },
        },
    }


def refused(doc: dict[str, Any]) -> str:
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.load_manifests([doc])
    return str(info.value)


WHERE = "<object 0>, document 0 (Deployment web), field "
POD = "spec.template.spec"


def test_template_label_key() -> None:
    message = refused(deployment(labels={"app name": "web"}))
    assert (
        message == f"{WHERE}spec.template.metadata.labels: Invalid value: 'app name': {NAME_RULE}"
    )


def test_template_label_value() -> None:
    message = refused(deployment(labels={"app": "web/1"}))
    assert message == f"{WHERE}spec.template.metadata.labels: Invalid value: 'web/1': {VALUE_RULE}"


def test_object_labels() -> None:
    doc = deployment()
    doc["metadata"]["labels"] = {"team": "a" * 64}
    message = refused(doc)
    assert (
        message
        == f"{WHERE}metadata.labels: Invalid value: '{'a' * 56}...: must be no more than 63 bytes"
    )


def test_label_value_of_the_wrong_type() -> None:
    message = refused(deployment(labels={"app": {"nested": "map"}}))
    assert message == (
        f"{WHERE}spec.template.metadata.labels: label 'app': expected a string value, got "
        "{'nested': 'map'}"
    )


def test_controller_selector() -> None:
    message = refused(deployment(selector={"matchLabels": {"app": "-web"}}))
    assert message == f"{WHERE}spec.selector.matchLabels: Invalid value: '-web': {VALUE_RULE}"


@pytest.mark.parametrize(
    ("expression", "field", "message"),
    [
        (
            {"key": "tier", "operator": "In"},
            "values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'",
        ),
        (
            {"key": "tier", "operator": "Exists", "values": ["a"]},
            "values",
            "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
        (
            {"key": "bad key", "operator": "Exists"},
            "key",
            f"Invalid value: 'bad key': {NAME_RULE}",
        ),
        (
            {"key": "tier", "operator": "In", "values": ["ok", "not ok"]},
            "values[1]",
            f"Invalid value: 'not ok': {VALUE_RULE}",
        ),
        (
            {"key": "tier", "operator": "Gt", "values": ["1"]},
            "operator",
            "Invalid value: 'Gt': not a valid selector operator; valid: In, NotIn, Exists, "
            "DoesNotExist",
        ),
    ],
)
def test_label_selector_requirements(expression: dict[str, Any], field: str, message: str) -> None:
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchExpressions": [expression]},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    path = (
        f"{POD}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
        f".labelSelector.matchExpressions[0].{field}"
    )
    assert refused(deployment(affinity=anti)) == f"{WHERE}{path}: {message}"


def test_pod_affinity_topology_key() -> None:
    term = {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone/"}
    affinity = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    message = refused(deployment(affinity=affinity))
    assert message.startswith(
        f"{WHERE}{POD}.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
        ".topologyKey: Invalid value: 'zone/': name part must be non-empty"
    )


def test_node_selector() -> None:
    message = refused(deployment(nodeSelector={"disk": "fast ssd"}))
    assert message == f"{WHERE}{POD}.nodeSelector: Invalid value: 'fast ssd': {VALUE_RULE}"


def test_node_affinity_key() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "", "operator": "Exists"}]}]
            }
        }
    }
    message = refused(deployment(affinity=affinity))
    assert message.startswith(
        f"{WHERE}{POD}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        ".nodeSelectorTerms[0].matchExpressions[0].key: Invalid value: '': name part must be "
        "non-empty"
    )


@pytest.mark.parametrize(
    ("toleration", "field", "message"),
    [
        (
            {"key": "", "operator": "Equal", "value": "x"},
            "operator",
            "Invalid value: 'Equal': operator must be Exists when `key` is empty, which means "
            '"match all values and all keys"',
        ),
        ({"key": "bad key", "operator": "Exists"}, "key", f"Invalid value: 'bad key': {NAME_RULE}"),
        (
            {"key": "k", "operator": "Exists", "value": "v"},
            "value",
            "Invalid value: 'v': value must be empty when `operator` is 'Exists'",
        ),
        ({"key": "k", "value": "a b"}, "value", f"Invalid value: 'a b': {VALUE_RULE}"),
        (
            {"key": "k", "operator": "Lt", "value": "1"},
            "operator",
            'Unsupported value: \'Lt\': supported values: "Equal", "Exists"',
        ),
        (
            {"key": "k", "operator": "Exists", "effect": "NoSchedul"},
            "effect",
            "Unsupported value: 'NoSchedul': supported values: \"NoSchedule\", "
            '"PreferNoSchedule", "NoExecute"',
        ),
        (
            {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30},
            "effect",
            "Invalid value: 'NoSchedule': effect must be 'NoExecute' when `tolerationSeconds` "
            "is set",
        ),
        (
            {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": "30"},
            "tolerationSeconds",
            "expected a whole number of seconds, got '30'",
        ),
    ],
)
def test_tolerations(toleration: dict[str, Any], field: str, message: str) -> None:
    path = f"{POD}.tolerations[0].{field}"
    assert refused(deployment(tolerations=[toleration])) == f"{WHERE}{path}: {message}"


def test_valid_tolerations_are_kept() -> None:
    tolerations = [
        {"operator": "Exists"},
        {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
        {"key": "example.com/gpu", "value": "true", "effect": "NoSchedule"},
        {"key": "k", "operator": "", "value": ""},  # an empty operator is Equal
    ]
    (workload,) = podcap.load_manifests([deployment(tolerations=tolerations)]).workloads
    assert [t.operator for t in workload.template.tolerations] == [
        "Exists",
        "Exists",
        "Equal",
        "Equal",
    ]


def test_toleration_spec_objects_follow_the_same_rule() -> None:
    with pytest.raises(
        podcap.InvalidSpecError, match="operator must be Exists when `key` is empty"
    ):
        podcap.Toleration()
    assert podcap.Toleration(operator="Exists").tolerates(podcap.Taint("k", "v", "NoExecute"))


SPREAD = {
    "maxSkew": 1,
    "topologyKey": "topology.kubernetes.io/zone",
    "whenUnsatisfiable": "DoNotSchedule",
    "labelSelector": {"matchLabels": {"app": "web"}},
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"maxSkew": 0}, "maxSkew", "Invalid value: 0: must be greater than zero"),
        (
            {"maxSkew": 2**31},
            "maxSkew",
            "expected an integer from 1 to 2147483647 (int32), got 2147483648",
        ),
        ({"maxSkew": "1"}, "maxSkew", "expected an integer from 1 to 2147483647 (int32), got '1'"),
        (
            {"topologyKey": ""},
            "topologyKey",
            "Required value: can not be empty (a node label key such as "
            "topology.kubernetes.io/zone), got ''",
        ),
        (
            {"whenUnsatisfiable": None},
            "whenUnsatisfiable",
            'Unsupported value: None: supported values: "DoNotSchedule", "ScheduleAnyway"',
        ),
        (
            {"whenUnsatisfiable": "Never"},
            "whenUnsatisfiable",
            'Unsupported value: \'Never\': supported values: "DoNotSchedule", "ScheduleAnyway"',
        ),
        ({"minDomains": 0}, "minDomains", "Invalid value: 0: must be greater than zero"),
        (
            {"minDomains": 2, "whenUnsatisfiable": "ScheduleAnyway"},
            "minDomains",
            "Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not "
            "ScheduleAnyway",
        ),
        (
            {"nodeAffinityPolicy": "Always"},
            "nodeAffinityPolicy",
            'Unsupported value: \'Always\': supported values: "Honor", "Ignore"',
        ),
        (
            {"nodeTaintsPolicy": "honor"},
            "nodeTaintsPolicy",
            'Unsupported value: \'honor\': supported values: "Honor", "Ignore"',
        ),
        (
            {"matchLabelKeys": ["pod template hash"]},
            "matchLabelKeys[0]",
            f"Invalid value: 'pod template hash': {NAME_RULE}",
        ),
    ],
)
def test_topology_spread_constraints(change: dict[str, Any], field: str, message: str) -> None:
    constraint = {**SPREAD, **change}
    if change.get("whenUnsatisfiable", "") is None:
        del constraint["whenUnsatisfiable"]  # the API server has no default for it
    path = f"{POD}.topologySpreadConstraints[0].{field}"
    got = refused(deployment(topologySpreadConstraints=[constraint]))
    assert got == f"{WHERE}{path}: {message}"


def test_one_spread_constraint_per_key_and_action() -> None:
    message = refused(deployment(topologySpreadConstraints=[SPREAD, {**SPREAD, "maxSkew": 2}]))
    assert message == (
        f"{WHERE}{POD}.topologySpreadConstraints[0]: Duplicate value: "
        "{'topology.kubernetes.io/zone', DoNotSchedule}: one constraint per topologyKey and "
        "whenUnsatisfiable"
    )


def test_min_domains_with_do_not_schedule_is_kept() -> None:
    doc = deployment(topologySpreadConstraints=[{**SPREAD, "minDomains": 3}])
    (workload,) = podcap.load_manifests([doc]).workloads
    assert workload.template.spread[0].min_domains == 3


@pytest.mark.parametrize("priority", [2**31, -(2**31) - 1])
def test_pod_priority_is_int32(priority: int) -> None:
    message = refused(deployment(priority=priority))
    assert message == (
        f"{WHERE}{POD}.priority: Invalid value: {priority}: must be an integer from -2147483648 "
        "to 2147483647 (int32)"
    )


def priority_class(name: str, value: Any, default: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        "globalDefault": default,
    }


@pytest.mark.parametrize(
    ("name", "value", "default", "field", "message"),
    [
        (
            "huge",
            2_000_000_000,
            False,
            "value",
            "Forbidden: maximum allowed value of a user defined priority is 1000000000, got "
            "2000000000",
        ),
        (
            "wrapped",
            2**31,
            False,
            "value",
            "Invalid value: 2147483648: must be an integer from -2147483648 to 2147483647 (int32)",
        ),
        (
            "system-mine",
            10,
            False,
            "metadata.name",
            "Forbidden: priority class names with 'system-' prefix are reserved for system use "
            "only. error: 'system-mine' is not a known system priority class",
        ),
        (
            "system-node-critical",
            10,
            False,
            "metadata.name",
            "Forbidden: priority class names with 'system-' prefix are reserved for system use "
            "only. error: value of system-node-critical PriorityClass must be 2000001000",
        ),
        (
            "system-cluster-critical",
            2_000_000_000,
            True,
            "metadata.name",
            "Forbidden: priority class names with 'system-' prefix are reserved for system use "
            "only. error: globalDefault of system-cluster-critical PriorityClass must be false",
        ),
        (
            "text",
            "1000",
            False,
            "value",
            "expected an integer priority from -2147483648 to 1000000000 (higher values are for "
            "system- classes), got '1000'",
        ),
    ],
)
def test_priority_classes(name: str, value: Any, default: bool, field: str, message: str) -> None:
    with pytest.raises(podcap.InvalidManifestError) as info:
        podcap.load_manifests([priority_class(name, value, default)])
    assert (
        str(info.value)
        == f"<object 0>, document 0 (PriorityClass {name}), field {field}: {message}"
    )


def test_valid_priority_classes() -> None:
    docs = [
        priority_class("top", 1_000_000_000),
        priority_class("bottom", -(2**31)),
        priority_class("system-node-critical", 2_000_001_000),
    ]
    assert [pc.value for pc in podcap.load_manifests(docs).priority_classes] == [
        1_000_000_000,
        -(2**31),
        2_000_001_000,
    ]


def test_a_huge_name_is_shortened_in_messages() -> None:
    doc = deployment(labels={"app": "-"})
    doc["metadata"]["name"] = "n" * 100_000
    message = refused(doc)
    assert f"(Deployment {'n' * 57}...)" in message
    assert len(message) < 600


# ---- node groups and cluster files ------------------------------------------------------------


def test_node_group_labels() -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup("g", "m5.large", 1, labels={"team": "a/b"})
    assert str(info.value) == f"NodeGroup 'g'.labels: Invalid value: 'a/b': {VALUE_RULE}"


@pytest.mark.parametrize(
    ("taint", "message"),
    [
        ("-bad:NoSchedule", f"taint '-bad:NoSchedule': Invalid value: '-bad': {NAME_RULE}"),
        ("k=a b:NoSchedule", None),  # the text form does not allow spaces at all
        ("k=-v:NoExecute", f"taint 'k=-v:NoExecute': Invalid value: '-v': {VALUE_RULE}"),
    ],
)
def test_node_group_taints(taint: str, message: str | None) -> None:
    with pytest.raises(podcap.InvalidSpecError) as info:
        podcap.NodeGroup("g", "m5.large", 1, taints=[taint])
    if message is None:
        assert "invalid taint" in str(info.value)
    else:
        assert str(info.value) == f"NodeGroup 'g'.taints[0]: {message}"


def test_taint_mapping_with_a_bad_key() -> None:
    with pytest.raises(podcap.InvalidSpecError, match=r"taints\[0\]: taint 'a/b/c:NoSchedule'"):
        podcap.NodeGroup("g", "m5.large", 1, taints=[{"key": "a/b/c", "effect": "NoSchedule"}])


def test_cluster_file_labels_and_taints(tmp_path: Path) -> None:
    group: dict[str, Any] = {"name": "g", "instanceType": "m5.large", "count": 1}
    for field, value, expected in [
        ("labels", {"node role": "web"}, f"Invalid value: 'node role': {NAME_RULE}"),
        ("taints", ["gpu=yes please:NoSchedule"], "invalid taint 'gpu=yes please:NoSchedule'"),
        ("taints", ["gpu=-:NoSchedule"], f"Invalid value: '-': {VALUE_RULE}"),
    ]:
        doc = copy.deepcopy(group)
        doc[field] = value
        path = tmp_path / "cluster.yaml"
        path.write_text(yaml.safe_dump({"nodeGroups": [doc]}))
        with pytest.raises(podcap.InvalidManifestError) as info:
            podcap.read_cluster(path)
        assert str(info.value).startswith(f"{path}, nodeGroups[0]: NodeGroup 'g'.")
        assert expected in str(info.value)
