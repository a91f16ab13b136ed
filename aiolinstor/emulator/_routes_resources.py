"""``/v1`` handlers: resources and their volumes, autoplace, make-available, activate,
toggle-disk (body form and the old path forms) and ``/v1/view/resources``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import BodyError, read_list, read_object
from aiolinstor.emulator._model import Resource
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._render import render_resource
from aiolinstor.emulator._routes_common import (
    RouteSet,
    list_response,
    name_filter,
    paginate,
    path_number,
    props_match,
)
from aiolinstor.emulator._state_resources import TOGGLE_OPERATIONS

_RSC = "/v1/resource-definitions/{rsc}/resources/{node}"


class ResourceRoutes(RouteSet):
    """Resources, volumes, placement and disk toggling."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", "/v1/view/resources", self.view_resources)
        add(app, "GET", "/v1/resource-definitions/{rsc}/resources", self.list_resources)
        add(app, "POST", "/v1/resource-definitions/{rsc}/resources", self.create_resources)
        add(app, "POST", "/v1/resource-definitions/{rsc}/autoplace", self.autoplace)
        add(app, "GET", _RSC, self.get_resource)
        add(app, "POST", _RSC, self.create_resource)
        add(app, "PUT", _RSC, self.modify_resource)
        add(app, "DELETE", _RSC, self.delete_resource)
        add(app, "GET", _RSC + "/volumes", self.list_volumes)
        add(app, "GET", _RSC + "/volumes/{nr}", self.get_volume)
        add(app, "PUT", _RSC + "/volumes/{nr}", self.modify_volume)
        add(app, "POST", _RSC + "/make-available", self.make_available)
        add(app, "POST", _RSC + "/activate", self.activate)
        add(app, "POST", _RSC + "/deactivate", self.deactivate)
        add(app, "PUT", _RSC + "/toggle-disk", self.toggle_disk)
        for kind in ("diskless", "diskful"):
            add(app, "PUT", _RSC + f"/toggle-disk/{kind}", self.toggle_disk_path)
            add(app, "PUT", _RSC + f"/toggle-disk/{kind}/{{pool}}", self.toggle_disk_path)
        add(app, "PUT", _RSC + "/migrate-disk/{from}", self.migrate_disk)
        add(app, "PUT", _RSC + "/migrate-disk/{from}/{pool}", self.migrate_disk)

    # --- listing ----------------------------------------------------------------------------

    def _select(self, request: web.Request, resources: list[Resource]) -> list[Resource]:
        nodes = name_filter(request, "nodes")
        pools = name_filter(request, "storage_pools")
        return [
            r
            for r in resources
            if (nodes is None or r.node.key in nodes)
            and (pools is None or any(v.pool.key in pools for v in r.volumes.values()))
            and props_match(request, r.props)
        ]

    async def view_resources(self, request: web.Request) -> web.Response:
        wanted = name_filter(request, "resources")
        definitions = self.state.resource_definitions
        keys = (
            sorted(definitions) if wanted is None else sorted(k for k in wanted if k in definitions)
        )
        resources = [r for key in keys for _, r in sorted(definitions[key].resources.items())]
        now = self.state.clock()
        selected = paginate(self._select(request, resources), request)
        return list_response(render_resource(r, now, with_volumes=True) for r in selected)

    async def list_resources(self, request: web.Request) -> web.Response:
        rd = self.state.rd_or_fail(request.match_info["rsc"], Answer())
        now = self.state.clock()
        selected = paginate(
            self._select(request, [r for _, r in sorted(rd.resources.items())]), request
        )
        return list_response(render_resource(r, now, with_volumes=False) for r in selected)

    def _resource(self, request: web.Request) -> Resource:
        answer = Answer()
        rd = self.state.rd_or_fail(request.match_info["rsc"], answer)
        return self.state.resource_or_fail(rd, request.match_info["node"], answer)

    async def get_resource(self, request: web.Request) -> web.Response:
        return json_response(
            render_resource(self._resource(request), self.state.clock(), with_volumes=False)
        )

    async def list_volumes(self, request: web.Request) -> web.Response:
        view = render_resource(self._resource(request), self.state.clock(), with_volumes=True)
        return list_response(paginate(view["volumes"], request))

    async def get_volume(self, request: web.Request) -> web.Response:
        resource = self._resource(request)
        answer = Answer()
        number = path_number(request, "nr", answer, rc.FAIL_NOT_FOUND_VLM, "Volume")
        view = render_resource(resource, self.state.clock(), with_volumes=True)
        for volume in view["volumes"]:
            if volume["volume_number"] == number:
                return json_response(volume)
        answer.fail(
            rc.FAIL_NOT_FOUND_VLM,
            f"Volume with number '{number}' on resource '{resource.rd.name}' on node "
            f"'{resource.node.name}' not found.",
        )

    # --- create / place ---------------------------------------------------------------------

    async def create_resources(self, request: web.Request) -> web.Response:
        items = await read_list(request, "ResourceCreate")
        rsc = request.match_info["rsc"]
        answer, created = self.state.create_resources(rsc, items)
        if created or self.state.resource_definitions.get(rsc.upper()) is not None:
            rd = self.state.resource_definitions[rsc.upper()]
            await flows.deploy(self.state, answer, rd, created)
        return answer.response(201)

    async def create_resource(self, request: web.Request) -> web.Response:
        item: dict[str, Any] = await read_object(request, "ResourceCreate", allow_empty=True)
        item = {
            **item,
            "resource": {**(item.get("resource") or {}), "node_name": request.match_info["node"]},
        }
        answer, created = self.state.create_resources(request.match_info["rsc"], [item])
        rd = self.state.resource_definitions[request.match_info["rsc"].upper()]
        await flows.deploy(self.state, answer, rd, created)
        return answer.response(201)

    async def autoplace(self, request: web.Request) -> web.Response:
        body = await read_object(request, "AutoPlaceRequest", allow_empty=True)
        answer, created = self.state.autoplace(request.match_info["rsc"], body)
        if created:
            await flows.deploy(self.state, answer, created[0].rd, created)
        return answer.response(201)

    async def make_available(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceMakeAvailable", allow_empty=True)
        answer, changed = self.state.make_available(
            request.match_info["rsc"], request.match_info["node"], body
        )
        await self._after_change(answer, changed)
        return answer.response(200)

    async def _after_change(self, answer: Answer, changed: list[Resource]) -> None:
        """Deploy new replicas (with the ready wait), or wait until a disk change applied."""
        new = [r for r in changed if r.op is None]
        toggled = [r for r in changed if r.op is not None]
        if new:
            await flows.deploy(self.state, answer, new[0].rd, new)
        if toggled:
            await flows.operation_done(self.state, toggled, until_applied=True)

    # --- modify / delete --------------------------------------------------------------------

    async def modify_resource(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ResourceModify")
        answer, nodes = self.state.modify_resource(
            request.match_info["rsc"], request.match_info["node"], body
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)

    async def modify_volume(self, request: web.Request) -> web.Response:
        answer = Answer()
        number = path_number(request, "nr", answer, rc.FAIL_NOT_FOUND_VLM, "Volume")
        body = await read_object(request, "VolumeModify")
        answer, nodes = self.state.modify_volume(
            request.match_info["rsc"], request.match_info["node"], number, body
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)

    async def delete_resource(self, request: web.Request) -> web.Response:
        answer, resources = self.state.delete_resource(
            request.match_info["rsc"], request.match_info["node"]
        )
        await flows.deleted(self.state, answer, resources)
        return answer.response(200)

    async def activate(self, request: web.Request) -> web.Response:
        return await self._set_active(request, True)

    async def deactivate(self, request: web.Request) -> web.Response:
        return await self._set_active(request, False)

    async def _set_active(self, request: web.Request, active: bool) -> web.Response:
        answer, nodes = self.state.set_active(
            request.match_info["rsc"], request.match_info["node"], active
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)

    # --- toggle disk ------------------------------------------------------------------------

    async def _toggle(
        self,
        request: web.Request,
        operation: str,
        pool: str | None,
        migrate_from: str | None = None,
    ) -> web.Response:
        answer, changed = self.state.toggle_disk(
            request.match_info["rsc"], request.match_info["node"], operation, pool, migrate_from
        )
        for resource in changed:
            if not resource.node.online:
                answer.not_connected(resource.node.name)
        if changed:
            removing = changed[0].op == "disk_remove"
            await flows.operation_done(self.state, changed, until_applied=not removing)
            node = changed[0].node.name
            if changed[0].node.online and changed[0].failure is None:
                verb = "Removed disk from" if removing else "Added disk to"
                answer.add(
                    rc.MODIFIED,
                    f"({node}) {verb} resource '{changed[0].rd.name}'",
                    refs={"Node": node},
                )
        return answer.response(200)

    async def toggle_disk(self, request: web.Request) -> web.Response:
        body = await read_object(request, "ToggleDiskRequest")
        operation = body.get("operation")
        if operation not in TOGGLE_OPERATIONS:
            raise BodyError(
                f"Invalid toggle-disk operation {operation!r}: must be one of "
                f"{', '.join(TOGGLE_OPERATIONS)}"
            )
        return await self._toggle(
            request, str(operation), body.get("storage_pool"), body.get("migrate_from")
        )

    async def toggle_disk_path(self, request: web.Request) -> web.Response:
        await read_object(request, "ToggleDiskDiskful", allow_empty=True)
        diskless = "/toggle-disk/diskless" in request.path
        operation = "INTO_DRBD_DISKLESS" if diskless else "INTO_DRBD_DISKFUL"
        return await self._toggle(request, operation, request.match_info.get("pool"))

    async def migrate_disk(self, request: web.Request) -> web.Response:
        await read_object(request, "ToggleDiskDiskful", allow_empty=True)
        return await self._toggle(
            request, "INTO_DRBD_DISKFUL", request.match_info.get("pool"), request.match_info["from"]
        )
