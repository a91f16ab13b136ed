"""Server-sent events from the controller (``/v1/events/nodes``, ``/v1/events/drbd/promotion``).

How a stream ends:

* the controller closes it cleanly between two events: iteration simply stops;
* it stops in the middle of an event (fields seen, no blank line yet), whether the body ended
  there or the connection broke there: ``TransportError`` - the event was lost in transit, and
  the two cannot be told apart reliably (a dropped connection may be reported before the bytes
  that arrived ahead of it are read); the remedy is the same: open a new stream;
* the connection breaks (reset, incomplete chunked body): ``TransportError``;
* what arrived is not a valid event (not UTF-8, no JSON, an overlong line): ``ProtocolError``;
* the controller sends an event named ``error``: ``ApiCallError`` (via ``api_call_error``).

The stream owns one HTTP response; :meth:`EventStream.aclose` (or ``async with``, or
``contextlib.aclosing``) releases it. It is also released whenever the stream ends or fails.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._errors import ProtocolError, TransportError, api_call_error

logger = logging.getLogger("aiolinstor")


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name (``message`` when unnamed), JSON data and id."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


class SseParser:
    """Incremental parser for the text/event-stream format (one decoded line at a time)."""

    def __init__(self, method: str, path: str) -> None:
        self._method = method
        self._path = path
        self._name: str | None = None
        self._data: list[str] = []
        self._pending = False
        self.last_id: str | None = None

    def feed(self, line: str) -> Event | None:
        """Take one line (with or without its line break); return an event when one completes."""
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        self._pending = True
        if name == "event":
            self._name = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self.last_id = value or None
        return None

    def finish(self) -> None:
        """The stream ended: a TransportError when it stopped inside an event."""
        if self._pending:
            raise TransportError(
                f"{self._method} {self._path}: event stream ended in the middle of an event"
            )

    def _dispatch(self) -> Event | None:
        name = self._name or "message"
        lines = self._data
        self._name, self._data, self._pending = None, [], False
        if not lines:
            return None
        text = "\n".join(lines)
        try:
            payload = json.loads(text)
        except ValueError:
            raise ProtocolError(
                f"{self._method} {self._path}: event {name!r} carries no JSON: {text[:200]!r}"
            ) from None
        if name == "error":
            rcs = ApiCallRcList.from_json(payload, status=200)
            raise api_call_error(rcs, 200, self._method, self._path)
        if not isinstance(payload, dict):
            raise ProtocolError(
                f"{self._method} {self._path}: event {name!r} data must be a JSON object, "
                f"got {text[:200]!r}"
            )
        return Event(name=name, data=payload, id=self.last_id)


class EventStream:
    """An async iterator of :class:`Event` that opens its response on first use."""

    def __init__(
        self,
        opener: Callable[[], Awaitable[aiohttp.ClientResponse]],
        method: str,
        path: str,
    ) -> None:
        self._opener = opener
        self._method = method
        self._path = path
        self._parser = SseParser(method, path)
        self._response: aiohttp.ClientResponse | None = None
        self._closed = False

    def __aiter__(self) -> EventStream:
        return self

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release the HTTP response; further iteration stops."""
        self._closed = True
        response, self._response = self._response, None
        if response is not None:
            response.close()
            logger.debug("%s %s: event stream closed", self._method, self._path)

    async def open(self) -> None:
        """Send the request and wait for the answer's headers now (else the first iteration
        does it), so that opening can be bounded apart from waiting for events."""
        if self._response is not None or self._closed:
            return
        try:
            self._response = await self._opener()
        except BaseException:
            self._closed = True
            raise

    async def __anext__(self) -> Event:
        await self.open()
        if self._closed or self._response is None:
            raise StopAsyncIteration
        while True:
            line = await self._readline(self._response)
            if not line:
                await self.aclose()
                self._parser.finish()
                raise StopAsyncIteration
            try:
                event = self._parser.feed(line.decode("utf-8"))
            except UnicodeDecodeError:
                await self.aclose()
                raise ProtocolError(
                    f"{self._method} {self._path}: event stream is not UTF-8"
                ) from None
            except BaseException:
                await self.aclose()
                raise
            if event is not None:
                return event

    async def _readline(self, response: aiohttp.ClientResponse) -> bytes:
        try:
            return await response.content.readline()
        except (aiohttp.ClientError, OSError) as exc:
            await self.aclose()
            raise TransportError(
                f"{self._method} {self._path}: event stream broke: {type(exc).__name__}: {exc}"
            ) from exc
        except ValueError as exc:  # a line longer than the reader's limit
            await self.aclose()
            raise ProtocolError(f"{self._method} {self._path}: event stream: {exc}") from exc
