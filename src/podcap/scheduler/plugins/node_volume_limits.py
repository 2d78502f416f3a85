"""NodeVolumeLimits: a node takes no more CSI volumes than its driver's attach limit (the
``CSINode`` ``allocatable.count``), counting the volumes already attached by the pods on it and
the pod's new ones (kube-scheduler ``plugins/nodevolumelimits/csi.go``).

podcap tracks the EBS CSI driver's count as a per-node resource
(:data:`podcap.model.volumes.EBS_VOLUMES`, the limit from
:func:`podcap.model.volumes.node_volume_limits`), so the fast engine's capacity includes it with
the other resources; this plugin gives the reason.  The status is Unschedulable: evicting pods
with volumes can make room.
"""

from __future__ import annotations

from podcap.model.volumes import EBS_VOLUMES
from podcap.scheduler.framework import FilterContext, FilterPlugin, Reason

NAME = "NodeVolumeLimits"
TEXT = "node(s) exceed max volume count"


def counted(resource: str) -> bool:
    """Whether ``resource`` is an attach limit this plugin enforces (not NodeResourcesFit)."""
    return resource.startswith("attachable-volumes-")


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) exceed max volume count`` where the pod's new volumes do not fit."""
    resources = ctx.fleet.resources
    if EBS_VOLUMES not in resources:
        return []
    r = resources.index(EBS_VOLUMES)
    want = int(ctx.pc.request[r])
    if want <= 0:
        return []
    over = ctx.state.used[r] + want > ctx.state.alloc[r]
    return [Reason(over, TEXT, "volumes", resolvable=True)]


PLUGIN = FilterPlugin(NAME, reasons=reasons)
