"""Resync progress (watch_sync) and a stalled resync, with a resync that takes about a second."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import pytest
from hl_helpers import assert_settled, replicas

from aiolinstor._client import Client
from aiolinstor._errors import ConvergenceTimeout
from aiolinstor._resource import Resource
from aiolinstor._volume import SyncProgress, Volume
from aiolinstor.emulator import Emulator, Timing

pytestmark = pytest.mark.emulator_only


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"nodes": 3, "timing": Timing(speed=100.0, sync_s=100.0)}  # resync: 1 s


async def placed(client: Client) -> tuple[Resource, str]:
    res = Resource("foo", client=client)
    res.volumes[0] = Volume("1 GiB")
    res.placement.redundancy = 2
    await res.autoplace()
    return res, next(n for n in ("node-1", "node-2", "node-3") if n not in res.nodes)


async def test_watch_sync_reports_progress_until_uptodate(emu: Emulator, client: Client) -> None:
    res, joining = await placed(client)
    await res.make_diskful(joining, wait=False)
    snapshots: list[tuple[SyncProgress, ...]] = []
    async for snapshot in res.watch_sync(timeout=30):
        snapshots.append(snapshot)
    progress = [
        p.done_percentage for s in snapshots for p in s if p.node == joining and p.volume == 0
    ]
    assert progress[-1] == 100.0
    assert any(p is not None and 0 < p < 100 for p in progress), progress
    numbers = [p for p in progress if p is not None]
    assert numbers == sorted(numbers)  # progress only goes forward
    assert {p.node for p in snapshots[-1]} == {joining, *res.diskful_nodes}
    assert all(p.disk_state == "UpToDate" for p in snapshots[-1])
    assert_settled(emu, "foo", diskful=3)


async def test_stalled_resync_times_out_with_its_progress(emu: Emulator, client: Client) -> None:
    res, joining = await placed(client)
    emu.set_speed(joining, 0.05)  # a slow resync (20 s), so that it is surely caught midway
    await res.make_diskful(joining, wait=False)
    async with aclosing(res.watch_sync(timeout=30)) as progress:
        async for snapshot in progress:
            mine = [p for p in snapshot if p.node == joining]
            if mine and mine[0].done_percentage and mine[0].done_percentage > 0:
                break
    emu.set_speed(joining, 0)  # the resync stops where it is
    with pytest.raises(ConvergenceTimeout) as caught:
        await res.make_diskful(joining, timeout=0.5)
    (lag,) = [lag for lag in caught.value.laggards if lag.node == joining]
    frozen = replicas(emu, "foo")[joining]["volumes"][0]
    assert lag.disk_state == frozen["disk_state"] == "Inconsistent"
    assert lag.replication_state is not None and lag.replication_state.startswith("SyncTarget")
    assert lag.done_percentage is not None and lag.done_percentage == pytest.approx(
        frozen["done_percentage"], abs=0.01
    )
    assert 0 < lag.done_percentage < 100
    assert f"{lag.done_percentage:.1f}%" in str(caught.value)

    with pytest.raises(ConvergenceTimeout) as caught:
        async for _ in res.watch_sync(timeout=0.3):
            pass
    assert [lag.node for lag in caught.value.laggards] == [joining]

    emu.set_speed(joining, 1)
    await res.make_diskful(joining)  # retried after the timeout: resumes, completes
    assert_settled(emu, "foo", diskful=3)
