"""Build ``data/instance_limits.yaml`` from the reference CSV files.

Maintainer script, not part of the installed package. It reads two CSV files of public facts

* ``vpc_limits.csv``: ENIs, IPv4 addresses per ENI, network cards, hypervisor, bare metal,
  trunking and branch interfaces, vCPUs and memory (see the provenance block written below);
* ``instance_specs.csv``: CPU architecture (amd64 / arm64) and vCPUs / memory;

and writes one YAML entry per instance type, with a header holding the schema version and the
provenance of every column.

Usage::

    python scripts/build_instance_table.py --reference data/reference --out data/instance_limits.yaml
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

SCHEMA_VERSION = 1

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
    return text if text.replace("-", "").replace(".", "").isalnum() else repr(text)


def build(reference: Path) -> list[tuple[str, dict[str, object]]]:
    """Merge the two reference CSV files into ordered (name, fields) rows."""
    with (reference / "instance_specs.csv").open(newline="") as fh:
        specs = {row["instance_type"]: row for row in csv.DictReader(fh)}
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
            rows.append((name, entry))
    rows.sort(key=lambda r: r[0])
    return rows


def render(rows: list[tuple[str, dict[str, object]]]) -> str:
    lines = [
        "# EC2 instance types: the networking limits and sizes podcap models.",
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
                lines.append(f"    {field}: {value!r}".replace("'", '"'))
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
    args.out.write_text(render(rows))
    print(f"wrote {len(rows)} instance types to {args.out}")


if __name__ == "__main__":
    main()
