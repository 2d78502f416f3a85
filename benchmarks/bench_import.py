"""Benchmark ``import podcap``: how long it takes and what it imports.

Each measurement runs in a fresh interpreter (best of ``--repeat``):

* ``import podcap``: the time Python's ``-X importtime`` reports (its top-level imports, less
  an empty interpreter's);
* the same timed in the process (``time.perf_counter`` around the import), and the process's
  wall time less that of an empty interpreter;
* ``import podcap`` and the first use of ``podcap.simulate`` (the simulation modules, numpy
  and pandas loaded), and ``import podcap.cli`` (what the command line loads before a command);
* which of pandas, numpy, matplotlib and numba each of these leaves imported.

``--src`` measures another checkout (e.g. the code before a change).  Prints a table and writes
JSON to ``benchmarks/results/import.json``.

Usage::

    python benchmarks/bench_import.py [--repeat 7] [--src path/to/src]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pandas.plotting", "numpy", "matplotlib", "numba")

CASES = {
    "import podcap": "import podcap",
    "import podcap; podcap.simulate": "import podcap; podcap.simulate",
    "import podcap.cli": "import podcap.cli",
}


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _python(code: str, src: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        env=_env(src),
        capture_output=True,
        text=True,
        check=True,
    )


def _importtime(statement: str, src: Path) -> float:
    """Seconds ``-X importtime`` reports for the imports ``statement`` makes: the cumulative
    times of its top-level imports, less those an empty interpreter makes at startup."""

    def total(code: str) -> int:
        done = _python(code, src, "-X", "importtime")
        found = (
            re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", x)
            for x in done.stderr.splitlines()
        )
        return sum(int(m.group(1)) for m in found if m)

    return (total(statement) - total("pass")) / 1e6


def _in_process(statement: str, src: Path) -> dict[str, Any]:
    code = (
        "import sys, time, json\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "t = time.perf_counter() - t\n"
        f"print(json.dumps({{'seconds': t, 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    return dict(json.loads(_python(code, src).stdout))


def _wall(code: str, src: Path) -> float:
    start = time.perf_counter()
    _python(code, src)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the package's parent")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "import.json"
    )
    args = parser.parse_args()
    src = args.src.resolve()
    empty = min(_wall("pass", src) for _ in range(args.repeat))
    rows = []
    print(f"{'case':<34} {'importtime s':>12} {'in process s':>12} {'wall s':>8}  imported")
    for label, statement in CASES.items():
        runs = [_in_process(statement, src) for _ in range(args.repeat)]
        row = {
            "case": label,
            "importtime_seconds": min(_importtime(statement, src) for _ in range(args.repeat)),
            "in_process_seconds": min(r["seconds"] for r in runs),
            "wall_seconds_over_empty_interpreter": min(
                _wall(statement, src) for _ in range(args.repeat)
            )
            - empty,
            "imported": runs[0]["loaded"],
        }
        rows.append(row)
        print(
            f"{label:<34} {row['importtime_seconds']:12.3f} {row['in_process_seconds']:12.3f} "
            f"{row['wall_seconds_over_empty_interpreter']:8.3f}  {', '.join(row['imported']) or '-'}"
        )
    print(f"(an empty interpreter starts in {empty:.3f} s)")
    result = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "src": str(src),
        "empty_interpreter_seconds": empty,
        "cases": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
