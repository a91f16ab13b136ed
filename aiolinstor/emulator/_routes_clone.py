"""``/v1`` handlers: resource-definition clones, resource connections and DRBD Proxy.

The clone POST answers once the definition and its replicas are registered (the copy runs on);
``GET .../clone/{clone}`` reports CLONING, then COMPLETE (or FAILED).
"""

from __future__ import annotations

from aiohttp import web

from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import SCHEMAS, read_object
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._routes_common import RouteSet, list_response, paginate
from aiolinstor.emulator._state_clones import (
    clone_definition,
    clone_started,
    clone_status,
    connection,
    connections_of,
    render_connection,
    set_drbd_proxy,
)

_RD = "/v1/resource-definitions/{rsc}"
_PROPS_MODIFY = {"override_props": "{str}", "delete_props": "[str]", "delete_namespaces": "[str]"}

#: Request bodies of these endpoints, checked like the controller's parser (unknown fields fail).
CLONE_SCHEMAS: dict[str, dict[str, str]] = {
    "ResourceDefinitionCloneRequest": {
        "name": "str",
        "external_name": "str",
        "resource_group": "str",
        "layer_list": "[str]",
        "use_zfs_clone": "bool",
        "volume_passphrases": "[str]",
        **_PROPS_MODIFY,
    },
    "DrbdProxyEnable": {"port": "int", "port_src": "int", "port_target": "int"},
}
for _name, _schema in CLONE_SCHEMAS.items():
    SCHEMAS.setdefault(_name, _schema)


class CloneRoutes(RouteSet):
    """Clone and clone status; resource connections; DRBD Proxy enable/disable."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "POST", _RD + "/clone", self.clone)
        add(app, "GET", _RD + "/clone/{clone}", self.clone_status)
        add(app, "GET", _RD + "/resource-connections", self.list_connections)
        add(app, "GET", _RD + "/resource-connections/{a}/{b}", self.get_connection)
        add(app, "POST", _RD + "/drbd-proxy/enable/{a}/{b}", self.enable_proxy)
        add(app, "POST", _RD + "/drbd-proxy/disable/{a}/{b}", self.disable_proxy)

    async def clone(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceDefinitionCloneRequest")
        answer, target = clone_definition(self.state, request.match_info["rsc"], body)
        source = self.state.resource_definitions[request.match_info["rsc"].upper()]
        return json_response(clone_started(source, target, answer), answer.status(201))

    async def clone_status(self, request: web.Request) -> web.Response:
        status = clone_status(self.state, request.match_info["rsc"], request.match_info["clone"])
        return json_response(status)

    async def list_connections(self, request: web.Request) -> web.Response:
        rd = self.state.rd_or_fail(request.match_info["rsc"], Answer())
        conns = [c for _, c in sorted(connections_of(rd).items())]
        return list_response(render_connection(c) for c in paginate(conns, request))

    async def get_connection(self, request: web.Request) -> web.Response:
        a, b = request.match_info["a"], request.match_info["b"]
        rsc = request.match_info["rsc"]
        _, _, conn = connection(self.state, rsc, a, b, Answer(), store=False)
        return list_response([render_connection(conn, a)])

    async def enable_proxy(self, request: web.Request) -> web.Response:
        body = await read_object(request, "DrbdProxyEnable", allow_empty=True)
        return await self._proxy(request, True, body)

    async def disable_proxy(self, request: web.Request) -> web.Response:
        await read_object(request, "DrbdProxyEnable", allow_empty=True)
        return await self._proxy(request, False, {})

    async def _proxy(
        self, request: web.Request, enable: bool, body: dict[str, object]
    ) -> web.Response:
        answer, nodes = set_drbd_proxy(
            self.state,
            request.match_info["rsc"],
            request.match_info["a"],
            request.match_info["b"],
            enable,
            body,
        )
        await flows.applied(self.state, [r.node for r in nodes])
        return answer.response(200)
