"""The instance table: per-EC2-instance-type networking limits and sizes.

The bundled table (``data/instance_limits.yaml``, shipped inside the wheel) is loaded once and
cached.  Users can load their own file with :func:`load_instance_table` (new or private types),
either on its own or on top of the bundled table, and pass the result as ``table=`` to any
capacity function.

Columns (glossary)
------------------
eni_count / ``enis`` : int
    Maximum ENIs on the **default network card**, the ones the VPC CNI uses.
``ipv4_per_eni`` : int
    IPv4 addresses per ENI including the ENI's primary address.
``hypervisor`` : {"nitro", "xen", "unknown"}
    ``unknown`` for bare metal (EC2 reports none) and two hand-added types.
``bare_metal`` : bool
``network_cards`` : int
``default_network_card_index`` : int
``max_enis_per_card`` : list of int
``max_enis_all_cards`` : int
``trunking_compatible`` : bool or None
    Whether security groups for pods (ENI trunking) work; None when unknown.
``branch_interfaces`` : int or None
    Branch ENIs (``vpc.amazonaws.com/pod-eni`` capacity); None when unknown.
``vcpus`` : int or None
``memory_mib`` : int or None  [MiB]
``arch`` : {"amd64", "arm64"} or None

Karpenter's instance labels (``karpenter.k8s.aws/instance-<name>``), from EC2
DescribeInstanceTypes as Karpenter sets them; None where the type has none or no public source
lists it:

``category``, ``family``, ``size`` : str or None
    ``m``, ``m5``, ``large`` for m5.large.
``generation`` : int or None
``cpu_manufacturer`` : str or None
    ``intel``, ``amd`` or ``aws``.
``cpu_sustained_clock_speed_mhz`` : int or None  [MHz]
``ebs_bandwidth_mbps``, ``network_bandwidth_mbps`` : int or None  [Mbit/s]
    Maximum EBS bandwidth; baseline network bandwidth.
``encryption_in_transit_supported`` : bool or None
``local_nvme_gb`` : int or None  [GB]
    Total NVMe instance store; None without one.
``gpu_count`` : int or None
    GPUs of the type's one GPU model [count] (0 for a fractional GPU such as g6f.large).
``gpu_name``, ``gpu_manufacturer`` : str or None
    ``a10g``, ``nvidia``.
``gpu_memory_mib`` : int or None  [MiB]
    Memory of one GPU.
``accelerator_count``, ``accelerator_name``, ``accelerator_manufacturer`` : int, str or None
    Inference accelerators and Neuron devices (``inferentia2``, ``trainium``, ``aws``).

Devices as their Kubernetes device plugins advertise them, per instance [count]; 0 where the type
has none, None where no public source lists the type (see :func:`device_resources`):

``nvidia_gpus`` (``nvidia.com/gpu``), ``amd_gpus`` (``amd.com/gpu``), ``neuron_devices``
(``aws.amazon.com/neuron``), ``neuron_cores`` (``aws.amazon.com/neuroncore``),
``habana_gaudis`` (``habana.ai/gaudi``), ``efa_interfaces`` (``vpc.amazonaws.com/efa``).

EBS volume attachments, as the EBS CSI driver reads them (see :func:`ebs_volume_limit`):

``ebs_attachment_limit`` : int or None  [count]
    EC2 ``EbsInfo.MaximumEbsAttachments`` (39 for Xen types); None when the driver's table has
    no entry, where the driver uses 27.
``ebs_attachment_limit_type`` : {"shared", "dedicated"} or None
    ``shared``: ENIs and EBS volumes count against one limit (NVMe instance store and GPUs
    are already taken out of it by EC2); ``dedicated``: volumes only.  None = ``shared``.
``ebs_cards`` : int or None  [count]
    EBS cards (``MaximumEbsCards``); None = 1.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from podcap import _yaml
from podcap.errors import InstanceTableError, UnknownInstanceTypeError

__all__ = [
    "DEVICE_PLUGINS",
    "DEVICE_RESOURCES",
    "SCHEMA_VERSION",
    "TypeFacts",
    "device_resources",
    "ebs_attachment_limits",
    "ebs_volume_limit",
    "instance_types",
    "load_instance_table",
    "type_facts",
]

SCHEMA_VERSION = 1

# field -> (python types accepted, nullable, description of what is valid)
_FIELDS: dict[str, tuple[tuple[type, ...], bool, str]] = {
    "enis": ((int,), False, "an integer >= 1"),
    "ipv4_per_eni": ((int,), False, "an integer >= 1"),
    "hypervisor": ((str,), False, "one of 'nitro', 'xen', 'unknown'"),
    "bare_metal": ((bool,), False, "true or false"),
    "network_cards": ((int,), False, "an integer >= 1"),
    "default_network_card_index": ((int,), False, "an integer >= 0"),
    "max_enis_per_card": ((list,), False, "a list of integers, one per network card"),
    "max_enis_all_cards": ((int,), False, "an integer >= 1"),
    "trunking_compatible": ((bool,), True, "true, false or null"),
    "branch_interfaces": ((int,), True, "an integer >= 0 or null"),
    "vcpus": ((int,), True, "an integer >= 1 or null"),
    "memory_mib": ((int,), True, "an integer >= 1 (MiB) or null"),
    "arch": ((str,), True, "'amd64', 'arm64' or null"),
    "category": ((str,), True, "a string (e.g. 'm') or null"),
    "family": ((str,), True, "a string (e.g. 'm5') or null"),
    "size": ((str,), True, "a string (e.g. 'large') or null"),
    "generation": ((int,), True, "an integer >= 0 or null"),
    "cpu_manufacturer": ((str,), True, "a string (e.g. 'intel', 'amd', 'aws') or null"),
    "cpu_sustained_clock_speed_mhz": ((int,), True, "an integer >= 0 (MHz) or null"),
    "ebs_bandwidth_mbps": ((int,), True, "an integer >= 0 (Mbit/s) or null"),
    "network_bandwidth_mbps": ((int,), True, "an integer >= 0 (Mbit/s) or null"),
    "encryption_in_transit_supported": ((bool,), True, "true, false or null"),
    "local_nvme_gb": ((int,), True, "an integer >= 0 (GB) or null"),
    "gpu_count": ((int,), True, "an integer >= 0 or null"),
    "gpu_name": ((str,), True, "a string (e.g. 'a10g') or null"),
    "gpu_manufacturer": ((str,), True, "a string (e.g. 'nvidia') or null"),
    "gpu_memory_mib": ((int,), True, "an integer >= 0 (MiB per GPU) or null"),
    "accelerator_count": ((int,), True, "an integer >= 0 or null"),
    "accelerator_name": ((str,), True, "a string (e.g. 'inferentia2') or null"),
    "accelerator_manufacturer": ((str,), True, "a string (e.g. 'aws') or null"),
    "nvidia_gpus": ((int,), True, "an integer >= 0 (nvidia.com/gpu) or null"),
    "amd_gpus": ((int,), True, "an integer >= 0 (amd.com/gpu) or null"),
    "neuron_devices": ((int,), True, "an integer >= 0 (aws.amazon.com/neuron) or null"),
    "neuron_cores": ((int,), True, "an integer >= 0 (aws.amazon.com/neuroncore) or null"),
    "habana_gaudis": ((int,), True, "an integer >= 0 (habana.ai/gaudi) or null"),
    "efa_interfaces": ((int,), True, "an integer >= 0 (vpc.amazonaws.com/efa) or null"),
    "ebs_attachment_limit": ((int,), True, "an integer >= 1 or null"),
    "ebs_attachment_limit_type": ((str,), True, "'shared', 'dedicated' or null"),
    "ebs_cards": ((int,), True, "an integer >= 1 or null"),
}
#: Optional integer columns (nullable Int64 in the frame) and the smallest valid value.
_OPTIONAL_INTS: dict[str, int] = {
    "branch_interfaces": 0,
    "vcpus": 1,
    "memory_mib": 1,
    "generation": 0,
    "cpu_sustained_clock_speed_mhz": 0,
    "ebs_bandwidth_mbps": 0,
    "network_bandwidth_mbps": 0,
    "local_nvme_gb": 0,
    "gpu_count": 0,
    "gpu_memory_mib": 0,
    "accelerator_count": 0,
    "nvidia_gpus": 0,
    "amd_gpus": 0,
    "neuron_devices": 0,
    "neuron_cores": 0,
    "habana_gaudis": 0,
    "efa_interfaces": 0,
    "ebs_attachment_limit": 1,
    "ebs_cards": 1,
}
#: Device columns -> the extended resource their device plugin advertises on the node.
DEVICE_RESOURCES: dict[str, str] = {
    "nvidia_gpus": "nvidia.com/gpu",
    "amd_gpus": "amd.com/gpu",
    "neuron_devices": "aws.amazon.com/neuron",
    "neuron_cores": "aws.amazon.com/neuroncore",
    "habana_gaudis": "habana.ai/gaudi",
    "efa_interfaces": "vpc.amazonaws.com/efa",
}
_REQUIRED = ("enis", "ipv4_per_eni")
_DEFAULTS: dict[str, Any] = {
    "hypervisor": "unknown",
    "bare_metal": False,
    "network_cards": 1,
    "default_network_card_index": 0,
    "max_enis_per_card": None,
    "max_enis_all_cards": None,
    "trunking_compatible": None,
    "branch_interfaces": None,
    "vcpus": None,
    "memory_mib": None,
    "arch": None,
}
# The label, device and EBS columns are optional: a table without them has nulls there.
_DEFAULTS.update({f: None for f in _FIELDS if f not in _DEFAULTS and f not in _REQUIRED})
COLUMNS = tuple(_FIELDS)


def _bundled_path() -> Path:
    resource = importlib.resources.files("podcap").joinpath("data/instance_limits.yaml")
    if resource.is_file():
        return Path(str(resource))
    # Source checkout / editable install: the file lives at the repository root.
    repo_file = Path(__file__).resolve().parents[3] / "data" / "instance_limits.yaml"
    if repo_file.is_file():
        return repo_file
    raise InstanceTableError(
        "the bundled instance table data/instance_limits.yaml is missing from the podcap "
        "installation; reinstall podcap"
    )


def _check_entry(source: str, name: Any, entry: Any) -> dict[str, Any]:
    where = f"{source}: instance_types.{name}"
    if not isinstance(name, str) or not name:
        raise InstanceTableError(
            f"{source}: instance type names must be non-empty strings, got {name!r}"
        )
    if not isinstance(entry, Mapping):
        raise InstanceTableError(
            f"{where}: expected a mapping of fields, got {type(entry).__name__}"
        )
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise InstanceTableError(
            f"{where}: unknown field(s) {', '.join(map(str, unknown))}; valid fields: {', '.join(_FIELDS)}"
        )
    out: dict[str, Any] = {}
    for field, (types, nullable, valid) in _FIELDS.items():
        if field not in entry:
            if field in _REQUIRED:
                raise InstanceTableError(f"{where}: missing required field {field!r} ({valid})")
            out[field] = _DEFAULTS[field]
            continue
        value = entry[field]
        if value is None:
            if not nullable:
                raise InstanceTableError(f"{where}.{field}: must not be null; expected {valid}")
            out[field] = None
            continue
        ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
        if ok and field == "hypervisor":
            ok = value in ("nitro", "xen", "unknown")
        if ok and field == "arch":
            ok = value in ("amd64", "arm64")
        if ok and field == "ebs_attachment_limit_type":
            ok = value in ("shared", "dedicated")
        if ok and field == "max_enis_per_card":
            ok = bool(value) and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
            )
        if ok and isinstance(value, int) and not isinstance(value, bool):
            minimum = _OPTIONAL_INTS.get(field, 0 if field == "default_network_card_index" else 1)
            ok = value >= minimum
        if not ok:
            raise InstanceTableError(f"{where}.{field}: invalid value {value!r}; expected {valid}")
        out[field] = value
    if out["default_network_card_index"] >= out["network_cards"]:
        raise InstanceTableError(
            f"{where}.default_network_card_index: {out['default_network_card_index']} is not a card "
            f"index; expected 0 to {out['network_cards'] - 1} (network_cards is {out['network_cards']})"
        )
    if out["max_enis_per_card"] is None:
        out["max_enis_per_card"] = [out["enis"]] + [0] * (out["network_cards"] - 1)
    elif len(out["max_enis_per_card"]) != out["network_cards"]:
        raise InstanceTableError(
            f"{where}.max_enis_per_card: has {len(out['max_enis_per_card'])} entries; expected one "
            f"per network card ({out['network_cards']})"
        )
    if out["max_enis_all_cards"] is None:
        out["max_enis_all_cards"] = int(sum(out["max_enis_per_card"]))
    elif out["max_enis_all_cards"] != sum(out["max_enis_per_card"]):
        raise InstanceTableError(
            f"{where}.max_enis_all_cards: {out['max_enis_all_cards']} is not the sum of "
            f"max_enis_per_card ({sum(out['max_enis_per_card'])})"
        )
    return out


def _parse_document(source: str, doc: Any) -> pd.DataFrame:
    if not isinstance(doc, Mapping):
        raise InstanceTableError(
            f"{source}: expected a mapping with 'schema_version' and 'instance_types'"
        )
    version = doc.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise InstanceTableError(
            f"{source}: schema_version is {version!r}; this podcap reads schema_version {SCHEMA_VERSION}"
        )
    types = doc.get("instance_types")
    if not isinstance(types, Mapping) or not types:
        raise InstanceTableError(
            f"{source}: 'instance_types' must be a non-empty mapping of name -> fields"
        )
    rows = {name: _check_entry(source, name, entry) for name, entry in types.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame.index.name = "instance_type"
    frame.attrs["provenance"] = dict(doc.get("provenance") or {})
    frame.attrs["source"] = source
    return _normalise(frame)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in (
        "enis",
        "ipv4_per_eni",
        "network_cards",
        "default_network_card_index",
        "max_enis_all_cards",
    ):
        out[col] = out[col].astype("int64")
    out["bare_metal"] = out["bare_metal"].astype(bool)
    for col in _OPTIONAL_INTS:
        out[col] = out[col].astype("Int64")
    for col in ("trunking_compatible", "encryption_in_transit_supported"):
        out[col] = out[col].astype("boolean")
    return out


@functools.cache
def _bundled() -> pd.DataFrame:
    path = _bundled_path()
    return _load_file(path)


def _load_file(path: Path) -> pd.DataFrame:
    try:
        text = path.read_text()
    except OSError as exc:
        raise InstanceTableError(f"cannot read instance table {path}: {exc.strerror}") from exc
    try:
        doc = _yaml.load(text, str(path))
    except _yaml.YAMLError as exc:
        raise InstanceTableError(f"{path}: not valid YAML: {exc}") from exc
    return _parse_document(str(path), doc)


def load_instance_table(
    path: str | os.PathLike[str] | None = None, *, extend_bundled: bool = True
) -> pd.DataFrame:
    """Load an instance table.

    Parameters
    ----------
    path : path-like, optional
        A YAML file with ``schema_version: 1`` and an ``instance_types`` mapping (same fields as
        the bundled ``data/instance_limits.yaml``; only ``enis`` and ``ipv4_per_eni`` are
        required).  None returns the bundled table.
    extend_bundled : bool, default True
        Add the file's types to the bundled ones (a type in both takes the file's values).  False
        returns the file's types only.

    Returns
    -------
    pandas.DataFrame
        Indexed by instance type; ``attrs["provenance"]`` carries the sources.

    Raises
    ------
    InstanceTableError
        If the file cannot be read, is not valid YAML, has the wrong schema version, or an entry
        misses a field or has an invalid value (the message names the file, entry and field).
    """
    base = _bundled()
    if path is None:
        return base.copy()
    own = _load_file(Path(path))
    if not extend_bundled:
        return own
    merged = pd.concat([base.drop(index=own.index, errors="ignore"), own]).sort_index()
    merged.attrs["provenance"] = {**base.attrs.get("provenance", {}), "user": str(path)}
    merged.attrs["source"] = f"{base.attrs.get('source')} + {path}"
    return _normalise(merged)


def bundled_table() -> pd.DataFrame:
    """The cached bundled table itself (internal: callers must not modify it)."""
    return _bundled()


def instance_types(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """All instance types and their limits.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        A table from :func:`load_instance_table`; default the bundled one.

    Returns
    -------
    pandas.DataFrame
        One row per instance type (index ``instance_type``), columns as in the module glossary.
    """
    return (_bundled() if table is None else table).copy()


@dataclass(frozen=True)
class Columns:
    """Numpy views of an instance table, gathered for a vector of names (internal)."""

    names: npt.NDArray[np.object_]
    enis: npt.NDArray[np.int64]
    ipv4_per_eni: npt.NDArray[np.int64]
    nitro: npt.NDArray[np.bool_]
    bare_metal: npt.NDArray[np.bool_]
    prefix_capable: npt.NDArray[np.bool_]
    max_enis_all_cards: npt.NDArray[np.int64]
    trunking: npt.NDArray[np.bool_]
    branch_interfaces: npt.NDArray[np.int64]
    branch_known: npt.NDArray[np.bool_]
    vcpus: npt.NDArray[np.int64]
    vcpus_known: npt.NDArray[np.bool_]
    memory_mib: npt.NDArray[np.int64]
    memory_known: npt.NDArray[np.bool_]
    arm64: npt.NDArray[np.bool_]
    arch: npt.NDArray[np.object_]


@dataclass(frozen=True)
class _Arrays:
    index: pd.Index
    columns: Columns


def _arrays_of(table: pd.DataFrame) -> _Arrays:
    def ints(col: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        s = table[col]
        known = s.notna().to_numpy(dtype=bool)
        return s.fillna(0).to_numpy(dtype=np.int64), known

    vcpus, vcpus_known = ints("vcpus")
    memory, memory_known = ints("memory_mib")
    branch, branch_known = ints("branch_interfaces")
    trunk = table["trunking_compatible"]
    nitro = (table["hypervisor"] == "nitro").to_numpy(dtype=bool)
    bare_metal = table["bare_metal"].to_numpy(dtype=bool)
    cols = Columns(
        names=table.index.to_numpy(dtype=object),
        enis=table["enis"].to_numpy(dtype=np.int64),
        ipv4_per_eni=table["ipv4_per_eni"].to_numpy(dtype=np.int64),
        nitro=nitro,
        bare_metal=bare_metal,
        # ipamd's prefix support: Nitro instances and bare metal (``IsPrefixSupported`` style
        # check on the instance's hypervisor, bare metal counted as capable).
        prefix_capable=nitro | bare_metal,
        max_enis_all_cards=table["max_enis_all_cards"].to_numpy(dtype=np.int64),
        # The VPC CNI assumes trunking when the type is missing from the resource controller's table.
        trunking=trunk.fillna(True).to_numpy(dtype=bool),
        branch_interfaces=branch,
        branch_known=branch_known,
        vcpus=vcpus,
        vcpus_known=vcpus_known,
        memory_mib=memory,
        memory_known=memory_known,
        arm64=(table["arch"] == "arm64").fillna(False).to_numpy(dtype=bool),
        arch=table["arch"].astype(object).where(table["arch"].notna(), None).to_numpy(dtype=object),
    )
    return _Arrays(index=pd.Index(table.index), columns=cols)


_CUSTOM: dict[int, tuple[weakref.ref[pd.DataFrame], _Arrays, int]] = {}


@functools.cache
def _bundled_arrays() -> _Arrays:
    return _arrays_of(_bundled())


def _table_arrays(table: pd.DataFrame | None) -> _Arrays:
    """The arrays of a table, derived once per table object (the bundled one is cached for good)."""
    if table is None or table is _bundled():
        return _bundled_arrays()
    if not isinstance(table, pd.DataFrame):
        raise InstanceTableError(
            f"table must be a pandas.DataFrame from podcap.load_instance_table, got {type(table).__name__}"
        )
    key = id(table)
    stamp = _fingerprint(table)
    hit = _CUSTOM.get(key)
    if hit is not None and hit[0]() is table and hit[2] == stamp:
        return hit[1]
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InstanceTableError(
            f"table lacks column(s) {', '.join(missing)}; load it with podcap.load_instance_table"
        )
    arrays = _arrays_of(table)

    def forget(_ref: weakref.ref[pd.DataFrame], k: int = key) -> None:
        _CUSTOM.pop(k, None)

    _CUSTOM[key] = (weakref.ref(table, forget), arrays, stamp)
    return arrays


def _fingerprint(table: pd.DataFrame) -> int:
    """A hash of the table's content: a table edited in place is derived afresh."""
    parts: list[int] = [hash(tuple(table.index)), hash(tuple(table.columns))]
    for col in table.columns:
        values = table[col].to_numpy()
        if values.dtype == object:
            parts.append(hash(tuple(map(str, values))))
        else:
            parts.append(hash(values.tobytes()))
    return hash(tuple(parts))


def lookup(names: Any, table: pd.DataFrame | None = None) -> tuple[Columns, npt.NDArray[np.intp]]:
    """Row positions of ``names`` (1-d array of str) in the table; raise on unknown names."""
    arrays = _table_arrays(table)
    names_arr = np.asarray(names, dtype=object)
    positions = arrays.index.get_indexer(pd.Index(names_arr))
    missing = positions < 0
    if missing.any():
        bad = pd.unique(names_arr[missing])
        not_str = [b for b in bad if not isinstance(b, str)]
        if not_str:
            raise UnknownInstanceTypeError([repr(b) + " (not a string)" for b in not_str[:10]], [])
        raise UnknownInstanceTypeError([str(b) for b in bad], arrays.index)
    return arrays.columns, positions.astype(np.intp)


def check_instance_type(instance_type: Any, table: pd.DataFrame | None = None) -> None:
    """Raise :class:`UnknownInstanceTypeError` (with suggestions) if the name is not in the table."""
    lookup(np.array([instance_type], dtype=object), table)


@dataclass(frozen=True)
class TypeFacts:
    """What the model needs of one instance type, each flag derived once from the table.

    Attributes
    ----------
    instance_type : str
    enis : int
        ENIs on the default network card [count].
    ipv4_per_eni : int
        IPv4 addresses per ENI, the primary included [count].
    nitro : bool
        Nitro hypervisor (the max-pods calculator's own prefix test uses only this).
    prefix_capable : bool
        ipamd can assign /28 prefixes: Nitro or bare metal.
    trunking : bool
        Security groups for pods can use a trunk ENI: ``trunking_compatible``, taken as True
        where unknown, as the VPC CNI does for types missing from its resource table.
    branch_interfaces : int or None
        ``vpc.amazonaws.com/pod-eni`` capacity [count]; None when unknown.
    arch : str or None
    enis_all_cards : int
        ENIs on all network cards [count].
        ``amd64`` or ``arm64``.
    """

    instance_type: str
    enis: int
    ipv4_per_eni: int
    nitro: bool
    prefix_capable: bool
    trunking: bool
    branch_interfaces: int | None
    arch: str | None
    enis_all_cards: int = 0


def type_facts(instance_type: str, table: pd.DataFrame | None = None) -> TypeFacts:
    """The :class:`TypeFacts` of one instance type; raises for names not in the table."""
    if (table is None or table is _bundled()) and isinstance(instance_type, str):
        return _bundled_type_facts(instance_type)
    return _type_facts(instance_type, table)


def _type_facts(instance_type: str, table: pd.DataFrame | None) -> TypeFacts:
    cols, pos = lookup(np.array([instance_type], dtype=object), table)
    i = int(pos[0])
    arch = cols.arch[i]
    return TypeFacts(
        instance_type=instance_type,
        enis=int(cols.enis[i]),
        ipv4_per_eni=int(cols.ipv4_per_eni[i]),
        nitro=bool(cols.nitro[i]),
        prefix_capable=bool(cols.prefix_capable[i]),
        trunking=bool(cols.trunking[i]),
        branch_interfaces=int(cols.branch_interfaces[i]) if cols.branch_known[i] else None,
        arch=arch if isinstance(arch, str) else None,
        enis_all_cards=int(cols.max_enis_all_cards[i]),
    )


# facts of the bundled table, derived once per type (fleets and sweeps ask for them per group)
_bundled_type_facts = functools.lru_cache(maxsize=4096)(lambda name: _type_facts(name, None))


#: Device plugins, by the device they advertise: the extended resources of each (see
#: :data:`DEVICE_RESOURCES`).
DEVICE_PLUGINS: dict[str, tuple[str, ...]] = {
    "nvidia": ("nvidia_gpus",),
    "amd": ("amd_gpus",),
    "neuron": ("neuron_devices", "neuron_cores"),
    "habana": ("habana_gaudis",),
    "efa": ("efa_interfaces",),
}


def _row(instance_type: str, table: pd.DataFrame | None) -> pd.Series:
    check_instance_type(instance_type, table)
    frame = _bundled() if table is None else table
    row = frame.loc[instance_type]
    if not isinstance(row, pd.Series):  # a table with the name twice
        raise InstanceTableError(f"instance type {instance_type!r} is in the table more than once")
    return row


def device_resources(
    instance_type: str,
    plugins: Iterable[str] = ("nvidia", "amd", "neuron", "habana"),
    table: pd.DataFrame | None = None,
) -> dict[str, int]:
    """The extended resources a node of this type offers once its device plugins run.

    Each device plugin registers one resource with the kubelet and advertises one unit per
    device it finds, which the node then reports in ``capacity`` and ``allocatable``:

    * ``nvidia``: NVIDIA's device plugin (NVIDIA/k8s-device-plugin), ``nvidia.com/gpu``, one per
      GPU;
    * ``amd``: ROCm/k8s-device-plugin, ``amd.com/gpu``, one per GPU;
    * ``neuron``: the AWS Neuron device plugin, ``aws.amazon.com/neuron`` per Neuron device and
      ``aws.amazon.com/neuroncore`` per NeuronCore;
    * ``habana``: Habana's device plugin, ``habana.ai/gaudi`` per Gaudi accelerator;
    * ``efa``: aws-efa-k8s-device-plugin, ``vpc.amazonaws.com/efa`` per EFA interface.

    The counts are those Karpenter derives from EC2 DescribeInstanceTypes
    (karpenter-provider-aws ``pkg/providers/instancetype/types.go``: ``nvidiaGPUs``,
    ``amdGPUs``, ``awsNeuronDevices``, ``awsNeuronCores``, ``habanaGaudis``, ``efas``).

    Parameters
    ----------
    instance_type : str
        A name in the table.
    plugins : iterable of str
        The device plugins running on the node; default every plugin but EFA's (EFA interfaces
        are only offered where the EFA plugin is installed on purpose).
    table : pandas.DataFrame, optional
        A table from :func:`load_instance_table`; default the bundled one.

    Returns
    -------
    dict of str to int
        Resource name -> count [count], only the resources the type has (a type with no
        device, or whose devices the table does not know, gives ``{}``).

    Raises
    ------
    UnknownInstanceTypeError
        If the type is not in the table.
    ValueError
        For a plugin name not in :data:`DEVICE_PLUGINS`.
    """
    names = [plugins] if isinstance(plugins, str) else list(plugins)
    unknown = [p for p in names if p not in DEVICE_PLUGINS]
    if unknown:
        raise ValueError(
            f"unknown device plugin(s) {', '.join(map(repr, unknown))}; valid: "
            f"{', '.join(DEVICE_PLUGINS)}"
        )
    row = _row(instance_type, table)
    out: dict[str, int] = {}
    for plugin in names:
        for column in DEVICE_PLUGINS[plugin]:
            value = row.get(column)
            if value is not None and not pd.isna(value) and int(value) > 0:
                out[DEVICE_RESOURCES[column]] = int(value)
    return out


#: What the EBS CSI driver assumes for a type its table does not list (``GetVolumeLimits``).
EBS_DEFAULT_ATTACHMENTS = 27


def ebs_attachment_limits(
    instance_type: str, table: pd.DataFrame | None = None
) -> tuple[int, Literal["shared", "dedicated"]]:
    """The attachment limit and its type the EBS CSI driver takes for an instance type.

    kubernetes-sigs/aws-ebs-csi-driver (since v1.49.0) ``pkg/cloud/limits/volume_limits.go``
    ``GetVolumeLimits``: Xen types 39, dedicated; types in its generated table their EC2
    ``EbsInfo.MaximumEbsAttachments`` and ``AttachmentLimitType`` (a few it corrects to
    dedicated); any other type 27, shared.

    Parameters
    ----------
    instance_type : str
        A name in the table.
    table : pandas.DataFrame, optional
        A table from :func:`load_instance_table`; default the bundled one.

    Returns
    -------
    tuple of (int, str)
        Attachments [count] and ``"shared"`` (ENIs count against them too) or
        ``"dedicated"`` (EBS volumes only).
    """
    row = _row(instance_type, table)
    limit = row.get("ebs_attachment_limit")
    if limit is None or pd.isna(limit):
        return EBS_DEFAULT_ATTACHMENTS, "shared"
    kind = row.get("ebs_attachment_limit_type")
    return int(limit), "dedicated" if kind == "dedicated" else "shared"


def ebs_volume_limit(
    instance_type: str,
    *,
    attached_enis: int = 1,
    block_device_mappings: int = 0,
    reserved_volume_attachments: int | None = None,
    volume_attach_limit: int | None = None,
    table: pd.DataFrame | None = None,
) -> int:
    """The EBS volumes the EBS CSI driver lets the scheduler attach to one node.

    The driver's node service reports this as its CSINode ``allocatable.count``, which the
    scheduler's NodeVolumeLimits filter enforces (aws-ebs-csi-driver ``pkg/driver/node.go``
    ``getVolumesLimit``, v1.49.0 and later):

    1. ``--volume-attach-limit`` set: that value, nothing else;
    2. else the type's limit (:func:`ebs_attachment_limits`), minus the reserved attachments:
       ``--reserved-volume-attachments``, or by default the instance's EBS block device
       mappings plus 1 for the root volume;
    3. a shared limit also loses ``attached_enis - 1`` (the primary ENI is already counted);
    4. never below 1 (Kubernetes would read 0 as no limit).

    Parameters
    ----------
    instance_type : str
        A name in the table.
    attached_enis : int
        ENIs attached to the instance when the driver starts [count] (the VPC CNI adds ENIs
        as pods need addresses; the driver reads the count once).
    block_device_mappings : int
        EBS block device mappings of the instance besides the root volume [count].
    reserved_volume_attachments : int, optional
        ``--reserved-volume-attachments``; None = auto (``block_device_mappings + 1``).
    volume_attach_limit : int, optional
        ``--volume-attach-limit``; None = not set.
    table : pandas.DataFrame, optional
        A table from :func:`load_instance_table`; default the bundled one.

    Returns
    -------
    int
        Volumes [count].

    Raises
    ------
    ValueError
        For a negative count or an ENI count below 1.
    """
    for name, value in (
        ("block_device_mappings", block_device_mappings),
        ("reserved_volume_attachments", reserved_volume_attachments),
        ("volume_attach_limit", volume_attach_limit),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if isinstance(attached_enis, bool) or not isinstance(attached_enis, int) or attached_enis < 1:
        raise ValueError(f"attached_enis must be an integer >= 1, got {attached_enis!r}")
    if volume_attach_limit is not None:
        return volume_attach_limit
    limit, kind = ebs_attachment_limits(instance_type, table)
    reserved = (
        block_device_mappings + 1
        if reserved_volume_attachments is None
        else reserved_volume_attachments
    )
    limit -= reserved
    if kind == "shared":
        limit -= attached_enis - 1
    return max(limit, 1)


def with_unlisted_type(table: pd.DataFrame | None, name: str, pods: int) -> pd.DataFrame:
    """A table with one more type for nodes whose instance type is unknown (a snapshot's nodes
    without the instance-type label): one ENI with ``pods + 1`` addresses, so its pod IPs never
    limit below ``pods``; no sizes (such nodes carry their own allocatable).

    Parameters
    ----------
    table : pandas.DataFrame, optional
        The table to extend; default the bundled one.
    name : str
        The type's name.
    pods : int
        The most pods a node of it allows [count].

    Returns
    -------
    pandas.DataFrame
        A new table (the given one is not changed).
    """
    base = _bundled() if table is None else table
    entry = _check_entry("<unlisted>", name, {"enis": 1, "ipv4_per_eni": max(int(pods), 1) + 1})
    row = pd.DataFrame.from_dict({name: entry}, orient="index", columns=list(COLUMNS))
    merged = pd.concat([base.drop(index=[name], errors="ignore"), row]).sort_index()
    merged.index.name = "instance_type"
    merged.attrs = dict(base.attrs)
    return _normalise(merged)
