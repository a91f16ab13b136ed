"""``/v1`` handlers: resource connections and DRBD Proxy.

Enable and disable answer once the satellites of both ends applied the change (DRBD reconnects
through the proxy afterwards). Like the controller's, the enable endpoint needs a JSON object
body (``{}`` will do) and the disable endpoint reads none.
``PUT .../drbd-proxy`` changes the definition's proxy options at once (a synchronous endpoint:
malformed bodies answer 400).
"""

from __future__ import annotations

from aiohttp import web

from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._routes_common import RouteSet, list_response, paginate
from aiolinstor.emulator._state_proxy import (
    connection,
    connections_of,
    modify_drbd_proxy,
    render_connection,
    set_drbd_proxy,
)

_RD = "/v1/resource-definitions/{rsc}"


class ProxyRoutes(RouteSet):
    """Resource connections (read); DRBD Proxy enable, disable and options."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", _RD + "/resource-connections", self.list_connections)
        add(app, "GET", _RD + "/resource-connections/{a}/{b}", self.get_connection)
        add(app, "POST", _RD + "/drbd-proxy/enable/{a}/{b}", self.enable_proxy)
        add(app, "POST", _RD + "/drbd-proxy/disable/{a}/{b}", self.disable_proxy)
        add(app, "PUT", _RD + "/drbd-proxy", self.modify_proxy, synchronous=True)

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
        body = await read_object(request, "DrbdProxyEnable")
        return await self._proxy(request, True, body)

    async def disable_proxy(self, request: web.Request) -> web.Response:
        return await self._proxy(request, False, {})

    async def _proxy(
        self, request: web.Request, enable: bool, body: dict[str, object]
    ) -> web.Response:
        answer, resources = set_drbd_proxy(
            self.state,
            request.match_info["rsc"],
            request.match_info["a"],
            request.match_info["b"],
            enable,
            body,
        )
        await flows.applied(self.state, [r.node for r in resources])
        return answer.response(200)

    async def modify_proxy(self, request: web.Request) -> web.Response:
        body = await read_object(request, "DrbdProxyModify")
        return modify_drbd_proxy(self.state, request.match_info["rsc"], body).response(200)
