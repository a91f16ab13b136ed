"""The control API under ``/_emulator/``: drive the emulated cluster from tests and benchmarks.

Every endpoint answers JSON; errors are ``{"error": "<what is wrong>"}`` with 400 (bad body or
value) or 404 (unknown node, resource or rule). The control API is never counted, faulted,
blackholed or authenticated. The endpoints are listed and specified in ``docs/emulator.md``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from aiolinstor.emulator._faults import FaultRule, FaultRuleError
from aiolinstor.emulator._services import EmulatorServices
from aiolinstor.emulator._spec import ClusterSpec

__all__ = ["add_control_routes"]

Handler = Callable[[web.Request], Awaitable[web.Response]]


class _ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _guarded(handler: Handler) -> Handler:
    """Turn bad input into 400 and unknown objects into 404, with the reason as ``error``."""

    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except _ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        except LookupError as exc:  # the state's "unknown node ..." errors
            return web.json_response({"error": _reason(exc)}, status=404)
        except ValueError as exc:  # the state's "invalid value ..." errors
            return web.json_response({"error": _reason(exc)}, status=400)

    return guarded


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


async def _body(request: web.Request, *, required: bool = True) -> Any:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise _ControlError(400, "a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ControlError(400, f"body is not valid JSON: {exc}") from None


async def _field(request: web.Request, name: str) -> Any:
    body = await _body(request)
    if not isinstance(body, dict) or name not in body:
        raise _ControlError(400, f'body must be a JSON object with "{name}", got {body!r:.100}')
    return body[name]


def _cluster_spec(body: Any) -> ClusterSpec:
    try:
        return ClusterSpec.from_json(body)
    except (ValueError, TypeError) as exc:
        raise _ControlError(400, f"invalid cluster spec: {_reason(exc)}") from None


def _rule_id(request: web.Request) -> int:
    raw = request.match_info["rule_id"]
    try:
        return int(raw)
    except ValueError:
        raise _ControlError(400, f"fault rule id must be an integer, got {raw!r}") from None


def add_control_routes(app: web.Application, services: EmulatorServices) -> None:
    """Add every ``/_emulator/`` endpoint, acting on ``services``."""
    state = services.state

    async def node_online(request: web.Request) -> web.Response:
        node = request.match_info["node"]
        online = request.match_info["mode"] == "online"
        state.set_node_online(node, online)
        return web.json_response({"node": node, "online": online})

    async def node_speed(request: web.Request) -> web.Response:
        node = request.match_info["node"]
        factor = await _field(request, "factor")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
            raise _ControlError(400, f"factor must be a number >= 0, got {factor!r}")
        state.set_node_speed(node, float(factor))
        return web.json_response({"node": node, "factor": factor})

    async def node_failure(request: web.Request) -> web.Response:
        node = request.match_info["node"]
        message = await _field(request, "message")
        if not isinstance(message, str) or not message:
            raise _ControlError(400, f"message must be a non-empty string, got {message!r}")
        state.set_node_failure(node, message)
        return web.json_response({"node": node, "failure": message})

    async def node_failure_clear(request: web.Request) -> web.Response:
        node = request.match_info["node"]
        state.set_node_failure(node, None)
        return web.json_response({"node": node, "failure": None})

    async def resource_in_use(request: web.Request) -> web.Response:
        rsc, node = request.match_info["rsc"], request.match_info["node"]
        in_use = await _field(request, "in_use")
        if not isinstance(in_use, bool):
            raise _ControlError(400, f"in_use must be true or false, got {in_use!r}")
        state.set_in_use(rsc, node, in_use)
        return web.json_response({"resource": rsc, "node": node, "in_use": in_use})

    async def faults_list(request: web.Request) -> web.Response:
        return web.json_response(services.faults.to_json())

    async def faults_add(request: web.Request) -> web.Response:
        try:
            rule = FaultRule.from_json(await _body(request))
        except FaultRuleError as exc:
            raise _ControlError(400, str(exc)) from None
        services.faults.add(rule)
        return web.json_response(rule.to_json(), status=201)

    async def faults_clear(request: web.Request) -> web.Response:
        services.faults.clear()
        return web.json_response([])

    async def fault_get(request: web.Request) -> web.Response:
        rule = services.faults.get(_rule_id(request))
        if rule is None:
            raise _ControlError(404, f"no fault rule with id {request.match_info['rule_id']}")
        return web.json_response(rule.to_json())

    async def fault_delete(request: web.Request) -> web.Response:
        rule_id = _rule_id(request)
        if not services.faults.remove(rule_id):
            raise _ControlError(404, f"no fault rule with id {rule_id}")
        return web.json_response({"deleted": rule_id})

    async def reset(request: web.Request) -> web.Response:
        body = await _body(request, required=False)
        services.reset(None if body is None else _cluster_spec(body))
        return web.json_response(state.spec.to_json())

    async def cluster_get(request: web.Request) -> web.Response:
        return web.json_response(state.spec.to_json())

    async def cluster_put(request: web.Request) -> web.Response:
        services.set_cluster(_cluster_spec(await _body(request)))
        return web.json_response(state.spec.to_json())

    async def state_dump(request: web.Request) -> web.Response:
        return web.json_response(state.dump())

    async def stats_get(request: web.Request) -> web.Response:
        return web.json_response(services.stats.to_json())

    async def stats_reset(request: web.Request) -> web.Response:
        services.stats.reset()
        return web.json_response(services.stats.to_json())

    async def blackhole_get(request: web.Request) -> web.Response:
        return web.json_response(services.blackhole.to_json())

    async def blackhole_start(request: web.Request) -> web.Response:
        seconds = await _field(request, "seconds")
        try:
            services.blackhole.start(seconds)
        except FaultRuleError as exc:
            raise _ControlError(400, str(exc)) from None
        return web.json_response(services.blackhole.to_json())

    async def blackhole_clear(request: web.Request) -> web.Response:
        services.blackhole.clear()
        return web.json_response(services.blackhole.to_json())

    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/_emulator/nodes/{node}/{mode:online|offline}", node_online),
        ("POST", "/_emulator/nodes/{node}/speed", node_speed),
        ("POST", "/_emulator/nodes/{node}/failure", node_failure),
        ("DELETE", "/_emulator/nodes/{node}/failure", node_failure_clear),
        ("POST", "/_emulator/resources/{rsc}/{node}/in-use", resource_in_use),
        ("GET", "/_emulator/faults", faults_list),
        ("POST", "/_emulator/faults", faults_add),
        ("DELETE", "/_emulator/faults", faults_clear),
        ("GET", "/_emulator/faults/{rule_id}", fault_get),
        ("DELETE", "/_emulator/faults/{rule_id}", fault_delete),
        ("POST", "/_emulator/reset", reset),
        ("GET", "/_emulator/cluster", cluster_get),
        ("PUT", "/_emulator/cluster", cluster_put),
        ("GET", "/_emulator/state", state_dump),
        ("GET", "/_emulator/stats", stats_get),
        ("POST", "/_emulator/stats/reset", stats_reset),
        ("GET", "/_emulator/blackhole", blackhole_get),
        ("POST", "/_emulator/blackhole", blackhole_start),
        ("DELETE", "/_emulator/blackhole", blackhole_clear),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))
