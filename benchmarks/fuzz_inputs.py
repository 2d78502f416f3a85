"""Seeded fuzz run: mutated manifests and cluster files must end in a result or a PodcapError.

Each manifest case takes a valid set of manifests (a Deployment with most pod-spec features, a
LimitRange, a ResourceQuota, a PriorityClass, a DaemonSet, a Job), replaces 1-3 random fields
with values of the wrong type or range (``podcap.testing.mutate`` with
``podcap.testing.HOSTILE_VALUES``), and simulates it with both engines.  Each cluster case
does the same to a podcap cluster file (counts, zones, taints, CNI settings, subnets, extended
resources) and reads and simulates it.  Anything other than a ``PodcapError`` is an escape; the
run prints each escape site with a count.

Usage::

    python benchmarks/fuzz_inputs.py [--seed 0] [--cases 3000]
"""

from __future__ import annotations

import argparse
import collections
import random
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import yaml

import podcap
from podcap.testing import HOSTILE_CLUSTER_VALUES, mutate

BASE: list[dict[str, Any]] = [
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "priorityClassName": "",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [
                        {"key": "a", "operator": "Equal", "value": "b", "effect": "NoSchedule"}
                    ],
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 10,
                                    "podAffinityTerm": {
                                        "labelSelector": {"matchLabels": {"app": "web"}},
                                        "topologyKey": "kubernetes.io/hostname",
                                    },
                                }
                            ]
                        },
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "kubernetes.io/arch",
                                                "operator": "In",
                                                "values": ["amd64"],
                                            }
                                        ]
                                    }
                                ]
                            }
                        },
                    },
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": {"app": "web"}},
                        }
                    ],
                    "initContainers": [
                        {"name": "i", "image": "x", "resources": {"requests": {"cpu": "50m"}}}
                    ],
                    "containers": [
                        {
                            "name": "c",
                            "image": "x",
                            "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "128Mi"},
                            },
                        }
                    ],
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "lr", "namespace": "default"},
        "spec": {
            "limits": [
                {"type": "Container", "defaultRequest": {"cpu": "100m"}, "default": {"cpu": "200m"}}
            ]
        },
    },
    {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": "default"},
        "spec": {"hard": {"requests.cpu": "10", "pods": "20"}},
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "hi"},
        "value": 1000,
    },
    {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "ds"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    },
    {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "parallelism": 2,
            "completions": 3,
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
            },
        },
    },
]


def mutated(rng: random.Random) -> list[dict[str, Any]]:
    """A copy of the base manifests with 1-3 random fields replaced by hostile values."""
    return mutate(BASE, rng)


def run(seed: int, cases: int) -> collections.Counter[tuple[str, str, int]]:
    """Escapes (exception type, file, line) over ``cases`` mutated inputs."""
    cluster = podcap.Cluster(
        [podcap.NodeGroup("g", "m5.large", 2, zones=("us-east-1a", "us-east-1b"))]
    )
    rng = random.Random(seed)
    escapes: collections.Counter[tuple[str, str, int]] = collections.Counter()
    for _ in range(cases):
        docs = mutated(rng)
        for engine in ("fast", "reference"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    podcap.simulate(cluster, docs, engine=engine)  # type: ignore[arg-type]
                except podcap.PodcapError:
                    pass
                except Exception as exc:  # an escape: what the fuzz run is looking for
                    frame = traceback.extract_tb(exc.__traceback__)[-1]
                    site = frame.filename.split("/src/")[-1]
                    escapes[(type(exc).__name__, site, frame.lineno or 0)] += 1
    return escapes


CLUSTER: dict[str, Any] = {
    "nodeGroups": [
        {
            "name": "g",
            "instanceType": "m5.large",
            "count": 2,
            "zones": ["us-east-1a", "us-east-1b"],
            "maxPods": 30,
            "overhead": "eks",
            "labels": {"a": "b"},
            "taints": ["k=v:NoSchedule"],
            "cni": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_IP_TARGET": "2"},
            "subnets": [
                {"cidr": "10.0.0.0/24", "zone": "us-east-1a"},
                {"cidr": "10.0.1.0/24", "zone": "us-east-1b"},
            ],
            "extendedResources": {"nvidia.com/gpu": 1},
        }
    ]
}


def run_clusters(seed: int, cases: int, folder: Path) -> collections.Counter[tuple[str, str, int]]:
    """Escapes over ``cases`` mutated podcap cluster files (written to ``folder``)."""
    pod = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
    ]
    rng = random.Random(seed)
    escapes: collections.Counter[tuple[str, str, int]] = collections.Counter()
    path = folder / "cluster.yaml"
    for _ in range(cases):
        doc = mutate(CLUSTER, rng, HOSTILE_CLUSTER_VALUES)
        path.write_text(yaml.safe_dump(doc))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                podcap.simulate(podcap.read_cluster(path), pod)
            except podcap.PodcapError:
                pass
            except Exception as exc:  # an escape
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                site = frame.filename.split("/src/")[-1]
                escapes[(type(exc).__name__, site, frame.lineno or 0)] += 1
    return escapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=3000)
    args = parser.parse_args()
    start = time.perf_counter()
    escapes = run(args.seed, args.cases)
    seconds = time.perf_counter() - start
    for (kind, site, line), count in escapes.most_common():
        print(f"{count:6d}  {kind} at {site}:{line}")
    print(
        f"manifests: {args.cases} cases x 2 engines, seed {args.seed}: "
        f"{sum(escapes.values())} escapes in {len(escapes)} places, {seconds:.1f} s"
    )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        escapes = run_clusters(args.seed, args.cases, Path(folder))
    seconds = time.perf_counter() - start
    for (kind, site, line), count in escapes.most_common():
        print(f"{count:6d}  {kind} at {site}:{line}")
    print(
        f"cluster files: {args.cases} cases, seed {args.seed}: {sum(escapes.values())} escapes "
        f"in {len(escapes)} places, {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
