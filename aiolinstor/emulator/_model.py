"""The emulated controller's database objects and their satellites' simulated timelines.

Names are stored as given and indexed by their upper-case ``key`` (LINSTOR compares names
case-insensitively). Satellite progress is measured in *work seconds* on each node's own work
clock (see :mod:`._satellites`); a resource or volume records the work times at which it gets
reported, connected, attached and synced, so nothing needs to run while the cluster is idle.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from aiolinstor.emulator._spec import PROVIDER_KINDS

NEVER = float("inf")
ALREADY = float("-inf")

# Resource flags as the REST API names them.
DISKLESS = "DISKLESS"
DRBD_DISKLESS = "DRBD_DISKLESS"
DELETE = "DELETE"
INACTIVE = "INACTIVE"
TIE_BREAKER = "TIE_BREAKER"
DISK_ADD_REQUESTED = "DISK_ADD_REQUESTED"
DISK_ADDING = "DISK_ADDING"
DISK_REMOVE_REQUESTED = "DISK_REMOVE_REQUESTED"
DISK_REMOVING = "DISK_REMOVING"


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def drbd_metadata_kib(size_kib: int, peer_slots: int) -> int:
    """Internal DRBD metadata: superblock + activity log + one bitmap (1 bit per 4 KiB) per peer."""
    bitmap_kib = _round_up(-(-size_kib // 32768), 4)
    return _round_up(4 + 32 + peer_slots * bitmap_kib, 4)


@dataclass(frozen=True)
class VolumeSizes:
    """Sizes of one replica's volume in KiB, as the layers report them."""

    usable_kib: int  # DRBD usable (= the volume definition's size)
    drbd_allocated_kib: int  # DRBD usable + internal metadata
    storage_usable_kib: int  # backing device size (rounded to the 4 MiB extent)
    storage_allocated_kib: int  # space taken from the pool (thin: only what was written)


def volume_sizes(size_kib: int, *, diskless: bool, thin: bool, peer_slots: int) -> VolumeSizes:
    """The sizes a satellite reports for a volume of ``size_kib`` (net) in a pool."""
    gross = size_kib + drbd_metadata_kib(size_kib, peer_slots)
    if diskless:
        return VolumeSizes(size_kib, gross, size_kib, 0)
    backing = _round_up(gross, 4096)
    allocated = _round_up(gross - size_kib, 64) if thin else backing
    return VolumeSizes(size_kib, gross, backing, allocated)


class NumberPool:
    """Hands out the smallest free number in ``[low, high]``; O(log n) per call."""

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high
        self._next = low
        self._freed: list[int] = []
        self._used: set[int] = set()

    def take(self, wanted: int | None = None) -> int | None:
        """A free number (``wanted`` if given and free), or None when exhausted/taken."""
        if wanted is not None:
            if wanted in self._used or not self.low <= wanted <= self.high:
                return None
            self._used.add(wanted)
            return wanted
        while self._freed:
            number = heapq.heappop(self._freed)
            if number not in self._used:
                self._used.add(number)
                return number
        while self._next <= self.high:
            number = self._next
            self._next += 1
            if number not in self._used:
                self._used.add(number)
                return number
        return None

    def give_back(self, number: int) -> None:
        if number in self._used:
            self._used.discard(number)
            heapq.heappush(self._freed, number)


@dataclass(eq=False)
class Node:
    """A satellite node and its work clock (``work = work_base + (now - time_base) * rate``)."""

    name: str
    address: str
    uuid: str
    layers: list[str]
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    node_type: str = "SATELLITE"
    online: bool = True
    speed: float = 1.0
    failure: str | None = None
    pools: dict[str, StoragePool] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    ports: NumberPool = field(default_factory=lambda: NumberPool(7000, 7999))
    work_base: float = 0.0
    time_base: float = 0.0
    rate: float = 0.0

    @property
    def key(self) -> str:
        return self.name.upper()


@dataclass(eq=False)
class StoragePool:
    """A storage pool on a node, with capacity accounting kept up to date incrementally."""

    name: str
    node: Node
    provider_kind: str
    uuid: str
    total_kib: int | None
    props: dict[str, str] = field(default_factory=dict)
    shared_space: str | None = None
    allocated_kib: int = 0
    reserved_kib: int = 0
    snapshot_kib: int = 0
    volume_counts: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.upper()

    @property
    def diskless(self) -> bool:
        return self.provider_kind == "DISKLESS"

    @property
    def thin(self) -> bool:
        return PROVIDER_KINDS.get(self.provider_kind, False)

    @property
    def free_kib(self) -> int | None:
        """Free capacity as the satellite would report it (None for diskless pools)."""
        if self.total_kib is None:
            return None
        return max(0, self.total_kib - self.allocated_kib - self.snapshot_kib)

    @property
    def resource_count(self) -> int:
        return len(self.volume_counts)

    def account(self, rd_key: str, allocated_kib: int, usable_kib: int, sign: int) -> None:
        """Add (sign=1) or remove (sign=-1) one volume's usage."""
        self.allocated_kib += sign * allocated_kib
        self.reserved_kib += sign * usable_kib
        count = self.volume_counts.get(rd_key, 0) + sign
        if count > 0:
            self.volume_counts[rd_key] = count
        else:
            self.volume_counts.pop(rd_key, None)


@dataclass(eq=False)
class StoragePoolDefinition:
    name: str
    uuid: str
    props: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.upper()


@dataclass(eq=False)
class VolumeGroup:
    number: int
    uuid: str
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


@dataclass(eq=False)
class ResourceGroup:
    name: str
    uuid: str
    description: str = ""
    props: dict[str, str] = field(default_factory=dict)
    select_filter: dict[str, Any] = field(default_factory=dict)
    peer_slots: int | None = None
    volume_groups: dict[int, VolumeGroup] = field(default_factory=dict)
    definitions: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.name.upper()


@dataclass(eq=False)
class VolumeDefinition:
    number: int
    size_kib: int
    minor: int
    uuid: str
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


@dataclass(eq=False)
class ResourceDefinition:
    """A resource definition; ``extra`` is room for other route modules (snapshots, clones)."""

    name: str
    uuid: str
    group: ResourceGroup
    secret: str
    external_name: str | None = None
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    layer_stack: list[str] = field(default_factory=lambda: ["DRBD", "STORAGE"])
    peer_slots: int = 7
    transport: str = "IP"
    volume_definitions: dict[int, VolumeDefinition] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.upper()

    @property
    def has_drbd(self) -> bool:
        return "DRBD" in self.layer_stack

    def live_resources(self) -> list[Resource]:
        """Resources not being deleted, in node-name order."""
        return [r for _, r in sorted(self.resources.items()) if DELETE not in r.flags]


@dataclass(eq=False)
class Volume:
    """One volume of a resource and its satellite timeline (node work seconds).

    Before ``attach_w`` the disk shows ``pre_attach_state``; in ``[sync_start_w, sync_end_w)``
    it is a SyncTarget; afterwards UpToDate (diskful) or Diskless.
    """

    number: int
    pool: StoragePool
    uuid: str
    sizes: VolumeSizes
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    attach_w: float = ALREADY
    pre_attach_state: str = "Inconsistent"
    sync_start_w: float = ALREADY
    sync_end_w: float = ALREADY


@dataclass(eq=False)
class Resource:
    """A resource on a node, with its pending operation and satellite timeline.

    ``op`` is ``"delete"``, ``"disk_add"``, ``"disk_remove"`` or None; it started at node work
    ``op_start_w``, reaches the satellite at ``op_applied_w`` and completes at ``op_done_w``.
    ``reported_w``: the satellite reports the resource; ``connect_w``: its DRBD connections
    come up.
    """

    rd: ResourceDefinition
    node: Node
    uuid: str
    node_id: int
    tcp_port: int
    create_ms: int
    props: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    layer_list: list[str] = field(default_factory=lambda: ["DRBD", "STORAGE"])
    volumes: dict[int, Volume] = field(default_factory=dict)
    in_use: bool = False
    reported_w: float = ALREADY
    connect_w: float = ALREADY
    op: str | None = None
    op_start_w: float = ALREADY
    op_applied_w: float = ALREADY
    op_done_w: float = ALREADY
    failure: str | None = None
    failure_report_ids: list[str] = field(default_factory=list)
    migrate_from: str | None = None
    last_may_promote: bool | None = None

    @property
    def diskless(self) -> bool:
        return DISKLESS in self.flags or DRBD_DISKLESS in self.flags

    @property
    def diskful(self) -> bool:
        """Diskful for placement: has (or is getting) a disk and keeps it."""
        return not self.diskless and DISK_REMOVE_REQUESTED not in self.flags

    @property
    def deleting(self) -> bool:
        return DELETE in self.flags
