"""Fixtures of the reliability tests: a fast emulator, a standby controller over the same state,
and a client with short timeouts and back-offs.

Two :class:`~aiolinstor.emulator.Emulator` front-ends over one ``EmulatorState`` model two
LINSTOR controllers of one HA cluster sharing their database: what one does, the other sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from aiolinstor import Client
from aiolinstor.emulator import Emulator, Timing

#: Client settings that suit the fast emulator: quick polls, short timeouts, tiny back-off.
FAST_CLIENT: dict[str, Any] = {
    "poll_interval": 0.02,
    "max_poll_interval": 0.2,
    "timeout": 3.0,
    "connect_timeout": 1.0,
    "retry_backoff": 0.005,
    "wait_timeout": 20.0,
}


def fast_client(controllers: str | list[str], **options: Any) -> Client:
    """A Client with :data:`FAST_CLIENT` settings (``options`` win)."""
    return Client(controllers, **{**FAST_CLIENT, **options})


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    """Keyword arguments of the ``emu`` fixture's Emulator; override in a module to change."""
    return {"nodes": 3, "timing": Timing.fast()}


@pytest_asyncio.fixture
async def emu(emulator_options: dict[str, Any]) -> AsyncIterator[Emulator]:
    async with Emulator(**emulator_options) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def standby(emu: Emulator) -> AsyncIterator[Emulator]:
    """A second controller front-end over ``emu``'s state (its own faults and counters)."""
    async with Emulator(state=emu.state) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def client(emu: Emulator) -> AsyncIterator[Client]:
    async with fast_client(emu.url) as opened:
        yield opened
