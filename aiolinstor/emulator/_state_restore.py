"""Snapshot restore (volume definitions, resources), rollback and multi-resource snapshots.

Each function checks like the controller (same return codes and messages), changes the DB and
returns what the route then waits for; the satellites' part is simulated on the work clocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import ALREADY, Node, Resource, ResourceDefinition
from aiolinstor.emulator._rc import Answer, ApiFailure
from aiolinstor.emulator._state import EmulatorState
from aiolinstor.emulator._state_snapshots import (
    SnapshotDefinition,
    charge,
    create_snapshot,
    newest,
    require_successful,
    snapshot_or_fail,
    snapshots_of,
)

#: Volume properties the controller sets on restored volumes.
RESTORE_FROM_RESOURCE = "RestoreFromResource"
RESTORE_FROM_SNAPSHOT = "RestoreFromSnapshot"
_PER_VOLUME_PROPS = {"DrbdCurrentGi"}


def _target(state: EmulatorState, body: Mapping[str, Any], answer: Answer) -> ResourceDefinition:
    """The restore target: an existing resource definition without resources."""
    target = state.rd_or_fail(str(body.get("to_resource") or ""), answer)
    if target.resources:
        answer.fail(
            rc.FAIL_EXISTS_RSC,
            "Cannot restore to resource definition which already has resources",
            details=f"Resource definition: {target.name}",
        )
    return target


def _source(
    state: EmulatorState, rsc: str, snap_name: str, answer: Answer
) -> tuple[ResourceDefinition, SnapshotDefinition]:
    rd = state.rd_or_fail(rsc, answer)
    snap = snapshot_or_fail(rd, snap_name, answer)
    return rd, snap


def restore_volume_definitions(
    state: EmulatorState, rsc: str, snap_name: str, body: Mapping[str, Any]
) -> Answer:
    """POST .../snapshot-restore-volume-definition/{snap}: the snapshot's VDs into the target."""
    answer = Answer(rc.MASK_CRT, rc.MASK_VLM_DFN, {"RscDfn": rsc, "Snapshot": snap_name})
    rd, snap = _source(state, rsc, snap_name, answer)
    target = _target(state, body, answer)
    require_successful(snap, state, answer)
    for number in snap.volume_definitions:
        if number in target.volume_definitions:
            answer.fail(
                rc.FAIL_EXISTS_VLM_DFN,
                f"A volume definition with the number {number} already exists in resource "
                f"definition '{target.name}'.",
            )
    try:
        for number, svd in sorted(snap.volume_definitions.items()):
            props = {k: v for k, v in svd.props.items() if k not in _PER_VOLUME_PROPS}
            vd_body = {"volume_number": number, "size_kib": svd.size_kib, "props": props}
            step, _ = state.create_volume_definition(target.name, {"volume_definition": vd_body})
            answer.extend(step)
    except ApiFailure as failure:
        answer.extend(failure.answer)
        raise ApiFailure(answer) from None
    for key, value in snap.rd_props.items():
        target.props.setdefault(key, value)
    answer.add(
        rc.CREATED,
        f"Volume definitions of resource '{target.name}' restored from resource '{rd.name}', "
        f"snapshot '{snap.name}'.",
        refs={"RscDfn": target.name},
    )
    return answer


def restore_resources(
    state: EmulatorState, rsc: str, snap_name: str, body: Mapping[str, Any]
) -> tuple[Answer, ResourceDefinition | None, list[Resource]]:
    """POST .../snapshot-restore-resource/{snap}: new replicas from each node's snapshot."""
    answer = Answer(rc.MASK_CRT, rc.MASK_RSC, {"RscDfn": rsc, "Snapshot": snap_name})
    rd, snap = _source(state, rsc, snap_name, answer)
    target = _target(state, body, answer)
    require_successful(snap, state, answer)
    if not target.volume_definitions:
        answer.add(rc.WARN_NOT_FOUND, "No volumes to restore.", refs={"RscDfn": target.name})
        return answer, target, []
    for number, vd in sorted(target.volume_definitions.items()):
        svd = snap.volume_definitions.get(number)
        if svd is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN,
                f"Snapshot does not contain required volume number {number}",
            )
        if svd.size_kib != vd.size_kib:
            answer.fail(
                rc.FAIL_INVLD_VLM_SIZE,
                f"Snapshot size does not match for volume number {number}; snapshot size: "
                f"{svd.size_kib}KiB, required size: {vd.size_kib}KiB",
            )
    wanted = [str(n) for n in body.get("nodes") or []]
    chosen = []
    for node_name in wanted or [ns.node.name for _, ns in sorted(snap.nodes.items())]:
        ns = snap.nodes.get(node_name.upper())
        if ns is None or ns.node.key not in state.nodes:
            answer.fail(
                rc.FAIL_NOT_FOUND_SNAPSHOT,
                f"Snapshot '{snap.name}' of resource '{rd.name}' on node '{node_name}' not found.",
            )
        chosen.append(ns)
    rename = {str(k).upper(): str(v) for k, v in (body.get("stor_pool_rename") or {}).items()}
    created: list[Resource] = []
    try:
        for ns in chosen:
            first = next(iter(ns.volumes.values()), None)
            pool_name = first.pool.name if first is not None else None
            pool_name = rename.get((pool_name or "").upper(), pool_name)
            pool = state.resolve_pool(target, ns.node, pool_name, diskless=False, answer=answer)
            resource = state.new_resource(
                target,
                ns.node,
                pool,
                answer,
                flags=set(),
                props={},
                layers=list(target.layer_stack),
                node_id=ns.node_id,
            )
            for volume in resource.volumes.values():
                volume.props[RESTORE_FROM_RESOURCE] = rd.name
                volume.props[RESTORE_FROM_SNAPSHOT] = snap.name
            created.append(resource)
    except ApiFailure:
        for resource in created:
            state.remove_resource(resource)
        raise
    for resource in created:
        state.start_deploy(resource, sync=False)
    state.fail_resources(answer, created)
    answer.add(
        rc.CREATED,
        f"Resource '{target.name}' restored from resource '{rd.name}', snapshot '{snap.name}'.",
        details="Resource UUIDs: " + ", ".join(r.uuid for r in created),
        refs={"RscDfn": target.name},
    )
    return answer, target, created


# --- rollback --------------------------------------------------------------------------------


def rollback(
    state: EmulatorState, rsc: str, snap_name: str
) -> tuple[Answer, list[Resource], list[tuple[Node, float]]]:
    """POST .../snapshot-rollback/{snap}: take the resource down, roll back, bring it up.

    Returns the answer so far, the affected replicas and, per node, the work time at which its
    satellite has rolled back (the route waits for that). DRBD comes back (Outdated until
    connected, then UpToDate) ``deploy_s`` later, which clients wait for themselves.
    """
    answer = Answer(rc.MASK_MOD, rc.MASK_SNAPSHOT, {"RscDfn": rsc, "Snapshot": snap_name})
    rd, snap = _source(state, rsc, snap_name, answer)
    if newest(rd) is not snap:
        answer.fail(
            rc.FAIL_EXISTS_SNAPSHOT_DFN, "Rollback is only allowed with the most recent snapshot"
        )
    if not snap.successful(state.clock()):
        answer.fail(rc.FAIL_UNKNOWN_ERROR, "Unable to roll back to failed snapshot")
    resources = rd.live_resources()
    for resource in resources:
        if not resource.diskless and resource.node.key not in snap.nodes:
            answer.fail(
                rc.FAIL_NOT_FOUND_SNAPSHOT,
                f"Snapshot '{snap.name}' of resource '{rd.name}' on node "
                f"'{resource.node.name}' not found.",
            )
    for resource in resources:
        if not resource.node.online:
            answer.fail(
                rc.FAIL_NOT_CONNECTED,
                f"No active connection to satellite '{resource.node.name}'.",
                details="Snapshot rollback cannot be performed when the corresponding satellites "
                "are not connected.",
            )
    for resource in resources:
        if resource.in_use:
            node = resource.node.name
            answer.fail(
                rc.FAIL_IN_USE,
                f"Resource '{rd.name}' on node '{node}' is still in use.",
                cause="Resource is mounted/in use.",
                correction=f"Un-mount resource '{rd.name}' on the node '{node}'.",
            )
    answer.add(
        rc.MODIFIED, f"Snapshot '{snap.name}' of resource '{rd.name}' marked down for rollback."
    )
    failing = [r for r in resources if r.node.failure is not None]
    if failing:
        for resource in failing:
            report = state.new_error_report(resource.node.name, resource.node.failure or "failed")
            answer.add(
                rc.FAIL_UNKNOWN_ERROR,
                f"({resource.node.name}) {resource.node.failure}",
                refs={"Node": resource.node.name},
                error_report_ids=[report],
            )
        answer.add(rc.MODIFIED, f"Rollback of '{rd.name}' aborted due to error deactivating")
        raise ApiFailure(answer)
    timing = state.timing
    now = state.clock()
    targets: list[tuple[Node, float]] = []
    for resource in resources:
        answer.add(
            rc.MODIFIED,
            f"Deactivated resource '{rd.name}' on '{resource.node.name}' for rollback",
            refs={"Node": resource.node.name},
        )
        rolled_back = sat.work(resource.node, now) + timing.apply_s + timing.snapshot_s
        back_up = rolled_back + timing.deploy_s
        resource.connect_w = back_up
        for volume in resource.volumes.values():
            volume.attach_w = back_up
            volume.pre_attach_state = "Diskless" if resource.diskless else "Outdated"
            volume.sync_start_w = volume.sync_end_w = ALREADY
        state.transitions.add(resource)
        targets.append((resource.node, rolled_back))
    return answer, resources, targets


def finish_rollback(rd: ResourceDefinition, resources: list[Resource], answer: Answer) -> None:
    for resource in resources:
        if not resource.diskless:
            answer.add(
                rc.MODIFIED,
                f"Rolled resource '{rd.name}' back on '{resource.node.name}'",
                refs={"Node": resource.node.name},
            )
    for resource in resources:
        answer.add(
            rc.MODIFIED,
            f"Re-activated resource '{rd.name}' on '{resource.node.name}' after rollback",
            refs={"Node": resource.node.name},
        )


# --- multi-resource snapshots ----------------------------------------------------------------


def discard(snap: SnapshotDefinition) -> None:
    """Forget a snapshot at once (a multi-snapshot whose other part failed)."""
    snapshots = snapshots_of(snap.rd)
    if snapshots.get(snap.key) is snap:
        del snapshots[snap.key]
        for ns in snap.nodes.values():
            charge(ns, -1)


def create_multi(
    state: EmulatorState, body: Mapping[str, Any], answer: Answer
) -> list[SnapshotDefinition]:
    """POST /v1/actions/snapshot/multi: all snapshots or none (IO suspended on all together)."""
    items = list(body.get("snapshots") or [])
    if not items:
        answer.fail(rc.FAIL_INVLD_REQUEST, "No snapshots were given.")
    created: list[SnapshotDefinition] = []
    try:
        for item in items:
            if not isinstance(item, Mapping):
                answer.fail(rc.FAIL_INVLD_REQUEST, "Every snapshot must be a JSON object.")
            step = Answer(answer.op, answer.obj)
            try:
                snap = create_snapshot(state, str(item.get("resource_name") or ""), item, step)
            finally:
                answer.extend(step)
            created.append(snap)
    except ApiFailure:
        for snap in created:
            discard(snap)
        raise ApiFailure(answer) from None
    return created
