"""Request counters: by method and canonical route, control API excluded, reset."""

from __future__ import annotations

import aiohttp
import pytest

from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only


async def test_requests_are_counted_by_canonical_route(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        for node in ("node-1", "node-2", "node-3"):
            async with http.get(f"/v1/nodes/{node}") as response:
                assert response.status == 200
        async with http.get("/v1/view/resources") as response:
            assert response.status == 200
        async with http.get("/v1/nodes") as response:
            assert response.status == 200
        async with http.get("/_emulator/state") as response:  # not counted
            assert response.status == 200
        async with http.get("/_emulator/stats") as response:
            stats = await response.json()
    assert stats["by_route"] == {
        "GET /v1/nodes": 1,
        "GET /v1/nodes/{node}": 3,
        "GET /v1/view/resources": 1,
    }
    assert stats["by_method"] == {"GET": 5}
    assert stats["total"] == 5
    assert linstor_emulator.request_counts() == stats["by_route"]


async def test_stats_reset_and_emulator_reset_start_from_zero(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        await (await http.get("/v1/nodes")).read()
        async with http.post("/_emulator/stats/reset") as response:
            assert (await response.json())["total"] == 0
        await (await http.get("/v1/controller/version")).read()
        assert linstor_emulator.request_counts() == {"GET /v1/controller/version": 1}
        async with http.post("/_emulator/reset") as response:
            assert response.status == 200
    assert linstor_emulator.stats.total == 0


async def test_unrouted_requests_count_under_their_path(linstor_emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession(linstor_emulator.url) as http,
        http.get("/v1/no-such-endpoint") as response,
    ):
        assert response.status == 404
    assert linstor_emulator.request_counts() == {"GET /v1/no-such-endpoint": 1}
