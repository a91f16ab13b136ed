"""Shared pieces of the ``/v1`` handlers: error translation, query filters, pagination."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from aiolinstor.emulator._bodies import BodyError
from aiolinstor.emulator._props import props_filter_matches
from aiolinstor.emulator._rc import Answer, ApiFailure, json_response, parse_error_response
from aiolinstor.emulator._state import EmulatorState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")


class RouteSet:
    """A group of handlers over one state; :meth:`wrap` adds the common error handling."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def register(self, app: web.Application) -> None:
        """Add this set's routes to ``app``."""
        raise NotImplementedError

    def wrap(self, handler: Handler, *, synchronous: bool = False) -> Handler:
        """Bring the state up to now, then turn ApiFailure/BodyError into controller answers.

        ``synchronous``: malformed bodies answer 400 (the controller's doInScope endpoints)
        instead of 500.
        """

        async def handle(request: web.Request) -> web.StreamResponse:
            self.state.advance()
            try:
                return await handler(request)
            except ApiFailure as failure:
                return failure.answer.response(500)
            except BodyError as exc:
                return parse_error_response(exc.details, synchronous=synchronous)

        return handle

    def add(
        self, app: web.Application, method: str, path: str, handler: Handler, **kwargs: Any
    ) -> None:
        app.router.add_route(method, path, self.wrap(handler, **kwargs))


def query_values(request: web.Request, key: str) -> list[str]:
    """Values of a repeated (or comma-separated) query parameter."""
    out: list[str] = []
    for raw in request.query.getall(key, []):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


def query_bool(request: web.Request, key: str, default: bool = False) -> bool:
    raw = request.query.get(key)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def paginate(items: Sequence[T], request: web.Request) -> list[T]:
    """``skip(offset).limit(limit)``, applied only when ``limit`` > 0 (as the controller does)."""
    try:
        limit = int(request.query.get("limit", "0"))
        offset = int(request.query.get("offset", "0"))
    except ValueError as exc:
        raise BodyError(f"Invalid offset/limit query parameter: {exc}") from None
    if limit > 0:
        return list(items[max(0, offset) : max(0, offset) + limit])
    return list(items)


def name_filter(request: web.Request, key: str) -> set[str] | None:
    """Upper-cased names of a filter parameter, or None when not given."""
    values = query_values(request, key)
    return {v.upper() for v in values} if values else None


def props_match(request: web.Request, props: dict[str, str]) -> bool:
    return props_filter_matches(props, query_values(request, "props"))


def list_response(items: Iterable[Any]) -> web.Response:
    return json_response(list(items))


def path_number(request: web.Request, key: str, answer: Answer, const: int, what: str) -> int:
    """An integer path segment; anything else answers like an unknown object."""
    raw = request.match_info[key]
    try:
        return int(raw)
    except ValueError:
        answer.fail(const, f"{what} '{raw}' not found.")
