"""The controller version is checked once per client, before its first other request."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from client_fakes import CREATED_RC, FakeController, fast_client

from aiolinstor import Resource
from aiolinstor._errors import (
    ConnectError,
    ControllersUnavailable,
    ProtocolError,
    UnsupportedControllerError,
)

VERSION = "/v1/controller/version"
RD_LIST = "/v1/resource-definitions"
REST_API_2 = {"version": "9.0.0", "rest_api_version": "2.0.0"}


async def test_autoplace_against_rest_api_2_sends_no_write(fake: FakeController) -> None:
    fake.on("GET", VERSION, REST_API_2)
    fake.on("GET", RD_LIST, [])
    fake.on("POST", f"{RD_LIST}/rsc1/autoplace", [CREATED_RC], status=201)
    async with fast_client(fake.url) as client:
        with pytest.raises(UnsupportedControllerError, match=r"2\.0\.0"):
            await Resource("rsc1", client=client).autoplace()
    assert fake.paths("POST") == []
    assert fake.paths() == [VERSION]


async def test_create_against_rest_api_2_sends_no_write(fake: FakeController) -> None:
    fake.on("GET", VERSION, REST_API_2)
    fake.on("POST", RD_LIST, [CREATED_RC], status=201)
    async with fast_client(fake.url) as client:
        with pytest.raises(UnsupportedControllerError, match=r"REST API 1\.x"):
            await client.create_resource_definition("rsc1")
        # Not cached as a success: the next request checks (and refuses) again.
        with pytest.raises(UnsupportedControllerError):
            await client.create_resource_definition("rsc1")
    assert fake.paths("POST") == []


async def test_event_stream_against_rest_api_2_is_not_opened(fake: FakeController) -> None:
    fake.on("GET", VERSION, REST_API_2)
    async with fast_client(fake.url) as client:
        with pytest.raises(UnsupportedControllerError):
            async for _ in client.node_events():
                pass
    assert fake.paths() == [VERSION]


async def test_concurrent_first_requests_share_one_version_read(fake: FakeController) -> None:
    async def slow_version(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)  # keep the read in flight while the others arrive
        return web.json_response({"version": "1.29.0", "rest_api_version": "1.28.0"})

    fake.on("GET", VERSION, handler=slow_version)
    fake.on("GET", "/v1/nodes", [])
    async with fast_client(fake.url) as client:
        await asyncio.gather(*(client.list_nodes() for _ in range(100)))
        await client.list_nodes()
        await client.controller_version()
    assert fake.paths().count(VERSION) == 1
    assert fake.paths().count("/v1/nodes") == 101
    assert fake.paths()[0] == VERSION


async def test_version_404_is_unsupported_controller(fake: FakeController) -> None:
    fake.on("GET", VERSION, body=b"Not Found", status=404, content_type="text/plain")
    fake.on("GET", "/v1/nodes", [])
    async with fast_client(fake.url) as client:
        with pytest.raises(UnsupportedControllerError, match="too old") as info:
            await client.list_nodes()
    assert fake.url in str(info.value)
    assert "/v1/nodes" not in fake.paths()


async def test_unreachable_version_is_the_transport_error(dead_url: str) -> None:
    async with fast_client(dead_url, retries=0) as client:
        with pytest.raises(ControllersUnavailable) as info:
            await client.list_nodes()
    ((url, why),) = info.value.failures
    assert url == dead_url
    assert isinstance(why, ConnectError)


async def test_failed_version_read_is_read_again(fake: FakeController) -> None:
    answers = [
        web.json_response({"version": "x", "rest_api_version": "one"}),
        web.json_response({"version": "1.29.0", "rest_api_version": "1.28.0"}),
    ]

    async def version(request: web.Request) -> web.StreamResponse:
        return answers.pop(0)

    fake.on("GET", VERSION, handler=version)
    fake.on("GET", "/v1/nodes", [])
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match="rest_api_version"):
            await client.list_nodes()
        assert await client.list_nodes() == []
        assert await client.list_nodes() == []
    assert fake.paths() == [VERSION, VERSION, "/v1/nodes", "/v1/nodes"]


async def test_control_paths_are_not_checked(fake: FakeController) -> None:
    fake.on("GET", VERSION, REST_API_2)
    fake.on("GET", "/_emulator/stats", {"requests": 0})
    async with fast_client(fake.url) as client:
        answer = await client._transport.request("GET", "/_emulator/stats")
    assert answer.data == {"requests": 0}
    assert fake.paths() == ["/_emulator/stats"]


async def test_explicit_version_read_is_the_check(fake: FakeController) -> None:
    fake.on("GET", "/v1/nodes", [])
    async with fast_client(fake.url) as client:
        version = await client.controller_version()
        await client.list_nodes()
        assert await client.controller_version() is version
    assert fake.paths() == [VERSION, "/v1/nodes"]
