"""Resource routes of the emulator core: create, delete, modify, view, activate, make-available,
toggle-disk."""

from __future__ import annotations

import pytest
from core_helpers import CoreApi, FakeClock, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec, Timing
from aiolinstor.emulator._state import EmulatorState

RD = "/v1/resource-definitions/r1"


@pytest.fixture
def r1(core_state: EmulatorState) -> None:
    """An RD r1 with one 1 GiB volume and no resources."""
    core_state.create_resource_definition({"resource_definition": {"name": "r1"}})
    core_state.create_volume_definition("r1", {"volume_definition": {"size_kib": 1024 * 1024}})


@pytest.mark.usefixtures("r1")
async def test_bulk_create_answers_like_the_controller(core_api: CoreApi) -> None:
    body = [
        {"resource": {"node_name": "node-1", "props": {"StorPoolName": "DfltStorPool"}}},
        {"resource": {"node_name": "node-2"}},
        {
            "resource": {"node_name": "node-3", "flags": ["DRBD_DISKLESS"]},
            "layer_list": ["DRBD", "STORAGE"],
        },
    ]
    status, answer = await core_api.post(f"{RD}/resources", body)
    assert status == 201
    codes = [e["ret_code"] for e in answer]
    assert codes[:2] == [20185089, 19660801]  # resource registered, volume registered
    messages = [e["message"] for e in answer]
    assert "New resource 'r1' on node 'node-1' registered." in messages
    assert "Created resource 'r1' on 'node-2'" in messages
    for node in ("node-1", "node-2", "node-3"):
        assert f"Resource 'r1' on '{node}' ready" in messages
    _, view = await core_api.get("/v1/view/resources?resources=r1")
    assert [r["node_name"] for r in view] == ["node-1", "node-2", "node-3"]
    diskful, _, diskless = view
    assert diskful["props"] == {"StorPoolName": "DfltStorPool"}
    assert "flags" not in diskful
    assert diskful["state"] == {"in_use": False}
    volume = diskful["volumes"][0]
    assert volume["device_path"] == "/dev/drbd1000" and volume["provider_kind"] == "LVM_THIN"
    assert volume["state"]["disk_state"] == "UpToDate"
    assert volume["state"]["replication_states"]["node-3"] == {"replication_state": "Established"}
    drbd = diskful["layer_object"]["drbd"]
    assert drbd["connections"]["node-2"] == {"connected": True, "message": "Connected"}
    assert drbd["may_promote"] is True and drbd["tcp_ports"] == [7000] and drbd["node_id"] == 0
    assert diskless["flags"] == ["DISKLESS", "DRBD_DISKLESS"]
    assert diskless["volumes"][0]["storage_pool_name"] == "DfltDisklessStorPool"
    assert diskless["volumes"][0]["state"]["disk_state"] == "Diskless"


@pytest.mark.usefixtures("r1")
async def test_create_errors_and_idempotency(core_api: CoreApi, core_state: EmulatorState) -> None:
    status, answer = await core_api.post(f"{RD}/resources/node-1", {})
    assert status == 201
    status, answer = await core_api.post(f"{RD}/resources/NODE-1", {})
    assert status == 201 and has(answer, rc.INFO_RSC_ALREADY_EXISTS)
    status, answer = await core_api.post(f"{RD}/resources", [{"resource": {"node_name": "node-9"}}])
    assert status == 404 and answer[0]["ret_code"] == -4611686018407202516  # NOT_FOUND_NODE|CRT|RSC
    status, answer = await core_api.post("/v1/resource-definitions/nope/resources/node-1", {})
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_RSC_DFN)
    status, answer = await core_api.post(
        f"{RD}/resources/node-2", {"resource": {"flags": ["BOGUS"]}}
    )
    assert status == 500 and has(answer, rc.FAIL_INVLD_REQUEST)
    status, answer = await core_api.post(
        f"{RD}/resources/node-2", {"resource": {"props": {"StorPoolName": "nope"}}}
    )
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_STOR_POOL)
    status, answer = await core_api.post(f"{RD}/resources", {"resource": {"node_name": "node-2"}})
    assert status == 500 and has(answer, rc.API_CALL_PARSE_ERROR)
    # one bad item rolls the whole request back
    body = [{"resource": {"node_name": "node-2"}}, {"resource": {"node_name": "node-9"}}]
    status, answer = await core_api.post(f"{RD}/resources", body)
    assert status == 404
    assert list(core_state.dump()["resource_definitions"]["r1"]["resources"]) == ["node-1"]


@pytest.mark.parametrize(
    "core_spec",
    [
        ClusterSpec(
            [
                NodeSpec(f"n{i}", [PoolSpec(provider_kind="LVM", size_kib=1024 * 1024)])
                for i in (1, 2)
            ]
        )
    ],
)
async def test_create_checks_capacity(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.create_resource_definition({"resource_definition": {"name": "big"}})
    core_state.create_volume_definition("big", {"volume_definition": {"size_kib": 2 * 1024 * 1024}})
    status, answer = await core_api.post("/v1/resource-definitions/big/resources/n1", {})
    assert status == 500 and has(answer, rc.FAIL_NOT_ENOUGH_FREE_SPACE)
    pool = core_state.dump()["nodes"]["n1"]["pools"]["DfltStorPool"]
    assert pool["free_kib"] == 1024 * 1024 and pool["resources"] == []


@pytest.mark.usefixtures("r1")
async def test_resources_and_volumes_get_and_modify(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    await core_api.post(
        f"{RD}/resources", [{"resource": {"node_name": n}} for n in ("node-1", "node-2")]
    )
    status, resources = await core_api.get(f"{RD}/resources")
    assert status == 200 and [r["node_name"] for r in resources] == ["node-1", "node-2"]
    assert "volumes" not in resources[0] and resources[0]["state"] == {"in_use": False}
    status, resource = await core_api.get(f"{RD}/resources/Node-2")
    assert status == 200 and resource["node_name"] == "node-2"
    status, answer = await core_api.get(f"{RD}/resources/node-3")
    assert status == 404 and answer[0]["message"] == "Resource 'r1' on 'node-3' not found."
    status, volumes = await core_api.get(f"{RD}/resources/node-1/volumes")
    assert status == 200 and volumes[0]["volume_number"] == 0
    status, volume = await core_api.get(f"{RD}/resources/node-1/volumes/0")
    assert status == 200 and volume["device_path"] == "/dev/drbd1000"
    status, answer = await core_api.get(f"{RD}/resources/node-1/volumes/3")
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_VLM)
    status, answer = await core_api.put(
        f"{RD}/resources/node-1", {"override_props": {"Aux/x": "1"}}
    )
    assert status == 200 and has(answer, rc.MODIFIED)
    status, answer = await core_api.put(
        f"{RD}/resources/node-1/volumes/0", {"override_props": {"Aux/v": "2"}}
    )
    assert status == 200
    _, view = await core_api.get("/v1/view/resources?props=Aux/x")
    assert [r["node_name"] for r in view] == ["node-1"] and view[0]["volumes"][0]["props"] == {
        "Aux/v": "2"
    }
    _, view = await core_api.get("/v1/view/resources?nodes=node-2&storage_pools=dfltstorpool")
    assert [r["node_name"] for r in view] == ["node-2"]
    _, view = await core_api.get("/v1/view/resources?resources=other")
    assert view == []


@pytest.mark.usefixtures("r1")
async def test_delete_resource(core_api: CoreApi, core_state: EmulatorState) -> None:
    await core_api.post(
        f"{RD}/resources", [{"resource": {"node_name": n}} for n in ("node-1", "node-2")]
    )
    free = core_state.dump()["nodes"]["node-2"]["pools"]["DfltStorPool"]["allocated_kib"]
    assert free > 0
    core_state.set_in_use("r1", "node-2", True)
    status, answer = await core_api.delete(f"{RD}/resources/node-2")
    assert status == 500 and answer[0]["ret_code"] == -4611686018373647387
    core_state.set_in_use("r1", "node-2", False)
    status, answer = await core_api.delete(f"{RD}/resources/node-2")
    assert status == 200 and answer[0]["ret_code"] == 53739522
    assert answer[-1]["message"] == "Node: node-2, Resource: r1 deletion complete."
    assert core_state.dump()["nodes"]["node-2"]["pools"]["DfltStorPool"]["allocated_kib"] == 0
    status, answer = await core_api.delete(f"{RD}/resources/node-2")
    assert status == 200 and has(answer, rc.WARN_NOT_FOUND)
    status, answer = await core_api.delete(f"{RD}/resources/node-9")
    assert status == 404


@pytest.mark.usefixtures("r1")
async def test_activate_deactivate(core_api: CoreApi, core_state: EmulatorState) -> None:
    await core_api.post(
        f"{RD}/resources", [{"resource": {"node_name": n}} for n in ("node-1", "node-2")]
    )
    status, answer = await core_api.post(f"{RD}/resources/node-1/activate")
    assert status == 200 and has(answer, rc.INFO_NOOP)
    assert answer[0]["message"] == "Resource is already activated. Noop"
    core_state.set_in_use("r1", "node-1", True)
    status, answer = await core_api.post(f"{RD}/resources/node-1/deactivate")
    assert status == 500 and has(answer, rc.FAIL_IN_USE)
    core_state.set_in_use("r1", "node-1", False)
    status, answer = await core_api.post(f"{RD}/resources/node-1/deactivate")
    assert status == 200
    _, resource = await core_api.get(f"{RD}/resources/node-1")
    assert resource["flags"] == ["INACTIVE"] and resource["state"] == {}
    _, peer = await core_api.get(f"{RD}/resources/node-2")
    assert peer["layer_object"]["drbd"]["connections"]["node-1"]["connected"] is False
    status, answer = await core_api.post(f"{RD}/resources/node-1/deactivate")
    assert has(answer, rc.INFO_NOOP)
    status, answer = await core_api.post(f"{RD}/resources/node-1/activate")
    assert status == 200 and has(answer, rc.MODIFIED)
    status, answer = await core_api.post(f"{RD}/resources/node-3/activate")
    assert status == 404


@pytest.mark.usefixtures("r1")
async def test_make_available(core_api: CoreApi, core_state: EmulatorState) -> None:
    status, answer = await core_api.post(
        f"{RD}/resources/node-2/make-available", {"diskful": False}
    )
    assert status == 200  # no diskful peer yet: the autoplacer puts a disk there
    assert (
        core_state.dump()["resource_definitions"]["r1"]["resources"]["node-2"]["diskless"] is False
    )
    status, answer = await core_api.post(
        f"{RD}/resources/node-3/make-available", {"diskful": False}
    )
    assert status == 200
    assert (
        core_state.dump()["resource_definitions"]["r1"]["resources"]["node-3"]["diskless"] is True
    )
    status, answer = await core_api.post(f"{RD}/resources/node-3/make-available", {})
    assert status == 200 and has(answer, rc.INFO_NOOP)
    status, answer = await core_api.post(f"{RD}/resources/node-3/make-available", {"diskful": True})
    assert status == 200
    assert (
        core_state.dump()["resource_definitions"]["r1"]["resources"]["node-3"]["diskless"] is False
    )
    status, answer = await core_api.post(f"{RD}/resources/node-9/make-available", {})
    assert status == 404


@pytest.mark.usefixtures("r1")
async def test_toggle_disk(core_api: CoreApi, core_state: EmulatorState) -> None:
    body = [
        {"resource": {"node_name": "node-1"}},
        {"resource": {"node_name": "node-2", "flags": ["DISKLESS"]}},
    ]
    await core_api.post(f"{RD}/resources", body)
    status, answer = await core_api.put(
        f"{RD}/resources/node-1/toggle-disk", {"operation": "INTO_DRBD_DISKFUL"}
    )
    assert status == 200 and has(answer, rc.INFO_NOOP)
    status, answer = await core_api.put(
        f"{RD}/resources/node-1/toggle-disk", {"operation": "INTO_DRBD_DISKLESS"}
    )
    assert status == 500 and has(answer, rc.FAIL_INSUFFICIENT_REPLICA_COUNT)
    status, answer = await core_api.put(f"{RD}/resources/node-1/toggle-disk", {})
    assert (
        status == 500
        and has(answer, rc.API_CALL_PARSE_ERROR)
        and "operation" in answer[0]["details"]
    )
    core_state.set_timing(Timing.fast())  # a short wait for the stalled satellite
    core_state.set_node_speed("node-2", 0)  # the satellite takes the request but never finishes
    status, answer = await core_api.put(
        f"{RD}/resources/node-2/toggle-disk",
        {"operation": "INTO_DRBD_DISKFUL", "storage_pool": "DfltStorPool"},
    )
    assert status == 200
    shown = core_state.dump()["resource_definitions"]["r1"]["resources"]["node-2"]["flags"]
    assert shown == ["DISKLESS", "DRBD_DISKLESS", "DISK_ADD_REQUESTED"]
    assert core_state.dump()["nodes"]["node-2"]["pools"]["DfltStorPool"]["resources"] == ["r1"]
    status, answer = await core_api.put(f"{RD}/resources/node-2/toggle-disk/diskless")
    assert status == 500 and has(answer, rc.FAIL_RSC_BUSY)
    core_state.set_node_speed("node-2", 1)
    status, answer = await core_api.put(
        f"{RD}/resources/node-1/toggle-disk/diskless/DfltDisklessStorPool"
    )
    assert status == 200
    node1 = core_state.dump()["resource_definitions"]["r1"]["resources"]["node-1"]
    assert node1["diskless"] is True and node1["flags"] == ["DISKLESS", "DRBD_DISKLESS"]
    status, answer = await core_api.put(
        f"{RD}/resources/node-9/toggle-disk", {"operation": "INTO_DRBD_DISKLESS"}
    )
    assert status == 404


async def test_migrate_disk(core_api: CoreApi) -> None:
    clock = FakeClock()
    timing = Timing()
    state = EmulatorState(timing=timing, clock=clock)
    state.add_resource("r1", "1 GiB", ["node-1"], diskless=["node-2"])
    answer, _ = state.toggle_disk("r1", "node-2", "INTO_DRBD_DISKFUL", migrate_from="node-1")
    assert answer.status(200) == 200
    clock.advance(timing.deploy_s + timing.sync_s / 2)
    assert sorted(state.dump()["resource_definitions"]["r1"]["resources"]) == ["node-1", "node-2"]
    clock.advance(timing.sync_s)  # target in sync: the source is deleted
    state.advance()
    assert state.dump()["resource_definitions"]["r1"]["resources"]["node-1"]["flags"] == ["DELETE"]
    clock.advance(timing.delete_s)
    resources = state.dump()["resource_definitions"]["r1"]["resources"]
    assert list(resources) == ["node-2"] and resources["node-2"]["diskless"] is False
    status, body = await core_api.put(
        "/v1/resource-definitions/r1/resources/node-2/migrate-disk/node-1"
    )
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_RSC_DFN)


async def test_view_resources_of_offline_node(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    core_state.set_node_online("node-1", False)
    _, view = await core_api.get("/v1/view/resources?resources=r1")
    offline, online = view
    assert "state" not in offline and "state" not in offline["volumes"][0]
    assert "connections" not in offline["layer_object"]["drbd"]
    assert online["layer_object"]["drbd"]["connections"]["node-1"] == {
        "connected": False,
        "message": "Connecting",
    }
    assert (
        online["volumes"][0]["state"]["replication_states"]["node-1"]["replication_state"] == "Off"
    )


async def test_luks_layer_stack(core_api: CoreApi) -> None:
    layers = [{"type": "DRBD"}, {"type": "LUKS"}, {"type": "STORAGE"}]
    await core_api.post(
        "/v1/resource-definitions", {"resource_definition": {"name": "sec", "layer_data": layers}}
    )
    await core_api.post(
        "/v1/resource-definitions/sec/volume-definitions", {"volume_definition": {"size_kib": 4096}}
    )
    status, answer = await core_api.post("/v1/resource-definitions/sec/resources/node-1", {})
    assert status == 201, answer
    _, resource = await core_api.get("/v1/resource-definitions/sec/resources/node-1")
    drbd = resource["layer_object"]
    luks = drbd["children"][0]
    assert (drbd["type"], luks["type"], luks["children"][0]["type"]) == ("DRBD", "LUKS", "STORAGE")
    luks_volume = luks["luks"]["luks_volumes"][0]
    assert luks_volume["device_path"] == "/dev/mapper/sec_00000"
    assert drbd["drbd"]["drbd_volumes"][0]["backing_device"] == "/dev/mapper/sec_00000"
