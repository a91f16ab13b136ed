"""An asyncio event loop on a virtual clock, for testing the wait engine without real waiting.

Whenever the loop would block waiting for a timer, the clock jumps to that timer instead, so
``anyio.sleep``, ``anyio.move_on_after`` and ``fail_after`` all run on virtual time: a 300 s
deadline passes in microseconds, and what happens at which virtual moment is deterministic.
"""

from __future__ import annotations

import asyncio
import random
import selectors
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class _AutojumpSelector(selectors.BaseSelector):
    """Delegates to a real selector, but jumps the clock instead of sleeping on timers."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._loop = loop
        self._real = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            return self._real.select(None)
        self._loop.now += timeout
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual and jumps to the next timer."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(selector=_AutojumpSelector(self))

    def time(self) -> float:
        return self.now


def run_virtual(main: Callable[[], Awaitable[T]], seed: int = 0) -> T:
    """Run ``main()`` to completion on a fresh virtual-time loop (jitter seeded: repeatable)."""
    random.seed(seed)
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(main())  # type: ignore[arg-type]
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
