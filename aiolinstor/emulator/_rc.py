"""ApiCallRc answers as the controller builds them, plus NON_EMPTY JSON helpers.

A mutating call collects entries in an :class:`Answer` whose context (operation and object masks,
object references) is merged into every entry, like the controller's ``ResponseConverter``. An
operation that cannot go on raises :class:`ApiFailure` carrying the answer so far; the HTTP status
is then picked from the first error entry by :func:`aiolinstor._apicallrc.http_status_for`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, NoReturn

from aiohttp import web

from aiolinstor import _apicallrc as rc

JsonDict = dict[str, Any]

#: The details text a real controller adds to WARN_NOT_CONNECTED.
NOT_CONNECTED_DETAILS = (
    "The controller is trying to (re-) establish a connection to the satellite. The controller "
    "stored the changes and as soon the satellite is connected, it will receive this update."
)


def now_iso() -> str:
    """A ``created_at`` value: ISO-8601 with offset, like the controller's."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


_EMPTYABLE = (str, list, dict, tuple, set)


def compact(**fields: Any) -> JsonDict:
    """A JSON object without null, empty-string, empty-list and empty-map fields (NON_EMPTY)."""
    return {
        k: v for k, v in fields.items() if v is not None and (v or not isinstance(v, _EMPTYABLE))
    }


def entry(
    const: int,
    message: str,
    *,
    op: int = 0,
    obj: int = 0,
    details: str | None = None,
    cause: str | None = None,
    correction: str | None = None,
    obj_refs: Mapping[str, str] | None = None,
    error_report_ids: Iterable[str] = (),
) -> JsonDict:
    """One ApiCallRc entry; ``op``/``obj`` are OR-ed in unless ``const`` carries its own."""
    unsigned = rc.to_unsigned(const)
    if unsigned & rc.MASK_BITS_OP:
        op = 0
    if unsigned & rc.MASK_BITS_OBJ:
        obj = 0
    return compact(
        ret_code=rc.make_ret_code(const, op, obj),
        message=message,
        cause=cause,
        details=details,
        correction=correction,
        error_report_ids=list(error_report_ids),
        obj_refs=dict(obj_refs or {}),
        created_at=now_iso(),
    )


class Answer:
    """The entries of one controller answer, sharing an operation/object context."""

    def __init__(self, op: int = 0, obj: int = 0, refs: Mapping[str, str] | None = None) -> None:
        self.op = op
        self.obj = obj
        self.refs: dict[str, str] = dict(refs or {})
        self.entries: list[JsonDict] = []

    def add(
        self,
        const: int,
        message: str,
        *,
        details: str | None = None,
        cause: str | None = None,
        correction: str | None = None,
        refs: Mapping[str, str] | None = None,
        error_report_ids: Iterable[str] = (),
        obj: int | None = None,
    ) -> JsonDict:
        """Append an entry (context refs first, then ``refs``) and return it."""
        merged = {**self.refs, **(refs or {})}
        item = entry(
            const,
            message,
            op=self.op,
            obj=self.obj if obj is None else obj,
            details=details,
            cause=cause,
            correction=correction,
            obj_refs=merged,
            error_report_ids=error_report_ids,
        )
        self.entries.append(item)
        return item

    def fail(
        self,
        const: int,
        message: str,
        *,
        details: str | None = None,
        cause: str | None = None,
        correction: str | None = None,
        refs: Mapping[str, str] | None = None,
        error_report_ids: Iterable[str] = (),
    ) -> NoReturn:
        """Append an error entry and abort the operation with :class:`ApiFailure`."""
        self.add(
            const,
            message,
            details=details,
            cause=cause,
            correction=correction,
            refs=refs,
            error_report_ids=error_report_ids,
        )
        raise ApiFailure(self)

    def extend(self, other: Answer | Iterable[JsonDict]) -> None:
        self.entries.extend(other.entries if isinstance(other, Answer) else other)

    def not_connected(self, node_name: str) -> None:
        """The WARN_NOT_CONNECTED entry for a change stored for an offline satellite."""
        self.add(
            rc.WARN_NOT_CONNECTED,
            f"No active connection to satellite '{node_name}'",
            details=NOT_CONNECTED_DETAILS,
            refs={"Node": node_name},
        )

    @property
    def has_error(self) -> bool:
        return any(rc.severity(e["ret_code"]) is rc.Severity.ERROR for e in self.entries)

    def status(self, success_status: int) -> int:
        return rc.http_status_for((e["ret_code"] for e in self.entries), success_status)

    def response(self, success_status: int) -> web.Response:
        """The HTTP answer: the entry list with the status the controller would pick."""
        return json_response(self.entries, self.status(success_status))


class ApiFailure(Exception):
    """An operation stopped with error entries; the answer so far goes back to the client."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        messages = [
            e["message"] for e in answer.entries if rc.severity(e["ret_code"]).value == "error"
        ]
        super().__init__("; ".join(messages) or "operation failed")


def fail(
    const: int,
    message: str,
    *,
    op: int = 0,
    obj: int = 0,
    details: str | None = None,
    cause: str | None = None,
    correction: str | None = None,
    refs: Mapping[str, str] | None = None,
) -> NoReturn:
    """Abort with a one-entry answer (for lookups that fail before an operation starts)."""
    Answer(op, obj, refs).fail(const, message, details=details, cause=cause, correction=correction)


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer; Python ints keep full 64-bit precision (no float round trip)."""
    return web.Response(
        text=json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


PARSE_ERROR_MESSAGE = "Unable to parse input json."


def parse_error_response(details: str, *, synchronous: bool) -> web.Response:
    """The answer to a malformed body: 400 on synchronous endpoints, 500 on the others."""
    answer = Answer()
    answer.add(rc.API_CALL_PARSE_ERROR, PARSE_ERROR_MESSAGE, details=details)
    return json_response(answer.entries, 400 if synchronous else 500)
