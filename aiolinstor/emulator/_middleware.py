"""The request pipeline of the emulated controller (aiohttp middlewares).

Order, outermost first (see :func:`pipeline`):

1. counting (:class:`~aiolinstor.emulator._stats.RequestStats`), every request except the control
   API;
2. observers (:mod:`~aiolinstor.emulator._observe`), which see the final answer;
3. blackhole: hold the request while the controller "hangs", then drop the connection;
4. authentication (basic and/or bearer, like a controller with LDAP or token auth);
5. fault rules (:mod:`~aiolinstor.emulator._faults`).

The control API under ``/_emulator/`` passes through untouched: it must keep working while the
emulated controller is failing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._faults import Blackhole, Delay, Drop, ErrorAnswer, FaultInjector
from aiolinstor.emulator._observe import Exchange, ResponseObserver
from aiolinstor.emulator._rc import entry, json_response
from aiolinstor.emulator._stats import RequestStats

__all__ = ["CONTROL_PREFIX", "AuthConfig", "is_control_request", "pipeline"]

log = logging.getLogger("aiolinstor.emulator")

CONTROL_PREFIX = "/_emulator/"
_AUTH_FREE_PATHS = frozenset({"/", "/health", "/ui", "/ui/"})
_FAIL_ACC_DENIED_COMMAND = rc.MASK_ERROR | 412


class ErrorReportSink(Protocol):
    """Records an error report and returns its id (the emulator state does)."""

    def new_error_report(self, node: str | None, message: str) -> str: ...


def is_control_request(request: web.Request) -> bool:
    """True for the emulator's own control API, which faults, auth and counters leave alone."""
    return request.path.startswith(CONTROL_PREFIX) or request.path == CONTROL_PREFIX.rstrip("/")


class DroppedResponse(web.Response):
    """Placeholder returned after the connection was closed on purpose; never reaches a client."""


def drop_connection(request: web.Request) -> DroppedResponse:
    """Close the request's connection without an answer (the client sees a disconnect)."""
    request.protocol.force_close()
    return DroppedResponse(status=599)


@dataclass(frozen=True)
class AuthConfig:
    """Credentials the emulated controller requires; secrets stay out of the repr."""

    basic: tuple[str, str] | None = field(default=None, repr=False)
    bearer_token: str | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return self.basic is not None or self.bearer_token is not None

    def rejection(self, request: web.Request) -> web.Response | None:
        """The answer refusing ``request``, or None when it may pass.

        Like the real controller: missing credentials give 401 with a ``WWW-Authenticate``
        challenge (``Basic realm="Linstor"`` for LDAP-style basic auth, ``Bearer
        realm="linstor-controller"`` for token auth); a wrong basic password gives 403
        ``FAIL_SIGN_IN``; a wrong token gives 401.
        """
        if not self.enabled or request.path in _AUTH_FREE_PATHS:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self.bearer_token is not None:
            if _same(credentials.strip(), self.bearer_token):
                return None
            return self._bearer_challenge()
        if scheme == "basic" and self.basic is not None:
            if self._basic_ok(credentials.strip()):
                return None
            return json_response(
                [entry(rc.FAIL_SIGN_IN, "Sign-in failed: invalid user name or password.")],
                403,
            )
        if self.basic is not None:
            response = json_response(
                [
                    entry(
                        rc.FAIL_SIGN_IN_MISSING_CREDENTIALS,
                        "Login required but no 'Authorization' header given.",
                    )
                ],
                401,
            )
            response.headers["WWW-Authenticate"] = 'Basic realm="Linstor"'
            return response
        return self._bearer_challenge()

    def _basic_ok(self, credentials: str) -> bool:
        assert self.basic is not None
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        user_ok, password_ok = _same(user, self.basic[0]), _same(password, self.basic[1])
        return bool(sep) and user_ok and password_ok

    @staticmethod
    def _bearer_challenge() -> web.Response:
        response = json_response(
            [entry(_FAIL_ACC_DENIED_COMMAND, "Unauthorized: token invalid or not provided")],
            status=401,
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="linstor-controller"'
        return response


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _route_of(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


def _counting(stats: RequestStats) -> Middleware:
    @web.middleware
    async def counting(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_control_request(request):
            stats.record(request.method, _route_of(request) or request.path)
        return await handler(request)

    return counting


def _observing(observers: Sequence[ResponseObserver]) -> Middleware:
    def observe(request: web.Request, response: web.StreamResponse) -> None:
        if (
            not isinstance(response, web.Response)
            or isinstance(response, DroppedResponse)
            or not isinstance(response.body, bytes)
        ):
            return  # event streams and dropped connections
        exchange = Exchange(
            method=request.method.upper(),
            path=request.path,
            query_string=request.query_string,
            route=_route_of(request),
            status=response.status,
            content_type=response.content_type,
            headers=dict(response.headers),
            body=response.body,
        )
        for observer in observers:
            try:
                observer(exchange)
            except Exception:
                log.exception("response observer %r failed", observer)

    @web.middleware
    async def observing(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_control_request(request) or not observers:
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if _route_of(request) is not None:  # not the router's own 404/405
                observe(request, exc)
            raise
        observe(request, response)
        return response

    return observing


def _blackholing(blackhole: Blackhole) -> Middleware:
    @web.middleware
    async def blackholing(request: web.Request, handler: Handler) -> web.StreamResponse:
        if blackhole.active and not is_control_request(request):
            await blackhole.hold()
            return drop_connection(request)
        return await handler(request)

    return blackholing


def _authenticating(auth: AuthConfig) -> Middleware:
    @web.middleware
    async def authenticating(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_control_request(request):
            rejection = auth.rejection(request)
            if rejection is not None:
                return rejection
        return await handler(request)

    return authenticating


def _faulting(faults: FaultInjector, reports: ErrorReportSink) -> Middleware:
    @web.middleware
    async def faulting(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_control_request(request):
            return await handler(request)
        rule = faults.pick(request.method, request.path)
        if rule is None:
            return await handler(request)
        action = rule.action
        log.info(
            "fault rule %d applies to %s %s: %r", rule.id, request.method, request.path, action
        )
        if isinstance(action, Delay):
            # Read the body first: a slow controller processes what it received, also when the
            # client gave up waiting (its answer then goes nowhere).
            await request.read()
            await asyncio.sleep(action.seconds)
            return await handler(request)
        if isinstance(action, Drop):
            if action.after:
                await handler(request)
            return drop_connection(request)
        assert isinstance(action, ErrorAnswer)
        message = action.message or f"Emulated controller failure (fault rule {rule.id})."
        report_id = reports.new_error_report(None, message)
        ret_code = action.ret_code if action.ret_code is not None else rc.FAIL_UNKNOWN_ERROR
        return json_response(
            [entry(ret_code, message, error_report_ids=(report_id,))], action.status
        )

    return faulting


def pipeline(
    *,
    stats: RequestStats,
    observers: Sequence[ResponseObserver],
    blackhole: Blackhole,
    auth: AuthConfig,
    faults: FaultInjector,
    reports: ErrorReportSink,
) -> list[Middleware]:
    """The middlewares of an emulator app, outermost first."""
    return [
        _counting(stats),
        _observing(tuple(observers)),
        _blackholing(blackhole),
        _authenticating(auth),
        _faulting(faults, reports),
    ]
