"""The one HTTP layer: session, failover between controllers, retries, concurrency bound.

Rules:

* A connection that could not be made (refused, DNS, connect timeout, TLS handshake) never sent
  the request, so any method moves on to the next controller; the failure is a ``ConnectError``.
* Connection trouble after the request may have been sent (reset, server gone) and HTTP
  502/503/504 move on and retry only for methods LINSTOR treats as idempotent (GET, HEAD, PUT,
  DELETE); a POST raises ``TransportError`` so that the caller re-reads state instead.
* Rounds over all controllers are retried with exponential backoff and jitter, bounded in
  attempts (``retries`` + 1) and total time (``retry_max_time``; a round started before that
  budget ran out still gets its own ``timeout``); when they are used up,
  ``ControllersUnavailable`` lists each controller and why it failed, as an exception
  (``ConnectError``, ``RequestTimeout``, ``TransportError`` or the controller's ``ApiCallError``).
* A request that got no answer within ``timeout``: a read (GET, HEAD) moves on to the next
  controller and is retried like an unreachable controller, within the same bounds; when every
  controller of the last round timed out it raises ``RequestTimeout``. PUT and DELETE move on
  to the next controller but a timeout alone never starts another round (the controller may be
  alive but slow and busy with it); a POST raises ``RequestTimeout`` at once.
* A read (GET, HEAD) answered with a controller-side fault (HTTP 5xx with FAIL_UNKNOWN_ERROR,
  FAIL_IMPL_ERROR or a database error) is retried like an unreachable controller; when the
  retries are used up, the last such answer raises its ``ApiCallError`` (with its error
  report ids). Writes are never retried on an answer.
* The client stays on the controller that answered last.
* An optional check (the client's controller version check) runs once before the first
  request, except on the paths that serve it (``/v1/controller/version``, ``/_emulator/``).

aiohttp itself re-sends an idempotent request once when a pooled keep-alive connection turns out
to be closed; POSTs are never re-sent by either layer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import anyio
import yarl
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._config import ClientConfig, ControllerUrl, build_ssl_context
from aiolinstor._errors import (
    ControllersUnavailable,
    InputError,
    LinstorError,
    ProtocolError,
    RequestTimeout,
    TransportError,
    api_call_error,
)
from aiolinstor._transport_answers import (
    Answer,
    Failed,
    RawAnswer,
    every_one_timed_out,
    excerpt,
    exempt_from_check,
    fault_error,
    interpret,
    log_rcs,
    map_error,
    rcs_of,
    read_body,
    server_fault,
    timeout_error,
)
from aiolinstor._version import __version__

logger = logging.getLogger("aiolinstor")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GATEWAY_STATUSES = frozenset({502, 503, 504})
DEFAULT_MAX_BODY = 256 * 1024 * 1024

Params = Sequence[tuple[str, str]]
NO_BODY: Any = object()


class _RoundFailed(Exception):
    """Every controller failed in one round, in ways worth retrying."""

    def __init__(
        self, failures: list[tuple[str, LinstorError]], answer: RawAnswer | None = None
    ) -> None:
        super().__init__("; ".join(f"{u}: {r}" for u, r in failures))
        self.failures = failures
        #: The last controller-side fault answer of a read, raised when retries run out.
        self.answer = answer


def _encode_body(value: Any, method: str, path: str) -> bytes:
    """Strict JSON (no NaN/Infinity, which the controller's parser refuses)."""
    try:
        return json.dumps(value, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InputError(f"request body for {method} {path} is not valid JSON: {exc}") from None


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"request path must start with '/': {path!r}")
    return path


class Transport:
    """Sends requests to the configured controllers and decodes their answers."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        timeout: float,
        connect_timeout: float,
        max_concurrency: int,
        retries: int,
        retry_max_time: float,
        retry_backoff: float = 0.25,
        max_backoff: float = 4.0,
        user_agent: str | None = None,
        max_body_size: int = DEFAULT_MAX_BODY,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_concurrency = max_concurrency
        self.retries = retries
        self.retry_max_time = retry_max_time
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.user_agent = user_agent or f"aiolinstor/{__version__}"
        self.max_body_size = max_body_size
        self._sleep = sleep or asyncio.sleep
        self._controllers: tuple[ControllerUrl, ...] = config.controllers
        # Per request, only lookups: base URLs, failover orders, headers, timeouts.
        self._urls = tuple(controller.url for controller in self._controllers)
        count = len(self._controllers)
        self._orders = tuple(
            tuple((start + offset) % count for offset in range(count)) for start in range(count)
        )
        self._active = 0
        self._session: aiohttp.ClientSession | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._first_check: Callable[[], Awaitable[None]] | None = None
        self._authorization = config.credentials.authorization_header()
        auth = {} if self._authorization is None else {"Authorization": self._authorization}
        self._plain_headers: dict[str, str] | None = auth or None
        self._json_headers: dict[str, str] = {"Content-Type": "application/json", **auth}
        self._timeouts: dict[tuple[float | None, float], aiohttp.ClientTimeout] = {}
        needs_tls = any(c.tls for c in self._controllers)
        self._ssl_context = build_ssl_context(config.tls) if needs_tls else None

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def controllers(self) -> list[str]:
        return [c.url for c in self._controllers]

    @property
    def active_controller(self) -> str:
        return self._urls[self._active]

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._closed

    async def open(self) -> None:
        """Create the session (connection pool) bound to the running event loop."""
        if self._closed:
            raise LinstorError("this client is closed; create a new one")
        if self._session is not None:
            raise LinstorError("this client is already open")
        connector = aiohttp.TCPConnector(limit=0, ssl=self._ssl_context or True)
        self._loop = asyncio.get_running_loop()
        self._semaphore = asyncio.Semaphore(self.max_concurrency)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"Accept": "application/json", "User-Agent": self.user_agent},
            auto_decompress=True,
        )

    async def close(self) -> None:
        """Close the session; the transport cannot be used afterwards."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _ready_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise LinstorError("this client is closed; create a new one")
        if self._session is None:
            raise LinstorError("the client is not open; use 'async with Client(...) as client'")
        if asyncio.get_running_loop() is not self._loop:
            raise LinstorError("the client was opened in another event loop; it cannot be shared")
        return self._session

    def check_before_first_request(self, check: Callable[[], Awaitable[None]]) -> None:
        """Run ``check`` before requests until it succeeds once (the version check).

        Concurrent first requests all await it, so ``check`` must share one read among them;
        a failure propagates to the request and the next request checks again.
        """
        self._first_check = check

    async def _before_request(self, path: str) -> None:
        check = self._first_check
        if check is not None and not exempt_from_check(path):
            await check()
            self._first_check = None

    # --- public entry points --------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = NO_BODY,
        request_timeout: float | None = None,
    ) -> Answer:
        """Send one request with failover and retries; raise for error answers.

        ``request_timeout`` overrides the client's per-request timeout for this request.
        """
        self._ready_session()
        _check_path(path)
        if self._first_check is not None:
            await self._before_request(path)
        body = None if json_body is NO_BODY else _encode_body(json_body, method, path)
        raw = await self._with_retries(
            method, path, params, body, self.timeout if request_timeout is None else request_timeout
        )
        return interpret(raw, method, path)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = NO_BODY,
        request_timeout: float | None = None,
    ) -> ApiCallRcList:
        """A mutating request whose answer is an ApiCallRc list; errors raise, the rest logs."""
        answer = await self.request(
            method, path, params=params, json_body=json_body, request_timeout=request_timeout
        )
        rcs = rcs_of(answer)
        log_rcs(rcs, method, path)
        if rcs.errors:
            raise api_call_error(rcs, answer.status, method, path)
        return rcs

    async def open_stream(
        self, path: str, *, headers: Mapping[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """Open a GET whose body is read later (event streams); headers are checked here."""
        self._ready_session()
        _check_path(path)
        if self._first_check is not None:
            await self._before_request(path)
        failures: list[tuple[str, LinstorError]] = []
        for index in self._controller_order():
            controller = self._controllers[index]
            try:
                with anyio.fail_after(self.timeout):
                    response = await self._send(
                        index, "GET", path, None, None, headers, request_timeout=None
                    )
            except TimeoutError:
                raise RequestTimeout(
                    f"GET {path}: no answer from {controller.url} within {self.timeout:g} s"
                ) from None
            except Failed as exc:
                failures.append((controller.url, exc.error()))
                continue
            if response.status in GATEWAY_STATUSES:
                failures.append((controller.url, TransportError(f"HTTP {response.status}")))
                response.close()
                continue
            self._stay_on(index)
            if not 200 <= response.status < 300:
                try:
                    body = await read_body(response, "GET", path, self.max_body_size)
                finally:
                    response.close()
                raw = RawAnswer(response.status, body, response.content_type, None, controller.url)
                interpret(raw, "GET", path)
                raise ProtocolError(f"GET {path}: unexpected HTTP {response.status}")
            return response
        raise ControllersUnavailable(failures)

    # --- retries and failover -------------------------------------------------------------
    async def _with_retries(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: bytes | None,
        request_timeout: float,
    ) -> RawAnswer:
        # Most rounds succeed: only a failed one pays for setting up the retry machinery, into
        # which its failure is then fed as the first attempt.
        started = time.monotonic()
        try:
            return await self._round(method, path, params, body, request_timeout)
        except _RoundFailed as exc:
            first_failure: list[_RoundFailed] = [exc]

        async def attempt() -> RawAnswer:
            if first_failure:
                raise first_failure.pop()
            return await self._round(method, path, params, body, request_timeout)

        budget = self.retry_max_time - (time.monotonic() - started)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retries + 1) | stop_after_delay(budget),
            wait=wait_random_exponential(multiplier=self.retry_backoff, max=self.max_backoff),
            retry=retry_if_exception_type(_RoundFailed),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: logger.debug(
                "%s %s: all controllers failed (attempt %d), backing off",
                method,
                path,
                state.attempt_number,
            ),
        )
        try:
            result: RawAnswer = await retrying(attempt)
        except _RoundFailed as exc:
            if exc.answer is not None:
                return exc.answer
            if every_one_timed_out(exc.failures, len(self._controllers)):
                raise timeout_error(method, path, exc.failures, request_timeout) from None
            raise ControllersUnavailable(exc.failures) from None
        return result

    def _controller_order(self) -> tuple[int, ...]:
        return self._orders[self._active]

    def _stay_on(self, index: int) -> None:
        if index != self._active:
            logger.warning(
                "switching to LINSTOR controller %s (was %s)",
                self._controllers[index].url,
                self._controllers[self._active].url,
            )
            self._active = index

    async def _round(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: bytes | None,
        request_timeout: float,
    ) -> RawAnswer:
        """Try each controller once, starting with the active one."""
        upper = method.upper()
        safe = upper in SAFE_METHODS
        read = upper in READ_METHODS
        failures: list[tuple[str, LinstorError]] = []
        retryable = False
        fault: RawAnswer | None = None
        for index in self._controller_order():
            controller = self._controllers[index]
            try:
                raw = await self._exchange(index, method, path, params, body, request_timeout)
            except RequestTimeout as exc:
                if not safe or (len(self._controllers) == 1 and not read):
                    raise
                logger.warning("%s; trying again or the next controller", exc)
                failures.append((controller.url, exc))
                retryable = retryable or read
                continue
            except Failed as exc:
                if exc.sent and not safe:
                    raise TransportError(
                        f"{method} {path}: {exc.reason} after the request was sent to "
                        f"{controller.url}; not re-sent because {method} is not idempotent"
                    ) from None
                logger.debug("%s %s: controller %s failed: %s", method, path, controller, exc)
                failures.append((controller.url, exc.error()))
                retryable = retryable or exc.retryable
                continue
            if raw.status in GATEWAY_STATUSES:
                reason = f"HTTP {raw.status} {excerpt(raw.body)}".strip()
                if not safe:
                    raise TransportError(
                        f"{method} {path}: {controller.url} answered {reason}; not re-sent "
                        f"because {method} is not idempotent"
                    )
                failures.append((controller.url, TransportError(reason)))
                retryable = True
                continue
            if read and server_fault(raw):
                reason = f"HTTP {raw.status} {excerpt(raw.body)}".strip()
                logger.warning("%s %s: %s answered %s", method, path, controller.url, reason)
                failures.append((controller.url, fault_error(raw, method, path)))
                fault = raw
                retryable = True
                continue
            self._stay_on(index)
            return raw
        if retryable:
            raise _RoundFailed(failures, fault)
        if every_one_timed_out(failures, len(self._controllers)):
            raise timeout_error(method, path, failures, request_timeout)
        raise ControllersUnavailable(failures)

    # --- one exchange with one controller -------------------------------------------------
    def _headers(
        self, body: bytes | None, extra: Mapping[str, str] | None
    ) -> dict[str, str] | None:
        """Per-request headers (the session adds Accept and User-Agent); None when none."""
        headers = self._plain_headers if body is None else self._json_headers
        if extra:
            return {**(headers or {}), **extra}
        return headers

    def _client_timeout(self, request_timeout: float | None) -> aiohttp.ClientTimeout:
        key = (request_timeout, self.connect_timeout)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=request_timeout, sock_connect=key[1])
            self._timeouts[key] = timeout
        return timeout

    async def _send(
        self,
        index: int,
        method: str,
        path: str,
        params: Params | None,
        body: bytes | None,
        extra_headers: Mapping[str, str] | None,
        *,
        request_timeout: float | None,
    ) -> aiohttp.ClientResponse:
        """Send and wait for the headers; ``request_timeout`` None leaves the body unbounded."""
        session = self._session
        if session is None or self._closed:
            session = self._ready_session()  # raises: closed meanwhile
        url = yarl.URL(self._urls[index] + path, encoded=True)
        try:
            return await session.request(
                method,
                url,
                params=params or None,
                data=body,
                headers=self._headers(body, extra_headers),
                timeout=self._client_timeout(request_timeout),
                allow_redirects=False,
            )
        except Exception as exc:
            mapped = map_error(
                exc, method, path, self._urls[index], request_timeout, self.connect_timeout
            )
            if mapped is exc:
                raise
            raise mapped from exc

    async def _exchange(
        self,
        index: int,
        method: str,
        path: str,
        params: Params | None,
        body: bytes | None,
        request_timeout: float,
    ) -> RawAnswer:
        url = self._urls[index]
        assert self._semaphore is not None
        async with self._semaphore:
            started = time.monotonic()
            response = await self._send(
                index, method, path, params, body, None, request_timeout=request_timeout
            )
            try:
                data = await read_body(response, method, path, self.max_body_size)
            except Exception as exc:
                mapped = map_error(exc, method, path, url, request_timeout, self.connect_timeout)
                if mapped is exc:
                    raise
                raise mapped from exc
            finally:
                response.release()
        status = response.status
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.monotonic() - started) * 1000
            logger.debug("%s %s -> %d in %.1f ms (%s)", method, path, status, elapsed, url)
        headers = response.headers
        return RawAnswer(
            status=status,
            body=data,
            content_type=response.content_type,
            location=headers.get("Location") if 300 <= status < 400 else None,
            controller=url,
        )
