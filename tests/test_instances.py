"""The instance table: the bundled data/instance_limits.yaml and user tables.

Expected facts come from the reference data in data/reference (README.md and
vpc_limits.csv, taken from aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go,
aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go and the Karpenter instance-types page),
read here with the csv module, not through podcap.
"""

from __future__ import annotations

import csv
import importlib.util
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import podcap
from podcap import InstanceTableError, PodcapError, UnknownInstanceTypeError, load_instance_table

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
BUNDLED_YAML = REPO / "data" / "instance_limits.yaml"
BUILD_SCRIPT = REPO / "scripts" / "build_instance_table.py"

needs_reference = pytest.mark.skipif(
    not (REFERENCE / "vpc_limits.csv").is_file(),
    reason=f"reference data not found at {REFERENCE} (data/reference next to the repository)",
)

# The glossary in src/podcap/model/instances.py, in order.
COLUMNS = [
    "enis",
    "ipv4_per_eni",
    "hypervisor",
    "bare_metal",
    "network_cards",
    "default_network_card_index",
    "max_enis_per_card",
    "max_enis_all_cards",
    "trunking_compatible",
    "branch_interfaces",
    "vcpus",
    "memory_mib",
    "arch",
    "category",
    "family",
    "size",
    "generation",
    "cpu_manufacturer",
    "cpu_sustained_clock_speed_mhz",
    "ebs_bandwidth_mbps",
    "network_bandwidth_mbps",
    "encryption_in_transit_supported",
    "local_nvme_gb",
    "gpu_count",
    "gpu_name",
    "gpu_manufacturer",
    "gpu_memory_mib",
    "accelerator_count",
    "accelerator_name",
    "accelerator_manufacturer",
    "nvidia_gpus",
    "amd_gpus",
    "neuron_devices",
    "neuron_cores",
    "habana_gaudis",
    "efa_interfaces",
    "ebs_attachment_limit",
    "ebs_attachment_limit_type",
    "ebs_cards",
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return podcap.instance_types()


@pytest.fixture(scope="module")
def reference_rows() -> dict[str, dict[str, str]]:
    if not (REFERENCE / "vpc_limits.csv").is_file():
        pytest.skip(f"reference data not found at {REFERENCE}")
    with (REFERENCE / "vpc_limits.csv").open(newline="") as fh:
        return {row["instance_type"]: row for row in csv.DictReader(fh)}


# --------------------------------------------------------------------------------------------
# the bundled table
# --------------------------------------------------------------------------------------------


def test_shape_and_index(table: pd.DataFrame) -> None:
    # README: "vpc_limits.csv — 1391 rows (one per instance type)"
    assert len(table) == 1391
    assert table.index.is_unique
    assert table.index.name == "instance_type"
    assert list(table.columns) == COLUMNS
    assert all(isinstance(name, str) and name for name in table.index)


def test_load_without_path_is_bundled(table: pd.DataFrame) -> None:
    loaded = load_instance_table()
    pd.testing.assert_frame_equal(loaded, table)


def test_returns_copies(table: pd.DataFrame) -> None:
    first = podcap.instance_types()
    first.loc["m5.large", "enis"] = 99
    assert podcap.instance_types().loc["m5.large", "enis"] == 3


def test_provenance(table: pd.DataFrame) -> None:
    prov = table.attrs["provenance"]
    assert set(prov) >= {"vpc_limits", "trunking", "sizes"}
    assert "amazon-vpc-cni-k8s" in prov["vpc_limits"]["source"]
    assert "amazon-vpc-resource-controller-k8s" in prov["trunking"]["source"]
    assert "karpenter-provider-aws" in prov["sizes"]["source"]
    # every column is attributed to some source
    attributed = {c for p in prov.values() for c in p["columns"]}
    assert attributed == set(COLUMNS)
    assert str(table.attrs["source"]).endswith("instance_limits.yaml")


def test_schema_version_of_bundled_file() -> None:
    doc = yaml.safe_load(BUNDLED_YAML.read_text())
    assert doc["schema_version"] == 1
    assert podcap.model.instances.SCHEMA_VERSION == 1
    assert doc["count"] == 1391
    assert len(doc["instance_types"]) == 1391


def test_dtypes(table: pd.DataFrame) -> None:
    for col in ("enis", "ipv4_per_eni", "network_cards", "max_enis_all_cards"):
        assert pd.api.types.is_integer_dtype(table[col]), col
    assert table["bare_metal"].dtype == bool
    assert set(table["hypervisor"]) == {"nitro", "xen", "unknown"}
    assert set(table["arch"].dropna()) == {"amd64", "arm64"}


def test_counts_from_reference_readme(table: pd.DataFrame) -> None:
    # data/reference/README.md, "Counts:" paragraph.
    assert table["hypervisor"].value_counts().to_dict() == {
        "nitro": 1150,
        "unknown": 161,
        "xen": 80,
    }
    assert int(table["bare_metal"].sum()) == 160
    assert int((table["network_cards"] > 1).sum()) == 67
    trunk = table["trunking_compatible"]
    assert int((trunk == True).sum()) == 1059  # noqa: E712 - nullable boolean
    assert int((trunk == False).sum()) == 104  # noqa: E712
    assert int(trunk.isna().sum()) == 228
    assert table["enis"].min() == 1
    assert table["enis"].max() == 24
    assert table["ipv4_per_eni"].min() == 2
    assert table["ipv4_per_eni"].max() == 64
    # README: "21 rows are still blank" for vcpus / memory_mib
    assert int(table["vcpus"].isna().sum()) == 21
    assert int(table["memory_mib"].isna().sum()) == 21
    assert (table["default_network_card_index"] == 0).all()


def test_p5_48xlarge(table: pd.DataFrame) -> None:
    # vpc_limits.csv: p5.48xlarge,2,50,nitro,false,32,0,2;2;...(32x),64,true,120,192,2097152
    row = table.loc["p5.48xlarge"]
    assert row["enis"] == 2
    assert row["ipv4_per_eni"] == 50
    assert row["network_cards"] == 32
    assert row["max_enis_all_cards"] == 64
    assert list(row["max_enis_per_card"]) == [2] * 32
    assert row["hypervisor"] == "nitro"
    assert row["branch_interfaces"] == 120
    assert row["vcpus"] == 192
    assert row["memory_mib"] == 2097152


def test_m5_large(table: pd.DataFrame) -> None:
    # vpc_limits.csv: m5.large,3,10,nitro,false,1,0,3,3,true,9,2,8192 ; instance_specs.csv: amd64
    row = table.loc["m5.large"]
    assert row["enis"] == 3
    assert row["ipv4_per_eni"] == 10
    assert row["hypervisor"] == "nitro"
    assert not row["bare_metal"]
    assert row["network_cards"] == 1
    assert list(row["max_enis_per_card"]) == [3]
    assert row["trunking_compatible"] == True  # noqa: E712
    assert row["branch_interfaces"] == 9
    assert row["vcpus"] == 2
    assert row["memory_mib"] == 8192
    assert row["arch"] == "amd64"


def test_bare_metal_hypervisor_unknown(table: pd.DataFrame) -> None:
    # vpc_limits.csv: c5.metal,15,50,unknown,true,... (EC2 reports no hypervisor for metal)
    row = table.loc["c5.metal"]
    assert row["hypervisor"] == "unknown"
    assert row["bare_metal"]
    assert row["enis"] == 15
    # README says metal types have no hypervisor; vpc_limits.csv has exactly one exception,
    # c7g.metal,15,50,nitro,true,... and two non-metal "unknown" rows (cr1.8xlarge, hs1.8xlarge).
    metal = table.loc[table["bare_metal"], "hypervisor"]
    assert set(metal[metal != "unknown"].index) == {"c7g.metal"}
    not_metal = table.loc[~table["bare_metal"], "hypervisor"]
    assert set(not_metal[not_metal == "unknown"].index) == {"cr1.8xlarge", "hs1.8xlarge"}


def test_graviton_arm64(table: pd.DataFrame) -> None:
    # instance_specs.csv: m6g.large,2,8192,arm64 ; a1.medium arm64
    assert table.loc["m6g.large", "arch"] == "arm64"
    assert table.loc["a1.medium", "arch"] == "arm64"
    assert table.loc["c5.large", "arch"] == "amd64"


def test_mac1_metal_sizes_unknown(table: pd.DataFrame) -> None:
    # vpc_limits.csv: mac1.metal,8,30,unknown,true,1,0,8,8,true,6,, (vcpus/memory blank)
    row = table.loc["mac1.metal"]
    assert pd.isna(row["vcpus"])
    assert pd.isna(row["memory_mib"])
    assert row["enis"] == 8
    assert row["branch_interfaces"] == 6


def test_every_row_matches_reference_csv(
    table: pd.DataFrame, reference_rows: dict[str, dict[str, str]]
) -> None:
    assert set(table.index) == set(reference_rows)
    for name, ref in reference_rows.items():
        row = table.loc[name]
        assert row["enis"] == int(ref["enis"]), name
        assert row["ipv4_per_eni"] == int(ref["ipv4_per_eni"]), name
        assert row["hypervisor"] == ref["hypervisor"], name
        assert bool(row["bare_metal"]) == (ref["bare_metal"] == "true"), name
        assert row["network_cards"] == int(ref["network_cards"]), name
        assert row["max_enis_all_cards"] == int(ref["max_enis_all_cards"]), name
        assert list(row["max_enis_per_card"]) == [
            int(x) for x in ref["max_enis_per_card"].split(";")
        ], name
        if ref["branch_interfaces"]:
            assert row["branch_interfaces"] == int(ref["branch_interfaces"]), name
        else:
            assert pd.isna(row["branch_interfaces"]), name
        if ref["trunking_compatible"]:
            assert row["trunking_compatible"] == (ref["trunking_compatible"] == "true"), name
        else:
            assert pd.isna(row["trunking_compatible"]), name
        if ref["vcpus"]:
            assert row["vcpus"] == int(ref["vcpus"]), name


@needs_reference
def test_committed_yaml_is_generated() -> None:
    """data/instance_limits.yaml must equal what scripts/build_instance_table.py generates."""
    spec = importlib.util.spec_from_file_location("build_instance_table", BUILD_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.render(module.build(REFERENCE))
    committed = BUNDLED_YAML.read_text()
    if generated != committed:
        diff = [
            (i, a, b)
            for i, (a, b) in enumerate(
                zip(generated.splitlines(), committed.splitlines(), strict=False), 1
            )
            if a != b
        ][:3]
        pytest.fail(f"data/instance_limits.yaml is stale; first differing lines: {diff}")


# --------------------------------------------------------------------------------------------
# user tables
# --------------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


USER_TABLE = """\
    schema_version: 1
    instance_types:
      my.private:
        enis: 4
        ipv4_per_eni: 15
        hypervisor: nitro
        vcpus: 8
        memory_mib: 32768
        arch: arm64
      m5.large:
        enis: 2
        ipv4_per_eni: 6
        hypervisor: nitro
        vcpus: 2
        memory_mib: 8192
"""


def test_user_table_extends_bundled(tmp_path: Path) -> None:
    t = load_instance_table(_write(tmp_path, USER_TABLE))
    assert len(t) == 1391 + 1  # m5.large replaced, my.private added
    assert t.index.is_unique
    assert "my.private" in t.index
    assert "c5.large" in t.index  # bundled types kept
    assert t.loc["c5.large", "enis"] == 3
    row = t.loc["my.private"]
    assert row["enis"] == 4
    assert row["ipv4_per_eni"] == 15
    assert row["vcpus"] == 8
    assert row["arch"] == "arm64"
    # defaults for omitted fields: one card holding all ENIs
    assert row["network_cards"] == 1
    assert row["max_enis_all_cards"] == 4
    assert list(row["max_enis_per_card"]) == [4]
    assert not row["bare_metal"]
    assert list(t.columns) == COLUMNS


def test_user_table_overrides_bundled(tmp_path: Path) -> None:
    t = load_instance_table(_write(tmp_path, USER_TABLE))
    assert t.loc["m5.large", "enis"] == 2
    assert t.loc["m5.large", "ipv4_per_eni"] == 6
    # max pods follows the override: 2 * (6 - 1) + 2 = 12 instead of the bundled 29
    assert int(podcap.max_pods("m5.large", table=t)) == 12
    assert int(podcap.max_pods("m5.large")) == 29
    # the bundled table itself is untouched
    assert podcap.instance_types().loc["m5.large", "enis"] == 3


def test_user_table_only(tmp_path: Path) -> None:
    t = load_instance_table(_write(tmp_path, USER_TABLE), extend_bundled=False)
    assert sorted(t.index) == ["m5.large", "my.private"]
    assert list(t.columns) == COLUMNS
    with pytest.raises(UnknownInstanceTypeError):
        podcap.max_pods("c5.large", table=t)


def test_max_pods_on_private_type(tmp_path: Path) -> None:
    path = _write(tmp_path, USER_TABLE)
    for extend in (True, False):
        t = load_instance_table(path, extend_bundled=extend)
        # ENI formula of eni-max-pods.txt: enis * (ipv4_per_eni - 1) + 2 = 4 * 14 + 2
        assert int(podcap.max_pods("my.private", table=t)) == 58
    with pytest.raises(UnknownInstanceTypeError):
        podcap.max_pods("my.private")


def test_user_table_accepts_path_string_and_null_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        schema_version: 1
        instance_types:
          x.small: {enis: 1, ipv4_per_eni: 2, vcpus: null, trunking_compatible: null}
        """,
    )
    t = load_instance_table(str(path), extend_bundled=False)
    assert t.loc["x.small", "enis"] == 1
    assert pd.isna(t.loc["x.small", "vcpus"])
    assert t.loc["x.small", "hypervisor"] == "unknown"


# --------------------------------------------------------------------------------------------
# user table errors
# --------------------------------------------------------------------------------------------

GOOD_ENTRY = "enis: 3, ipv4_per_eni: 10"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("{ipv4_per_eni: 10}", "enis"),
        ("{enis: 3}", "ipv4_per_eni"),
        ("{enis: -1, ipv4_per_eni: 10}", "enis"),
        ("{enis: 0, ipv4_per_eni: 10}", "enis"),
        ("{enis: 3, ipv4_per_eni: 10, hypervisor: kvm}", "hypervisor"),
        ("{enis: 3, ipv4_per_eni: 10, color: blue}", "color"),
        ("{enis: '3', ipv4_per_eni: 10}", "enis"),
        ("{enis: 3.5, ipv4_per_eni: 10}", "enis"),
        ("{enis: true, ipv4_per_eni: 10}", "enis"),
        ("{enis: null, ipv4_per_eni: 10}", "enis"),
        ("{enis: 3, ipv4_per_eni: 10, arch: x86}", "arch"),
        ("{enis: 3, ipv4_per_eni: 10, bare_metal: 1}", "bare_metal"),
        ("{enis: 3, ipv4_per_eni: 10, max_enis_per_card: []}", "max_enis_per_card"),
        ("{enis: 3, ipv4_per_eni: 10, branch_interfaces: -1}", "branch_interfaces"),
    ],
)
def test_bad_entry_names_file_entry_field(tmp_path: Path, entry: str, field: str) -> None:
    path = _write(
        tmp_path,
        f"""\
        schema_version: 1
        instance_types:
          ok.large: {{{GOOD_ENTRY}}}
          bad.large: {entry}
        """,
    )
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    message = str(info.value)
    assert str(path) in message
    assert "bad.large" in message
    assert field in message


@pytest.mark.parametrize("version", ["2", "0", "'1'", "null"])
def test_wrong_schema_version(tmp_path: Path, version: str) -> None:
    path = _write(
        tmp_path,
        f"""\
        schema_version: {version}
        instance_types:
          a.b: {{{GOOD_ENTRY}}}
        """,
    )
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)
    assert "schema_version" in str(info.value)


def test_missing_schema_version(tmp_path: Path) -> None:
    path = _write(tmp_path, f"instance_types:\n  a.b: {{{GOOD_ENTRY}}}\n")
    with pytest.raises(InstanceTableError, match="schema_version"):
        load_instance_table(path)


def test_not_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "schema_version: 1\ninstance_types: {a.b: [unclosed\n")
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", ""])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("types", ["{}", "null", "[]", "[a.b]"])
def test_empty_or_bad_instance_types(tmp_path: Path, types: str) -> None:
    path = _write(tmp_path, f"schema_version: 1\ninstance_types: {types}\n")
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)
    assert "instance_types" in str(info.value)


def test_entry_not_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "schema_version: 1\ninstance_types:\n  a.b: 3\n")
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert str(path) in str(info.value)
    assert "a.b" in str(info.value)


def test_error_class() -> None:
    assert issubclass(InstanceTableError, ValueError)
    assert issubclass(InstanceTableError, PodcapError)


def test_schema_version_true_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, f"schema_version: true\ninstance_types:\n  a.b: {{{GOOD_ENTRY}}}\n")
    with pytest.raises(InstanceTableError, match="schema_version"):
        load_instance_table(path)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("network_cards: 2, max_enis_per_card: [3]", "max_enis_per_card"),
        ("network_cards: 1, default_network_card_index: 5", "default_network_card_index"),
        (
            "network_cards: 2, max_enis_per_card: [3, 3], max_enis_all_cards: 4",
            "max_enis_all_cards",
        ),
    ],
)
def test_inconsistent_network_cards_rejected(tmp_path: Path, extra: str, field: str) -> None:
    # instances.py glossary: max_enis_per_card is "a list of integers, one per network card";
    # reference README: max_enis_all_cards is the "sum of max_enis_per_card".
    path = _write(
        tmp_path, f"schema_version: 1\ninstance_types:\n  bad.large: {{{GOOD_ENTRY}, {extra}}}\n"
    )
    with pytest.raises(InstanceTableError) as info:
        load_instance_table(path)
    assert "bad.large" in str(info.value)
    assert field in str(info.value)
