"""Extract ``instance_labels.csv`` and ``ebs_volume_limits.csv`` from public source files.

Maintainer script, not part of the installed package.  It reads facts, not code, from two
public repositories checked out (or exported with ``git show``) by the maintainer:

* aws/karpenter-provider-aws, the generated page
  ``website/content/en/docs/reference/instance-types.md``: per instance type the labels
  ``karpenter.k8s.aws/instance-*`` and the device resources Karpenter derives from EC2
  DescribeInstanceTypes (``nvidia.com/gpu``, ``amd.com/gpu``, ``aws.amazon.com/neuron``,
  ``aws.amazon.com/neuroncore``, ``habana.ai/gaudi``, ``vpc.amazonaws.com/efa``).  Types the
  current page no longer lists are taken from an older version of the page (``--history``).
* kubernetes-sigs/aws-ebs-csi-driver, ``pkg/cloud/limits/volume_limits_table.go`` (generated
  from DescribeInstanceTypes ``EbsInfo``) and ``pkg/cloud/limits/volume_limits.go`` (the
  types whose limit type the driver corrects to dedicated).

Usage::

    git -C karpenter show HEAD:website/content/en/docs/reference/instance-types.md > it.md
    git -C karpenter show fe623d537^:website/content/en/docs/reference/instance-types.md > old.md
    git -C ebs show HEAD:pkg/cloud/limits/volume_limits_table.go > table.go
    git -C ebs show HEAD:pkg/cloud/limits/volume_limits.go > limits.go
    python scripts/extract_reference_tables.py --page it.md --history old.md \\
        --ebs-table table.go --ebs-rules limits.go --out data/reference
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

LABEL = "karpenter.k8s.aws/instance-"

#: CSV column -> Karpenter label (``karpenter.k8s.aws/instance-<suffix>``) or resource name.
LABEL_COLUMNS = {
    "category": "category",
    "family": "family",
    "size": "size",
    "generation": "generation",
    "cpu_manufacturer": "cpu-manufacturer",
    "cpu_sustained_clock_speed_mhz": "cpu-sustained-clock-speed-mhz",
    "ebs_bandwidth_mbps": "ebs-bandwidth",
    "network_bandwidth_mbps": "network-bandwidth",
    "encryption_in_transit_supported": "encryption-in-transit-supported",
    "local_nvme_gb": "local-nvme",
    "gpu_count": "gpu-count",
    "gpu_name": "gpu-name",
    "gpu_manufacturer": "gpu-manufacturer",
    "gpu_memory_mib": "gpu-memory",
    "accelerator_count": "accelerator-count",
    "accelerator_name": "accelerator-name",
    "accelerator_manufacturer": "accelerator-manufacturer",
}
RESOURCE_COLUMNS = {
    "nvidia_gpus": "nvidia.com/gpu",
    "amd_gpus": "amd.com/gpu",
    "neuron_devices": "aws.amazon.com/neuron",
    "neuron_cores": "aws.amazon.com/neuroncore",
    "habana_gaudis": "habana.ai/gaudi",
    "efa_interfaces": "vpc.amazonaws.com/efa",
}


def parse_page(path: Path) -> dict[str, dict[str, str]]:
    """Labels and resources of every ``### `type` `` section of the page."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in path.read_text().splitlines():
        head = re.match(r"### `([^`]+)`", line)
        if head:
            current = out.setdefault(head.group(1), {})
            continue
        row = re.match(r"\s*\|([^|]+)\|([^|]*)\|\s*$", line)
        if row and current is not None and row.group(1) not in ("--", "Label", "Resource"):
            current[row.group(1).strip()] = row.group(2).strip()
    return out


def label_rows(page: Path, history: Path | None) -> list[dict[str, str]]:
    head = parse_page(page)
    old = parse_page(history) if history else {}
    rows = []
    for name in sorted(set(head) | set(old)):
        fields, source = (
            (head[name], "karpenter-docs-head")
            if name in head
            else (
                old[name],
                "karpenter-docs-history",
            )
        )
        row = {"instance_type": name}
        for column, suffix in LABEL_COLUMNS.items():
            row[column] = fields.get(LABEL + suffix, "")
        for column, resource in RESOURCE_COLUMNS.items():
            # the page lists a device resource only when the type has it
            row[column] = fields.get(resource, "0")
        row["source"] = source
        rows.append(row)
    return rows


def ebs_rows(table: Path, rules: Path) -> list[dict[str, str]]:
    text = table.read_text()

    def block(var: str) -> str:
        m = re.search(rf"var {var} = map\[string\][^{{]*{{(.*?)\n}}", text, re.S)
        if m is None:
            raise SystemExit(f"{table}: no {var} map")
        return m.group(1)

    non_nitro = set(re.findall(r'"([^"]+)":\s*{}', block("nonNitroInstanceTypes")))
    limits = {
        n: (int(v), t)
        for n, v, t in re.findall(r'"([^"]+)":\s*{\s*(\d+),\s*"(\w+)"\s*}', block("volumeLimits"))
    }
    cards = {n: int(v) for n, v in re.findall(r'"([^"]+)":\s*(\d+)', block("ebsCardCounts"))}
    m = re.search(
        r"var dedicatedInstances = map\[string\]struct{}{(.*?)\n}", rules.read_text(), re.S
    )
    if m is None:
        raise SystemExit(f"{rules}: no dedicatedInstances map")
    dedicated = set(re.findall(r'"([^"]+)":\s*{}', m.group(1)))
    rows = []
    for name in sorted(non_nitro | set(limits) | set(cards)):
        if name in non_nitro:
            limit, kind, source = "39", "dedicated", "nonNitroInstanceTypes"
        elif name in limits:
            value, kind = limits[name]
            limit, source = str(value), "volumeLimits"
            if name in dedicated:
                kind, source = "dedicated", "volumeLimits+dedicatedInstances"
        else:
            limit, kind, source = "", "", ""
        rows.append(
            {
                "instance_type": name,
                "ebs_attachment_limit": limit,
                "ebs_attachment_limit_type": kind,
                "ebs_cards": str(cards.get(name, 1)),
                "source": source,
            }
        )
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    print(f"wrote {len(rows)} rows to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, required=True)
    parser.add_argument("--history", type=Path)
    parser.add_argument("--ebs-table", type=Path, required=True)
    parser.add_argument("--ebs-rules", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("data/reference"))
    args = parser.parse_args()
    write(args.out / "instance_labels.csv", label_rows(args.page, args.history))
    write(args.out / "ebs_volume_limits.csv", ebs_rows(args.ebs_table, args.ebs_rules))


if __name__ == "__main__":
    main()
