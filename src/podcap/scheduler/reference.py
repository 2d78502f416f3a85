"""The reference engine: kube-scheduler v1.34's scheduling cycle, literally, pod by pod.

Written in plain Python from the Kubernetes source (``pkg/scheduler/schedule_one.go`` and the
default profile's plugins in ``pkg/scheduler/framework/plugins/``), one function per plugin.  It
shares no filtering, scoring or spreading code with the fast engine (an import contract keeps it
away from the fast engine, the plugins and the kernels): only the input specs.

Per pod:

* **PreFilter**: NodeAffinity narrows a pod pinned to one node (a DaemonSet pod's
  ``matchFields``); PodTopologySpread counts the pods its DoNotSchedule constraints select per
  domain, on the nodes its node inclusion policies admit; InterPodAffinity counts the existing
  pods its required terms select and the existing pods whose required anti-affinity selects it.
* **Filter**, in profile order, the first failing plugin deciding a node: NodeUnschedulable,
  NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, NodeVolumeLimits,
  VolumeBinding, PodTopologySpread, InterPodAffinity.  Nodes are visited in the scheduler's node-tree order (zones interleaved)
  from a start index that advances by the nodes visited; with 100 or more nodes the search stops
  once ``numFeasibleNodesToFind`` nodes fit (``percentageOfNodesToScore``, adaptive by default).
* **Score** over the feasible nodes, normalised per plugin and weighted as in the default
  profile: TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2,
  InterPodAffinity 2, NodeResourcesBalancedAllocation 1 (ImageLocality scores 0: no images).
* **Select**: the highest total; among equal totals podcap's documented rule (the node with the
  fewest pods of the workload, then the lowest rank: node order, or a seeded permutation) where
  the real scheduler picks at random, or with ``ties`` a given draw among them, as it does.
* When no node fits: DefaultPreemption (the dry run on the potential nodes in node-list order,
  PodDisruptionBudgets, ``pickOneNodeForPreemption``), the victims evicted and the pod bound on
  the nominated node; otherwise the FailedScheduling text ``0/N nodes are available: ...``
  from each node's reasons, with the PostFilter part.

Meant for small fleets: every pod visits every node in Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podcap.model.disruption import DisruptionBudget
from podcap.model.fleet import Fleet
from podcap.model.specs import Taint
from podcap.model.volumes import EBS_VOLUMES, node_volume_labels
from podcap.model.workloads import LabelSelector, NodeSelectorRequirement, PodAffinityTerm
from podcap.scheduler.framework import BoolArray, IntArray, NodeState, PodSpec

__all__ = ["Placement", "explain_reference", "num_feasible_nodes_to_find", "place_reference"]

MAX_NODE_SCORE = 100
MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5
WEIGHTS = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "PodTopologySpread": 2,
    "InterPodAffinity": 2,
    "NodeResourcesBalancedAllocation": 1,
}
_HOSTNAME = "kubernetes.io/hostname"
_UNSCHEDULABLE = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
# system default spreading (PodTopologySpread defaultingType System, systemDefaultConstraints in
# plugins/podtopologyspread/plugin.go): hostname first, then zone, the order the score sums them
_DEFAULT_CONSTRAINTS = ((_HOSTNAME, 3), ("topology.kubernetes.io/zone", 5))

# The DynamicResources plugin's PostFilter runs before DefaultPreemption's (v1.34 default profile).
_POST_FILTER = "no new claims to deallocate, "
Reasons = list[tuple[str, str, bool]]  # (text, limit code, preemption could resolve it)


@dataclass(frozen=True)
class Placement:
    """What the reference engine did with ``n`` pods: pods bound per node, the scheduler's next
    start index, for the first pod that did not fit its FailedScheduling text and codes, and
    the pods its preemptions evicted."""

    counts: IntArray
    start: int
    failure: tuple[str, frozenset[str]] | None
    victims: tuple[tuple[int, int, int], ...] = ()  # (index into bound, node, pods) preempted


def num_feasible_nodes_to_find(percentage: int, nodes: int) -> int:
    """``numFeasibleNodesToFind``: how many feasible nodes the scheduler looks for before it
    stops filtering (all of them below 100 nodes; ``percentage`` 0 is the adaptive default
    ``50 - nodes / 125``, at least 5)."""
    if nodes < MIN_FEASIBLE_NODES:
        return nodes
    if percentage == 0:
        percentage = 50 - nodes // 125
        if percentage < MIN_FEASIBLE_PERCENTAGE:
            percentage = MIN_FEASIBLE_PERCENTAGE
    found = nodes * percentage // 100
    return max(found, MIN_FEASIBLE_NODES)


def _zone_key(labels: Mapping[str, str]) -> str:
    zone = labels.get("failure-domain.beta.kubernetes.io/zone")
    if zone is None:
        zone = labels.get("topology.kubernetes.io/zone", "")
    region = labels.get("failure-domain.beta.kubernetes.io/region")
    if region is None:
        region = labels.get("topology.kubernetes.io/region", "")
    if not region and not zone:
        return ""
    return region + ":\x00:" + zone


def node_tree_order(labels: Sequence[Mapping[str, str]]) -> list[int]:
    """The scheduler's node list: zones in the order their first node was added, one node of
    each zone in turn (``nodeTree.list``)."""
    zones: dict[str, list[int]] = {}
    for i, lab in enumerate(labels):
        zones.setdefault(_zone_key(lab), []).append(i)
    out: list[int] = []
    depth = 0
    while len(out) < len(labels):
        for members in zones.values():
            if depth < len(members):
                out.append(members[depth])
        depth += 1
    return out


def _requirement(req: NodeSelectorRequirement, name: str, labels: Mapping[str, str]) -> bool:
    if req.key == "metadata.name":
        value: str | None = name
    else:
        value = labels.get(req.key)
    op = req.operator
    if op == "In":
        return value is not None and value in req.values
    if op == "NotIn":
        return value is None or value not in req.values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if value is None or len(req.values) != 1:
        return False
    try:
        have, bound = int(value), int(req.values[0])
    except ValueError:
        return False
    return have > bound if op == "Gt" else have < bound


def _tolerated(taint: Taint, pod: PodSpec) -> bool:
    return any(t.tolerates(taint) for t in pod.tolerations)


@dataclass
class _Budget:
    """A PodDisruptionBudget and the pods the disruption controller counts for it."""

    budget: DisruptionBudget
    healthy: int
    covered: int
    scale: int


class _Cycle:
    """The cluster as the scheduler's cache sees it, and one scheduling cycle per pod."""

    def __init__(
        self,
        fleet: Fleet,
        state: NodeState,
        bound: Sequence[tuple[PodSpec, IntArray]],
        pod: PodSpec,
        most: bool,
        pinned: int | None = None,
        budgets: Sequence[tuple[DisruptionBudget, int, int, int]] = (),
    ) -> None:
        n = fleet.size
        # PodDisruptionBudgets with the pods the disruption controller counts for them:
        # healthy (running), covered (existing), their controllers' scale
        self.budgets = [_Budget(*b) for b in budgets]
        # a DaemonSet pod's required node affinity is replaced by its controller with
        # ``matchFields metadata.name In [node]`` (ReplaceDaemonSetPodNodeNameNodeAffinity)
        self.pinned = pinned
        self.n = n
        self.names = [str(x) for x in fleet.names]
        self.labels = [fleet.labels_of(i) for i in range(n)]
        self.resources = fleet.resources
        self.alloc = [[int(v) for v in state.alloc[:, i]] for i in range(n)]
        self.pods_alloc = [int(v) for v in state.pods_alloc]
        self.used = [[int(v) for v in state.used[:, i]] for i in range(n)]
        self.nz = [[int(state.nz_cpu[i]), int(state.nz_memory[i])] for i in range(n)]
        self.pods = [int(v) for v in state.pods]
        groups = fleet.groups
        self.unschedulable = [bool(groups[int(g)].unschedulable) for g in fleet.group]
        self.taints: list[tuple[Taint, ...]] = []
        for i in range(n):
            g = groups[int(fleet.group[i])]
            extra = (_UNSCHEDULABLE,) if g.unschedulable else ()
            self.taints.append(tuple(g.taints) + extra)
        self.order = node_tree_order(self.labels)
        self.most = most
        # the pods on the nodes: one spec per cohort, counts per node; the incoming pod last
        self.specs = [s for s, _ in bound] + [pod]
        self.counts = [[int(v) for v in c] for _, c in bound] + [[0] * n]
        self.pod = pod
        self.me = len(self.specs) - 1
        self.mine = [s for s, spec in enumerate(self.specs) if spec.key == pod.key]
        self.anti = [
            tuple(t.resolved(s.namespace, s.template.labels) for t in s.template.pod_anti_affinity)
            for s in self.specs
        ]
        self.affinity = [
            tuple(t.resolved(s.namespace, s.template.labels) for t in s.template.pod_affinity)
            for s in self.specs
        ]

    # ---------------------------------------------------------------------------------------
    # helpers

    def _count(self, i: int, selected: Sequence[int]) -> int:
        return sum(self.counts[s][i] for s in selected)

    def _selected(self, selector: LabelSelector | None, namespace: str) -> list[int]:
        if selector is None:
            return []
        return [
            s
            for s, spec in enumerate(self.specs)
            if spec.namespace == namespace and selector.matches(spec.template.labels)
        ]

    def _required_affinity_ok(self, i: int) -> bool:
        tpl = self.pod.template
        for key, value in tpl.node_selector.items():
            if self.labels[i].get(key) != value:
                return False
        if self.pinned is not None:
            return i == self.pinned
        if not tpl.node_affinity:
            return True
        return any(
            all(_requirement(r, self.names[i], self.labels[i]) for r in term)
            for term in tpl.node_affinity
        )

    def _untolerated(self, i: int, effects: tuple[str, ...]) -> Taint | None:
        for t in self.taints[i]:
            if t.effect in effects and not _tolerated(t, self.pod):
                return t
        return None

    # ---------------------------------------------------------------------------------------
    # PreFilter

    def prefilter(self) -> None:
        pod = self.pod
        labels = pod.template.labels
        # PodTopologySpread: DoNotSchedule constraints
        self.hard: list[tuple[str, int, int | None, list[int], bool, dict[str, int]]] = []
        hard = [c for c in pod.template.spread if c.when_unsatisfiable == "DoNotSchedule"]
        keys = [c.topology_key for c in hard]
        for c in hard:
            sel = c.selector_for(labels)
            selected = self._selected(sel, pod.namespace)
            self_match = sel is not None and sel.matches(labels)
            domains: dict[str, int] = {}
            for i in range(self.n):
                lab = self.labels[i]
                if not all(k in lab for k in keys):
                    continue
                if c.node_affinity_policy == "Honor" and not self._required_affinity_ok(i):
                    continue
                if c.node_taints_policy == "Honor" and self._untolerated(
                    i, ("NoSchedule", "NoExecute")
                ):
                    continue
                value = lab[c.topology_key]
                domains[value] = domains.get(value, 0) + self._count(i, selected)
            self.hard.append(
                (c.topology_key, c.max_skew, c.min_domains, selected, self_match, domains)
            )
        # InterPodAffinity
        self.existing_anti: dict[tuple[str, str], int] = {}
        for s, terms in enumerate(self.anti):
            if s == self.me or not terms:
                continue
            for i in range(self.n):
                k = self.counts[s][i]
                if not k:
                    continue
                for t in terms:
                    if t.selects(pod.namespace, labels) and t.topology_key in self.labels[i]:
                        pair = (t.topology_key, self.labels[i][t.topology_key])
                        self.existing_anti[pair] = self.existing_anti.get(pair, 0) + k
        self.aff_counts: dict[tuple[str, str], int] = {}
        self.anti_counts: dict[tuple[str, str], int] = {}
        my_aff, my_anti = self.affinity[self.me], self.anti[self.me]
        if my_aff or my_anti:
            for s, spec in enumerate(self.specs):
                ns, s_lab = spec.namespace, spec.template.labels
                all_aff = bool(my_aff) and all(t.selects(ns, s_lab) for t in my_aff)
                for i in range(self.n):
                    k = self.counts[s][i]
                    if not k:
                        continue
                    if all_aff:
                        for t in my_aff:
                            if t.topology_key in self.labels[i]:
                                pair = (t.topology_key, self.labels[i][t.topology_key])
                                self.aff_counts[pair] = self.aff_counts.get(pair, 0) + k
                    for t in my_anti:
                        if t.selects(ns, s_lab) and t.topology_key in self.labels[i]:
                            pair = (t.topology_key, self.labels[i][t.topology_key])
                            self.anti_counts[pair] = self.anti_counts.get(pair, 0) + k
        self.self_affine = bool(my_aff) and all(t.selects(pod.namespace, labels) for t in my_aff)

    # ---------------------------------------------------------------------------------------
    # Filter (profile order; the first failing plugin decides)

    def node_unschedulable(self, i: int) -> Reasons:
        if self.unschedulable[i] and not _tolerated(_UNSCHEDULABLE, self.pod):
            return [("node(s) were unschedulable", "unschedulable", False)]
        return []

    def node_name(self, i: int) -> Reasons:
        name = self.pod.template.node_name
        if name and name != self.names[i]:
            return [("node(s) didn't match the requested node name", "nodeName", False)]
        return []

    def taint_toleration(self, i: int) -> Reasons:
        t = self._untolerated(i, ("NoSchedule", "NoExecute"))
        if t is not None:
            return [(f"node(s) had untolerated taint {{{t.key}: {t.value}}}", "taint", False)]
        return []

    def node_affinity(self, i: int) -> Reasons:
        if not self._required_affinity_ok(i):
            return [("node(s) didn't match Pod's node affinity/selector", "nodeAffinity", False)]
        return []

    def node_ports(self, i: int) -> Reasons:
        """NodePorts: a wanted (protocol, port) already bound on the node, on the same host IP
        or on 0.0.0.0 (either side)."""
        want = self.pod.template.host_ports
        if not want:
            return []
        used: set[tuple[str, str, int]] = set()
        for s, spec in enumerate(self.specs):
            if self.counts[s][i] > 0:
                used.update(spec.template.host_ports)
        for protocol, ip, port in want:
            for u_protocol, u_ip, u_port in used:
                if (u_protocol, u_port) == (protocol, port) and (
                    "0.0.0.0" in (ip, u_ip) or ip == u_ip
                ):
                    text = "node(s) didn't have free ports for the requested pod ports"
                    return [(text, "hostPort", True)]
        return []

    def node_resources_fit(self, i: int) -> Reasons:
        out: Reasons = []
        if self.pods[i] + 1 > self.pods_alloc[i]:
            out.append(("Too many pods", "pods", True))
        req = self.pod.request
        if not any(int(v) for v in req):
            return out
        for r, name in enumerate(self.resources):
            amount = int(req[r])
            if name == EBS_VOLUMES:
                continue  # NodeVolumeLimits' (a CSINode count, not a node resource)
            if amount > 0 and amount > self.alloc[i][r] - self.used[i][r]:
                # more than the node's whole allocatable: no preemption can help
                out.append((f"Insufficient {name}", name, amount <= self.alloc[i][r]))
        return out

    def node_volume_limits(self, i: int) -> Reasons:
        """NodeVolumeLimits (``nodevolumelimits/csi.go``): the volumes attached on the node
        plus the pod's new ones must not exceed the driver's ``allocatable.count``."""
        if EBS_VOLUMES not in self.resources:
            return []
        r = self.resources.index(EBS_VOLUMES)
        new = int(self.pod.request[r])
        if new and self.used[i][r] + new > self.alloc[i][r]:
            return [("node(s) exceed max volume count", "volumes", True)]
        return []

    def volume_binding(self, i: int) -> Reasons:
        """VolumeBinding's Filter (``volumebinding/binder.go`` ``FindPodVolumes``): bound
        volumes whose node affinity the node misses, then unbound claims whose class's allowed
        topologies it misses; both reasons can apply."""
        topologies = self.pod.template.volume_topology
        if not topologies:
            return []
        labels = node_volume_labels(self.labels[i])
        bound_ok = unbound_ok = True
        for topo in topologies:
            if topo.reason == "node(s) had no available volume zone":
                continue  # VolumeZone's, checked by its own filter
            fits = any(
                all(_requirement(r, self.names[i], labels) for r in term) for term in topo.terms
            )
            if not fits and topo.reason == "node(s) had volume node affinity conflict":
                bound_ok = False
            elif not fits:
                unbound_ok = False
        out: Reasons = []
        if not bound_ok:
            out.append(("node(s) had volume node affinity conflict", "volumeZone", False))
        if not unbound_ok:
            out.append(
                ("node(s) didn't find available persistent volumes to bind", "volumeZone", False)
            )
        return out

    def volume_zone(self, i: int) -> Reasons:
        """VolumeZone's Filter (``volumezone/volume_zone.go``): a bound volume's zone and region
        labels must match the node's (a beta key also the node's GA label); a node with none of
        the four topology labels passes."""
        zone_keys = (
            "failure-domain.beta.kubernetes.io/zone",
            "failure-domain.beta.kubernetes.io/region",
            "topology.kubernetes.io/zone",
            "topology.kubernetes.io/region",
        )
        topologies = [
            t
            for t in self.pod.template.volume_topology
            if t.reason == "node(s) had no available volume zone"
        ]
        lab = self.labels[i]
        if not topologies or not any(k in lab for k in zone_keys):
            return []
        for topo in topologies:
            # the first term holds the volume's labels as In requirements on the GA keys
            for req in topo.terms[0]:
                if lab.get(req.key) not in req.values:
                    return [("node(s) had no available volume zone", "volumeZone", False)]
        return []

    def pod_topology_spread(self, i: int) -> Reasons:
        lab = self.labels[i]
        text = "node(s) didn't match pod topology spread constraints"
        for key, max_skew, min_domains, _selected, self_match, domains in self.hard:
            if key not in lab:
                return [(f"{text} (missing required label)", "topologySpread", False)]
            low = min(domains.values()) if domains else 2**31 - 1
            if min_domains is not None and len(domains) < min_domains:
                low = 0
            skew = domains.get(lab[key], 0) + int(self_match) - low
            if skew > max_skew:
                return [(text, "topologySpread", True)]
        return []

    def inter_pod_affinity(self, i: int) -> Reasons:
        lab = self.labels[i]
        my_aff = self.affinity[self.me]
        if my_aff:
            exists = True
            for t in my_aff:
                if t.topology_key not in lab:
                    return [("node(s) didn't match pod affinity rules", "podAffinity", False)]
                if self.aff_counts.get((t.topology_key, lab[t.topology_key]), 0) <= 0:
                    exists = False
            if not exists and not (not self.aff_counts and self.self_affine):
                return [("node(s) didn't match pod affinity rules", "podAffinity", False)]
        for t in self.anti[self.me]:
            if t.topology_key in lab and self.anti_counts.get(
                (t.topology_key, lab[t.topology_key]), 0
            ):
                return [("node(s) didn't match pod anti-affinity rules", "podAntiAffinity", True)]
        if self.existing_anti:
            for key, value in lab.items():
                if self.existing_anti.get((key, value), 0) > 0:
                    return [
                        (
                            "node(s) didn't satisfy existing pods anti-affinity rules",
                            "podAntiAffinity",
                            True,
                        )
                    ]
        return []

    def filter(self, i: int) -> Reasons:
        for plugin in (
            self.node_unschedulable,
            self.node_name,
            self.taint_toleration,
            self.node_affinity,
            self.node_ports,
            self.node_resources_fit,
            self.node_volume_limits,
            self.volume_binding,
            self.volume_zone,
            self.pod_topology_spread,
            self.inter_pod_affinity,
        ):
            reasons = plugin(i)
            if reasons:
                return reasons
        return []

    # ---------------------------------------------------------------------------------------
    # Score (raw), then normalise

    def score_taint_toleration(self, nodes: list[int]) -> list[int]:
        tolerations = [t for t in self.pod.tolerations if t.effect in ("", "PreferNoSchedule")]
        raw = []
        for i in nodes:
            raw.append(
                sum(
                    1
                    for t in self.taints[i]
                    if t.effect == "PreferNoSchedule"
                    and not any(tol.tolerates(t) for tol in tolerations)
                )
            )
        return _default_normalize(raw, reverse=True)

    def score_node_affinity(self, nodes: list[int]) -> list[int] | None:
        terms = self.pod.template.preferred_node_affinity
        if not terms:
            return None
        raw = [
            sum(
                t.weight
                for t in terms
                if all(_requirement(r, self.names[i], self.labels[i]) for r in t.requirements)
            )
            for i in nodes
        ]
        return _default_normalize(raw, reverse=False)

    def score_fit(self, nodes: list[int]) -> list[int]:
        out = []
        for i in nodes:
            total = 0
            weights = 0
            for r, amount in ((0, self.pod.nz_cpu), (1, self.pod.nz_memory)):
                cap = self.alloc[i][r]
                if cap == 0:
                    continue
                req = self.nz[i][r] + amount
                if self.most:
                    s = (min(req, cap) * MAX_NODE_SCORE) // cap
                else:
                    s = 0 if req > cap else ((cap - req) * MAX_NODE_SCORE) // cap
                total += s
                weights += 1
            out.append(total // weights if weights else 0)
        return out

    def score_balanced(self, nodes: list[int]) -> list[int] | None:
        cpu, memory = int(self.pod.request[0]), int(self.pod.request[1])
        if cpu == 0 and memory == 0:
            return None  # best-effort pods skip BalancedAllocation (kubernetes#129138)
        out = []
        for i in nodes:
            fractions = []
            for r, amount in ((0, cpu), (1, memory)):
                cap = self.alloc[i][r]
                if cap == 0:
                    continue
                fractions.append(min((self.used[i][r] + amount) / cap, 1.0))
            std = 0.0
            if len(fractions) == 2:
                std = abs((fractions[0] - fractions[1]) / 2)
            out.append(int((1 - std) * MAX_NODE_SCORE))
        return out

    def _soft_constraints(self) -> list[tuple[str, int, list[int]]]:
        pod = self.pod
        labels = pod.template.labels
        if pod.template.spread:
            return [
                (c.topology_key, c.max_skew, self._selected(c.selector_for(labels), pod.namespace))
                for c in pod.template.spread
                if c.when_unsatisfiable == "ScheduleAnyway"
            ]
        if not pod.default_spread:
            return []
        # the default selector: the pods of the same controller (its ReplicaSet / StatefulSet)
        return [(key, skew, self.mine) for key, skew in _DEFAULT_CONSTRAINTS]

    def score_topology_spread(self, nodes: list[int]) -> list[int] | None:
        constraints = self._soft_constraints()
        if not constraints:
            return None
        # explicit constraints need every topology key on a node; the system defaults do not
        # (a node without a zone label counts in the domain "")
        explicit = bool(self.pod.template.spread)
        keys = [c[0] for c in constraints]
        ignored = set()
        pairs: list[dict[str, int]] = [{} for _ in constraints]
        for i in nodes:
            lab = self.labels[i]
            if explicit and not all(k in lab for k in keys):
                ignored.add(i)
                continue
            for ci, (key, _skew, _sel) in enumerate(constraints):
                if key != _HOSTNAME:
                    pairs[ci].setdefault(lab.get(key, ""), 0)
        weights = []
        for ci, (key, _skew, _sel) in enumerate(constraints):
            size = len(nodes) - len(ignored) if key == _HOSTNAME else len(pairs[ci])
            weights.append(math.log(size + 2))
        for i in range(self.n):
            lab = self.labels[i]
            if explicit and not all(k in lab for k in keys):
                continue
            for ci, (key, _skew, sel) in enumerate(constraints):
                if key == _HOSTNAME:
                    continue
                if explicit and not self._inclusion_ok(i, ci):
                    continue
                if not explicit and not self._required_affinity_ok(i):
                    continue
                value = lab.get(key, "")
                if value in pairs[ci]:
                    pairs[ci][value] += self._count(i, sel)
        raw: list[int] = []
        for i in nodes:
            if i in ignored:
                raw.append(0)
                continue
            lab = self.labels[i]
            score = 0.0
            for ci, (key, skew, sel) in enumerate(constraints):
                if key not in lab:
                    continue
                cnt = self._count(i, sel) if key == _HOSTNAME else pairs[ci][lab[key]]
                score += cnt * weights[ci] + (skew - 1)
            raw.append(int(_round_half_away(score)))
        scored = [s for i, s in zip(nodes, raw, strict=True) if i not in ignored]
        low = min(scored) if scored else 0
        high = max(scored) if scored else 0
        out = []
        for i, s in zip(nodes, raw, strict=True):
            if i in ignored:
                out.append(0)
            elif high == 0:
                out.append(MAX_NODE_SCORE)
            else:
                out.append(MAX_NODE_SCORE * (high + low - s) // high)
        return out

    def _inclusion_ok(self, i: int, ci: int) -> bool:
        soft = [c for c in self.pod.template.spread if c.when_unsatisfiable == "ScheduleAnyway"]
        c = soft[ci]
        if c.node_affinity_policy == "Honor" and not self._required_affinity_ok(i):
            return False
        return not (
            c.node_taints_policy == "Honor" and self._untolerated(i, ("NoSchedule", "NoExecute"))
        )

    def score_inter_pod_affinity(self, nodes: list[int]) -> list[int] | None:
        pod = self.pod
        tpl = pod.template
        ns, labels = pod.namespace, tpl.labels
        pref = [(w.weight, w.term.resolved(ns, labels)) for w in tpl.preferred_pod_affinity]
        pref_anti = [
            (w.weight, w.term.resolved(ns, labels)) for w in tpl.preferred_pod_anti_affinity
        ]
        topo: dict[tuple[str, str], int] = {}
        touched = False

        def add(term: PodAffinityTerm, weight: int, i: int) -> None:
            nonlocal touched
            if term.topology_key in self.labels[i]:
                pair = (term.topology_key, self.labels[i][term.topology_key])
                topo[pair] = topo.get(pair, 0) + weight
                touched = True

        for s, spec in enumerate(self.specs):
            s_ns, s_lab = spec.namespace, spec.template.labels
            s_tpl = spec.template
            s_pref = [
                (w.weight, w.term.resolved(s_ns, s_lab)) for w in s_tpl.preferred_pod_affinity
            ]
            s_pref_anti = [
                (w.weight, w.term.resolved(s_ns, s_lab)) for w in s_tpl.preferred_pod_anti_affinity
            ]
            for i in range(self.n):
                k = self.counts[s][i]
                if not k or not self.labels[i]:
                    continue
                for _ in range(k):
                    for w, t in pref:
                        if t.selects(s_ns, s_lab):
                            add(t, w, i)
                    for w, t in pref_anti:
                        if t.selects(s_ns, s_lab):
                            add(t, -w, i)
                    for t in self.affinity[s]:  # hardPodAffinityWeight 1
                        if t.selects(ns, labels):
                            add(t, 1, i)
                    for w, t in s_pref:
                        if t.selects(ns, labels):
                            add(t, w, i)
                    for w, t in s_pref_anti:
                        if t.selects(ns, labels):
                            add(t, -w, i)
        if not touched:
            return None
        raw = []
        for i in nodes:
            lab = self.labels[i]
            raw.append(sum(v for (key, value), v in topo.items() if lab.get(key) == value))
        low, high = min(raw), max(raw)
        diff = high - low
        return [int(MAX_NODE_SCORE * ((s - low) / diff)) if diff > 0 else 0 for s in raw]

    def scores(self, nodes: list[int]) -> list[int]:
        total = [0] * len(nodes)
        for name, fn in (
            ("TaintToleration", self.score_taint_toleration),
            ("NodeAffinity", self.score_node_affinity),
            ("NodeResourcesFit", self.score_fit),
            ("PodTopologySpread", self.score_topology_spread),
            ("InterPodAffinity", self.score_inter_pod_affinity),
            ("NodeResourcesBalancedAllocation", self.score_balanced),
        ):
            values = fn(nodes)
            if values is None:
                continue
            w = WEIGHTS[name]
            for j, v in enumerate(values):
                total[j] += v * w
        return total

    # ---------------------------------------------------------------------------------------

    def adjust(self, s: int, i: int, k: int) -> None:
        """Add (or with ``k`` < 0 remove) ``k`` pods of spec ``s`` on node ``i``."""
        spec = self.specs[s]
        self.counts[s][i] += k
        for r in range(len(self.resources)):
            self.used[i][r] += k * int(spec.request[r])
        self.nz[i][0] += k * spec.nz_cpu
        self.nz[i][1] += k * spec.nz_memory
        self.pods[i] += k

    def fits(self, i: int) -> Reasons:
        self.prefilter()
        return self.filter(i)

    def select_victims(self, i: int) -> tuple[tuple[dict[int, int], int] | None, Reasons]:
        """``selectVictimsOnNode``: remove every lower-priority pod; if the pod then fits, add
        them back while it still fits, first those whose eviction would violate a
        PodDisruptionBudget, then the others, each most important first (higher priority, then
        older).  Returns the victims per spec and how many of them violate a budget."""
        lower = [
            s
            for s in range(len(self.specs))
            if s != self.me and self.counts[s][i] > 0 and self.specs[s].priority < self.pod.priority
        ]
        if not lower:
            return None, [("No preemption victims found for incoming pod", "preemption", False)]
        removed = {s: self.counts[s][i] for s in lower}
        for s, k in removed.items():
            self.adjust(s, i, -k)
        reasons = self.fits(i)
        if reasons:
            for s, k in removed.items():
                self.adjust(s, i, k)
            return None, reasons
        # filterPodsWithPDBViolation: one pod at a time, most important first
        ordered = sorted(lower, key=lambda s: (-self.specs[s].priority, self.specs[s].created))
        left = [b.budget.allowed(b.healthy, b.covered, b.scale) for b in self.budgets]
        violating: list[int] = []
        others: list[int] = []
        for s in ordered:
            spec = self.specs[s]
            for _ in range(removed[s]):
                broken = False
                for p, b in enumerate(self.budgets):
                    if b.budget.covers(spec.namespace, spec.template.labels):
                        left[p] -= 1
                        if left[p] < 0:
                            broken = True
                (violating if broken else others).append(s)
        victims: dict[int, int] = {}
        broken_victims = 0
        for group, counts_broken in ((violating, True), (others, False)):
            for s in group:
                self.adjust(s, i, 1)
                if self.fits(i):
                    self.adjust(s, i, -1)
                    victims[s] = victims.get(s, 0) + 1
                    broken_victims += counts_broken
        for s, k in victims.items():
            self.adjust(s, i, k)
        return (victims, broken_victims), []

    def preempt(
        self, statuses: dict[int, Reasons], listed: list[int]
    ) -> tuple[int | None, dict[int, int], str]:
        """DefaultPreemption's PostFilter: the node to nominate and its victims, or the
        ``preemption: ...`` part of the FailedScheduling text."""
        if self.pod.template.preemption_policy == "Never":
            return None, {}, "preemption: not eligible due to preemptionPolicy=Never."
        potential = [i for i in listed if i in statuses and all(flag for _, _, flag in statuses[i])]
        wanted = max(len(potential) * 10 // 100, 100)
        wanted = min(wanted, len(potential))
        candidates: dict[int, dict[int, int]] = {}
        violations: dict[int, int] = {}
        failed: dict[int, Reasons] = {}
        for i in potential:
            found, reasons = self.select_victims(i)
            if found is None:
                failed[i] = reasons
            else:
                candidates[i], violations[i] = found
                clean = sum(1 for v in violations.values() if v == 0)
                if clean > 0 and len(candidates) >= wanted:
                    break
        if not candidates:
            text, _ = _failure(
                self.n, failed, self.n - len(failed), "Preemption is not helpful for scheduling"
            )
            return None, {}, "preemption: " + text

        def highest(i: int) -> int:
            return -max(self.specs[s].priority for s in candidates[i])

        def priority_sum(i: int) -> int:
            return -sum((self.specs[s].priority + 2**31) * k for s, k in candidates[i].items())

        def victims_count(i: int) -> int:
            return -sum(candidates[i].values())

        def earliest_start(i: int) -> int:
            # the start of the earliest of the highest-priority victims: later is better
            top = max(self.specs[s].priority for s in candidates[i])
            return min(
                self.specs[s].created for s in candidates[i] if self.specs[s].priority == top
            )

        def fewest_violations(i: int) -> int:
            return -violations[i]

        # pickOneNodeForPreemption; ties: node order
        best = list(candidates)
        for score in (fewest_violations, highest, priority_sum, victims_count, earliest_start):
            top = max(score(i) for i in best)
            best = [i for i in best if score(i) == top]
            if len(best) == 1:
                break
        node = best[0]
        return node, candidates[node], ""

    def bind(self, i: int) -> None:
        req = self.pod.request
        for r in range(len(self.resources)):
            self.used[i][r] += int(req[r])
        self.nz[i][0] += self.pod.nz_cpu
        self.nz[i][1] += self.pod.nz_memory
        self.pods[i] += 1
        self.counts[self.me][i] += 1
        self.count_in_budgets(self.me, 1, 0)

    def count_in_budgets(self, s: int, healthy: int, covered: int) -> None:
        """Pods of spec ``s`` started (``healthy`` > 0) or were evicted (< 0); ``covered``:
        pods that came into or went out of existence."""
        spec = self.specs[s]
        for b in self.budgets:
            if b.budget.covers(spec.namespace, spec.template.labels):
                b.healthy += healthy
                b.covered += covered


def _round_half_away(x: float) -> float:
    """Go's ``math.Round``: halves away from zero."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _default_normalize(raw: list[int], *, reverse: bool) -> list[int]:
    """``helper.DefaultNormalizeScore``."""
    high = max(raw) if raw else 0
    if high == 0:
        return [MAX_NODE_SCORE if reverse else 0 for _ in raw]
    out = []
    for s in raw:
        v = MAX_NODE_SCORE * s // high
        out.append(MAX_NODE_SCORE - v if reverse else v)
    return out


def _failure(
    n: int,
    statuses: dict[int, Reasons],
    absent: int,
    absent_text: str = "node(s) didn't satisfy plugin(s) [NodeAffinity]",
) -> tuple[str, frozenset[str]]:
    counts: dict[str, int] = {}
    codes: set[str] = set()
    for reasons in statuses.values():
        for text, code, _ in reasons:
            counts[text] = counts.get(text, 0) + 1
            codes.add(code)
    if absent:
        counts[absent_text] = counts.get(absent_text, 0) + absent
        if absent_text.startswith("node(s) didn't satisfy plugin(s)"):
            codes.add("nodeAffinity")
    if n == 0:
        return "no nodes available to schedule pods", frozenset({"nodes"})
    parts = sorted(f"{c} {t}" for t, c in counts.items())
    return f"0/{n} nodes are available: {', '.join(parts)}.", frozenset(codes)


def _prefilter_failure(cycle: _Cycle) -> tuple[str, frozenset[str]]:
    """A PreFilter refusal (VolumeBinding: a claim nothing binds): ``FitError`` gives its message
    instead of per-node reasons; every node is UnschedulableAndUnresolvable for the PostFilter."""
    n = cycle.n
    if cycle.pod.template.preemption_policy == "Never":
        post = "preemption: not eligible due to preemptionPolicy=Never."
    else:
        post = (
            f"preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
        )
    text = f"0/{n} nodes are available: {cycle.pod.template.volume_block}."
    return f"{text} {_POST_FILTER}{post}", frozenset({"volumes"})


def place_reference(
    fleet: Fleet,
    state: NodeState,
    bound: Sequence[tuple[PodSpec, IntArray]],
    pod: PodSpec,
    n: int,
    *,
    most_allocated: bool = False,
    rank: IntArray | None = None,
    only: BoolArray | None = None,
    percentage: int = 0,
    start: int = 0,
    budgets: Sequence[tuple[DisruptionBudget, int, int, int]] = (),
    ties: Sequence[float] | npt.NDArray[np.float64] | None = None,
) -> Placement:
    """Schedule ``n`` pods of ``pod`` one at a time with the default profile.

    Parameters
    ----------
    fleet : Fleet
        The nodes (names, labels, taints, cordons).
    state : NodeState
        Their allocatable and what the bound pods use (not modified).
    bound : sequence of (PodSpec, array of int)
        The pods already on the nodes, per spec: pods per node [pods].
    pod : PodSpec
        The pods to schedule.
    n : int
        How many [pods].
    most_allocated : bool
        NodeResourcesFit MostAllocated instead of LeastAllocated.
    rank : array of int, optional
        Tie rule: a permutation of the nodes (lower wins); default the node index.
    only : array of bool, optional
        The one node a pinned pod (DaemonSet) may go to: its required node affinity is
        ``matchFields metadata.name In [node]`` (NodeAffinity PreFilter).
    percentage : int
        ``percentageOfNodesToScore`` (0: adaptive).
    start : int
        The scheduler's next start index into its node list.
    budgets : sequence of (DisruptionBudget, int, int, int)
        PodDisruptionBudgets (DefaultPreemption) with the pods their controller counts:
        running, existing, and the scale of their controllers [pods].
    ties : sequence or array of float, optional
        One number in [0, 1) per pod: the ``j``-th pod takes the ``floor(ties[j] * k)``-th of
        its ``k`` best-scored nodes, in the order they were found (the scheduler picks one of
        them at random), instead of the rule of ``rank``.

    Returns
    -------
    Placement
    """
    pinned = None if only is None else int(np.argmax(only))
    cycle = _Cycle(fleet, state, bound, pod, most_allocated, pinned, budgets)
    total = cycle.n
    if pod.template.volume_block and n > 0:
        return Placement(np.zeros(total, dtype=np.int64), start, _prefilter_failure(cycle))
    ranks = list(range(total)) if rank is None else [int(x) for x in rank]
    listed = cycle.order
    if only is not None:
        listed = [i for i in listed if bool(only[i])]
    failure = None
    evicted: list[tuple[int, int, int]] = []
    for pod_number in range(n):
        cycle.prefilter()
        to_find = num_feasible_nodes_to_find(percentage, len(listed))
        feasible: list[int] = []
        statuses: dict[int, Reasons] = {}
        processed = 0
        for j in range(len(listed)):
            i = listed[(start + j) % len(listed)]
            processed += 1
            reasons = cycle.filter(i)
            if reasons:
                statuses[i] = reasons
            else:
                feasible.append(i)
                if len(feasible) >= to_find:
                    break
        if total:
            start = (start + processed) % total
        if not feasible and total == 0:
            failure = _failure(0, {}, 0)  # ErrNoNodesAvailable: no PostFilter
            break
        if not feasible:
            node, victims, message = cycle.preempt(statuses, listed)
            if node is not None:
                for s, k in victims.items():
                    cycle.adjust(s, node, -k)
                    # a controller recreates its pods (pending); a bare pod is gone
                    gone = k if cycle.specs[s].key[1] in ("Pod", "Node", "") else 0
                    cycle.count_in_budgets(s, -k, -gone)
                    evicted.append((s, node, k))
                if not cycle.fits(node):  # the nominated node is tried first
                    cycle.bind(node)
                    continue
            text, codes = _failure(total, statuses, total - len(listed))
            failure = (f"{text} {_POST_FILTER}{message}", codes)
            break
        if len(feasible) == 1:
            chosen = feasible[0]
        elif ties is not None:
            scores = cycle.scores(feasible)
            top = max(scores)
            tied = [i for i, score in zip(feasible, scores, strict=True) if score == top]
            chosen = tied[min(int(ties[pod_number] * len(tied)), len(tied) - 1)]
        else:
            scores = cycle.scores(feasible)
            own = [cycle._count(i, cycle.mine) for i in feasible]
            # podcap's tie rule: the fewest pods of the workload, then node order; with a seed,
            # a seeded random order alone (the real scheduler picks at random)
            fewest = [-x for x in own] if rank is None else [0] * len(own)
            best = max(
                range(len(feasible)),
                key=lambda j: (scores[j], fewest[j], -ranks[feasible[j]]),
            )
            chosen = feasible[best]
        cycle.bind(chosen)
    return Placement(
        np.asarray(cycle.counts[cycle.me], dtype=np.int64), start, failure, tuple(evicted)
    )


def explain_reference(
    fleet: Fleet,
    state: NodeState,
    bound: Sequence[tuple[PodSpec, IntArray]],
    pod: PodSpec,
    *,
    only: BoolArray | None = None,
) -> tuple[str, frozenset[str]] | None:
    """The FailedScheduling text (and limit codes) of one more pod of ``pod`` on the cluster as
    it is: PreFilter and every filter on every node.  None when some node would take it."""
    pinned = None if only is None else int(np.argmax(only))
    cycle = _Cycle(fleet, state, bound, pod, False, pinned)
    if pod.template.volume_block and cycle.n:
        return _prefilter_failure(cycle)
    listed = cycle.order if only is None else [i for i in cycle.order if bool(only[i])]
    cycle.prefilter()
    statuses: dict[int, Reasons] = {}
    for i in listed:
        reasons = cycle.filter(i)
        if not reasons:
            return None
        statuses[i] = reasons
    text, codes = _failure(cycle.n, statuses, cycle.n - len(listed))
    if cycle.n == 0:
        return text, codes
    node, _, message = cycle.preempt(statuses, listed)
    if node is not None or not message:
        return text, codes
    return f"{text} {_POST_FILTER}{message}", codes
