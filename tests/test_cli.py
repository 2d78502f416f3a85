"""The ``podcap`` command line, in process (podcap.cli.main) and as ``python -m podcap``.

Expected numbers come from published sources, collected in tests/data:

* eni_max_pods: aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt (tests/data/eni_max_pods_sample.csv),
  m5.large 29, c5d.large 29, mac1.metal 234;
* calculator: the EKS user guide examples of max-pods-calculator.sh (tests/data/CALCULATOR_NOTES.md
  1.8): m5.large 29, with custom networking 20, with prefix delegation 110; the uncapped
  ("--show-max-allowed") prefix-delegation value is 3 * ((10 - 1) * 16) + 2 = 434 (notes 1.4);
  prefix delegation needs CNI >= 1.9 and otherwise falls back to 29 (notes 1.2);
* kops: min(110, ENIs * (IPs - 1) + 2) (notes section 4), so mac1.metal (8 ENIs, 30 IPs) gives 110;
* karpenter: the published pods capacity of m5.large / c5d.large is 29 (karpenter_published.csv).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from podcap.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
MAX_PODS_FIELDS = (
    "eni_max_pods",
    "calculator",
    "calculator_max_allowed",
    "nodeadm",
    "karpenter",
    "kops",
)


def run_main(argv: list[str]) -> tuple[int, str]:
    stream = io.StringIO()
    status = main(argv, stream=stream)
    return status, stream.getvalue()


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(
        [sys.executable, "-m", "podcap", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def parse_table(text: str) -> dict[str, list[str]]:
    """Rows of the transposed text table: first token -> remaining tokens (up to the blank line)."""
    rows: dict[str, list[str]] = {}
    for line in text.split("\n\n")[0].splitlines():
        parts = line.split()
        if parts:
            rows[parts[0]] = parts[1:]
    return rows


# --------------------------------------------------------------------------------------------
# instance TYPE ...
# --------------------------------------------------------------------------------------------


def test_table_side_by_side() -> None:
    status, out = run_main(["instance", "m5.large", "c5d.large"])
    assert status == 0
    rows = parse_table(out)
    assert rows["instance_type"] == ["m5.large", "c5d.large"]
    assert rows["enis"] == ["3", "3"]
    assert rows["ipv4_per_eni"] == ["10", "10"]
    assert rows["eni_max_pods"] == ["29", "29"]
    assert rows["calculator"] == ["29", "29"]
    assert rows["calculator_max_allowed"] == ["29", "29"]
    assert rows["nodeadm"] == ["29", "29"]
    assert rows["karpenter"] == ["29", "29"]
    assert rows["kops"] == ["29", "29"]
    # the legend is printed after the table
    assert "max-pods-calculator" in out


def test_prefix_delegation() -> None:
    status, out = run_main(["instance", "m5.large", "c5d.large", "--prefix-delegation"])
    assert status == 0
    rows = parse_table(out)
    assert rows["calculator"] == ["110", "110"]
    assert rows["calculator_max_allowed"] == ["434", "434"]
    # the other policies ignore the CNI settings
    assert rows["eni_max_pods"] == ["29", "29"]
    assert rows["kops"] == ["29", "29"]
    assert "prefix delegation" in out


def test_prefix_delegation_needs_cni_1_9() -> None:
    status, out = run_main(
        [
            "instance",
            "m5.large",
            "--prefix-delegation",
            "--cni-version",
            "1.8.0",
            "--output",
            "json",
        ]
    )
    assert status == 0
    assert json.loads(out)[0]["calculator"] == 29


def test_custom_networking() -> None:
    status, out = run_main(["instance", "m5.large", "--custom-networking", "--output", "json"])
    assert status == 0
    assert json.loads(out)[0]["calculator"] == 20


def test_json_output() -> None:
    status, out = run_main(["instance", "m5.large", "c5d.large", "--output", "json"])
    assert status == 0
    records = json.loads(out)
    assert isinstance(records, list)
    assert [r["instance_type"] for r in records] == ["m5.large", "c5d.large"]
    for record in records:
        assert isinstance(record, dict)
        for field in MAX_PODS_FIELDS:
            assert record[field] == 29, (record["instance_type"], field)
            assert type(record[field]) is int
    assert records[0]["vcpus"] == 2
    assert records[0]["memory_mib"] == 8192
    assert records[1]["memory_mib"] == 4096  # vpc_limits.csv: c5d.large ... 2,4096


def test_csv_output() -> None:
    status, out = run_main(["instance", "m5.large", "c5d.large", "--output", "csv"])
    assert status == 0
    frame = pd.read_csv(io.StringIO(out), index_col="instance_type")
    assert list(frame.index) == ["m5.large", "c5d.large"]
    for field in MAX_PODS_FIELDS:
        assert frame.loc["m5.large", field] == 29
    assert frame.loc["m5.large", "hypervisor"] == "nitro"


def test_mac1_metal_unknown_vcpus_json() -> None:
    # vpc_limits.csv: mac1.metal has no vcpus / memory_mib.
    status, out = run_main(["instance", "mac1.metal", "m5.large", "--output", "json"])
    assert status == 0
    mac, m5 = json.loads(out)
    assert mac["instance_type"] == "mac1.metal"
    assert mac["vcpus"] is None
    assert mac["memory_mib"] is None
    # the calculator's 110/250 cap depends on vCPUs; allocatable cpu needs vCPUs
    assert mac["calculator"] is None
    assert mac["allocatable_cpu_millicores"] is None
    assert mac["allocatable_memory_mib"] is None
    # values that do not need vCPUs are still given
    assert mac["eni_max_pods"] == 234
    assert mac["calculator_max_allowed"] == 234  # uncapped 8 * 29 + 2
    assert mac["kops"] == 110
    # the other type in the same call is unaffected
    assert m5["calculator"] == 29
    assert m5["allocatable_cpu_millicores"] is not None


def test_mac1_metal_unknown_vcpus_table_and_csv() -> None:
    status, out = run_main(["instance", "mac1.metal"])
    assert status == 0
    rows = parse_table(out)
    assert rows["vcpus"] == ["n/a"]
    assert rows["calculator"] == ["n/a"]
    assert rows["allocatable_cpu_millicores"] == ["n/a"]
    assert rows["eni_max_pods"] == ["234"]
    assert rows["kops"] == ["110"]
    status, out = run_main(["instance", "mac1.metal", "--output", "csv"])
    assert status == 0
    frame = pd.read_csv(io.StringIO(out), index_col="instance_type")
    assert pd.isna(frame.loc["mac1.metal", "calculator"])
    assert frame.loc["mac1.metal", "eni_max_pods"] == 234


def test_eni_max_pods_matches_published_sample() -> None:
    with (DATA / "eni_max_pods_sample.csv").open(newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    sample = {row["instance_type"]: int(row["max_pods"]) for row in csv.DictReader(lines)}
    # CALCULATOR_NOTES.md section 2: these two sample types are not in the reference table.
    sample.pop("i3.metal", None)
    sample.pop("p2.16xlarge", None)
    status, out = run_main(["instance", *sample, "--output", "json"])
    assert status == 0
    got = {r["instance_type"]: r["eni_max_pods"] for r in json.loads(out)}
    assert got == sample


def test_user_table_option(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\ninstance_types:\n  my.private: {enis: 4, ipv4_per_eni: 15, vcpus: 8}\n"
    )
    status, out = run_main(["instance", "my.private", "--table", str(path), "--output", "json"])
    assert status == 0
    (record,) = json.loads(out)
    assert record["eni_max_pods"] == 58  # 4 * (15 - 1) + 2


# --------------------------------------------------------------------------------------------
# --list
# --------------------------------------------------------------------------------------------


def test_list_family_json() -> None:
    status, out = run_main(["instance", "--list", "--family", "m5", "--output", "json"])
    assert status == 0
    names = [r["instance_type"] for r in json.loads(out)]
    assert names
    assert all(n.startswith("m5.") for n in names)
    # vpc_limits.csv has m5.large .. m5.metal; m5a/m5d/m5n are other families
    assert {"m5.large", "m5.xlarge", "m5.24xlarge", "m5.metal"} <= set(names)
    assert "m5a.large" not in names


def test_list_family_table() -> None:
    status, out = run_main(["instance", "--list", "--family", "m5"])
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[1].split() == ["instance_type"]
    data = [line.split()[0] for line in lines[2:]]
    assert data
    assert all(name.startswith("m5.") for name in data)
    assert "m5.large" in data


def test_list_family_matches_reference() -> None:
    reference = REPO / "data" / "reference" / "vpc_limits.csv"
    if not reference.is_file():
        pytest.skip(f"reference data not found at {reference}")
    with reference.open(newline="") as fh:
        expected = {
            r["instance_type"] for r in csv.DictReader(fh) if r["instance_type"].startswith("m5.")
        }
    status, out = run_main(["instance", "--list", "--family", "m5", "--output", "csv"])
    assert status == 0
    frame = pd.read_csv(io.StringIO(out), index_col="instance_type")
    assert set(frame.index) == expected


def test_list_all() -> None:
    status, out = run_main(["instance", "--list", "--output", "json"])
    assert status == 0
    assert len(json.loads(out)) == 1391


# --------------------------------------------------------------------------------------------
# errors: exit 2, one line on stderr, no traceback
# --------------------------------------------------------------------------------------------


def test_unknown_type_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_main(["instance", "m5.larg"])
    assert status == 2
    assert out == ""
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "did you mean" in err
    assert "m5.large" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["instance", "--list", "--family", "zz9"],
        ["instance"],
        ["instance", "m5.large", "nosuch.type"],
    ],
)
def test_bad_input_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run_main(argv)
    assert status == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("podcap: error:")
    assert "Traceback" not in err


def test_bad_table_file_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run_main(["instance", "m5.large", "--table", str(tmp_path / "missing.yaml")])
    assert status == 2
    err = capsys.readouterr().err
    assert "missing.yaml" in err
    assert len(err.strip().splitlines()) == 1


def test_module_instance_table() -> None:
    proc = run_module("instance", "m5.large", "c5d.large")
    assert proc.returncode == 0, proc.stderr
    rows = parse_table(proc.stdout)
    assert rows["instance_type"] == ["m5.large", "c5d.large"]
    assert rows["eni_max_pods"] == ["29", "29"]
    assert rows["kops"] == ["29", "29"]
    assert rows["calculator"] == ["29", "29"]


def test_module_json_prefix_delegation() -> None:
    proc = run_module("instance", "m5.large", "--prefix-delegation", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["calculator"] == 110


def test_module_unknown_type() -> None:
    proc = run_module("instance", "m5.larg")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "did you mean" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [("instance", "--list", "--family", "zz9"), ("instance",)],
    ids=["unknown-family", "no-type"],
)
def test_module_bad_input(args: tuple[str, ...]) -> None:
    proc = run_module(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_module_version() -> None:
    proc = run_module("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("podcap ")


def test_module_closed_stdout_no_traceback() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src")
    proc = subprocess.Popen(
        [sys.executable, "-m", "podcap", "instance", "--list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the ~100 kB listing cannot fit in the pipe buffer
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
