"""Response observers: a hook to see every answer the emulated controller sends.

An observer is a plain callable taking an :class:`Exchange` (request line plus the complete
response). Observers are given per emulator (``Emulator(observers=[...])``) or, for every
emulator created afterwards in the process, appended to :data:`default_observers` - the test
suite uses that to validate every answer against the OpenAPI spec.

Observers run synchronously on the server's event loop right after a response was built, so
they must be quick and must not raise (an exception is logged and otherwise ignored). They do
not see: control-API requests (``/_emulator/``), streamed answers (SSE), requests whose
connection was dropped on purpose (fault injection, blackhole), and the web server's own
404/405 for paths or methods no route serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Exchange", "ResponseObserver", "default_observers"]


@dataclass(frozen=True)
class Exchange:
    """One request and the answer the emulator sent for it."""

    method: str
    """Request method, upper case."""
    path: str
    """Request path as sent (percent-decoded), without the query string."""
    query_string: str
    """Raw query string, without ``?``."""
    route: str | None
    """The matching route's canonical path (``/v1/resource-definitions/{rsc}``), if any."""
    status: int
    content_type: str
    """Response content type without parameters, e.g. ``application/json``."""
    headers: Mapping[str, str]
    """Response headers."""
    body: bytes
    """Complete response body."""


ResponseObserver = Callable[[Exchange], None]

default_observers: list[ResponseObserver] = []
"""Observers every :class:`~aiolinstor.emulator.Emulator` created from now on will call."""
