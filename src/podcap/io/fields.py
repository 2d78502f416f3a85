"""The fields of the Kubernetes objects podcap reads, per object path (an edge).

A field podcap does not know in a part it reads (a typo such as ``resoures``) is reported, as
``kubectl apply --validate=warn`` reports it, instead of being ignored in silence.  The lists are
the JSON names of the API types of Kubernetes 1.34 (``k8s.io/api`` v0.34.1: ``core/v1/types.go``
``PodSpec``, ``Container``, ``EphemeralContainerCommon``, ``ResourceRequirements``,
``ContainerPort``, ``Toleration``, ``TopologySpreadConstraint``, ``Affinity``,
``PodTemplateSpec``, ``ReplicationControllerSpec``; ``apps/v1/types.go`` ``DeploymentSpec``,
``StatefulSetSpec``, ``DaemonSetSpec``, ``ReplicaSetSpec``; ``batch/v1/types.go`` ``JobSpec``,
``CronJobSpec``, ``JobTemplateSpec``; apimachinery ``meta/v1`` ``TypeMeta`` and ``ObjectMeta``)
and of Argo Rollouts' ``RolloutSpec`` (``argoproj/argo-rollouts``
``pkg/apis/rollouts/v1alpha1/types.go``).  Only the parts podcap reads are checked: the object,
its metadata and spec, the pod template, the pod spec, containers with their resources and
ports, tolerations, topology spread constraints and the affinity block.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from podcap.errors import InvalidManifestError, PodcapError, short_repr
from podcap.model.quantity import parse_cpu, parse_memory

__all__ = ["mapping_field", "unknown_fields"]


def quantity_map(raw: Any, where: str, *, eviction: bool = False) -> dict[str, str]:
    """A kubelet map of resource quantities (``kubeReserved``, ``systemReserved``,
    ``evictionHard``), each value checked: cpu as cores or millicores, the others as bytes,
    and with ``eviction`` a percentage too (``memory.available: 5%``).  Returns the texts."""
    out = {}
    for key, value in mapping_field(raw, where).items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise InvalidManifestError(
                f"{where}.{key}: expected a quantity such as 100m, 1Gi"
                f"{' or 10%' if eviction else ''}, got {short_repr(value)}"
            )
        text = str(value)
        try:
            if eviction and text.endswith("%"):
                float(text[:-1])
            elif key == "cpu":
                parse_cpu(text, field=f"{where}.{key}")
            else:
                parse_memory(text, field=f"{where}.{key}")
        except (PodcapError, ValueError) as exc:
            raise InvalidManifestError(f"{where}.{key}: {exc}") from None
        out[str(key)] = text
    return out


def mapping_field(value: Any, where: str) -> Mapping[str, Any]:
    """A field that must be a mapping when given (absent or null: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidManifestError(f"{where}: expected a mapping, got {short_repr(value)}")
    return value


OBJECT = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
TEMPLATE = frozenset({"metadata", "spec"})
POD_SPEC = frozenset(
    {
        "volumes",
        "initContainers",
        "containers",
        "ephemeralContainers",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "activeDeadlineSeconds",
        "dnsPolicy",
        "nodeSelector",
        "serviceAccountName",
        "serviceAccount",
        "automountServiceAccountToken",
        "nodeName",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "shareProcessNamespace",
        "securityContext",
        "imagePullSecrets",
        "hostname",
        "subdomain",
        "affinity",
        "schedulerName",
        "tolerations",
        "hostAliases",
        "priorityClassName",
        "priority",
        "dnsConfig",
        "readinessGates",
        "runtimeClassName",
        "enableServiceLinks",
        "preemptionPolicy",
        "overhead",
        "topologySpreadConstraints",
        "setHostnameAsFQDN",
        "os",
        "hostUsers",
        "schedulingGates",
        "resourceClaims",
        "resources",
        "hostnameOverride",
    }
)
CONTAINER = frozenset(
    {
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "ports",
        "envFrom",
        "env",
        "resources",
        "resizePolicy",
        "restartPolicy",
        "restartPolicyRules",
        "volumeMounts",
        "volumeDevices",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "securityContext",
        "stdin",
        "stdinOnce",
        "tty",
    }
)
EPHEMERAL_CONTAINER = CONTAINER | {"targetContainerName"}
RESOURCES = frozenset({"limits", "requests", "claims"})
CONTAINER_PORT = frozenset({"name", "hostPort", "containerPort", "protocol", "hostIP"})
TOLERATION = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
SPREAD_CONSTRAINT = frozenset(
    {
        "maxSkew",
        "topologyKey",
        "whenUnsatisfiable",
        "labelSelector",
        "minDomains",
        "nodeAffinityPolicy",
        "nodeTaintsPolicy",
        "matchLabelKeys",
    }
)
AFFINITY = frozenset({"nodeAffinity", "podAffinity", "podAntiAffinity"})
_REPLICA_SET = frozenset({"replicas", "minReadySeconds", "selector", "template"})
JOB_SPEC = frozenset(
    {
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "podFailurePolicy",
        "successPolicy",
        "backoffLimit",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
        "selector",
        "manualSelector",
        "template",
        "ttlSecondsAfterFinished",
        "completionMode",
        "suspend",
        "podReplacementPolicy",
        "managedBy",
    }
)
#: ``spec`` of each workload kind.
SPECS: Mapping[str, frozenset[str]] = {
    "Deployment": frozenset(
        {
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
            "revisionHistoryLimit",
            "paused",
            "progressDeadlineSeconds",
        }
    ),
    "StatefulSet": frozenset(
        {
            "replicas",
            "selector",
            "template",
            "volumeClaimTemplates",
            "serviceName",
            "podManagementPolicy",
            "updateStrategy",
            "revisionHistoryLimit",
            "minReadySeconds",
            "persistentVolumeClaimRetentionPolicy",
            "ordinals",
        }
    ),
    "DaemonSet": frozenset(
        {"selector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit"}
    ),
    "ReplicaSet": _REPLICA_SET,
    "ReplicationController": _REPLICA_SET,
    "Job": JOB_SPEC,
    "CronJob": frozenset(
        {
            "schedule",
            "timeZone",
            "startingDeadlineSeconds",
            "concurrencyPolicy",
            "suspend",
            "jobTemplate",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        }
    ),
    "Rollout": frozenset(
        {
            "replicas",
            "selector",
            "template",
            "workloadRef",
            "minReadySeconds",
            "rollbackWindow",
            "strategy",
            "revisionHistoryLimit",
            "paused",
            "progressDeadlineSeconds",
            "progressDeadlineAbort",
            "restartAt",
            "analysis",
        }
    ),
}

Unknown = tuple[str, str | None]  # (field path, the known field it is closest to)


def _check(obj: Any, known: frozenset[str], path: str) -> Iterator[Unknown]:
    if not isinstance(obj, Mapping):
        return  # a wrong type is reported (as an error) where the value is read
    for key in obj:
        name = str(key)
        if name not in known:
            # a hostile key can be megabytes long: compare its start only
            close = difflib.get_close_matches(name[:100], sorted(known), n=1, cutoff=0.6)
            yield (f"{path}.{name}" if path else name), (close[0] if close else None)


def _items(obj: Any, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, list) else []


def _child(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else None


def _pod_spec(spec: Any, path: str) -> Iterator[Unknown]:
    yield from _check(spec, POD_SPEC, path)
    for role, known in (
        ("containers", CONTAINER),
        ("initContainers", CONTAINER),
        ("ephemeralContainers", EPHEMERAL_CONTAINER),
    ):
        for i, container in enumerate(_items(spec, role)):
            cpath = f"{path}.{role}[{i}]"
            yield from _check(container, known, cpath)
            yield from _check(_child(container, "resources"), RESOURCES, f"{cpath}.resources")
            for j, port in enumerate(_items(container, "ports")):
                yield from _check(port, CONTAINER_PORT, f"{cpath}.ports[{j}]")
    for i, toleration in enumerate(_items(spec, "tolerations")):
        yield from _check(toleration, TOLERATION, f"{path}.tolerations[{i}]")
    for i, constraint in enumerate(_items(spec, "topologySpreadConstraints")):
        yield from _check(constraint, SPREAD_CONSTRAINT, f"{path}.topologySpreadConstraints[{i}]")
    yield from _check(_child(spec, "affinity"), AFFINITY, f"{path}.affinity")


def _template(template: Any, path: str) -> Iterator[Unknown]:
    yield from _check(template, TEMPLATE, path)
    yield from _check(_child(template, "metadata"), OBJECT_META, f"{path}.metadata")
    yield from _pod_spec(_child(template, "spec"), f"{path}.spec")


def unknown_fields(kind: str, body: Mapping[str, Any]) -> list[Unknown]:
    """Fields of a workload object that its API type does not have, in the parts podcap reads.

    Parameters
    ----------
    kind : str
        A workload kind (``Deployment``, ``Pod``, ``CronJob``, ...).
    body : mapping
        The object as parsed.

    Returns
    -------
    list of (str, str or None)
        Each unknown field's path (``spec.template.spec.containers[0].resoures``) and the known
        field it most resembles (``resources``), if any.
    """
    out = list(_check(body, OBJECT, ""))
    out.extend(_check(_child(body, "metadata"), OBJECT_META, "metadata"))
    spec = _child(body, "spec")
    if kind == "Pod":
        out.extend(_pod_spec(spec, "spec"))
        return out
    known = SPECS.get(kind)
    if known is None:
        return out
    out.extend(_check(spec, known, "spec"))
    path = "spec"
    if kind == "CronJob":
        job = _child(spec, "jobTemplate")
        out.extend(_check(job, TEMPLATE, "spec.jobTemplate"))
        out.extend(_check(_child(job, "metadata"), OBJECT_META, "spec.jobTemplate.metadata"))
        spec = _child(job, "spec")
        path = "spec.jobTemplate.spec"
        out.extend(_check(spec, JOB_SPEC, path))
    out.extend(_template(_child(spec, "template"), f"{path}.template"))
    return out
