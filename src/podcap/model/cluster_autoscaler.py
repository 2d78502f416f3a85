"""cluster-autoscaler: its settings and how its expanders choose a node group.

Written from kubernetes/autoscaler ``cluster-autoscaler/expander/`` (``waste/waste.go``,
``mostpods/mostpods.go``, ``price/price.go``, ``priority/priority.go``, ``random/random.go``)
and ``estimator/`` (``binpacking_estimator.go``, ``decreasing_pod_orderer.go``); the rules and
podcap's simplifications are listed in ``docs/domain.md`` (section 14).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from podcap.errors import InvalidSpecError

__all__ = ["EXPANDERS", "ClusterAutoscaler", "Expander", "Option", "best_option"]

Expander = Literal["least-waste", "most-pods", "price", "priority", "random"]
EXPANDERS: tuple[str, ...] = ("least-waste", "most-pods", "price", "priority", "random")


@dataclass(frozen=True)
class ClusterAutoscaler:
    """cluster-autoscaler in a cluster: it scales node groups with ``max_count`` set.

    Parameters
    ----------
    expander : {"least-waste", "most-pods", "price", "priority", "random"}
        ``--expander``: how a node group is chosen among those that would help.
    priorities : mapping of int to sequence of str
        The priority expander's ConfigMap (``cluster-autoscaler-priority-expander``): priority
        -> regular expressions of node-group names; the highest matching priority wins.
    scale_down_utilization_threshold : float
        ``--scale-down-utilization-threshold`` (0.5): a node whose requested cpu and memory are
        both below this share of its allocatable is a scale-down candidate.
    skip_nodes_with_system_pods : bool
        ``--skip-nodes-with-system-pods`` (true): nodes running kube-system pods other than
        DaemonSet pods are never removed.
    region : str
        Region for node prices (price expander, costs).
    seed : int
        Seed of the random choice among equally good options (the real autoscaler picks at
        random; podcap makes it repeatable).
    """

    expander: Expander = "least-waste"
    priorities: Mapping[int, Sequence[str]] = field(default_factory=dict)
    scale_down_utilization_threshold: float = 0.5
    skip_nodes_with_system_pods: bool = True
    region: str = "us-east-1"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.expander not in EXPANDERS:
            raise InvalidSpecError(
                f"cluster-autoscaler expander {self.expander!r} is not one of "
                f"{', '.join(EXPANDERS)}"
            )
        if not 0 < self.scale_down_utilization_threshold <= 1:
            raise InvalidSpecError(
                "scale_down_utilization_threshold must be in (0, 1], got "
                f"{self.scale_down_utilization_threshold!r}"
            )
        for prio, patterns in self.priorities.items():
            if isinstance(prio, bool) or not isinstance(prio, int):
                raise InvalidSpecError(f"priorities: keys are integers, got {prio!r}")
            for p in patterns:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise InvalidSpecError(
                        f"priorities[{prio}]: {p!r} is not a regular expression ({exc})"
                    ) from None
        if self.expander == "priority" and not self.priorities:
            raise InvalidSpecError("the priority expander needs priorities (priority -> regexes)")


@dataclass(frozen=True)
class Option:
    """A node group that would help pending pods.

    Attributes
    ----------
    group : str
    nodes : int
        New nodes [count].
    pods : int
        Pending pods they would take [pods].
    requested_cpu, requested_memory : int
        Those pods' requests [m], [B].
    node_cpu, node_memory : int
        One node's capacity [m], [B].
    node_price : float or None
        One node's hourly price [USD/h].
    """

    group: str
    nodes: int
    pods: int
    requested_cpu: int
    requested_memory: int
    node_cpu: int
    node_memory: int
    node_price: float | None = None


def _waste(o: Option) -> float:
    """``waste.go``: unused share of the new nodes' cpu plus unused share of their memory
    (capacity times node count against the pods' requests)."""
    cpu = o.node_cpu * o.nodes
    mem = o.node_memory * o.nodes
    return (cpu - o.requested_cpu) / cpu + (mem - o.requested_memory) / mem


def _priority(o: Option, priorities: Mapping[int, Sequence[str]]) -> int | None:
    best = None
    for prio, patterns in priorities.items():
        if any(re.search(p, o.group) for p in patterns):  # Go's FindStringIndex: a match anywhere
            best = prio if best is None else max(best, prio)
    return best


def best_option(
    options: Sequence[Option], config: ClusterAutoscaler
) -> tuple[Option | None, list[Option]]:
    """The option the expander picks, and the equally good ones it picked among.

    Ties are broken by the ``random`` fallback every expander ends with; podcap draws it from
    ``config.seed`` so the answer repeats.
    """
    if not options:
        return None, []
    kind = config.expander
    if kind == "least-waste":
        scores = [_waste(o) for o in options]
        low = min(scores)
        tied = [o for o, s in zip(options, scores, strict=True) if s == low]
    elif kind == "most-pods":
        most = max(o.pods for o in options)
        tied = [o for o in options if o.pods == most]
    elif kind == "price":
        priced = [o for o in options if o.node_price is not None]
        if not priced:
            tied = list(options)
        else:
            per_pod = [(o.node_price or 0.0) * o.nodes / o.pods for o in priced]
            low = min(per_pod)
            tied = [o for o, s in zip(priced, per_pod, strict=True) if s == low]
    elif kind == "priority":
        ranked = [(o, _priority(o, config.priorities)) for o in options]
        matched = [(o, p) for o, p in ranked if p is not None]
        if not matched:
            tied = list(options)  # priority.go: no group matched, a random choice among all
        else:
            top = max(p for _, p in matched)
            tied = [o for o, p in matched if p == top]
    else:
        tied = list(options)
    pick = random.Random(config.seed).choice(sorted(tied, key=lambda o: o.group))
    return pick, tied
