"""``/v1`` handlers: resource definitions, volume definitions (resize) and sync-status."""

from __future__ import annotations

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._render import render_resource_definition, render_volume_definition
from aiolinstor.emulator._routes_common import (
    RouteSet,
    list_response,
    name_filter,
    paginate,
    path_number,
    props_match,
    query_bool,
)

_RD = "/v1/resource-definitions/{rsc}"


class DefinitionRoutes(RouteSet):
    """Resource definitions and their volume definitions."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", "/v1/resource-definitions", self.list_definitions)
        add(app, "POST", "/v1/resource-definitions", self.create_definition, synchronous=True)
        add(app, "GET", _RD, self.get_definition)
        add(app, "PUT", _RD, self.modify_definition)
        add(app, "DELETE", _RD, self.delete_definition)
        add(app, "GET", _RD + "/sync-status", self.sync_status)
        add(app, "GET", _RD + "/volume-definitions", self.list_volume_definitions)
        add(app, "POST", _RD + "/volume-definitions", self.create_volume_definition)
        add(app, "GET", _RD + "/volume-definitions/{nr}", self.get_volume_definition)
        add(app, "PUT", _RD + "/volume-definitions/{nr}", self.modify_volume_definition)
        add(app, "DELETE", _RD + "/volume-definitions/{nr}", self.delete_volume_definition)

    async def list_definitions(self, request: web.Request) -> web.Response:
        wanted = name_filter(request, "resource_definitions")
        groups = name_filter(request, "resource_groups")
        with_volumes = query_bool(request, "with_volume_definitions")
        rds = [
            rd
            for key, rd in sorted(self.state.resource_definitions.items())
            if (wanted is None or key in wanted)
            and (groups is None or rd.group.key in groups)
            and props_match(request, rd.props)
        ]
        return list_response(
            render_resource_definition(rd, with_volumes=with_volumes)
            for rd in paginate(rds, request)
        )

    async def get_definition(self, request: web.Request) -> web.Response:
        rd = self.state.rd_or_fail(request.match_info["rsc"], Answer())
        with_volumes = query_bool(request, "with_volume_definitions")
        return json_response(render_resource_definition(rd, with_volumes=with_volumes))

    async def create_definition(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceDefinitionCreate")
        return self.state.create_resource_definition(body).response(201)

    async def modify_definition(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceDefinitionModify")
        answer, nodes = self.state.modify_resource_definition(request.match_info["rsc"], body)
        await flows.applied(self.state, nodes)
        return answer.response(200)

    async def delete_definition(self, request: web.Request) -> web.Response:
        answer, resources = self.state.delete_resource_definition(request.match_info["rsc"])
        if resources:
            await flows.deleted(self.state, answer, resources)
            rd = resources[0].rd
            if rd.key not in self.state.resource_definitions:
                answer.add(
                    rc.DELETED,
                    f"Resource definition '{rd.name}' deleted.",
                    details=f"Resource definition '{rd.name}' UUID was: {rd.uuid}",
                )
        return answer.response(200)

    async def sync_status(self, request: web.Request) -> web.Response:
        return json_response(self.state.sync_status(request.match_info["rsc"]))

    # --- volume definitions -----------------------------------------------------------------

    def _number(self, request: web.Request) -> int:
        answer = Answer()
        return path_number(request, "nr", answer, rc.FAIL_NOT_FOUND_VLM_DFN, "Volume definition")

    async def list_volume_definitions(self, request: web.Request) -> web.Response:
        rd = self.state.rd_or_fail(request.match_info["rsc"], Answer())
        vds = [vd for _, vd in sorted(rd.volume_definitions.items())]
        return list_response(render_volume_definition(rd, vd) for vd in paginate(vds, request))

    async def get_volume_definition(self, request: web.Request) -> web.Response:
        answer = Answer()
        rd = self.state.rd_or_fail(request.match_info["rsc"], answer)
        vd = self.state.vd_or_fail(rd, self._number(request), answer)
        return json_response(render_volume_definition(rd, vd))

    async def create_volume_definition(self, request: web.Request) -> web.Response:
        body = await read_object(request, "VolumeDefinitionCreate")
        answer, resources = self.state.create_volume_definition(request.match_info["rsc"], body)
        await flows.applied(self.state, [r.node for r in resources])
        return answer.response(200)

    async def modify_volume_definition(self, request: web.Request) -> web.Response:
        number = self._number(request)
        body = await read_object(request, "VolumeDefinitionModify")
        answer, resources = self.state.modify_volume_definition(
            request.match_info["rsc"], number, body
        )
        await flows.applied(self.state, [r.node for r in resources])
        return answer.response(200)

    async def delete_volume_definition(self, request: web.Request) -> web.Response:
        answer, nodes = self.state.delete_volume_definition(
            request.match_info["rsc"], self._number(request)
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)
