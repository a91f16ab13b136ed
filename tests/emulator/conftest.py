"""Fixtures for the emulator core tests: an EmulatorState served by aiohttp's test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer
from core_helpers import CoreApi

from aiolinstor.emulator._server import create_app
from aiolinstor.emulator._spec import ClusterSpec, Timing
from aiolinstor.emulator._state import EmulatorState


@pytest.fixture
def core_spec() -> ClusterSpec:
    """The cluster the core fixtures start with (override per module)."""
    return ClusterSpec.default(3)


#: Fast satellites, but a generous bound on the ready wait so that a loaded machine does not
#: turn "ready" into the timeout warning (tests of the warning use ``Timing.fast()`` itself).
CORE_TIMING = replace(Timing.fast(), ready_timeout_s=300.0)


@pytest.fixture
def core_state(core_spec: ClusterSpec) -> EmulatorState:
    return EmulatorState(core_spec, timing=CORE_TIMING)


@pytest.fixture
async def core_api(core_state: EmulatorState) -> AsyncIterator[CoreApi]:
    app = create_app(core_state)  # every answer is also checked against the OpenAPI spec
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield CoreApi(client)
