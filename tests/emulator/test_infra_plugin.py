"""The pytest plugin's fixtures: linstor_emulator (+ marker and options) and linstor_client."""

from __future__ import annotations

from typing import Any

import pytest

from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only

pytest_plugins = ["pytester"]


async def test_emulator_fixture_runs_a_fast_default_cluster(linstor_emulator: Emulator) -> None:
    assert linstor_emulator.running
    assert linstor_emulator.url.startswith("http://127.0.0.1:")
    assert linstor_emulator.state.timing.speed == 100.0
    assert [n.name for n in linstor_emulator.state.spec.nodes] == ["node-1", "node-2", "node-3"]


@pytest.mark.linstor_emulator(nodes=5, pool_size="10 GiB", seed=4)
async def test_marker_configures_the_emulator(linstor_emulator: Emulator) -> None:
    spec = linstor_emulator.state.spec
    assert len(spec.nodes) == 5
    assert {p.size_kib for n in spec.nodes for p in n.pools} == {10 * 1024 * 1024}
    assert linstor_emulator.state.seed == 4


async def test_client_fixture_talks_to_the_emulator(
    linstor_emulator: Emulator, linstor_client: Any
) -> None:
    version = await linstor_client.controller_version()
    assert version.rest_api_version.startswith("1.")
    assert linstor_client.controllers == [linstor_emulator.url]
    assert linstor_emulator.request_counts().get("GET /v1/controller/version", 0) >= 1


OPTIONS_MODULE = """
import pytest

@pytest.fixture
def linstor_emulator_options():
    return {"nodes": 2, "provider_kind": "ZFS"}

async def test_options(linstor_emulator):
    kinds = {p.provider_kind for n in linstor_emulator.state.spec.nodes for p in n.pools}
    assert len(linstor_emulator.state.spec.nodes) == 2
    assert kinds == {"ZFS"}

@pytest.mark.linstor_emulator(nodes=4)
async def test_marker_wins(linstor_emulator):
    assert len(linstor_emulator.state.spec.nodes) == 4

@pytest.mark.linstor_emulator("positional")
async def test_positional_marker_is_refused(linstor_emulator):
    pass
"""


def test_options_fixture_and_marker_in_another_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=OPTIONS_MODULE)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*takes keyword arguments only*"])


WITHOUT_ASYNCIO_MODULE = """
def test_plain():
    assert True

def test_uses_the_emulator(linstor_emulator):
    pass
"""


def test_plugin_does_not_break_projects_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_project=WITHOUT_ASYNCIO_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*requested an async fixture 'linstor_emulator'*"])


@pytest.mark.linstor_emulator(basic_auth=("alice", "s3cret"))
async def test_client_fixture_logs_in_to_an_emulator_with_basic_auth(
    linstor_emulator: Emulator, linstor_client: Any
) -> None:
    assert linstor_emulator.url.startswith("http://")  # credentials over plain HTTP, allowed
    assert (await linstor_client.controller_version()).rest_api_version.startswith("1.")
    assert [n.name for n in await linstor_client.list_nodes()] == ["node-1", "node-2", "node-3"]


@pytest.mark.linstor_emulator(bearer_token="t0ken")
async def test_client_fixture_sends_the_bearer_token(linstor_client: Any) -> None:
    assert len(await linstor_client.list_nodes()) == 3
