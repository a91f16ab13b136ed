"""``/v1`` handlers: snapshots, ``/v1/view/snapshots``, multi-snapshots, restore and rollback.

Like the controller's reactive flows, a snapshot POST answers once every satellite has taken
its snapshot (bounded by the state's ``ready_timeout``), a restore once the new replicas are
ready, and a rollback once the satellites rolled back (DRBD reconnects afterwards).
"""

from __future__ import annotations

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._routes_common import (
    RouteSet,
    list_response,
    name_filter,
    paginate,
    query_values,
)
from aiolinstor.emulator._state_restore import (
    create_multi,
    finish_rollback,
    restore_resources,
    restore_volume_definitions,
    rollback,
)
from aiolinstor.emulator._state_snapshots import (
    SnapshotDefinition,
    all_snapshots,
    create_snapshot,
    delete_snapshot,
    finish_create,
    finish_delete,
    modify_snapshot,
    remaining_work,
    render_snapshot,
    snapshot_or_fail,
    snapshots_of,
    work_targets,
)

_RD = "/v1/resource-definitions/{rsc}"


class SnapshotRoutes(RouteSet):
    """Snapshot create/list/get/modify/delete, view, multi, restore and rollback."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", _RD + "/snapshots", self.list_snapshots)
        add(app, "POST", _RD + "/snapshots", self.create_snapshot)
        add(app, "GET", _RD + "/snapshots/{snap}", self.get_snapshot)
        add(app, "PUT", _RD + "/snapshots/{snap}", self.modify_snapshot)
        add(app, "DELETE", _RD + "/snapshots/{snap}", self.delete_snapshot)
        add(app, "GET", "/v1/view/snapshots", self.view_snapshots)
        add(app, "POST", "/v1/actions/snapshot/multi", self.create_multi)
        add(
            app,
            "POST",
            _RD + "/snapshot-restore-volume-definition/{snap}",
            self.restore_volume_definitions,
        )
        add(app, "POST", _RD + "/snapshot-restore-resource/{snap}", self.restore_resources)
        add(app, "POST", _RD + "/snapshot-rollback/{snap}", self.rollback)

    # --- reading ----------------------------------------------------------------------------

    async def list_snapshots(self, request: web.Request) -> web.Response:
        rd = self.state.resource_definitions.get(request.match_info["rsc"].upper())
        found = [s for _, s in sorted(snapshots_of(rd).items())] if rd is not None else []
        now = self.state.clock()
        return list_response(render_snapshot(s, now) for s in paginate(found, request))

    async def get_snapshot(self, request: web.Request) -> web.Response:
        answer = Answer()
        rd = self.state.rd_or_fail(request.match_info["rsc"], answer)
        snap = snapshot_or_fail(rd, request.match_info["snap"], answer)
        return json_response(render_snapshot(snap, self.state.clock()))

    async def view_snapshots(self, request: web.Request) -> web.Response:
        resources = name_filter(request, "resources")
        nodes = name_filter(request, "nodes")
        found = [
            s
            for s in all_snapshots(self.state)
            if (resources is None or s.rd.key in resources)
            and (nodes is None or any(key in nodes for key in s.nodes))
        ]
        now = self.state.clock()
        return list_response(render_snapshot(s, now) for s in paginate(found, request))

    # --- create -----------------------------------------------------------------------------

    async def _await_taken(self, snaps: list[SnapshotDefinition], answer: Answer) -> None:
        def remaining() -> float:
            now = self.state.clock()
            return max((s.remaining(now) for s in snaps if not s.failed), default=0.0)

        await self.state.wait_until(remaining, self.state.ready_timeout)
        for snap in snaps:
            finish_create(self.state, snap, answer)

    async def create_snapshot(self, request: web.Request) -> web.Response:
        body = await read_object(request, "Snapshot")
        answer = Answer(rc.MASK_CRT, rc.MASK_SNAPSHOT, {"RscDfn": request.match_info["rsc"]})
        snap = create_snapshot(self.state, request.match_info["rsc"], body, answer)
        await self._await_taken([snap], answer)
        return answer.response(201)

    async def create_multi(self, request: web.Request) -> web.Response:
        body = await read_object(request, "CreateMultiSnapshotRequest")
        answer = Answer(rc.MASK_CRT, rc.MASK_SNAPSHOT)
        snaps = create_multi(self.state, body, answer)
        await self._await_taken(snaps, answer)
        return answer.response(201)

    # --- modify / delete --------------------------------------------------------------------

    async def modify_snapshot(self, request: web.Request) -> web.Response:
        body = await read_object(request, "SnapshotModify")
        answer = modify_snapshot(
            self.state, request.match_info["rsc"], request.match_info["snap"], body
        )
        return answer.response(200)

    async def delete_snapshot(self, request: web.Request) -> web.Response:
        answer, snap, removable = delete_snapshot(
            self.state,
            request.match_info["rsc"],
            request.match_info["snap"],
            query_values(request, "nodes"),
        )
        if snap is not None:
            timing = self.state.timing
            targets = work_targets(
                self.state, [ns.node for ns in removable], timing.apply_s + timing.delete_s
            )
            await self.state.wait_until(
                lambda: remaining_work(self.state, targets), self.state.ready_timeout
            )
            finish_delete(self.state, snap, removable, answer)
        return answer.response(200)

    # --- restore / rollback -----------------------------------------------------------------

    async def restore_volume_definitions(self, request: web.Request) -> web.Response:
        body = await read_object(request, "SnapshotRestore")
        answer = restore_volume_definitions(
            self.state, request.match_info["rsc"], request.match_info["snap"], body
        )
        return answer.response(200)

    async def restore_resources(self, request: web.Request) -> web.Response:
        body = await read_object(request, "SnapshotRestore")
        answer, target, created = restore_resources(
            self.state, request.match_info["rsc"], request.match_info["snap"], body
        )
        if target is not None and created:
            await flows.deploy(self.state, answer, target, created)
        return answer.response(200)

    async def rollback(self, request: web.Request) -> web.Response:
        await read_object(request, "SnapshotRollback", allow_empty=True)
        answer, resources, targets = rollback(
            self.state, request.match_info["rsc"], request.match_info["snap"]
        )
        await self.state.wait_until(
            lambda: remaining_work(self.state, targets), self.state.ready_timeout
        )
        self.state.advance()
        if resources:
            finish_rollback(resources[0].rd, resources, answer)
        return answer.response(200)
