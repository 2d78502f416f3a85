"""NodePorts: a pod's host ports must be free on the node: no pod there binds the same
protocol and port on the same host IP, or on 0.0.0.0 on either side (kube-scheduler
``plugins/nodeports``, ``HostPortInfo.CheckConflict``).  A pod's own copies conflict with it, so
a workload with host ports runs at most one pod per node."""

from __future__ import annotations

import numpy as np

from podcap.scheduler.framework import (
    BoolArray,
    FilterContext,
    FilterPlugin,
    IntArray,
    PodClass,
    Reason,
)

NAME = "NodePorts"


def conflict(a: tuple[tuple[str, str, int], ...], b: tuple[tuple[str, str, int], ...]) -> bool:
    """Whether two sets of (protocol, host IP, port) host ports conflict."""
    for protocol, ip, port in a:
        for other_protocol, other_ip, other_port in b:
            if (protocol, port) == (other_protocol, other_port) and (
                "0.0.0.0" in (ip, other_ip) or ip == other_ip
            ):
                return True
    return False


def room(pc: PodClass, own: IntArray) -> IntArray | None:
    """Pods each node can still take under the pod's host ports (None: no host ports)."""
    if not pc.host_ports:
        return None
    cap = np.maximum(1 - own, 0)
    if pc.ports_taken is not None:
        cap = np.where(pc.ports_taken, 0, cap)
    out: IntArray = cap.astype(np.int64)
    return out


def blocked(pc: PodClass, own: IntArray) -> BoolArray:
    """Nodes where one more pod of ``pc`` finds a host port taken."""
    out = np.zeros(own.shape[0], dtype=bool)
    if pc.host_ports:
        out |= own > 0
        if pc.ports_taken is not None:
            out |= pc.ports_taken
    return out


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) didn't have free ports for the requested pod ports``."""
    if not ctx.pc.host_ports:
        return []
    text = "node(s) didn't have free ports for the requested pod ports"
    return [Reason(blocked(ctx.pc, ctx.own), text, "hostPort", resolvable=True)]


PLUGIN = FilterPlugin(NAME, reasons=reasons)
