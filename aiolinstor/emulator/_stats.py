"""Request counters: how many requests the emulated controller served, by method and route.

Benchmarks and tests use them to count round trips (``GET /_emulator/stats``). A route is the
aiohttp route's canonical path, e.g. ``GET /v1/resource-definitions/{rsc}/resources``, so that
requests for different objects add up; requests matching no route count under their raw path.
Requests to the control API (``/_emulator/``) are not counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["RequestStats"]


class RequestStats:
    """Counts of served requests since the emulator (or the counters) were last reset."""

    def __init__(self) -> None:
        self._by_route: Counter[str] = Counter()
        self._by_method: Counter[str] = Counter()

    def record(self, method: str, route: str) -> None:
        """Count one request of ``method`` on ``route`` (a canonical path)."""
        method = method.upper()
        self._by_route[f"{method} {route}"] += 1
        self._by_method[method] += 1

    def reset(self) -> None:
        self._by_route.clear()
        self._by_method.clear()

    @property
    def total(self) -> int:
        return sum(self._by_method.values())

    def by_route(self) -> dict[str, int]:
        """``{"GET /v1/view/resources": 3, ...}``, sorted by route."""
        return dict(sorted(self._by_route.items()))

    def by_method(self) -> dict[str, int]:
        return dict(sorted(self._by_method.items()))

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "by_method": self.by_method(), "by_route": self.by_route()}
