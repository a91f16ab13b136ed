"""Scale smoke test: 100 nodes and 10,000 resource definitions (20,000 replicas) still answer."""

from __future__ import annotations

import pytest
from core_helpers import CoreApi

from aiolinstor.emulator._spec import ClusterSpec
from aiolinstor.emulator._state import EmulatorState

NODES = 100
DEFINITIONS = 10_000


@pytest.mark.parametrize("core_spec", [ClusterSpec.default(NODES, pool_size="10 TiB")])
async def test_big_cluster_lists_and_places(core_api: CoreApi, core_state: EmulatorState) -> None:
    for i in range(DEFINITIONS):
        nodes = [f"node-{i % NODES + 1}", f"node-{(i + 37) % NODES + 1}"]
        core_state.add_resource(f"rsc-{i:05d}", "1 GiB", nodes)
    assert core_state.transitions == set()  # instant replicas leave nothing for the lazy clock

    status, view = await core_api.get("/v1/view/resources")
    assert status == 200 and len(view) == 2 * DEFINITIONS
    assert all(v["volumes"][0]["state"]["disk_state"] == "UpToDate" for v in view[:50])

    status, page = await core_api.get("/v1/view/resources?resources=rsc-04242")
    assert [r["node_name"] for r in page] == ["node-43", "node-80"]

    await core_api.post("/v1/resource-definitions", {"resource_definition": {"name": "fresh"}})
    await core_api.post(
        "/v1/resource-definitions/fresh/volume-definitions",
        {"volume_definition": {"size_kib": 1024}},
    )
    status, answer = await core_api.post(
        "/v1/resource-definitions/fresh/autoplace",
        {"select_filter": {"place_count": 3, "not_place_with_rsc_regex": "rsc-0000[0-9]"}},
    )
    assert status == 201, answer
    placed = {r.node.name for r in core_state.resource_definitions["FRESH"].resources.values()}
    assert len(placed) == 3
    used_by_first_ten = {f"node-{i % NODES + 1}" for i in range(10)} | {
        f"node-{(i + 37) % NODES + 1}" for i in range(10)
    }
    assert not set(placed) & used_by_first_ten
