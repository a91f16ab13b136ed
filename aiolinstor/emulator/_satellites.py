"""Simulated satellites: per-node work clocks and the DRBD state they imply, computed lazily.

Each node has a work clock that runs at ``timing.speed * node.speed`` while the satellite is
online and stands still while it is offline or stalled (speed 0). Every change records the work
time at which it started; the DRBD state shown for it (reported or not, disk state, resync
progress, connections, may-promote) is a pure function of the nodes' current work times. So an
idle cluster of any size costs nothing, and tests can drive time with a fake clock.

Model, per replica (see :class:`._model.Resource` and :class:`._model.Volume`):

* a change reaches the satellite after ``apply_s`` of work (``reported_w``); before, no state;
* the replica connects to its peers and attaches its disk after ``deploy_s`` (``connect_w``,
  ``attach_w``); until then the disk shows ``pre_attach_state`` (Inconsistent, or Diskless while
  a disk is being added);
* a replica joining existing data then resyncs for ``sync_s`` (SyncTarget, rising
  ``done_percentage``; its peers show SyncSource), then it is UpToDate;
* the initial replicas of a new resource on *thin* pools come up UpToDate without a resync (as
  LINSTOR skips DRBD's initial sync on fresh thin volumes); on thick pools the first replica is
  UpToDate and the others do the initial resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiolinstor.emulator._model import INACTIVE, Node, Resource, Volume

if TYPE_CHECKING:
    from aiolinstor.emulator._spec import Timing

_EPSILON = 1e-9


def work(node: Node, now: float) -> float:
    """The node's work clock at clock time ``now``."""
    return node.work_base + (now - node.time_base) * node.rate


def node_rate(node: Node, timing: Timing) -> float:
    return timing.speed * node.speed if node.online else 0.0


def rebase(node: Node, now: float, timing: Timing) -> None:
    """Re-anchor the work clock at ``now`` with the rate implied by the node's current settings."""
    node.work_base = work(node, now)
    node.time_base = now
    node.rate = node_rate(node, timing)


def eta(node: Node, target_w: float, now: float) -> float:
    """Clock seconds until ``node``'s work reaches ``target_w`` (0 if reached, inf if never)."""
    missing = target_w - work(node, now)
    if missing <= _EPSILON:
        return 0.0
    if node.rate <= 0 or math.isinf(missing):
        return math.inf
    return missing / node.rate


@dataclass(frozen=True)
class Peer:
    """A peer replica as seen from another replica at one instant."""

    resource: Resource
    w: float
    reported: bool


def is_reported(resource: Resource, w: float) -> bool:
    """The satellite has reported this resource (online, no failure, change applied)."""
    return resource.node.online and resource.failure is None and w + _EPSILON >= resource.reported_w


def is_up(resource: Resource, w: float) -> bool:
    """DRBD is up on this replica: reported, active and past its connect time."""
    return (
        is_reported(resource, w)
        and INACTIVE not in resource.flags
        and w + _EPSILON >= resource.connect_w
    )


def is_syncing(volume: Volume, w: float) -> bool:
    return volume.sync_start_w <= w + _EPSILON and w + _EPSILON < volume.sync_end_w


def disk_state(resource: Resource, volume: Volume, w: float) -> str:
    """DRBD disk state of a reported, active volume at work time ``w``."""
    if w + _EPSILON < volume.attach_w:
        return volume.pre_attach_state
    if is_syncing(volume, w):
        return "Inconsistent"
    return "Diskless" if resource.diskless else "UpToDate"


def done_percentage(volume: Volume, w: float) -> float:
    span = volume.sync_end_w - volume.sync_start_w
    if span <= 0 or math.isinf(span):
        return 0.0
    return round(min(100.0, max(0.0, (w - volume.sync_start_w) / span * 100.0)), 2)


def all_up_to_date(resource: Resource, w: float) -> bool:
    return bool(resource.volumes) and all(
        disk_state(resource, v, w) == "UpToDate" for v in resource.volumes.values()
    )


def connected(a: Resource, wa: float, b: Resource, wb: float) -> bool:
    return is_up(a, wa) and is_up(b, wb)


def replication_state(
    resource: Resource, volume: Volume, w: float, peer: Peer
) -> dict[str, object]:
    """The ``replication_states[peer]`` entry of one volume."""
    if not connected(resource, w, peer.resource, peer.w):
        return {"replication_state": "Off"}
    peer_volume = peer.resource.volumes.get(volume.number)
    if peer_volume is None:
        return {"replication_state": "Established"}
    peer_up_to_date = disk_state(peer.resource, peer_volume, peer.w) == "UpToDate"
    if is_syncing(volume, w) and not peer.resource.diskless and peer_up_to_date:
        return {"replication_state": "SyncTarget", "done_percentage": done_percentage(volume, w)}
    own_up_to_date = disk_state(resource, volume, w) == "UpToDate"
    if is_syncing(peer_volume, peer.w) and not resource.diskless and own_up_to_date:
        return {"replication_state": "SyncSource"}
    return {"replication_state": "Established"}


def has_data_access(resource: Resource, w: float, peers: Iterable[Peer]) -> bool:
    """Access to UpToDate data: a local UpToDate disk or a connected UpToDate peer."""
    if not is_up(resource, w):
        return False
    if all_up_to_date(resource, w):
        return True
    return any(
        not p.resource.diskless
        and connected(resource, w, p.resource, p.w)
        and all_up_to_date(p.resource, p.w)
        for p in peers
    )


def may_promote(resource: Resource, w: float, peers: list[Peer]) -> bool:
    """DRBD auto-promote readiness: data access and nobody (including itself) is Primary."""
    if resource.in_use or any(p.resource.in_use and p.reported for p in peers):
        return False
    return has_data_access(resource, w, peers)


def promotion_score(resource: Resource, w: float, peers: list[Peer]) -> int:
    if not has_data_access(resource, w, peers):
        return 0
    if not all_up_to_date(resource, w):
        return 1
    linked = sum(1 for p in peers if connected(resource, w, p.resource, p.w))
    return 10100 + linked + 1


def peers_of(resource: Resource, now: float) -> list[Peer]:
    """The other replicas of the resource's definition, with their work times."""
    out = []
    for other in resource.rd.resources.values():
        if other is resource:
            continue
        w = work(other.node, now)
        out.append(Peer(other, w, is_reported(other, w)))
    return out


def settled_w(resource: Resource) -> float:
    """Work time after which this replica's shown state no longer changes by itself."""
    points = [resource.reported_w, resource.connect_w, resource.op_done_w]
    for volume in resource.volumes.values():
        points.extend((volume.attach_w, volume.sync_end_w))
    return max(points)


def ready_eta(resource: Resource, now: float) -> float:
    """Clock seconds until the replica is "ready" as the controller's create wait means it.

    Ready: applied, connected to every online diskful active peer, disk attached (so it has
    access to UpToDate data, directly or through a peer). ``inf`` if that cannot happen at the
    current rates (offline, stalled, failed).
    """
    if resource.failure is not None or not resource.node.online:
        return math.inf
    own = [resource.reported_w, resource.connect_w]
    own.extend(v.attach_w for v in resource.volumes.values())
    worst = max(eta(resource.node, max(own), now), 0.0)
    for peer in resource.rd.resources.values():
        if peer is resource or not peer.node.online or peer.diskless or peer.deleting:
            continue
        if INACTIVE in peer.flags or peer.failure is not None:
            continue
        worst = max(worst, eta(peer.node, max(peer.reported_w, peer.connect_w), now))
    return worst


def applied_eta(resources: Iterable[Resource], now: float) -> float:
    """Clock seconds until every online satellite among ``resources`` reported its replica."""
    worst = 0.0
    for resource in resources:
        if resource.node.online and resource.failure is None:
            worst = max(worst, eta(resource.node, resource.reported_w, now))
    return worst


async def wait_until(
    remaining: Callable[[], float],
    timeout: float,
    subscribe: Callable[[], asyncio.Event],
    unsubscribe: Callable[[asyncio.Event], None],
) -> bool:
    """Wait (at most ``timeout`` seconds) until ``remaining()`` is 0; True if it got there.

    ``remaining()`` estimates the clock seconds still needed at current rates; the wait wakes up
    early when the event returned by ``subscribe`` is set (a node's speed or connection
    changed), then re-estimates. Bounded by ``timeout`` whatever happens.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        needed = remaining()
        if needed <= 0:
            return True
        left = deadline - loop.time()
        if left <= 0:
            return False
        event = subscribe()
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), min(needed + 0.0005, left))
        finally:
            unsubscribe(event)
