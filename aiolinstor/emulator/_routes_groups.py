"""``/v1`` handlers: resource groups, volume groups and spawn."""

from __future__ import annotations

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._render import render_resource_group, render_volume_group
from aiolinstor.emulator._routes_common import (
    RouteSet,
    list_response,
    name_filter,
    paginate,
    path_number,
    props_match,
)

_RG = "/v1/resource-groups/{rg}"


class GroupRoutes(RouteSet):
    """Resource groups, their volume groups, spawn."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", "/v1/resource-groups", self.list_groups)
        add(app, "POST", "/v1/resource-groups", self.create_group, synchronous=True)
        add(app, "GET", _RG, self.get_group)
        add(app, "PUT", _RG, self.modify_group)
        add(app, "DELETE", _RG, self.delete_group)
        add(app, "GET", _RG + "/volume-groups", self.list_volume_groups)
        add(app, "POST", _RG + "/volume-groups", self.create_volume_group, synchronous=True)
        add(app, "GET", _RG + "/volume-groups/{nr}", self.get_volume_group)
        add(app, "PUT", _RG + "/volume-groups/{nr}", self.modify_volume_group)
        add(app, "DELETE", _RG + "/volume-groups/{nr}", self.delete_volume_group)
        add(app, "POST", _RG + "/spawn", self.spawn)

    async def list_groups(self, request: web.Request) -> web.Response:
        wanted = name_filter(request, "resource_groups")
        groups = [
            g
            for key, g in sorted(self.state.resource_groups.items())
            if (wanted is None or key in wanted) and props_match(request, g.props)
        ]
        return list_response(render_resource_group(g) for g in paginate(groups, request))

    async def get_group(self, request: web.Request) -> web.Response:
        group = self.state.rg_or_fail(request.match_info["rg"], Answer())
        return json_response(render_resource_group(group))

    async def create_group(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceGroup")
        return self.state.create_resource_group(body).response(201)

    async def modify_group(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceGroupModify")
        return self.state.modify_resource_group(request.match_info["rg"], body).response(200)

    async def delete_group(self, request: web.Request) -> web.Response:
        return self.state.delete_resource_group(request.match_info["rg"]).response(200)

    # --- volume groups ----------------------------------------------------------------------

    def _number(self, request: web.Request) -> int:
        return path_number(request, "nr", Answer(), rc.FAIL_NOT_FOUND_VLM_GRP, "Volume group")

    async def list_volume_groups(self, request: web.Request) -> web.Response:
        group = self.state.rg_or_fail(request.match_info["rg"], Answer())
        vgs = [vg for _, vg in sorted(group.volume_groups.items())]
        return list_response(render_volume_group(vg) for vg in paginate(vgs, request))

    async def get_volume_group(self, request: web.Request) -> web.Response:
        answer = Answer()
        group = self.state.rg_or_fail(request.match_info["rg"], answer)
        vg = self.state.volume_group_or_fail(group, self._number(request), answer)
        return json_response(render_volume_group(vg))

    async def create_volume_group(self, request: web.Request) -> web.Response:
        body = await read_object(request, "VolumeGroup", allow_empty=True)
        return self.state.create_volume_group(request.match_info["rg"], body).response(201)

    async def modify_volume_group(self, request: web.Request) -> web.Response:
        number = self._number(request)
        body = await read_object(request, "VolumeGroupModify")
        return self.state.modify_volume_group(request.match_info["rg"], number, body).response(200)

    async def delete_volume_group(self, request: web.Request) -> web.Response:
        return self.state.delete_volume_group(
            request.match_info["rg"], self._number(request)
        ).response(200)

    # --- spawn ------------------------------------------------------------------------------

    async def spawn(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceGroupSpawn")
        answer, created = self.state.spawn(request.match_info["rg"], body)
        if created:
            await flows.deploy(self.state, answer, created[0].rd, created)
        return answer.response(201)
