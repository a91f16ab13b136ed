"""The awaitable high-level Resource: declare locally, then create, place, attach, delete.

``Resource(name)`` and its ``volumes`` / ``placement`` are local declarations (no I/O, values
checked at once). Each coroutine reads fresh state before deciding, writes idempotently
(get-or-create; after a lost answer it re-reads state instead of re-sending blindly) and by
default waits, through the client's shared watcher, until the satellites report the result.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Generator, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from aiolinstor._api import ToggleDiskOperation
from aiolinstor._errors import (
    ApiCallError,
    InputError,
    NotFoundError,
)
from aiolinstor._models import ResourceCreateSpec
from aiolinstor._names import check_node_name, check_resource_group_name, check_resource_name
from aiolinstor._placement import Placement, preflight
from aiolinstor._resource_lifecycle import ResourceLifecycle
from aiolinstor._resource_state import ResourceState
from aiolinstor._volume import (
    SyncProgress,
    Volume,
    VolumeMap,
    ensure_definition,
    remove_half_made,
)
from aiolinstor._waits import (
    attached,
    disk_mode,
    gone,
    observe_changes,
    recover_write,
    replicas_ready,
    resolve_timeout,
    resynced,
    watcher_for,
)

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceDefinitionInfo, ResourceInfo

logger = logging.getLogger("aiolinstor")


class Deactivation(enum.Enum):
    """What :meth:`Resource.deactivate` did on the node."""

    REMOVED = "removed"  #: the diskless assignment was deleted
    ABSENT = "absent"  #: the node held nothing: nothing to do
    KEPT_DISKFUL = "kept-diskful"  #: the node holds a replica with data, which is left alone


class Resource(ResourceState, ResourceLifecycle):
    """A LINSTOR resource (definition, volumes and replicas) under one name.

    Without ``client=``, the client of the innermost ``async with aiolinstor.Client()`` of
    the running task is used, looked up when an operation runs.
    """

    def __init__(self, name: str, client: Client | None = None) -> None:
        self._name = check_resource_name(name)
        self._client = client
        self._placement = Placement()
        self._resource_group: str | None = None
        self._volumes = VolumeMap(self)
        self._definition: ResourceDefinitionInfo | None = None
        self._exists: bool | None = None
        self._replicas: tuple[ResourceInfo, ...] = ()

    def __repr__(self) -> str:
        state = {None: "unread", True: "exists", False: "absent"}[self._exists]
        return f"<Resource {self._name!r} {state} volumes={len(self._volumes)}>"

    # --- declaration (no I/O) -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The resource (definition) name, as given."""
        return self._name

    @property
    def client(self) -> Client | None:
        """The client given at construction (None: the task's active client is used)."""
        return self._client

    @property
    def volumes(self) -> VolumeMap:
        """Volume number -> :class:`Volume`; assigning declares a volume (no I/O)."""
        return self._volumes

    @property
    def placement(self) -> Placement:
        """Where :meth:`autoplace` puts replicas (redundancy, pools, constraints)."""
        return self._placement

    @placement.setter
    def placement(self, value: Placement) -> None:
        if not isinstance(value, Placement):
            raise InputError(f"placement must be a Placement, got {value!r}")
        self._placement = value

    @property
    def resource_group(self) -> str | None:
        """The resource group a newly created definition joins (None: DfltRscGrp)."""
        return self._resource_group

    @resource_group.setter
    def resource_group(self, value: str | None) -> None:
        self._resource_group = None if value is None else check_resource_group_name(value)

    # --- last read state --------------------------------------------------------------------
    @property
    def exists(self) -> bool | None:
        """Whether the definition existed at the last read (None: never read)."""
        return self._exists

    @property
    def definition(self) -> ResourceDefinitionInfo | None:
        """The resource definition as last read (None: never read, or absent)."""
        return self._definition

    @property
    def replicas(self) -> Mapping[str, ResourceInfo]:
        """Node -> that node's resource (replica or diskless client) as last seen."""
        return {info.node_name: info for info in self._replicas}

    @property
    def nodes(self) -> list[str]:
        """Nodes holding this resource in any form (deleting ones excluded)."""
        return sorted(i.node_name for i in self._replicas if not i.deleting)

    @property
    def diskful_nodes(self) -> list[str]:
        """Nodes holding a replica with data (deleting ones excluded), as last read."""
        return sorted(i.node_name for i in self._replicas if not i.deleting and not i.diskless)

    @property
    def diskless_nodes(self) -> list[str]:
        """Nodes holding a diskless client or tiebreaker (deleting ones excluded), as last read."""
        return sorted(i.node_name for i in self._replicas if not i.deleting and i.diskless)

    # --- reading ----------------------------------------------------------------------------
    def __await__(self) -> Generator[Any, None, Resource]:
        return self.refresh().__await__()

    async def refresh(self) -> Resource:
        """Read the definition, volumes and every replica's state; return ``self``."""
        await self._read(self._resolve())
        return self

    # --- creating and placing ---------------------------------------------------------------
    async def create(
        self,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Get-or-create the definition and the declared volumes.

        An existing definition is reused when it fits the declaration (each declared volume
        at least as large as declared); otherwise InputError, before any write. If creating a
        volume fails after this call created the definition, the definition is removed again.
        """
        client, deadline, budget = self._start(timeout)
        await self._ensure(client, await self._read_definition(client))
        await self._finish(client, replicas_ready(), "create", wait, deadline, budget)
        return self

    async def autoplace(
        self,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Create if needed, then let the controller place replicas per :attr:`placement`.

        Returns when every diskful replica is UpToDate and connected. A redundancy the
        cluster cannot provide fails before any write when the node and pool lists show it,
        else with the controller's NotEnoughNodesError; a definition this call created is
        removed again on failure.
        """
        client, deadline, budget = self._start(timeout)
        size_kib = sum(volume.size_kib for volume in self._volumes.values())
        current = await self._read_definition(client)
        if not self._volumes._declared() and not (current and current.volume_definitions):
            raise InputError(
                f"cannot autoplace resource {self._name!r} without volumes: declare one first, "
                "e.g. res.volumes[0] = Volume('10 GiB')"
            )
        await preflight(client, self._name, self._placement, size_kib, current is not None)
        created = await self._ensure(client, current)
        redundancy = self._placement.redundancy
        try:

            async def placed() -> bool:
                count = len([r for r in await self._read_replicas(client) if _is_diskful(r)])
                return count >= (redundancy or 1)

            await recover_write(
                lambda: client.autoplace(self._name, **self._placement.autoplace_arguments()),
                placed,
                f"autoplace of {self._name!r}",
            )
        except ApiCallError:
            if created:
                await self._rollback(client)
            raise
        condition = replicas_ready(min_diskful=redundancy or 1)
        await self._finish(client, condition, "autoplace", wait, deadline, budget)
        return self

    async def wait_ready(
        self,
        *,
        timeout: float | None = None,
    ) -> Resource:
        """Wait until every replica is settled (diskful UpToDate and connected)."""
        client, deadline, budget = self._start(timeout)
        await self._finish(client, replicas_ready(), "wait_ready", True, deadline, budget)
        return self

    # --- attaching ----------------------------------------------------------------------------
    async def activate(
        self,
        node: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Make the resource usable on ``node``: a diskless client if the node holds nothing,
        re-activation if it holds an INACTIVE one, nothing if it is already there. Waits for
        the device path."""
        node = check_node_name(node)
        client, deadline, budget = self._start(timeout)
        await self._read_placement(client)
        self._require_volumes("activate")
        mine = self._on(node)
        if mine is not None and mine.deleting:
            await self._wait(client, gone(node), "activate", deadline, budget)
            mine = None
        if mine is None or mine.tiebreaker:  # a tiebreaker is taken over as a client
            logger.info("activate %r on %s: adding a diskless client", self._name, node)
            await recover_write(
                lambda: client.make_available(self._name, node, diskful=False),
                lambda: self._present(client, node, tiebreaker_ok=False),
                f"activate of {self._name!r} on {node}",
            )
        elif mine.inactive:
            logger.info("activate %r on %s: re-activating", self._name, node)
            await client.activate_resource(self._name, node)
        elif wait and self._reached(attached(node)):
            return self  # nothing to write, and the fresh read already shows it attached
        await self._finish(client, attached(node), "activate", wait, deadline, budget)
        return self

    async def deactivate(
        self,
        node: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Deactivation:
        """Remove a diskless assignment from ``node``; a replica with data is never deleted.

        Reads fresh state first. Returns what happened: REMOVED, ABSENT (nothing there) or
        KEPT_DISKFUL (a diskful replica, left as is and logged as a warning).
        """
        node = check_node_name(node)
        client, deadline, budget = self._start(timeout)
        await self._read_placement(client)
        mine = self._on(node)
        if mine is None:
            return Deactivation.ABSENT
        if not mine.diskless:
            logger.warning(
                "deactivate %r on %s: the node holds a diskful replica, which is kept",
                self._name,
                node,
            )
            return Deactivation.KEPT_DISKFUL
        if not mine.deleting:
            await self._delete_assignment(client, node)
        await self._finish(client, gone(node), "deactivate", wait, deadline, budget)
        return Deactivation.REMOVED

    async def make_diskless(
        self,
        node: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Turn the replica on ``node`` diskless (or add a diskless client there)."""
        return await self._toggle(node, diskful=False, pool=None, wait=wait, budget=timeout)

    async def make_diskful(
        self,
        node: str,
        *,
        storage_pool: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Give ``node`` a replica with data and wait until it is UpToDate (resync done)."""
        return await self._toggle(node, diskful=True, pool=storage_pool, wait=wait, budget=timeout)

    # --- deleting ---------------------------------------------------------------------------
    async def delete(
        self,
        node: str | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Delete the whole resource (snapshots first), or only ``node``'s assignment.

        Deleting what is already gone is not an error.
        """
        client, deadline, budget = self._start(timeout)
        if node is not None:
            node = check_node_name(node)
            await self._read(client)
            mine = self._on(node)
            if mine is not None and not mine.deleting:
                await self._delete_assignment(client, node)
            if mine is not None:
                await self._finish(client, gone(node), "delete", wait, deadline, budget)
            return self
        definition = await self._read_definition(client)
        if definition is not None:
            await self._delete_snapshots(client)
            logger.info("deleting resource %r", self._name)
            await recover_write(
                lambda: client.delete_resource_definition(self._name),
                lambda: self._definition_gone(client),
                f"delete of {self._name!r}",
            )
        await self._finish(client, gone(), "delete", wait, deadline, budget)
        if wait:  # deleted, as the controller answered, and no replica is left
            self._apply_definition(None)
        return self

    # --- progress -----------------------------------------------------------------------------
    async def watch_sync(
        self,
        *,
        timeout: float | None = None,
    ) -> AsyncIterator[tuple[SyncProgress, ...]]:
        """Yield per-node resync progress of every volume until all replicas are UpToDate.

        Each item is a snapshot (one SyncProgress per diskful replica and volume), given
        whenever the state changed; the last one shows everything UpToDate. Raises
        ConvergenceTimeout when ``timeout`` passes first (the time spent by the loop body
        counts), ConvergenceFailed on a failure. To stop early, prefer
        ``async with contextlib.aclosing(res.watch_sync()) as progress:`` so the generator
        is closed at once.
        """
        client = self._resolve()
        changes = observe_changes(
            watcher_for(client),
            [self._name],
            within=resolve_timeout(client, timeout),
            resource=self._name,
            operation="resync",
            until=resynced(),
        )
        async with aclosing(changes):
            async for observed in changes:
                self._apply_replicas(observed)
                yield tuple(p for v in self._volumes.values() for p in v._progress(observed))

    # --- internals: writes ----------------------------------------------------------------------
    async def _ensure(self, client: Client, current: ResourceDefinitionInfo | None) -> bool:
        """Get-or-create the definition and declared volumes; True if this call created it."""
        created, definition = await ensure_definition(
            client, self._name, self._resource_group, self._volumes._declared(), current
        )
        self._apply_definition(definition)
        return created

    async def _rollback(self, client: Client) -> None:
        await remove_half_made(client, self._name)

    async def _delete_assignment(self, client: Client, node: str) -> None:
        logger.info("removing %r from %s", self._name, node)

        async def removed() -> bool:
            return not await self._present(client, node)

        await recover_write(
            lambda: client.delete_resource(self._name, node),
            removed,
            f"delete of {self._name!r} on {node}",
        )

    async def _delete_snapshots(self, client: Client) -> None:
        try:
            snapshots = await client.list_snapshots(self._name)
        except NotFoundError:
            return
        for snapshot in snapshots:
            logger.info("deleting snapshot %r of %r", snapshot.name, self._name)
            await client.delete_snapshot(self._name, snapshot.name)

    async def _toggle(
        self, node: str, *, diskful: bool, pool: str | None, wait: bool, budget: float | None
    ) -> Resource:
        node = check_node_name(node)
        client, deadline, budget = self._start(budget)
        await self._read(client)
        self._require_volumes("make_diskful" if diskful else "make_diskless")
        mine = self._on(node)
        operation = "make_diskful" if diskful else "make_diskless"
        if mine is None or mine.deleting:
            if mine is not None:
                await self._wait(client, gone(node), operation, deadline, budget)
            spec = ResourceCreateSpec(node, diskless=not diskful, storage_pool=pool)
            await recover_write(
                lambda: client.create_resources(self._name, [spec]),
                lambda: self._present(client, node),
                f"{operation} of {self._name!r} on {node}",
            )
        elif mine.diskless == diskful:
            target: ToggleDiskOperation = "INTO_DRBD_DISKFUL" if diskful else "INTO_DRBD_DISKLESS"
            logger.info("%s %r on %s", operation, self._name, node)
            await recover_write(
                lambda: client.toggle_disk(self._name, node, target, storage_pool=pool),
                lambda: self._toggled(client, node, diskful),
                f"{operation} of {self._name!r} on {node}",
            )
        elif wait and self._reached(disk_mode(node, diskful=diskful)):
            return self  # nothing to write, and the fresh read already shows it done
        await self._finish(
            client, disk_mode(node, diskful=diskful), operation, wait, deadline, budget
        )
        return self

    async def _toggled(self, client: Client, node: str, diskful: bool) -> bool:
        for info in await self._read_replicas(client):
            if info.node_name.upper() == node.upper():
                moving = any(f.startswith("DISK_") for f in info.flags)
                return moving or info.diskless != diskful
        return False


def _is_diskful(info: ResourceInfo) -> bool:
    return not info.diskless and not info.deleting


__all__ = ["Deactivation", "Resource", "SyncProgress", "Volume"]
