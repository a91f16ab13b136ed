"""Snapshot operations of the emulated controller: create, list, modify, delete, render.

The objects (definitions, per-node snapshots, their pool charges) are in
:mod:`._snapshot_model`. Restore, rollback and multi-snapshot build on these pieces
(:mod:`._state_restore`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Node, ResourceDefinition
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer, JsonDict, compact
from aiolinstor.emulator._render import _SNAPSHOT_CAPABLE
from aiolinstor.emulator._snapshot_model import (
    DELETE,
    FAILED_DEPLOYMENT,
    FAILED_DISCONNECT,
    SUCCESSFUL,
    NodeSnapshot,
    SnapshotDefinition,
    SnapshotVolume,
    SnapshotVolumeDefinition,
    charge,
    drop_node_snapshot,
    snapshots_of,
)
from aiolinstor.emulator._state_lookups import Lookups, name_problem

__all__ = [
    "NodeSnapshot",
    "SnapshotDefinition",
    "all_snapshots",
    "charge",
    "create_snapshot",
    "delete_snapshot",
    "finish_create",
    "finish_delete",
    "modify_snapshot",
    "newest",
    "remaining_work",
    "render_snapshot",
    "report_dropped",
    "require_successful",
    "snapshot_or_fail",
    "snapshots_of",
    "work_targets",
]

_SEQUENCE_KEY = "snapshot_sequence"


# --- lookups ---------------------------------------------------------------------------------


def all_snapshots(state: Lookups) -> list[SnapshotDefinition]:
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


def require_successful(snap: SnapshotDefinition, state: Lookups, answer: Answer) -> None:
    if not snap.successful(state.clock()):
        answer.fail(rc.FAIL_UNKNOWN_ERROR, "Unable to use failed snapshot")


# --- create ----------------------------------------------------------------------------------


def _check_viable(
    state: Lookups, rd: ResourceDefinition, nodes: Sequence[str], answer: Answer
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
    state: Lookups, rsc: str, body: Mapping[str, Any], answer: Answer
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


def finish_create(state: Lookups, snap: SnapshotDefinition, answer: Answer) -> None:
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


# --- modify / delete -------------------------------------------------------------------------


def modify_snapshot(state: Lookups, rsc: str, name: str, body: Mapping[str, Any]) -> Answer:
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
    state: Lookups, rsc: str, name: str, nodes: Iterable[str]
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
    state: Lookups, snap: SnapshotDefinition, removed: Sequence[NodeSnapshot], answer: Answer
) -> None:
    """The satellites removed their snapshots: release the space, drop an empty definition."""
    for ns in removed:
        if snap.nodes.get(ns.node.key) is ns:
            report_dropped(snap, ns, drop_node_snapshot(snap, ns), answer)


def report_dropped(
    snap: SnapshotDefinition, ns: NodeSnapshot, definition_gone: bool, answer: Answer
) -> None:
    """The entries of a node's snapshot that is gone (and of its definition, if that went too)."""
    answer.add(
        rc.DELETED,
        f"Snapshot '{snap.name}' of resource '{snap.rd.name}' on '{ns.node.name}' deleted.",
        refs={"Node": ns.node.name},
    )
    if definition_gone:
        answer.add(
            rc.DELETED,
            f"Snapshot '{snap.name}' of resource '{snap.rd.name}' deleted.",
            details=f"Snapshot '{snap.name}' of resource '{snap.rd.name}' UUID was: {snap.uuid}",
        )


def work_targets(state: Lookups, nodes: Iterable[Node], work_s: float) -> list[tuple[Node, float]]:
    """Each node with the work time at which it will have done ``work_s`` more work."""
    now = state.clock()
    return [(node, sat.work(node, now) + work_s) for node in nodes]


def remaining_work(state: Lookups, targets: Sequence[tuple[Node, float]]) -> float:
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
