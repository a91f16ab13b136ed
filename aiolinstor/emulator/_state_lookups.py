"""Lookups and checks shared by the operations, answering like the controller when they fail."""

from __future__ import annotations

from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor._errors import InvalidNameError
from aiolinstor.emulator._autoplacer import PoolInfo, fits
from aiolinstor.emulator._model import (
    Node,
    Resource,
    ResourceDefinition,
    ResourceGroup,
    StoragePool,
    VolumeDefinition,
)
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._spec import DEFAULT_LAYERS, DEFAULT_POOL_NAME, DISKLESS_POOL_NAME
from aiolinstor.emulator._state_controls import Controls

KNOWN_LAYERS = (*DEFAULT_LAYERS, "OPENFLEX")


def name_problem(check: Any, name: object) -> str | None:
    """The reason ``check`` (one of ``_names.check_*``) rejects ``name``, or None."""
    try:
        check(name)
    except InvalidNameError as exc:
        return str(exc)
    return None


def is_last_disk(resource: Resource) -> bool:
    """The only disk of its resource definition while diskless clients still use it."""
    if resource.diskless or resource.deleting:
        return False
    live = resource.rd.live_resources()
    return any(r.diskless for r in live) and sum(1 for r in live if not r.diskless) == 1


LAST_DISK_MESSAGE = "Last resource of '{rsc}' with disk still has diskless resources attached."
LAST_DISK_CAUSE = "Resource still has diskless users."
LAST_DISK_CORRECTION = (
    "Before deleting this resource, delete the diskless resources attached to it."
)


def pool_info(pool: StoragePool) -> PoolInfo:
    """The autoplacer's view of a diskful pool."""
    return PoolInfo(
        node_name=pool.node.name,
        pool_name=pool.name,
        provider_kind=pool.provider_kind,
        free_kib=pool.free_kib or 0,
        total_kib=pool.total_kib or 0,
        reserved_kib=pool.reserved_kib,
        resource_count=pool.resource_count,
        node_props=pool.node.props,
        pool_props=pool.props,
        shared_space=pool.shared_space,
    )


class Lookups(Controls):
    """Find objects or fail with the controller's not-found answers; shared checks."""

    def node_or_fail(self, name: str, answer: Answer) -> Node:
        node = self.nodes.get(name.upper())
        if node is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_NODE,
                f"Node '{name}' not found.",
                cause=f"The specified node '{name}' could not be found in the database",
                correction=f"Create a node with the name '{name}' first.",
            )
        return node

    def pool_or_fail(self, node: Node, name: str, answer: Answer) -> StoragePool:
        pool = node.pools.get(name.upper())
        if pool is None:
            const = rc.FAIL_NOT_FOUND_STOR_POOL
            if name.upper() == DEFAULT_POOL_NAME.upper():
                const = rc.FAIL_NOT_FOUND_DFLT_STOR_POOL
            answer.fail(
                const,
                f"Storage pool '{name}' on node '{node.name}' not found.",
                cause=f"The specified storage pool '{name}' on node '{node.name}' could not be "
                "found in the database",
                correction=f"Create a storage pool '{name}' on node '{node.name}' first.",
            )
        return pool

    def rd_or_fail(self, name: str, answer: Answer) -> ResourceDefinition:
        rd = self.resource_definitions.get(name.upper())
        if rd is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_RSC_DFN,
                f"Resource definition '{name}' not found.",
                cause=(
                    f"The specified resource definition '{name}' could not be found in the database"
                ),
                correction=f"Create a resource definition with the name '{name}' first.",
            )
        return rd

    def rg_or_fail(self, name: str, answer: Answer) -> ResourceGroup:
        group = self.resource_groups.get(name.upper())
        if group is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_RSC_GRP,
                f"Resource group '{name}' not found.",
                cause=f"The specified resource group '{name}' could not be found in the database",
                correction=f"Create a resource group with the name '{name}' first.",
            )
        return group

    def resource_or_fail(self, rd: ResourceDefinition, node_name: str, answer: Answer) -> Resource:
        resource = rd.resources.get(node_name.upper())
        if resource is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_RSC,
                f"Resource '{rd.name}' on '{node_name}' not found.",
                cause=f"The specified resource '{rd.name}' on node '{node_name}' could not be "
                "found in the database",
            )
        return resource

    def vd_or_fail(self, rd: ResourceDefinition, number: int, answer: Answer) -> VolumeDefinition:
        vd = rd.volume_definitions.get(number)
        if vd is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_VLM_DFN,
                f"Volume definition with number '{number}' on resource definition '{rd.name}' "
                "not found.",
                cause="The specified volume definition could not be found in the database",
            )
        return vd

    def check_resource_name(self, name: str, answer: Answer) -> None:
        problem = name_problem(_names.check_resource_name, name)
        if problem:
            answer.fail(
                rc.FAIL_INVLD_RSC_NAME,
                f"The specified resource name '{name}' is invalid.",
                cause=problem,
                details=f"Resource definition: {name}",
            )

    def check_layers(
        self, layers: list[str], answer: Answer, node: Node | None = None
    ) -> list[str]:
        """Upper-cased layer stack; unknown kinds and unsupported layers fail."""
        stack = [str(layer).upper() for layer in layers]
        for layer in stack:
            if layer not in KNOWN_LAYERS:
                answer.fail(
                    rc.FAIL_INVLD_LAYER_KIND, f"The specified layer kind '{layer}' is invalid."
                )
        if stack and stack[-1] != "STORAGE":
            stack.append("STORAGE")
        if node is not None:
            missing = [layer for layer in stack if layer != "STORAGE" and layer not in node.layers]
            if missing:
                answer.fail(
                    rc.FAIL_STLT_DOES_NOT_SUPPORT_LAYER,
                    f"Satellite '{node.name}' does not support the following layers: {missing}",
                )
        return stack

    def storage_pool_prop(
        self, rd: ResourceDefinition, node: Node, props: dict[str, str]
    ) -> str | None:
        """``StorPoolName`` by priority: resource, volume definitions, RD, RG, node."""
        candidates = [props, *(vd.props for _, vd in sorted(rd.volume_definitions.items()))]
        candidates += [rd.props, rd.group.props, node.props]
        for source in candidates:
            value = source.get("StorPoolName")
            if value:
                return value
        return None

    def resolve_pool(
        self,
        rd: ResourceDefinition,
        node: Node,
        wanted: str | None,
        *,
        diskless: bool,
        answer: Answer,
    ) -> StoragePool:
        """The pool a new (or toggled) volume goes to, like the controller picks it."""
        if diskless:
            pool = self.pool_or_fail(node, wanted or DISKLESS_POOL_NAME, answer)
            if not pool.diskless:
                answer.fail(
                    rc.FAIL_INVLD_STOR_POOL_NAME,
                    f"Storage pool '{pool.name}' on node '{node.name}' is not a diskless pool.",
                )
            return pool
        name = wanted
        if not name:
            peer_pools = [
                v.pool.name
                for r in rd.live_resources()
                if r.diskful
                for v in r.volumes.values()
                if not v.pool.diskless and v.pool.key in node.pools
            ]
            name = peer_pools[0] if peer_pools else DEFAULT_POOL_NAME
        pool = self.pool_or_fail(node, name, answer)
        if pool.diskless:
            answer.fail(
                rc.FAIL_STOR_POOL_CONFIGURATION_ERROR,
                f"Storage pool '{pool.name}' on node '{node.name}' is diskless and cannot hold "
                "a disk.",
            )
        return pool

    def require_space(
        self, pool: StoragePool, size_kib: int, rd: ResourceDefinition, answer: Answer
    ) -> None:
        """FAIL_NOT_ENOUGH_FREE_SPACE unless the pool can take ``size_kib`` more."""
        if pool.diskless or size_kib <= 0:
            return
        if not fits(pool_info(pool), size_kib, self.controller_props):
            numbers = ", ".join(str(n) for n in sorted(rd.volume_definitions)) or "0"
            answer.fail(
                rc.FAIL_NOT_ENOUGH_FREE_SPACE,
                f"Not enough free space available for volume {numbers} of resource '{rd.name}'.",
                details=f"Resource: {rd.name}, storage pool '{pool.name}' on node "
                f"'{pool.node.name}' has {pool.free_kib} KiB free",
            )

    def next_node_id(self, rd: ResourceDefinition, wanted: int | None, answer: Answer) -> int:
        used = {r.node_id for r in rd.resources.values()}
        if wanted is not None:
            if wanted in used or not 0 <= wanted <= 31:
                answer.fail(
                    rc.FAIL_INVLD_NODE_ID,
                    f"The specified DRBD node id {wanted} is invalid or in use.",
                )
            return wanted
        for node_id in range(32):
            if node_id not in used:
                return node_id
        answer.fail(
            rc.FAIL_POOL_EXHAUSTED_NODE_ID, f"No free DRBD node id left for resource '{rd.name}'."
        )

    def take_port(self, node: Node, wanted: int | None, answer: Answer) -> int:
        port = node.ports.take(wanted)
        if port is None:
            if wanted is not None:
                answer.fail(
                    rc.FAIL_INVLD_RSC_PORT, f"The specified TCP port {wanted} is invalid or in use."
                )
            answer.fail(
                rc.FAIL_POOL_EXHAUSTED_TCP_PORT, f"No free TCP port left on node '{node.name}'."
            )
        return port
