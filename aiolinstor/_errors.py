"""The exception tree of aiolinstor: everything raised on purpose is a LinstorError."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiolinstor import _apicallrc as rc

if TYPE_CHECKING:
    from aiolinstor._apicallrc import ApiCallRcList


class LinstorError(Exception):
    """Root of every error aiolinstor raises on purpose."""


# --- transport -------------------------------------------------------------------------------
class TransportError(LinstorError):
    """The request did not get an answer from a controller (connection, timeout, reset)."""


class ConnectError(TransportError):
    """No connection could be made to a controller: the request was certainly not sent."""


class RequestTimeout(TransportError, TimeoutError):
    """A controller did not answer within the request timeout."""


class ControllersUnavailable(TransportError):
    """Every configured controller failed; ``failures`` says which and why."""

    def __init__(self, failures: Sequence[tuple[str, BaseException | str]]) -> None:
        self.failures = list(failures)
        lines = "; ".join(f"{url}: {_reason(why)}" for url, why in self.failures)
        super().__init__(f"no LINSTOR controller answered ({lines or 'none configured'})")


def _reason(why: BaseException | str) -> str:
    if isinstance(why, BaseException):
        text = str(why) or type(why).__name__
        return f"{type(why).__name__}: {text}" if text != type(why).__name__ else text
    return why


# --- answers ---------------------------------------------------------------------------------
class ApiCallError(LinstorError):
    """The controller answered with one or more error entries.

    ``rcs`` holds every entry of the answer (errors, warnings and infos alike), ``status`` the
    HTTP status, and ``error_report_ids`` the ids to look up with ``/v1/error-reports``.
    """

    def __init__(self, rcs: ApiCallRcList, status: int, method: str, path: str) -> None:
        self.rcs = rcs
        self.status = status
        self.method = method
        self.path = path
        errors = rcs.errors or tuple(rcs)
        summary = "; ".join(str(entry) for entry in errors) or "no details"
        super().__init__(f"{method} {path} failed with HTTP {status}: {summary}")

    @property
    def error_report_ids(self) -> tuple[str, ...]:
        """Error report ids the controller named, to look up with ``linstor error-reports``."""
        return self.rcs.error_report_ids

    @property
    def first_error(self) -> rc.ApiCallRc | None:
        """The first error entry of the answer (None when it holds only warnings)."""
        errors = self.rcs.errors
        return errors[0] if errors else None

    def has(self, const: int) -> bool:
        """True when any entry of the answer is ``const`` (type and code bits)."""
        return self.rcs.has(const)


class NotFoundError(ApiCallError):
    """The object does not exist (FAIL_NOT_FOUND_*, HTTP 404)."""


class AlreadyExistsError(ApiCallError):
    """The object exists already (FAIL_EXISTS_*)."""


class NotEnoughNodesError(ApiCallError):
    """The autoplacer found no set of nodes that fits (FAIL_NOT_ENOUGH_NODES)."""


class NotEnoughSpaceError(ApiCallError):
    """A storage pool lacks the free space the change needs (FAIL_NOT_ENOUGH_FREE_SPACE)."""


class InUseError(ApiCallError):
    """The resource is in use (DRBD Primary) somewhere (FAIL_IN_USE)."""


class AuthenticationError(ApiCallError):
    """The controller refused the credentials (HTTP 401/403, sign-in failures)."""


def api_call_error(rcs: ApiCallRcList, status: int, method: str, path: str) -> ApiCallError:
    """Build the most specific ApiCallError for an answer, from its first error entry."""
    cls: type[ApiCallError] = ApiCallError
    if status in (401, 403):
        cls = AuthenticationError
    first = rcs.errors[0] if rcs.errors else None
    if first is not None:
        code = first.code
        if first.matches(rc.FAIL_SIGN_IN) or first.matches(rc.FAIL_SIGN_IN_MISSING_CREDENTIALS):
            cls = AuthenticationError
        elif 300 <= code <= 399:
            cls = NotFoundError
        elif 400 <= code <= 499:
            cls = AuthenticationError
        elif 500 <= code <= 599 and not first.matches(rc.FAIL_LOST_STOR_POOL):
            cls = AlreadyExistsError
        elif first.matches(rc.FAIL_NOT_ENOUGH_NODES):
            cls = NotEnoughNodesError
        elif first.matches(rc.FAIL_NOT_ENOUGH_FREE_SPACE):
            cls = NotEnoughSpaceError
        elif first.matches(rc.FAIL_IN_USE):
            cls = InUseError
    elif status == 404:
        cls = NotFoundError
    return cls(rcs, status, method, path)


class ProtocolError(LinstorError):
    """An answer that breaks the API's promise: not JSON, HTML, truncated, wrong shapes."""


class UnsupportedControllerError(LinstorError):
    """The controller speaks a REST API version this SDK cannot use."""


class NoClientError(LinstorError, RuntimeError):
    """No client was given and none is active (``async with aiolinstor.Client()``) in this task."""


# --- input -----------------------------------------------------------------------------------
class InputError(LinstorError, ValueError):
    """A value given by the caller is not acceptable; the message names it."""


class InvalidSizeError(InputError):
    """A size that cannot be parsed, or is zero, negative or out of range."""


class InvalidNameError(InputError):
    """A resource, snapshot, group, pool or node name LINSTOR would refuse."""


# --- convergence -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeLag:
    """Why one node has not reached the awaited state, as last seen."""

    node: str
    reason: str
    disk_state: str | None = None
    replication_state: str | None = None
    done_percentage: float | None = None
    connection: str | None = None
    flags: tuple[str, ...] = ()
    error_report_ids: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        parts = [f"{self.node}: {self.reason}"]
        if self.disk_state:
            parts.append(f"disk {self.disk_state}")
        if self.replication_state:
            progress = f" {self.done_percentage:.1f}%" if self.done_percentage is not None else ""
            parts.append(f"replication {self.replication_state}{progress}")
        if self.connection:
            parts.append(f"connection {self.connection}")
        if self.flags:
            parts.append(f"flags {','.join(self.flags)}")
        if self.error_report_ids:
            parts.append(f"error reports {','.join(self.error_report_ids)}")
        return ", ".join(parts)


class ConvergenceTimeout(LinstorError, TimeoutError):
    """The cluster did not reach the awaited state before the deadline.

    ``laggards`` names each node that is behind and what it last reported.
    """

    def __init__(
        self,
        resource: str,
        operation: str,
        laggards: Sequence[NodeLag],
        timeout: float,
    ) -> None:
        self.resource = resource
        self.operation = operation
        self.laggards = list(laggards)
        self.timeout = timeout
        behind = "; ".join(str(lag) for lag in self.laggards) or "no state reported"
        super().__init__(
            f"{operation} of resource {resource!r} did not converge within {timeout:g} s: {behind}"
        )


class ConvergenceFailed(LinstorError):
    """A satellite reported a failure while the SDK waited for convergence."""

    def __init__(
        self,
        resource: str,
        operation: str,
        laggards: Sequence[NodeLag],
        message: str | None = None,
    ) -> None:
        self.resource = resource
        self.operation = operation
        self.laggards = list(laggards)
        failed = "; ".join(str(lag) for lag in self.laggards)
        text = message or f"{operation} of resource {resource!r} failed"
        super().__init__(f"{text}: {failed}" if failed else text)

    @property
    def error_report_ids(self) -> tuple[str, ...]:
        """Error report ids of every failed node, to look up on the controller."""
        return tuple(rid for lag in self.laggards for rid in lag.error_report_ids)
