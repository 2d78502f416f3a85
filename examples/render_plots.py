"""Render the README's example plots into examples/*.png (needs ``podcap[plot]``).

Usage::

    python examples/render_plots.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import podcap

HERE = Path(__file__).resolve().parent
SEED = HERE / "seed"


def main() -> None:
    cluster = podcap.load_cluster(SEED / "cluster.yaml")
    result = podcap.simulate(cluster, SEED / "manifests")
    ax = result.plot()
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "seed_nodes.png", dpi=110)

    timeline = podcap.Scenario.from_yaml(SEED / "scenario.yaml").run()
    ax = timeline.plot(workload="nginx")
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "seed_timeline.png", dpi=110)

    frame = podcap.sweep(
        cluster,
        SEED / "manifests",
        {"workers.count": [2, 3, 4, 5, 6], "limits.present": [True, False]},
        progress=False,
    )
    ax = frame.pipe(podcap.plot.sweep, x="workers.count", by="limits.present", workload="nginx")
    ax.set_title("nginx (80 replicas): Running pods against worker count")
    ax.figure.tight_layout()
    ax.figure.savefig(HERE / "seed_sweep.png", dpi=110)
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.png"))))


if __name__ == "__main__":
    main()
