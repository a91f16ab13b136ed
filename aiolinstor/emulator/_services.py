"""The parts of one running emulator, composed around its :class:`EmulatorState`.

Routes and middlewares close over these long-lived objects; a reset clears them in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from aiolinstor.emulator._events import EventStreams
from aiolinstor.emulator._faults import Blackhole, FaultInjector
from aiolinstor.emulator._kv import KeyValueStore
from aiolinstor.emulator._middleware import AuthConfig
from aiolinstor.emulator._observe import ResponseObserver
from aiolinstor.emulator._stats import RequestStats

if TYPE_CHECKING:
    from aiolinstor.emulator._spec import ClusterSpec
    from aiolinstor.emulator._state import EmulatorState

__all__ = ["SERVICES_KEY", "EmulatorServices"]


@dataclass
class EmulatorServices:
    """State, faults, counters, key-value store, event streams and auth of one emulator."""

    state: EmulatorState
    faults: FaultInjector
    stats: RequestStats
    kv: KeyValueStore
    blackhole: Blackhole
    streams: EventStreams
    auth: AuthConfig
    observers: tuple[ResponseObserver, ...]

    @classmethod
    def create(
        cls,
        state: EmulatorState,
        *,
        auth: AuthConfig | None = None,
        observers: Iterable[ResponseObserver] = (),
        sse_keepalive_s: float = 15.0,
    ) -> EmulatorServices:
        return cls(
            state=state,
            faults=FaultInjector(state.seed),
            stats=RequestStats(),
            kv=KeyValueStore(),
            blackhole=Blackhole(),
            streams=EventStreams(
                state.add_listener, sse_keepalive_s, advance=state.advance_and_next
            ),
            auth=auth or AuthConfig(),
            observers=tuple(observers),
        )

    def reset(self, spec: ClusterSpec | None = None) -> None:
        """Back to a fresh emulator: cluster (optionally a new spec), KV, faults, counters."""
        self.set_cluster(spec)
        self.faults.reset()
        self.blackhole.clear()
        self.stats.reset()

    def set_cluster(self, spec: ClusterSpec | None) -> None:
        """A fresh cluster from ``spec`` (None: the current one); faults and counters stay."""
        self.state.reset(spec)
        self.kv.clear()

    def start_up(self) -> None:
        """The server starts (again): event streams are accepted."""
        self.streams.reopen()

    def shut_down(self) -> None:
        """End event streams and release held requests, so the server can stop promptly."""
        self.streams.close_all()
        self.blackhole.clear()


SERVICES_KEY = web.AppKey("aiolinstor_emulator_services", EmulatorServices)
