"""Restoring a snapshot into a new resource, and rolling a resource back to its snapshot.

Both read fresh state first and wait (``wait=True``) until every replica is UpToDate and
connected, under one deadline. A restore that fails half-way removes what it made.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aiolinstor import _apicallrc as rc
from aiolinstor._errors import AlreadyExistsError, ApiCallError, InputError, InUseError
from aiolinstor._lifecycle_support import failed_step, in_use_on, refused, wait_resource
from aiolinstor._names import check_snapshot_name
from aiolinstor._volume import read_definition, remove_half_made
from aiolinstor._waits import replicas_ready

if TYPE_CHECKING:
    from aiolinstor._client import Client
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
    logger.info("%s", what)
    step = "create resource definition"
    try:
        await client.create_resource_definition(to, resource_group=group)
    except ApiCallError as exc:
        raise failed_step(exc, what, step) from None
    try:
        step = "restore volume definitions"
        await client.restore_volume_definitions(rsc, name, to)
        step = "restore resources"
        await client.restore_resources(rsc, name, to, nodes=nodes, stor_pool_rename=rename)
    except ApiCallError as exc:
        await remove_half_made(client, to)
        raise failed_step(exc, what, step) from None
    except BaseException:
        await remove_half_made(client, to)
        raise


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
    recent snapshot can be rolled back to (the controller's rule).
    """
    from aiolinstor._resource import Resource

    name = check_snapshot_name(name)
    path = f"/v1/resource-definitions/{rsc}/snapshot-rollback/{name}"
    busy = await in_use_on(client, rsc)
    if busy:
        raise refused(
            InUseError,
            rc.FAIL_IN_USE,
            f"cannot roll back resource {rsc!r} to snapshot {name!r}: it is in use on "
            f"{', '.join(busy)}; stop using it there first",
            "POST",
            path,
        )
    logger.info("rolling %r back to snapshot %r", rsc, name)
    await client.rollback_snapshot(rsc, name)
    resource = Resource(rsc, client=client)
    if wait:
        await wait_resource(client, rsc, replicas_ready(), "rollback", deadline, budget)
    await resource.refresh()
    return resource
