"""``podcap subnet``: nodes and pods that fit in a subnet, rollout addresses, warm settings.

Hand computation (facts: AWS VPC User Guide "Subnet CIDR blocks": AWS reserves the first four and
the last address of every subnet; docs/domain.md sections 3-4; tests/data/WARM_POOL_NOTES.md
sections 2, 5 and 7):

* m5.large: 3 ENIs x 10 IPv4 -> S = 9 secondary IPs per ENI, 27 pod IPs; AWS calculator maxPods
  3*9+2 = 29 (110 with prefix delegation: 2 vCPUs).
* Secondary IPs, WARM_ENI_TARGET=1, full load min(29 - 2, 27) = 27 pods: smallest n with
  9n - 27 >= 9 is 4, capped at 3 ENIs -> 3 ENI primaries + 27 secondary IPs = 30 addresses.
  10.0.0.0/24: 256 - 5 = 251 usable -> floor(251/30) = 8 full nodes, 8 * 27 = 216 pods.
* Prefix delegation: 108 pods per node; ceil(108/16) + 1 = 8 prefixes wanted, but 7 prefixes =
  112 >= maxPods 110 stops growth -> 1 + 7*16 = 113 addresses.  A /24 has 16 aligned /28
  blocks, 2 of them (.0-.15 and .240-.255) hold AWS's addresses -> 14 free -> floor(14/7) = 2
  nodes.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from podcap.cli import main

BASE = ["subnet", "10.0.0.0/24", "--instance-type", "m5.large"]


def _run(args: list[str]) -> str:
    out = io.StringIO()
    assert main(args, stream=out) == 0
    return out.getvalue()


def _json(args: list[str]) -> dict[str, Any]:
    data = json.loads(_run([*args, "--output", "json"]))
    assert isinstance(data, dict)
    return data


def _table_value(text: str, key: str) -> str:
    """The value printed after ``key`` in the transposed capacity table."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == key:
            return parts[-1]
    raise AssertionError(f"{key} not in output:\n{text}")


def test_table_output_shows_capacity() -> None:
    text = _run(BASE)
    assert "== capacity ==" in text
    assert "== warm settings ==" in text
    assert "== rollout ==" not in text
    assert _table_value(text, "usable_addresses") == "251"
    assert _table_value(text, "pods_per_node") == "27"
    assert _table_value(text, "addresses_per_node_full") == "30"
    assert _table_value(text, "max_nodes_full") == "8"
    assert _table_value(text, "max_pods") == "216"


def test_json_keys_and_capacity() -> None:
    data = _json(BASE)
    assert set(data) == {"capacity", "warm settings"}
    (cap,) = data["capacity"]
    assert cap["subnet"] == "10.0.0.0/24"
    assert cap["usable_addresses"] == 251
    assert cap["max_nodes_full"] == 8
    assert cap["max_pods"] == 216
    # idle: 1 ENI + 9 IPs = 10 addresses -> floor(251/10) = 25 nodes
    assert cap["addresses_per_node_idle"] == 10
    assert cap["max_nodes_idle"] == 25
    settings = [r["setting"] for r in data["warm settings"]]
    assert "WARM_ENI_TARGET=1 (default)" in settings
    wasted = [r["warm_addresses"] for r in data["warm settings"]]
    assert wasted == sorted(wasted)


def test_prefix_delegation() -> None:
    (cap,) = _json([*BASE, "--prefix-delegation"])["capacity"]
    assert cap["pods_per_node"] == 108
    assert cap["addresses_per_node_full"] == 113
    assert cap["max_nodes_full"] == 2
    assert cap["max_pods"] == 216


def test_used_addresses() -> None:
    # 12 in use: 251 - 12 = 239 -> floor(239/30) = 7 full nodes
    (cap,) = _json([*BASE, "--used", "12"])["capacity"]
    assert cap["usable_addresses"] == 239
    assert cap["max_nodes_full"] == 7


def test_rollout_with_nodes() -> None:
    # 30 replicas on 2 nodes: 15 each -> n = ceil(15/9) + 1 = 3 ENIs, 27 IPs = 30 per node;
    # 60 addresses: 30 for pods, 6 ENI primaries, 24 warm.
    data = _json([*BASE, "--replicas", "30", "--nodes", "2"])
    assert set(data) == {"capacity", "warm settings", "rollout"}
    (r,) = data["rollout"]
    assert (r["replicas"], r["nodes"], r["pods_per_node"]) == (30, 2, 15)
    assert r["subnet_addresses"] == 60
    assert r["pod_addresses"] == 30
    assert r["eni_primary_addresses"] == 6
    assert r["warm_addresses"] == 24
    assert r["pods_without_address"] == 0


def test_rollout_without_nodes_uses_the_nodes_that_fit() -> None:
    # no --nodes: spread over the 8 full nodes; 100 replicas -> 13,13,13,13,12,12,12,12; every
    # node 3 ENIs (ceil(12/9) + 1 = 3) and 27 IPs -> 8 * 30 = 240 addresses.
    (r,) = _json([*BASE, "--replicas", "100"])["rollout"]
    assert r["nodes"] == 8
    assert r["pods_per_node"] == 13
    assert r["subnet_addresses"] == 240
    assert r["pods_without_address"] == 0


def test_rollout_table_output() -> None:
    text = _run([*BASE, "--replicas", "30", "--nodes", "2"])
    assert "== rollout ==" in text
    assert _table_value(text.split("== rollout ==")[1], "subnet_addresses") == "60"


def test_warm_target_flags() -> None:
    # WARM_IP_TARGET=1 with MINIMUM_IP_TARGET=27 at 27 pods: T = max(27 + 1, 27) = 28 capped at
    # 27 pod IPs -> 3 ENIs + 27 = 30, the same 8 nodes; idle: T = 27 -> 3 ENIs + 27 = 30 ->
    # 8 idle nodes (instead of 25).
    (cap,) = _json([*BASE, "--warm-ip-target", "1", "--minimum-ip-target", "27"])["capacity"]
    assert cap["addresses_per_node_idle"] == 30
    assert cap["max_nodes_idle"] == 8


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.1/24", "nonsense", "10.0.0.0/29"])
def test_invalid_cidr_exits_2_with_one_line(cidr: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    status = main(["subnet", cidr, "--instance-type", "m5.large"], stream=out)
    assert status == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("podcap: error:")
    assert cidr in lines[0]
    assert "Traceback" not in err
    assert out.getvalue() == ""
