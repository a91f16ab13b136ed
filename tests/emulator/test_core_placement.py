"""Autoplace through the REST API: answers, idempotency, filters, group defaults, failures."""

from __future__ import annotations

import pytest
from core_helpers import CoreApi, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec
from aiolinstor.emulator._state import EmulatorState

GIB = 1024 * 1024


def racked_cluster() -> ClusterSpec:
    """Five nodes in three racks; node-5 has a second, bigger pool 'fast' (ZFS_THIN)."""
    racks = {"node-1": "r1", "node-2": "r1", "node-3": "r2", "node-4": "r3", "node-5": "r3"}
    nodes = [NodeSpec(name, props={"Aux/rack": rack}) for name, rack in racks.items()]
    nodes[4].pools.append(PoolSpec("fast", "ZFS_THIN", 200 * GIB))
    return ClusterSpec(nodes)


def definition(state: EmulatorState, name: str = "r1", size_kib: int = GIB) -> None:
    state.create_resource_definition({"resource_definition": {"name": name}})
    state.create_volume_definition(name, {"volume_definition": {"size_kib": size_kib}})


def placed(state: EmulatorState, name: str = "r1") -> dict[str, str]:
    resources = state.dump()["resource_definitions"][name]["resources"]
    return {node: r["volumes"][0]["storage_pool"] for node, r in resources.items()}


async def test_autoplace_answer_and_idempotency(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    definition(core_state)
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace", {"select_filter": {"place_count": 2}}
    )
    assert status == 201
    summary = next(e for e in answer if "successfully autoplaced" in e["message"])
    assert summary["ret_code"] == 20185089
    assert summary["message"] == "Resource 'r1' successfully autoplaced on 2 nodes"
    assert (
        summary["details"]
        == "Used nodes (storage pool name): 'node-1 (DfltStorPool)', 'node-2 (DfltStorPool)'"
    )
    assert summary["obj_refs"]["Node/1"] == "node-2"
    assert sum("ready" in e["message"] for e in answer) == 2
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace", {"select_filter": {"place_count": 2}}
    )
    assert (
        status == 201 and answer[0]["ret_code"] == -9223372036834589714
    )  # WARN_RSC_ALREADY_DEPLOYED
    status, answer = await core_api.post("/v1/resource-definitions/r1/autoplace", {})
    assert status == 201 and has(answer, rc.WARN_RSC_ALREADY_DEPLOYED)  # DfltRscGrp: place_count 2
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace", {"select_filter": {"additional_place_count": 1}}
    )
    assert status == 201 and sorted(placed(core_state)) == ["node-1", "node-2", "node-3"]
    status, answer = await core_api.post("/v1/resource-definitions/nope/autoplace", {})
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_RSC_DFN)


async def test_not_enough_nodes(core_api: CoreApi, core_state: EmulatorState) -> None:
    definition(core_state)
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace",
        {"select_filter": {"place_count": 4, "storage_pool": "DfltStorPool"}},
    )
    assert status == 500 and answer[0]["ret_code"] == -4611686018407201820
    assert answer[0]["message"] == "Not enough available nodes"
    assert "Replica count: 4" in answer[0]["details"] and "DfltStorPool" in answer[0]["details"]
    assert placed(core_state) == {}
    core_state.set_node_online("node-3", False)
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace", {"select_filter": {"place_count": 3}}
    )
    assert status == 500 and has(answer, rc.FAIL_NOT_ENOUGH_NODES)


async def test_capacity_picks_the_pool_with_room(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    definition(core_state, "big", 150 * GIB)
    definition(core_state, "huge", 2500 * GIB)
    status, answer = await core_api.post(
        "/v1/resource-definitions/big/autoplace", {"select_filter": {"place_count": 1}}
    )
    assert status == 201  # thin pools are oversubscribed (x20)
    status, answer = await core_api.post(
        "/v1/resource-definitions/huge/autoplace", {"select_filter": {"place_count": 1}}
    )
    assert status == 500 and has(answer, rc.FAIL_NOT_ENOUGH_NODES)


@pytest.mark.parametrize("core_spec", [racked_cluster()])
async def test_filters(core_api: CoreApi, core_state: EmulatorState) -> None:
    definition(core_state, "a1")
    definition(core_state, "a2")
    definition(core_state, "a3")
    definition(core_state, "a4")
    definition(core_state, "a5")
    url = "/v1/resource-definitions/{}/autoplace"
    await core_api.post(
        url.format("a1"), {"select_filter": {"place_count": 1, "storage_pool": "fast"}}
    )
    assert placed(core_state, "a1") == {"node-5": "fast"}
    await core_api.post(
        url.format("a2"),
        {"select_filter": {"place_count": 3, "replicas_on_different": ["Aux/rack"]}},
    )
    racks = {core_state.nodes[n.upper()].props["Aux/rack"] for n in placed(core_state, "a2")}
    assert racks == {"r1", "r2", "r3"}
    await core_api.post(
        url.format("a3"), {"select_filter": {"place_count": 2, "replicas_on_same": ["Aux/rack=r3"]}}
    )
    assert sorted(placed(core_state, "a3")) == ["node-4", "node-5"]
    await core_api.post(
        url.format("a4"),
        {"select_filter": {"place_count": 2, "not_place_with_rsc": ["a2"], "node_name_list": []}},
    )
    assert not set(placed(core_state, "a4")) & set(placed(core_state, "a2"))
    status, _ = await core_api.post(
        url.format("a5"),
        {"select_filter": {"place_count": 2, "not_place_with_rsc_regex": "a[0-9]"}},
    )
    assert status == 500  # every node already holds one of a1..a4
    status, _ = await core_api.post(
        url.format("a5"),
        {"select_filter": {"place_count": 2, "node_name_list": ["node-1", "NODE-3"]}},
    )
    assert status == 201 and sorted(placed(core_state, "a5")) == ["node-1", "node-3"]


async def test_diskless_on_remaining_and_layer_list(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    definition(core_state)
    body = {
        "select_filter": {"place_count": 1},
        "diskless_on_remaining": True,
        "layer_list": ["drbd", "storage"],
    }
    status, answer = await core_api.post("/v1/resource-definitions/r1/autoplace", body)
    assert status == 201, answer
    resources = core_state.dump()["resource_definitions"]["r1"]["resources"]
    assert [r["diskless"] for r in resources.values()] == [False, True, True]
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace",
        {"select_filter": {"place_count": 1}, "layer_list": ["CACHE_X"]},
    )
    assert status == 201 and has(answer, rc.WARN_RSC_ALREADY_DEPLOYED)


async def test_autoplace_turns_a_diskless_replica_diskful(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    definition(core_state)
    await core_api.post(
        "/v1/resource-definitions/r1/resources/node-1", {"resource": {"flags": ["DISKLESS"]}}
    )
    await core_api.post("/v1/resource-definitions/r1/resources/node-2", {})
    status, answer = await core_api.post(
        "/v1/resource-definitions/r1/autoplace",
        {"select_filter": {"place_count": 2, "node_name_list": ["node-1"]}},
    )
    assert status == 201, first_error(answer) if answer and answer[0]["ret_code"] < 0 else answer
    assert (
        core_state.dump()["resource_definitions"]["r1"]["resources"]["node-1"]["diskless"] is False
    )


async def test_group_filter_applies_and_request_wins(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    await core_api.post(
        "/v1/resource-groups", {"name": "three", "select_filter": {"place_count": 3}}
    )
    core_state.create_resource_definition(
        {"resource_definition": {"name": "g1", "resource_group_name": "three"}}
    )
    core_state.create_volume_definition("g1", {"volume_definition": {"size_kib": GIB}})
    core_state.create_resource_definition(
        {"resource_definition": {"name": "g2", "resource_group_name": "three"}}
    )
    core_state.create_volume_definition("g2", {"volume_definition": {"size_kib": GIB}})
    await core_api.post("/v1/resource-definitions/g1/autoplace", {})
    assert len(placed(core_state, "g1")) == 3
    await core_api.post(
        "/v1/resource-definitions/g2/autoplace", {"select_filter": {"place_count": 1}}
    )
    assert len(placed(core_state, "g2")) == 1
