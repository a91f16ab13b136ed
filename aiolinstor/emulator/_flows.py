"""What a handler does after an operation changed the DB: wait for the satellites, like the
controller's reactive flows, and add their entries to the answer.

Every wait is bounded by the state's ``ready_timeout`` (``ready_timeout_s / speed``) in total.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import INACTIVE, Node, Resource, ResourceDefinition
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._state import EmulatorState

READY_TIMEOUT_MESSAGE = (
    "Resource did not become ready on node '{node}' within reasonable time, "
    "check Satellite for errors."
)


class Deadline:
    """One overall time budget shared by the waits of a request."""

    def __init__(self, seconds: float) -> None:
        self._end = asyncio.get_running_loop().time() + seconds

    @property
    def left(self) -> float:
        return max(0.0, self._end - asyncio.get_running_loop().time())


def _alive(resource: Resource) -> bool:
    return resource.rd.resources.get(resource.node.key) is resource


async def applied(state: EmulatorState, nodes: Iterable[Node]) -> None:
    """A plain satellite update: wait for the slowest reached satellite to apply it."""
    await state.wait_applied(nodes)
    state.advance()


async def deploy(
    state: EmulatorState,
    answer: Answer,
    rd: ResourceDefinition,
    created: Sequence[Resource],
    *,
    wait_ready: bool = True,
    deadline: Deadline | None = None,
) -> None:
    """New replicas: satellites create them, then (create/autoplace) the ready wait."""
    deadline = deadline or Deadline(state.ready_timeout)
    for node in sorted(
        {r.node for r in rd.resources.values() if not r.node.online}, key=lambda n: n.key
    ):
        answer.not_connected(node.name)
    targets = [r for r in created if r.node.online and r.failure is None]
    await state.wait_until(
        lambda: sat.applied_eta([r for r in targets if _alive(r)], state.clock()), deadline.left
    )
    state.advance()
    new_names = ", ".join(f"'{r.node.name}'" for r in targets)
    for resource in targets:
        answer.add(
            rc.MODIFIED,
            f"Created resource '{rd.name}' on '{resource.node.name}'",
            refs={"Node": resource.node.name},
        )
    if targets:
        for peer in sorted(rd.resources.values(), key=lambda r: r.node.key):
            if peer not in created and peer.node.online and peer.failure is None:
                answer.add(
                    rc.MODIFIED,
                    f"Added peer(s) {new_names} to resource '{rd.name}' on '{peer.node.name}'",
                    refs={"Node": peer.node.name},
                )
    if not created:
        return
    if not rd.volume_definitions:
        answer.add(rc.WARN_NOT_FOUND, f"No volumes have been defined for resource '{rd.name}'")
        return
    if all(r.diskless for r in rd.live_resources()):
        answer.add(
            rc.WARN_ALL_DISKLESS,
            f"Resource '{rd.name}' is unusable because it is diskless on all its nodes",
        )
        return
    if not wait_ready or len(rd.resources) < 2 or not rd.has_drbd:
        return
    waiting = [r for r in targets if INACTIVE not in r.flags]

    def remaining() -> float:
        now = state.clock()
        return max((sat.ready_eta(r, now) for r in waiting if _alive(r)), default=0.0)

    await state.wait_until(remaining, deadline.left)
    state.advance()
    now = state.clock()
    for resource in waiting:
        node_name = resource.node.name
        if not _alive(resource) or sat.ready_eta(resource, now) <= 0:
            answer.add(
                rc.CREATED,
                f"Resource '{rd.name}' on '{node_name}' ready",
                details=f"Node(s): '{node_name}', Resource: '{rd.name}'",
                refs={"Node": node_name},
            )
        else:
            message = READY_TIMEOUT_MESSAGE.format(node=node_name)
            answer.add(rc.MASK_WARN, message, refs={"Node": node_name})


async def operation_done(
    state: EmulatorState, resources: Sequence[Resource], *, until_applied: bool = False
) -> None:
    """Wait until the pending operation of the reachable replicas is done (or applied)."""

    def remaining() -> float:
        now = state.clock()
        worst = 0.0
        for resource in resources:
            if not _alive(resource) or resource.op is None or resource.failure is not None:
                continue
            if not resource.node.online:
                continue
            target = resource.op_applied_w if until_applied else resource.op_done_w
            worst = max(worst, sat.eta(resource.node, target, now))
        return worst

    await state.wait_until(remaining, state.ready_timeout)
    state.advance()


async def deleted(state: EmulatorState, answer: Answer, resources: Sequence[Resource]) -> None:
    """Deletes: wait for the online satellites, then report which replicas are gone."""
    await operation_done(state, resources)
    for resource in resources:
        rd, node = resource.rd, resource.node
        if _alive(resource):
            if not node.online:
                answer.not_connected(node.name)
            continue
        for peer in sorted(rd.resources.values(), key=lambda r: r.node.key):
            if peer.node.online and not peer.deleting:
                answer.add(
                    rc.MODIFIED,
                    f"Notified '{peer.node.name}' that '{rd.name}' is being cleaned up on "
                    f"Node(s): [{node.name}]",
                    refs={"Node": node.name},
                )
        answer.add(
            rc.DELETED,
            f"Node: {node.name}, Resource: {rd.name} deletion complete.",
            details=f"Node: {node.name}, Resource: {rd.name} UUID was: {resource.uuid}",
            refs={"Node": node.name},
        )
