"""How much memory a simulation's arrays take, checked before they are allocated.

A node group may hold up to 10,000,000 nodes and a cluster any number of groups; a fleet far
past the machine's memory would otherwise end in a ``MemoryError`` deep inside numpy or in the
operating system's out-of-memory killer.  :func:`check_simulation_size` estimates the bytes from
the counts alone and raises :class:`~podcap.errors.SimulationTooLargeError` first.

The limit is the machine's physical memory (``os.sysconf``: ``SC_PHYS_PAGES`` x
``SC_PAGE_SIZE``), or ``PODCAP_MEMORY_LIMIT`` (bytes, or a quantity such as ``64Gi``) when set.
"""

from __future__ import annotations

import os

from podcap.errors import InvalidOptionError, InvalidQuantityError, SimulationTooLargeError
from podcap.model.quantity import parse_memory

__all__ = ["check_simulation_size"]

# Per-item costs, measured with tracemalloc on fast-engine simulations of 20,000 and 100,000
# nodes with 1 to 40 workloads (about 600 B per node, 68 B per node and workload), rounded up.
#: Per node: its name, the per-node arrays of the fleet and the state, the node frame [B].
NODE_BYTES = 700
#: Per node and tracked resource beyond the four standard ones (allocatable, requested) [B].
RESOURCE_BYTES = 16
#: Per node and workload: pods bound, pinned and addressed per node, and scheduling
#: temporaries [B].
NODE_WORKLOAD_BYTES = 96
#: Per row of the placements frame (a workload's pods on one node) [B].
PLACEMENT_BYTES = 64
_STANDARD_RESOURCES = 4
_ENV = "PODCAP_MEMORY_LIMIT"


def _estimate(nodes: int, workloads: int, pods: int, resources: int) -> int:
    extra = max(resources - _STANDARD_RESOURCES, 0)
    placements = min(pods, nodes * workloads)
    return (
        nodes * (NODE_BYTES + extra * RESOURCE_BYTES)
        + nodes * workloads * NODE_WORKLOAD_BYTES
        + placements * PLACEMENT_BYTES
    )


def _human(num_bytes: int) -> str:
    """Bytes as GiB or MiB with one decimal (``"652.0 GiB"``)."""
    if num_bytes >= 1 << 30:
        return f"{num_bytes / (1 << 30):,.1f} GiB"
    return f"{num_bytes / (1 << 20):,.1f} MiB"


def _limit() -> tuple[int, str] | None:
    """The memory a simulation may use [B] and where that figure comes from."""
    raw = os.environ.get(_ENV)
    if raw is not None:
        try:
            value = parse_memory(raw.strip(), field=_ENV)
        except InvalidQuantityError:
            value = 0
        if value < 1:
            raise InvalidOptionError(
                f"environment variable {_ENV}={raw[:40]!r}: expected bytes as a whole number "
                "or a quantity such as '64Gi'"
            )
        return value, f"{_ENV}={raw.strip()}"
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None
    if pages <= 0 or page_size <= 0:
        return None
    return pages * page_size, "this machine's physical memory"


def check_simulation_size(
    nodes: int, workloads: int = 1, pods: int = 0, *, resources: int = _STANDARD_RESOURCES
) -> int:
    """Estimate the memory a simulation's arrays need, and refuse one that cannot fit.

    Parameters
    ----------
    nodes : int
        Nodes of the cluster [count].
    workloads : int
        Workloads in the state after the step, those already running included [count].
    pods : int
        Pods desired in all [pods] (they are counted per node, so they matter only through the
        rows of the placements frame).
    resources : int
        Resources tracked per node (4 standard ones plus extended resources) [count].

    Returns
    -------
    int
        The estimate [B]: about 700 B per node, 96 B per node and workload, 64 B per placement
        row; measured on the fast engine (the reference engine also keeps Python objects per
        pod and is meant for small fleets).

    Raises
    ------
    SimulationTooLargeError
        When the estimate is above the limit: the machine's physical memory, or
        ``PODCAP_MEMORY_LIMIT`` (bytes, or a quantity such as ``64Gi``) when set.  Raised
        before anything is allocated.
    InvalidOptionError
        When ``PODCAP_MEMORY_LIMIT`` is not a whole number of bytes or a quantity.
    """
    need = _estimate(max(nodes, 0), max(workloads, 0), max(pods, 0), resources)
    limit = _limit()
    if limit is not None and need > limit[0]:
        plural = "" if workloads == 1 else "s"
        raise SimulationTooLargeError(
            f"a simulation of {nodes:,} nodes and {workloads:,} workload{plural} needs about "
            f"{_human(need)} for its arrays, more than the {_human(limit[0])} of "
            f"{limit[1]}; simulate fewer nodes (the nodes of a group are identical, so a "
            "fraction of each group with the same fraction of the replicas shows the same "
            f"limits), or set {_ENV} (bytes, or a quantity such as 64Gi) on a machine with more "
            "memory"
        )
    return need
