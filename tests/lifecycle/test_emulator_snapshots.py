"""The emulator serves snapshots, restore and rollback like the real controller (REST level)."""

from __future__ import annotations

import anyio
import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor._client import Client
from aiolinstor._errors import AlreadyExistsError, ApiCallError, InUseError, NotFoundError
from aiolinstor._waits import DONE, NotYet, Verdict, poll_until
from aiolinstor.emulator import Emulator, Timing

from .conftest import Place

pytestmark = pytest.mark.emulator_only

#: Satellites 100x faster than real ones, but a generous reactive-flow bound (3 s).
PATIENT = Timing(speed=100.0, ready_timeout_s=300.0)


def _pool(emu: Emulator, node: str) -> dict[str, int]:
    pools = emu.state.dump()["nodes"][node]["pools"]
    return dict(pools["DfltStorPool"])


async def test_snapshot_is_successful_when_the_post_answers(
    placed: Place, linstor_client: Client
) -> None:
    await placed()
    answer = await linstor_client.create_snapshot("foo", "s1")
    assert answer.status == 201
    texts = [entry.message for entry in answer]
    assert "Took snapshot of 'foo' on 'node-1'" in texts
    assert "Resumed IO of 'foo' on 'node-2' after snapshot" in texts
    info = await linstor_client.get_snapshot("foo", "s1")
    assert info.successful
    assert sorted(info.nodes) == ["node-1", "node-2"]
    assert info.volume_definitions == ((0, 64 * 1024),)
    assert [s.name for s in await linstor_client.view_snapshots(resources=["foo"])] == ["s1"]
    assert await linstor_client.view_snapshots(nodes=["node-3"]) == []


@pytest.mark.linstor_emulator(timing=PATIENT)
async def test_snapshot_shows_in_progress_until_taken(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    linstor_emulator.set_speed("node-2", 0.02)  # 0.25 s of work at rate 2: ~0.125 s
    seen: list[tuple[str, ...]] = []

    async def read() -> tuple[str, ...] | None:
        try:
            return (await linstor_client.get_snapshot("foo", "s1")).flags
        except NotFoundError:
            return None

    def record(flags: tuple[str, ...] | None) -> Verdict:
        if flags is not None:
            seen.append(flags)
        return DONE if flags and "SUCCESSFUL" in flags else NotYet()

    async with anyio.create_task_group() as tg:
        tg.start_soon(linstor_client.create_snapshot, "foo", "s1")
        await poll_until(
            linstor_client, read, record, within=5, resource="foo", operation="observe"
        )
    assert seen[0] == ()
    assert seen[-1] == ("SUCCESSFUL",)


async def test_snapshot_errors_match_the_controller(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    await linstor_client.create_snapshot("foo", "s1")
    with pytest.raises(AlreadyExistsError) as exists:
        await linstor_client.create_snapshot("foo", "S1")
    assert exists.value.status == 500 and exists.value.has(rc.FAIL_EXISTS_SNAPSHOT_DFN)
    assert "already exists in resource definition 'foo'" in str(exists.value)

    with pytest.raises(ApiCallError) as in_use:
        await linstor_client.delete_resource_definition("foo")
    assert in_use.value.has(rc.FAIL_EXISTS_SNAPSHOT_DFN)

    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ApiCallError) as offline:
        await linstor_client.create_snapshot("foo", "s2")
    assert offline.value.has(rc.FAIL_NOT_CONNECTED)
    assert "No active connection to satellite 'node-2'" in str(offline.value)

    with pytest.raises(NotFoundError):
        await linstor_client.get_snapshot("foo", "nope")


@pytest.mark.linstor_emulator(provider_kind="LVM")
async def test_thick_lvm_refuses_snapshots(placed: Place, linstor_client: Client) -> None:
    await placed()
    with pytest.raises(ApiCallError) as refused:
        await linstor_client.create_snapshot("foo", "s1")
    assert refused.value.has(rc.FAIL_SNAPSHOTS_NOT_SUPPORTED)
    assert "Storage driver 'LVM' does not support snapshots." in str(refused.value)


async def test_snapshot_capacity_is_reserved_and_released(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    before = _pool(linstor_emulator, "node-1")
    await linstor_client.create_snapshot("foo", "s1")
    during = _pool(linstor_emulator, "node-1")
    assert during["reserved_kib"] == before["reserved_kib"] + 64 * 1024
    assert 0 < before["free_kib"] - during["free_kib"] <= 1024  # thin: little at first
    pools = {p.node_name: p for p in await linstor_client.list_storage_pools()}
    assert pools["node-1"].free_capacity_kib == during["free_kib"]

    answer = await linstor_client.delete_snapshot("foo", "s1")
    assert "Snapshot 's1' of resource 'foo' deleted." in [e.message for e in answer]
    assert _pool(linstor_emulator, "node-1") == before
    assert await linstor_client.list_snapshots("foo") == []
    again = await linstor_client.delete_snapshot("foo", "s1")
    assert again.has(rc.WARN_NOT_FOUND)


async def test_multi_snapshot_is_all_or_nothing(placed: Place, linstor_client: Client) -> None:
    await placed("one")
    await placed("two", nodes=("node-2", "node-3"))
    await linstor_client.create_snapshot("two", "s0")
    await linstor_client.create_multi_snapshot([("one", "s1"), ("two", "s1")])
    assert (await linstor_client.get_snapshot("one", "s1")).successful
    assert (await linstor_client.get_snapshot("two", "s1")).successful
    with pytest.raises(AlreadyExistsError):
        await linstor_client.create_multi_snapshot([("one", "s2"), ("two", "s0")])
    assert [s.name for s in await linstor_client.list_snapshots("one")] == ["s1"]


async def test_restore_checks_and_creates_replicas(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    await linstor_client.create_snapshot("foo", "s1")
    await linstor_client.create_resource_definition("bar")
    empty = await linstor_client.restore_resources("foo", "s1", "bar")
    assert empty.has(rc.WARN_NOT_FOUND) and "No volumes to restore." in str(empty[0])

    assert (await linstor_client.restore_volume_definitions("foo", "s1", "bar")).status == 200
    answer = await linstor_client.restore_resources("foo", "s1", "bar", nodes=["node-2"])
    assert answer.status == 200
    assert "Resource 'bar' restored from resource 'foo', snapshot 's1'." in [
        e.message for e in answer
    ]
    (replica,) = await linstor_client.view_resources(resources=["bar"])
    assert replica.node_name == "node-2"
    assert replica.volumes[0].props["RestoreFromSnapshot"] == "s1"
    assert replica.volumes[0].props["RestoreFromResource"] == "foo"

    with pytest.raises(AlreadyExistsError) as has_resources:
        await linstor_client.restore_resources("foo", "s1", "bar")
    assert has_resources.value.has(rc.FAIL_EXISTS_RSC)
    await linstor_client.create_resource_definition("baz")
    await linstor_client.restore_volume_definitions("foo", "s1", "baz")
    with pytest.raises(NotFoundError) as wrong_node:
        await linstor_client.restore_resources("foo", "s1", "baz", nodes=["node-3"])
    assert wrong_node.value.has(rc.FAIL_NOT_FOUND_SNAPSHOT)


async def test_rollback_only_to_newest_and_not_in_use(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    await linstor_client.create_snapshot("foo", "s1")
    await linstor_client.create_snapshot("foo", "s2")
    with pytest.raises(AlreadyExistsError) as older:
        await linstor_client.rollback_snapshot("foo", "s1")
    assert older.value.has(rc.FAIL_EXISTS_SNAPSHOT_DFN)
    assert "Rollback is only allowed with the most recent snapshot" in str(older.value)

    linstor_emulator.set_in_use("foo", "node-1", True)
    with pytest.raises(InUseError) as busy:
        await linstor_client.rollback_snapshot("foo", "s2")
    assert "Resource 'foo' on node 'node-1' is still in use." in str(busy.value)
    linstor_emulator.set_in_use("foo", "node-1", False)

    answer = await linstor_client.rollback_snapshot("foo", "s2")
    assert answer.status == 200
    assert "Rolled resource 'foo' back on 'node-2'" in [e.message for e in answer]
    states = {r.node_name: r.volumes[0].disk_state for r in await linstor_client.view_resources()}
    assert set(states.values()) <= {"Outdated", "UpToDate"}

    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ApiCallError) as offline:
        await linstor_client.rollback_snapshot("foo", "s2")
    assert offline.value.has(rc.FAIL_NOT_CONNECTED)
