"""VolumeBinding: a pod's PersistentVolumeClaims must be bindable on the node
(kube-scheduler ``plugins/volumebinding``).

* PreFilter: a claim nothing can bind (no class and no volume) refuses the pod on every node
  (``pod has unbound immediate PersistentVolumeClaims``, UnschedulableAndUnresolvable).
* Filter: a claim bound to a PersistentVolume admits only the nodes its node affinity matches
  (``node(s) had volume node affinity conflict``); an unbound claim of a StorageClass with
  ``allowedTopologies`` only the nodes in them (``node(s) didn't find available persistent
  volumes to bind``).  Node labels include the EBS CSI driver's topology label
  (:func:`podcap.model.volumes.node_volume_labels`).

VolumeZone, which filters next, is folded in here: a bound volume's zone and region labels
admit the nodes with the same labels or none at all (``node(s) had no available volume zone``,
for nodes VolumeBinding admitted).

All depend on node labels only: a static mask.  The volumes' meaning on the cluster is
resolved once per step (:func:`podcap.model.volumes.resolve_volumes`) into the template.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from podcap.model.fleet import Fleet
from podcap.model.specs import Toleration
from podcap.model.volumes import NODE_CONFLICT, ZONE_CONFLICT, node_volume_labels
from podcap.model.workloads import PodTemplate, VolumeTopology
from podcap.scheduler.framework import BoolArray, FilterContext, FilterPlugin, Reason
from podcap.scheduler.plugins.node_affinity import requirement_ok

NAME = "VolumeBinding"


def _matches(topo: VolumeTopology, labels: dict[str, str], name: str) -> bool:
    for term in topo.terms:
        if all(
            requirement_ok(r, name if r.key == "metadata.name" else labels.get(r.key)) for r in term
        ):
            return True
    return False


def topology_masks(fleet: Fleet, template: PodTemplate) -> list[tuple[VolumeTopology, BoolArray]]:
    """Per volume with a topology, the nodes it admits (labels checked once per group and zone;
    per node only for terms on the node's name)."""
    if not template.volume_topology:
        return []
    first, inverse = fleet.cells()
    out = []
    for topo in template.volume_topology:
        by_name = any(
            r.key in ("metadata.name", "kubernetes.io/hostname") for t in topo.terms for r in t
        )
        mask = np.zeros(fleet.size, dtype=bool)
        for c, i in enumerate(first):
            labels = node_volume_labels(fleet.labels_of(int(i)))
            sel = np.flatnonzero(inverse == c)
            if by_name:
                for j in sel:
                    own = dict(labels, **{"kubernetes.io/hostname": str(fleet.names[j])})
                    mask[j] = _matches(topo, own, str(fleet.names[j]))
            else:
                mask[sel] = _matches(topo, labels, "")
        out.append((topo, mask))
    return out


def static(
    fleet: Fleet, template: PodTemplate, tolerations: Sequence[Toleration]
) -> BoolArray | None:
    """The nodes every volume of the pod admits; no node when a claim cannot be bound; None
    when the pod has no such volume."""
    if template.volume_block:
        return np.zeros(fleet.size, dtype=bool)
    masks = topology_masks(fleet, template)
    if not masks:
        return None
    out = np.ones(fleet.size, dtype=bool)
    for _, mask in masks:
        out &= mask
    return out


def conflicts(fleet: Fleet, template: PodTemplate) -> tuple[tuple[str, BoolArray], ...]:
    """Per reason (the binder's, in its order: bound volumes' node affinity, then unbound
    claims' topology), the nodes it rejects; a node can have both."""
    by_text: dict[str, BoolArray] = {}
    for topo, mask in topology_masks(fleet, template):
        by_text[topo.reason] = by_text.get(topo.reason, np.zeros(fleet.size, dtype=bool)) | ~mask
    zone = by_text.pop(ZONE_CONFLICT, None)
    order = sorted(by_text, key=lambda t: t != NODE_CONFLICT)
    out = [(t, by_text[t]) for t in order]
    if zone is not None:
        # VolumeZone filters after VolumeBinding: only the nodes VolumeBinding admitted
        failed = np.zeros(fleet.size, dtype=bool)
        for _, mask in out:
            failed |= mask
        out.append((ZONE_CONFLICT, zone & ~failed))
    return tuple(out)


def reasons(ctx: FilterContext) -> list[Reason]:
    """``node(s) had volume node affinity conflict`` and ``node(s) didn't find available
    persistent volumes to bind`` (UnschedulableAndUnresolvable)."""
    return [Reason(nodes, text, "volumeZone") for text, nodes in ctx.pc.volume_conflicts]


PLUGIN = FilterPlugin(NAME, "volume_zone", static=static, reasons=reasons)
