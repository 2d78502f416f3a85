"""Cluster states from the files users keep (eksctl, kOps, Terraform, kubectl snapshots,
podcap files)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from podcap.errors import InvalidManifestError
from podcap.io.clusters import NodeConfigSource, read_cluster_input, read_node_pools
from podcap.model.specs import EbsCsiDriver, VpcCni
from podcap.pipeline.state import ClusterState

__all__ = ["read_cluster"]


def read_cluster(
    source: str | os.PathLike[str],
    *,
    system_pods: bool = True,
    cni: VpcCni | None = None,
    table: pd.DataFrame | None = None,
    variables: Mapping[str, Any] | None = None,
    var_files: Sequence[str | os.PathLike[str]] = (),
    cluster_name: str | None = None,
    node_config: NodeConfigSource | Mapping[str, NodeConfigSource] | None = None,
    node_pools: str | os.PathLike[str] | None = None,
    zones: Sequence[str] = (),
    region: str = "us-east-1",
    prices: pd.DataFrame | None = None,
    ebs_csi: EbsCsiDriver | None = None,
) -> ClusterState:
    """Read a cluster from any supported file, detecting its format.

    Parameters
    ----------
    source : path
        A podcap cluster file, an eksctl ClusterConfig, a ``kops get -o yaml`` file, a
        Terraform directory (or ``.tf`` file) using terraform-aws-modules/eks/aws, or a kubectl
        JSON snapshot (a file or a directory of JSON files).
    system_pods : bool
        Include the system workloads the format implies (aws-node, kube-proxy, CoreDNS, ...).
    cni : VpcCni, optional
        VPC CNI settings of a kubectl snapshot (they are not in the objects kubectl returns).
    table : pandas.DataFrame, optional
        An instance table from :func:`podcap.load_instance_table` (new or private types); every
        calculation on the cluster uses it.  Default the bundled table.
    variables : mapping, optional
        Terraform: variable values, as ``-var`` gives them (``{"node_count": 3}``), and values of
        module-block attributes by address
        (``{"module.eks.eks_managed_node_groups.default.desired_size": 3}``).
    var_files : sequence of path, optional
        Terraform: more ``.tfvars`` files (``-var-file``), after ``terraform.tfvars`` and
        ``*.auto.tfvars``.
    cluster_name : str, optional
        Terraform: which cluster, when the directory defines several (its name or module
        address, ``module.eks``).
    node_config : path, str, mapping, optional
        nodeadm NodeConfig(s) the nodes boot with (``kubelet.config.maxPods``, ``kubeReserved``,
        ``systemReserved``, ``evictionHard``, ``maxPodsExpression``, kubelet flags): a file or
        text (YAML, or MIME user data) or a parsed document for every node group, or a mapping
        of node-group name (``"*"``: every group) to one.
    node_pools : path, optional
        A YAML file (or directory of them) with Karpenter ``NodePool`` and ``EC2NodeClass``
        documents, beside any cluster source (they may also be in the cluster file itself).
    zones : sequence of str
        Karpenter: the zones of the EC2NodeClass's subnets (not knowable offline); default the
        NodePools' zone requirements, else the zones of the cluster's nodes.
    region : str
        Karpenter: the region whose on-demand prices apply (regions without bundled prices
        use us-east-1's, as Karpenter does before it reads the price list).
    prices : pandas.DataFrame, optional
        Karpenter: the user's prices (``instance_type, capacity_type, usd_per_hour``); the only
        source of spot prices.
    ebs_csi : EbsCsiDriver, optional
        The EBS CSI driver's node flags (``--volume-attach-limit``,
        ``--reserved-volume-attachments``) for every node group, over what the file says.

    Returns
    -------
    ClusterState
        The nodes; the pods of a snapshot bound to them; the snapshot's LimitRanges,
        ResourceQuotas and PriorityClasses in effect; the system workloads the format implies,
        applied but without pods yet (they are created in the first step, before the pods of
        what that step applies).  ``state.source`` names the format, ``state.implied`` the
        system workloads, ``state.skipped`` what was not used.

    Raises
    ------
    InvalidManifestError
        When the file is none of the formats: the message lists each format tried and why it
        did not match, or names the field that is wrong in the format it is.
    """
    ci = read_cluster_input(
        source,
        system_pods=system_pods,
        cni=cni,
        table=table,
        variables=variables,
        var_files=var_files,
        cluster_name=cluster_name,
        node_config=node_config,
        ebs_csi=ebs_csi,
    )
    if node_pools is not None:
        extra, skipped = read_node_pools(node_pools)
        if ci.karpenter is not None:
            raise InvalidManifestError(
                f"{source} already holds Karpenter NodePools; give them in one place "
                f"(not also in {node_pools})"
            )
        ci.karpenter = extra
        ci.skipped = [*ci.skipped, *skipped]
    state = ClusterState.of(ci)
    k = state.karpenter
    if k is not None and (zones or region != "us-east-1" or prices is not None):
        state = state.with_node_pools(
            k.node_pools,
            k.node_classes.values(),
            zones=zones or k.zones,
            region=region,
            prices=prices,
        )
    elif k is None and (zones or prices is not None):
        raise InvalidManifestError(
            f"{source}: zones and prices apply to Karpenter NodePools, and there are none"
        )
    return state
