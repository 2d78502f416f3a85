"""Persistent volumes: StorageClasses, PersistentVolumeClaims, PersistentVolumes, and what they
mean for scheduling on AWS.

* **Attachment limit** (:func:`node_volume_limits`): the number of EBS volumes the EBS CSI
  driver's node plugin reports for a node (``CSINode.spec.drivers[ebs.csi.aws.com].allocatable
  .count``), which the NodeVolumeLimits filter enforces: ``node(s) exceed max volume count``.
  On Nitro instances EBS volumes share the instance's attachment slots with the ENIs and the
  NVMe instance-store volumes, so the ENIs the VPC CNI attaches leave fewer slots for volumes.
* **Where a volume lets a pod run** (:func:`resolve_volumes`): a claim bound to a
  PersistentVolume pins the pod to the nodes matching the volume's node affinity (the zone of an
  EBS volume); an unbound claim of a StorageClass with ``allowedTopologies`` limits the pod to
  those zones (VolumeBinding).

EBS volumes are those of the EBS CSI driver ``ebs.csi.aws.com`` and of the in-tree
``kubernetes.io/aws-ebs`` provisioner (migrated to the CSI driver, and counted under its
limit).  Counts are plain integers [volumes].
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap.errors import PodcapWarning
from podcap.model.fleet import Fleet
from podcap.model.instances import ebs_volume_limit
from podcap.model.ipam import node_pool
from podcap.model.specs import EbsCsiDriver
from podcap.model.workloads import NodeSelectorRequirement, PodVolume, VolumeTopology, Workload

IntArray = npt.NDArray[np.int64]

__all__ = [
    "EBS_CSI_DRIVER",
    "EBS_PROVISIONERS",
    "EBS_VOLUMES",
    "EBS_ZONE_KEY",
    "Claim",
    "PersistentVolume",
    "Storage",
    "StorageClass",
    "node_volume_labels",
    "node_volume_limits",
    "resolve_volumes",
    "with_volume_limits",
]

EBS_CSI_DRIVER = "ebs.csi.aws.com"
#: Provisioners whose volumes are EBS volumes (the in-tree one is migrated to the CSI driver).
EBS_PROVISIONERS = (EBS_CSI_DRIVER, "kubernetes.io/aws-ebs")
#: The per-node resource podcap tracks the attachable EBS volumes in, named as Kubernetes names
#: a CSI driver's attach limit (``volumeutil.GetCSIAttachLimitKey``).
EBS_VOLUMES = f"attachable-volumes-csi-{EBS_CSI_DRIVER}"
#: The topology key of the EBS CSI driver: its node plugin publishes it as a node label with the
#: node's zone, and the volumes it provisions carry it in their node affinity.
EBS_ZONE_KEY = "topology.ebs.csi.aws.com/zone"
_ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

# Reasons of the VolumeBinding filter (pkg/scheduler/framework/plugins/volumebinding/binder.go)
NODE_CONFLICT = "node(s) had volume node affinity conflict"
#: VolumeZone's ``ErrReasonConflict`` (kubernetes ``plugins/volumezone/volume_zone.go``).
ZONE_CONFLICT = "node(s) had no available volume zone"
#: The labels VolumeZone reads on a bound PersistentVolume, each with the node label it is
#: matched against (a beta key also matches the node's GA label, ``translateToGALabel``).
VOLUME_ZONE_LABELS = {
    "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region": "topology.kubernetes.io/region",
}
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"


@dataclass(frozen=True)
class StorageClass:
    """A StorageClass (``storage.k8s.io/v1``).

    ``allowed_topologies``: ``allowedTopologies`` as node selector terms (ORed; each term's
    ``matchLabelExpressions`` ANDed; empty: every node).  ``default``: annotated
    ``storageclass.kubernetes.io/is-default-class: "true"``.
    """

    name: str
    provisioner: str
    binding_mode: Literal["Immediate", "WaitForFirstConsumer"] = "Immediate"
    allowed_topologies: tuple[tuple[NodeSelectorRequirement, ...], ...] = ()
    default: bool = False
    source: str = ""

    @property
    def ebs(self) -> bool:
        """Whether its volumes are EBS volumes."""
        return self.provisioner in EBS_PROVISIONERS


@dataclass(frozen=True)
class Claim:
    """A PersistentVolumeClaim: its ``storageClassName`` (None: unset, ``""``: no class) and
    the PersistentVolume it is bound to (``volumeName``, ``""``: none)."""

    namespace: str
    name: str
    storage_class: str | None = None
    volume_name: str = ""
    source: str = ""


@dataclass(frozen=True)
class PersistentVolume:
    """A PersistentVolume: whether it is an EBS volume, its required node affinity, the claim
    it is reserved for (``claimRef``) and its class."""

    name: str
    ebs: bool
    node_affinity: tuple[tuple[NodeSelectorRequirement, ...], ...] = ()
    claim: tuple[str, str] | None = None  # (namespace, name)
    storage_class: str = ""
    source: str = ""
    # VolumeZone: the volume's zone / region labels, each value split on "__"
    zone_labels: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def zone_topology(self) -> VolumeTopology | None:
        """Where the VolumeZone plugin lets a pod of this volume run: nodes whose zone and
        region labels are among the volume's, or nodes with none of those labels at all (a
        single-zone cluster, ``hasAnyNodeConstraint``)."""
        if not self.zone_labels:
            return None
        matching = tuple(
            NodeSelectorRequirement(VOLUME_ZONE_LABELS[key], "In", values)
            for key, values in self.zone_labels
        )
        unlabelled = tuple(
            NodeSelectorRequirement(key, "DoesNotExist") for key in VOLUME_ZONE_LABELS
        )
        return VolumeTopology((matching, unlabelled), ZONE_CONFLICT, self.name)


@dataclass(frozen=True)
class Storage:
    """The storage objects in effect, by name (claims by ``(namespace, name)``)."""

    classes: Mapping[str, StorageClass] = field(default_factory=dict)
    claims: Mapping[tuple[str, str], Claim] = field(default_factory=dict)
    volumes: Mapping[str, PersistentVolume] = field(default_factory=dict)

    def merged(
        self,
        classes: list[StorageClass],
        claims: list[Claim],
        volumes: list[PersistentVolume],
    ) -> Storage:
        """These objects applied on top (``kubectl apply``: a later object of the same name
        replaces an earlier one)."""
        return Storage(
            {**self.classes, **{c.name: c for c in classes}},
            {**self.claims, **{(c.namespace, c.name): c for c in claims}},
            {**self.volumes, **{v.name: v for v in volumes}},
        )

    def default_class(self) -> StorageClass | None:
        """The default StorageClass (several: the newest, as the DefaultStorageClass admission
        plugin picks since Kubernetes 1.26); None when there is none."""
        defaults = [c for c in self.classes.values() if c.default]
        return defaults[-1] if defaults else None


# ---------------------------------------------------------------------------------------------
# The EBS CSI driver's attachment limit


def node_volume_limits(fleet: Fleet, table: pd.DataFrame | None = None) -> IntArray:
    """The EBS CSI attachment limit of every node [volumes]
    (:func:`podcap.model.instances.ebs_volume_limit`, the driver's ``getVolumesLimit``).

    The ENIs are those the VPC CNI holds on an empty node, when the driver's node plugin starts
    and reads them once (:func:`podcap.model.ipam.node_pool` at 0 pods); the driver's flags
    come from the node group's ``ebs_csi`` settings (:class:`podcap.model.specs.EbsCsiDriver`).
    """
    out = np.zeros(fleet.size, dtype=np.int64)
    for g, grp in enumerate(fleet.groups):
        sel = fleet.group == g
        if not sel.any():
            continue
        facts = fleet.facts[g]
        pool = node_pool(
            np.array([facts.enis]),
            np.array([facts.ipv4_per_eni]),
            np.array([facts.prefix_capable]),
            np.array([facts.trunking]),
            np.array([0]),
            np.array([int(fleet.pods_alloc[np.argmax(sel)])]),
            grp.cni_settings,
        )
        driver = grp.ebs_csi or EbsCsiDriver()
        out[sel] = ebs_volume_limit(
            grp.instance_type,
            attached_enis=max(int(pool.enis[0]), 1),
            block_device_mappings=driver.block_device_mappings,
            reserved_volume_attachments=driver.reserved_volume_attachments,
            volume_attach_limit=driver.volume_attach_limit,
            table=table,
        )
    return out


def with_volume_limits(
    fleet: Fleet, workloads: Mapping[Any, Workload], table: pd.DataFrame | None = None
) -> Fleet:
    """The fleet with the EBS attachment limit as a per-node resource (:data:`EBS_VOLUMES`),
    when a workload attaches EBS volumes; else the fleet unchanged."""
    if EBS_VOLUMES in fleet.resources or not any(
        w.template.volume_attach for w in workloads.values()
    ):
        return fleet
    alloc = np.vstack([fleet.alloc, node_volume_limits(fleet, table)[None, :]])
    return replace(fleet, alloc=alloc, resources=(*fleet.resources, EBS_VOLUMES))


def node_volume_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """A node's labels with the EBS CSI driver's topology label (its zone), which the driver's
    node plugin publishes on every node it runs on."""
    out = dict(labels)
    zone = labels.get("topology.kubernetes.io/zone")
    if zone is not None:
        out.setdefault(EBS_ZONE_KEY, zone)
    return out


# ---------------------------------------------------------------------------------------------
# What a workload's volumes mean


@dataclass
class _Notes:
    assumed: set[str] = field(default_factory=set)


def _class_of(storage: Storage, name: str | None, where: str, notes: _Notes) -> StorageClass | None:
    """The StorageClass a claim uses: named, or the default one for an unset name (the
    DefaultStorageClass admission plugin); None for ``""`` (no class).  A name podcap has not
    seen is assumed to be an EBS CSI class with WaitForFirstConsumer (what EKS installs)."""
    if name == "":
        return None
    if name is None:
        found = storage.default_class()
        if found is not None:
            return found
        notes.assumed.add(
            f"{where}: no StorageClass name and no default StorageClass among the manifests; "
            f"assumed an EBS CSI class ({EBS_CSI_DRIVER}, WaitForFirstConsumer)"
        )
        return StorageClass("", EBS_CSI_DRIVER, "WaitForFirstConsumer")
    found = storage.classes.get(name)
    if found is not None:
        return found
    notes.assumed.add(
        f"{where}: StorageClass {name!r} is not among the manifests; assumed an EBS CSI class "
        f"({EBS_CSI_DRIVER}, WaitForFirstConsumer, no allowedTopologies)"
    )
    return StorageClass(name, EBS_CSI_DRIVER, "WaitForFirstConsumer")


def _claim_volume(
    storage: Storage,
    namespace: str,
    vol: PodVolume,
    where: str,
    notes: _Notes,
) -> tuple[bool, tuple[VolumeTopology, ...], str]:
    """(an EBS volume, where it lets the pod run, a PreFilter refusal) for one pod volume."""
    if vol.source == "claim":
        claim = storage.claims.get((namespace, vol.name))
        if claim is None:
            bound = next(
                (pv for pv in storage.volumes.values() if pv.claim == (namespace, vol.name)), None
            )
            if bound is not None:
                claim = Claim(namespace, vol.name, bound.storage_class, bound.name)
            else:
                notes.assumed.add(
                    f"{where}: PersistentVolumeClaim {namespace}/{vol.name} is not among the "
                    "manifests; assumed to exist, as an EBS volume bound in no particular zone"
                )
                return True, (), ""
        volume_name = claim.volume_name or next(
            (pv.name for pv in storage.volumes.values() if pv.claim == (namespace, claim.name)),
            "",
        )
        if volume_name:
            pv = storage.volumes.get(volume_name)
            if pv is None:
                # a claim bound to a volume podcap has not seen: it exists in the cluster
                notes.assumed.add(
                    f"{where}: PersistentVolume {volume_name} (of claim {namespace}/{claim.name}) "
                    "is not among the manifests; assumed an EBS volume in no particular zone"
                )
                return True, (), ""
            topos = (
                (VolumeTopology(pv.node_affinity, NODE_CONFLICT, pv.name),)
                if pv.node_affinity
                else ()
            )
            zone = pv.zone_topology()  # VolumeZone filters after VolumeBinding
            return pv.ebs, topos + ((zone,) if zone is not None else ()), ""
        sc = _class_of(storage, claim.storage_class, where, notes)
    else:
        sc = _class_of(storage, vol.storage_class, where, notes)
    if sc is None:
        # no class and no volume: nothing will bind it
        return False, (), UNBOUND_IMMEDIATE
    topo = (
        VolumeTopology(sc.allowed_topologies, BIND_CONFLICT, vol.name)
        if sc.allowed_topologies
        else None
    )
    if sc.binding_mode == "Immediate" and topo is not None:
        # provisioned before the pod is scheduled, in one of the allowed zones the provisioner
        # picks: the pod can run only where the volume is
        topo = VolumeTopology(sc.allowed_topologies, NODE_CONFLICT, vol.name)
    return sc.ebs, (topo,) if topo is not None else (), ""


def resolve_volumes(workloads: Mapping[Any, Workload], storage: Storage) -> dict[Any, Workload]:
    """Each workload with what its volumes mean on this cluster, in its template:
    ``volume_attach`` (EBS volumes each pod attaches: one per claim, a claim shared by the
    workload's pods counted for each of them), ``volume_topology`` (the nodes each volume lets
    the pod run on) and ``volume_block`` (the VolumeBinding PreFilter's refusal, for a claim
    that nothing can bind).  Objects the manifests do not contain are assumed as EKS has them,
    with one :class:`PodcapWarning` each."""
    notes = _Notes()
    out: dict[Any, Workload] = {}
    for key, wl in workloads.items():
        tpl = wl.template
        if not tpl.volumes:
            out[key] = wl
            continue
        attach = 0
        topology: list[VolumeTopology] = []
        block = ""
        shared = False
        for vol in tpl.volumes:
            where = f"{wl.kind} {wl.namespace}/{wl.name} volume {vol.name}"
            ebs, topos, refused = _claim_volume(storage, wl.namespace, vol, where, notes)
            attach += int(ebs)
            shared |= ebs and vol.source == "claim" and wl.replicas > 1
            topology.extend(topos)
            block = block or refused
        if shared:
            notes.assumed.add(
                f"{wl.kind} {wl.namespace}/{wl.name}: its pods share an EBS claim; each pod "
                "counts it against the node's attachment limit (the scheduler counts it once per "
                "node)"
            )
        out[key] = replace(
            wl,
            template=replace(
                tpl, volume_attach=attach, volume_topology=tuple(topology), volume_block=block
            ),
        )
    for text in sorted(notes.assumed):
        warnings.warn(text, PodcapWarning, stacklevel=3)
    return out
