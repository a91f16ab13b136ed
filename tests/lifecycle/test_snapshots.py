"""Resource.snapshot / snapshots / Snapshot.delete / snapshot_many against the emulator."""

from __future__ import annotations

import anyio
import pytest

from aiolinstor._client import Client
from aiolinstor._errors import (
    ApiCallError,
    ConvergenceTimeout,
    InputError,
    NotFoundError,
)
from aiolinstor._snapshot import Snapshot, snapshot_many
from aiolinstor._waits import DONE, NotYet, poll_until
from aiolinstor.emulator import Emulator, ErrorAnswer, FaultRule, Timing

from .conftest import Place

pytestmark = pytest.mark.emulator_only


def _snapshot_posts(emu: Emulator) -> int:
    return emu.request_counts().get("POST /v1/resource-definitions/{rsc}/snapshots", 0)


async def test_snapshot_waits_until_successful_and_repeats_idempotently(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    assert snap.successful and snap.nodes == ["node-1", "node-2"]
    assert snap.volume_sizes == {0: 64 * 2**20}
    again = await foo.snapshot("s1")
    assert again.successful and again.name == "s1"
    assert _snapshot_posts(linstor_emulator) == 1
    assert [s.name for s in await foo.snapshots()] == ["s1"]
    with pytest.raises(InputError, match="not on the requested node-3"):
        await foo.snapshot("s1", nodes=["node-3"])


async def test_snapshot_on_chosen_nodes_and_delete_waits_until_gone(
    placed: Place, linstor_client: Client
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1", nodes=["node-2"])
    assert snap.nodes == ["node-2"]
    await snap.delete()
    assert await foo.snapshots() == []
    with pytest.raises(NotFoundError):
        await Snapshot("foo", "s1", client=linstor_client).refresh()
    await snap.delete()  # gone already: nothing to do


async def test_failed_snapshot_raises_and_is_removed(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.set_failure("node-2", "lvcreate --snapshot failed")
    with pytest.raises(ApiCallError, match="lvcreate --snapshot failed") as failed:
        await foo.snapshot("s1")
    assert failed.value.error_report_ids
    assert await foo.snapshots() == []


async def test_snapshot_with_an_offline_node_is_refused(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.set_online("node-1", False)
    with pytest.raises(ApiCallError, match="No active connection to satellite 'node-1'"):
        await foo.snapshot("s1")
    assert await foo.snapshots() == []


async def test_injected_controller_error_reaches_the_caller(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(500, message="injected"), method="POST", path="/snapshots$", count=1)
    )
    with pytest.raises(ApiCallError, match="injected"):
        await foo.snapshot("s1")
    assert (await foo.snapshot("s1")).successful


@pytest.mark.linstor_emulator(timing=Timing(speed=100.0, ready_timeout_s=300.0))
async def test_waiting_for_a_slow_snapshot_times_out(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    linstor_emulator.set_speed("node-2", 0.005)  # 0.25 s of work at rate 0.5: 0.5 s
    async with anyio.create_task_group() as tg:
        tg.start_soon(linstor_client.create_snapshot, "foo", "s1")
        await poll_until(
            linstor_client,
            lambda: linstor_client.list_snapshots("foo"),
            lambda found: DONE if found else NotYet(),
            within=5,
            resource="foo",
            operation="observe",
        )
        with pytest.raises(ConvergenceTimeout) as timed_out:
            await foo.snapshot("s1", timeout=0.1)
        assert {lag.node for lag in timed_out.value.laggards} == {"node-1", "node-2"}
        assert "not taken yet" in str(timed_out.value)
    assert (await foo.snapshot("s1")).successful


async def test_snapshot_many_is_one_consistent_call(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    one = await placed("one")
    two = await placed("two", nodes=("node-2", "node-3"))
    snaps = await snapshot_many([one, two], "s1")
    assert [(s.resource_name, s.successful) for s in snaps] == [("one", True), ("two", True)]
    counts = linstor_emulator.request_counts()
    assert counts.get("POST /v1/actions/snapshot/multi") == 1
    again = await snapshot_many(["one", "two"], "s1", client=linstor_client)
    assert [s.successful for s in again] == [True, True]
    assert linstor_emulator.request_counts().get("POST /v1/actions/snapshot/multi") == 1
    with pytest.raises(InputError, match="must not repeat"):
        await snapshot_many([one, "ONE"], "s2")


async def test_deleting_with_an_offline_node_fails_until_it_is_back(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ApiCallError, match="No active connection to satellite 'node-2'"):
        await snap.delete()
    (left,) = await foo.snapshots()
    assert left.nodes == ["node-2"] and left.info is not None and "DELETE" in left.info.flags
    linstor_emulator.set_online("node-2", True)
    await snap.delete()
    assert await foo.snapshots() == []
