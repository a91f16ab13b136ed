"""Unit tests of Placement (validation, rendering) and the pre-flight feasibility check."""

from __future__ import annotations

from typing import Any

import pytest

from aiolinstor._errors import InputError, InvalidNameError, NotEnoughNodesError
from aiolinstor._models import NodeInfo, ResourceInfo, StoragePoolInfo
from aiolinstor._placement import Placement, PlacementImpossibleError, check_feasible


def test_defaults_render_empty() -> None:
    placement = Placement()
    assert placement.to_select_filter() == {}
    assert placement.autoplace_arguments() == {
        "select_filter": {},
        "diskless_on_remaining": None,
        "layer_list": None,
    }


def test_full_rendering_puts_top_level_fields_on_top() -> None:
    placement = Placement(redundancy=3)
    placement.storage_pool = "pool1"
    placement.diskless_storage_pool = ["dl1"]
    placement.diskless_on_remaining = True
    placement.replicas_on_same = "Aux/site"
    placement.replicas_on_different = ["Aux/rack", "Aux/zone=a"]
    placement.do_not_place_with = ["db0"]
    placement.do_not_place_with_regex = "^tmp-.*"
    placement.layer_list = ["drbd", "storage"]
    placement.provider_list = ["lvm_thin"]
    placement.node_names = ["alpha", "beta", "gamma"]
    expected_filter = {
        "place_count": 3,
        "node_name_list": ["alpha", "beta", "gamma"],
        "storage_pool_list": ["pool1"],
        "storage_pool_diskless_list": ["dl1"],
        "not_place_with_rsc": ["db0"],
        "not_place_with_rsc_regex": "^tmp-.*",
        "replicas_on_same": ["Aux/site"],
        "replicas_on_different": ["Aux/rack", "Aux/zone=a"],
        "provider_list": ["LVM_THIN"],
    }
    assert placement.autoplace_arguments() == {
        "select_filter": expected_filter,
        "diskless_on_remaining": True,
        "layer_list": ["DRBD", "STORAGE"],
    }
    assert placement.to_select_filter() == {
        **expected_filter,
        "diskless_on_remaining": True,
        "layer_stack": ["DRBD", "STORAGE"],
    }


@pytest.mark.parametrize(
    ("setting", "value", "error", "named"),
    [
        ("redundancy", 0, InputError, "0"),
        ("redundancy", -1, InputError, "-1"),
        ("redundancy", 2.5, InputError, "2.5"),
        ("redundancy", True, InputError, "True"),
        ("redundancy", "2", InputError, "'2'"),
        ("storage_pool", "a b", InvalidNameError, "'a b'"),
        ("storage_pool", 7, InputError, "7"),
        ("node_names", ["ok", "-bad"], InvalidNameError, "'-bad'"),
        ("do_not_place_with", ["all"], InvalidNameError, "'all'"),
        ("do_not_place_with_regex", "(", InputError, "'('"),
        ("layer_list", ["DRBD", "RAID"], InputError, "'RAID'"),
        ("provider_list", ["lvm thin"], InputError, "'LVM THIN'"),
        ("replicas_on_same", ["Aux/site x"], InputError, "'Aux/site x'"),
        ("diskless_on_remaining", "yes", InputError, "'yes'"),
    ],
)
def test_bad_values_are_refused_on_assignment(
    setting: str, value: Any, error: type[Exception], named: str
) -> None:
    placement = Placement()
    with pytest.raises(error) as caught:
        setattr(placement, setting, value)
    assert named in str(caught.value)
    assert placement == Placement()  # unchanged


def test_unknown_setting_is_an_attribute_error() -> None:
    placement = Placement()
    with pytest.raises(AttributeError, match="redundency"):
        placement.redundency = 2  # type: ignore[attr-defined]


def node(name: str, online: bool = True, flags: tuple[str, ...] = ()) -> NodeInfo:
    return NodeInfo.from_json(
        {
            "name": name,
            "type": "SATELLITE",
            "connection_status": "ONLINE" if online else "OFFLINE",
            "flags": list(flags),
        }
    )


def pool(node_name: str, name: str = "DfltStorPool", **extra: Any) -> StoragePoolInfo:
    data = {
        "storage_pool_name": name,
        "node_name": node_name,
        "provider_kind": extra.pop("kind", "LVM_THIN"),
        "free_capacity": extra.pop("free", 100 * 2**20),
        "total_capacity": 100 * 2**20,
    }
    return StoragePoolInfo.from_json(data)


def diskless_pool(node_name: str) -> StoragePoolInfo:
    return pool(node_name, "DfltDisklessStorPool", kind="DISKLESS", free=2**63 - 1)


CLUSTER_NODES = [node("n1"), node("n2"), node("n3", online=False)]
CLUSTER_POOLS = [pool("n1"), pool("n2"), pool("n3"), *(diskless_pool(n) for n in ("n1", "n2"))]


def test_feasible_when_enough_online_nodes() -> None:
    check_feasible("r", Placement(redundancy=2), CLUSTER_NODES, CLUSTER_POOLS, [], 1024)


def test_redundancy_beyond_usable_nodes_is_refused() -> None:
    with pytest.raises(PlacementImpossibleError) as caught:
        check_feasible("r", Placement(redundancy=3), CLUSTER_NODES, CLUSTER_POOLS, [], 1024)
    error = caught.value
    assert isinstance(error, NotEnoughNodesError) and isinstance(error, InputError)
    assert "redundancy 3" in str(error) and "n1, n2" in str(error)
    assert "2 of 3 nodes online" in str(error)


def test_pool_filters_and_fat_pool_space_count() -> None:
    pools = [pool("n1", kind="LVM", free=10), pool("n2", "other")]
    placement = Placement(redundancy=1)
    placement.storage_pool = "DfltStorPool"  # only on n1, a fat pool without the space
    with pytest.raises(PlacementImpossibleError):
        check_feasible("r", placement, CLUSTER_NODES, pools, [], 1024)
    check_feasible("r", placement, CLUSTER_NODES, pools, [], 8)
    placement.storage_pool = "other"
    check_feasible("r", placement, CLUSTER_NODES, pools, [], 1024)
    placement.provider_list = ["ZFS"]
    with pytest.raises(PlacementImpossibleError):
        check_feasible("r", placement, CLUSTER_NODES, pools, [], 1024)


def test_existing_replicas_count_towards_redundancy() -> None:
    existing = [ResourceInfo.from_json({"name": "r", "node_name": "n3"})]  # offline, diskful
    check_feasible("r", Placement(redundancy=3), CLUSTER_NODES, CLUSTER_POOLS, existing, 1024)


def test_unknown_node_name_is_refused() -> None:
    placement = Placement()
    placement.node_names = ["n1", "nope"]
    with pytest.raises(InputError, match="'nope'"):
        check_feasible("r", placement, CLUSTER_NODES, CLUSTER_POOLS, [], 1024)
