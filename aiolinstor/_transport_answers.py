"""Decoding controller answers: bodies (size-capped), JSON, ApiCallRc lists and HTTP errors;
and what a failed exchange with one controller means (:func:`map_error`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from aiolinstor import _apicallrc as rc
from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._errors import (
    ApiCallError,
    ConnectError,
    LinstorError,
    ProtocolError,
    RequestTimeout,
    TransportError,
    api_call_error,
)

logger = logging.getLogger("aiolinstor")

_EXCERPT = 200
#: Paths that never wait for the first-request check: the version it reads, emulator control.
VERSION_PATH = "/v1/controller/version"
CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class Answer:
    """A decoded 2xx answer: status and JSON body (None when the body was empty)."""

    status: int
    data: Any
    method: str
    path: str
    controller: str


@dataclass(frozen=True)
class RawAnswer:
    """An answer as received: status, undecoded body and where it came from."""

    status: int
    body: bytes
    content_type: str
    location: str | None
    controller: str


def excerpt(body: bytes) -> str:
    """A short, single-line piece of a body for error messages."""
    text = body[: _EXCERPT * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


async def read_body(response: aiohttp.ClientResponse, method: str, path: str, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes; a cut body is a ProtocolError."""
    declared = response.content_length
    if declared is not None and declared > limit:
        raise ProtocolError(
            f"{method} {path}: HTTP {response.status} body of {declared} bytes exceeds the "
            f"limit of {limit} bytes"
        )
    identity = response.headers.get("Content-Encoding", "identity").lower() == "identity"
    chunks: list[bytes] = []
    size = 0
    try:
        if declared is not None and identity:  # the usual answer: its size is known and fits
            return await response.read()
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise ProtocolError(
                    f"{method} {path}: HTTP {response.status} body exceeds the limit of "
                    f"{limit} bytes"
                )
            chunks.append(chunk)
    except aiohttp.ClientPayloadError as exc:
        raise ProtocolError(
            f"{method} {path}: HTTP {response.status} body is truncated or malformed: {exc}"
        ) from None
    return b"".join(chunks)


def rcs_of(answer: Answer) -> ApiCallRcList:
    """The answer body as an ApiCallRc list (an empty body is an empty list)."""
    if answer.data is None:
        return ApiCallRcList((), answer.status)
    try:
        return ApiCallRcList.from_json(answer.data, answer.status)
    except ProtocolError as exc:
        raise ProtocolError(f"{answer.method} {answer.path}: HTTP {answer.status}: {exc}") from None


def log_rcs(rcs: ApiCallRcList, method: str, path: str) -> None:
    """Warnings at WARNING, infos at DEBUG, on the ``aiolinstor`` logger."""
    for entry in rcs.warnings:
        logger.warning("%s %s: %s", method, path, entry)
    for entry in rcs.infos:
        logger.debug("%s %s: %s", method, path, entry)


def decode(raw: RawAnswer, method: str, path: str) -> Any:
    """The JSON body (None when empty); anything else is a ProtocolError with an excerpt."""
    if not raw.body.strip():
        return None
    try:
        return json.loads(raw.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError(
            f"{method} {path}: HTTP {raw.status} answer from {raw.controller} is not JSON "
            f"(content type {raw.content_type or 'none'}): {excerpt(raw.body)!r}"
        ) from None


#: Error codes of a fault inside the controller (an exception, its database), not of the request.
SERVER_FAULT_CODES = (rc.FAIL_UNKNOWN_ERROR, rc.FAIL_IMPL_ERROR, rc.FAIL_SQL, rc.FAIL_SQL_ROLLBACK)


def server_fault(raw: RawAnswer) -> bool:
    """True for a 5xx answer whose first error entry is a controller-side fault."""
    if raw.status < 500:
        return False
    try:
        data = decode(raw, "", "")
        rcs = ApiCallRcList.from_json([] if data is None else data, raw.status)
    except ProtocolError:
        return False
    errors = rcs.errors
    return bool(errors) and any(errors[0].matches(code) for code in SERVER_FAULT_CODES)


def fault_error(raw: RawAnswer, method: str, path: str) -> ApiCallError:
    """The ApiCallError of a controller-side fault answer (see :func:`server_fault`)."""
    data = decode(raw, method, path)
    rcs = ApiCallRcList.from_json([] if data is None else data, raw.status)
    return api_call_error(rcs, raw.status, method, path)


def interpret(raw: RawAnswer, method: str, path: str) -> Answer:
    """A 2xx answer decoded; redirects and error statuses raise the matching error."""
    status = raw.status
    if 200 <= status < 300:
        return Answer(status, decode(raw, method, path), method, path, raw.controller)
    if 300 <= status < 400:
        raise ProtocolError(
            f"{method} {path}: unexpected redirect (HTTP {status}) from {raw.controller} "
            f"to {raw.location!r}"
        )
    try:
        data = decode(raw, method, path)
        rcs = ApiCallRcList.from_json([] if data is None else data, status)
    except ProtocolError:
        # These statuses say enough without a body (a proxy or an old controller wrote it).
        if status in (401, 403, 404):
            raise api_call_error(ApiCallRcList((), status), status, method, path) from None
        raise ProtocolError(
            f"{method} {path}: HTTP {status} from {raw.controller} without an ApiCallRc "
            f"list: {excerpt(raw.body)!r}"
        ) from None
    log_rcs(rcs, method, path)
    raise api_call_error(rcs, status, method, path)


# --- failures of one exchange ---------------------------------------------------------------
class Failed(Exception):
    """One controller failed for this request; ``sent`` says whether it may have arrived."""

    def __init__(self, reason: str, *, sent: bool, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.retryable = retryable

    def error(self) -> TransportError:
        """The failure as an exception: ConnectError when the request was certainly not sent."""
        return TransportError(self.reason) if self.sent else ConnectError(self.reason)


_CONNECT_TIMEOUT_ERRORS: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(aiohttp, "ConnectionTimeoutError", None),) if isinstance(t, type)
)


def map_error(
    exc: Exception,
    method: str,
    path: str,
    controller: str,
    request_timeout: float | None,
    connect_timeout: float,
) -> Exception:
    """Turn an aiohttp/OS failure with ``controller`` into Failed, RequestTimeout or
    ProtocolError (anything else is returned as is)."""
    if isinstance(exc, (Failed, LinstorError)):
        return exc
    name = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return Failed(
            f"TLS certificate rejected: {exc.certificate_error}", sent=False, retryable=False
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Failed(f"cannot connect: {exc.os_error or name}", sent=False)
    if _CONNECT_TIMEOUT_ERRORS and isinstance(exc, _CONNECT_TIMEOUT_ERRORS):
        return Failed(f"connect timeout after {connect_timeout:g} s", sent=False)
    if isinstance(exc, asyncio.TimeoutError):
        waited = request_timeout or 0.0
        return RequestTimeout(f"{method} {path}: no answer from {controller} within {waited:g} s")
    if isinstance(exc, aiohttp.ClientResponseError):
        return ProtocolError(f"{method} {path}: bad HTTP answer from {controller}: {exc}")
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return Failed(f"connection broke: {name}: {exc}".rstrip(": "), sent=True)
    return exc


def exempt_from_check(path: str) -> bool:
    """True for the paths the first-request check itself uses (no recursion)."""
    return path == VERSION_PATH or path.startswith(CONTROL_PREFIX)


def every_one_timed_out(failures: Sequence[tuple[str, LinstorError]], count: int) -> bool:
    """True when each of the ``count`` controllers failed with a RequestTimeout."""
    return len(failures) == count and all(isinstance(why, RequestTimeout) for _, why in failures)


def timeout_error(
    method: str, path: str, failures: Sequence[tuple[str, LinstorError]], waited: float
) -> RequestTimeout:
    """The RequestTimeout for a round in which every controller timed out."""
    if len(failures) == 1:
        error = failures[0][1]
        assert isinstance(error, RequestTimeout)
        return error
    urls = ", ".join(url for url, _ in failures)
    return RequestTimeout(f"{method} {path}: no answer from any of {urls} within {waited:g} s")
