"""A scripted controller for malformed-answer tests: replays answers recorded from the emulator,
except for the paths given a broken answer.

:func:`record_answers` runs :func:`read_flow` against a real emulator and keeps each GET
answer by path; :class:`ReplayController` serves them on 127.0.0.1 (port 0) with overrides.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from aiohttp import web

from aiolinstor import Client, Resource
from aiolinstor.emulator import Emulator, Exchange, Timing

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    status: int
    content_type: str
    body: bytes


async def read_flow(client: Client) -> None:
    """Reads of the high-level API on a placed resource ``foo`` (no writes are needed when
    the answers are right): version, nodes, pools, definitions, replicas, waits, snapshots."""
    await client.controller_version()
    await client.list_nodes()
    await client.list_storage_pools()
    res = await Resource("foo", client=client).refresh()
    await res.wait_ready(timeout=2)
    holder = res.diskful_nodes[0] if res.diskful_nodes else "node-1"
    await res.activate(holder, timeout=2)  # already there: only waits
    await res.volumes[0].resize(res.volumes[0].size, timeout=2)  # same size: only waits
    await res.snapshots()
    await res.refresh()


async def record_answers() -> dict[str, Recorded]:
    """GET answers of :func:`read_flow` against the emulator, by path."""
    answers: dict[str, Recorded] = {}

    def keep(exchange: Exchange) -> None:
        if exchange.method == "GET":
            answers[exchange.path] = Recorded(exchange.status, exchange.content_type, exchange.body)

    async with Emulator(nodes=3, timing=Timing.fast(), observers=[keep]) as emu:
        emu.state.add_resource("foo", "64 MiB", ["node-1", "node-2"])
        async with Client(emu.url, poll_interval=0.02, max_poll_interval=0.1) as client:
            await client.create_snapshot("foo", "snap1")
            await read_flow(client)
    return answers


@dataclass
class ReplayController:
    """Serves ``answers`` by path; ``overrides`` (path -> handler) win."""

    answers: dict[str, Recorded]
    overrides: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    url: str = ""

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        override = self.overrides.get(request.path)
        if override is not None:
            return await override(request)
        found = self.answers.get(request.path)
        if found is None or request.method != "GET":
            return web.json_response(
                [{"ret_code": -4611686018427387904, "message": f"not scripted: {request.path}"}],
                status=500,
            )
        return web.Response(body=found.body, status=found.status, content_type=found.content_type)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[ReplayController]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            self.url = f"http://{host}:{port}"
            yield self
        finally:
            await runner.cleanup()


def raw(body: bytes, status: int = 200, content_type: str = "application/json") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type=content_type)

    return handler


def truncated(body: bytes) -> Handler:
    """Announce the whole body, send half of it, then close the connection."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        assert request.transport is not None
        request.transport.close()
        return response

    return handler


def hanging_body(body: bytes) -> Handler:
    """Send the headers and part of the body, then nothing until the client gives up."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        with anyio.move_on_after(5):
            await asyncio.Event().wait()
        return response

    return handler
