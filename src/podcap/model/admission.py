"""Admission: what the API server does to a pod before it exists.

* API defaulting: a container with a limit but no request gets ``request = limit``.
* LimitRanger: missing requests / limits take the LimitRange's ``defaultRequest`` / ``default``
  (at pod creation only), then ``min``, ``max`` and ``maxLimitRequestRatio`` are enforced for type
  Container and type Pod (403 Forbidden).
* Validation: a request above its limit is rejected (422 Invalid).
* DaemonSet controller: every DaemonSet pod gets the controller's default tolerations
  (:func:`pod_tolerations`).
* The VPC resource controller's mutating webhook: a Windows pod asks for one pod address
  (:func:`vpc_resource_webhook`).
* ResourceQuota: a pod is created only if ``used + request <= hard`` for every tracked
  resource; a quota on cpu / memory requires every container to specify it.  Pods over quota
  are never created.

Resource amounts are integers: cpu in millicores, everything else in base units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from podcap.errors import InvalidQuantityError
from podcap.kernels.scheduling import NONZERO_CPU_MILLICORES, NONZERO_MEMORY_BYTES
from podcap.model.capacity import WINDOWS_IP_RESOURCE
from podcap.model.quantity import format_cpu, format_memory
from podcap.model.specs import Toleration
from podcap.model.workloads import (
    Container,
    LimitRange,
    PodTemplate,
    ResourceQuota,
    RuntimeClass,
    Workload,
)

__all__ = [
    "AdmittedPod",
    "QuotaState",
    "admit",
    "is_pod_level_resource",
    "nonzero_requests",
    "pod_level_resources",
    "pod_requests",
    "pod_tolerations",
    "vpc_resource_webhook",
]

_COMPUTE = ("cpu", "memory", "ephemeral-storage")


# Tolerations the DaemonSet controller adds to every DaemonSet pod (pkg/controller/daemon/util:
# AddOrUpdateDaemonPodTolerations), and network-unavailable for host-network pods.
_DS_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"),
)
_HOST_NETWORK_TOLERATION = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule"
)


def pod_tolerations(wl: Workload) -> tuple[Toleration, ...]:
    """The pod's tolerations, with those the DaemonSet controller adds to DaemonSet pods."""
    tol = wl.template.tolerations
    if wl.kind == "DaemonSet":
        tol += _DS_TOLERATIONS
        if wl.template.host_network:
            tol += (_HOST_NETWORK_TOLERATION,)
    return tol


def _fmt(resource: str, value: int) -> str:
    return format_cpu(value) if resource == "cpu" else format_memory(value)


@dataclass(frozen=True)
class AdmittedPod:
    """A pod template after admission: effective per-pod requests and limits."""

    containers: tuple[Container, ...]
    requests: Mapping[str, int]
    limits: Mapping[str, int]
    error: str = ""
    overhead: Mapping[str, int] = field(default_factory=dict)
    nonzero: tuple[int, int] | None = None  # observed pods: (cpu [m], memory [B]) as reported
    pod_level: Mapping[str, int] = field(default_factory=dict)  # spec.resources.requests, defaulted

    @property
    def ok(self) -> bool:
        """Whether the pod passed LimitRange and validation."""
        return not self.error


#: Resources that pod-level ``spec.resources`` may set (``IsSupportedPodLevelResource`` in
#: ``component-helpers/resource/helpers.go``, Kubernetes 1.34): cpu, memory and hugepages.
POD_LEVEL_RESOURCES = ("cpu", "memory")


def is_pod_level_resource(name: str) -> bool:
    """Whether pod-level ``spec.resources`` may name ``name`` (cpu, memory, ``hugepages-*``)."""
    return name in POD_LEVEL_RESOURCES or name.startswith("hugepages-")


def pod_requests(
    containers: Sequence[Container],
    overhead: Mapping[str, int] = {},
    which: Literal["requests", "limits"] = "requests",
    non_missing: Mapping[str, int] | None = None,
    pod_level: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Effective pod requests (or limits): the one place podcap computes them.

    Kubernetes' rule (``component-helpers/resource/helpers.go`` ``PodRequests`` / ``PodLimits``,
    KEP-753 sidecars, KEP-2837 pod-level resources): app containers and restartable init
    containers (sidecars) add up; a regular init container needs its own value plus the sidecars
    declared before it; the pod needs the larger of the two.  Pod-level ``spec.resources``
    (``pod_level``: its requests, or its limits) replace that aggregate for cpu, memory and
    ``hugepages-*``.  Then ``overhead`` is added: to every request, but only to the limits that
    are set and non-zero.  ``non_missing`` gives every container that does not name a resource
    that amount (the scheduler's non-zero requests: 100m cpu, 200Mi memory); pod-level values
    still replace the aggregate.

    Parameters
    ----------
    containers : sequence of Container
        Init containers (roles ``init`` and ``sidecar``) in declared order, and app containers.
    overhead : mapping
        Pod overhead [m for cpu, base units otherwise].
    which : {"requests", "limits"}
    non_missing : mapping, optional
        Amount for a resource a container leaves out.
    pod_level : mapping, optional
        Pod-level ``spec.resources.requests`` (or ``limits`` with ``which="limits"``), after
        API defaulting (:func:`pod_level_resources`) [m for cpu, base units otherwise].

    Returns
    -------
    dict
        Resource name to amount [m for cpu, base units otherwise].
    """

    def values(c: Container) -> Mapping[str, int]:
        own: Mapping[str, int] = getattr(c, which)
        if not non_missing:
            return own
        return {**{r: v for r, v in non_missing.items() if r not in own}, **own}

    total: dict[str, int] = {}
    for c in containers:
        if c.role == "app":
            for r, v in values(c).items():
                total[r] = total.get(r, 0) + v
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for c in containers:
        if c.role == "sidecar":
            for r, v in values(c).items():
                total[r] = total.get(r, 0) + v
                sidecars[r] = sidecars.get(r, 0) + v
            need = sidecars
        elif c.role == "init":
            own = values(c)
            need = {r: own.get(r, 0) + sidecars.get(r, 0) for r in {*own, *sidecars}}
        else:
            continue
        for r, v in need.items():
            init_peak[r] = max(init_peak.get(r, 0), v)
    for r, v in init_peak.items():
        total[r] = max(total.get(r, 0), v)
    for r, v in (pod_level or {}).items():
        if is_pod_level_resource(r):
            total[r] = v
    for r, v in overhead.items():
        if which == "requests":
            total[r] = total.get(r, 0) + v
        elif total.get(r, 0) != 0:
            total[r] += v
    for r, v in total.items():
        if v > _INT64_MAX:
            raise InvalidQuantityError(
                f"the pod's total {r} ({v:,} {'millicores' if r == 'cpu' else 'units'}) exceeds "
                f"{_INT64_MAX:,} (int64): the scheduler's accounting would overflow"
            )
    return total


def pod_level_resources(
    containers: Sequence[Container],
    requests: Mapping[str, int],
    limits: Mapping[str, int],
) -> tuple[dict[str, int], dict[str, int]]:
    """Pod-level requests and limits after API defaulting (``pkg/apis/core/v1/defaults.go``
    ``defaultHugePagePodLimits`` then ``defaultPodRequests``, feature PodLevelResources).

    When pod-level resources are set, a hugepages limit left out takes the containers'
    aggregate hugepages limit (unless a pod-level hugepages request is given).  Then, only when
    pod-level limits are set, a cpu or memory request left out takes the containers' aggregate
    request when a container requests it, else the pod-level limit; a hugepages request left out
    takes the pod-level limit.

    Parameters
    ----------
    containers : sequence of Container
        After container defaulting (a container request defaults to its limit).
    requests, limits : mapping
        Pod-level ``spec.resources`` as written [m for cpu, base units otherwise].

    Returns
    -------
    (dict, dict)
        The pod-level requests and limits [m for cpu, base units otherwise] (empty: none set).
    """
    out = {r: v for r, v in requests.items() if is_pod_level_resource(r)}
    pod_limits = {r: v for r, v in limits.items() if is_pod_level_resource(r)}
    if not requests and not limits:
        return out, pod_limits
    for r, v in pod_requests(containers, {}, "limits").items():
        if r.startswith("hugepages-") and r not in requests:
            pod_limits.setdefault(r, v)
    if not pod_limits:
        return out, pod_limits
    for r, v in pod_requests(containers, {}, "requests").items():
        if r in POD_LEVEL_RESOURCES and r not in out:
            out[r] = v
    for r, v in pod_limits.items():
        out.setdefault(r, v)
    return out, pod_limits


_INT64_MAX = 2**63 - 1


def nonzero_requests(pod: AdmittedPod) -> tuple[int, int]:
    """The scheduler's non-zero cpu [m] and memory [B] requests of an admitted pod.

    ``PodRequests`` with ``NonMissingContainerRequests`` of 100m cpu and 200Mi memory
    (``pkg/scheduler/framework/types.go``): used by the NodeResourcesFit and
    BalancedAllocation scores, never by the filters.
    """
    if pod.nonzero is not None:
        return pod.nonzero
    nz = pod_requests(
        pod.containers,
        pod.overhead,
        "requests",
        {"cpu": NONZERO_CPU_MILLICORES, "memory": NONZERO_MEMORY_BYTES},
        pod.pod_level,
    )
    return int(nz.get("cpu", 0)), int(nz.get("memory", 0))


def _api_defaults(containers: Sequence[Container]) -> list[Container]:
    out = []
    for c in containers:
        req = dict(c.requests)
        for r, v in c.limits.items():
            req.setdefault(r, v)
        out.append(replace(c, requests=req))
    return out


def _container_path(c: Container, index: int) -> str:
    return f"spec.{'containers' if c.role == 'app' else 'initContainers'}[{index}]"


def runtime_class_overhead(
    template: PodTemplate, runtime_classes: Mapping[str, RuntimeClass] | None
) -> tuple[dict[str, int], str]:
    """The pod's overhead as the RuntimeClass admission plugin sets it, or its refusal.

    A pod naming a RuntimeClass gets the class's ``overhead.podFixed``; a class that does not
    exist, or an overhead written in the pod that differs from the class's, refuses the pod
    (``plugin/pkg/admission/runtimeclass/admission.go``).  ``runtime_classes`` None: not known
    (the pod's own overhead is kept).

    Returns
    -------
    (dict, str)
        Overhead [m for cpu, base units otherwise] and the refusal (``""``: admitted).
    """
    own = dict(template.overhead)
    name = template.runtime_class_name
    if not name or runtime_classes is None:
        return own, ""
    rc = runtime_classes.get(name)
    if rc is None:
        return own, f'forbidden: pod rejected: RuntimeClass "{name}" not found'
    if not rc.overhead:
        return own, ""
    if own and own != dict(rc.overhead):
        return own, (
            "forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"
        )
    return dict(rc.overhead), ""


#: Node-selector keys the VPC resource controller's webhook reads for Windows pods, and the
#: label that marks a Fargate pod (which it handles apart).
_WINDOWS_SELECTOR_KEYS = ("kubernetes.io/os", "beta.kubernetes.io/os")
_FARGATE_PROFILE_LABEL = "eks.amazonaws.com/fargate-profile"


def vpc_resource_webhook(template: PodTemplate, containers: Sequence[Container]) -> list[Container]:
    """The containers after the VPC resource controller's pod webhook.

    A pod that is not hostNetwork, has no ``eks.amazonaws.com/fargate-profile`` label and whose
    ``nodeSelector`` has ``kubernetes.io/os: windows`` or ``beta.kubernetes.io/os: windows`` gets
    a request and a limit of 1 :data:`~podcap.model.capacity.WINDOWS_IP_RESOURCE` on its first
    container (aws/amazon-vpc-resource-controller-k8s ``webhooks/core/pod_webhook.go``:
    ``WhichPod``, ``hasWindowsNodeSelector``, ``HandleWindowsPod``; node affinity is not looked
    at).  The webhook mutates after LimitRanger's defaulting and before the LimitRange and
    ResourceQuota checks, which so see the resource.

    Parameters
    ----------
    template : PodTemplate
        The pod as written.
    containers : sequence of Container
        Its init containers then its containers, as admission has them so far.

    Returns
    -------
    list of Container
    """
    out = list(containers)
    windows = any(template.node_selector.get(k) == "windows" for k in _WINDOWS_SELECTOR_KEYS)
    if template.host_network or _FARGATE_PROFILE_LABEL in template.labels or not windows:
        return out
    first = next((i for i, c in enumerate(out) if c.role == "app"), None)
    if first is None:
        return out
    c = out[first]
    out[first] = replace(
        c,
        requests={**c.requests, WINDOWS_IP_RESOURCE: 1},
        limits={**c.limits, WINDOWS_IP_RESOURCE: 1},
    )
    return out


def admit(
    template: PodTemplate,
    limit_ranges: Sequence[LimitRange],
    runtime_classes: Mapping[str, RuntimeClass] | None = None,
) -> AdmittedPod:
    """Apply API defaulting, LimitRange defaults and checks, the VPC resource controller's
    webhook (:func:`vpc_resource_webhook`), the RuntimeClass overhead, and the request <= limit
    validation.

    Parameters
    ----------
    template : PodTemplate
        The pod as written.
    limit_ranges : sequence of LimitRange
        LimitRanges of the pod's namespace at creation time.
    runtime_classes : mapping, optional
        RuntimeClasses by name (None: not known; a pod's ``runtimeClassName`` is not checked).

    Returns
    -------
    AdmittedPod
        Containers with their final requests and limits, and the effective pod requests /
        limits (:func:`pod_requests`, pod-level resources and overhead included); ``error``
        holds the API server's message when the pod is refused.
    """
    containers = _api_defaults((*template.init_containers, *template.containers))
    items = [it for lr in limit_ranges for it in lr.items]
    # LimitRanger defaulting (type Container): limits first, then requests.
    for it in items:
        if it.type != "Container":
            continue
        defaulted = []
        for c in containers:
            limits = dict(c.limits)
            requests = dict(c.requests)
            for r, v in it.default.items():
                limits.setdefault(r, v)
            for r, v in it.default_request.items():
                requests.setdefault(r, v)
            defaulted.append(replace(c, requests=requests, limits=limits))
        containers = defaulted
    containers = vpc_resource_webhook(template, containers)
    overhead, refused = runtime_class_overhead(template, runtime_classes)
    pod_req, pod_lim = pod_level_resources(
        containers, template.pod_resource_requests, template.pod_resource_limits
    )
    req = pod_requests(containers, overhead, "requests", pod_level=pod_req)
    lim = pod_requests(containers, overhead, "limits", pod_level=pod_lim)

    def refuse(message: str) -> AdmittedPod:
        return AdmittedPod(tuple(containers), req, lim, message, overhead, pod_level=pod_req)

    if refused:
        return refuse(refused)
    # Validation (422): request <= limit.
    app_i = init_i = 0
    for c in containers:
        idx = app_i if c.role == "app" else init_i
        if c.role == "app":
            app_i += 1
        else:
            init_i += 1
        for r, v in c.requests.items():
            if r in c.limits and v > c.limits[r]:
                return refuse(
                    f"Pod is invalid: {_container_path(c, idx)}.resources.requests: Invalid value: "
                    f'"{_fmt(r, v)}": must be less than or equal to {r} limit of {_fmt(r, c.limits[r])}'
                )
    problem = _pod_level_problem(containers, pod_req, pod_lim)
    if problem:
        return refuse(problem)

    # LimitRanger validation (403).
    errors: list[str] = []
    for it in items:
        targets: list[tuple[Mapping[str, int], Mapping[str, int]]]
        if it.type == "Container":
            targets = [(c.requests, c.limits) for c in containers]
        elif it.type == "Pod":
            targets = [(req, lim)]
        else:
            continue
        for t_req, t_lim in targets:
            errors.extend(
                _check_item(it.type, it.min, it.max, it.max_limit_request_ratio, t_req, t_lim)
            )
    if errors:
        body = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        return refuse(f"forbidden: {body}")
    return AdmittedPod(tuple(containers), req, lim, "", overhead, pod_level=pod_req)


def _pod_level_problem(
    containers: Sequence[Container], requests: Mapping[str, int], limits: Mapping[str, int]
) -> str:
    """The 422 the API server gives pod-level resources that contradict themselves or the
    containers (``pkg/apis/core/validation``: ``validatePodResourceRequirements``,
    ``validatePodResourceConsistency``): a pod-level request above its limit, containers whose
    aggregate request is above the pod-level request, a container limit above the pod-level
    limit."""
    for r, v in requests.items():
        if r in limits and v > limits[r]:
            return (
                f'Pod is invalid: spec.resources.requests[{r}]: Invalid value: "{_fmt(r, v)}": '
                f"must be less than or equal to {r} limit of {_fmt(r, limits[r])}"
            )
    aggregate = pod_requests(containers, {}, "requests")
    for r, v in requests.items():
        if aggregate.get(r, 0) > v:
            return (
                f'Pod is invalid: spec.resources.requests[{r}]: Invalid value: "{_fmt(r, v)}": '
                "must be greater than or equal to aggregate container requests of "
                f"{_fmt(r, aggregate[r])}"
            )
    for r, v in limits.items():
        for c in containers:
            if c.limits.get(r, 0) > v:
                return (
                    f'Pod is invalid: spec.resources.limits[{r}]: Invalid value: "{_fmt(r, v)}": '
                    f"must be greater than or equal to container {c.name!r} limit of "
                    f"{_fmt(r, c.limits[r])}"
                )
    return ""


def _check_item(
    typ: str,
    minimum: Mapping[str, int],
    maximum: Mapping[str, int],
    ratio: Mapping[str, float],
    requests: Mapping[str, int],
    limits: Mapping[str, int],
) -> list[str]:
    out = []
    for r, mn in minimum.items():
        if r not in requests:
            out.append(f"minimum {r} usage per {typ} is {_fmt(r, mn)}.  No request is specified")
        elif requests[r] < mn:
            out.append(
                f"minimum {r} usage per {typ} is {_fmt(r, mn)}, but request is {_fmt(r, requests[r])}"
            )
        if r in limits and limits[r] < mn:
            out.append(
                f"minimum {r} usage per {typ} is {_fmt(r, mn)}, but limit is {_fmt(r, limits[r])}"
            )
    for r, mx in maximum.items():
        if r not in limits:
            out.append(f"maximum {r} usage per {typ} is {_fmt(r, mx)}.  No limit is specified")
        elif limits[r] > mx:
            out.append(
                f"maximum {r} usage per {typ} is {_fmt(r, mx)}, but limit is {_fmt(r, limits[r])}"
            )
        if r in requests and requests[r] > mx:
            out.append(
                f"maximum {r} usage per {typ} is {_fmt(r, mx)}, but request is {_fmt(r, requests[r])}"
            )
    for r, mx_ratio in ratio.items():
        req_v = requests.get(r, 0)
        lim_v = limits.get(r, 0)
        head = f"{r} max limit to request ratio per {typ} is {mx_ratio:g}"
        if req_v == 0:
            out.append(f"{head}, but no request is specified or request is 0")
        elif lim_v == 0:
            out.append(f"{head}, but no limit is specified or limit is 0")
        elif lim_v / req_v > mx_ratio:
            out.append(f"{head}, but provided ratio is {lim_v / req_v:f}")
    return out


# ---------------------------------------------------------------------------------------------
# ResourceQuota

_QUOTA_REQUEST_KEYS = {"cpu": "cpu", "memory": "memory", "ephemeral-storage": "ephemeral-storage"}


def _quota_demand(key: str, pod: AdmittedPod) -> int | None:
    """Per-pod amount for a quota key, or None when the key is not about pods."""
    if key in ("pods", "count/pods"):
        return 1
    if key in _QUOTA_REQUEST_KEYS:
        return pod.requests.get(key, 0)
    if key.startswith("requests."):
        return pod.requests.get(key[len("requests.") :], 0)
    if key.startswith("limits."):
        return pod.limits.get(key[len("limits.") :], 0)
    return None


def _must_specify(key: str, pod: AdmittedPod) -> list[str]:
    """Containers missing a value a cpu/memory quota key requires."""
    if key in _COMPUTE[:2]:
        which, r = "requests", key
    elif key.startswith(("requests.", "limits.")):
        which, r = key.split(".", 1)
        if r not in _COMPUTE[:2]:
            return []
    else:
        return []
    return [c.name for c in pod.containers if r not in getattr(c, which)]


@dataclass
class QuotaState:
    """Usage of the ResourceQuotas of the cluster, updated as pods are created."""

    quotas: Sequence[ResourceQuota]
    used: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def admit_many(
        self, namespace: str, pod: AdmittedPod, count: int, pod_name: str
    ) -> tuple[int, str]:
        """Create up to ``count`` pods; returns (created, message for the first refused pod)."""
        allowed = count
        message = ""
        for q in self.quotas:
            if q.namespace != namespace:
                continue
            used = self.used.setdefault((q.namespace, q.name), dict.fromkeys(q.hard, 0))
            missing: dict[str, list[str]] = {}
            for key in q.hard:
                names = _must_specify(key, pod)
                if names:
                    missing[key] = names
            if missing:
                detail = "; ".join(f"{k} for: {','.join(v)}" for k, v in sorted(missing.items()))
                return (
                    0,
                    f'pods "{pod_name}" is forbidden: failed quota: {q.name}: must specify {detail}',
                )
            for key, hard in q.hard.items():
                demand = _quota_demand(key, pod)
                if not demand:
                    continue
                fit = max((hard - used[key]) // demand, 0)
                if fit < allowed:
                    allowed = fit
            # message prepared after computing the final allowed count below
        if allowed < count:
            message = self._exceeded(namespace, pod, allowed, pod_name)
        for q in self.quotas:
            if q.namespace != namespace:
                continue
            used = self.used[(q.namespace, q.name)]
            for key in q.hard:
                demand = _quota_demand(key, pod)
                if demand:
                    used[key] += demand * allowed
        return allowed, message

    def charge(self, namespace: str, pod: AdmittedPod, count: int) -> None:
        """Count ``count`` pods that already exist against the namespace's quotas."""
        for q in self.quotas:
            if q.namespace != namespace:
                continue
            used = self.used.setdefault((q.namespace, q.name), dict.fromkeys(q.hard, 0))
            for key in q.hard:
                demand = _quota_demand(key, pod)
                if demand:
                    used[key] += demand * count

    def _exceeded(self, namespace: str, pod: AdmittedPod, allowed: int, pod_name: str) -> str:
        for q in self.quotas:
            if q.namespace != namespace:
                continue
            used = self.used[(q.namespace, q.name)]
            over = []
            for key, hard in sorted(q.hard.items()):
                demand = _quota_demand(key, pod)
                if demand and used[key] + demand * (allowed + 1) > hard:
                    over.append(key)
            if over:
                unit = {
                    k: ("cpu" if "cpu" in k else "n" if k in ("pods", "count/pods") else "mem")
                    for k in over
                }

                def f(k: str, v: int, _u: dict[str, str] = unit) -> str:
                    return (
                        str(v)
                        if _u[k] == "n"
                        else format_cpu(v)
                        if _u[k] == "cpu"
                        else format_memory(v)
                    )

                requested = ",".join(f"{k}={f(k, _quota_demand(k, pod) or 0)}" for k in over)
                used_s = ",".join(
                    f"{k}={f(k, used[k] + (_quota_demand(k, pod) or 0) * allowed)}" for k in over
                )
                limited = ",".join(f"{k}={f(k, q.hard[k])}" for k in over)
                return (
                    f'pods "{pod_name}" is forbidden: exceeded quota: {q.name}, requested: {requested}, '
                    f"used: {used_s}, limited: {limited}"
                )
        return f'pods "{pod_name}" is forbidden: exceeded quota'
