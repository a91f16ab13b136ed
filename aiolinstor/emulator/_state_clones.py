"""Resource-definition clones in the emulated controller.

A clone is a new resource definition with the source's volume definitions and a replica on every
node of the source (same pools, diskless ones stay diskless). Its satellites copy the data for
``clone_s`` of work (a ``clone`` operation on each replica; flag ``CLONING`` on the definition
and its volumes); then DRBD comes up and the clone status turns ``COMPLETE``. A satellite with a
failure set makes the clone ``FAILED`` (flag ``FAILED``, the failure in the volumes' reports).
Everything follows the work clocks lazily (the state's ``advance``), nothing runs in the
background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import ALREADY, Resource, ResourceDefinition
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer, ApiFailure, JsonDict
from aiolinstor.emulator._state import DEFAULT_RESOURCE_GROUP, EmulatorState

CLONE_KEY = "clone"
CLONING = "CLONING"
#: The operation a replica runs while its data is being copied.
CLONE_OP = "clone"
FAILED = "FAILED"


@dataclass(eq=False)
class CloneJob:
    """What a clone target remembers: its source and when each replica finishes copying."""

    source: str
    done_w: dict[str, float] = field(default_factory=dict)


def clone_job(rd: ResourceDefinition) -> CloneJob | None:
    job = rd.extra.get(CLONE_KEY)
    return job if isinstance(job, CloneJob) else None


def _copying(resource: Resource, job: CloneJob, now: float) -> bool:
    done = job.done_w.get(resource.node.key)
    return done is not None and sat.work(resource.node, now) + 1e-9 < done


def refresh_clone(rd: ResourceDefinition, now: float) -> str:
    """The clone status of ``rd`` now (CLONING, COMPLETE or FAILED), with its flags updated."""
    job = clone_job(rd)
    if job is None:
        return "COMPLETE"
    resources = list(rd.resources.values())
    if FAILED in rd.flags or any(r.failure is not None for r in resources):
        rd.flags.discard(CLONING)
        rd.flags.add(FAILED)
        return "FAILED"
    if any(_copying(r, job, now) for r in resources):
        return "CLONING"
    if CLONING in rd.flags:
        rd.flags.discard(CLONING)
        for resource in resources:
            for volume in resource.volumes.values():
                volume.flags.discard(CLONING)
    return "COMPLETE"


def _copied(state: EmulatorState, resource: Resource) -> None:
    """A replica finished copying: the clone may be complete now (flags follow at once)."""
    refresh_clone(resource.rd, state.clock())


def clone_status(state: EmulatorState, rsc: str, clone: str) -> dict[str, str]:
    """GET .../clone/{clone}: 404 unless ``clone`` is a clone of ``rsc``."""
    answer = Answer()
    source = state.rd_or_fail(rsc, answer)
    target = state.resource_definitions.get(clone.upper())
    job = clone_job(target) if target is not None else None
    if target is None or job is None or job.source.upper() != source.key:
        answer.fail(
            rc.FAIL_NOT_FOUND_RSC_DFN,
            f"Resource definition '{clone}' not found.",
            details=f"No clone '{clone}' of resource definition '{source.name}' is known.",
        )
    return {"status": refresh_clone(target, state.clock())}


def clone_definition(
    state: EmulatorState, rsc: str, body: Mapping[str, Any]
) -> tuple[Answer, ResourceDefinition]:
    """POST .../clone: the new definition, its volume definitions and replicas (copying)."""
    answer = Answer(rc.MASK_CRT, rc.MASK_RSC_DFN, {"RscDfn": rsc})
    source = state.rd_or_fail(rsc, answer)
    sources = source.live_resources()
    if not any(not r.diskless for r in sources):
        answer.fail(
            rc.FAIL_NOT_FOUND_RSC,
            f"Resource definition '{source.name}' has no diskful resource to clone from.",
        )
    for resource in sources:
        if not resource.node.online:
            answer.fail(
                rc.FAIL_NOT_CONNECTED,
                f"No active connection to satellite '{resource.node.name}'.",
                details="A resource cannot be cloned while satellites holding it are not "
                "connected.",
            )
    props = dict(source.props)
    modify_props(
        props,
        body.get("override_props") or {},
        body.get("delete_props") or [],
        body.get("delete_namespaces") or [],
    )
    layers = [{"type": layer} for layer in body.get("layer_list") or source.layer_stack]
    group = body.get("resource_group") or source.group.name or DEFAULT_RESOURCE_GROUP
    rd_body = {
        "name": body.get("name") or "",
        "external_name": body.get("external_name"),
        "resource_group_name": group,
        "props": props,
        "layer_data": layers,
    }
    step = state.create_resource_definition(
        {"resource_definition": rd_body, "drbd_peer_slots": source.peer_slots}
    )
    answer.extend(step)
    target = state.resource_definitions[step.entries[0]["obj_refs"]["RscDfn"].upper()]
    try:
        _copy_contents(state, source, target, answer)
    except ApiFailure as failure:
        for resource in list(target.resources.values()):
            state.remove_resource(resource)
        state.remove_definition(target)
        answer.extend(failure.answer)
        raise ApiFailure(answer) from None
    return answer, target


def _copy_contents(
    state: EmulatorState, source: ResourceDefinition, target: ResourceDefinition, answer: Answer
) -> None:
    for number, vd in sorted(source.volume_definitions.items()):
        vd_props = {k: v for k, v in vd.props.items() if k != "DrbdCurrentGi"}
        vd_body = {"volume_number": number, "size_kib": vd.size_kib, "props": vd_props}
        step, _ = state.create_volume_definition(target.name, {"volume_definition": vd_body})
        answer.extend(step)
    job = CloneJob(source.name)
    target.extra[CLONE_KEY] = job
    state.op_completers.setdefault(CLONE_OP, lambda r: _copied(state, r))
    target.flags.add(CLONING)
    timing = state.timing
    created: list[Resource] = []
    for original in source.live_resources():
        first = next(iter(original.volumes.values()), None)
        pool = first.pool if first is not None else None
        if pool is None:
            pool = state.resolve_pool(
                target, original.node, None, diskless=original.diskless, answer=answer
            )
        flags = {f for f in original.flags if f in ("DISKLESS", "DRBD_DISKLESS")}
        resource = state.new_resource(
            target, original.node, pool, answer, flags=flags, props={}, node_id=original.node_id
        )
        created.append(resource)
        state.start_deploy(resource, sync=False)
        if resource.diskless:
            continue
        state.start_op(resource, CLONE_OP, timing.apply_s + timing.clone_s)
        copied = resource.op_done_w
        job.done_w[resource.node.key] = copied
        up = copied + timing.deploy_s
        resource.reported_w = copied
        resource.connect_w = up
        for volume in resource.volumes.values():
            volume.flags.add(CLONING)
            volume.attach_w = up
            volume.sync_start_w = volume.sync_end_w = ALREADY
    state.fail_resources(Answer(), created)
    if any(r.failure is not None for r in created):
        target.flags.discard(CLONING)
        target.flags.add(FAILED)
    answer.add(
        rc.CREATED,
        f"Resource definition '{target.name}' is being cloned from '{source.name}'.",
        details=f"Clone status: /v1/resource-definitions/{source.name}/clone/{target.name}",
        refs={"RscDfn": target.name},
    )


def clone_started(
    source: ResourceDefinition, target: ResourceDefinition, answer: Answer
) -> JsonDict:
    """The ``ResourceDefinitionCloneStarted`` answer."""
    return {
        "location": f"/v1/resource-definitions/{source.name}/clone/{target.name}",
        "source_name": source.name,
        "clone_name": target.name,
        "messages": answer.entries,
    }
