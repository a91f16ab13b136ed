"""The emulated LINSTOR controller as an aiohttp application and an in-process server.

``create_app`` builds the aiohttp application (REST API v1, events, key-value store, error
reports and the ``/_emulator/`` control API) around an :class:`EmulatorState`; mount it in your
own runner if you need to. :class:`Emulator` runs it on a local port for the duration of an
``async with`` block and offers the control API as Python methods::

    async with Emulator(nodes=3) as emu:
        client_url = emu.url            # "http://127.0.0.1:<port>"
        emu.set_online("node-2", False)
        emu.add_fault(FaultRule(ErrorAnswer(500), method="POST", path="/autoplace$", count=1))
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any

from aiohttp import web

from aiolinstor.emulator._control import add_control_routes
from aiolinstor.emulator._errors_reports import add_error_report_routes
from aiolinstor.emulator._events import Event, add_event_routes
from aiolinstor.emulator._faults import Blackhole, FaultInjector, FaultRule
from aiolinstor.emulator._kv import KeyValueStore, add_kv_routes
from aiolinstor.emulator._middleware import AuthConfig, pipeline
from aiolinstor.emulator._observe import ResponseObserver, default_observers
from aiolinstor.emulator._routes import add_v1_routes
from aiolinstor.emulator._services import SERVICES_KEY, EmulatorServices
from aiolinstor.emulator._spec import ClusterSpec, Timing
from aiolinstor.emulator._state import EmulatorState
from aiolinstor.emulator._stats import RequestStats

__all__ = ["Emulator", "create_app"]

log = logging.getLogger("aiolinstor.emulator")

#: Seconds the server waits for running requests when it stops, before cancelling them.
SHUTDOWN_TIMEOUT_S = 2.0


def current_promotions(state: EmulatorState) -> list[Event]:
    """``may-promote-change`` events describing every DRBD resource's current ``may_promote``."""
    return [("may-promote-change", data) for data in state.may_promote_states()]


def create_app(
    state: EmulatorState | None = None,
    *,
    basic_auth: tuple[str, str] | None = None,
    bearer_token: str | None = None,
    observers: Iterable[ResponseObserver] = (),
    sse_keepalive_s: float = 15.0,
) -> web.Application:
    """The emulator's aiohttp application around ``state`` (a fresh default cluster if None).

    ``observers`` are called for every answer after those in :data:`default_observers`. The
    parts of the emulator are reachable as ``app[SERVICES_KEY]``.
    """
    state = state if state is not None else EmulatorState()
    services = EmulatorServices.create(
        state,
        auth=AuthConfig(basic_auth, bearer_token),
        observers=[*default_observers, *observers],
        sse_keepalive_s=sse_keepalive_s,
    )
    app = web.Application(
        middlewares=pipeline(
            stats=services.stats,
            observers=services.observers,
            blackhole=services.blackhole,
            auth=services.auth,
            faults=services.faults,
            reports=state,
        )
    )
    app[SERVICES_KEY] = services
    add_v1_routes(app, state)
    add_kv_routes(app, services.kv)
    add_error_report_routes(app, lambda: state.error_reports)
    add_event_routes(app, services.streams, lambda: current_promotions(state))
    add_control_routes(app, services)

    async def on_startup(app: web.Application) -> None:
        services.start_up()

    async def on_shutdown(app: web.Application) -> None:
        services.shut_down()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


class Emulator:
    """An emulated LINSTOR controller serving on a local port.

    Give a :class:`ClusterSpec`, or let ``nodes``, ``pool_size`` and ``provider_kind`` build the
    default one (``node-1`` .. ``node-N``). ``timing`` sets the simulated satellite work
    (``speed`` overrides its speed factor; :meth:`Timing.fast` for tests). ``port=0`` picks a
    free port; ``ssl_context`` serves HTTPS; ``basic_auth=(user, password)`` and/or
    ``bearer_token`` make the API require credentials. ``observers`` see every answer.

    ``state`` serves an existing :class:`EmulatorState` (e.g. ``other.state``) instead of a
    new one, and the cluster arguments are ignored: two Emulators over one state are two
    controllers of one HA cluster sharing their database. Faults, blackhole, request counts
    and the key-value store stay per Emulator.
    """

    def __init__(
        self,
        spec: ClusterSpec | None = None,
        *,
        nodes: int = 3,
        pool_size: int | str = "100 GiB",
        provider_kind: str = "LVM_THIN",
        timing: Timing | None = None,
        speed: float | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        basic_auth: tuple[str, str] | None = None,
        bearer_token: str | None = None,
        observers: Iterable[ResponseObserver] = (),
        sse_keepalive_s: float = 15.0,
        state: EmulatorState | None = None,
    ) -> None:
        if spec is None:
            spec = ClusterSpec.default(nodes, pool_size=pool_size, provider_kind=provider_kind)
        timing = timing if timing is not None else Timing()
        if speed is not None:
            timing = replace(timing, speed=speed)
        if basic_auth is not None and (
            len(basic_auth) != 2 or not all(isinstance(part, str) for part in basic_auth)
        ):
            raise ValueError("basic_auth must be a (user, password) pair of strings")
        if bearer_token is not None and (not isinstance(bearer_token, str) or not bearer_token):
            raise ValueError("bearer_token must be a non-empty string")
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        if state is not None and not isinstance(state, EmulatorState):
            raise ValueError(f"state must be an EmulatorState, got {state!r}")
        self.app = create_app(
            state if state is not None else EmulatorState(spec, timing=timing, seed=seed),
            basic_auth=basic_auth,
            bearer_token=bearer_token,
            observers=observers,
            sse_keepalive_s=sse_keepalive_s,
        )
        self.services = self.app[SERVICES_KEY]
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"<Emulator {where} nodes={len(self.state.spec.nodes)}>"

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start serving; :attr:`url` is valid afterwards (and stays the same on restarts)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port, ssl_context=self._ssl_context)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._port = port  # a restart after stop() comes back on the same URL
        scheme = "https" if self._ssl_context is not None else "http"
        host_part = f"[{host}]" if ":" in host else host
        self._url = f"{scheme}://{host_part}:{port}"
        log.info("LINSTOR emulator serving on %s", self._url)

    async def stop(self) -> None:
        """Stop serving: end event streams, finish (or cancel) running requests, close.

        The state is kept: :meth:`start` serves it again on the same URL (a controller that
        was down and is back, for fail-over tests; while stopped, connections are refused).
        """
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("LINSTOR emulator on %s stopped", self._url)

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234`` (only while running)."""
        if self._url is None or self._runner is None:
            raise RuntimeError("the emulator is not running; use 'async with Emulator()'")
        return self._url

    @property
    def running(self) -> bool:
        return self._runner is not None

    # --- parts --------------------------------------------------------------------------------
    @property
    def state(self) -> EmulatorState:
        return self.services.state

    @property
    def faults(self) -> FaultInjector:
        return self.services.faults

    @property
    def stats(self) -> RequestStats:
        return self.services.stats

    @property
    def kv(self) -> KeyValueStore:
        return self.services.kv

    @property
    def blackhole(self) -> Blackhole:
        return self.services.blackhole

    # --- control ------------------------------------------------------------------------------
    def set_online(self, node: str, online: bool) -> None:
        """Connect or disconnect a satellite; changes for it wait until it is back."""
        self.state.set_node_online(node, online)

    def set_speed(self, node: str, factor: float) -> None:
        """Slow a satellite down (0.1 = ten times slower; 0 = stalled, nothing progresses)."""
        self.state.set_node_speed(node, factor)

    def set_failure(self, node: str, message: str | None) -> None:
        """Make a satellite report ``message`` as a failure on changes touching it (None clears)."""
        self.state.set_node_failure(node, message)

    def set_in_use(self, resource: str, node: str, in_use: bool) -> None:
        """Mark a resource as opened (DRBD Primary) on a node, or not."""
        self.state.set_in_use(resource, node, in_use)

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> int:
        """Install a fault rule (a :class:`FaultRule` or its JSON form); returns its id."""
        if not isinstance(rule, FaultRule):
            rule = FaultRule.from_json(rule)
        return self.faults.add(rule)

    def remove_fault(self, rule_id: int) -> bool:
        return self.faults.remove(rule_id)

    def clear_faults(self) -> None:
        self.faults.clear()

    def start_blackhole(self, seconds: float) -> None:
        """Hang every API request for ``seconds`` (then drop its connection)."""
        self.blackhole.start(seconds)

    def clear_blackhole(self) -> None:
        self.blackhole.clear()

    def reset(self, spec: ClusterSpec | None = None) -> None:
        """Back to a fresh emulator (optionally with a new cluster spec)."""
        self.services.reset(spec)

    def request_counts(self) -> dict[str, int]:
        """Requests served per route (``"GET /v1/view/resources": 3``) since the last reset."""
        return self.stats.by_route()
