"""PodDisruptionBudgets (``policy/v1``): which pods they cover and how many disruptions they allow.

The disruption controller (``pkg/controller/disruption/disruption.go``) sets a budget's
``status.disruptionsAllowed``; the scheduler's DefaultPreemption reads it
(``filterPodsWithPDBViolation``).  :meth:`DisruptionBudget.allowed` is the controller's
arithmetic:

* ``maxUnavailable`` (count or percentage): ``expected`` = the scale of the controllers of the
  covered pods; ``desiredHealthy = expected - maxUnavailable`` (a percentage of ``expected``,
  rounded up), at least 0;
* ``minAvailable`` as a count: ``expected`` = the covered pods, ``desiredHealthy`` = the count;
* ``minAvailable`` as a percentage: ``expected`` = the controllers' scale, ``desiredHealthy`` =
  the percentage of it, rounded up;
* neither: ``expected = desiredHealthy = 0``;

``disruptionsAllowed = healthy - desiredHealthy``, 0 when that is negative or ``expected`` is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from podcap.model.workloads import LabelSelector

__all__ = ["SCALABLE_KINDS", "DisruptionBudget"]

#: Controllers whose scale counts as a budget's expected pods (the disruption controller's
#: ``getExpectedScale`` finders: ReplicaSets through their Deployment, StatefulSets,
#: ReplicationControllers, and the scale subresource, which Argo Rollouts have).
SCALABLE_KINDS = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "Rollout"}
)


def _scaled(value: int | str, total: int) -> int:
    """``intstr.GetScaledValueFromIntOrPercent`` rounding up."""
    if isinstance(value, int):
        return value
    return math.ceil(int(value.rstrip("%")) * total / 100)


@dataclass(frozen=True)
class DisruptionBudget:
    """A PodDisruptionBudget.

    Parameters
    ----------
    namespace, name : str
    selector : LabelSelector or None
        The pods it covers; None or an empty selector covers none (as the scheduler reads it).
    min_available, max_unavailable : int or str or None
        A count [pods] or a percentage such as ``"50%"``; at most one is set.
    source : str
        Where it was read (file and document), for messages.
    """

    namespace: str
    name: str
    selector: LabelSelector | None
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    source: str = ""

    def covers(self, namespace: str, labels: Mapping[str, str]) -> bool:
        """Whether a pod with these labels in ``namespace`` is covered (a pod without labels
        never is)."""
        return (
            namespace == self.namespace
            and bool(labels)
            and self.selector is not None
            and bool(self.selector.match_labels or self.selector.match_expressions)
            and self.selector.matches(labels)
        )

    def allowed(self, healthy: int, covered: int, scale: int) -> int:
        """``status.disruptionsAllowed``.

        Parameters
        ----------
        healthy : int
            Covered pods that are running [pods].
        covered : int
            Covered pods that exist [pods].
        scale : int
            Replicas their controllers want [pods] (bare pods do not count).
        """
        if self.max_unavailable is not None:
            expected = scale
            desired = max(expected - _scaled(self.max_unavailable, expected), 0)
        elif isinstance(self.min_available, int):
            expected, desired = covered, self.min_available
        elif self.min_available is not None:
            expected = scale
            desired = _scaled(self.min_available, expected)
        else:
            expected = desired = 0
        if expected <= 0:
            return 0
        return max(healthy - desired, 0)
