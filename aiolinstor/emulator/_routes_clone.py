"""``/v1`` handlers: resource-definition clones.

The clone POST answers once the definition and its replicas are registered (the copy runs on);
``GET .../clone/{clone}`` reports CLONING, then COMPLETE (or FAILED).
"""

from __future__ import annotations

from aiohttp import web

from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import json_response
from aiolinstor.emulator._routes_common import RouteSet
from aiolinstor.emulator._state_clones import clone_definition, clone_started, clone_status

_RD = "/v1/resource-definitions/{rsc}"


class CloneRoutes(RouteSet):
    """Clone and clone status."""

    def register(self, app: web.Application) -> None:
        self.add(app, "POST", _RD + "/clone", self.clone)
        self.add(app, "GET", _RD + "/clone/{clone}", self.clone_status)

    async def clone(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceDefinitionCloneRequest")
        answer, target = clone_definition(self.state, request.match_info["rsc"], body)
        source = self.state.resource_definitions[request.match_info["rsc"].upper()]
        return json_response(clone_started(source, target, answer), answer.status(201))

    async def clone_status(self, request: web.Request) -> web.Response:
        status = clone_status(self.state, request.match_info["rsc"], request.match_info["clone"])
        return json_response(status)
