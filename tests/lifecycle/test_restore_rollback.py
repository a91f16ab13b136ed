"""Snapshot.restore and Resource.rollback against the emulator."""

from __future__ import annotations

import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor._client import Client
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    ConvergenceTimeout,
    InputError,
    InUseError,
    NotEnoughSpaceError,
)
from aiolinstor._resource import Resource
from aiolinstor.emulator import Emulator, ErrorAnswer, FaultRule

from .conftest import Place

pytestmark = pytest.mark.emulator_only

ROLLBACK = "POST /v1/resource-definitions/{rsc}/snapshot-rollback/{snap}"


async def test_restore_creates_a_converged_resource_and_resumes(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    bar = await snap.restore("bar")
    assert bar.diskful_nodes == ["node-1", "node-2"]
    assert all(v.disk_state == "UpToDate" for v in bar.volumes[0].states.values())
    assert bar.volumes[0].size == 64 * 2**20
    again = await snap.restore("bar")
    assert again.diskful_nodes == ["node-1", "node-2"]
    counts = linstor_emulator.request_counts()
    assert counts["POST /v1/resource-definitions/{rsc}/snapshot-restore-resource/{snap}"] == 1
    one = await snap.restore("baz", nodes=["node-2"])
    assert one.diskful_nodes == ["node-2"]


async def test_restore_into_an_unrelated_resource_is_refused(placed: Place) -> None:
    foo = await placed()
    await placed("bar", nodes=("node-3",))
    snap = await foo.snapshot("s1")
    with pytest.raises(AlreadyExistsError, match="was not restored from it"):
        await snap.restore("bar")


async def test_failed_restore_step_removes_the_half_made_resource(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    linstor_emulator.add_fault(
        FaultRule(
            ErrorAnswer(500, ret_code=rc.FAIL_NOT_ENOUGH_FREE_SPACE, message="no space"),
            method="POST",
            path="/snapshot-restore-resource/",
            count=1,
        )
    )
    with pytest.raises(NotEnoughSpaceError, match="step 'restore resources' failed"):
        await snap.restore("bar")
    assert await linstor_client.list_resource_definitions(["bar"]) == []
    restored = await snap.restore("bar")
    assert restored.exists


async def test_restore_times_out_naming_the_slow_node(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    linstor_emulator.set_speed("node-2", 0.0)
    with pytest.raises(ConvergenceTimeout) as timed_out:
        await snap.restore("bar", timeout=0.3)
    assert "node-2" in {lag.node for lag in timed_out.value.laggards}
    linstor_emulator.set_speed("node-2", 1.0)
    assert (await snap.restore("bar")).diskful_nodes == ["node-1", "node-2"]


async def test_restore_refuses_a_bad_target_before_any_write(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    with pytest.raises(InputError, match="'-bad-'"):
        await snap.restore("-bad-")
    with pytest.raises(InputError, match="string"):
        await snap.restore("bar", nodes="node-1")
    assert "POST /v1/resource-definitions" not in linstor_emulator.request_counts()


async def test_rollback_waits_until_every_replica_is_up_to_date(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed(diskless=("node-3",))
    await foo.snapshot("s1")
    result = await foo.rollback("s1")
    assert result is foo
    for node, info in foo.replicas.items():
        expected = "Diskless" if node == "node-3" else "UpToDate"
        assert [v.disk_state for v in info.volumes] == [expected], node
    snap = (await foo.snapshots())[0]
    assert (await snap.rollback()).diskful_nodes == ["node-1", "node-2"]


async def test_rollback_in_use_is_refused_before_any_write(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    await foo.snapshot("s1")
    linstor_emulator.set_in_use("foo", "node-2", True)
    with pytest.raises(InUseError, match="in use on node-2"):
        await foo.rollback("s1")
    assert ROLLBACK not in linstor_emulator.request_counts()


async def test_rollback_to_an_older_snapshot_fails_with_the_controllers_reason(
    placed: Place,
) -> None:
    foo = await placed()
    await foo.snapshot("s1")
    await foo.snapshot("s2")
    with pytest.raises(AlreadyExistsError, match="only allowed with the most recent snapshot"):
        await foo.rollback("s1")
    other = await placed("bar", nodes=("node-3",))
    snap = await other.snapshot("s9")
    with pytest.raises(InputError, match="belongs to resource 'bar'"):
        await foo.rollback(snap)


async def test_rollback_with_an_offline_node_fails_and_a_slow_one_times_out(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    await foo.snapshot("s1")
    linstor_emulator.set_online("node-1", False)
    with pytest.raises(ApiCallError, match="No active connection to satellite 'node-1'"):
        await foo.rollback("s1")
    linstor_emulator.set_online("node-1", True)
    linstor_emulator.set_speed("node-1", 0.0)
    with pytest.raises(ConvergenceTimeout) as timed_out:
        await foo.rollback("s1", timeout=0.3)
    assert "node-1" in {lag.node for lag in timed_out.value.laggards}


async def test_rollback_needs_no_client_argument_inside_a_client_block(
    placed: Place, linstor_emulator: Emulator
) -> None:
    await placed()
    async with Client(linstor_emulator.url, poll_interval=0.02, max_poll_interval=0.2):
        foo = Resource("foo")  # uses the task's active client
        await foo.snapshot("s1")
        await foo.rollback("s1")
    assert foo.diskful_nodes == ["node-1", "node-2"]


async def test_injected_rollback_error_and_restore_onto_an_offline_node(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(500, message="rollback broke"), method="POST", path="-rollback/")
    )
    with pytest.raises(ApiCallError, match="rollback broke"):
        await foo.rollback("s1")
    linstor_emulator.clear_faults()
    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ConvergenceTimeout) as timed_out:
        await snap.restore("bar", timeout=0.3)
    assert "satellite offline" in str(timed_out.value)
    assert "node-2" in {lag.node for lag in timed_out.value.laggards}
