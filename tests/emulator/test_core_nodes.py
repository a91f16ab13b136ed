"""Controller, node, storage-pool and storage-pool-definition routes of the emulator core."""

from __future__ import annotations

from core_helpers import CoreApi, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._state import EmulatorState


async def test_version_and_health(core_api: CoreApi) -> None:
    status, body = await core_api.get("/v1/controller/version")
    assert status == 200
    assert body["version"].startswith("1.29.") and body["rest_api_version"].startswith("1.29.")
    assert set(body) == {"version", "git_hash", "build_time", "rest_api_version"}
    status, _ = await core_api.get("/health")
    assert status == 200


async def test_controller_properties_set_list_delete(core_api: CoreApi) -> None:
    status, body = await core_api.post(
        "/v1/controller/properties", {"override_props": {"Aux/a": "1", "Flat": "2"}}
    )
    assert status == 201
    assert body[0]["ret_code"] == 17825793  # CREATED | MASK_CRT | MASK_CTRL_CONF, as captured
    applied = [e for e in body if e["message"].endswith("Controller properties applied")]
    assert len(applied) == 3 and all(e["ret_code"] == 4611686018461990912 for e in applied)
    status, props = await core_api.get("/v1/controller/properties")
    assert props == {"Aux/a": "1", "Flat": "2"}
    status, body = await core_api.delete("/v1/controller/properties/Flat")
    assert status == 200 and has(body, rc.DELETED)
    status, body = await core_api.delete("/v1/controller/properties/Flat")
    assert status == 200 and has(body, rc.WARN_NOT_FOUND)
    status, body = await core_api.post(
        "/v1/controller/properties", {"override_props": {"Aux/x": 1}}
    )
    assert status == 500 and has(body, rc.API_CALL_PARSE_ERROR)


async def test_node_list_filters_and_single_get(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    status, nodes = await core_api.get("/v1/nodes")
    assert status == 200
    assert [n["name"] for n in nodes] == ["node-1", "node-2", "node-3"]
    assert all(n["type"] == "SATELLITE" and n["connection_status"] == "ONLINE" for n in nodes)
    assert "flags" not in nodes[0]  # NON_EMPTY
    _, some = await core_api.get("/v1/nodes?nodes=NODE-1&nodes=node-3")
    assert [n["name"] for n in some] == ["node-1", "node-3"]
    _, page = await core_api.get("/v1/nodes?offset=1&limit=1")
    assert [n["name"] for n in page] == ["node-2"]
    _, unpaged = await core_api.get("/v1/nodes?offset=1")
    assert len(unpaged) == 3  # offset alone is ignored, like the controller
    status, node = await core_api.get("/v1/nodes/Node-2")
    assert status == 200 and node["name"] == "node-2"
    status, body = await core_api.get("/v1/nodes/nope")
    assert status == 404 and body[0]["ret_code"] == -4611686018427387604
    core_state.set_node_online("node-2", False)
    _, node = await core_api.get("/v1/nodes/node-2")
    assert node["connection_status"] == "OFFLINE"


async def test_node_create_modify_delete(core_api: CoreApi) -> None:
    node = {
        "name": "Alpha",
        "type": "Satellite",
        "net_interfaces": [{"name": "default", "address": "10.0.0.2", "satellite_port": 3366}],
    }
    status, body = await core_api.post("/v1/nodes", node)
    assert status == 201 and body[0]["ret_code"] == 20709377
    assert body[0]["obj_refs"]["Node"] == "Alpha"
    status, body = await core_api.post("/v1/nodes", {**node, "name": "alpha"})
    assert status == 500 and has(body, rc.FAIL_EXISTS_NODE)
    status, body = await core_api.post("/v1/nodes", {"name": "-bad-"})
    assert status == 500 and has(body, rc.FAIL_INVLD_NODE_NAME)
    bad_ip = {"name": "beta", "net_interfaces": [{"name": "default", "address": "asd"}]}
    status, body = await core_api.post("/v1/nodes", bad_ip)
    assert status == 500 and has(body, rc.FAIL_INVLD_NET_ADDR) and "asd" in body[0]["details"]
    status, body = await core_api.post("/v1/nodes", {"name": "gamma", "colour": "red"})
    assert status == 500 and has(body, rc.API_CALL_PARSE_ERROR) and "colour" in body[0]["details"]
    _, pools = await core_api.get("/v1/nodes/alpha/storage-pools")
    assert [p["storage_pool_name"] for p in pools] == ["DfltDisklessStorPool"]

    status, body = await core_api.put("/v1/nodes/ALPHA", {"override_props": {"Aux/rack": "r1"}})
    assert status == 200 and has(body, rc.MODIFIED)
    _, filtered = await core_api.get("/v1/nodes?props=Aux/rack=r1")
    assert [n["name"] for n in filtered] == ["Alpha"]
    _, filtered = await core_api.get("/v1/nodes?props=Aux/rack=r2")
    assert filtered == []
    status, body = await core_api.put("/v1/nodes/alpha", {"delete_namespaces": ["Aux"]})
    _, node = await core_api.get("/v1/nodes/alpha")
    assert "Aux/rack" not in node["props"]

    status, body = await core_api.delete("/v1/nodes/alpha")
    assert status == 200 and body[0]["ret_code"] == 54263810
    status, body = await core_api.delete("/v1/nodes/alpha")
    assert status == 200 and has(body, rc.WARN_NOT_FOUND)
    status, body = await core_api.delete("/v1/nodes/alpha/lost")
    assert status == 200 and has(body, rc.WARN_NOT_FOUND)  # the lost-node API warns too


async def test_node_with_resources_is_deleted_after_them(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    status, body = await core_api.delete("/v1/nodes/node-2")
    assert status == 200
    assert body[-1]["message"] == "Node 'node-2' deleted."
    assert "node-2" not in core_state.dump()["nodes"]
    assert list(core_state.dump()["resource_definitions"]["r1"]["resources"]) == ["node-1"]


async def test_lost_node_drops_its_resources_at_once(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-3"])
    core_state.set_node_online("node-3", False)
    status, body = await core_api.delete("/v1/nodes/node-3/lost")
    assert status == 200 and has(body, rc.DELETED)
    assert list(core_state.dump()["resource_definitions"]["r1"]["resources"]) == ["node-1"]


async def test_storage_pools_view_create_modify_delete(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    status, pools = await core_api.get("/v1/view/storage-pools?storage_pools=dfltstorpool")
    assert status == 200 and len(pools) == 3
    pool = pools[0]
    assert pool["provider_kind"] == "LVM_THIN" and pool["static_traits"]["Provisioning"] == "Thin"
    assert pool["free_capacity"] == pool["total_capacity"] == 100 * 1024 * 1024
    assert pool["free_space_mgr_name"] == "node-1:DfltStorPool"
    _, diskless = await core_api.get(
        "/v1/view/storage-pools?nodes=node-1&storage_pools=DfltDisklessStorPool"
    )
    assert diskless[0]["free_capacity"] == 9223372036854775807

    body = {
        "storage_pool_name": "fast",
        "provider_kind": "ZFS",
        "props": {"StorDriver/StorPoolName": "tank"},
    }
    status, answer = await core_api.post("/v1/nodes/node-1/storage-pools", body)
    assert status == 201 and has(answer, rc.CREATED)
    status, answer = await core_api.post("/v1/nodes/node-1/storage-pools", body)
    assert status == 500 and has(answer, rc.FAIL_EXISTS_STOR_POOL)
    status, answer = await core_api.post(
        "/v1/nodes/node-1/storage-pools", {"storage_pool_name": "xyz", "provider_kind": "TAPE"}
    )
    assert status == 500 and has(answer, rc.FAIL_INVLD_STOR_DRIVER)
    status, answer = await core_api.post("/v1/nodes/nope/storage-pools", body)
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_NODE)
    status, fast = await core_api.get("/v1/nodes/node-1/storage-pools/FAST")
    assert status == 200 and fast["static_traits"] == {
        "Provisioning": "Fat",
        "SupportsSnapshots": "true",
    }
    status, answer = await core_api.get("/v1/nodes/node-1/storage-pools/slow")
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_STOR_POOL)
    status, answer = await core_api.put(
        "/v1/nodes/node-1/storage-pools/fast", {"override_props": {"Aux/x": "y"}}
    )
    assert status == 200
    _, fast = await core_api.get("/v1/nodes/node-1/storage-pools/fast")
    assert fast["props"]["Aux/x"] == "y"

    core_state.add_resource("r1", "1 GiB", ["node-1"], storage_pool="fast")
    status, answer = await core_api.delete("/v1/nodes/node-1/storage-pools/fast")
    assert status == 500 and has(answer, rc.FAIL_IN_USE)
    await core_api.delete("/v1/resource-definitions/r1")
    status, answer = await core_api.delete("/v1/nodes/node-1/storage-pools/fast")
    assert status == 200 and has(answer, rc.DELETED)
    status, answer = await core_api.delete("/v1/nodes/node-1/storage-pools/fast")
    assert status == 200 and has(answer, rc.WARN_NOT_FOUND)


async def test_offline_node_pools_report_no_capacity(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.set_node_online("node-3", False)
    _, pools = await core_api.get("/v1/view/storage-pools?nodes=node-3&storage_pools=DfltStorPool")
    assert "free_capacity" not in pools[0]
    assert has(pools[0]["reports"], rc.WARN_NOT_CONNECTED)


async def test_storage_pool_definitions(core_api: CoreApi) -> None:
    _, spds = await core_api.get("/v1/storage-pool-definitions")
    assert [s["storage_pool_name"] for s in spds] == ["DfltDisklessStorPool", "DfltStorPool"]
    status, body = await core_api.post(
        "/v1/storage-pool-definitions", {"storage_pool_name": "extra"}
    )
    assert status == 201 and has(body, rc.CREATED)
    status, body = await core_api.post(
        "/v1/storage-pool-definitions", {"storage_pool_name": "extra"}
    )
    assert status == 500 and has(body, rc.FAIL_EXISTS_STOR_POOL_DFN)
    status, body = await core_api.post(
        "/v1/storage-pool-definitions", {"storage_pool_name": "extra", "x": 1}
    )
    assert status == 400 and has(body, rc.API_CALL_PARSE_ERROR)
    status, body = await core_api.put(
        "/v1/storage-pool-definitions/extra", {"override_props": {"Aux/a": "b"}}
    )
    assert status == 200
    _, spd = await core_api.get("/v1/storage-pool-definitions/EXTRA")
    assert spd == {"storage_pool_name": "extra", "props": {"Aux/a": "b"}}
    status, body = await core_api.delete("/v1/storage-pool-definitions/DfltStorPool")
    assert status == 500 and first_error(body)["message"].startswith("Storage pool definition")
    status, body = await core_api.delete("/v1/storage-pool-definitions/extra")
    assert status == 200 and has(body, rc.DELETED)
    status, body = await core_api.get("/v1/storage-pool-definitions/extra")
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_STOR_POOL_DFN)
