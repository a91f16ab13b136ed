"""Nodes that hold snapshots or the last disk: delete, lost, and the snapshots in the state dump.

The controller (``CtrlNodeDeleteApiCallHandler``) refuses to delete a node while one of its
resources is in use or is the last disk of a resource with diskless clients, and a node without
resources while snapshots still use its pools (FAIL_EXISTS_VLM). A node with resources is marked
for deletion and takes its snapshots along; a lost node loses everything at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import CoreApi, FakeClock, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._spec import ClusterSpec, Timing
from aiolinstor.emulator._state import EmulatorState
from aiolinstor.emulator._state_snapshots import create_snapshot

RD = "/v1/resource-definitions"
SIZE_KIB = 1024 * 1024
T = Timing.fast()


def pool(state: EmulatorState, node: str) -> dict[str, Any]:
    found: dict[str, Any] = state.dump()["nodes"][node]["pools"]["DfltStorPool"]
    return found


def snapshots(state: EmulatorState, rsc: str) -> dict[str, Any]:
    found: dict[str, Any] = state.dump()["resource_definitions"][rsc]["snapshots"]
    return found


def messages(entries: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in entries]


async def test_node_with_only_snapshots_left_is_not_deleted(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    status, _ = await core_api.post(f"{RD}/r1/snapshots", {"name": "s1"})
    assert status == 201
    status, _ = await core_api.delete(f"{RD}/r1/resources/node-2")
    assert status == 200
    status, body = await core_api.delete("/v1/nodes/node-2")
    assert status == 500
    error = first_error(body)
    assert rc.matches(error["ret_code"], rc.FAIL_EXISTS_VLM)
    assert error["message"] == (
        "Deletion of node 'node-2' failed because the storage pool 'DfltStorPool' references "
        "volumes on this node, although the node does not reference any resources"
    )
    assert "node-2" in core_state.dump()["nodes"]
    assert list(snapshots(core_state, "r1")["s1"]["nodes"]) == ["node-1", "node-2"]

    status, _ = await core_api.delete(f"{RD}/r1/snapshots/s1?nodes=node-2")
    assert status == 200
    assert pool(core_state, "node-2")["reserved_kib"] == 0
    status, body = await core_api.delete("/v1/nodes/NODE-2")
    assert status == 200 and messages(body) == ["Node 'node-2' deleted."]
    assert "node-2" not in core_state.dump()["nodes"]


async def test_node_delete_takes_its_snapshots_along(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    await core_api.post(f"{RD}/r1/snapshots", {"name": "both"})
    await core_api.post(f"{RD}/r1/snapshots", {"name": "only2", "nodes": ["node-2"]})
    before = pool(core_state, "node-1")
    assert before["snapshot_kib"] > 0 and before["reserved_kib"] > SIZE_KIB

    status, body = await core_api.delete("/v1/nodes/node-2")
    assert status == 200, body
    texts = messages(body)
    assert texts[0] == "Node 'node-2' marked for deletion."
    assert "Snapshot 'both' of resource 'r1' on 'node-2' deleted." in texts
    assert "Snapshot 'only2' of resource 'r1' deleted." in texts
    assert texts[-1] == "Node 'node-2' deleted."
    assert body[0]["ret_code"] == rc.make_ret_code(rc.DELETED, rc.MASK_DEL, rc.MASK_NODE)
    assert "node-2" not in core_state.dump()["nodes"]
    left = snapshots(core_state, "r1")
    assert list(left) == ["both"] and list(left["both"]["nodes"]) == ["node-1"]
    assert pool(core_state, "node-1") == before  # the other node's snapshot keeps its space


async def test_node_delete_refused_for_in_use_or_last_disk(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1"], diskless=["node-2"])
    core_state.add_resource("r2", "1 GiB", ["node-1", "node-3"])
    core_state.set_in_use("r2", "node-1", True)
    status, body = await core_api.delete("/v1/nodes/node-1")
    assert status == 500
    codes = [rc.code_of(e["ret_code"]) for e in body]
    assert codes == [rc.code_of(c) for c in (rc.FAIL_IN_USE, rc.FAIL_IN_USE)] + [
        rc.code_of(rc.FAIL_NODE_HAS_USED_RSC)
    ]
    assert messages(body) == [
        "Last resource of 'r1' with disk still has diskless resources attached.",
        "Resource 'r2' is still in use.",
        "Cannot delete node, because it has in use or last diskful resources.",
    ]
    dump = core_state.dump()
    assert dump["nodes"]["node-1"]["flags"] == []
    assert dump["resource_definitions"]["r1"]["resources"]["node-1"]["flags"] == []

    status, body = await core_api.delete(f"{RD}/r1/resources/node-1")
    assert status == 500 and has(body, rc.FAIL_IN_USE)
    assert first_error(body)["cause"] == "Resource still has diskless users."
    status, _ = await core_api.delete(f"{RD}/r1/resources/node-2")
    assert status == 200
    status, _ = await core_api.delete(f"{RD}/r1/resources/node-1")
    assert status == 200  # no diskless client left: the last disk may go


async def test_lost_node_takes_resources_and_snapshots_at_once(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-3"])
    await core_api.post(f"{RD}/r1/snapshots", {"name": "s1"})
    await core_api.post(f"{RD}/r1/snapshots", {"name": "s3", "nodes": ["node-3"]})
    status, body = await core_api.delete("/v1/nodes/node-3/lost")
    assert status == 500 and rc.matches(body[0]["ret_code"], rc.FAIL_EXISTS_NODE_CONN)
    assert body[0]["message"] == "Node 'node-3' still connected, please use the 'DelNode' api."

    core_state.set_node_online("node-3", False)
    status, body = await core_api.delete("/v1/nodes/node-3/lost")
    assert status == 200
    assert messages(body) == [
        "Node 'node-3' deleted.",
        "Notified 'node-1' that 'node-3' has been lost",
    ]
    dump = core_state.dump()
    assert "node-3" not in dump["nodes"]
    assert list(dump["resource_definitions"]["r1"]["resources"]) == ["node-1"]
    assert list(snapshots(core_state, "r1")) == ["s1"]
    assert list(snapshots(core_state, "r1")["s1"]["nodes"]) == ["node-1"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> EmulatorState:
    return EmulatorState(ClusterSpec.default(3), timing=T, clock=clock)


def test_offline_node_keeps_its_snapshots_until_it_is_back(
    state: EmulatorState, clock: FakeClock
) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    create_snapshot(state, "r1", {"name": "s1"}, Answer())
    clock.advance(1)
    state.set_node_online("node-2", False)
    answer, reached = state.delete_node("node-2")
    assert reached == [] and has(answer.entries, rc.WARN_NOT_CONNECTED)
    clock.advance(10)
    dump = state.dump()
    assert dump["nodes"]["node-2"]["flags"] == ["DELETE"]
    assert list(snapshots(state, "r1")["s1"]["nodes"]) == ["node-1", "node-2"]
    assert pool(state, "node-2")["snapshot_kib"] > 0

    state.set_node_online("node-2", True)
    clock.advance(T.scaled(T.apply_s + T.delete_s) * 1.01)
    assert "node-2" not in state.dump()["nodes"]
    assert list(snapshots(state, "r1")["s1"]["nodes"]) == ["node-1"]


def test_state_dump_shows_snapshots_and_their_space(state: EmulatorState, clock: FakeClock) -> None:
    state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    empty = pool(state, "node-1")
    assert empty["snapshot_kib"] == 0
    create_snapshot(state, "r1", {"name": "s1"}, Answer())
    taking = snapshots(state, "r1")["s1"]
    assert taking["state"] == "IN_PROGRESS" and taking["flags"] == []
    assert taking["nodes"]["node-1"]["taken"] is False

    clock.advance(T.scaled(T.apply_s + T.snapshot_s) * 1.01)
    assert snapshots(state, "r1") == {
        "s1": {
            "state": "SUCCESSFUL",
            "flags": [],
            "sequence": 1,
            "volume_definitions": {0: {"size_kib": SIZE_KIB}},
            "nodes": {
                node: {
                    "taken": True,
                    "volumes": {
                        0: {"storage_pool": "DfltStorPool", "size_kib": SIZE_KIB, "cost_kib": 64}
                    },
                }
                for node in ("node-1", "node-2")
            },
        }
    }
    charged = pool(state, "node-1")
    assert charged["snapshot_kib"] == 64
    assert charged["reserved_kib"] == empty["reserved_kib"] + SIZE_KIB
    assert charged["free_kib"] == empty["free_kib"] - 64

    state.set_node_failure("node-2", "snapshot failed: no space")
    create_snapshot(state, "r1", {"name": "s2"}, Answer())
    assert snapshots(state, "r1")["s2"]["state"] == "FAILED"
    assert snapshots(state, "r1")["s2"]["flags"] == ["FAILED_DEPLOYMENT"]
