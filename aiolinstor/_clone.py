"""Cloning a resource into a new one, and DRBD Proxy between two of its replicas.

A clone copies every volume of a resource into a new resource definition on the same nodes.
The controller reports the copy as CLONING, then COMPLETE (or FAILED); :func:`clone` waits for
COMPLETE and then for the clone's replicas to converge, or raises with the controller's reason.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiolinstor import _apicallrc as rc
from aiolinstor._api import CloneStatus
from aiolinstor._errors import AlreadyExistsError, ConvergenceFailed, NodeLag, NotFoundError
from aiolinstor._lifecycle_support import refused, start_budget, time_left, wait_resource
from aiolinstor._names import check_node_name, check_resource_group_name, check_resource_name
from aiolinstor._volume import read_definition
from aiolinstor._waits import (
    DONE,
    Done,
    Failed,
    NotYet,
    Verdict,
    node_lag,
    poll_until,
    recover_write,
    replicas_ready,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiolinstor._client import Client
    from aiolinstor._models import ResourceInfo
    from aiolinstor._resource import Resource
    from aiolinstor._waits import Condition

logger = logging.getLogger("aiolinstor")

DRBD_PROXY_FLAG = "DRBD_PROXY"


def _clone_progress(status: CloneStatus | None) -> Verdict:
    if status in ("COMPLETE", "FAILED"):
        return DONE
    return NotYet((NodeLag(node="cluster", reason=f"clone {str(status).lower()}: copying data"),))


async def _status(client: Client, source: str, target: str) -> CloneStatus | None:
    try:
        return await client.clone_status(source, target)
    except NotFoundError:
        return None


async def clone(
    client: Client,
    source: str,
    target: str,
    *,
    resource_group: str | None = None,
    wait: bool = True,
    timeout: float | None = None,
) -> Resource:
    """Clone ``source`` into the new resource ``target`` and wait until it is usable.

    Get-or-create: a ``target`` that is already a clone of ``source`` is waited for, any
    other existing ``target`` is refused (AlreadyExistsError). A clone the controller reports
    FAILED raises ConvergenceFailed with the satellites' reasons (the failed clone is kept for
    inspection; delete it to try again).
    """
    from aiolinstor._resource import Resource

    source = check_resource_name(source)
    target = check_resource_name(target)
    group = check_resource_group_name(resource_group) if resource_group is not None else None
    deadline, budget = start_budget(client, timeout)
    if await read_definition(client, target) is None:
        logger.info("cloning %r into %r", source, target)

        async def started() -> bool:
            return await read_definition(client, target) is not None

        try:
            await recover_write(
                lambda: client.clone_resource_definition(source, target, resource_group=group),
                started,
                f"clone of {source!r} into {target!r}",
            )
        except AlreadyExistsError:
            if await _status(client, source, target) is None:
                raise
    elif await _status(client, source, target) is None:
        raise refused(
            AlreadyExistsError,
            rc.FAIL_EXISTS_RSC_DFN,
            f"cannot clone {source!r} into {target!r}: a resource {target!r} exists and is not "
            f"a clone of {source!r}",
            "POST",
            f"/v1/resource-definitions/{source}/clone",
        )
    copy = Resource(target, client=client)
    if not wait:
        await copy.refresh()
        return copy
    status = await poll_until(
        client,
        lambda: _status(client, source, target),
        _clone_progress,
        within=time_left(deadline),
        resource=target,
        operation="clone",
        reported_timeout=budget,
    )
    if status == "FAILED":
        raise await _clone_failure(client, source, target)
    await wait_resource(client, target, replicas_ready(min_diskful=1), "clone", deadline, budget)
    await copy.refresh()
    return copy


async def _clone_failure(client: Client, source: str, target: str) -> ConvergenceFailed:
    """The controller's reasons for a FAILED clone, from the clone's replicas."""
    found = await client.view_resources(resources=[target])
    replicas = [r for r in found if r.name.upper() == target.upper()]
    verdict = replicas_ready()(replicas)
    lags = verdict.laggards if isinstance(verdict, (Failed, NotYet)) else ()
    return ConvergenceFailed(
        target,
        "clone",
        list(lags),
        f"clone of {source!r} into {target!r} FAILED (kept for inspection; delete it to retry)",
    )


# --- DRBD Proxy --------------------------------------------------------------------------------
def _reconnected(node_a: str, node_b: str) -> Condition:
    """Every replica settled, and the two ends report their connection to each other up."""
    ready = replicas_ready()

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        verdict = ready(resources)
        if not isinstance(verdict, Done):
            return verdict
        ends = {r.node_name.upper(): r for r in resources if not r.deleting}
        pair = [ends.get(node_a.upper()), ends.get(node_b.upper())]
        if any(end is None for end in pair) or all(end.diskless for end in pair if end):
            return DONE
        lags = []
        for here, there in ((pair[0], node_b), (pair[1], node_a)):
            assert here is not None
            link = next(
                (c for p, c in here.connections.items() if p.upper() == there.upper()), None
            )
            if link is None or not link.connected:
                lags.append(node_lag(here, f"connection to {there} not re-established yet"))
        return NotYet(tuple(lags)) if lags else DONE

    return condition


async def set_drbd_proxy(
    client: Client,
    resource: str,
    node_a: str,
    node_b: str,
    *,
    enable: bool,
    wait: bool = True,
    port: int | None = None,
    timeout: float | None = None,
) -> None:
    """Enable or disable DRBD Proxy between the replicas on ``node_a`` and ``node_b``.

    Reads the resource connection first and only writes when its ``DRBD_PROXY`` flag differs;
    an answer lost on the way is recovered by reading the flag again, not by re-sending; then
    (``wait``) waits until every replica is UpToDate and the two ends are connected again.
    """
    resource = check_resource_name(resource)
    node_a, node_b = check_node_name(node_a), check_node_name(node_b)
    deadline, budget = start_budget(client, timeout)

    async def proxied() -> bool:
        found = await client.get_resource_connection(resource, node_a, node_b)
        return DRBD_PROXY_FLAG in {f.upper() for f in found.flags}

    async def switched() -> bool:
        return await proxied() == enable

    if not await switched():
        verb = "enabling" if enable else "disabling"
        logger.info("%s DRBD Proxy of %r between %s and %s", verb, resource, node_a, node_b)
        await recover_write(
            lambda: (
                client.enable_drbd_proxy(resource, node_a, node_b, port=port)
                if enable
                else client.disable_drbd_proxy(resource, node_a, node_b)
            ),
            switched,
            f"{verb} DRBD Proxy of {resource!r} between {node_a} and {node_b}",
        )
    if wait:
        operation = "drbd_proxy_enable" if enable else "drbd_proxy_disable"
        condition = _reconnected(node_a, node_b)
        await wait_resource(client, resource, condition, operation, deadline, budget)


__all__ = ["clone", "set_drbd_proxy"]
