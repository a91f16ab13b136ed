"""Fixtures of the high-level API tests: an emulator with fast satellites and a client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from aiolinstor._client import Client
from aiolinstor.emulator import Emulator, Timing

#: Tick bounds that suit the fast emulator (its satellites work 100x faster than real ones).
FAST_POLL: dict[str, Any] = {"poll_interval": 0.02, "max_poll_interval": 0.2}


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """Keyword arguments of the ``emu`` fixture's Emulator; override in a module to change."""
    return {"nodes": 3, "timing": Timing.fast()}


@pytest_asyncio.fixture
async def emu(emulator_options: dict[str, Any]) -> AsyncIterator[Emulator]:
    async with Emulator(**emulator_options) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def client(emu: Emulator) -> AsyncIterator[Client]:
    async with Client(emu.url, **FAST_POLL) as opened:
        yield opened
