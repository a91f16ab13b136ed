"""Restoring a snapshot into a new resource, and rolling a resource back to its snapshot.

Both read fresh state first and wait (``wait=True``) until every replica is UpToDate and
connected, under one deadline. A write whose answer is lost is recovered by reading state
(:func:`~aiolinstor._waits.recover_write`); a restore that fails half-way or is cancelled
removes what it made, and its error names the step that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import anyio

from aiolinstor import _apicallrc as rc
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    InputError,
    InUseError,
    TransportError,
)
from aiolinstor._lifecycle_support import failed_step, refused, wait_resource
from aiolinstor._names import check_snapshot_name
from aiolinstor._volume import read_definition, remove_half_made
from aiolinstor._waits import recover_write, replicas_ready

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceInfo
    from aiolinstor._resource import Resource

logger = logging.getLogger("aiolinstor")


async def restore(
    client: Client,
    rsc: str,
    name: str,
    to: str,
    nodes: Sequence[str] | None,
    *,
    storage_pool_rename: Mapping[str, str] | None,
    wait: bool,
    deadline: float,
    budget: float,
) -> Resource:
    """Restore snapshot ``name`` of ``rsc`` into the new resource ``to`` (see Snapshot.restore)."""
    from aiolinstor._resource import Resource

    what = f"restore of snapshot {name!r} of {rsc!r} into {to!r}"
    info = await client.get_snapshot(rsc, name)
    if not info.successful:
        raise InputError(
            f"cannot restore snapshot {name!r} of resource {rsc!r}: it is not successful "
            f"(flags: {', '.join(info.flags) or 'none, still being taken'})"
        )
    target = await read_definition(client, to)
    if target is not None:
        if not await _restored_from(client, to, rsc, name):
            raise refused(
                AlreadyExistsError,
                rc.FAIL_EXISTS_RSC_DFN,
                f"cannot restore snapshot {name!r} of {rsc!r} into {to!r}: a resource "
                f"{to!r} exists and was not restored from it",
                "POST",
                f"/v1/resource-definitions/{rsc}/snapshot-restore-resource/{name}",
            )
        logger.info("%s: done before, waiting for it", what)
    else:
        source = await read_definition(client, rsc)
        group = source.resource_group_name if source is not None else None
        await _restore_steps(client, rsc, name, to, nodes, storage_pool_rename, group, what)
    restored = Resource(to, client=client)
    if wait:
        expected = len(nodes) if nodes else len(info.nodes)
        condition = replicas_ready(min_diskful=expected)
        await wait_resource(client, to, condition, "restore", deadline, budget)
    await restored.refresh()
    return restored


#: Longest time spent removing the definition of a restore that failed or was cancelled.
_CLEANUP_S = 30.0

STEP_DEFINITION = "create resource definition"
STEP_VOLUMES = "restore volume definitions"
STEP_RESOURCES = "restore resources"


async def _restore_steps(
    client: Client,
    rsc: str,
    name: str,
    to: str,
    nodes: Sequence[str] | None,
    rename: Mapping[str, str] | None,
    group: str | None,
    what: str,
) -> None:
    """The three writes of a restore, each recovered from a lost answer by reading state.

    When a step finally fails (ApiCallError or TransportError) or the call is cancelled, the
    definition ``to`` is removed again (shielded), so that a retry starts from scratch; the
    error names the step. A definition that the first step found made by someone else (the
    controller refused it as existing) is left alone.
    """
    logger.info("%s", what)
    step = STEP_DEFINITION
    try:
        await recover_write(
            lambda: client.create_resource_definition(to, resource_group=group),
            lambda: _defined(client, to),
            f"{what}: {step}",
        )
        step = STEP_VOLUMES
        await recover_write(
            lambda: client.restore_volume_definitions(rsc, name, to),
            lambda: _has_volumes(client, to),
            f"{what}: {step}",
        )
        step = STEP_RESOURCES
        await recover_write(
            lambda: client.restore_resources(rsc, name, to, nodes=nodes, stor_pool_rename=rename),
            lambda: _restored_from(client, to, rsc, name),
            f"{what}: {step}",
        )
    except AlreadyExistsError as exc:
        if step != STEP_DEFINITION:
            await _remove_target(client, to)
        raise failed_step(exc, what, step) from None
    except (ApiCallError, TransportError) as exc:
        await _remove_target(client, to)
        raise failed_step(exc, what, step) from None
    except BaseException:
        await _remove_target(client, to)
        raise


async def _defined(client: Client, to: str) -> bool:
    return await read_definition(client, to) is not None


async def _has_volumes(client: Client, to: str) -> bool:
    found = await read_definition(client, to)
    return found is not None and bool(found.volume_definitions)


async def _remove_target(client: Client, to: str) -> None:
    """Delete the half-made definition ``to`` if it exists (shielded, bounded, errors logged:
    the original error matters more)."""
    with anyio.move_on_after(_CLEANUP_S, shield=True):
        try:
            if await read_definition(client, to) is None:
                return
        except Exception as exc:
            logger.error("could not read resource definition %r to remove it: %s", to, exc)
        await remove_half_made(client, to)


async def _restored_from(client: Client, to: str, rsc: str, name: str) -> bool:
    """True when ``to`` has replicas restored from snapshot ``name`` of ``rsc``."""
    for info in await client.view_resources(resources=[to]):
        for volume in info.volumes:
            source = volume.props.get("RestoreFromResource", "")
            snap = volume.props.get("RestoreFromSnapshot", "")
            if source.upper() == rsc.upper() and snap.upper() == name.upper():
                return True
    return False


async def rollback(
    client: Client,
    rsc: str,
    name: str,
    *,
    wait: bool,
    deadline: float,
    budget: float,
) -> Resource:
    """Roll ``rsc`` back to its snapshot ``name`` and wait until every replica is UpToDate.

    Refused (InUseError, before any write) while the resource is in use on any node, as read
    fresh; the controller refuses the same way if it gets into use meanwhile. Only the most
    recent snapshot can be rolled back to (the controller's rule). A lost answer is recovered
    by reading the replicas: one that was UpToDate before and is not now shows the rollback
    took effect.
    """
    from aiolinstor._resource import Resource

    name = check_snapshot_name(name)
    path = f"/v1/resource-definitions/{rsc}/snapshot-rollback/{name}"
    before = [r for r in await client.view_resources(resources=[rsc]) if _same(r.name, rsc)]
    busy = sorted(r.node_name for r in before if r.in_use)
    if busy:
        raise refused(
            InUseError,
            rc.FAIL_IN_USE,
            f"cannot roll back resource {rsc!r} to snapshot {name!r}: it is in use on "
            f"{', '.join(busy)}; stop using it there first",
            "POST",
            path,
        )
    up_to_date = {r.node_name.upper() for r in before if _up_to_date(r)}
    logger.info("rolling %r back to snapshot %r", rsc, name)

    async def rolling_back() -> bool:
        """The rollback took effect: a replica UpToDate before is taken down or catching up."""
        now = [r for r in await client.view_resources(resources=[rsc]) if _same(r.name, rsc)]
        return any(r.node_name.upper() in up_to_date and not _up_to_date(r) for r in now)

    # Without a sign of it (it may have finished already), the rollback is sent once more:
    # rolling an unused resource back to the same snapshot twice gives the same data.
    await recover_write(
        lambda: client.rollback_snapshot(rsc, name),
        rolling_back,
        f"rollback of {rsc!r} to snapshot {name!r}",
    )
    resource = Resource(rsc, client=client)
    if wait:
        await wait_resource(client, rsc, replicas_ready(), "rollback", deadline, budget)
    await resource.refresh()
    return resource


def _same(a: str, b: str) -> bool:
    return a.upper() == b.upper()


def _up_to_date(info: ResourceInfo) -> bool:
    """A diskful replica, reported, every volume UpToDate and every connection up."""
    if info.diskless or not info.state_known or not info.volumes:
        return False
    if any(v.disk_state != "UpToDate" for v in info.volumes):
        return False
    return all(conn.connected for conn in info.connections.values())
