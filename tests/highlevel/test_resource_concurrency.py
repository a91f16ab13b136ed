"""One client serves many resources at once; their waits share one poll per tick."""

from __future__ import annotations

import anyio
import pytest
from hl_helpers import assert_settled, definitions

from aiolinstor._client import Client
from aiolinstor._resource import Resource
from aiolinstor._volume import Volume
from aiolinstor._waits import watcher_for
from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only

COUNT = 100
VIEW = "GET /v1/view/resources"


async def test_hundred_resources_autoplaced_concurrently(emu: Emulator) -> None:
    # default tick bounds (0.25 s .. 2 s) and a small bound on requests in flight
    async with Client(emu.url, max_concurrency=8) as client:
        names = [f"vol{i:03d}" for i in range(COUNT)]

        async def place(name: str) -> None:
            res = Resource(name, client=client)
            res.volumes[0] = Volume("16 MiB")
            res.placement.redundancy = 2
            await res.autoplace()
            assert len(res.diskful_nodes) == 2

        async with anyio.create_task_group() as tg:
            for name in names:
                tg.start_soon(place, name)

        assert sorted(definitions(emu)) == names
        for name in names:
            assert_settled(emu, name, diskful=2)

        watcher = watcher_for(client)
        views = emu.request_counts()[VIEW]
        # A new resource's autoplace reads view/resources only through its wait: every read of
        # it was one shared watcher tick.
        assert views == watcher.fetch_count
        # O(1) per tick, not O(N): far fewer polls than waits (each wait needs at least one
        # fresh observation, so per-waiter polling would need >= COUNT of them)
        assert 1 <= watcher.fetch_count < COUNT // 2
        assert watcher.active_subscriptions == 0
