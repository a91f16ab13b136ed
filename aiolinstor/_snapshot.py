"""Snapshots: take (get-or-create), list, delete, restore into a new resource, roll back, and
one consistent snapshot over several resources.

Every coroutine reads fresh state first, writes only what is missing, and by default waits for
the result: a snapshot until it is SUCCESSFUL on every node, a deletion until it is gone, a
restore or rollback (:mod:`._snapshot_restore`) until every replica is UpToDate and connected.
The deadline is the one ``timeout`` (default: the client's ``wait_timeout``) for the whole call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio

from aiolinstor._client import resolve_client
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    InputError,
    NodeLag,
    NotFoundError,
)
from aiolinstor._lifecycle_support import start_budget, time_left
from aiolinstor._names import check_node_name, check_resource_name, check_snapshot_name
from aiolinstor._sizes import KiB
from aiolinstor._snapshot_restore import restore, rollback
from aiolinstor._waits import DONE, Failed, NotYet, Verdict, poll_until, recover_write

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import SnapshotInfo
    from aiolinstor._resource import Resource

logger = logging.getLogger("aiolinstor")

#: Longest time spent removing a snapshot this call made after it failed.
_CLEANUP_S = 30.0


# --- the snapshot ------------------------------------------------------------------------------
class Snapshot:
    """A snapshot of a resource (``resource_name``), as last read from the controller.

    Obtain one from ``await res.snapshot(name)``, ``await res.snapshots()`` or
    :func:`snapshot_many`; ``Snapshot(resource, name)`` refers to one without I/O.
    """

    def __init__(
        self,
        resource: str,
        name: str,
        *,
        client: Client | None = None,
        info: SnapshotInfo | None = None,
    ) -> None:
        self._resource = check_resource_name(resource)
        self._name = check_snapshot_name(name)
        self._client = client
        self._info = info

    def __repr__(self) -> str:
        state = "unread" if self._info is None else ",".join(self._info.flags) or "in progress"
        return f"<Snapshot {self._resource!r}/{self._name!r} {state}>"

    # --- identity and last read state ---------------------------------------------------------
    @property
    def name(self) -> str:
        """The snapshot's name as given."""
        return self._name

    @property
    def resource_name(self) -> str:
        """The resource definition the snapshot belongs to."""
        return self._resource

    @property
    def client(self) -> Client | None:
        """The client given at construction (None: the current client is used)."""
        return self._client

    @property
    def info(self) -> SnapshotInfo | None:
        """What the controller said at the last read (None: never read)."""
        return self._info

    @property
    def nodes(self) -> list[str]:
        """Nodes holding a copy, sorted, as last read."""
        return sorted(self._info.nodes) if self._info is not None else []

    @property
    def successful(self) -> bool:
        """True once the controller reported the snapshot SUCCESSFUL at the last read."""
        return self._info is not None and self._info.successful

    @property
    def volume_sizes(self) -> dict[int, int]:
        """Volume number -> size in bytes, as the snapshot holds them."""
        if self._info is None:
            return {}
        return {number: size_kib * KiB for number, size_kib in self._info.volume_definitions}

    # --- I/O ----------------------------------------------------------------------------------
    def __await__(self) -> Generator[Any, None, Snapshot]:
        return self.refresh().__await__()

    async def refresh(self) -> Snapshot:
        """Read the snapshot again; NotFoundError when it does not exist."""
        self._info = await self._resolve().get_snapshot(self._resource, self._name)
        return self

    async def delete(
        self,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's documented deadline
    ) -> None:
        """Delete the snapshot on every node and wait until it is gone (gone already is fine)."""
        client = self._resolve()
        deadline, budget = start_budget(client, timeout)
        if await _read(client, self._resource, self._name) is not None:
            logger.info("deleting snapshot %r of %r", self._name, self._resource)

            async def gone() -> bool:
                found = await _read(client, self._resource, self._name)
                return found is None or "DELETE" in found.flags

            await recover_write(
                lambda: client.delete_snapshot(self._resource, self._name),
                gone,
                f"delete of snapshot {self._name!r} of {self._resource!r}",
            )
        if wait:
            await poll_until(
                client,
                lambda: _read(client, self._resource, self._name),
                _snapshot_gone,
                within=time_left(deadline),
                resource=self._resource,
                operation=f"delete of snapshot {self._name!r}",
                reported_timeout=budget,
            )
        self._info = None

    async def restore(
        self,
        to: str,
        nodes: Sequence[str] | None = None,
        *,
        storage_pool_rename: Mapping[str, str] | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's documented deadline
    ) -> Resource:
        """Create the new resource ``to`` from this snapshot (definition, volume definitions,
        then replicas on ``nodes``, default: every node of the snapshot) and wait until every
        replica is UpToDate. If a step fails, the half-made definition is removed again and the
        error names the step. Repeating a finished restore only waits.
        """
        client = self._resolve()
        deadline, budget = start_budget(client, timeout)
        return await restore(
            client,
            self._resource,
            self._name,
            check_resource_name(to),
            [check_node_name(n) for n in _node_list(nodes)] if nodes is not None else None,
            storage_pool_rename=storage_pool_rename,
            wait=wait,
            deadline=deadline,
            budget=budget,
        )

    async def rollback(
        self,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's documented deadline
    ) -> Resource:
        """Roll the resource back to this snapshot (see :func:`rollback`)."""
        client = self._resolve()
        deadline, budget = start_budget(client, timeout)
        return await rollback(
            client, self._resource, self._name, wait=wait, deadline=deadline, budget=budget
        )

    def _resolve(self) -> Client:
        return resolve_client(self._client)


# --- conditions --------------------------------------------------------------------------------
def _snapshot_state(rsc: str, name: str) -> Callable[[SnapshotInfo | None], Verdict]:
    def check(info: SnapshotInfo | None) -> Verdict:
        if info is None:
            return NotYet((NodeLag(node="controller", reason="snapshot not registered yet"),))
        if info.failed:
            lags = tuple(
                NodeLag(node=n, reason="snapshot failed", flags=info.flags)
                for n in _failed_nodes(info)
            )
            return Failed(
                lags,
                f"snapshot {name!r} of resource {rsc!r} failed ({','.join(info.flags)}); "
                "delete it to try again",
            )
        if info.successful:
            return DONE
        return NotYet(tuple(NodeLag(node=n, reason="snapshot not taken yet") for n in info.nodes))

    return check


def _failed_nodes(info: SnapshotInfo) -> list[str]:
    """The nodes whose copy failed, where the controller says so per node; else every node."""
    failed = []
    for item in info.raw.get("snapshots") or ():
        if not isinstance(item, dict) or not isinstance(item.get("node_name"), str):
            continue
        flags = {str(f).upper() for f in item.get("flags") or ()}
        if flags & {"FAILED_DEPLOYMENT", "FAILED_DISCONNECT"}:
            failed.append(item["node_name"])
    return failed or list(info.nodes)


def _snapshot_gone(info: SnapshotInfo | None) -> Verdict:
    if info is None:
        return DONE
    reason = "snapshot not deleted yet (satellite offline?)"
    return NotYet(tuple(NodeLag(node=n, reason=reason, flags=info.flags) for n in info.nodes))


async def _read(client: Client, rsc: str, name: str) -> SnapshotInfo | None:
    try:
        return await client.get_snapshot(rsc, name)
    except NotFoundError:
        return None


def _node_list(nodes: Iterable[str] | None) -> list[str]:
    if nodes is None:
        return []
    if isinstance(nodes, str):
        raise InputError(f"nodes must be a list of node names, not the string {nodes!r}")
    return list(nodes)


async def _await_successful(
    client: Client, rsc: str, name: str, deadline: float, budget: float
) -> SnapshotInfo:
    found = await poll_until(
        client,
        lambda: _read(client, rsc, name),
        _snapshot_state(rsc, name),
        within=time_left(deadline),
        resource=rsc,
        operation=f"snapshot {name!r}",
        reported_timeout=budget,
    )
    assert found is not None
    return found


# --- taking snapshots --------------------------------------------------------------------------
async def take_snapshot(
    client: Client,
    rsc: str,
    name: str,
    nodes: Sequence[str] | None,
    *,
    wait: bool,
    deadline: float,
    budget: float,
) -> Snapshot:
    """Get-or-create snapshot ``name`` of ``rsc`` and (``wait``) wait until SUCCESSFUL.

    An existing snapshot of the same name is returned (after the same wait) unless it was
    taken on other nodes than the ``nodes`` asked for. A snapshot this call created that then
    fails is deleted again before the error is raised.
    """
    name = check_snapshot_name(name)
    wanted = sorted(n.upper() for n in _node_list(nodes))
    existing = await _read(client, rsc, name)
    created = False
    if existing is None:
        logger.info("taking snapshot %r of %r", name, rsc)
        try:
            await recover_write(
                lambda: client.create_snapshot(rsc, name, nodes=nodes or None),
                lambda: _exists(client, rsc, name),
                f"snapshot {name!r} of {rsc!r}",
            )
            created = True
        except AlreadyExistsError:
            existing = await _read(client, rsc, name)
            if existing is None:
                raise
        except ApiCallError:
            await _remove_if_failed(client, rsc, name)
            raise
    if existing is not None and wanted and sorted(n.upper() for n in existing.nodes) != wanted:
        raise InputError(
            f"snapshot {name!r} of resource {rsc!r} exists on {', '.join(existing.nodes)}, "
            f"not on the requested {', '.join(_node_list(nodes))}"
        )
    if not wait:
        return Snapshot(rsc, name, client=client, info=await _read(client, rsc, name))
    try:
        info = await _await_successful(client, rsc, name, deadline, budget)
    except Exception:
        if created:
            await _remove_if_failed(client, rsc, name)
        raise
    return Snapshot(rsc, name, client=client, info=info)


async def _exists(client: Client, rsc: str, name: str) -> bool:
    return await _read(client, rsc, name) is not None


async def _remove_if_failed(client: Client, rsc: str, name: str) -> None:
    """Delete snapshot ``name`` if the controller marks it failed (after this call made it).

    Shielded from cancellation and bounded; errors are only logged, the original one matters.
    """
    with anyio.move_on_after(_CLEANUP_S, shield=True):
        try:
            found = await _read(client, rsc, name)
            if found is not None and found.failed:
                logger.warning("removing the failed snapshot %r of %r", name, rsc)
                await client.delete_snapshot(rsc, name)
        except Exception as exc:
            logger.error("could not remove the failed snapshot %r of %r: %s", name, rsc, exc)


async def list_snapshots(client: Client, rsc: str) -> list[Snapshot]:
    """The snapshots of ``rsc`` (none when the resource does not exist)."""
    try:
        found = await client.list_snapshots(rsc)
    except NotFoundError:
        return []
    return [
        Snapshot(rsc, info.name, client=client, info=info)
        for info in sorted(found, key=lambda i: i.name.upper())
    ]


async def snapshot_many(
    resources: Sequence[Resource | str],
    name: str,
    *,
    client: Client | None = None,
    wait: bool = True,
    timeout: float | None = None,  # noqa: ASYNC109 - the SDK's documented deadline
) -> list[Snapshot]:
    """One consistent snapshot ``name`` of several resources (IO suspended on all at once).

    Get-or-create: resources that already have the snapshot are left as they are, the others
    are snapshotted together in one ``/v1/actions/snapshot/multi`` call. Returns one Snapshot
    per resource, in the given order, once all are SUCCESSFUL (unless ``wait=False``). When
    one fails or its wait times out, the snapshots this call created are deleted again (the
    rest is no consistent set) before the error is raised.
    """
    name = check_snapshot_name(name)
    if isinstance(resources, str) or not resources:
        raise InputError(f"resources must be a non-empty list of resources, got {resources!r}")
    names = [r if isinstance(r, str) else r.name for r in resources]
    names = [check_resource_name(n) for n in names]
    if len({n.upper() for n in names}) != len(names):
        raise InputError(f"resources must not repeat a resource, got {names!r}")
    if client is None:
        given = [r.client for r in resources if not isinstance(r, str) and r.client is not None]
        client = given[0] if given else None
    client = resolve_client(client)
    deadline, budget = start_budget(client, timeout)
    missing = [n for n in names if await _read(client, n, name) is None]
    if missing:
        logger.info("taking snapshot %r of %s together", name, ", ".join(missing))

        async def all_there() -> bool:
            return all([await _exists(client, n, name) for n in missing])

        try:
            await recover_write(
                lambda: client.create_multi_snapshot([(n, name) for n in missing]),
                all_there,
                f"snapshot {name!r} of {', '.join(missing)}",
            )
        except AlreadyExistsError:
            raise  # taken by someone else meanwhile: nothing of it is this call's
        except ApiCallError:
            await _remove_made(client, missing, name)
            raise
    out = []
    try:
        for rsc in names:
            if wait:
                found: SnapshotInfo | None = await _await_successful(
                    client, rsc, name, deadline, budget
                )
            else:
                found = await _read(client, rsc, name)
            out.append(Snapshot(rsc, name, client=client, info=found))
    except Exception:
        # One resource failed or timed out: the others are no consistent set without it.
        await _remove_made(client, missing, name)
        raise
    return out


async def _remove_made(client: Client, made: Sequence[str], name: str) -> None:
    """Delete snapshot ``name`` of each resource in ``made`` (the ones this call created).

    Shielded from cancellation and bounded; errors are only logged, the original one matters.
    """
    with anyio.move_on_after(_CLEANUP_S, shield=True):
        for rsc in made:
            try:
                if await _read(client, rsc, name) is not None:
                    logger.warning("removing snapshot %r of %r made by this call", name, rsc)
                    await client.delete_snapshot(rsc, name)
            except Exception as exc:
                logger.error("could not remove the snapshot %r of %r: %s", name, rsc, exc)


__all__ = ["Snapshot", "list_snapshots", "snapshot_many", "take_snapshot"]
