"""Server-sent events: node and promotion streams, keep-alive, clean end on shutdown."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from aiolinstor.emulator import Emulator, Timing

pytestmark = pytest.mark.emulator_only

TIMEOUT = aiohttp.ClientTimeout(total=None, sock_read=10)


async def _next_event(response: aiohttp.ClientResponse) -> tuple[str, Any] | None:
    """The next event (name, data) of a stream, None at its end; comments are skipped."""
    name, data = "", ""
    while True:
        raw = await response.content.readline()
        if not raw:
            return None
        line = raw.decode().rstrip("\n")
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "" and name:
            return name, json.loads(data)


async def _create_replicated_resource(http: aiohttp.ClientSession, name: str) -> None:
    for path, body, status in [
        ("/v1/resource-definitions", {"resource_definition": {"name": name}}, 201),
        (
            f"/v1/resource-definitions/{name}/volume-definitions",
            {"volume_definition": {"size_kib": 4096}},
            200,
        ),
        (f"/v1/resource-definitions/{name}/autoplace", {"select_filter": {"place_count": 2}}, 201),
    ]:
        async with http.post(path, json=body) as response:
            assert response.status == status, await response.text()


async def test_node_events_report_offline_and_online(linstor_emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession(linstor_emulator.url, timeout=TIMEOUT) as http,
        http.get("/v1/events/nodes") as stream,
    ):
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        async with http.post("/_emulator/nodes/node-2/offline") as response:
            assert response.status == 200
        name, data = await _next_event(stream) or ("", {})
        assert name == "node-modified"
        assert data["old_node"]["name"] == "node-2"
        assert data["old_node"]["connection_status"] == "ONLINE"
        assert data["new_node"]["connection_status"] == "OFFLINE"
        linstor_emulator.set_online("node-2", True)
        name, data = await _next_event(stream) or ("", {})
        assert name == "node-modified"
        assert data["new_node"]["connection_status"] == "ONLINE"


async def test_node_events_report_create_and_delete(linstor_emulator: Emulator) -> None:
    new_node = {
        "name": "node-9",
        "type": "Satellite",
        "net_interfaces": [{"name": "default", "address": "127.0.0.9", "satellite_port": 3366}],
    }
    async with (
        aiohttp.ClientSession(linstor_emulator.url, timeout=TIMEOUT) as http,
        http.get("/v1/events/nodes") as stream,
    ):
        async with http.post("/v1/nodes", json=new_node) as response:
            assert response.status == 201, await response.text()
        created = await _next_event(stream)
        async with http.delete("/v1/nodes/node-9") as response:
            assert response.status == 200, await response.text()
        deleted = await _next_event(stream)
    assert created is not None and created[0] == "node-create"
    assert created[1]["node"]["name"] == "node-9"
    assert deleted is not None and deleted[0] == "node-delete"
    assert deleted[1]["node"]["name"] == "node-9"


async def test_promotion_stream_starts_with_current_state(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url, timeout=TIMEOUT) as http:
        await _create_replicated_resource(http, "rsc1")
        headers = {"Last-Event-ID": "current"}
        async with http.get("/v1/events/drbd/promotion", headers=headers) as stream:
            first = await _next_event(stream)
            second = await _next_event(stream)
    events = sorted([first, second], key=lambda e: e[1]["node_name"] if e else "")
    assert all(e is not None and e[0] == "may-promote-change" for e in events)
    assert {e[1]["resource_name"] for e in events if e} == {"rsc1"}
    assert all(set(e[1]) == {"resource_name", "node_name", "may_promote"} for e in events if e)


async def test_keepalive_comments_and_clean_end_on_shutdown() -> None:
    emulator = Emulator(nodes=1, timing=Timing.fast(), sse_keepalive_s=0.05)
    async with emulator, aiohttp.ClientSession(emulator.url, timeout=TIMEOUT) as http:
        stream = await http.get("/v1/events/nodes")
        assert await stream.content.readline() == b": keep-alive\n"
        assert emulator.services.streams.open_streams == 1
        await emulator.stop()
        rest = await stream.content.read()  # ends (EOF) instead of hanging
        assert b"event:" not in rest
        stream.release()
    assert emulator.services.streams.open_streams == 0


async def test_leaving_the_emulator_block_ends_open_streams() -> None:
    async with Emulator(nodes=1, timing=Timing.fast()) as emulator:
        http = aiohttp.ClientSession(emulator.url, timeout=TIMEOUT)
        stream = await http.get("/v1/events/drbd/promotion")
        assert stream.status == 200
    assert await stream.content.read() == b""
    stream.release()
    await http.close()


async def test_promotion_changes_are_streamed_as_they_happen_without_requests() -> None:
    # Satellite state changes lazily; the stream must advance it by itself, so a replica
    # finishing its deployment is reported even when no other request arrives meanwhile.
    async with (
        Emulator(nodes=2, timing=Timing(speed=20.0)) as emulator,
        aiohttp.ClientSession(emulator.url, timeout=TIMEOUT) as http,
        http.get("/v1/events/drbd/promotion") as stream,
    ):
        emulator.state.add_resource("lazy1", "64 MiB", ["node-1", "node-2"], instant=False)
        event = await _next_event(stream)
    assert event is not None and event[0] == "may-promote-change"
    assert event[1]["resource_name"] == "lazy1"
