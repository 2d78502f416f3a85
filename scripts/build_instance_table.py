"""Build ``data/instance_limits.yaml`` from the reference CSV files.

Maintainer script, not part of the installed package. It reads four CSV files of public facts

* ``vpc_limits.csv``: ENIs, IPv4 addresses per ENI, network cards, hypervisor, bare metal,
  trunking and branch interfaces, vCPUs and memory (see the provenance block written below);
* ``instance_specs.csv``: CPU architecture (amd64 / arm64) and vCPUs / memory;
* ``instance_labels.csv``: Karpenter's instance labels (family, size, generation, category,
  CPU maker, bandwidths, local NVMe) and accelerators (GPUs, Neuron devices and cores, Gaudi
  accelerators, EFA interfaces), made by ``scripts/extract_reference_tables.py``;
* ``ebs_volume_limits.csv``: the EBS CSI driver's per-type attachment limits, made by the
  same script;

and writes one YAML entry per instance type, with a header holding the schema version and the
provenance of every column.  The file is written to a temporary name and renamed over the
old one, so a reader never sees half a table.

Usage::

    python scripts/build_instance_table.py --reference data/reference --out data/instance_limits.yaml
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import yaml

SCHEMA_VERSION = 1

LABEL_COLUMNS = {
    # column -> kind: "str", "int" or "bool"
    "category": "str",
    "family": "str",
    "size": "str",
    "generation": "int",
    "cpu_manufacturer": "str",
    "cpu_sustained_clock_speed_mhz": "int",
    "ebs_bandwidth_mbps": "int",
    "network_bandwidth_mbps": "int",
    "encryption_in_transit_supported": "bool",
    "local_nvme_gb": "int",
    "gpu_count": "int",
    "gpu_name": "str",
    "gpu_manufacturer": "str",
    "gpu_memory_mib": "int",
    "accelerator_count": "int",
    "accelerator_name": "str",
    "accelerator_manufacturer": "str",
}
DEVICE_COLUMNS = (
    "nvidia_gpus",
    "amd_gpus",
    "neuron_devices",
    "neuron_cores",
    "habana_gaudis",
    "efa_interfaces",
)
EBS_COLUMNS = ("ebs_attachment_limit", "ebs_attachment_limit_type", "ebs_cards")

PROVENANCE = {
    "vpc_limits": {
        "file": "vpc_limits.csv",
        "columns": [
            "enis",
            "ipv4_per_eni",
            "hypervisor",
            "bare_metal",
            "network_cards",
            "default_network_card_index",
            "max_enis_per_card",
            "max_enis_all_cards",
        ],
        "source": "aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go "
        "(generated from EC2 DescribeInstanceTypes across 17 regions)",
        "last_changed": "6152e01c83bb (2026-08-11)",
        "read_at": "b52188387f2e (2026-08-20, v1.23.1)",
    },
    "trunking": {
        "file": "vpc_limits.csv",
        "columns": ["trunking_compatible", "branch_interfaces"],
        "source": "aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go",
        "read_at": "58c8559e6486 (2026-03-20)",
        "note": "null where the type is not in that table (the VPC CNI then assumes trunking)",
    },
    "sizes": {
        "file": "vpc_limits.csv, instance_specs.csv",
        "columns": ["vcpus", "memory_mib", "arch"],
        "source": "aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md "
        "(labels karpenter.k8s.aws/instance-cpu, instance-memory, kubernetes.io/arch)",
        "last_changed": "692ccdd0629e (2026-07-11, v1.14.0)",
        "read_at": "1d927085dd81 (2026-08-21)",
        "note": "null where no public source lists the type",
    },
    "labels": {
        "file": "instance_labels.csv",
        "columns": list(LABEL_COLUMNS),
        "source": "aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md "
        "(labels karpenter.k8s.aws/instance-category, -family, -size, -generation, "
        "-cpu-manufacturer, -cpu-sustained-clock-speed-mhz, -ebs-bandwidth, -network-bandwidth, "
        "-encryption-in-transit-supported, -local-nvme, -gpu-count, -gpu-name, "
        "-gpu-manufacturer, -gpu-memory, -accelerator-count, -accelerator-name, "
        "-accelerator-manufacturer), set from EC2 DescribeInstanceTypes by "
        "pkg/providers/instancetype/types.go",
        "last_changed": "692ccdd0629e (2026-07-11, v1.14.0)",
        "read_at": "1d927085dd81 (2026-08-21); dl1.24xlarge, f1.*, p3.* from fe623d537^",
        "note": "null where the type has none (gpu_*: no GPU; accelerator_*: no inference "
        "accelerator or Neuron device; local_nvme_gb: no NVMe instance store) or no public "
        "source lists the type; gpu_memory_mib is per GPU",
    },
    "devices": {
        "file": "instance_labels.csv",
        "columns": list(DEVICE_COLUMNS),
        "source": "aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md "
        "(resources nvidia.com/gpu, amd.com/gpu, aws.amazon.com/neuron, "
        "aws.amazon.com/neuroncore, habana.ai/gaudi, vpc.amazonaws.com/efa; "
        "pkg/providers/instancetype/types.go nvidiaGPUs, amdGPUs, awsNeuronDevices, "
        "awsNeuronCores, habanaGaudis, efas)",
        "last_changed": "692ccdd0629e (2026-07-11, v1.14.0)",
        "read_at": "1d927085dd81 (2026-08-21)",
        "note": "device counts per instance as the device plugins advertise them; 0 where the "
        "type has none, null where no public source lists the type",
    },
    "ebs": {
        "file": "ebs_volume_limits.csv",
        "columns": list(EBS_COLUMNS),
        "source": "kubernetes-sigs/aws-ebs-csi-driver pkg/cloud/limits/volume_limits_table.go "
        "(EC2 DescribeInstanceTypes EbsInfo.MaximumEbsAttachments, AttachmentLimitType, "
        "MaximumEbsCards) and pkg/cloud/limits/volume_limits.go (GetVolumeLimits: Xen types 39 "
        "dedicated, dedicatedInstances corrected to dedicated)",
        "last_changed": "9c15bbb97bf0 (2026-07-21)",
        "read_at": "429e202e5897 (2026-08-19, v1.64.0+4)",
        "note": "null where the driver's table has no entry: the driver then uses 27 shared "
        "attachments (podcap.model.instances.ebs_attachment_limits)",
    },
}

INT_COLUMNS = (
    "enis",
    "ipv4_per_eni",
    "network_cards",
    "default_network_card_index",
    "max_enis_all_cards",
)


def _opt_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _opt_bool(text: str) -> bool | None:
    text = text.strip().lower()
    if not text:
        return None
    if text not in ("true", "false"):
        raise ValueError(f"not a boolean: {text!r}")
    return text == "true"


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    text = str(value)
    plain = text.replace("-", "").replace(".", "").isalnum()
    # a plain scalar YAML would read as something else (a number, a boolean) is quoted
    if plain and yaml.safe_load(text) == text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label_value(kind: str, text: str) -> object:
    if kind == "int":
        return _opt_int(text)
    if kind == "bool":
        return _opt_bool(text)
    return text.strip() or None


def _read(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as fh:
        return {row["instance_type"]: row for row in csv.DictReader(fh)}


def _extra_fields(
    name: str, spec: dict[str, str], label: dict[str, str] | None, ebs: dict[str, str] | None
) -> dict[str, object]:
    """The label, device and EBS columns of one type (nulls where no source lists it)."""
    out: dict[str, object] = {}
    for column, kind in LABEL_COLUMNS.items():
        out[column] = _label_value(kind, label[column]) if label else None
    for column in DEVICE_COLUMNS:
        out[column] = _opt_int(label[column]) if label else None
    if label and spec:
        # the specs file holds a few of the same labels: they must agree
        for column in ("family", "size", "generation", "cpu_manufacturer", "gpu_count"):
            theirs = _label_value(LABEL_COLUMNS[column], spec.get(column, ""))
            if theirs is not None and theirs != out[column]:
                raise ValueError(
                    f"{name}: {column} is {out[column]!r} in instance_labels.csv, "
                    f"{theirs!r} in instance_specs.csv"
                )
    limit = _opt_int(ebs["ebs_attachment_limit"]) if ebs else None
    kind = (ebs["ebs_attachment_limit_type"] or None) if ebs else None
    if kind not in (None, "shared", "dedicated") or (limit is None) != (kind is None):
        raise ValueError(f"{name}: bad EBS attachment limit {limit!r} {kind!r}")
    out["ebs_attachment_limit"] = limit
    out["ebs_attachment_limit_type"] = kind
    out["ebs_cards"] = _opt_int(ebs["ebs_cards"]) if ebs else None
    return out


def build(reference: Path) -> list[tuple[str, dict[str, object]]]:
    """Merge the reference CSV files into ordered (name, fields) rows."""
    specs = _read(reference / "instance_specs.csv")
    labels = _read(reference / "instance_labels.csv")
    ebs_limits = _read(reference / "ebs_volume_limits.csv")
    rows: list[tuple[str, dict[str, object]]] = []
    with (reference / "vpc_limits.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            name = row["instance_type"]
            fields: dict[str, object] = {c: int(row[c]) for c in INT_COLUMNS}
            per_card = [int(x) for x in row["max_enis_per_card"].split(";")]
            if sum(per_card) != fields["max_enis_all_cards"]:
                raise ValueError(f"{name}: max_enis_per_card does not add up")
            spec = specs.get(name, {})
            vcpus = _opt_int(row["vcpus"]) or _opt_int(spec.get("vcpus", ""))
            memory = _opt_int(row["memory_mib"]) or _opt_int(spec.get("memory_mib", ""))
            arch = spec.get("arch") or None
            entry: dict[str, object] = {
                "enis": fields["enis"],
                "ipv4_per_eni": fields["ipv4_per_eni"],
                "hypervisor": row["hypervisor"],
                "bare_metal": _opt_bool(row["bare_metal"]),
                "network_cards": fields["network_cards"],
                "default_network_card_index": fields["default_network_card_index"],
                "max_enis_per_card": per_card,
                "max_enis_all_cards": fields["max_enis_all_cards"],
                "trunking_compatible": _opt_bool(row["trunking_compatible"]),
                "branch_interfaces": _opt_int(row["branch_interfaces"]),
                "vcpus": vcpus,
                "memory_mib": memory,
                "arch": arch,
            }
            entry.update(_extra_fields(name, spec, labels.get(name), ebs_limits.get(name)))
            rows.append((name, entry))
    rows.sort(key=lambda r: r[0])
    return rows


def render(rows: list[tuple[str, dict[str, object]]]) -> str:
    lines = [
        "# EC2 instance types: the networking limits, sizes, labels, accelerators and EBS",
        "# attachment limits podcap models.",
        "# Generated by scripts/build_instance_table.py from public facts; do not edit by hand.",
        f"schema_version: {SCHEMA_VERSION}",
        "provenance:",
    ]
    for key, prov in PROVENANCE.items():
        lines.append(f"  {key}:")
        for field, value in prov.items():
            if isinstance(value, list):
                lines.append(f"    {field}: [{', '.join(value)}]")
            else:
                lines.append(f"    {field}: {json.dumps(value)}")
    lines.append(f"count: {len(rows)}")
    lines.append("instance_types:")
    for name, entry in rows:
        body = ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in entry.items())
        lines.append(f"  {name}: {{{body}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=Path("data/reference"))
    parser.add_argument("--out", type=Path, default=Path("data/instance_limits.yaml"))
    args = parser.parse_args()
    rows = build(args.reference)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(render(rows))
    tmp.replace(args.out)
    print(f"wrote {len(rows)} instance types to {args.out}")


if __name__ == "__main__":
    main()
