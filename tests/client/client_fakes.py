"""Small fake LINSTOR controllers (real aiohttp servers on 127.0.0.1, port 0) for client tests.

A :class:`FakeController` records every request it sees (method, path, query, headers, JSON
body, TLS peer certificate) and answers from a script: per (method, path) a canned answer or a
handler coroutine. Unscripted ``GET /v1/controller/version`` answers a modern version.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from aiolinstor._client import Client

SHARED_DIR = Path(
    os.environ.get("AIOLINSTOR_SHARED_DIR", Path(__file__).resolve().parents[2] / ".." / "shared")
)
SAMPLES_DIR = SHARED_DIR / "linstor-rest" / "samples"

VERSION_BODY = {
    "version": "1.29.0",
    "git_hash": "0123456789abcdef",
    "build_time": "2026-01-01T00:00:00+00:00",
    "rest_api_version": "1.28.0",
}
CREATED_RC = {"ret_code": 20447233, "message": "created", "obj_refs": {"RscDfn": "x"}}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Recorded:
    """One request as the fake controller saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    peer_cert: dict[str, Any] | None = None


@dataclass
class FakeController:
    """A scripted controller; start it with :meth:`start`, stop it with :meth:`stop`."""

    ssl_context: ssl.SSLContext | None = None
    requests: list[Recorded] = field(default_factory=list)
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def on(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        status: int = 200,
        handler: Handler | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Script the answer to ``method path``: JSON ``payload``, raw ``body`` or a handler."""
        if handler is None:

            async def canned(request: web.Request) -> web.StreamResponse:
                if body is not None:
                    return web.Response(body=body, status=status, content_type=content_type)
                return web.json_response(payload, status=status)

            handler = canned
        self.routes[(method.upper(), path)] = handler

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        self.requests.append(
            Recorded(
                method=request.method,
                path=request.path,
                query=list(request.query.items()),
                headers=dict(request.headers),
                body=parsed,
                raw_body=raw,
                peer_cert=peer,
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            handler = self.routes.get((request.method, request.path))
            if handler is not None:
                return await handler(request)
            if request.method == "GET" and request.path == "/v1/controller/version":
                return web.json_response(VERSION_BODY)
            return web.json_response(
                [{"ret_code": -4611686018427387904, "message": f"unscripted {request.path}"}],
                status=500,
            )
        finally:
            self.in_flight -= 1

    async def start(self) -> FakeController:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def hang(controller: FakeController) -> Handler:
    """A handler that never answers until the controller stops (bounded at 30 s)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(controller.release.wait(), 30)
        return web.json_response([])

    return handler


async def reset_connection(request: web.Request) -> web.StreamResponse:
    """Read the request, then drop the connection without answering."""
    assert request.transport is not None
    request.transport.close()
    raise asyncio.CancelledError


def fast_client(controllers: str | list[str], **kwargs: Any) -> Client:
    """A client with quick backoff and short timeouts, for tests."""
    kwargs.setdefault("retry_backoff", 0.001)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("connect_timeout", 2.0)
    kwargs.setdefault("retries", 2)
    return Client(controllers, **kwargs)
