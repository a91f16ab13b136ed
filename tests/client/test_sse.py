"""Server-sent event streams: parsing, errors, ends, closing and failover."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from aiohttp import web
from client_fakes import FakeController, Handler, fast_client

from aiolinstor._apicallrc import FAIL_NOT_FOUND_NODE, make_ret_code
from aiolinstor._errors import ApiCallError, NotFoundError, ProtocolError, TransportError
from aiolinstor._sse import Event, SseParser

NODE_EVENTS = "/v1/events/nodes"
PROMOTION = "/v1/events/drbd/promotion"


def streaming(*chunks: bytes, cut: bool = False) -> Handler:
    """A handler that writes ``chunks`` and ends (or drops the connection when ``cut``)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
        if cut:
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    return handler


def sse(name: str, data: object, event_id: str | None = None) -> bytes:
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data)}")
    return ("\n".join(lines) + "\n\n").encode()


async def test_node_events_are_parsed(fake: FakeController) -> None:
    fake.on(
        "GET",
        NODE_EVENTS,
        handler=streaming(
            b": keepalive\n\n",
            sse("node-create", {"node": {"name": "n1"}}, event_id="1"),
            b'event: node-modified\ndata: {"old_node": {"name": "n1"},\n',
            b'data:  "new_node": {"name": "n1", "flags": ["EVACUATE"]}}\r\n\r\n',
            b"retry: 1000\n\n",
        ),
    )
    async with fast_client(fake.url) as client:
        events = [e async for e in client.node_events()]
    assert events == [
        Event("node-create", {"node": {"name": "n1"}}, "1"),
        Event(
            "node-modified",
            {"old_node": {"name": "n1"}, "new_node": {"name": "n1", "flags": ["EVACUATE"]}},
            "1",
        ),
    ]


async def test_promotion_events_ask_for_current_state(fake: FakeController) -> None:
    payload = {"resource_name": "rsc1", "node_name": "n1", "may_promote": True}
    fake.on("GET", PROMOTION, handler=streaming(sse("may-promote-change", payload)))
    async with fast_client(fake.url) as client:
        first = [e async for e in client.promotion_events()]
        second = [e async for e in client.promotion_events(current=False)]
    assert first == second == [Event("may-promote-change", payload)]
    # The first request is the client's version read, before the first stream is opened.
    version, current, plain = fake.requests
    assert version.path == "/v1/controller/version"
    assert current.headers.get("Last-Event-ID") == "current"
    assert "Last-Event-ID" not in plain.headers


async def test_error_event_raises_api_call_error(fake: FakeController) -> None:
    rc = {"ret_code": make_ret_code(FAIL_NOT_FOUND_NODE), "message": "no such node"}
    fake.on("GET", NODE_EVENTS, handler=streaming(sse("error", [rc])))
    async with fast_client(fake.url) as client:
        stream = client.node_events()
        with pytest.raises(NotFoundError, match="no such node"):
            await stream.__anext__()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()


async def test_stream_ended_mid_event_is_transport_error(fake: FakeController) -> None:
    fake.on(
        "GET",
        NODE_EVENTS,
        handler=streaming(sse("node-create", {"node": {}}), b'event: node-delete\ndata: {"no'),
    )
    async with fast_client(fake.url) as client:
        received: list[Event] = []
        with pytest.raises(TransportError, match="middle of an event") as info:
            async for event in client.node_events():
                received.append(event)
    assert type(info.value) is TransportError
    assert [e.name for e in received] == ["node-create"]


async def test_stream_dropped_mid_event_raises(fake: FakeController) -> None:
    fake.on(
        "GET",
        NODE_EVENTS,
        handler=streaming(b'event: node-delete\ndata: {"no', cut=True),
    )
    async with fast_client(fake.url) as client:
        with pytest.raises(TransportError) as info:
            async for _ in client.node_events():
                pass
    assert type(info.value) is TransportError


async def test_bad_event_data_is_protocol_error(fake: FakeController) -> None:
    fake.on("GET", NODE_EVENTS, handler=streaming(b"event: node-create\ndata: not json\n\n"))
    async with fast_client(fake.url) as client:
        with pytest.raises(ProtocolError, match="no JSON"):
            async for _ in client.node_events():
                pass


async def test_closing_the_stream_releases_the_connection(fake: FakeController) -> None:
    client_gone = asyncio.Event()

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for number in range(2000):
                await response.write(sse("node-create", {"node": {"n": number}}))
                await asyncio.sleep(0.005)
        except (ConnectionResetError, RuntimeError, OSError):
            client_gone.set()
        finally:
            if request.transport is None or request.transport.is_closing():
                client_gone.set()
        return response

    fake.on("GET", NODE_EVENTS, handler=endless)
    async with fast_client(fake.url) as client:
        async with contextlib.aclosing(client.node_events()) as events:
            async for event in events:
                if event.data["node"]["n"] == 2:
                    break
        await asyncio.wait_for(client_gone.wait(), 10)
        async with client.node_events() as again:
            first = await again.__anext__()
            assert first.data["node"]["n"] == 0
        assert [e async for e in again] == []


async def test_stream_fails_over_and_raises_for_http_errors(
    fake: FakeController, dead_url: str
) -> None:
    fake.on("GET", NODE_EVENTS, handler=streaming(sse("node-create", {"node": {}})))
    fake.on(
        "GET",
        PROMOTION,
        [{"ret_code": -4611686018427387904, "message": "events disabled"}],
        status=500,
    )
    async with fast_client([dead_url, fake.url]) as client:
        assert [e.name async for e in client.node_events()] == ["node-create"]
        assert client.active_controller == fake.url
        with pytest.raises(ApiCallError, match="events disabled"):
            async for _ in client.promotion_events():
                pass


def test_parser_edge_cases() -> None:
    parser = SseParser("GET", "/x")
    assert parser.feed(": comment\n") is None
    assert parser.feed("\n") is None  # blank line with nothing pending
    assert parser.feed("event: only-a-name\n") is None
    assert parser.feed("\n") is None  # an event without data is not dispatched
    assert parser.feed('data:{"a":1}') is None
    assert parser.feed("") == Event("message", {"a": 1})
    parser.finish()
    parser.feed("data: [1, 2]\n")
    with pytest.raises(ProtocolError, match="JSON object"):
        parser.feed("\n")
    parser.feed("event: x\n")
    with pytest.raises(TransportError, match="middle of an event") as info:
        parser.finish()
    assert type(info.value) is TransportError
