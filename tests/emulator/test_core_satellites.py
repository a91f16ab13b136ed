"""Simulated satellites over time (fake clock): deploy, resync, toggle-disk, offline nodes,
failures, events, and the ready-timeout warning."""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import CoreApi, FakeClock, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._render import render_resource
from aiolinstor.emulator._spec import ClusterSpec, Timing
from aiolinstor.emulator._state import EmulatorState, StateEvent

T = Timing.fast()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> EmulatorState:
    return EmulatorState(ClusterSpec.default(3), timing=T, clock=clock)


def view(state: EmulatorState, rsc: str, node: str) -> dict[str, Any]:
    state.advance()
    resource = state.resource_definitions[rsc.upper()].resources[node.upper()]
    return render_resource(resource, state.clock(), with_volumes=True)


def volume_state(state: EmulatorState, rsc: str, node: str) -> dict[str, Any]:
    """The first volume's ``state`` (which must be present)."""
    state_json: dict[str, Any] = view(state, rsc, node)["volumes"][0]["state"]
    return state_json


def create(state: EmulatorState, rsc: str, *nodes: str, diskless: bool = False) -> None:
    flags = ["DISKLESS"] if diskless else []
    state.create_resources(rsc, [{"resource": {"node_name": n, "flags": flags}} for n in nodes])


def seconds(work: float) -> float:
    """Clock seconds for ``work`` seconds of satellite work at normal node speed."""
    return T.scaled(work)


def test_joining_replica_resyncs_with_rising_progress(
    state: EmulatorState, clock: FakeClock
) -> None:
    state.add_resource("r1", "1 GiB", ["node-1"])
    create(state, "r1", "node-2")
    assert "state" not in view(state, "r1", "node-2")  # the satellite has not reported yet
    clock.advance(seconds(T.apply_s) * 1.01)
    assert view(state, "r1", "node-2")["state"] == {"in_use": False}
    assert volume_state(state, "r1", "node-2")["disk_state"] == "Inconsistent"
    clock.advance(seconds(T.deploy_s))
    progress = []
    for _ in range(4):
        target = volume_state(state, "r1", "node-2")
        assert target["disk_state"] == "Inconsistent"
        sync = target["replication_states"]["node-1"]
        assert sync["replication_state"] == "SyncTarget"
        progress.append(sync["done_percentage"])
        source = volume_state(state, "r1", "node-1")
        assert source["replication_states"]["node-2"] == {"replication_state": "SyncSource"}
        clock.advance(seconds(T.sync_s) / 5)
    assert progress == sorted(progress) and progress[0] < progress[-1] < 100
    clock.advance(seconds(T.sync_s))
    target = volume_state(state, "r1", "node-2")
    assert target == {
        "disk_state": "UpToDate",
        "replication_states": {"node-1": {"replication_state": "Established"}},
    }
    assert state.transitions == set()  # settled replicas cost nothing any more


def test_initial_replicas_thin_skip_sync_thick_first_is_source(clock: FakeClock) -> None:
    for kind, expected in (("LVM_THIN", "UpToDate"), ("LVM", "Inconsistent")):
        state = EmulatorState(ClusterSpec.default(2, provider_kind=kind), timing=T, clock=clock)
        state.create_resource_definition({"resource_definition": {"name": "r1"}})
        state.create_volume_definition("r1", {"volume_definition": {"size_kib": 1024}})
        create(state, "r1", "node-1", "node-2")
        clock.advance(seconds(T.deploy_s) * 1.01)
        assert volume_state(state, "r1", "node-1")["disk_state"] == "UpToDate"
        assert volume_state(state, "r1", "node-2")["disk_state"] == expected


def test_diskless_client_and_may_promote(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    create(state, "r1", "node-3", diskless=True)
    clock.advance(seconds(T.deploy_s) * 1.01)
    client = view(state, "r1", "node-3")
    assert client["volumes"][0]["state"]["disk_state"] == "Diskless"
    assert client["layer_object"]["drbd"]["may_promote"] is True
    assert client["layer_object"]["drbd"]["promotion_score"] == 1
    state.set_in_use("r1", "node-1", True)
    assert view(state, "r1", "node-3")["layer_object"]["drbd"]["may_promote"] is False
    assert view(state, "r1", "node-1")["state"] == {"in_use": True}


def test_toggle_disk_flag_transitions(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"], diskless=["node-3"])
    state.toggle_disk("r1", "node-3", "INTO_DRBD_DISKFUL")
    assert view(state, "r1", "node-3")["flags"] == [
        "DISKLESS",
        "DRBD_DISKLESS",
        "DISK_ADD_REQUESTED",
    ]
    clock.advance(seconds(T.apply_s) * 1.01)
    assert view(state, "r1", "node-3")["flags"] == ["DISKLESS", "DRBD_DISKLESS", "DISK_ADDING"]
    assert volume_state(state, "r1", "node-3")["disk_state"] == "Diskless"
    clock.advance(seconds(T.deploy_s))
    assert "flags" not in view(state, "r1", "node-3")
    assert (
        volume_state(state, "r1", "node-3")["replication_states"]["node-1"]["replication_state"]
        == "SyncTarget"
    )
    clock.advance(seconds(T.sync_s))
    assert volume_state(state, "r1", "node-3")["disk_state"] == "UpToDate"

    state.toggle_disk("r1", "node-1", "INTO_DRBD_DISKLESS")
    assert view(state, "r1", "node-1")["flags"] == ["DISK_REMOVE_REQUESTED"]
    clock.advance(seconds(T.apply_s) * 1.01)
    assert view(state, "r1", "node-1")["flags"] == ["DISK_REMOVING"]
    clock.advance(seconds(T.delete_s))
    node1 = view(state, "r1", "node-1")
    assert (
        node1["flags"] == ["DISKLESS", "DRBD_DISKLESS"]
        and node1["volumes"][0]["storage_pool_name"] == "DfltDisklessStorPool"
    )
    assert state.dump()["nodes"]["node-1"]["pools"]["DfltStorPool"]["allocated_kib"] == 0


def test_resize_resyncs_the_grown_part(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    state.modify_volume_definition("r1", 0, {"size_kib": 2 * 1024 * 1024})
    clock.advance(seconds(T.apply_s) * 1.01)
    states = [volume_state(state, "r1", n)["disk_state"] for n in ("node-1", "node-2")]
    assert states == ["UpToDate", "Inconsistent"]
    clock.advance(seconds(T.sync_s))
    assert volume_state(state, "r1", "node-2")["disk_state"] == "UpToDate"


def test_offline_node_keeps_changes_pending(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    state.set_node_online("node-2", False)
    state.delete_resource("r1", "node-2")
    clock.advance(10)
    resources = state.dump()["resource_definitions"]["r1"]["resources"]
    assert resources["node-2"]["flags"] == ["DELETE"] and resources["node-2"]["reported"] is False
    create(state, "r1", "node-3")
    state.set_node_online("node-3", False)
    clock.advance(10)
    assert "state" not in view(state, "r1", "node-3")
    state.set_node_online("node-2", True)
    state.set_node_online("node-3", True)
    clock.advance(seconds(T.deploy_s + T.sync_s + T.delete_s) * 1.01)
    resources = state.dump()["resource_definitions"]["r1"]["resources"]
    assert sorted(resources) == ["node-1", "node-3"]
    assert resources["node-3"]["volumes"][0]["disk_state"] == "UpToDate"


def test_rd_delete_waits_for_offline_satellite(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    state.set_node_online("node-1", False)
    state.delete_resource_definition("r1")
    clock.advance(1)
    rd = state.dump()["resource_definitions"]["r1"]
    assert rd["flags"] == ["DELETE"] and list(rd["resources"]) == ["node-1"]
    state.set_node_online("node-1", True)
    clock.advance(1)
    assert "r1" not in state.dump()["resource_definitions"]


def test_satellite_failure_and_retry(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1"])
    state.set_node_failure("node-2", "Failed to create lvm volume")
    answer, _ = state.create_resources("r1", [{"resource": {"node_name": "node-2"}}])
    error = first_error(answer.entries)
    assert error["message"] == "(node-2) Failed to create lvm volume"
    assert rc.matches(error["ret_code"], rc.FAIL_UNKNOWN_ERROR) and answer.status(201) == 500
    report_id = error["error_report_ids"][0]
    assert any(r["filename"] == f"ErrorReport-{report_id}.log" for r in state.error_reports)
    clock.advance(1)
    failed = view(state, "r1", "node-2")
    assert "state" not in failed and has(failed["volumes"][0]["reports"], rc.FAIL_UNKNOWN_ERROR)
    assert state.dump()["resource_definitions"]["r1"]["resources"]["node-2"]["failure"] is not None
    state.set_node_failure("node-2", None)
    clock.advance(seconds(T.deploy_s + T.sync_s) * 1.01)
    assert volume_state(state, "r1", "node-2")["disk_state"] == "UpToDate"


def test_events(state: EmulatorState, clock: FakeClock) -> None:
    events: list[StateEvent] = []
    unsubscribe = state.add_listener(events.append)
    state.set_node_online("node-3", False)
    modified = [e for e in events if e.kind == "node-modified"]
    assert modified[0].data["old_node"]["connection_status"] == "ONLINE"
    assert modified[0].data["new_node"]["connection_status"] == "OFFLINE"
    state.add_resource("r1", "1 GiB", ["node-1"], instant=False)
    clock.advance(seconds(T.deploy_s) * 1.01)
    state.advance()
    promotions = [e.data for e in events if e.kind == "may-promote-change"]
    assert {"resource_name": "r1", "node_name": "node-1", "may_promote": True} in promotions
    state.set_in_use("r1", "node-1", True)
    assert events[-1].data == {"resource_name": "r1", "node_name": "node-1", "may_promote": False}
    assert state.may_promote_states() == [
        {"resource_name": "r1", "node_name": "node-1", "may_promote": False}
    ]
    unsubscribe()
    state.set_node_online("node-3", True)
    assert events[-1].kind == "may-promote-change"
    with pytest.raises(KeyError, match="nope"):
        state.set_node_online("nope", True)
    with pytest.raises(ValueError, match="-1"):
        state.set_node_speed("node-1", -1)


async def test_offline_node_answers_warn_not_connected(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    core_state.set_node_online("node-3", False)
    status, answer = await core_api.post("/v1/resource-definitions/r1/resources/node-3", {})
    assert status == 201
    warning = next(e for e in answer if rc.matches(e["ret_code"], rc.WARN_NOT_CONNECTED))
    assert warning["message"] == "No active connection to satellite 'node-3'"
    assert warning["details"].startswith("The controller is trying to (re-) establish a connection")
    assert not any("on 'node-3' ready" in e["message"] for e in answer)
    status, answer = await core_api.delete("/v1/resource-definitions/r1/resources/node-3")
    assert status == 200 and has(answer, rc.WARN_NOT_CONNECTED)
    _, resource = await core_api.get("/v1/resource-definitions/r1/resources/node-3")
    assert resource["flags"] == ["DELETE"]
    core_state.set_node_online("node-2", False)
    for method, path, body in [
        ("PUT", "/v1/resource-definitions/r1", {"override_props": {"Aux/a": "b"}}),
        (
            "POST",
            "/v1/resource-definitions/r1/volume-definitions",
            {"volume_definition": {"size_kib": 64}},
        ),
        ("PUT", "/v1/resource-definitions/r1/volume-definitions/0", {"size_kib": 2 * 1024 * 1024}),
    ]:
        status, answer = await core_api.call(method, path, body)
        assert status == 200 and has(answer, rc.WARN_NOT_CONNECTED), (path, answer)


async def test_ready_timeout_warning(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.set_timing(Timing.fast())  # a short ready wait
    core_state.add_resource("r1", "1 GiB", ["node-1"])
    core_state.set_node_speed("node-2", 0)
    status, answer = await core_api.post("/v1/resource-definitions/r1/resources/node-2", {})
    assert status == 201
    warning = answer[-1]
    assert rc.severity(warning["ret_code"]) is rc.Severity.WARNING
    assert rc.to_unsigned(warning["ret_code"]) == rc.MASK_WARN | rc.MASK_CRT | rc.MASK_RSC
    assert warning["message"] == (
        "Resource did not become ready on node 'node-2' within reasonable time, check Satellite "
        "for errors."
    )
    assert warning["obj_refs"]["Node"] == "node-2"


async def test_failing_satellite_over_http(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1"])
    core_state.set_node_failure("node-2", "Volume group 'vg' not found")
    status, answer = await core_api.post("/v1/resource-definitions/r1/resources/node-2", {})
    assert status == 500
    error = first_error(answer)
    assert error["message"] == "(node-2) Volume group 'vg' not found" and error["error_report_ids"]
    assert has(answer, rc.CREATED)  # registered: the DB object remains
    status, resource = await core_api.get("/v1/resource-definitions/r1/resources/node-2")
    assert status == 200 and "state" not in resource
    status, answer = await core_api.put(
        "/v1/resource-definitions/r1", {"override_props": {"Aux/a": "b"}}
    )
    assert status == 500 and first_error(answer)["message"].startswith("(node-2) ")
    _, rd = await core_api.get("/v1/resource-definitions/r1")
    assert rd["props"] == {"Aux/a": "b"}  # the change is stored although the satellite failed
