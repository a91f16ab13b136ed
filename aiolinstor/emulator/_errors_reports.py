"""Error reports (``/v1/error-reports``), served from the emulator state's report list.

Reports are ``ErrorReport`` JSON objects; a report's id is the middle of its ``filename``
(``ErrorReport-<id>.log``). Like the real controller, the list omits the report ``text`` unless
``withContent=true``, a single report is answered as a one-element list (an unknown id gives an
empty list), ``limit`` defaults to 1000 and ``offset`` is accepted but ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._bodies import BodyError, read_json
from aiolinstor.emulator._rc import entry, json_response, parse_error_response

__all__ = ["add_error_report_routes", "report_id"]

_FILENAME_RE = re.compile(r"^ErrorReport-(.+)\.log$")
_DELETE_FIELDS: dict[str, type] = {
    "since": int,
    "to": int,
    "nodes": list,
    "exception": str,
    "version": str,
    "ids": list,
}
_DEFAULT_LIMIT = 1000

Report = dict[str, Any]


def report_id(report: Report) -> str:
    """The id of a report, taken from its ``filename``."""
    match = _FILENAME_RE.match(str(report.get("filename", "")))
    return match.group(1) if match else str(report.get("filename", ""))


def _int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BodyError(f"query parameter {name}={raw!r} is not an integer") from None


def _bool_param(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise BodyError(f"query parameter {name}={raw!r} is not a boolean")


def _matching(
    reports: Iterable[Report],
    *,
    nodes: Iterable[str] = (),
    since: int | None = None,
    to: int | None = None,
    ids: Iterable[str] = (),
    exception: str | None = None,
    version: str | None = None,
) -> list[Report]:
    wanted_nodes = {n.upper() for n in nodes}
    wanted_ids = set(ids)
    out = []
    for report in reports:
        time_ms = int(report.get("error_time", 0))
        if wanted_nodes and str(report.get("node_name", "")).upper() not in wanted_nodes:
            continue
        if since is not None and time_ms < since:
            continue
        if to is not None and time_ms > to:
            continue
        if wanted_ids and report_id(report) not in wanted_ids:
            continue
        if exception is not None and report.get("exception") != exception:
            continue
        if version is not None and report.get("version") != version:
            continue
        out.append(report)
    return out


def _check_delete(body: object) -> dict[str, Any]:
    """Check an ``ErrorReportDelete`` body like the controller's parser would."""
    if not isinstance(body, dict):
        raise BodyError("Cannot deserialize $ as ErrorReportDelete: expected a JSON object")
    for key, value in body.items():
        expected = _DELETE_FIELDS.get(key)
        if expected is None:
            raise BodyError(f'Unrecognized field "{key}" (class ErrorReportDelete)')
        if value is None:
            continue
        wrong = isinstance(value, bool) or not isinstance(value, expected)
        if not wrong and expected is list:
            wrong = not all(isinstance(item, str) for item in value)
        if wrong:
            raise BodyError(f"Cannot deserialize value {value!r:.80} at $.{key}")
    return body


def _bad_query(exc: BodyError) -> web.Response:
    return json_response(
        [entry(rc.API_CALL_PARSE_ERROR, "Query parameter invalid.", details=exc.details)], 404
    )


def add_error_report_routes(app: web.Application, reports: Callable[[], list[Report]]) -> None:
    """Serve error reports; ``reports()`` returns the live list (it may be edited in place)."""

    def listing(request: web.Request, report_ids: list[str], with_content: bool) -> web.Response:
        try:
            node = request.query.get("node")
            found = _matching(
                reports(),
                nodes=[node] if node else [],
                since=_int_param(request, "since"),
                to=_int_param(request, "to"),
                ids=report_ids,
            )
            with_content = _bool_param(request, "withContent", with_content)
            limit = _int_param(request, "limit")
        except BodyError as exc:
            return _bad_query(exc)
        limit = _DEFAULT_LIMIT if limit is None else limit
        found.sort(key=lambda r: (int(r.get("error_time", 0)), report_id(r)))
        if limit > 0:
            found = found[:limit]
        if not with_content:
            found = [{k: v for k, v in r.items() if k != "text"} for r in found]
        return json_response(found)

    def delete_matching(matched: list[Report]) -> web.Response:
        live = reports()
        doomed = {id(r) for r in matched}
        live[:] = [r for r in live if id(r) not in doomed]
        return json_response(
            [entry(rc.DELETED, f"Deleted {len(matched)} error report(s).", op=rc.MASK_DEL)]
        )

    async def list_reports(request: web.Request) -> web.Response:
        return listing(request, [], with_content=False)

    async def show_report(request: web.Request) -> web.Response:
        return listing(request, [request.match_info["report_id"]], with_content=True)

    async def delete_report(request: web.Request) -> web.Response:
        wanted = request.match_info["report_id"]
        matched = _matching(reports(), ids=[wanted])
        if not matched:
            return json_response(
                [entry(rc.WARN_NOT_FOUND, f"Error report '{wanted}' not found.", op=rc.MASK_DEL)]
            )
        return delete_matching(matched)

    async def delete_reports(request: web.Request) -> web.Response:
        try:
            body = _check_delete(await read_json(request, allow_empty=False))
        except BodyError as exc:
            return parse_error_response(exc.details, synchronous=False)
        matched = _matching(
            reports(),
            nodes=body.get("nodes") or [],
            since=body.get("since"),
            to=body.get("to"),
            ids=body.get("ids") or [],
            exception=body.get("exception"),
            version=body.get("version"),
        )
        return delete_matching(matched)

    app.router.add_get("/v1/error-reports", list_reports, allow_head=False)
    app.router.add_patch("/v1/error-reports", delete_reports)
    app.router.add_get("/v1/error-reports/{report_id}", show_report, allow_head=False)
    app.router.add_delete("/v1/error-reports/{report_id}", delete_report)
