"""Snapshot waits and clean-up under failures: snapshot_many removes what it made when one
resource fails or times out, a snapshot failing during the wait names its node, the poll behind
snapshot waits survives transient read failures; and ResourceGroup.apply sends only changes."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import pytest

from aiolinstor._client import Client
from aiolinstor._errors import ApiCallError, ConvergenceFailed, ConvergenceTimeout, TransportError
from aiolinstor._group import ResourceGroup, VolumeGroup
from aiolinstor._models import SnapshotInfo
from aiolinstor._placement import Placement
from aiolinstor._snapshot import _snapshot_state, snapshot_many
from aiolinstor._waits import DONE, Failed, NotYet, Verdict, poll_until
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule, Timing

from .conftest import Place

pytestmark = pytest.mark.emulator_only

#: Slow enough to act while a snapshot is being taken; the controller gives up after 0.5 s.
SLOW = Timing(speed=100.0, ready_timeout_s=50.0)


def _snapshots(emu: Emulator, rsc: str) -> dict[str, Any]:
    return dict(emu.state.dump()["resource_definitions"][rsc]["snapshots"])


async def _start_snapshot(client: Client, rsc: str, name: str) -> None:
    """Start taking a snapshot outside the SDK's waits (its own failure is not the test's)."""
    with contextlib.suppress(ApiCallError):
        await client.create_snapshot(rsc, name)


async def _until_listed(client: Client, rsc: str, name: str) -> None:
    async def read() -> list[str]:
        return [s.name for s in await client.list_snapshots(rsc)]

    await poll_until(
        client,
        read,
        lambda names: DONE if name in names else NotYet(),
        within=5,
        resource=rsc,
        operation="observe",
    )


async def test_snapshot_many_removes_its_snapshots_when_one_resource_fails(
    placed: Place, linstor_emulator: Emulator
) -> None:
    one = await placed("one")
    two = await placed("two", nodes=("node-2", "node-3"))
    linstor_emulator.set_failure("node-3", "lvcreate --snapshot failed")
    with pytest.raises(ApiCallError, match="lvcreate --snapshot failed"):
        await snapshot_many([one, two], "s1")
    assert _snapshots(linstor_emulator, "one") == {}
    assert _snapshots(linstor_emulator, "two") == {}
    linstor_emulator.set_failure("node-3", None)
    snaps = await snapshot_many([one, two], "s1")
    assert [s.successful for s in snaps] == [True, True]


@pytest.mark.linstor_emulator(timing=SLOW)
async def test_snapshot_many_removes_its_snapshots_when_a_wait_times_out(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    one = await placed("one")
    two = await placed("two", nodes=("node-2", "node-3"))
    linstor_emulator.set_speed("node-3", 0.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_start_snapshot, linstor_client, "two", "s1")
        await _until_listed(linstor_client, "two", "s1")
        with pytest.raises(ConvergenceTimeout, match="node-3"):
            await snapshot_many([one, two], "s1", timeout=0.2)
        # made by this call: removed; taken by someone else: left alone
        assert _snapshots(linstor_emulator, "one") == {}
        assert list(_snapshots(linstor_emulator, "two")) == ["s1"]
        linstor_emulator.set_speed("node-3", 1.0)


@pytest.mark.linstor_emulator(timing=SLOW)
async def test_snapshot_failing_during_the_wait_names_the_node(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    linstor_emulator.set_speed("node-2", 0.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_start_snapshot, linstor_client, "foo", "s1")
        await _until_listed(linstor_client, "foo", "s1")
        linstor_emulator.set_online("node-2", False)
        with pytest.raises(ConvergenceFailed, match="FAILED_DISCONNECT") as failed:
            await foo.snapshot("s1", nodes=["node-2", "node-1"])
    assert "node-2" in {lag.node for lag in failed.value.laggards}
    assert "delete it to try again" in str(failed.value)


def test_failed_snapshot_names_only_the_failed_node_when_the_controller_says_which() -> None:
    info = SnapshotInfo.from_json(
        {
            "name": "s1",
            "resource_name": "foo",
            "nodes": ["node-1", "node-2"],
            "flags": ["FAILED_DEPLOYMENT"],
            "snapshots": [
                {"node_name": "node-1", "flags": []},
                {"node_name": "node-2", "flags": ["FAILED_DEPLOYMENT"]},
            ],
        }
    )
    verdict = _snapshot_state("foo", "s1")(info)
    assert isinstance(verdict, Failed)
    assert [lag.node for lag in verdict.laggards] == ["node-2"]


@pytest.mark.linstor_emulator(timing=SLOW)
async def test_snapshot_wait_survives_server_errors_and_dropped_reads(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    linstor_emulator.set_speed("node-2", 0.5)  # 0.25 s of work at half speed
    async with anyio.create_task_group() as tg:
        tg.start_soon(_start_snapshot, linstor_client, "foo", "s1")
        await _until_listed(linstor_client, "foo", "s1")
        path = "/snapshots/s1$"
        burst = linstor_emulator.add_fault(
            FaultRule(ErrorAnswer(500), method="GET", path=path, count=2)
        )
        dropped = linstor_emulator.add_fault(FaultRule(Drop(), method="GET", path=path, count=2))
        snap = await foo.snapshot("s1")
    assert snap.successful
    for rule in (burst, dropped):
        fired = linstor_emulator.faults.get(rule)
        assert fired is not None and fired.hits == 2


async def test_poll_until_retries_a_read_without_answer(
    placed: Place, linstor_client: Client
) -> None:
    await placed()
    await linstor_client.create_snapshot("foo", "s1")
    calls = 0

    async def read() -> SnapshotInfo:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise TransportError("connection reset by peer")
        return await linstor_client.get_snapshot("foo", "s1")

    def check(info: SnapshotInfo) -> Verdict:
        return DONE if info.successful else NotYet()

    found = await poll_until(
        linstor_client, read, check, within=5, resource="foo", operation="snapshot"
    )
    assert found.successful and calls == 3


async def test_poll_until_times_out_naming_the_read_failure(linstor_client: Client) -> None:
    async def read() -> None:
        raise TransportError("connection reset by peer")

    with pytest.raises(ConvergenceTimeout, match="could not be read: connection reset"):
        await poll_until(
            linstor_client, read, lambda _: DONE, within=0.1, resource="foo", operation="snap"
        )


async def test_apply_changing_only_volume_group_props_sends_only_that(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    rg = ResourceGroup(
        "rg1",
        client=linstor_client,
        placement=Placement(redundancy=2),
        props={"Aux/team": "storage"},
        volume_groups=[VolumeGroup(0, {"Aux/tier": "fast"}), 1],
    )
    await rg.apply()
    linstor_emulator.stats.reset()
    rg.volume_groups[0] = VolumeGroup(0, {"Aux/tier": "slow"})
    await rg.apply()
    writes = {
        route: n
        for route, n in linstor_emulator.request_counts().items()
        if not route.startswith("GET")
    }
    assert writes == {"PUT /v1/resource-groups/{rg}/volume-groups/{nr}": 1}
    dumped = linstor_emulator.state.dump()["resource_groups"]["rg1"]
    assert dumped["select_filter"] == {"place_count": 2}
    assert dumped["props"] == {"Aux/team": "storage"}
    found = {
        vg.volume_number: dict(vg.props) for vg in await linstor_client.list_volume_groups("rg1")
    }
    assert found == {0: {"Aux/tier": "slow"}, 1: {}}
    linstor_emulator.stats.reset()
    await rg.apply()
    assert all(route.startswith("GET") for route in linstor_emulator.request_counts())


async def test_volume_group_create_whose_answer_is_lost_is_found(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    linstor_emulator.add_fault(
        FaultRule(Drop(after=True), method="POST", path="/volume-groups$", count=1)
    )
    rg = ResourceGroup("rg1", client=linstor_client, volume_groups=1)
    await rg.apply()
    assert linstor_emulator.request_counts()["POST /v1/resource-groups/{rg}/volume-groups"] == 1
    assert [vg.volume_number for vg in await linstor_client.list_volume_groups("rg1")] == [0]
