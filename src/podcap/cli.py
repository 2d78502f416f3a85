"""The ``podcap`` command line.

Subcommands
-----------
``podcap instance TYPE [TYPE ...]``
    Max pods under every policy side by side, pod IP capacity and allocatable.
``podcap instance --list [--family m5]``
    List instance types.
``podcap subnet CIDR --instance-type TYPE [--prefix-delegation] [--warm-ip-target N] ...``
    Nodes and pods that fit in a subnet, addresses a rollout holds, warm settings compared.
``podcap check --cluster CLUSTER MANIFEST [MANIFEST ...]``
    A CI gate: exit 0 when every replica would run, 1 with an explanation otherwise.
``podcap snapshot DIR [--context NAME] [--kubeconfig FILE] [--kubectl PATH]``
    Run ``kubectl get ... -o json`` for the objects podcap reads from a cluster and write them
    to DIR, for ``podcap simulate --cluster DIR``.
``podcap scenario FILE [--output json]``
    The state after each step of a timeline (see :class:`podcap.Scenario`).
``podcap simulate --cluster cluster.yaml MANIFEST [MANIFEST ...]``
    Simulate ``kubectl apply``: how many pods run, stay Pending, wait for an IP, are never
    created or are rejected, and why.  ``--cluster`` also takes a Terraform directory
    (``--var``, ``--var-file``, ``--cluster-name``) and ``--node-config`` a nodeadm NodeConfig.

Errors print one line (no traceback) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from podcap._version import __version__
from podcap.analysis.check import check
from podcap.analysis.report import instance_report
from podcap.errors import PodcapError, PodcapWarning
from podcap.io.kubectl import write_snapshot
from podcap.io.manifests import load_manifests
from podcap.model.capacity import DEFAULT_CNI_VERSION
from podcap.model.instances import instance_types, load_instance_table
from podcap.model.ipam import compare_warm_settings, rollout_addresses, subnet_capacity
from podcap.model.specs import EbsCsiDriver, VpcCni
from podcap.model.subnets import Subnet
from podcap.pipeline.consolidation import consolidate, scale_down
from podcap.pipeline.scenario import Scenario
from podcap.pipeline.simulate import simulate_with_state
from podcap.pipeline.sources import read_cluster
from podcap.pipeline.state import ClusterState

__all__ = ["build_parser", "main", "run"]

OUTPUTS = ("table", "json", "csv")
_TABLE_HELP = "an instance table YAML (new or private types) added to the bundled one"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (numpy scalars and <NA> converted)."""
    out = []
    for row in frame.reset_index().to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is pd.NA or (isinstance(value, float) and value != value):
                clean[str(key)] = None
            elif hasattr(value, "item"):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def _emit(frame: pd.DataFrame, output: str, stream: TextIO, *, transpose: bool = False) -> None:
    if output == "json":
        json.dump(_records(frame), stream, indent=2)
        stream.write("\n")
    elif output == "csv":
        frame.to_csv(stream)
    else:
        shown = frame.astype(object).where(frame.notna(), "n/a")
        if transpose:
            shown = shown.T
        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200
        ):
            stream.write(shown.to_string() + "\n")


def _cmd_instance(args: argparse.Namespace, stream: TextIO) -> int:
    table = load_instance_table(args.table) if args.table else None
    if args.list:
        frame = instance_types(table)
        if args.family:
            frame = frame[frame.index.str.split(".").str[0] == args.family]
            if frame.empty:
                raise PodcapError(f"no instance types in family {args.family!r}")
        cols = ["enis", "ipv4_per_eni", "hypervisor", "vcpus", "memory_mib", "arch"]
        _emit(frame[cols], args.output, stream)
        return 0
    if not args.types:
        raise PodcapError(
            "name at least one instance type (e.g. 'podcap instance m5.large'), or use --list"
        )
    report = instance_report(
        args.types,
        prefix_delegation=args.prefix_delegation,
        custom_networking=args.custom_networking,
        cni_version=args.cni_version,
        table=table,
    )
    _emit(report, args.output, stream, transpose=True)
    if args.output == "table":
        stream.write(
            "\nmax pods: eni_max_pods = EKS table; calculator = AWS max-pods-calculator.sh "
            f"(CNI {args.cni_version}"
            + (", prefix delegation" if args.prefix_delegation else "")
            + (", custom networking" if args.custom_networking else "")
            + "); nodeadm = AL2023; karpenter = AL2023 defaults; kops = amazonvpc.\n"
            "pod_ips = VPC addresses the CNI can give pods; allocatable = EKS AMI overhead.\n"
        )
    return 0


def _sources(items: list[str]) -> list[Any]:
    sources: list[Any] = []
    for item in items:
        sources.append(sys.stdin.read() if item == "-" else Path(item))
    return sources


def _env(pairs: list[str] | None) -> VpcCni | None:
    if not pairs:
        return None
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PodcapError(f"--aws-node-env expects NAME=VALUE, got {pair!r}")
        env[key] = value
    return VpcCni.from_env(env)


def _table(args: argparse.Namespace) -> pd.DataFrame | None:
    return load_instance_table(args.table) if args.table else None


def _read_cluster(args: argparse.Namespace) -> ClusterState:
    """The --cluster of simulate and check, with its Terraform and NodeConfig options."""
    variables: dict[str, str] = {}
    for pair in args.var or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PodcapError(f"--var expects NAME=VALUE, got {pair!r}")
        variables[key.strip()] = value
    node_configs: dict[str, str] = {}
    for item in args.node_config or []:
        group, sep, path = item.partition("=")
        key, target = (group.strip(), path) if sep and group.strip() else ("*", item)
        if key in node_configs:
            raise PodcapError(
                f"--node-config given twice for {'every node group' if key == '*' else key}"
            )
        node_configs[key] = target
    state = read_cluster(
        args.cluster,
        system_pods=not args.no_system_pods,
        cni=_env(args.aws_node_env),
        table=_table(args),
        variables=variables or None,
        var_files=args.var_file or (),
        cluster_name=args.cluster_name,
        node_config=node_configs or None,
        node_pools=args.node_pools,
        zones=_zones(args.zones),
        region=args.region,
        prices=_prices(args.prices) if args.prices else None,
        ebs_csi=_ebs_csi(args),
    )
    if args.cluster_autoscaler:
        state = state.with_cluster_autoscaler(args.cluster_autoscaler, region=args.region)
    return state


def _ebs_csi(args: argparse.Namespace) -> EbsCsiDriver | None:
    """The EBS CSI driver's node flags given on the command line (None: the file's)."""
    limit, reserved = args.volume_attach_limit, args.reserved_volume_attachments
    if limit is None and reserved is None:
        return None
    try:
        return EbsCsiDriver(volume_attach_limit=limit, reserved_volume_attachments=reserved)
    except PodcapError as exc:
        raise PodcapError(f"--volume-attach-limit, --reserved-volume-attachments: {exc}") from None


def _zones(text: str | None) -> tuple[str, ...]:
    """--zones: comma-separated zone names, none empty or with spaces."""
    if text is None:
        return ()
    zones = tuple(z.strip() for z in text.split(","))
    bad = [z for z in zones if not z or " " in z]
    if bad or not zones:
        raise PodcapError(
            f"--zones {text!r}: give zone names separated by commas, e.g. "
            "us-east-1a,us-east-1b,us-east-1c"
        )
    return zones


def _prices(path: str) -> pd.DataFrame:
    """A user's price table: CSV with instance_type, capacity_type, usd_per_hour."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise PodcapError(
            f"--prices {path}: not a readable CSV with columns instance_type, capacity_type, "
            f"usd_per_hour ({exc})"
        ) from None
    return frame


def _add_cluster_options(sub: argparse.ArgumentParser) -> None:
    """Terraform and nodeadm options of --cluster."""
    sub.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="Terraform: a variable's value (repeatable), or a module block's value by address, "
        "e.g. module.eks.eks_managed_node_groups.default.desired_size=3",
    )
    sub.add_argument(
        "--var-file",
        action="append",
        metavar="FILE",
        help="Terraform: a .tfvars file to load (repeatable), after terraform.tfvars and "
        "*.auto.tfvars",
    )
    sub.add_argument(
        "--cluster-name",
        metavar="NAME",
        help="Terraform: the cluster to read when the directory has several (name or module.X)",
    )
    sub.add_argument(
        "--cluster-autoscaler",
        metavar="EXPANDER",
        choices=("least-waste", "most-pods", "price", "random"),
        help="a cluster-autoscaler grows node groups that have a max size (eksctl maxSize, "
        "Terraform max_size, kOps maxSize) for pending pods, choosing with this expander "
        "(least-waste, most-pods, price, random)",
    )
    sub.add_argument(
        "--node-pools",
        metavar="FILE",
        help="Karpenter NodePools and EC2NodeClasses (a YAML file or directory) beside the "
        "cluster: pods left pending get the nodes Karpenter would launch",
    )
    sub.add_argument(
        "--zones",
        metavar="ZONE,ZONE",
        help="Karpenter: the zones of the EC2NodeClass's subnets (unknowable offline)",
    )
    sub.add_argument(
        "--region",
        default="us-east-1",
        help="Karpenter: the region for on-demand prices (default us-east-1; regions without "
        "bundled prices use us-east-1's, as Karpenter does)",
    )
    sub.add_argument(
        "--prices",
        metavar="CSV",
        help="Karpenter: your prices (instance_type, capacity_type, usd_per_hour); the only "
        "source of spot prices",
    )
    sub.add_argument(
        "--volume-attach-limit",
        type=int,
        metavar="N",
        help="the EBS CSI driver's --volume-attach-limit on every node (EBS volumes per node)",
    )
    sub.add_argument(
        "--reserved-volume-attachments",
        type=int,
        metavar="N",
        help="the EBS CSI driver's --reserved-volume-attachments on every node (default: the "
        "instance's block device mappings + 1)",
    )
    sub.add_argument(
        "--node-config",
        action="append",
        metavar="[GROUP=]FILE",
        help="a nodeadm NodeConfig (YAML or MIME user data) the nodes boot with; GROUP= for "
        "one node group (repeatable)",
    )


def _cmd_simulate(args: argparse.Namespace, stream: TextIO) -> int:
    state = _read_cluster(args)
    user = load_manifests(_sources(args.manifests))
    after, result = simulate_with_state(
        state,
        user,
        scoring=args.scoring,
        engine=args.engine,
        hpa=args.hpa,
        cronjobs=args.cronjobs,
        rollout=args.rollout,
    )
    consolidation = None
    if args.consolidate:
        if after.karpenter is not None:
            consolidation = consolidate(after, scoring=args.scoring, engine=args.engine)
        elif after.cluster_autoscaler is not None:
            consolidation = scale_down(after, scoring=args.scoring, engine=args.engine)
        else:
            raise PodcapError(
                "--consolidate needs Karpenter NodePools (--node-pools, or in the cluster file) "
                "or a cluster-autoscaler (--cluster-autoscaler)"
            )
    keys = {w.key for w in user.workloads}
    if args.output == "json":
        _about_cluster(state, keys, sys.stderr)
        json.dump(
            {
                "workloads": _records(result.workloads.set_index("namespace")),
                "nodes": _records(result.nodes.set_index("node")),
                "placements": _records(result.placements.set_index("namespace")),
                "nodeclaims": _nodeclaims(result.nodeclaims),
                "scale_ups": _records_plain(result.scale_ups),
                "cost_per_hour": result.cost_per_hour,
                **(
                    {
                        "consolidation": {
                            "commands": _records(consolidation.commands.set_index("command")),
                            "removed": consolidation.removed,
                            "cost_before": consolidation.cost_before,
                            "cost_after": consolidation.cost_after,
                        }
                    }
                    if consolidation is not None
                    else {}
                ),
            },
            stream,
            indent=2,
        )
        stream.write("\n")
    elif args.output == "csv":
        _about_cluster(state, keys, sys.stderr)
        result.workloads.to_csv(stream, index=False)
    else:
        stream.write(repr(result) + "\n")
        if consolidation is not None:
            stream.write("\n" + repr(consolidation) + "\n")
        _about_cluster(state, keys, stream)
    return 0


def _records_plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN as null)."""
    out = []
    for rec in frame.to_dict("records"):
        out.append(
            {
                str(k): (
                    None
                    if v is None or (isinstance(v, float) and pd.isna(v))
                    else (int(v) if isinstance(v, (int, np.integer)) else v)
                )
                for k, v in rec.items()
            }
        )
    return out


def _nodeclaims(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The NodeClaims for JSON: nodepool, instance_type, capacity_type, zone, pods,
    price_per_hour."""
    out = []
    for rec in frame.to_dict("records"):
        price = rec["price_per_hour"]
        out.append(
            {
                "nodepool": str(rec["nodepool"]),
                "instance_type": str(rec["instance_type"]),
                "capacity_type": str(rec["capacity_type"]),
                "zone": None if rec["zone"] is None else str(rec["zone"]),
                "pods": int(rec["pods"]),
                "price_per_hour": None if price is None or pd.isna(price) else float(price),
            }
        )
    return out


def _about_cluster(state: ClusterState, keys: set[tuple[str, str, str]], out: TextIO) -> None:
    """What podcap read and added: implied system pods, existing pods, skipped objects."""
    lines = [f"cluster read as: {state.source}"]
    if state.implied:
        replaced = [n for n in state.implied if tuple(n.split("/")) in {(k[0], k[2]) for k in keys}]
        lines.append(
            f"implied system pods: {', '.join(state.implied)}"
            + (f" (replaced by your manifests: {', '.join(replaced)})" if replaced else "")
            + " (--no-system-pods to leave them out)"
        )
    existing = sum(c.total for c in state.cohorts if c.key in state.observed)
    if state.observed:
        lines.append(f"existing pods from the snapshot: {existing}")
    if state.skipped:
        lines.append(f"not used: {'; '.join(state.skipped)}")
    if out is sys.stderr:
        out.write("".join(f"podcap: {line}\n" for line in lines))
    else:
        out.write("\n" + "\n".join(lines) + "\n")


def _cmd_check(args: argparse.Namespace, stream: TextIO) -> int:
    ci = _read_cluster(args)
    report = check(ci, _sources(args.manifests))
    if args.output == "json":
        json.dump(report.to_dict(), stream, indent=2)
        stream.write("\n")
        _about_cluster(ci, set(), sys.stderr)
    elif args.output == "markdown":
        stream.write(report.to_markdown())
        _about_cluster(ci, set(), sys.stderr)
    else:
        stream.write(str(report) + "\n")
        _about_cluster(ci, set(), stream)
    return 0 if report.ok else 1


def _cni_from_args(args: argparse.Namespace) -> VpcCni:
    return VpcCni(
        prefix_delegation=args.prefix_delegation,
        custom_networking=args.custom_networking,
        max_eni=args.max_eni,
        cni_version=args.cni_version,
        warm_eni_target=args.warm_eni_target,
        warm_ip_target=args.warm_ip_target,
        minimum_ip_target=args.minimum_ip_target,
        warm_prefix_target=args.warm_prefix_target,
    )


def _cmd_subnet(args: argparse.Namespace, stream: TextIO) -> int:
    cni = _cni_from_args(args)
    subnet = Subnet(args.cidr, args.zone, used=args.used)
    table = _table(args)
    cap = subnet_capacity(
        subnet,
        args.instance_type,
        cni=cni,
        max_pods=args.max_pods,
        pods_per_node=args.pods_per_node,
        table=table,
    )
    frames: dict[str, pd.DataFrame] = {"capacity": cap.to_frame().T.set_index("subnet")}
    if args.replicas is not None:
        nodes = args.nodes if args.nodes is not None else int(cap["max_nodes_full"]) or 1
        need = rollout_addresses(
            args.instance_type, args.replicas, nodes, cni=cni, max_pods=args.max_pods, table=table
        )
        frames["rollout"] = need.to_frame().T.set_index("instance_type")
    pods = int(cap["pods_per_node"]) if args.pods_per_node is None else args.pods_per_node
    warm = compare_warm_settings(
        args.instance_type, pods, base=cni, max_pods=args.max_pods, table=table
    )
    # settings whose maxPods cannot hold this many pods are not candidates here
    frames["warm settings"] = warm[warm["pod_ips_available"] > 0].set_index("setting")
    if args.output == "json":
        json.dump({k: _records(v) for k, v in frames.items()}, stream, indent=2)
        stream.write("\n")
        return 0
    for title, frame in frames.items():
        if args.output == "csv":
            stream.write(f"# {title}\n")
        else:
            stream.write(f"\n== {title} ==\n")
        _emit(frame, args.output, stream, transpose=title != "warm settings")
    return 0


def _cmd_scenario(args: argparse.Namespace, stream: TextIO) -> int:
    result = Scenario.from_yaml(args.file, table=_table(args)).run()
    if args.output == "json":
        json.dump(result.to_json_records(), stream, indent=2)
        stream.write("\n")
    elif args.output == "csv":
        result.frame.to_csv(stream, index=False)
    else:
        stream.write(repr(result) + "\n")
    return 0


def _cmd_snapshot(args: argparse.Namespace, stream: TextIO) -> int:
    written = write_snapshot(
        args.directory, kubectl=args.kubectl, context=args.context, kubeconfig=args.kubeconfig
    )
    stream.write(f"wrote {len(written.files)} file(s) to {written.directory}:\n")
    for path in written.files:
        stream.write(f"  {path.name:<22} {written.items[path.name]:>7} object(s)\n")
    for note in written.notes:
        stream.write(f"note: {note}\n")
    stream.write(f"read it with: podcap simulate --cluster {written.directory} MANIFEST\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``podcap`` command."""
    parser = argparse.ArgumentParser(
        prog="podcap",
        description="Kubernetes pod capacity on AWS: max pods, pod IPs, allocatable, rollouts.",
    )
    parser.add_argument("--version", action="version", version=f"podcap {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="on an error, show the Python traceback too"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    inst = sub.add_parser("instance", help="max pods, pod IPs and allocatable per instance type")
    inst.add_argument("types", nargs="*", metavar="TYPE", help="instance types, e.g. m5.large")
    inst.add_argument("--list", action="store_true", help="list instance types")
    inst.add_argument("--family", help="with --list: only this family (e.g. m5)")
    inst.add_argument("--prefix-delegation", action="store_true")
    inst.add_argument("--custom-networking", action="store_true")
    inst.add_argument(
        "--cni-version",
        default=DEFAULT_CNI_VERSION,
        help=f"VPC CNI version (default {DEFAULT_CNI_VERSION})",
    )
    inst.add_argument("--table", help="an instance table YAML to add to the bundled one")
    inst.add_argument("--output", choices=OUTPUTS, default="table")
    inst.set_defaults(func=_cmd_instance)

    sim = sub.add_parser(
        "simulate",
        help="simulate kubectl apply of manifests on a cluster",
        description="Simulate kubectl apply: admission, scheduling and pod IPs. "
        "The cluster file schema is documented in podcap.io.readers.",
    )
    sim.add_argument(
        "manifests", nargs="+", metavar="MANIFEST", help="files, directories, or - for stdin"
    )
    sim.add_argument(
        "--cluster",
        required=True,
        help="a podcap cluster file, an eksctl ClusterConfig, a kOps file, a Terraform directory "
        "(terraform-aws-modules/eks/aws) or a kubectl JSON snapshot",
    )
    sim.add_argument(
        "--scoring", choices=("LeastAllocated", "MostAllocated"), default="LeastAllocated"
    )
    sim.add_argument("--engine", choices=("fast", "reference"), default="fast")
    sim.add_argument(
        "--hpa",
        choices=("start", "min", "max"),
        default="start",
        help="autoscaled workloads (HPA, KEDA): as the autoscaler starts, or the what-if at its "
        "minimum or maximum",
    )
    sim.add_argument(
        "--cronjobs",
        choices=("idle", "run"),
        default="idle",
        help="CronJobs: no pods between runs, or the what-if of one run of each",
    )
    sim.add_argument(
        "--rollout",
        default="stable",
        metavar="{stable,canary,canary:STEP}",
        help="Argo Rollouts: the stable pods only, or the what-if of an update held at its first "
        "canary step that sets a weight (or at steps[STEP]; a blue-green update's preview)",
    )
    sim.add_argument(
        "--consolidate",
        action="store_true",
        help="after the rollout, what Karpenter's consolidation (or cluster-autoscaler's "
        "scale-down) would remove",
    )
    sim.add_argument("--output", choices=OUTPUTS, default="table")
    sim.add_argument(
        "--no-system-pods",
        action="store_true",
        help="leave out the system pods an eksctl / kOps cluster implies",
    )
    sim.add_argument(
        "--aws-node-env",
        action="append",
        metavar="NAME=VALUE",
        help="VPC CNI setting of a kubectl snapshot's cluster (repeatable), e.g. ENABLE_PREFIX_DELEGATION=true",
    )
    sim.add_argument("--table", help=_TABLE_HELP)
    _add_cluster_options(sim)
    sim.set_defaults(func=_cmd_simulate)

    chk = sub.add_parser(
        "check",
        help="CI gate: exit 0 if every replica would run, 1 with an explanation if not",
        description="Exit 0 when every replica of the given manifests would run on the cluster; "
        "otherwise exit 1 and explain which workload, which limit, and what would fix it.",
    )
    chk.add_argument(
        "manifests", nargs="+", metavar="MANIFEST", help="files, directories, or - for stdin"
    )
    chk.add_argument(
        "--cluster",
        required=True,
        help="podcap, eksctl or kOps cluster file, a Terraform directory, or a kubectl snapshot",
    )
    chk.add_argument("--no-system-pods", action="store_true")
    chk.add_argument(
        "--aws-node-env",
        action="append",
        metavar="NAME=VALUE",
        help="VPC CNI setting of a kubectl snapshot's cluster (repeatable), e.g. ENABLE_PREFIX_DELEGATION=true",
    )
    chk.add_argument("--table", help=_TABLE_HELP)
    _add_cluster_options(chk)
    chk.add_argument(
        "--output",
        choices=("text", "markdown", "json"),
        default="text",
        help="markdown for CI job summaries and pull-request comments; json with the limits as data",
    )
    chk.set_defaults(func=_cmd_check)

    sub_p = sub.add_parser(
        "subnet",
        help="how many nodes and pods fit in a subnet; addresses a rollout needs; warm settings",
        description="Subnet arithmetic for the VPC CNI: nodes and pods that fit, the addresses a "
        "rollout holds, and which warm-pool setting wastes least.",
    )
    sub_p.add_argument("cidr", help="subnet CIDR, e.g. 10.0.0.0/24")
    sub_p.add_argument("--instance-type", required=True)
    sub_p.add_argument("--zone", default="zone-a")
    sub_p.add_argument("--used", type=int, default=0, help="addresses already in use")
    sub_p.add_argument("--max-pods", type=int, help="kubelet maxPods (default: AWS calculator)")
    sub_p.add_argument(
        "--pods-per-node", type=int, help="address-consuming pods per node at full load"
    )
    sub_p.add_argument("--replicas", type=int, help="addresses a rollout of N replicas holds")
    sub_p.add_argument("--nodes", type=int, help="with --replicas: nodes they spread over")
    sub_p.add_argument("--prefix-delegation", action="store_true")
    sub_p.add_argument("--custom-networking", action="store_true")
    sub_p.add_argument(
        "--cni-version",
        default=DEFAULT_CNI_VERSION,
        help=f"VPC CNI version (default {DEFAULT_CNI_VERSION})",
    )
    sub_p.add_argument("--max-eni", type=int)
    for flag in (
        "--warm-eni-target",
        "--warm-ip-target",
        "--minimum-ip-target",
        "--warm-prefix-target",
    ):
        sub_p.add_argument(flag, type=int)
    sub_p.add_argument("--output", choices=OUTPUTS, default="table")
    sub_p.add_argument("--table", help=_TABLE_HELP)
    sub_p.set_defaults(func=_cmd_subnet)

    snap = sub.add_parser(
        "snapshot",
        help="write a cluster's nodes, pods and policies to DIR with kubectl, for --cluster DIR",
        description="Run kubectl get -o json for the objects podcap reads from a cluster (nodes, "
        "pods, LimitRanges, ResourceQuotas, PriorityClasses; Karpenter NodePools and "
        "EC2NodeClasses when their CRDs exist) and write them to DIR.  podcap makes no cloud "
        "call itself: kubectl runs with your kubeconfig.",
    )
    snap.add_argument("directory", metavar="DIR", help="created if missing")
    snap.add_argument("--context", help="kubectl --context")
    snap.add_argument("--kubeconfig", help="kubectl --kubeconfig")
    snap.add_argument(
        "--kubectl", default="kubectl", metavar="PATH", help="kubectl executable (default: on PATH)"
    )
    snap.set_defaults(func=_cmd_snapshot)

    scen = sub.add_parser(
        "scenario",
        help="run a timeline of steps (apply, delete, scale, restart, node changes)",
        description="Run a scenario file and print the state after each step.",
    )
    scen.add_argument("file", help="scenario YAML (cluster: ..., steps: [...])")
    scen.add_argument("--output", choices=OUTPUTS, default="table")
    scen.add_argument("--table", help=_TABLE_HELP)
    scen.set_defaults(func=_cmd_scenario)
    return parser


def main(argv: Sequence[str] | None = None, stream: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout if stream is None else stream
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", PodcapWarning)
            warnings.showwarning = _show_warning
            status: int = args.func(args, out)
        out.flush()
    except PodcapError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"podcap: error: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `podcap instance --list | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return status


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """One line per warning, without Python source lines."""
    text = str(message)
    if len(text) > 400:
        text = text[:397] + "..."
    sys.stderr.write(f"podcap: warning: {text}\n")


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
