"""The autoplacer: pick storage pools for new replicas like the controller's ``autoplacer``.

Pure functions over :class:`PoolInfo` snapshots, so they are unit-testable and fast. The caller
(the state) leaves out pools of offline, deleting or unsuitable nodes and the nodes already
holding the resource (``Request.excluded_nodes``); this module applies the pool filters
(names, providers, capacity with thin oversubscription), scores (most free space first, then
fewest resources, weights from ``Autoplacer/Weights/*``), sorts (ties by node then pool name)
and selects one pool per node honouring ``replicas_on_same`` / ``replicas_on_different``,
backtracking when those constraints make the greedy choice a dead end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from aiolinstor.emulator._spec import PROVIDER_KINDS

DEFAULT_WEIGHTS: dict[str, float] = {
    "MaxFreeSpace": 1.0,
    "MinReservedSpace": 0.0,
    "MinRscCount": 0.00001,
}
_MINIMIZE = {"MinReservedSpace", "MinRscCount"}
_SEARCH_BUDGET = 200_000
#: Thin pools must keep this much free space (KiB, or a percentage of the total) to be used.
DEFAULT_MIN_THIN_FREE = "10%"


@dataclass(frozen=True)
class PoolInfo:
    """What the autoplacer knows about one candidate pool (sizes in KiB)."""

    node_name: str
    pool_name: str
    provider_kind: str
    free_kib: int
    total_kib: int
    reserved_kib: int = 0
    resource_count: int = 0
    node_props: Mapping[str, str] = field(default_factory=dict)
    pool_props: Mapping[str, str] = field(default_factory=dict)
    shared_space: str | None = None

    @property
    def thin(self) -> bool:
        return PROVIDER_KINDS.get(self.provider_kind, False)


@dataclass
class Request:
    """One placement: how many replicas of what size, and the selection criteria."""

    count: int
    size_kib: int
    storage_pools: Sequence[str] = ()
    provider_list: Sequence[str] = ()
    node_names: Sequence[str] = ()
    excluded_nodes: Collection[str] = ()
    replicas_on_same: Sequence[str] = ()
    replicas_on_different: Sequence[str] = ()
    x_replicas_on_different: Mapping[str, int] = field(default_factory=dict)
    existing_node_props: Sequence[Mapping[str, str]] = ()
    existing_kinds: Collection[str] = ()
    allow_mixing: bool = False
    controller_props: Mapping[str, str] = field(default_factory=dict)


def _ratio(pool: PoolInfo, ctrl: Mapping[str, str], name: str) -> float:
    for props in (pool.pool_props, ctrl):
        for key in (name, "MaxOversubscriptionRatio"):
            if key in props:
                try:
                    return float(props[key])
                except ValueError:
                    continue
    return 20.0 if pool.thin else 1.0


def _min_thin_free_kib(pool: PoolInfo, ctrl: Mapping[str, str]) -> float:
    raw = pool.pool_props.get(
        "Autoplacer/MinThinFreeSpace", ctrl.get("Autoplacer/MinThinFreeSpace")
    )
    raw = (raw or DEFAULT_MIN_THIN_FREE).strip()
    try:
        if raw.endswith("%"):
            return pool.total_kib * float(raw[:-1]) / 100.0
        return float(raw)
    except ValueError:
        return 0.0


def estimated_capacity_kib(pool: PoolInfo, ctrl: Mapping[str, str] | None = None) -> float:
    """What the controller believes still fits: min(free x ratio, total x ratio - reserved)."""
    ctrl = ctrl or {}
    by_free = pool.free_kib * _ratio(pool, ctrl, "MaxFreeCapacityOversubscriptionRatio")
    by_total = pool.total_kib * _ratio(pool, ctrl, "MaxTotalCapacityOversubscriptionRatio")
    return min(by_free, by_total - pool.reserved_kib)


def fits(pool: PoolInfo, size_kib: int, ctrl: Mapping[str, str] | None = None) -> bool:
    """The pool can take a volume of ``size_kib`` (thin pools also keep MinThinFreeSpace)."""
    ctrl = ctrl or {}
    if estimated_capacity_kib(pool, ctrl) < size_kib:
        return False
    return not pool.thin or pool.free_kib >= _min_thin_free_kib(pool, ctrl)


def _upper(values: Sequence[str]) -> set[str]:
    return {v.upper() for v in values}


def candidate_pools(pools: Sequence[PoolInfo], request: Request) -> list[PoolInfo]:
    """Step 1: pools that pass the name, provider, target and capacity filters."""
    wanted_pools = _upper(request.storage_pools)
    wanted_nodes = _upper(request.node_names)
    excluded = _upper(list(request.excluded_nodes))
    kinds = _upper(request.provider_list)
    ctrl = request.controller_props
    out = []
    for pool in pools:
        node_key = pool.node_name.upper()
        if node_key in excluded or (wanted_nodes and node_key not in wanted_nodes):
            continue
        if wanted_pools and pool.pool_name.upper() not in wanted_pools:
            continue
        if kinds and pool.provider_kind.upper() not in kinds:
            continue
        if "false" in (
            pool.node_props.get("AutoplaceTarget"),
            pool.pool_props.get("AutoplaceTarget"),
        ):
            continue
        if not _same_and_different_allow_node(pool, request):
            continue
        if fits(pool, request.size_kib, ctrl):
            out.append(pool)
    return out


def _split(spec: str) -> tuple[str, str | None]:
    key, sep, value = spec.partition("=")
    return key, (value if sep else None)


def _same_and_different_allow_node(pool: PoolInfo, request: Request) -> bool:
    """Node-level part of replicas_on_same / replicas_on_different (against existing replicas)."""
    for spec in request.replicas_on_same:
        key, fixed = _split(spec)
        if key not in pool.node_props:
            return False
        used = {p.get(key) for p in request.existing_node_props}
        required = fixed if fixed is not None else (next(iter(used)) if len(used) == 1 else None)
        if required is not None and pool.node_props[key] != required:
            return False
    for spec in request.replicas_on_different:
        key, forbidden = _split(spec)
        value = pool.node_props.get(key)
        if value is None:
            continue
        if forbidden is not None and value == forbidden:
            return False
        limit = request.x_replicas_on_different.get(key, 1)
        if sum(1 for p in request.existing_node_props if p.get(key) == value) >= limit:
            return False
    return True


def score_pools(
    pools: Sequence[PoolInfo], weights: Mapping[str, float] | None = None
) -> list[tuple[float, PoolInfo]]:
    """Step 2: each pool's score (sum over strategies of normalized value x signed weight)."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    raw = {
        "MaxFreeSpace": [float(p.free_kib) for p in pools],
        "MinReservedSpace": [float(p.reserved_kib) for p in pools],
        "MinRscCount": [float(p.resource_count) for p in pools],
    }
    scores = [0.0] * len(pools)
    for name, values in raw.items():
        weight = weights.get(name, 0.0)
        if not weight:
            continue
        peak = max((v for v in values if v != 0), default=0.0)
        sign = -1.0 if name in _MINIMIZE else 1.0
        for i, value in enumerate(values):
            norm = value / peak if peak else value
            scores[i] += sign * weight * norm
    return list(zip(scores, pools, strict=True))


def weights_from_props(ctrl: Mapping[str, str]) -> dict[str, float]:
    """``Autoplacer/Weights/<strategy>`` controller properties, over the defaults."""
    weights = dict(DEFAULT_WEIGHTS)
    for name in DEFAULT_WEIGHTS:
        raw = ctrl.get(f"Autoplacer/Weights/{name}")
        if raw is not None:
            try:
                weights[name] = float(raw)
            except ValueError:
                continue
    return weights


class _Selection:
    """Depth-first selection over score-sorted pools with constraint bookkeeping."""

    def __init__(self, ordered: list[PoolInfo], request: Request) -> None:
        self.ordered = ordered
        self.request = request
        self.budget = _SEARCH_BUDGET
        self.chosen: list[PoolInfo] = []

    def _allowed(self, pool: PoolInfo) -> bool:
        request = self.request
        if any(p.node_name.upper() == pool.node_name.upper() for p in self.chosen):
            return False
        if pool.shared_space and any(p.shared_space == pool.shared_space for p in self.chosen):
            return False
        if not request.allow_mixing:
            kinds = set(request.existing_kinds) | {p.provider_kind for p in self.chosen}
            if kinds and pool.provider_kind not in kinds:
                return False
        others = [*request.existing_node_props, *(p.node_props for p in self.chosen)]
        for spec in request.replicas_on_same:
            key, _ = _split(spec)
            if any(o.get(key) != pool.node_props.get(key) for o in others):
                return False
        for spec in request.replicas_on_different:
            key, _ = _split(spec)
            value = pool.node_props.get(key)
            if value is None:
                continue
            limit = request.x_replicas_on_different.get(key, 1)
            if sum(1 for o in others if o.get(key) == value) >= limit:
                return False
        return True

    def search(self, start: int) -> bool:
        if len(self.chosen) == self.request.count:
            return True
        for index in range(start, len(self.ordered)):
            self.budget -= 1
            if self.budget <= 0:
                return False
            pool = self.ordered[index]
            if not self._allowed(pool):
                continue
            self.chosen.append(pool)
            if self.search(index + 1):
                return True
            self.chosen.pop()
            if len(self.ordered) - index - 1 < self.request.count - len(self.chosen):
                return False
        return False


def select(pools: Sequence[PoolInfo], request: Request) -> list[PoolInfo] | None:
    """Steps 1-3: the chosen pools (best first), or None when no complete set exists."""
    if request.count <= 0:
        return []
    candidates = candidate_pools(pools, request)
    weights = weights_from_props(request.controller_props)
    scored = score_pools(candidates, weights)
    scored.sort(key=lambda sp: (-sp[0], sp[1].node_name.upper(), sp[1].pool_name.upper()))
    selection = _Selection([p for _, p in scored], request)
    return list(selection.chosen) if selection.search(0) else None


def explain_failure(request: Request, rsc_name: str, not_place_with: Sequence[str]) -> str:
    """The details text of FAIL_NOT_ENOUGH_NODES: the criteria no set of nodes could meet."""
    lines = ["Not enough nodes fulfilling the following auto-place criteria:"]
    if request.storage_pools:
        lines.append(f" * has a deployed storage pool named {list(request.storage_pools)}")
    lines.append(f" * the storage pools have to have at least '{request.size_kib}' free space")
    lines.append(
        " * the current access context has enough privileges to use the node and the storage pool"
    )
    lines.append(" * the node is online")
    if request.node_names:
        lines.append(f" * the node is one of {list(request.node_names)}")
    if request.provider_list:
        lines.append(f" * the storage pool's provider kind is one of {list(request.provider_list)}")
    for spec in request.replicas_on_same:
        lines.append(f" * all replicas share the same value of node property '{spec}'")
    for spec in request.replicas_on_different:
        lines.append(f" * replicas are on nodes with different values of node property '{spec}'")
    lines += [
        "",
        "Auto-place configuration details:",
        f"   Replica count: {request.count}",
        f"   Don't place with resource (List): {list(not_place_with) or [rsc_name]}",
    ]
    if request.storage_pools:
        lines.append(f"   Storage pool name: {list(request.storage_pools)}")
    return "\n".join(lines)
