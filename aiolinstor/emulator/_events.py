"""Server-sent event streams: ``/v1/events/nodes`` and ``/v1/events/drbd/promotion``.

The real controller has exactly these two streams. Events come from the emulator state's
listeners (:meth:`EmulatorState.add_listener`) and are written as ``event: <name>`` plus one
``data:`` line of JSON. A comment line (``: keep-alive``) is sent when a stream was quiet for
``keepalive_s`` seconds; it also notices clients that went away. With the request header
``Last-Event-ID: current`` the promotion stream starts with the current ``may_promote`` of every
DRBD resource. Every stream ends cleanly (end of body) when the emulator shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from aiohttp import web

__all__ = ["NODE_EVENTS", "PROMOTION_EVENTS", "EventStreams", "add_event_routes"]

log = logging.getLogger("aiolinstor.emulator")

NODE_EVENTS = frozenset(
    {
        "node-create",
        "node-delete",
        "node-modified",
        "node-evacuate",
        "node-evicted",
        "node-restored",
    }
)
PROMOTION_EVENTS = frozenset({"may-promote-change"})
#: Longest pause of a stream between two looks at the lazily simulated state.
RECHECK_S = 0.25

Event = tuple[str, Any]


class _StateEvent(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def data(self) -> Any: ...


Subscribe = Callable[[Callable[[Any], None]], Callable[[], None]]
#: Brings the lazily simulated state up to now and says how many seconds until it next changes.
Advance = Callable[[], float]


def format_event(name: str, data: Any) -> bytes:
    """One SSE event: its name and its JSON data on a single line."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class EventStreams:
    """The open event streams of one emulator."""

    def __init__(
        self, subscribe: Subscribe, keepalive_s: float = 15.0, advance: Advance | None = None
    ) -> None:
        if keepalive_s <= 0:
            raise ValueError(f"keepalive_s must be positive, got {keepalive_s!r}")
        self._subscribe = subscribe
        self._advance = advance
        self.keepalive_s = keepalive_s
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self._closed = False

    @property
    def open_streams(self) -> int:
        return len(self._queues)

    def close_all(self) -> None:
        """End every open stream (on shutdown); streams opened meanwhile end at once."""
        self._closed = True
        for queue in self._queues:
            queue.put_nowait(None)

    def reopen(self) -> None:
        """Accept streams again (the server started, or restarted)."""
        self._closed = False

    async def serve(
        self,
        request: web.Request,
        kinds: frozenset[str],
        initial: Callable[[], Iterable[Event]] | None = None,
    ) -> web.StreamResponse:
        """Stream the state events of ``kinds`` to the client until it leaves or we shut down."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()

        def on_event(event: _StateEvent) -> None:
            if event.kind in kinds:
                queue.put_nowait((event.kind, event.data))

        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        # Subscribe before the client sees the headers, so no event after them is missed.
        unsubscribe = self._subscribe(on_event)
        self._queues.add(queue)
        try:
            await response.prepare(request)
            if initial is not None:
                for name, data in initial():
                    await response.write(format_event(name, data))
            quiet = 0.0
            while not self._closed:
                # Satellite state changes lazily: wake when the next change is due and advance
                # the state, so its events (may-promote changes) go out when they happen.
                due = self._advance() if self._advance is not None else self.keepalive_s
                # (re-checked at least every RECHECK_S: a change may start without a request)
                wait = max(0.001, min(self.keepalive_s - quiet, due, RECHECK_S))
                try:
                    item = await asyncio.wait_for(queue.get(), wait)
                except asyncio.TimeoutError:
                    quiet += wait
                    if quiet >= self.keepalive_s:
                        quiet = 0.0
                        await response.write(b": keep-alive\n\n")
                    continue
                quiet = 0.0
                if item is None:
                    break
                await response.write(format_event(*item))
        except ConnectionResetError:
            log.debug("event stream client went away: %s", request.path)
            return response
        finally:
            unsubscribe()
            self._queues.discard(queue)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response


def add_event_routes(
    app: web.Application,
    streams: EventStreams,
    current_promotions: Callable[[], Iterable[Event]],
) -> None:
    """Serve both streams; ``current_promotions`` starts a ``Last-Event-ID: current`` stream."""

    async def node_events(request: web.Request) -> web.StreamResponse:
        return await streams.serve(request, NODE_EVENTS)

    async def promotion_events(request: web.Request) -> web.StreamResponse:
        wants_current = request.headers.get("Last-Event-ID") == "current"
        return await streams.serve(
            request, PROMOTION_EVENTS, current_promotions if wants_current else None
        )

    app.router.add_get("/v1/events/nodes", node_events, allow_head=False)
    app.router.add_get("/v1/events/drbd/promotion", promotion_events, allow_head=False)
