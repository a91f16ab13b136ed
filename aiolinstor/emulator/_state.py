"""The emulated controller's state: DB objects, simulated satellites, operations and controls.

:class:`EmulatorState` is what the REST routes, the ``/_emulator`` control API and tests work
on. Operations return the controller's ApiCallRc answer (an :class:`~._rc.Answer`) or raise
:class:`~._rc.ApiFailure`; satellite progress is lazy (see :mod:`._satellites`), so call
:meth:`advance` (every route does) before looking at the DB directly, or use :meth:`dump`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiolinstor._sizes import parse_size_kib
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Resource, ResourceDefinition
from aiolinstor.emulator._render import shown_flags
from aiolinstor.emulator._snapshot_model import dump_snapshot, snapshots_of
from aiolinstor.emulator._state_core import (
    CONTROLLER_VERSION,
    DEFAULT_RESOURCE_GROUP,
    REST_API_VERSION,
    StateEvent,
)
from aiolinstor.emulator._state_groups import GroupOps
from aiolinstor.emulator._state_nodes import NodeOps

__all__ = [
    "CONTROLLER_VERSION",
    "DEFAULT_RESOURCE_GROUP",
    "REST_API_VERSION",
    "EmulatorState",
    "StateEvent",
]


class EmulatorState(NodeOps, GroupOps):
    """Everything the emulated controller knows, plus the knobs tests turn.

    ``EmulatorState(spec=None, *, timing=None, seed=0, clock=time.monotonic)``; see
    :class:`~._state_controls.Controls` for the controls (:meth:`set_node_online`,
    :meth:`set_node_speed`, :meth:`set_node_failure`, :meth:`set_in_use`, :meth:`add_listener`,
    :meth:`new_error_report`, :meth:`reset`, :meth:`advance`).
    """

    def add_resource(
        self,
        name: str,
        size: int | str,
        nodes: Sequence[str],
        *,
        diskless: Sequence[str] = (),
        storage_pool: str | None = None,
        resource_group: str | None = None,
        instant: bool = True,
    ) -> ResourceDefinition:
        """Set-up shortcut: an RD with one volume of ``size`` (bytes or "1 GiB") on ``nodes``.

        ``instant`` replicas are UpToDate at once (no satellite work), which keeps large
        set-ups cheap; raises :class:`~._rc.ApiFailure` like the REST calls would fail.
        """
        rd_body: dict[str, Any] = {"name": name}
        if resource_group:
            rd_body["resource_group_name"] = resource_group
        self.create_resource_definition({"resource_definition": rd_body})
        self.create_volume_definition(
            name, {"volume_definition": {"size_kib": parse_size_kib(size)}}
        )
        props = {"StorPoolName": storage_pool} if storage_pool else {}
        items = [{"resource": {"node_name": n, "props": props}} for n in nodes]
        items += [{"resource": {"node_name": n, "flags": ["DISKLESS"]}} for n in diskless]
        self.create_resources(name, items, instant=instant)
        return self.resource_definitions[name.upper()]

    # --- inspection -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """A plain JSON view of the DB and the satellites' current state (for tests).

        ``{"nodes": {name: {online, speed, failure, flags, props, pools: {name: {total_kib,
        free_kib, allocated_kib, reserved_kib, snapshot_kib, resources}}}},
        "resource_groups": {...}, "resource_definitions": {name: {..., "volume_definitions":
        {nr: {...}}, "resources": {node: {flags, diskless, reported, failure, in_use,
        may_promote, connections, volumes: {nr: {disk_state, done_percentage, ...}}}},
        "snapshots": {name: {state, flags, sequence, volume_definitions: {nr: {size_kib}},
        nodes: {node: {taken, volumes: {nr: {storage_pool, size_kib, cost_kib}}}}}}}},
        "controller_props": {...}}``. Volume numbers are int keys (strings once serialized);
        a snapshot's ``state`` is ``SUCCESSFUL``, ``IN_PROGRESS`` or ``FAILED``. The shape is
        documented in ``docs/emulator.md``.
        """
        self.advance()
        now = self.clock()
        nodes = {}
        for node in sorted(self.nodes.values(), key=lambda n: n.key):
            nodes[node.name] = {
                "online": node.online,
                "speed": node.speed,
                "failure": node.failure,
                "flags": sorted(node.flags),
                "props": dict(node.props),
                "pools": {
                    pool.name: {
                        "provider_kind": pool.provider_kind,
                        "total_kib": pool.total_kib,
                        "free_kib": pool.free_kib,
                        "allocated_kib": pool.allocated_kib,
                        "reserved_kib": pool.reserved_kib,
                        "snapshot_kib": pool.snapshot_kib,
                        "resources": sorted(
                            self.resource_definitions[k].name
                            for k in pool.volume_counts
                            if k in self.resource_definitions
                        ),
                    }
                    for pool in sorted(node.pools.values(), key=lambda p: p.key)
                },
            }
        groups = {
            group.name: {
                "description": group.description,
                "select_filter": dict(group.select_filter),
                "props": dict(group.props),
                "volume_groups": sorted(group.volume_groups),
                "resource_definitions": sorted(
                    self.resource_definitions[k].name for k in group.definitions
                ),
            }
            for group in sorted(self.resource_groups.values(), key=lambda g: g.key)
        }
        definitions = {
            rd.name: self._dump_definition(rd, now)
            for rd in sorted(self.resource_definitions.values(), key=lambda d: d.key)
        }
        return {
            "nodes": nodes,
            "resource_groups": groups,
            "resource_definitions": definitions,
            "controller_props": dict(self.controller_props),
        }

    def _dump_definition(self, rd: ResourceDefinition, now: float) -> dict[str, Any]:
        return {
            "external_name": rd.external_name,
            "resource_group": rd.group.name,
            "flags": sorted(rd.flags),
            "props": dict(rd.props),
            "layer_stack": list(rd.layer_stack),
            "volume_definitions": {
                vd.number: {
                    "size_kib": vd.size_kib,
                    "minor": vd.minor,
                    "flags": sorted(vd.flags),
                    "props": dict(vd.props),
                }
                for _, vd in sorted(rd.volume_definitions.items())
            },
            "resources": {
                r.node.name: self._dump_resource(r, now) for _, r in sorted(rd.resources.items())
            },
            "snapshots": {
                snap.name: dump_snapshot(snap, now) for _, snap in sorted(snapshots_of(rd).items())
            },
        }

    def _dump_resource(self, resource: Resource, now: float) -> dict[str, Any]:
        w = sat.work(resource.node, now)
        reported = sat.is_reported(resource, w)
        peers = sat.peers_of(resource, now)
        volumes = {}
        for number, volume in sorted(resource.volumes.items()):
            state = sat.disk_state(resource, volume, w) if reported else None
            volumes[number] = {
                "storage_pool": volume.pool.name,
                "usable_kib": volume.sizes.usable_kib,
                "allocated_kib": volume.sizes.storage_allocated_kib,
                "disk_state": state,
                "done_percentage": sat.done_percentage(volume, w)
                if sat.is_syncing(volume, w)
                else None,
            }
        return {
            "flags": shown_flags(resource, w),
            "props": dict(resource.props),
            "diskless": resource.diskless,
            "node_id": resource.node_id,
            "tcp_port": resource.tcp_port,
            "in_use": resource.in_use,
            "reported": reported,
            "failure": resource.failure,
            "may_promote": sat.may_promote(resource, w, peers) if reported else None,
            "connections": {
                p.resource.node.name: sat.connected(resource, w, p.resource, p.w) for p in peers
            },
            "volumes": volumes,
        }
