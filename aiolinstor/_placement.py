"""Where replicas go: the :class:`Placement` declaration and the pre-flight feasibility check.

A Placement is a local declaration (no I/O); every field is validated when it is set. It renders
to LINSTOR's ``AutoSelectFilter`` for resource groups (:meth:`Placement.to_select_filter`) and
to the autoplace request body, where ``diskless_on_remaining`` and ``layer_list`` must sit at the
top level because the controller overwrites the filter's copies with them (NOTES §3.4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from aiolinstor import _apicallrc as rc
from aiolinstor._errors import InputError, NotEnoughNodesError
from aiolinstor._models import NodeInfo, ResourceInfo, StoragePoolInfo
from aiolinstor._names import check_node_name, check_resource_name, check_storage_pool_name
from aiolinstor._shared_reads import shared_reads

if TYPE_CHECKING:
    from aiolinstor._client import Client

#: Layer kinds LINSTOR knows (``layer_list`` / ``layer_stack``).
LAYER_KINDS = frozenset(
    {"DRBD", "STORAGE", "LUKS", "NVME", "WRITECACHE", "CACHE", "BCACHE", "OPENFLEX"}
)
_PROVIDER_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
# A node property key, optionally with a fixed value: "Aux/site" or "Aux/site=a".
_PROP_KEY_RE = re.compile(r"^[^\s=]+(=[^\s]*)?$")


def _text_list(what: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise InputError(f"{what} must be a string or a list of strings, got {value!r}")


def _pools(what: str, value: object) -> list[str] | None:
    if value is None:
        return None
    pools = [check_storage_pool_name(pool) for pool in _text_list(what, value)]
    return pools or None


def _layers(value: object) -> list[str] | None:
    if value is None:
        return None
    layers = [layer.upper() for layer in _text_list("layer_list", value)]
    unknown = [layer for layer in layers if layer not in LAYER_KINDS]
    if unknown:
        raise InputError(
            f"unknown layer {unknown[0]!r} in layer_list {value!r}; "
            f"known layers: {', '.join(sorted(LAYER_KINDS))}"
        )
    return layers or None


def _providers(value: object) -> list[str] | None:
    if value is None:
        return None
    kinds = [kind.upper() for kind in _text_list("provider_list", value)]
    for kind in kinds:
        if not _PROVIDER_RE.match(kind):
            raise InputError(f"invalid provider kind {kind!r} in provider_list {value!r}")
    return kinds or None


def _prop_keys(what: str, value: object) -> list[str]:
    if value is None:
        return []
    keys = _text_list(what, value)
    for key in keys:
        if not _PROP_KEY_RE.match(key):
            raise InputError(
                f"invalid node property {key!r} in {what}: expected 'Aux/key' or 'Aux/key=value'"
            )
    return keys


def _redundancy(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"redundancy must be an int >= 1, got {value!r}")
    return value


def _optional_bool(what: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InputError(f"{what} must be True, False or None, got {value!r}")


def _regex(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"do_not_place_with_regex must be a string, got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise InputError(f"invalid do_not_place_with_regex {value!r}: {exc}") from None
    return value


_VALIDATORS: dict[str, Any] = {
    "redundancy": _redundancy,
    "storage_pool": lambda v: _pools("storage_pool", v),
    "diskless_storage_pool": lambda v: _pools("diskless_storage_pool", v),
    "diskless_on_remaining": lambda v: _optional_bool("diskless_on_remaining", v),
    "replicas_on_same": lambda v: _prop_keys("replicas_on_same", v),
    "replicas_on_different": lambda v: _prop_keys("replicas_on_different", v),
    "do_not_place_with": lambda v: [
        check_resource_name(n) for n in _text_list("do_not_place_with", v or [])
    ],
    "do_not_place_with_regex": _regex,
    "layer_list": _layers,
    "provider_list": _providers,
    "node_names": lambda v: (
        None if v is None else [check_node_name(n) for n in _text_list("node_names", v)] or None
    ),
}


@dataclass
class Placement:
    """How many replicas to place and where; ``None`` / empty leaves it to the resource group.

    Lists may be given as a single string. Values are normalised and checked on assignment,
    so a bad one raises InputError (or InvalidNameError) right where it is set.
    """

    redundancy: int | None = None
    storage_pool: list[str] | None = None
    diskless_storage_pool: list[str] | None = None
    diskless_on_remaining: bool | None = None
    replicas_on_same: list[str] = field(default_factory=list)
    replicas_on_different: list[str] = field(default_factory=list)
    do_not_place_with: list[str] = field(default_factory=list)
    do_not_place_with_regex: str | None = None
    layer_list: list[str] | None = None
    provider_list: list[str] | None = None
    node_names: list[str] | None = None

    def __setattr__(self, name: str, value: object) -> None:
        validator = _VALIDATORS.get(name)
        if validator is None:
            known = ", ".join(f.name for f in fields(self))
            raise AttributeError(f"Placement has no setting {name!r} (settings: {known})")
        super().__setattr__(name, validator(value))

    def to_select_filter(self) -> dict[str, Any]:
        """The ``AutoSelectFilter`` JSON (for resource groups); unset fields are left out."""
        out = self._filter()
        if self.diskless_on_remaining is not None:
            out["diskless_on_remaining"] = self.diskless_on_remaining
        if self.layer_list:
            out["layer_stack"] = list(self.layer_list)
        return out

    def autoplace_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``LinstorApi.autoplace``: the filter plus the top-level fields."""
        return {
            "select_filter": self._filter(),
            "diskless_on_remaining": self.diskless_on_remaining,
            "layer_list": list(self.layer_list) if self.layer_list else None,
        }

    def _filter(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.redundancy is not None:
            out["place_count"] = self.redundancy
        if self.node_names:
            out["node_name_list"] = list(self.node_names)
        if self.storage_pool:
            out["storage_pool_list"] = list(self.storage_pool)
        if self.diskless_storage_pool:
            out["storage_pool_diskless_list"] = list(self.diskless_storage_pool)
        if self.do_not_place_with:
            out["not_place_with_rsc"] = list(self.do_not_place_with)
        if self.do_not_place_with_regex:
            out["not_place_with_rsc_regex"] = self.do_not_place_with_regex
        if self.replicas_on_same:
            out["replicas_on_same"] = list(self.replicas_on_same)
        if self.replicas_on_different:
            out["replicas_on_different"] = list(self.replicas_on_different)
        if self.provider_list:
            out["provider_list"] = list(self.provider_list)
        return out


class PlacementImpossibleError(NotEnoughNodesError, InputError):
    """The placement cannot succeed, as known before any write from the node and pool lists.

    A NotEnoughNodesError like the controller's FAIL_NOT_ENOUGH_NODES, raised without asking it.
    """

    def __init__(self, resource: str, message: str) -> None:
        entry = rc.ApiCallRc(
            ret_code=rc.make_ret_code(rc.FAIL_NOT_ENOUGH_NODES, rc.MASK_CRT, rc.MASK_RSC),
            message=message,
        )
        path = f"/v1/resource-definitions/{resource}/autoplace"
        super().__init__(rc.ApiCallRcList([entry]), 0, "POST", path)
        self.args = (message,)


def _same(a: str, b: str) -> bool:
    return a.upper() == b.upper()


def usable_nodes(
    placement: Placement,
    nodes: Sequence[NodeInfo],
    pools: Sequence[StoragePoolInfo],
    size_kib: int,
) -> list[str]:
    """Nodes that could take a new diskful replica under ``placement`` (an upper bound).

    A node counts when it is online, not being deleted or evacuated, in ``node_names`` if
    given, and has a diskful pool allowed by ``storage_pool`` / ``provider_list`` whose free
    space (when known) fits ``size_kib`` (thin pools are over-provisioned, so only fat pools
    are checked). Constraints the controller decides (same/different, not-with) are ignored.
    """
    wanted = {n.upper() for n in placement.node_names} if placement.node_names else None
    eligible: dict[str, NodeInfo] = {}
    for node in nodes:
        blocked = {flag.upper() for flag in node.flags} & {"DELETE", "EVACUATE", "EVICTED"}
        if not node.online or blocked:
            continue
        if wanted is not None and node.name.upper() not in wanted:
            continue
        eligible[node.name.upper()] = node
    result: dict[str, str] = {}
    for pool in pools:
        owner = eligible.get(pool.node_name.upper())
        if owner is None or pool.diskless:
            continue
        if placement.storage_pool and not any(_same(pool.name, p) for p in placement.storage_pool):
            continue
        if placement.provider_list and pool.provider_kind.upper() not in placement.provider_list:
            continue
        if (
            not pool.thin
            and pool.free_capacity_kib is not None
            and pool.free_capacity_kib < size_kib
        ):
            continue
        result[owner.name.upper()] = owner.name
    return sorted(result.values(), key=str.upper)


def check_feasible(
    resource: str,
    placement: Placement,
    nodes: Sequence[NodeInfo],
    pools: Sequence[StoragePoolInfo],
    existing: Iterable[ResourceInfo],
    size_kib: int,
) -> None:
    """Raise PlacementImpossibleError when ``placement.redundancy`` surely cannot be met.

    Also rejects ``node_names`` that name no node of the cluster.
    """
    known = {node.name.upper() for node in nodes}
    for name in placement.node_names or ():
        if name.upper() not in known:
            raise InputError(
                f"unknown node {name!r} in placement.node_names; cluster nodes: "
                f"{', '.join(sorted(node.name for node in nodes)) or 'none'}"
            )
    if placement.redundancy is None:
        return
    diskful = {
        info.node_name.upper() for info in existing if not info.diskless and not info.deleting
    }
    candidates = [
        n for n in usable_nodes(placement, nodes, pools, size_kib) if n.upper() not in diskful
    ]
    reachable = len(diskful) + len(candidates)
    if placement.redundancy > reachable:
        online = sum(1 for node in nodes if node.online)
        raise PlacementImpossibleError(
            resource,
            f"cannot place resource {resource!r} with redundancy {placement.redundancy}: only "
            f"{reachable} node(s) can hold a replica ({len(diskful)} already do; usable: "
            f"{', '.join(candidates) or 'none'}; {online} of {len(nodes)} nodes online)",
        )


async def preflight(
    client: Client, resource: str, placement: Placement, size_kib: int, exists: bool
) -> None:
    """Read nodes, pools and (when the definition ``exists``) its replicas, then
    :func:`check_feasible`. Skipped when neither redundancy nor node names are set."""
    if placement.redundancy is None and not placement.node_names:
        return
    reads = shared_reads(client)
    nodes = await reads.nodes.read()
    pools = await reads.storage_pools.read()
    existing = await reads.replicas.read([resource]) if exists else []
    check_feasible(resource, placement, nodes, pools, existing, size_kib)
