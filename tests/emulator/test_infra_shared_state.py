"""Two emulators over one state: two controllers of one cluster (for fail-over tests)."""

from __future__ import annotations

import pytest

import aiolinstor
from aiolinstor.emulator import Emulator, Timing

pytestmark = pytest.mark.emulator_only


async def test_second_emulator_serves_the_same_cluster_after_the_first_stops() -> None:
    async with (
        Emulator(nodes=3, timing=Timing.fast()) as first,
        Emulator(state=first.state) as second,
    ):
        assert second.state is first.state and second.url != first.url
        async with aiolinstor.Client([first.url, second.url], retries=2) as client:
            await client.create_resource_definition("shared")
            await first.stop()  # the active controller goes away
            assert [rd.name for rd in await client.list_resource_definitions()] == ["shared"]
            assert len(await client.list_nodes()) == 3
        assert "GET /v1/nodes" not in first.request_counts()  # counters stay per emulator
        assert second.request_counts()["GET /v1/nodes"] == 1
