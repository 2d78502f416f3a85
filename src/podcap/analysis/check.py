"""``podcap check``: will every replica run?  A yes/no answer with what would fix a no.

One simulation gives the outcome, and the state after it the capacity arrays: per node and
resource what is allocatable and what the pods there request, the pod slots and the pod IPs.
From them, for every workload that does not fully run:

* what it needs: its missing pods, and how many of them a new node of a group holds (the
  per-node capacity for its pod shape), hence its share of a new node;
* one size per node group for *all* the workloads short of room together: their missing pods
  packed into the room left on the group's nodes, then into new nodes, largest pods first
  (per-workload node counts do not add up, so none is reported);
* how far the requests of the workloads short of cpu (or memory) must come down, all
  together, for every replica to fit the room the other pods leave and the namespaces'
  ResourceQuotas.

Each combined fix is then verified by one full simulation.  An estimate the simulation does not
confirm is grown (more nodes, smaller requests) and verified again, at most
:data:`MAX_VERIFICATIONS` simulations per fix; a fix is only reported when a simulation
confirms it: the workloads it is for run every replica, and every workload that ran before
still does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from podcap.analysis.sweep import _scale_containers
from podcap.errors import InvalidManifestError
from podcap.io.manifests import Manifests, load_manifests
from podcap.model.admission import AdmittedPod, admit, pod_requests
from podcap.model.quantity import format_cpu, format_memory
from podcap.model.workloads import Workload
from podcap.pipeline.results import SimulationResult
from podcap.pipeline.simulate import simulate, simulate_with_state
from podcap.pipeline.state import ClusterState, Key
from podcap.pipeline.step import needs_ip

__all__ = ["MAX_VERIFICATIONS", "CheckReport", "check"]

#: Simulations at most per combined fix: the first verifies the estimate, each further one the
#: estimate grown after a simulation did not confirm it.
MAX_VERIFICATIONS = 5

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_COUNTS = ("desired", "running", "pending", "container_creating", "not_created", "rejected")
_MIB = 1 << 20
_STEP_DOWN = (0.0, 0.03, 0.08, 0.15)  # how much lower each next request estimate goes


@dataclass
class CheckReport:
    """The outcome of :func:`check`.

    Attributes
    ----------
    ok : bool
        Every replica runs.
    result : SimulationResult
        The simulation behind the answer.
    problems : list of str
        Lines explaining each failing workload, what it needs and what would fix it.
    findings : list of dict
        The same as data, per failing workload: its outcome counts, Kubernetes' reason, the
        limits that stop it (codes), ``needs`` (its missing pods, their requests and their
        share of a new node, or None) and the ``fixes`` that would work.
    combined : list of dict
        The fixes for the whole manifest set, each verified by a simulation: ``fix`` (text),
        ``workloads`` (``kind namespace/name`` of those it makes run), ``simulations`` (how
        many it took), and ``node_groups`` (group name to ``[from, to]`` nodes) or
        ``resource`` and ``requests`` (per workload its new request per container [m for cpu,
        B for memory]).
    """

    ok: bool
    result: SimulationResult
    problems: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    combined: list[dict[str, Any]] = field(default_factory=list)

    def _added(self) -> str:
        """What the autoscalers added for the pods to run ('' when nothing)."""
        claims, ups = self.result.nodeclaims, self.result.scale_ups
        parts = []
        if len(claims):
            types = ", ".join(
                f"{n} x {t}" for t, n in claims["instance_type"].value_counts(sort=False).items()
            )
            parts.append(f"Karpenter launches {len(claims)} node(s) ({types})")
        if len(ups):
            groups = ", ".join(
                f"{g} +{int(n)}"
                for g, n in ups.groupby("node_group", sort=False)["nodes"].sum().items()
            )
            parts.append(f"cluster-autoscaler adds {int(ups['nodes'].sum())} node(s) ({groups})")
        if not parts:
            return ""
        cost = self.result.cost_per_hour
        price = f"${cost:.4f}/h" if cost is not None else "price unknown"
        return "; ".join(parts) + f": {price}"

    def __str__(self) -> str:
        added = self._added()
        if self.ok:
            w = self.result.workloads
            line = f"OK: every replica runs ({int(w['running'].sum())} pods of {len(w)} workloads)."
            return f"{line}\n{added}" if added else line
        lines = ["FAIL: not every replica would run.", *self.problems]
        if added:
            lines.append(added)
        together = [c for c in self.combined if len(c["workloads"]) > 1]
        if together:
            lines.append("would fix them together (each verified by one simulation):")
            lines += [f"  - {c['fix']}" for c in together]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The answer as data: ``ok``; per failing workload its outcome, Kubernetes' reason,
        the limits that stop it (codes), what it needs and the fixes that would work; the
        fixes for the whole manifest set (``combined``); and what the autoscalers add
        (``autoscaling``: Karpenter NodeClaims, cluster-autoscaler nodes, their hourly cost)."""
        claims, ups = self.result.nodeclaims, self.result.scale_ups
        return {
            "ok": self.ok,
            "findings": self.findings,
            "combined": self.combined,
            "autoscaling": {
                "nodeclaims": len(claims),
                "scale_up_nodes": int(ups["nodes"].sum()) if len(ups) else 0,
                "cost_per_hour": self.result.cost_per_hour,
            },
        }

    def to_markdown(self) -> str:
        """The answer for a CI job summary or a pull-request comment."""
        if self.ok:
            return f"### podcap check: OK\n\n{self}\n"
        lines = [
            "### podcap check: FAIL",
            "",
            "| workload | running | pending | waiting for an IP | not created | rejected |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in self.findings:
            lines.append(
                f"| {f['kind']} {f['namespace']}/{f['name']} | {f['running']}/{f['desired']} | "
                f"{f['pending']} | {f['container_creating']} | {f['not_created']} | "
                f"{f['rejected']} |"
            )
        together = [c for c in self.combined if len(c["workloads"]) > 1]
        if together:
            lines += ["", "**Would fix them together** (each verified by one simulation):", ""]
            lines += [f"- {c['fix']}" for c in together]
        for f in self.findings:
            lines += ["", f"**{f['kind']} {f['namespace']}/{f['name']}**", ""]
            lines.append(f"- why: `{f['reason']}`")
            if f["needs"]:
                lines.append(f"- needs: {_needs_text(f['needs'])}")
            for fix in f["fixes"]:
                lines.append(f"- would fix it: {fix}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the capacity arrays of a settled state


@dataclass(frozen=True)
class _Room:
    """Room per node after a simulation, as matrices with one row per resource the fleet
    tracks (cpu [m], memory [B], ephemeral-storage [B], pod ENIs, extended resources), then pod
    slots [pods], then pod IPs [addresses], and one column per node."""

    rows: tuple[str, ...]
    capacity: IntArray  # allocatable, pod slots, the pod IPs a node can give
    used: IntArray  # what the pods bound there take
    daemonsets: IntArray  # of ``used``, what DaemonSet pods take
    group: IntArray  # per node: index into ``groups``
    groups: tuple[str, ...]

    def columns(self, g: int) -> IntArray:
        """The nodes of group ``g``."""
        return np.flatnonzero(self.group == g)

    def new_node(self, g: int) -> IntArray | None:
        """The room of a new node of group ``g``: a node's allocatable, pod slots and IPs less
        its DaemonSet pods (the most any node of the group has); None for a group without
        nodes."""
        cols = self.columns(g)
        if not len(cols):
            return None
        out: IntArray = self.capacity[:, cols[0]] - self.daemonsets[:, cols].max(axis=1)
        return out


def _shape(rows: Sequence[str], requests: Mapping[str, int], ip: bool) -> IntArray:
    """A pod as a column of the room matrices: its requests, a pod slot, an IP if it takes one."""
    vec = np.array([requests.get(r, 0) for r in rows], dtype=np.int64)
    vec[-2] = 1
    vec[-1] = 1 if ip else 0
    return vec


def _usage(state: ClusterState, rows: Sequence[str], keep: Callable[[Key], bool]) -> IntArray:
    """What the pods of the workloads ``keep`` selects take per node.  A pod takes a pod IP only
    while it holds one; DaemonSet pods pinned to a node but pending count on that node."""
    used = np.zeros((len(rows), state.fleet.size), dtype=np.int64)
    for c in state.cohorts:
        if not keep(c.key):
            continue
        wl = state.workloads.get(c.key)
        vec = _shape(rows, c.pod.requests, False)
        bound = c.bound if c.pinned is None else c.bound + c.pinned
        used += np.outer(vec, bound)
        if wl is None or needs_ip(wl, c.pod):
            used[-1] += c.held() if c.pinned is None else c.held() + c.pinned
    return used


def _room(state: ClusterState, result: SimulationResult) -> _Room:
    fleet = state.fleet
    rows = (*fleet.resources, "pods", "pod_ips")
    ips = fleet.pod_ips
    if "pod_ips_available" in result.nodes and len(result.nodes) == fleet.size:
        ips = result.nodes["pod_ips_available"].to_numpy(np.int64)
    capacity = np.vstack([fleet.alloc, fleet.pods_alloc[None, :], ips[None, :]]).astype(np.int64)
    return _Room(
        rows,
        capacity,
        _usage(state, rows, lambda key: True),
        _usage(state, rows, lambda key: key[1] == "DaemonSet"),
        np.asarray(fleet.group, dtype=np.int64),
        tuple(g.name for g in fleet.groups),
    )


def _fit(free: IntArray, shape: IntArray) -> IntArray:
    """Pods of ``shape`` each column of ``free`` holds [pods]: the per-node capacity."""
    need = shape > 0
    per = free[need] // shape[need, None]
    out: IntArray = np.maximum(per.min(axis=0), 0)
    return out


def _fill(free: IntArray, shape: IntArray, count: int, eligible: BoolArray | None = None) -> int:
    """Place ``count`` pods of ``shape`` on (the eligible) columns of ``free``, first columns
    first, taking their room; returns how many did not fit [pods]."""
    fit = _fit(free, shape)
    if eligible is not None:
        fit = np.where(eligible, fit, 0)
    before = np.cumsum(fit) - fit
    take = np.minimum(fit, np.maximum(count - before, 0))
    free -= np.outer(shape, take)
    return count - int(take.sum())


# --------------------------------------------------------------------------------------------
# what each failing workload needs


@dataclass
class _Need:
    """A workload of the manifests that does not fully run, as the first simulation left it."""

    wl: Workload
    row: Mapping[str, Any]
    pod: AdmittedPod  # as admitted (LimitRange defaults applied)
    shape: IntArray  # one pod as a column of the room matrices
    groups: list[int]  # node groups for it: those with its pods (most first), else all
    per_new_node: dict[int, int]  # per group: its pods a new node holds [pods]

    @property
    def key(self) -> Key:
        return self.wl.key

    @property
    def label(self) -> str:
        return f"{self.wl.kind} {self.wl.namespace}/{self.wl.name}"

    @property
    def missing(self) -> int:
        """Pods pending or waiting for an IP [pods]."""
        return int(self.row["pending"]) + int(self.row["container_creating"])

    @property
    def limits(self) -> set[str]:
        return {x for x in str(self.row["limits"]).split(",") if x}

    @property
    def short_of_room(self) -> bool:
        """Every missing pod exists and lacks only a node or an IP: more nodes can fix it."""
        return (
            bool(self.missing)
            and not int(self.row["not_created"])
            and not int(self.row["rejected"])
        )

    def group_for_nodes(self) -> int | None:
        """The group to grow for it: the first of its groups whose new node holds its pod."""
        return next((g for g in self.groups if self.per_new_node.get(g, 0) > 0), None)


def _needs(
    state: ClusterState,
    room: _Room,
    user: Manifests,
    by_key: Mapping[Key, Mapping[str, Any]],
) -> list[_Need]:
    on_node: dict[Key, IntArray] = {}
    for c in state.cohorts:
        on_node[c.key] = on_node.get(c.key, 0) + c.bound
    grown = {g.name for g in state.cluster.node_groups if g.count > 0}
    usable = [g for g in range(len(room.groups)) if room.groups[g] in grown]
    new_nodes = {g: room.new_node(g) for g in usable}
    out = []
    for wl in user.workloads:
        row = by_key[wl.key]
        if int(row["running"]) == int(row["desired"]):
            continue
        lrs = [lr for (ns, _), lr in state.limit_ranges.items() if ns == wl.namespace]
        pod = admit(wl.template, lrs)
        bound = on_node.get(wl.key)
        per_group = (
            np.bincount(room.group, weights=bound, minlength=len(room.groups))
            if bound is not None and room.group.size
            else np.zeros(len(room.groups))
        )
        hosting = sorted((g for g in usable if per_group[g] > 0), key=lambda g: -per_group[g])
        shape = _shape(room.rows, pod.requests, needs_ip(wl, pod))
        per_new_node = {}
        for g, new in new_nodes.items():
            if new is not None:
                per_new_node[g] = int(_fit(new[:, None], shape)[0])
        out.append(_Need(wl, row, pod, shape, hosting or usable, per_new_node))
    return out


def _needs_data(need: _Need, room: _Room) -> dict[str, Any] | None:
    """What a workload needs as data: its missing pods, their requests, and (but for a
    DaemonSet, whose pods need room on their own nodes) their share of a new node."""
    if not need.missing:
        return None
    g = need.group_for_nodes()
    if g is None and need.groups:
        g = need.groups[0]
    if need.wl.kind == "DaemonSet":
        g = None
    held = need.per_new_node.get(g, 0) if g is not None else 0
    return {
        "pods": need.missing,
        "per_pod": {
            r: int(v)
            for r, v in zip(room.rows[:-2], need.shape[:-2], strict=True)
            if r in ("cpu", "memory") or v
        },
        "node_group": None if g is None else room.groups[g],
        "pods_per_new_node": held,
        "new_nodes": need.missing / held if held else None,
    }


def _needs_text(needs: Mapping[str, Any]) -> str:
    per_pod = ", ".join(
        f"{format_cpu(v) if r == 'cpu' else format_memory(v)} {r}"
        for r, v in needs["per_pod"].items()
        if v
    )
    text = f"room for {needs['pods']} more pod(s) of {per_pod or 'no requests'}"
    group = needs["node_group"]
    if group is not None:
        held = needs["pods_per_new_node"]
        if held:
            text += f", {needs['new_nodes']:.2f} of a new node of {group} (it holds {held} of them)"
        else:
            text += f"; the pod does not fit on a new node of {group}"
    return text


# --------------------------------------------------------------------------------------------
# verifying a fix


def _verified(
    result: SimulationResult, targets: Iterable[Key], ran_before: Iterable[Key]
) -> tuple[bool, dict[Key, int]]:
    """Whether the ``targets`` run every replica and the workloads that ``ran_before`` still do;
    and the pods each target still misses."""
    w = result.workloads
    missing = dict(
        zip(
            zip(w["namespace"], w["kind"], w["name"], strict=True),
            (w["desired"] - w["running"]).astype(int),
            strict=True,
        )
    )
    short = {k: int(missing.get(k, 0)) for k in targets if missing.get(k, 0)}
    regressed = any(missing.get(k, 0) for k in ran_before)
    return not short and not regressed, short


# --------------------------------------------------------------------------------------------
# the combined node-group fix


def _new_nodes(room: _Room, g: int, needs: Sequence[_Need]) -> int:
    """New nodes of group ``g`` for the missing pods of ``needs``: packed into the room left on
    the group's nodes, then into new nodes, largest pods (fewest per node) first."""
    cols = room.columns(g)
    free = room.capacity[:, cols] - room.used[:, cols]
    template = room.new_node(g)
    assert template is not None  # a group with nodes
    added = 0
    for n in sorted(needs, key=lambda n: n.per_new_node[g]):
        rem = _fill(free, n.shape, n.missing)
        if rem:
            k = math.ceil(rem / n.per_new_node[g])
            free = np.hstack([free, np.repeat(template[:, None], k, axis=1)])
            added += k
            _fill(free, n.shape, rem)
    return added


def _node_fix(
    ci: ClusterState,
    user: Manifests,
    room: _Room,
    needs: Sequence[_Need],
    ran_before: Sequence[Key],
) -> dict[str, Any] | None:
    plan: dict[int, list[_Need]] = {}
    for n in needs:
        g = n.group_for_nodes()
        if n.short_of_room and n.wl.kind != "DaemonSet" and g is not None:
            plan.setdefault(g, []).append(n)
    if not plan:
        return None
    current = {g.name: g.count for g in ci.cluster.node_groups}
    extra = {g: max(1, _new_nodes(room, g, ns)) for g, ns in plan.items()}
    targets = [n.key for ns in plan.values() for n in ns]
    missing_before = sum(n.missing for ns in plan.values() for n in ns)
    for attempt in range(1, MAX_VERIFICATIONS + 1):
        trial = ci
        for g, k in extra.items():
            trial = trial.change_node_group(room.groups[g], count=current[room.groups[g]] + k)
        ok, short = _verified(simulate(trial, user), targets, ran_before)
        if ok:
            sizes = {
                room.groups[g]: [current[room.groups[g]], current[room.groups[g]] + k]
                for g, k in extra.items()
            }
            text = " and ".join(
                f"{'scale node group' if i == 0 else 'node group'} {name} from {a} to {b} nodes"
                for i, (name, (a, b)) in enumerate(sizes.items())
            )
            return {
                "fix": text,
                "workloads": [n.label for ns in plan.values() for n in ns],
                "keys": targets,
                "node_groups": sizes,
                "simulations": attempt,
            }
        if short and sum(short.values()) >= missing_before:
            return None  # more nodes did not help (a nodeName, a subnet, a filter): give up
        missing_before = sum(short.values())
        grew = False
        for g, ns in plan.items():  # grow by the new nodes the pods still missing need
            still = [n for n in ns if n.key in short]
            if still:
                extra[g] += max(1, math.ceil(sum(short[n.key] / n.per_new_node[g] for n in still)))
                grew = True
        if not grew:  # the targets ran, a workload that ran before did not: one node more
            for g in extra:
                extra[g] += 1
    return None


# --------------------------------------------------------------------------------------------
# the combined smaller-request fix


def _per_container(need: _Need, resource: str) -> int:
    """Today's request per container (the pod's request over its app containers) [m or B]."""
    return need.pod.requests.get(resource, 0) // max(len(need.wl.template.containers), 1)


def _pod_request(pod: AdmittedPod, resource: str, amount: int) -> int:
    """The pod's request of ``resource`` with every app container requesting ``amount``."""
    containers = [
        replace(c, requests={**c.requests, resource: amount}) if c.role == "app" else c
        for c in pod.containers
    ]
    return pod_requests(containers, pod.overhead).get(resource, 0)


def _quota_room(
    state: ClusterState, namespace: str, resource: str, others: Callable[[Key], bool]
) -> tuple[int | None, int | None]:
    """What the namespace's ResourceQuotas leave for the requests of ``resource`` and for pods
    once the pods of the workloads ``others`` selects are counted (None: no such quota)."""
    quotas = [q for q in state.quotas.values() if q.namespace == namespace]
    if not quotas:
        return None, None
    used_amount = used_pods = 0
    for c in state.cohorts:
        if c.key[0] == namespace and others(c.key):
            n = int(c.bound.sum()) + c.pending
            used_amount += n * c.pod.requests.get(resource, 0)
            used_pods += n
    room: int | None = None
    pods: int | None = None
    for q in quotas:
        for key in (f"requests.{resource}", resource):
            if key in q.hard:
                left = int(q.hard[key]) - used_amount
                room = left if room is None else min(room, left)
        for key in ("pods", "count/pods"):
            if key in q.hard:
                left = int(q.hard[key]) - used_pods
                pods = left if pods is None else min(pods, left)
    return room, pods


def _request_fix(
    ci: ClusterState,
    state: ClusterState,
    user: Manifests,
    room: _Room,
    needs: Sequence[_Need],
    resource: str,
    ran_before: Sequence[Key],
) -> dict[str, Any] | None:
    subjects = [
        n for n in needs if resource in n.limits and n.missing and _per_container(n, resource) > 0
    ]
    if not subjects:
        return None
    keys = {n.key for n in subjects}
    r = room.rows.index(resource)
    free0 = room.capacity - _usage(state, room.rows, lambda key: key not in keys)
    unit = (
        _MIB
        if resource == "memory" and all(_per_container(n, resource) >= _MIB for n in subjects)
        else 1
    )
    today = [_per_container(n, resource) // unit for n in subjects]
    top = max(today)
    eligible = [np.isin(room.group, n.groups) for n in subjects]
    pinned: dict[Key, IntArray] = {}
    for c in state.cohorts:
        if c.key in keys and c.key[1] == "DaemonSet":
            here = c.bound if c.pinned is None else c.bound + c.pinned
            pinned[c.key] = pinned.get(c.key, 0) + here
    namespaces = sorted({n.wl.namespace for n in subjects})
    quota = {ns: _quota_room(state, ns, resource, lambda key: key not in keys) for ns in namespaces}

    def amounts(level: int) -> list[int]:
        return [max(1, t * level // top) * unit for t in today]

    def fits(level: int) -> bool:
        """Whether every replica of the subjects fits with requests at ``level`` (estimate)."""
        requests = [
            _pod_request(n.pod, resource, a) for n, a in zip(subjects, amounts(level), strict=True)
        ]
        for ns, (amount_left, pods_left) in quota.items():
            mine = [
                (int(n.row["desired"]), p)
                for n, p in zip(subjects, requests, strict=True)
                if n.wl.namespace == ns
            ]
            if amount_left is not None and sum(d * p for d, p in mine) > amount_left:
                return False
            if pods_left is not None and sum(d for d, _ in mine) > pods_left:
                return False
        free = free0.copy()
        order = sorted(range(len(subjects)), key=lambda i: -requests[i])
        for i in order:
            n = subjects[i]
            shape = n.shape.copy()
            shape[r] = requests[i]
            if n.key in pinned:  # DaemonSet pods: each on its own node
                need = pinned[n.key]
                if (_fit(free, shape) < need).any():
                    return False
                free -= np.outer(shape, need)
            elif _fill(free, shape, int(n.row["desired"]), eligible[i]):
                return False
        return True

    if top <= 1 or not fits(1):
        return None
    lo, hi = 1, top  # fits(lo); today's requests (top) do not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    level = lo
    by_key = {w.key: i for i, w in enumerate(user.workloads)}
    missing_before = sum(int(n.row["desired"]) - int(n.row["running"]) for n in subjects)
    for attempt in range(1, MAX_VERIFICATIONS + 1):
        new = amounts(level)
        workloads = list(user.workloads)
        for n, a in zip(subjects, new, strict=True):
            i = by_key[n.key]
            workloads[i] = _scale_containers(workloads[i], resource, a)
        ok, short = _verified(simulate(ci, replace(user, workloads=workloads)), keys, ran_before)
        if short and sum(short.values()) >= missing_before:
            return None  # smaller requests did not help (another limit binds): give up
        missing_before = sum(short.values())
        if ok:
            fmt = format_cpu if resource == "cpu" else format_memory
            per = {
                n.key: (_per_container(n, resource), a) for n, a in zip(subjects, new, strict=True)
            }
            return {
                "fix": (
                    f"lower the {resource} request per container of the {len(subjects)} "
                    f"workloads short of {resource} to about {level / top:.0%} of today's "
                    "(each workload's value above)"
                    if len(subjects) > 1
                    else f"lower the {resource} request per container from "
                    f"{fmt(per[subjects[0].key][0])} to {fmt(new[0])}"
                ),
                "workloads": [n.label for n in subjects],
                "keys": sorted(keys),
                "resource": resource,
                "per_workload": per,
                "requests": {n.label: a for n, a in zip(subjects, new, strict=True)},
                "simulations": attempt,
            }
        if level <= 1:
            break
        # a little lower each time: by one unit, then 3, 8, 15 % (MAX_VERIFICATIONS bounds it)
        level = max(1, level - max(1, int(level * _STEP_DOWN[min(attempt, 4) - 1])))
    return None


# --------------------------------------------------------------------------------------------


def _with_others(others: int, short_of: str, how: str = "") -> str:
    """`` (with the other N workloads short of ...)``: a per-workload fix that is part of a
    combined one."""
    if not others:
        return ""
    who = "the other workload" if others == 1 else f"the other {others} workloads"
    return f" (with {who} short of {short_of}{' ' + how if how else ''})"


def check(cluster: Any, manifests: Any) -> CheckReport:
    """Simulate ``manifests`` on a cluster (with its implied system pods and existing load) and
    explain every workload of ``manifests`` that would not fully run.

    Parameters
    ----------
    cluster : Cluster, ClusterState or what :func:`podcap.read_cluster` returns
        The cluster, with its implied system workloads and existing load.
    manifests : path, YAML text, dict, list of those, or Manifests
        The workloads to check.

    Returns
    -------
    CheckReport
        ``ok`` is True when every replica of ``manifests`` runs.  Otherwise, per failing
        workload: the outcome, Kubernetes' reason, what it needs (its missing pods and their
        share of a new node) and the fixes that would work; and the fixes for all failing
        workloads together (``combined``): more nodes of a group, a smaller cpu or memory
        request (estimated from the capacity arrays of the simulation, each verified by a
        simulation), and raising maxPods, prefix delegation, a larger subnet, the
        ResourceQuota or a request that passes the LimitRange where those are what stops it.

    Notes
    -----
    About four simulations in all, whatever the number of workloads: the first, then one to
    verify each combined fix (more when an estimate must be grown, at most
    :data:`MAX_VERIFICATIONS` per fix).
    """
    ci = ClusterState.of(cluster)
    user = manifests if isinstance(manifests, Manifests) else load_manifests(manifests)
    if not user.workloads:
        raise InvalidManifestError(
            "podcap check: the manifests hold no workload (Deployment, StatefulSet, DaemonSet, "
            "ReplicaSet, ReplicationController, Rollout, Job, CronJob or Pod) to check"
        )
    state, result = simulate_with_state(ci, user)
    by_key: dict[Key, Mapping[str, Any]] = {
        (str(r["namespace"]), str(r["kind"]), str(r["name"])): {str(k): v for k, v in r.items()}
        for r in result.workloads.to_dict(orient="records")
    }
    room = _room(state, result)
    needs = _needs(state, room, user, by_key)
    if not needs:
        return CheckReport(True, result)
    failing = {n.key for n in needs}
    ran_before = [w.key for w in user.workloads if w.key not in failing]
    combined = []
    node_fix = _node_fix(ci, user, room, needs, ran_before)
    if node_fix is not None:
        combined.append(node_fix)
    request_fixes = {}
    for resource in ("cpu", "memory"):
        fix = _request_fix(ci, state, user, room, needs, resource, ran_before)
        if fix is not None:
            request_fixes[resource] = fix
            combined.append(fix)
    problems: list[str] = []
    findings: list[dict[str, Any]] = []
    cni_on = all(g.cni_settings.prefix_delegation for g in ci.cluster.node_groups)
    for n in needs:
        row = n.row
        parts = [
            f"{k}={int(row[k])}"
            for k in ("pending", "container_creating", "not_created", "rejected")
            if int(row[k])
        ]
        problems.append(
            f"- {n.label}: {int(row['running'])}/{int(row['desired'])} running ({', '.join(parts)})"
        )
        problems.append(f"  why: {row['reason']}")
        needs_data = _needs_data(n, room)
        if needs_data is not None:
            problems.append(f"  needs: {_needs_text(needs_data)}")
        fixes: list[str] = []
        if int(row["rejected"]):
            fixes.append(
                "fix the request/limit so it passes the namespace's LimitRange (or the pod's own limits)"
            )
        if int(row["not_created"]):
            fixes.append("raise the namespace's ResourceQuota, or lower the workload's requests")
        if n.missing:
            if node_fix is not None and n.key in node_fix["keys"]:
                fixes.append(node_fix["fix"] + _with_others(len(node_fix["keys"]) - 1, "room"))
            if "pods" in n.limits:
                fixes.append(
                    "raise kubelet maxPods (the instance type's pod IPs allow more with prefix delegation)"
                )
            if "subnet" in n.limits:
                fixes.append("give the node group a larger subnet (or a prefix CIDR reservation)")
            elif "pod_ips" in n.limits:
                fixes.append(
                    "use a type with more ENIs or IPs per ENI"
                    if cni_on
                    else "enable prefix delegation (ENABLE_PREFIX_DELEGATION=true) or use a type with more ENIs"
                )
            for resource, fix in request_fixes.items():
                if n.key in fix["per_workload"]:
                    fmt = format_cpu if resource == "cpu" else format_memory
                    today, new = fix["per_workload"][n.key]
                    fixes.append(
                        f"lower the {resource} request per container from {fmt(today)} to "
                        f"{fmt(new)}"
                        + _with_others(len(fix["keys"]) - 1, resource, "lowered alike")
                    )
        if fixes:
            problems.append("  would fix it: " + "; or ".join(fixes))
        findings.append(
            {
                "namespace": n.wl.namespace,
                "kind": n.wl.kind,
                "name": n.wl.name,
                **{k: int(row[k]) for k in _COUNTS},
                "reason": str(row["reason"]),
                "limits": sorted(n.limits),
                "needs": needs_data,
                "fixes": fixes,
            }
        )
    for fix in combined:  # data only: keys and the per-key view are internal
        fix.pop("keys")
        fix.pop("per_workload", None)
    return CheckReport(False, result, problems, findings, combined)
