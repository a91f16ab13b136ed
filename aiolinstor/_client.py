"""The controller client: configuration, lifecycle, the current-client context, version check."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from aiolinstor._api import LinstorApi
from aiolinstor._config import load_config
from aiolinstor._errors import (
    InputError,
    NoClientError,
    NotFoundError,
    UnsupportedControllerError,
)
from aiolinstor._models import ControllerVersion
from aiolinstor._transport import Transport

if TYPE_CHECKING:
    from aiolinstor._shared_reads import SharedReads
    from aiolinstor._watcher import Watcher

MIN_API_VERSION = (1, 0, 4)

_current_client: contextvars.ContextVar[Client | None] = contextvars.ContextVar(
    "aiolinstor_current_client", default=None
)


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name} must be a number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise InputError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def _count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_supported(version: ControllerVersion, controller: str = "the controller") -> None:
    """Raise UnsupportedControllerError unless the REST API is 1.x and at least 1.0.4."""
    api = version.api_version
    if api[0] != 1 or api < MIN_API_VERSION:
        raise UnsupportedControllerError(
            f"{controller} speaks LINSTOR REST API {version.rest_api_version} (controller "
            f"{version.version or 'unknown'}); aiolinstor needs REST API 1.x, at least "
            f"{'.'.join(map(str, MIN_API_VERSION))}"
        )


class Client(LinstorApi):
    """An asyncio client for one LINSTOR cluster (one or more controller URLs).

    Use it as ``async with Client(...) as client:``; inside the block it is also the task's
    current client (:func:`current_client`). It owns one aiohttp session created on entry and
    closed on exit (or by :meth:`aclose`). Nothing touches the network in the constructor.
    """

    def __init__(
        self,
        controllers: str | Sequence[str] | None = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        wait_timeout: float = 300.0,
        poll_interval: float = 0.25,
        max_poll_interval: float = 2.0,
        max_concurrency: int = 32,
        retries: int = 4,
        retry_max_time: float = 30.0,
        username: str | None = None,
        password: str | None = None,
        bearer_token: str | None = None,
        ca: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        verify: bool = True,
        allow_insecure: bool = False,
        user_agent: str | None = None,
        retry_backoff: float = 0.25,
    ) -> None:
        self.timeout = _positive("timeout", timeout)
        self.connect_timeout = _positive("connect_timeout", connect_timeout)
        self.wait_timeout = _positive("wait_timeout", wait_timeout)
        self.poll_interval = _positive("poll_interval", poll_interval)
        self.max_poll_interval = _positive("max_poll_interval", max_poll_interval)
        if self.max_poll_interval < self.poll_interval:
            raise InputError(
                f"max_poll_interval ({max_poll_interval!r}) must not be smaller than "
                f"poll_interval ({poll_interval!r})"
            )
        config = load_config(
            controllers,
            username=username,
            password=password,
            bearer_token=bearer_token,
            ca=ca,
            cert=cert,
            key=key,
            verify=bool(verify),
            allow_insecure=bool(allow_insecure),
        )
        self._transport = Transport(
            config,
            timeout=self.timeout,
            connect_timeout=self.connect_timeout,
            max_concurrency=_count("max_concurrency", max_concurrency, 1),
            retries=_count("retries", retries, 0),
            retry_max_time=_positive("retry_max_time", retry_max_time, allow_zero=True),
            retry_backoff=_positive("retry_backoff", retry_backoff, allow_zero=True),
            user_agent=user_agent,
        )
        self._version: ControllerVersion | None = None
        self._version_lock = asyncio.Lock()
        # The version is checked once, before the first other request (see controller_version).
        self._transport.check_before_first_request(self._check_version)
        self._context_tokens: list[contextvars.Token[Client | None]] = []
        # State the high-level API shares between the operations of this client, made on
        # first use: the watcher of all waits (_waits.watcher_for) and the shared fresh reads
        # (_shared_reads.shared_reads). Kept here so that they live and die with the client.
        self._watcher: Watcher | None = None
        self._shared_reads: SharedReads | None = None

    # --- identity -------------------------------------------------------------------------
    @property
    def controllers(self) -> list[str]:
        """The controller base URLs, in failover order."""
        return self._transport.controllers

    @property
    def active_controller(self) -> str:
        """The controller the next request goes to first (the one that answered last)."""
        return self._transport.active_controller

    @property
    def closed(self) -> bool:
        """True before ``async with`` (or after :meth:`aclose`): no request can be sent."""
        return not self._transport.is_open

    def __repr__(self) -> str:
        auth = self._transport.config.credentials.kind
        state = "open" if self._transport.is_open else "closed"
        return f"<Client controllers={self.controllers!r} auth={auth!r} {state}>"

    # --- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> Client:
        await self._transport.open()
        self._context_tokens.append(_current_client.set(self))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.aclose()
        finally:
            if self._context_tokens:
                token = self._context_tokens.pop()
                # Left in another context than entered: there is nothing to restore then.
                with contextlib.suppress(ValueError):
                    _current_client.reset(token)

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        await self._transport.close()

    # --- version --------------------------------------------------------------------------
    async def controller_version(self) -> ControllerVersion:
        """The controller's version, read once and cached; unsupported REST APIs raise.

        The client calls it on its own before its first other request, so that no request is
        sent to a controller whose REST API it cannot use. Concurrent callers share one read;
        a failed read is not cached (the next request reads again).
        """
        if self._version is None:
            async with self._version_lock:
                if self._version is None:
                    try:
                        version = await super().controller_version()
                    except NotFoundError:
                        raise UnsupportedControllerError(
                            f"{self._transport.active_controller} has no "
                            "/v1/controller/version (HTTP 404): it is too old for aiolinstor, "
                            "which needs LINSTOR REST API 1.x, at least "
                            f"{'.'.join(map(str, MIN_API_VERSION))}"
                        ) from None
                    check_supported(version, self._transport.active_controller)
                    self._version = version
        return self._version

    async def _check_version(self) -> None:
        await self.controller_version()


def current_client() -> Client:
    """The innermost open ``async with Client()`` of this task, else NoClientError."""
    client = _current_client.get()
    if client is None or client.closed:
        raise NoClientError(
            "no LINSTOR client is active here; pass client=... or use "
            "'async with aiolinstor.Client(...)' around this code"
        )
    return client


def resolve_client(client: Client | None) -> Client:
    """``client`` when given, else the current client of this task."""
    return client if client is not None else current_client()
