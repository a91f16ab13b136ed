"""The emulator's database and lazy clock (the base of :class:`EmulatorState`).

Holds every object by upper-case key, allocates ids (uuids, minors, ports, node ids), builds a
fresh cluster from a :class:`ClusterSpec`, starts the satellites' timelines, and runs the lazy
clock: :meth:`StateCore.advance` completes operations whose time has come and reports
may-promote changes. The controls tests turn live in :mod:`._state_controls`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import (
    ALREADY,
    DELETE,
    DISK_ADD_REQUESTED,
    DISK_REMOVE_REQUESTED,
    DISKLESS,
    DRBD_DISKLESS,
    Node,
    NumberPool,
    Resource,
    ResourceDefinition,
    ResourceGroup,
    StoragePool,
    StoragePoolDefinition,
    Volume,
    VolumeDefinition,
    volume_sizes,
)
from aiolinstor.emulator._render import render_node
from aiolinstor.emulator._snapshot_model import drop_node_snapshot, node_snapshots
from aiolinstor.emulator._spec import (
    DEFAULT_LAYERS,
    DEFAULT_POOL_SIZE_KIB,
    DISKLESS_POOL_NAME,
    ClusterSpec,
    NodeSpec,
    Timing,
    loopback_address,
)

log = logging.getLogger("aiolinstor.emulator")

CONTROLLER_VERSION = "1.29.1"
REST_API_VERSION = "1.29.1"
DEFAULT_RESOURCE_GROUP = "DfltRscGrp"
_POOL_DRIVER_PROPS = {
    "LVM": "linstor_vg",
    "LVM_THIN": "linstor_vg/thinpool",
    "ZFS": "linstor_zpool",
    "ZFS_THIN": "linstor_zpool",
    "FILE": "/var/lib/linstor-pools/{pool}",
    "FILE_THIN": "/var/lib/linstor-pools/{pool}",
}


def _shifted(value: float, shift: float) -> float:
    return value if math.isinf(value) else value + shift


@dataclass(frozen=True)
class StateEvent:
    """Something listeners (the SSE streams) care about.

    ``kind``: ``node-create`` / ``node-delete`` (data ``{"node": Node}``), ``node-modified``
    (``{"old_node", "new_node"}``), ``may-promote-change``
    (``{"resource_name", "node_name", "may_promote"}``).
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class StateCore:
    """Objects, ids, clock, events, error reports and the satellite controls."""

    def __init__(
        self,
        spec: ClusterSpec | None = None,
        *,
        timing: Timing | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timing = timing or Timing()
        self.seed = seed
        self.clock = clock
        self.error_reports: list[dict[str, Any]] = []
        self._listeners: list[Callable[[StateEvent], None]] = []
        self._wakers: set[asyncio.Event] = set()
        #: What finishes an operation kind other modules start (``start_op``), e.g. "clone".
        self.op_completers: dict[str, Callable[[Resource], None]] = {}
        self.reset(spec)

    # --- set-up -----------------------------------------------------------------------------

    def reset(self, spec: ClusterSpec | None = None) -> None:
        """Back to a fresh cluster built from ``spec`` (default: the current spec)."""
        if spec is not None:
            self.spec = spec
        elif not hasattr(self, "spec"):
            self.spec = ClusterSpec.default()
        self._rng = random.Random(self.seed)
        self.nodes: dict[str, Node] = {}
        self.pool_definitions: dict[str, StoragePoolDefinition] = {}
        self.resource_groups: dict[str, ResourceGroup] = {}
        self.resource_definitions: dict[str, ResourceDefinition] = {}
        self.external_names: dict[str, str] = {}
        self.controller_props: dict[str, str] = {}
        self.minors = NumberPool(1000, 49999)
        self.transitions: set[Resource] = set()
        self.error_reports.clear()
        self._report_seq = 0
        self._instance_id = f"{int(time.time()) & 0xFFFFFFFF:08X}"
        self.default_pool_size_kib = DEFAULT_POOL_SIZE_KIB
        group = ResourceGroup(
            DEFAULT_RESOURCE_GROUP, self.new_uuid(), select_filter={"place_count": 2}
        )
        self.resource_groups[group.key] = group
        self.ensure_pool_definition(DISKLESS_POOL_NAME)
        for position, node_spec in enumerate(self.spec.nodes, start=1):
            self.add_node_from_spec(node_spec, position)
        self.poke()

    def add_node_from_spec(self, node_spec: NodeSpec, position: int | None = None) -> Node:
        """Register a satellite (with its pools and the diskless pool) from a NodeSpec."""
        position = position if position is not None else len(self.nodes) + 1
        node = Node(
            name=node_spec.name,
            address=node_spec.address or loopback_address(position),
            uuid=self.new_uuid(),
            layers=list(node_spec.layers) if node_spec.layers is not None else list(DEFAULT_LAYERS),
            props={"CurStltConnName": "default", "NodeUname": node_spec.name, **node_spec.props},
            online=node_spec.online,
        )
        node.time_base = self.clock()
        node.rate = sat.node_rate(node, self.timing)
        self.nodes[node.key] = node
        self.add_pool(node, DISKLESS_POOL_NAME, "DISKLESS", None)
        for pool in node_spec.pools:
            self.add_pool(node, pool.name, pool.provider_kind, pool.size_kib)
        return node

    def add_pool(
        self,
        node: Node,
        name: str,
        provider_kind: str,
        size_kib: int | None,
        props: dict[str, str] | None = None,
        shared_space: str | None = None,
    ) -> StoragePool:
        if props is None:
            props = {}
            driver = _POOL_DRIVER_PROPS.get(provider_kind)
            if driver is not None:
                props["StorDriver/StorPoolName"] = driver.format(pool=name)
        pool = StoragePool(
            name=name,
            node=node,
            provider_kind=provider_kind,
            uuid=self.new_uuid(),
            total_kib=None if provider_kind == "DISKLESS" else size_kib,
            props=props,
            shared_space=shared_space,
        )
        node.pools[pool.key] = pool
        self.ensure_pool_definition(name)
        return pool

    def ensure_pool_definition(self, name: str) -> StoragePoolDefinition:
        spd = self.pool_definitions.get(name.upper())
        if spd is None:
            spd = StoragePoolDefinition(name, self.new_uuid())
            self.pool_definitions[spd.key] = spd
        return spd

    # --- ids --------------------------------------------------------------------------------

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def new_secret(self) -> str:
        """A DRBD shared secret: 20 base64 characters."""
        return base64.b64encode(self._rng.getrandbits(120).to_bytes(15, "big")).decode()

    def new_hex(self, digits: int = 16) -> str:
        return f"{self._rng.getrandbits(digits * 4):0{digits}X}"

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    # --- events and waits -------------------------------------------------------------------

    def add_listener(self, callback: Callable[[StateEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every StateEvent; returns the function that unsubscribes."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        event = StateEvent(kind, data)
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:  # a broken listener must not break the controller
                log.exception("state listener failed on %s", kind)

    def subscribe_changes(self) -> asyncio.Event:
        """An event set on the next control change (speed, connection, failure)."""
        event = asyncio.Event()
        self._wakers.add(event)
        return event

    def unsubscribe_changes(self, event: asyncio.Event) -> None:
        self._wakers.discard(event)

    def poke(self) -> None:
        for event in list(self._wakers):
            event.set()

    async def wait_until(self, remaining: Callable[[], float], timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until ``remaining()`` (clock seconds) reaches 0."""
        return await sat.wait_until(
            remaining, timeout, self.subscribe_changes, self.unsubscribe_changes
        )

    def set_timing(self, timing: Timing) -> None:
        """Change the satellites' timing from now on (work done so far is kept)."""
        now = self.clock()
        for node in self.nodes.values():
            node.work_base = sat.work(node, now)
            node.time_base = now
        self.timing = timing
        for node in self.nodes.values():
            node.rate = sat.node_rate(node, timing)
        self.poke()

    @property
    def ready_timeout(self) -> float:
        """Wall-clock bound of every wait a handler does (``ready_timeout_s / speed``)."""
        return self.timing.scaled(self.timing.ready_timeout_s)

    # --- timelines --------------------------------------------------------------------------

    def new_volume(self, resource: Resource, vd: VolumeDefinition, pool: StoragePool) -> Volume:
        sizes = volume_sizes(
            vd.size_kib, diskless=pool.diskless, thin=pool.thin, peer_slots=resource.rd.peer_slots
        )
        pool.account(resource.rd.key, sizes.storage_allocated_kib, sizes.storage_usable_kib, 1)
        volume = Volume(vd.number, pool, self.new_uuid(), sizes)
        resource.volumes[vd.number] = volume
        return volume

    def start_deploy(self, resource: Resource, *, sync: bool) -> None:
        """Timeline of a new replica: applied, connected and attached, then an optional resync."""
        w = sat.work(resource.node, self.clock())
        resource.reported_w = w + self.timing.apply_s
        resource.connect_w = w + max(self.timing.apply_s, self.timing.deploy_s)
        self.start_volume_deploy(resource, resource.volumes.values(), sync=sync)

    def start_volume_deploy(
        self, resource: Resource, volumes: Iterable[Volume], *, sync: bool
    ) -> None:
        """Timeline of new volumes (or a disk added to a replica): attach, optional resync."""
        w = sat.work(resource.node, self.clock())
        t = self.timing
        attach = w + max(t.apply_s, t.deploy_s)
        for volume in volumes:
            volume.attach_w = attach
            volume.pre_attach_state = "Inconsistent"
            volume.sync_start_w = volume.sync_end_w = ALREADY
            if resource.diskless and resource.op != "disk_add":
                volume.pre_attach_state = "Diskless"
            elif sync:
                volume.sync_start_w, volume.sync_end_w = attach, attach + t.sync_s
        self.transitions.add(resource)

    def start_resync(self, resource: Resource, volume: Volume, work_s: float) -> None:
        """A resync phase (e.g. of the grown part after a resize) starting once applied."""
        start = sat.work(resource.node, self.clock()) + self.timing.apply_s
        volume.sync_start_w, volume.sync_end_w = start, start + work_s
        self.transitions.add(resource)

    def start_op(self, resource: Resource, kind: str, work_s: float) -> None:
        """A pending operation on a replica that completes after ``work_s`` satellite work."""
        w = sat.work(resource.node, self.clock())
        resource.op = kind
        resource.op_start_w = w
        resource.op_applied_w = w + self.timing.apply_s
        resource.op_done_w = w + max(self.timing.apply_s, work_s)
        self.transitions.add(resource)

    def restart(self, resource: Resource) -> None:
        """Retry a failed change from now on (after its satellite's failure was cleared)."""
        w = sat.work(resource.node, self.clock())
        resource.failure = None
        resource.failure_report_ids = []
        if resource.op:
            shift = max(0.0, w - resource.op_start_w)
            resource.op_start_w += shift
            resource.op_applied_w += shift
            resource.op_done_w += shift
        elif resource.reported_w != ALREADY:
            shift = max(0.0, w + self.timing.apply_s - resource.reported_w)
            resource.reported_w += shift
            resource.connect_w = _shifted(resource.connect_w, shift)
            for volume in resource.volumes.values():
                volume.attach_w = _shifted(volume.attach_w, shift)
                volume.sync_start_w = _shifted(volume.sync_start_w, shift)
                volume.sync_end_w = _shifted(volume.sync_end_w, shift)
        self.transitions.add(resource)

    # --- the lazy clock ---------------------------------------------------------------------

    def advance(self) -> None:
        """Bring the DB up to now: finish operations whose satellite work is done."""
        if not self.transitions:
            return
        now = self.clock()
        touched: set[ResourceDefinition] = set()
        for resource in list(self.transitions):
            touched.add(resource.rd)
            w = sat.work(resource.node, now)
            if resource.failure is not None:
                continue
            if resource.op is not None and w + 1e-9 >= resource.op_done_w:
                self._complete(resource)
            if resource.rd.resources.get(resource.node.key) is not resource:
                self.transitions.discard(resource)
            elif resource.op is None and w + 1e-9 >= sat.settled_w(resource):
                self.transitions.discard(resource)
                if resource.migrate_from is not None:
                    self._finish_migration(resource)
        if self._listeners:
            for rd in touched:
                self.check_promotions(rd, now)

    def next_transition_in(self) -> float:
        """Clock seconds until the next lazy change of the satellites' state (inf: none pending).

        Something that reports changes without being asked (an event stream) can wait this
        long, call :meth:`advance`, and so see may-promote changes as they happen.
        """
        now = self.clock()
        best = math.inf
        for resource in self.transitions:
            w = sat.work(resource.node, now)
            points = [resource.reported_w, resource.connect_w, resource.op_applied_w]
            points.append(resource.op_done_w)
            for volume in resource.volumes.values():
                points += [volume.attach_w, volume.sync_start_w, volume.sync_end_w]
            for point in points:
                if point > w + 1e-9:
                    best = min(best, sat.eta(resource.node, point, now))
        return best

    def advance_and_next(self) -> float:
        """:meth:`advance`, then :meth:`next_transition_in`: one step of an event stream's loop."""
        self.advance()
        return self.next_transition_in()

    def _complete(self, resource: Resource) -> None:
        kind, resource.op = resource.op, None
        if kind == "delete":
            self.remove_resource(resource)
        elif kind == "disk_add":
            resource.flags.discard(DISK_ADD_REQUESTED)
        elif kind == "disk_remove":
            resource.flags.discard(DISK_REMOVE_REQUESTED)
            resource.flags |= {DISKLESS, DRBD_DISKLESS}
            diskless_pool = resource.node.pools.get(DISKLESS_POOL_NAME.upper())
            for number, volume in list(resource.volumes.items()):
                old = volume.sizes
                volume.pool.account(
                    resource.rd.key, old.storage_allocated_kib, old.storage_usable_kib, -1
                )
                del resource.volumes[number]
                if diskless_pool is not None:
                    self.new_volume(resource, resource.rd.volume_definitions[number], diskless_pool)
            resource.props["StorPoolName"] = DISKLESS_POOL_NAME
        elif kind is not None and kind in self.op_completers:
            self.op_completers[kind](resource)

    def _finish_migration(self, target: Resource) -> None:
        """toggle-disk with migrate_from: the source replica goes once the target is in sync."""
        source = target.rd.resources.get((target.migrate_from or "").upper())
        target.migrate_from = None
        if source is not None and source is not target and not source.deleting:
            source.flags.add(DELETE)
            self.start_op(source, "delete", self.timing.delete_s)

    def remove_resource(self, resource: Resource) -> None:
        """Drop a replica from the DB (its satellite confirmed the deletion)."""
        rd, node = resource.rd, resource.node
        for volume in resource.volumes.values():
            sizes = volume.sizes
            volume.pool.account(rd.key, sizes.storage_allocated_kib, sizes.storage_usable_kib, -1)
        node.ports.give_back(resource.tcp_port)
        if rd.resources.get(node.key) is resource:
            del rd.resources[node.key]
        if node.resources.get(rd.key) is resource:
            del node.resources[rd.key]
        self.transitions.discard(resource)
        if DELETE in rd.flags and not rd.resources:
            self.remove_definition(rd)
        if DELETE in node.flags and not node.resources:
            self.remove_node(node)

    def remove_definition(self, rd: ResourceDefinition) -> None:
        for vd in rd.volume_definitions.values():
            self.minors.give_back(vd.minor)
        rd.group.definitions.discard(rd.key)
        if rd.external_name is not None:
            self.external_names.pop(rd.external_name, None)
        self.resource_definitions.pop(rd.key, None)

    def remove_node(self, node: Node) -> None:
        """Drop a node with its resources and snapshots (space released, empty snapshots gone)."""
        for resource in list(node.resources.values()):
            self.remove_resource(resource)
        for snap, ns in node_snapshots(self.resource_definitions, node):
            drop_node_snapshot(snap, ns)
        if self.nodes.pop(node.key, None) is not None:
            self.emit("node-delete", {"node": render_node(node, DEFAULT_LAYERS)})

    def check_promotions(self, rd: ResourceDefinition, now: float) -> None:
        """Emit may-promote-change for replicas of ``rd`` whose may-promote flipped."""
        for resource in list(rd.resources.values()):
            w = sat.work(resource.node, now)
            if not sat.is_reported(resource, w):
                continue
            value = sat.may_promote(resource, w, sat.peers_of(resource, now))
            if value != resource.last_may_promote:
                resource.last_may_promote = value
                self.emit(
                    "may-promote-change",
                    {
                        "resource_name": rd.name,
                        "node_name": resource.node.name,
                        "may_promote": value,
                    },
                )

    def may_promote_states(self) -> list[dict[str, Any]]:
        """Current may-promote of every reported DRBD replica (for ``Last-Event-ID: current``)."""
        self.advance()
        now = self.clock()
        out = []
        for rd in self.resource_definitions.values():
            for resource in rd.resources.values():
                w = sat.work(resource.node, now)
                if rd.has_drbd and sat.is_reported(resource, w):
                    value = sat.may_promote(resource, w, sat.peers_of(resource, now))
                    out.append(
                        {
                            "resource_name": rd.name,
                            "node_name": resource.node.name,
                            "may_promote": value,
                        }
                    )
        return out
