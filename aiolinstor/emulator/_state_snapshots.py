"""Snapshots in the emulated controller: definitions, per-node snapshots and their capacity.

A snapshot definition lives in its resource definition (``rd.extra["snapshots"]``, which the
resource-definition delete already checks). Each node's snapshot is *taken* once that node's
satellite has done ``apply_s + snapshot_s`` of work; until then the definition is in progress,
afterwards it shows ``SUCCESSFUL`` (computed lazily from the work clocks, so nothing runs in the
background). Snapshots cost little in their pool at first (copy-on-write) but count their full
size in the pool's reserved space, as the controller's free-space estimate does (NOTES §7).
Restore, rollback and multi-snapshot build on these pieces (:mod:`._state_restore`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Node, ResourceDefinition, StoragePool
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer, JsonDict, compact
from aiolinstor.emulator._render import _SNAPSHOT_CAPABLE
from aiolinstor.emulator._state import EmulatorState
from aiolinstor.emulator._state_lookups import name_problem

SNAPSHOTS_KEY = "snapshots"
_SEQUENCE_KEY = "snapshot_sequence"
#: Pool space a fresh copy-on-write snapshot volume takes (metadata), KiB.
SNAPSHOT_COST_KIB = 64
SUCCESSFUL = "SUCCESSFUL"
FAILED_DEPLOYMENT = "FAILED_DEPLOYMENT"
FAILED_DISCONNECT = "FAILED_DISCONNECT"
DELETE = "DELETE"
_FAILED = {FAILED_DEPLOYMENT, FAILED_DISCONNECT}


@dataclass(eq=False)
class SnapshotVolume:
    """One volume of a node's snapshot: where it lives and what it holds in the pool."""

    number: int
    pool: StoragePool
    size_kib: int
    uuid: str
    cost_kib: int = SNAPSHOT_COST_KIB


@dataclass(eq=False)
class NodeSnapshot:
    """The snapshot of one diskful replica; taken once its node's work reaches ``taken_w``."""

    node: Node
    uuid: str
    create_ms: int
    node_id: int
    taken_w: float
    volumes: dict[int, SnapshotVolume] = field(default_factory=dict)
    props: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class SnapshotVolumeDefinition:
    number: int
    size_kib: int
    props: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class SnapshotDefinition:
    """A snapshot of a resource definition on one or more nodes."""

    name: str
    rd: ResourceDefinition
    uuid: str
    sequence: int
    props: dict[str, str] = field(default_factory=dict)
    rd_props: dict[str, str] = field(default_factory=dict)
    volume_definitions: dict[int, SnapshotVolumeDefinition] = field(default_factory=dict)
    nodes: dict[str, NodeSnapshot] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.name.upper()

    @property
    def failed(self) -> bool:
        return bool(self.flags & _FAILED)

    def taken(self, node_snapshot: NodeSnapshot, now: float) -> bool:
        node = node_snapshot.node
        return sat.work(node, now) + 1e-9 >= node_snapshot.taken_w

    def successful(self, now: float) -> bool:
        """Taken on every node and not failed."""
        if self.failed or not self.nodes:
            return False
        return all(self.taken(ns, now) for ns in self.nodes.values())

    def remaining(self, now: float) -> float:
        """Clock seconds until every (online) node has taken its snapshot."""
        return max(
            (sat.eta(ns.node, ns.taken_w, now) for ns in self.nodes.values() if ns.node.online),
            default=0.0,
        )


# --- lookups ---------------------------------------------------------------------------------


def snapshots_of(rd: ResourceDefinition) -> dict[str, SnapshotDefinition]:
    """The snapshot definitions of ``rd`` by upper-cased name (created on first use)."""
    found: dict[str, SnapshotDefinition] = rd.extra.setdefault(SNAPSHOTS_KEY, {})
    return found


def all_snapshots(state: EmulatorState) -> list[SnapshotDefinition]:
    """Every snapshot of every resource definition, ordered by resource then snapshot name."""
    out: list[SnapshotDefinition] = []
    for _, rd in sorted(state.resource_definitions.items()):
        out.extend(snap for _, snap in sorted(snapshots_of(rd).items()))
    return out


def snapshot_or_fail(rd: ResourceDefinition, name: str, answer: Answer) -> SnapshotDefinition:
    snap = snapshots_of(rd).get(name.upper())
    if snap is None:
        answer.fail(
            rc.FAIL_NOT_FOUND_SNAPSHOT_DFN,
            f"Snapshot definition '{name}' of resource '{rd.name}' not found.",
            cause="The specified snapshot definition could not be found in the database",
            details=f"Resource: {rd.name}, Snapshot: {name}",
        )
    return snap


def newest(rd: ResourceDefinition) -> SnapshotDefinition | None:
    """The most recently created snapshot of ``rd`` (highest sequence number)."""
    return max(snapshots_of(rd).values(), key=lambda s: s.sequence, default=None)


def require_successful(snap: SnapshotDefinition, state: EmulatorState, answer: Answer) -> None:
    if not snap.successful(state.clock()):
        answer.fail(rc.FAIL_UNKNOWN_ERROR, "Unable to use failed snapshot")


# --- create ----------------------------------------------------------------------------------


def _check_viable(
    state: EmulatorState, rd: ResourceDefinition, nodes: Sequence[str], answer: Answer
) -> list[Node]:
    """The nodes to snapshot, after the controller's checks (support, connection, diskless)."""
    chosen: list[Node] = []
    if nodes:
        for node_name in nodes:
            resource = state.resource_or_fail(rd, node_name, answer)
            if resource.diskless:
                answer.fail(
                    rc.FAIL_SNAPSHOTS_NOT_SUPPORTED,
                    f"Cannot create snapshot from diskless resource on node '{node_name}'",
                )
            chosen.append(resource.node)
    else:
        chosen = [r.node for r in rd.live_resources() if not r.diskless]
    for resource in rd.live_resources():
        if resource.diskless:
            continue
        for volume in resource.volumes.values():
            kind = volume.pool.provider_kind
            if kind not in _SNAPSHOT_CAPABLE:
                answer.fail(
                    rc.FAIL_SNAPSHOTS_NOT_SUPPORTED,
                    f"Storage driver '{kind}' does not support snapshots.",
                    details=f"Used for storage pool '{volume.pool.name}' on "
                    f"'{resource.node.name}'.",
                )
    for resource in rd.live_resources():
        if not resource.node.online:
            answer.fail(
                rc.FAIL_NOT_CONNECTED,
                f"No active connection to satellite '{resource.node.name}'.",
                details="Snapshots cannot be created when the corresponding satellites are not "
                "connected.",
            )
    if not chosen:
        answer.fail(
            rc.FAIL_NOT_CONNECTED,
            "No diskful connected satellite for snapshot or no resources.",
            details=f"Resource: {rd.name}",
        )
    return chosen


def create_snapshot(
    state: EmulatorState, rsc: str, body: Mapping[str, Any], answer: Answer
) -> SnapshotDefinition:
    """Register a snapshot (definition, node snapshots, pool charges) and start taking it."""
    rd = state.rd_or_fail(rsc, answer)
    name = body.get("name") or ""
    answer.refs.update({"RscDfn": rd.name, "Snapshot": name})
    problem = name_problem(_names.check_snapshot_name, name)
    if problem:
        answer.fail(
            rc.FAIL_INVLD_SNAPSHOT_NAME,
            f"The specified snapshot name '{name}' is invalid.",
            cause=problem,
        )
    snapshots = snapshots_of(rd)
    if name.upper() in snapshots:
        answer.fail(
            rc.FAIL_EXISTS_SNAPSHOT_DFN,
            f"A snapshot definition with the name '{name}' already exists in resource "
            f"definition '{rd.name}'.",
            cause="The SnapshotDefinition already exists",
            details=f"Resource: {rd.name}, Snapshot: {name}",
        )
    nodes = _check_viable(state, rd, list(body.get("nodes") or []), answer)
    sequence = int(rd.extra.get(_SEQUENCE_KEY, 0)) + 1
    rd.extra[_SEQUENCE_KEY] = sequence
    snap = SnapshotDefinition(
        name=name,
        rd=rd,
        uuid=state.new_uuid(),
        sequence=sequence,
        props={**rd.props, **dict(body.get("props") or {}), "SequenceNumber": str(sequence)},
        rd_props=dict(rd.props),
        volume_definitions={
            n: SnapshotVolumeDefinition(n, vd.size_kib, dict(vd.props))
            for n, vd in sorted(rd.volume_definitions.items())
        },
    )
    timing = state.timing
    now = state.clock()
    for node in nodes:
        resource = rd.resources[node.key]
        node_snapshot = NodeSnapshot(
            node=node,
            uuid=state.new_uuid(),
            create_ms=state.now_ms(),
            node_id=resource.node_id,
            taken_w=sat.work(node, now) + timing.apply_s + timing.snapshot_s,
            props=dict(resource.props),
        )
        for number, volume in sorted(resource.volumes.items()):
            node_snapshot.volumes[number] = SnapshotVolume(
                number, volume.pool, volume.sizes.usable_kib, state.new_uuid()
            )
        snap.nodes[node.key] = node_snapshot
        charge(node_snapshot, 1)
    snapshots[snap.key] = snap
    answer.add(
        rc.CREATED,
        f"New snapshot '{name}' of resource '{rd.name}' registered.",
        details=f"Snapshot '{name}' of resource '{rd.name}' UUID is: {snap.uuid}",
    )
    failing = [ns.node for ns in snap.nodes.values() if ns.node.failure is not None]
    if failing:
        snap.flags.add(FAILED_DEPLOYMENT)
        for node in failing:
            report = state.new_error_report(node.name, node.failure or "snapshot failed")
            answer.add(
                rc.FAIL_UNKNOWN_ERROR,
                f"({node.name}) {node.failure}",
                refs={"Node": node.name},
                error_report_ids=[report],
            )
        for node in sorted(nodes, key=lambda n: n.key):
            if node.failure is None:
                answer.add(
                    rc.MODIFIED,
                    f"Aborted snapshot of '{rd.name}' on '{node.name}'",
                    refs={"Node": node.name},
                )
    return snap


def finish_create(state: EmulatorState, snap: SnapshotDefinition, answer: Answer) -> None:
    """After the wait: the satellites' entries, or the failure when a node did not make it."""
    if snap.failed:
        return
    now = state.clock()
    nodes = sorted(snap.nodes.values(), key=lambda ns: ns.node.key)
    lost = [ns.node.name for ns in nodes if not snap.taken(ns, now)]
    phases = (
        "Suspended IO of '{rsc}' on '{node}' for snapshot",
        "Took snapshot of '{rsc}' on '{node}'",
    )
    for phase in phases:
        for ns in nodes:
            if ns.node.name not in lost:
                text = phase.format(rsc=snap.rd.name, node=ns.node.name)
                answer.add(rc.MODIFIED, text, refs={"Node": ns.node.name})
    if lost:
        snap.flags.add(FAILED_DISCONNECT)
        for node_name in lost:
            answer.add(
                rc.FAIL_NOT_CONNECTED,
                f"No active connection to satellite '{node_name}'.",
                details="The snapshot could not be taken on this node.",
                refs={"Node": node_name},
            )
        return
    for ns in nodes:
        answer.add(
            rc.MODIFIED,
            f"Resumed IO of '{snap.rd.name}' on '{ns.node.name}' after snapshot",
            refs={"Node": ns.node.name},
        )


def charge(node_snapshot: NodeSnapshot, sign: int) -> None:
    """Add (1) or release (-1) a node snapshot's pool usage: small cost, full reservation."""
    for volume in node_snapshot.volumes.values():
        volume.pool.snapshot_kib += sign * volume.cost_kib
        volume.pool.reserved_kib += sign * volume.size_kib


# --- modify / delete -------------------------------------------------------------------------


def modify_snapshot(state: EmulatorState, rsc: str, name: str, body: Mapping[str, Any]) -> Answer:
    answer = Answer(rc.MASK_MOD, rc.MASK_SNAPSHOT, {"RscDfn": rsc, "Snapshot": name})
    rd = state.rd_or_fail(rsc, answer)
    snap = snapshot_or_fail(rd, name, answer)
    modify_props(
        snap.props,
        body.get("override_props") or {},
        body.get("delete_props") or [],
        body.get("delete_namespaces") or [],
    )
    answer.add(
        rc.MODIFIED,
        f"Snapshot '{snap.name}' of resource '{rd.name}' modified.",
        details=f"Snapshot '{snap.name}' of resource '{rd.name}' UUID is: {snap.uuid}",
    )
    return answer


def delete_snapshot(
    state: EmulatorState, rsc: str, name: str, nodes: Iterable[str]
) -> tuple[Answer, SnapshotDefinition | None, list[NodeSnapshot]]:
    """Mark a snapshot (or its copies on ``nodes``) for deletion.

    Returns the answer so far, the definition and the node snapshots the online satellites
    remove (see :func:`finish_delete`). Offline satellites keep theirs (FAIL_NOT_CONNECTED),
    so the definition stays, flagged DELETE, until it is deleted again with them back.
    """
    answer = Answer(rc.MASK_DEL, rc.MASK_SNAPSHOT, {"RscDfn": rsc, "Snapshot": name})
    rd = state.resource_definitions.get(rsc.upper())
    snap = snapshots_of(rd).get(name.upper()) if rd is not None else None
    if rd is None or snap is None:
        answer.add(
            rc.WARN_NOT_FOUND,
            f"Deletion of snapshot '{name}' of resource '{rsc}' had no effect.",
            details=f"Snapshot '{name}' of resource '{rsc}' does not exist.",
        )
        return answer, None, []
    wanted = {n.upper() for n in nodes}
    targets = [ns for key, ns in sorted(snap.nodes.items()) if not wanted or key in wanted]
    if not wanted:
        snap.flags.add(DELETE)
    answer.add(
        rc.DELETED,
        f"Snapshot '{snap.name}' of resource '{rd.name}' marked for deletion.",
        details=f"Snapshot '{snap.name}' of resource '{rd.name}' UUID is: {snap.uuid}",
    )
    removable = []
    for ns in targets:
        if not ns.node.online:
            answer.add(
                rc.FAIL_NOT_CONNECTED,
                f"No active connection to satellite '{ns.node.name}'.",
                details="The snapshot on this node is deleted once the satellite is connected "
                "again and the deletion is repeated.",
                refs={"Node": ns.node.name},
            )
        else:
            removable.append(ns)
    return answer, snap, removable


def finish_delete(
    state: EmulatorState, snap: SnapshotDefinition, removed: Sequence[NodeSnapshot], answer: Answer
) -> None:
    """The satellites removed their snapshots: release the space, drop an empty definition."""
    for ns in removed:
        if snap.nodes.pop(ns.node.key, None) is not None:
            charge(ns, -1)
            answer.add(
                rc.DELETED,
                f"Snapshot '{snap.name}' of resource '{snap.rd.name}' on '{ns.node.name}' deleted.",
                refs={"Node": ns.node.name},
            )
    snapshots = snapshots_of(snap.rd)
    if not snap.nodes and snapshots.get(snap.key) is snap:
        del snapshots[snap.key]
        answer.add(
            rc.DELETED,
            f"Snapshot '{snap.name}' of resource '{snap.rd.name}' deleted.",
            details=f"Snapshot '{snap.name}' of resource '{snap.rd.name}' UUID was: {snap.uuid}",
        )


def work_targets(
    state: EmulatorState, nodes: Iterable[Node], work_s: float
) -> list[tuple[Node, float]]:
    """Each node with the work time at which it will have done ``work_s`` more work."""
    now = state.clock()
    return [(node, sat.work(node, now) + work_s) for node in nodes]


def remaining_work(state: EmulatorState, targets: Sequence[tuple[Node, float]]) -> float:
    """Clock seconds until every online node in ``targets`` reached its work time."""
    now = state.clock()
    return max((sat.eta(n, w, now) for n, w in targets if n.online), default=0.0)


# --- rendering -------------------------------------------------------------------------------


def render_snapshot(snap: SnapshotDefinition, now: float) -> JsonDict:
    """A ``Snapshot`` as the controller lists it (NON_EMPTY)."""
    flags = set(snap.flags)
    if snap.successful(now):
        flags.add(SUCCESSFUL)
    nodes = sorted(snap.nodes.values(), key=lambda ns: ns.node.key)
    return compact(
        name=snap.name,
        resource_name=snap.rd.name,
        nodes=[ns.node.name for ns in nodes],
        props=dict(snap.props),
        flags=sorted(flags),
        volume_definitions=[
            compact(volume_number=n, size_kib=svd.size_kib, volume_definition_props=dict(svd.props))
            for n, svd in sorted(snap.volume_definitions.items())
        ],
        uuid=snap.uuid,
        snapshots=[
            compact(
                snapshot_name=snap.name,
                node_name=ns.node.name,
                create_timestamp=ns.create_ms,
                uuid=ns.uuid,
                resource_props=dict(ns.props),
                snapshot_volumes=[
                    compact(vlm_nr=n, uuid=v.uuid) for n, v in sorted(ns.volumes.items())
                ],
            )
            for ns in nodes
        ],
        snapshot_definition_props=dict(snap.props),
        resource_definition_props=dict(snap.rd_props),
    )
