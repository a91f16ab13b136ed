"""Fixtures of the lifecycle tests: the plugin's fast emulator and client, and a placed resource.

``linstor_emulator`` / ``linstor_client`` come from aiolinstor's pytest plugin (fast satellites,
short poll intervals); ``placed`` makes a resource with two UpToDate replicas through the
emulator's set-up shortcut, so each test starts from a known state without waiting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from aiolinstor._client import Client
from aiolinstor._resource import Resource
from aiolinstor.emulator import Emulator

Place = Callable[..., Awaitable[Resource]]


@pytest.fixture
def placed(linstor_emulator: Emulator, linstor_client: Client) -> Place:
    """``await placed("foo", nodes=("node-1", "node-2"), size="64 MiB")`` -> a read Resource."""

    async def make(
        name: str = "foo",
        nodes: tuple[str, ...] = ("node-1", "node-2"),
        size: str = "64 MiB",
        diskless: tuple[str, ...] = (),
    ) -> Resource:
        linstor_emulator.state.add_resource(name, size, list(nodes), diskless=list(diskless))
        return await Resource(name, client=linstor_client).refresh()

    return make
