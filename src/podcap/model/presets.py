"""Ready-made settings: EKS Auto Mode's built-in NodePools.

EKS Auto Mode runs Karpenter for the cluster.  Its two built-in NodePools, as AWS documents
them (awsdocs/amazon-eks-user-guide ``latest/ug/automode/set-builtin-node-pools.adoc``,
"Built-in NodePool Reference"):

* ``system``: taint ``CriticalAddonsOnly`` (NoSchedule), amd64 and arm64;
* ``general-purpose``: amd64 only;
* both: the default EKS NodeClass, on-demand capacity only, the C, M and R families,
  generation 5 or newer.  They can only be enabled or disabled, not edited.

Max pods: "EKS limits the maximum number of pods on a node to 110", applied after the usual
calculation (``latest/ug/automode/create-node-class.adoc``); podcap caps Karpenter's count for
the type at 110.  Which base count Auto Mode uses (it turns on prefix delegation) is not
published: that part is an assumption, stated in ``docs/domain.md``.  Other details of the
built-in YAML (consolidation timing, budgets) are not published either; Karpenter's defaults
are used.
"""

from __future__ import annotations

from collections.abc import Iterable

from podcap.errors import InvalidSpecError
from podcap.model.karpenter import NodeClass, NodePool, Requirement
from podcap.model.specs import Taint

__all__ = ["AUTO_MODE_NODE_POOLS", "eks_auto_mode"]

#: The built-in NodePools of EKS Auto Mode.
AUTO_MODE_NODE_POOLS = ("general-purpose", "system")
_EKS = "eks.amazonaws.com/"


def eks_auto_mode(
    node_pools: Iterable[str] = AUTO_MODE_NODE_POOLS,
) -> tuple[tuple[NodePool, ...], NodeClass]:
    """EKS Auto Mode's built-in NodePools and its default NodeClass.

    Parameters
    ----------
    node_pools : iterable of str
        The built-in NodePools enabled (``computeConfig.nodePools``): ``general-purpose``,
        ``system`` or both.

    Returns
    -------
    (tuple of NodePool, NodeClass)
        For :meth:`podcap.ClusterState.with_node_pools` (``*eks_auto_mode()``).

    Examples
    --------
    >>> pools, node_class = eks_auto_mode()
    >>> [p.name for p in pools]
    ['general-purpose', 'system']
    """
    wanted = list(dict.fromkeys(str(n) for n in node_pools))
    unknown = [n for n in wanted if n not in AUTO_MODE_NODE_POOLS]
    if unknown:
        raise InvalidSpecError(
            f"EKS Auto Mode has no built-in NodePool {', '.join(map(repr, unknown))}; valid: "
            f"{', '.join(AUTO_MODE_NODE_POOLS)}"
        )
    common = (
        Requirement("karpenter.sh/capacity-type", "In", ("on-demand",)),
        Requirement(_EKS + "instance-category", "In", ("c", "m", "r")),
        Requirement(_EKS + "instance-generation", "Gt", ("4",)),
        Requirement("kubernetes.io/os", "In", ("linux",)),
    )
    pools = {
        "general-purpose": NodePool(
            "general-purpose",
            (*common, Requirement("kubernetes.io/arch", "In", ("amd64",))),
        ),
        "system": NodePool(
            "system",
            (*common, Requirement("kubernetes.io/arch", "In", ("amd64", "arm64"))),
            taints=(Taint("CriticalAddonsOnly", "", "NoSchedule"),),
        ),
    }
    node_class = NodeClass("default", ami_family="Bottlerocket", max_pods_cap=110)
    return tuple(pools[n] for n in wanted), node_class
