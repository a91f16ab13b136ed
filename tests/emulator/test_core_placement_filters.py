"""Autoplace filters over REST not covered elsewhere (provider_list, layer_list), spawn with the
resource group's filter, and pool capacity through place, grow, snapshot and delete."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from core_helpers import CoreApi, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._model import drbd_metadata_kib
from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec
from aiolinstor.emulator._state import EmulatorState

GIB = 1024 * 1024
RD = "/v1/resource-definitions"
RGS = "/v1/resource-groups"


def mixed_cluster() -> ClusterSpec:
    """node-1..4 in racks r1, r1, r2, r3; node-4 has a ZFS_THIN pool 'fast' as well; only
    node-2 and node-3 support LUKS."""
    plain, with_luks = ["DRBD", "STORAGE"], ["DRBD", "LUKS", "STORAGE"]
    nodes = [
        NodeSpec("node-1", props={"Aux/rack": "r1"}, layers=plain),
        NodeSpec("node-2", props={"Aux/rack": "r1"}, layers=with_luks),
        NodeSpec("node-3", props={"Aux/rack": "r2"}, layers=with_luks),
        NodeSpec("node-4", props={"Aux/rack": "r3"}, layers=plain),
    ]
    nodes[3].pools.append(PoolSpec("fast", "ZFS_THIN", 500 * GIB))
    return ClusterSpec(nodes)


def definition(state: EmulatorState, name: str, size_kib: int = GIB) -> None:
    state.create_resource_definition({"resource_definition": {"name": name}})
    state.create_volume_definition(name, {"volume_definition": {"size_kib": size_kib}})


def placed(state: EmulatorState, name: str) -> dict[str, str]:
    resources = state.dump()["resource_definitions"][name]["resources"]
    return {node: r["volumes"][0]["storage_pool"] for node, r in resources.items()}


@pytest.mark.parametrize("core_spec", [mixed_cluster()])
async def test_provider_list_and_layer_list(core_api: CoreApi, core_state: EmulatorState) -> None:
    definition(core_state, "zfs")
    status, answer = await core_api.post(
        f"{RD}/zfs/autoplace", {"select_filter": {"place_count": 1, "provider_list": ["ZFS_THIN"]}}
    )
    assert status == 201, answer
    assert placed(core_state, "zfs") == {"node-4": "fast"}

    definition(core_state, "sealed")
    body = {"select_filter": {"place_count": 2}, "layer_list": ["DRBD", "LUKS", "STORAGE"]}
    status, answer = await core_api.post(f"{RD}/sealed/autoplace", body)
    assert status == 201, answer
    assert sorted(placed(core_state, "sealed")) == ["node-2", "node-3"]
    definition(core_state, "sealed3")
    status, answer = await core_api.post(
        f"{RD}/sealed3/autoplace", {**body, "select_filter": {"place_count": 3}}
    )
    assert status == 500 and has(answer, rc.FAIL_NOT_ENOUGH_NODES)


@pytest.mark.parametrize("core_spec", [mixed_cluster()])
async def test_spawn_obeys_the_group_filter(core_api: CoreApi, core_state: EmulatorState) -> None:
    group_filter = {
        "place_count": 3,
        "storage_pool": "DfltStorPool",
        "replicas_on_different": ["Aux/rack"],
    }
    status, _ = await core_api.post(RGS, {"name": "spread", "select_filter": group_filter})
    assert status == 201
    spawn = {"resource_definition_name": "s1", "volume_sizes": [GIB]}
    status, answer = await core_api.post(f"{RGS}/spread/spawn", spawn)
    assert status == 201, answer
    nodes = placed(core_state, "s1")
    racks = {core_state.nodes[n.upper()].props["Aux/rack"] for n in nodes}
    assert racks == {"r1", "r2", "r3"} and set(nodes.values()) == {"DfltStorPool"}

    # the request's values win, the group's fill in the rest (replicas_on_different too)
    two = {**spawn, "resource_definition_name": "s2", "select_filter": {"place_count": 2}}
    status, answer = await core_api.post(f"{RGS}/spread/spawn", two)
    assert status == 201, answer
    racks = [core_state.nodes[n.upper()].props["Aux/rack"] for n in placed(core_state, "s2")]
    assert len(racks) == len(set(racks)) == 2
    four = {**spawn, "resource_definition_name": "s4", "select_filter": {"place_count": 4}}
    status, answer = await core_api.post(f"{RGS}/spread/spawn", four)
    assert status == 500 and has(answer, rc.FAIL_NOT_ENOUGH_NODES)  # only three racks


async def synced(api: CoreApi, rsc: str) -> None:
    """Poll sync-status (fast satellites: well under a second) until every replica is UpToDate."""
    for _ in range(500):
        _, status = await api.get(f"{RD}/{rsc}/sync-status")
        if status["synced_on_all"]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{rsc} did not sync")


def pool_of(state: EmulatorState, node: str) -> dict[str, Any]:
    found: dict[str, Any] = state.dump()["nodes"][node]["pools"]["DfltStorPool"]
    return found


@pytest.mark.parametrize("core_spec", [ClusterSpec.default(2, provider_kind="ZFS")])
async def test_capacity_follows_place_grow_snapshot_and_delete(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    empty = pool_of(core_state, "node-1")
    assert empty["free_kib"] == empty["total_kib"] == 100 * GIB

    def gross(size_kib: int) -> int:
        """What a thick pool gives a volume: net size + DRBD metadata, in 4 MiB extents."""
        return -(-(size_kib + drbd_metadata_kib(size_kib, 7)) // 4096) * 4096

    definition(core_state, "r1", GIB)
    status, _ = await core_api.post(f"{RD}/r1/autoplace", {"select_filter": {"place_count": 2}})
    assert status == 201
    placed_pool = pool_of(core_state, "node-1")
    assert placed_pool["allocated_kib"] == gross(GIB) and placed_pool["resources"] == ["r1"]
    assert placed_pool["free_kib"] == empty["free_kib"] - gross(GIB)

    await synced(core_api, "r1")  # thick pools: the second replica does the initial resync
    status, _ = await core_api.put(f"{RD}/r1/volume-definitions/0", {"size_kib": 2 * GIB})
    assert status == 200
    grown = pool_of(core_state, "node-1")
    assert grown["allocated_kib"] == gross(2 * GIB)

    status, _ = await core_api.post(f"{RD}/r1/snapshots", {"name": "s1"})
    assert status == 201
    snapped = pool_of(core_state, "node-1")
    assert snapped["reserved_kib"] == grown["reserved_kib"] + 2 * GIB
    assert snapped["free_kib"] == grown["free_kib"] - snapped["snapshot_kib"] > 0

    status, _ = await core_api.delete(f"{RD}/r1/snapshots/s1")
    assert status == 200 and pool_of(core_state, "node-1") == grown
    status, _ = await core_api.delete(f"{RD}/r1")
    assert status == 200 and pool_of(core_state, "node-1") == empty
