"""Snapshot objects of the emulated controller and what they cost in their storage pools.

A snapshot definition lives in its resource definition (``rd.extra["snapshots"]``, which the
resource-definition delete checks). Each node's snapshot is *taken* once that node's satellite
has done the work up to ``taken_w``; the definition is ``SUCCESSFUL`` once every node took it
(computed lazily from the work clocks). A snapshot volume costs little in its pool at first
(copy-on-write metadata, ``cost_kib``) but counts its full size in the pool's reserved space, as
the controller's free-space estimate does (NOTES §7): :func:`charge` books both.

This module depends only on the DB model, so the state core (node removal) and the state dump
can use it; the operations on snapshots are in :mod:`._state_snapshots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import Node, ResourceDefinition, StoragePool

SNAPSHOTS_KEY = "snapshots"
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

    def state(self, now: float) -> str:
        """``SUCCESSFUL``, ``FAILED`` or ``IN_PROGRESS`` (for the state dump)."""
        if self.failed:
            return "FAILED"
        return SUCCESSFUL if self.successful(now) else "IN_PROGRESS"


def snapshots_of(rd: ResourceDefinition) -> dict[str, SnapshotDefinition]:
    """The snapshot definitions of ``rd`` by upper-cased name (created on first use)."""
    found: dict[str, SnapshotDefinition] = rd.extra.setdefault(SNAPSHOTS_KEY, {})
    return found


def charge(node_snapshot: NodeSnapshot, sign: int) -> None:
    """Add (1) or release (-1) a node snapshot's pool usage: small cost, full reservation."""
    for volume in node_snapshot.volumes.values():
        volume.pool.snapshot_kib += sign * volume.cost_kib
        volume.pool.reserved_kib += sign * volume.size_kib


def node_snapshots(
    definitions: dict[str, ResourceDefinition], node: Node
) -> list[tuple[SnapshotDefinition, NodeSnapshot]]:
    """Every snapshot taken on ``node``, ordered by resource then snapshot name."""
    found = []
    for _, rd in sorted(definitions.items()):
        for _, snap in sorted(snapshots_of(rd).items()):
            ns = snap.nodes.get(node.key)
            if ns is not None:
                found.append((snap, ns))
    return found


def drop_node_snapshot(snap: SnapshotDefinition, ns: NodeSnapshot) -> bool:
    """Forget one node's snapshot (space released); True when the definition went with it."""
    if snap.nodes.pop(ns.node.key, None) is not None:
        charge(ns, -1)
    snapshots = snapshots_of(snap.rd)
    if not snap.nodes and snapshots.get(snap.key) is snap:
        del snapshots[snap.key]
        return True
    return False


def dump_snapshot(snap: SnapshotDefinition, now: float) -> dict[str, Any]:
    """The state dump's view of a snapshot (see ``docs/emulator.md``)."""
    return {
        "state": snap.state(now),
        "flags": sorted(snap.flags),
        "sequence": snap.sequence,
        "volume_definitions": {
            number: {"size_kib": svd.size_kib}
            for number, svd in sorted(snap.volume_definitions.items())
        },
        "nodes": {
            ns.node.name: {
                "taken": snap.taken(ns, now),
                "volumes": {
                    number: {
                        "storage_pool": volume.pool.name,
                        "size_kib": volume.size_kib,
                        "cost_kib": volume.cost_kib,
                    }
                    for number, volume in sorted(ns.volumes.items())
                },
            }
            for _, ns in sorted(snap.nodes.items())
        },
    }
