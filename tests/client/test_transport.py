"""Failover, retries, timeouts, malformed answers and lifecycle of the HTTP layer."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from client_fakes import CREATED_RC, FakeController, fast_client, hang, reset_connection

from aiolinstor._apicallrc import FAIL_EXISTS_RSC_DFN, WARN_NOT_CONNECTED, make_ret_code
from aiolinstor._client import Client, current_client, resolve_client
from aiolinstor._errors import (
    AlreadyExistsError,
    AuthenticationError,
    ControllersUnavailable,
    LinstorError,
    NoClientError,
    NotFoundError,
    ProtocolError,
    RequestTimeout,
    TransportError,
    UnsupportedControllerError,
)

RD_LIST = "/v1/resource-definitions"
#: Read once by every client before its first other request.
VERSION = "/v1/controller/version"


# --- failover ------------------------------------------------------------------------------
async def test_first_controller_refusing_fails_over_and_stays(
    dead_url: str, fake: FakeController
) -> None:
    fake.on("GET", RD_LIST, [])
    async with fast_client([dead_url, fake.url]) as client:
        assert client.active_controller == dead_url
        assert await client.list_resource_definitions() == []
        assert client.active_controller == fake.url
        await client.list_resource_definitions()
    # The first request is preceded by the client's one version read.
    assert fake.paths() == [VERSION, RD_LIST, RD_LIST]


async def test_post_fails_over_when_connection_refused(dead_url: str, fake: FakeController) -> None:
    fake.on("POST", RD_LIST, [CREATED_RC], status=201)
    async with fast_client(f"{dead_url},{fake.url}") as client:
        rcs = await client.create_resource_definition("rsc1")
    assert rcs.status == 201
    # The GET is the client's version read before its first request; the POST is sent once.
    assert [(r.method, r.path) for r in fake.requests] == [("GET", VERSION), ("POST", RD_LIST)]


async def test_first_controller_503_fails_over(fake: FakeController, fake2: FakeController) -> None:
    fake.on("GET", RD_LIST, body=b"<html>busy</html>", status=503, content_type="text/html")
    fake2.on("GET", RD_LIST, [{"name": "rsc1"}])
    async with fast_client([fake.url, fake2.url]) as client:
        found = await client.list_resource_definitions()
        assert [rd.name for rd in found] == ["rsc1"]
        assert client.active_controller == fake2.url


async def test_controller_dying_mid_run_fails_over(
    fake: FakeController, fake2: FakeController
) -> None:
    fake.on("GET", RD_LIST, [{"name": "from-first"}])
    fake2.on("GET", RD_LIST, [{"name": "from-second"}])
    async with fast_client([fake.url, fake2.url]) as client:
        assert (await client.list_resource_definitions())[0].name == "from-first"
        await fake.stop()
        assert (await client.list_resource_definitions())[0].name == "from-second"
        assert client.active_controller == fake2.url


async def test_all_controllers_down_lists_each(dead_url: str) -> None:
    other = dead_url.replace("http://", "linstor://").rsplit(":", 1)[0] + ":1"
    async with fast_client([dead_url, other], retries=1) as client:
        with pytest.raises(ControllersUnavailable) as info:
            await client.list_nodes()
    failed = [url for url, _ in info.value.failures]
    assert failed == [dead_url, "http://127.0.0.1:1"]
    assert "cannot connect" in str(info.value)
    assert isinstance(info.value, TransportError)


async def test_503_everywhere_is_retried_then_unavailable(fake: FakeController) -> None:
    fake.on("GET", "/v1/nodes", body=b"busy", status=503, content_type="text/plain")
    async with fast_client(fake.url, retries=3) as client:
        with pytest.raises(ControllersUnavailable, match="HTTP 503"):
            await client.list_nodes()
    assert fake.paths("GET").count("/v1/nodes") == 4  # besides the one version read


async def test_post_is_not_resent_after_503(fake: FakeController) -> None:
    fake.on("POST", RD_LIST, body=b"busy", status=503, content_type="text/plain")
    async with fast_client(fake.url, retries=3) as client:
        with pytest.raises(TransportError, match="not idempotent"):
            await client.create_resource_definition("rsc1")
    assert len(fake.paths("POST")) == 1


# --- retries only where safe -----------------------------------------------------------------
async def test_post_reset_after_send_is_sent_once(fake: FakeController) -> None:
    fake.on("POST", RD_LIST, handler=reset_connection)
    async with fast_client(fake.url, retries=3) as client:
        with pytest.raises(TransportError) as info:
            await client.create_resource_definition("rsc1")
    assert not isinstance(info.value, ControllersUnavailable)
    assert len(fake.paths("POST")) == 1


async def test_get_reset_is_retried(fake: FakeController) -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls < 3:
            return await reset_connection(request)
        return web.json_response([{"name": "n1", "type": "SATELLITE"}])

    fake.on("GET", "/v1/nodes", handler=flaky)
    async with fast_client(fake.url, retries=3) as client:
        nodes = await client.list_nodes()
    assert [n.name for n in nodes] == ["n1"]
    assert fake.paths("GET").count("/v1/nodes") == 3  # besides the one version read


async def test_put_and_delete_are_retried_after_reset(fake: FakeController) -> None:
    seen: dict[str, int] = {}

    async def flaky(request: web.Request) -> web.StreamResponse:
        seen[request.method] = seen.get(request.method, 0) + 1
        if seen[request.method] == 1:
            return await reset_connection(request)
        return web.json_response([CREATED_RC])

    fake.on("PUT", f"{RD_LIST}/rsc1", handler=flaky)
    fake.on("DELETE", f"{RD_LIST}/rsc1", handler=flaky)
    async with fast_client(fake.url) as client:
        await client.modify_resource_definition("rsc1", override_props={"Aux/a": "b"})
        await client.delete_resource_definition("rsc1")
    assert seen == {"PUT": 2, "DELETE": 2}


async def test_retries_are_bounded(fake: FakeController) -> None:
    fake.on("GET", "/v1/nodes", handler=reset_connection)
    async with fast_client(fake.url, retries=2) as client:
        with pytest.raises(ControllersUnavailable, match="connection broke"):
            await client.list_nodes()
    # Three rounds; aiohttp itself re-sends an idempotent request once on a dropped connection.
    assert fake.paths("GET").count("/v1/nodes") in (3, 6)


# --- timeouts --------------------------------------------------------------------------------
async def test_server_that_never_answers_times_out(fake: FakeController) -> None:
    """A GET that times out is retried like an unreachable controller: retries + 1 attempts,
    then the RequestTimeout of the last one."""
    fake.on("GET", "/v1/nodes", handler=hang(fake))
    async with fast_client(fake.url, timeout=0.3, retries=3) as client:
        await client.controller_version()  # read first, so that only /v1/nodes hangs
        with pytest.raises(RequestTimeout) as info:
            await client.list_nodes()
    assert type(info.value) is RequestTimeout
    assert isinstance(info.value, TimeoutError)
    assert "0.3 s" in str(info.value)
    assert fake.paths("GET").count("/v1/nodes") == 4


async def test_semaphore_bounds_requests_in_flight(fake: FakeController) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.02)
        return web.json_response([])

    fake.on("GET", "/v1/nodes", handler=slow)
    async with fast_client(fake.url, max_concurrency=3) as client:
        await asyncio.gather(*(client.list_nodes() for _ in range(12)))
    assert fake.paths("GET").count("/v1/nodes") == 12
    assert 1 <= fake.max_in_flight <= 3


# --- answers -----------------------------------------------------------------------------------
async def test_html_answer_is_protocol_error(fake: FakeController) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    fake.on("GET", "/v1/nodes", body=page, status=200, content_type="text/html")
    fake.on("POST", RD_LIST, body=page, status=500, content_type="text/html")
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError) as info:
            await client.list_nodes()
        assert "GET /v1/nodes" in str(info.value)
        assert "HTTP 200" in str(info.value)
        assert "502 Bad Gateway" in str(info.value)
        with pytest.raises(ProtocolError, match="HTTP 500"):
            await client.create_resource_definition("rsc1")


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b'[{"name": "n1"', "not JSON"),
        (b'{"name": "n1"}', "expected a JSON list"),
        (b'[{"name": 5}]', "Node.name must be a string"),
        (b'[{"name": "n1", "flags": "DELETE"}]', "Node.flags must be a list of strings"),
        (b'[{"name": "n1", "props": {"a": 1}}]', "Node.props"),
        (b'["n1"]', "Node must be a JSON object"),
    ],
)
async def test_wrong_shapes_are_protocol_errors(
    fake: FakeController, payload: bytes, match: str
) -> None:
    fake.on("GET", "/v1/nodes", body=payload)
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match=match):
            await client.list_nodes()


async def test_wrong_apicallrc_shape_is_protocol_error(fake: FakeController) -> None:
    fake.on("POST", RD_LIST, [{"ret_code": "1", "message": "x"}], status=201)
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match="ret_code"):
            await client.create_resource_definition("rsc1")


async def test_truncated_body_is_protocol_error(fake: FakeController) -> None:
    async def truncated(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'[{"name": "n1", "ty')
        assert request.transport is not None
        request.transport.close()
        return response

    fake.on("GET", "/v1/nodes", handler=truncated)
    async with fast_client(fake.url, retries=0) as client:
        with pytest.raises(ProtocolError, match="truncated"):
            await client.list_nodes()


async def test_body_over_the_cap_is_protocol_error(fake: FakeController) -> None:
    fake.on("GET", "/v1/nodes", body=b"[" + b" " * 4096 + b"]")
    async with fast_client(fake.url) as client:
        client._transport.max_body_size = 1024
        with pytest.raises(ProtocolError, match="exceeds the limit"):
            await client.list_nodes()


async def test_redirect_is_not_followed(fake: FakeController) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("https://elsewhere.example/v1/nodes")

    fake.on("GET", "/v1/nodes", handler=redirect)
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match="redirect"):
            await client.list_nodes()
    assert fake.paths() == [VERSION, "/v1/nodes"]  # the version read comes first


async def test_error_entries_raise_and_warnings_are_returned_and_logged(
    fake: FakeController, caplog: pytest.LogCaptureFixture
) -> None:
    warn = make_ret_code(WARN_NOT_CONNECTED)
    fake.on(
        "POST",
        f"{RD_LIST}/rsc1/resources",
        [CREATED_RC, {"ret_code": warn, "message": "No active connection to satellite 'n2'"}],
        status=201,
    )
    exists = make_ret_code(FAIL_EXISTS_RSC_DFN)
    fake.on("POST", RD_LIST, [{"ret_code": exists, "message": "exists"}], status=500)
    caplog.set_level(logging.DEBUG, logger="aiolinstor")
    from aiolinstor._models import ResourceCreateSpec

    async with fast_client(fake.url) as client:
        rcs = await client.create_resources("rsc1", [ResourceCreateSpec("n2")])
        assert rcs.status == 201
        assert rcs.has(WARN_NOT_CONNECTED)
        assert len(rcs.warnings) == 1
        with pytest.raises(AlreadyExistsError) as info:
            await client.create_resource_definition("rsc1")
    assert info.value.status == 500
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("No active connection" in r.getMessage() for r in warnings)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("POST /v1/resource-definitions -> 500" in m for m in debug)


async def test_404_on_single_get_is_not_found(fake: FakeController) -> None:
    fake.on(
        "GET",
        "/v1/nodes/n9",
        [{"ret_code": -4611686018427387604, "message": "Node 'n9' not found."}],
        status=404,
    )
    async with fast_client(fake.url) as client:
        with pytest.raises(NotFoundError, match="Node 'n9' not found"):
            await client.get_node("n9")


async def test_401_without_json_is_authentication_error(fake: FakeController) -> None:
    fake.on("GET", "/v1/nodes", body=b"Unauthorized", status=401, content_type="text/plain")
    async with fast_client(fake.url) as client:
        with pytest.raises(AuthenticationError):
            await client.list_nodes()


# --- version -----------------------------------------------------------------------------------
async def test_version_is_read_once_and_cached(fake: FakeController) -> None:
    async with fast_client(fake.url) as client:
        first = await client.controller_version()
        second = await client.controller_version()
        await asyncio.gather(*(client.controller_version() for _ in range(5)))
    assert first is second
    assert first.api_version == (1, 28, 0)
    assert fake.paths() == [VERSION]


@pytest.mark.parametrize("api", ["2.0.0", "1.0.3", "0.9.9"])
async def test_unsupported_rest_api_is_refused(fake: FakeController, api: str) -> None:
    fake.on("GET", "/v1/controller/version", {"version": "9.9.9", "rest_api_version": api})
    async with fast_client(fake.url) as client:
        with pytest.raises(UnsupportedControllerError, match=api.replace(".", r"\.")):
            await client.controller_version()


async def test_oldest_supported_rest_api_is_accepted(fake: FakeController) -> None:
    fake.on("GET", "/v1/controller/version", {"version": "1.0.4", "rest_api_version": "1.0.4"})
    async with fast_client(fake.url) as client:
        version = await client.controller_version()
    assert version.api_version == (1, 0, 4)


async def test_garbled_version_is_protocol_error(fake: FakeController) -> None:
    fake.on("GET", "/v1/controller/version", {"version": "x", "rest_api_version": "one"})
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match="rest_api_version"):
            await client.controller_version()


# --- lifecycle and the current client ------------------------------------------------------------
async def test_closed_or_unopened_client_is_a_clear_error(fake: FakeController) -> None:
    client = fast_client(fake.url)
    with pytest.raises(LinstorError, match="not open"):
        await client.list_nodes()
    async with client:
        assert not client.closed
    with pytest.raises(LinstorError, match="closed"):
        await client.list_nodes()
    with pytest.raises(LinstorError, match="closed"):
        async with client:
            pass
    assert fake.requests == []


async def test_aclose_closes(fake: FakeController) -> None:
    client = fast_client(fake.url)
    await client.__aenter__()
    assert not client.closed
    await client.aclose()
    assert client.closed
    with pytest.raises(LinstorError, match="closed"):
        await client.controller_version()


async def test_current_client_follows_nesting(fake: FakeController) -> None:
    with pytest.raises(NoClientError):
        current_client()
    outer = fast_client(fake.url)
    inner = fast_client(fake.url)
    async with outer:
        assert current_client() is outer
        assert resolve_client(None) is outer
        assert resolve_client(inner) is inner
        async with inner:
            assert current_client() is inner

            async def in_child_task() -> Client:
                return current_client()

            assert await asyncio.create_task(in_child_task()) is inner
        assert current_client() is outer
    with pytest.raises(NoClientError):
        current_client()


async def test_user_agent_and_accept_headers(fake: FakeController) -> None:
    async with fast_client(fake.url, user_agent="tests/1.0") as client:
        await client.controller_version()
    headers = fake.requests[0].headers
    assert headers["User-Agent"] == "tests/1.0"
    assert headers["Accept"] == "application/json"
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", 0),
        ("connect_timeout", -1),
        ("max_concurrency", 0),
        ("retries", -1),
        ("poll_interval", "fast"),
    ],
)
def test_bad_client_arguments_are_named(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        Client("localhost", **{name: value})  # type: ignore[arg-type]
