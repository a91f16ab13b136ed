"""Cluster set-up for the emulator: nodes, their storage pools, and the satellites' timing.

A :class:`ClusterSpec` says which satellites exist when the emulator starts or is reset; a
:class:`Timing` says how many seconds of simulated satellite work each kind of change takes.
Both round-trip through JSON (the body of ``POST /_emulator/reset``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from aiolinstor._sizes import GiB, parse_size_kib

DEFAULT_POOL_NAME = "DfltStorPool"
DISKLESS_POOL_NAME = "DfltDisklessStorPool"
DEFAULT_POOL_SIZE_KIB = 100 * GiB // 1024

#: Storage provider kinds the emulator can simulate, and whether they are thin-provisioned.
PROVIDER_KINDS: dict[str, bool] = {
    "LVM": False,
    "LVM_THIN": True,
    "ZFS": False,
    "ZFS_THIN": True,
    "FILE": False,
    "FILE_THIN": True,
    "DISKLESS": False,
}

#: Layers every simulated satellite supports unless its NodeSpec says otherwise.
DEFAULT_LAYERS: tuple[str, ...] = (
    "DRBD",
    "LUKS",
    "NVME",
    "WRITECACHE",
    "CACHE",
    "BCACHE",
    "STORAGE",
)


def _bad(what: str, value: object, problem: str) -> ValueError:
    return ValueError(f"invalid {what} {value!r}: {problem}")


@dataclass
class PoolSpec:
    """One storage pool on a node: its name, provider kind and capacity in KiB."""

    name: str = DEFAULT_POOL_NAME
    provider_kind: str = "LVM_THIN"
    size_kib: int = DEFAULT_POOL_SIZE_KIB

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise _bad("storage pool name", self.name, "must be a non-empty string")
        kind = self.provider_kind.upper() if isinstance(self.provider_kind, str) else None
        if kind not in PROVIDER_KINDS:
            raise _bad(
                "provider_kind", self.provider_kind, f"must be one of {sorted(PROVIDER_KINDS)}"
            )
        self.provider_kind = kind
        if isinstance(self.size_kib, bool) or not isinstance(self.size_kib, int):
            raise _bad("pool size_kib", self.size_kib, "must be an int (KiB)")
        if self.size_kib <= 0 and kind != "DISKLESS":
            raise _bad("pool size_kib", self.size_kib, "must be positive")

    @property
    def thin(self) -> bool:
        return PROVIDER_KINDS[self.provider_kind]

    @classmethod
    def from_json(cls, data: object) -> PoolSpec:
        """Parse ``{"name", "provider_kind", "size_kib" | "size"}`` (size: bytes or "10 GiB")."""
        if not isinstance(data, Mapping):
            raise _bad("pool spec", data, "must be an object")
        _reject_unknown("pool spec", data, {"name", "provider_kind", "size_kib", "size"})
        size_kib = data.get("size_kib")
        if size_kib is None and "size" in data:
            size_kib = parse_size_kib(data["size"])
        return cls(
            name=data.get("name", DEFAULT_POOL_NAME),
            provider_kind=data.get("provider_kind", "LVM_THIN"),
            size_kib=DEFAULT_POOL_SIZE_KIB if size_kib is None else size_kib,
        )

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "provider_kind": self.provider_kind, "size_kib": self.size_kib}


@dataclass
class NodeSpec:
    """One satellite: name, pools, node properties, initial connection and address.

    An empty ``address`` means "pick one" (127.0.0.<position in the cluster>). ``layers`` lists
    the resource layers the satellite supports (None: all of :data:`DEFAULT_LAYERS`).
    """

    name: str
    pools: list[PoolSpec] = field(default_factory=lambda: [PoolSpec()])
    props: dict[str, str] = field(default_factory=dict)
    online: bool = True
    address: str = ""
    layers: list[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise _bad("node name", self.name, "must be a non-empty string")
        if not isinstance(self.props, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.props.items()
        ):
            raise _bad("node props", self.props, "must map strings to strings")
        seen: set[str] = set()
        for pool in self.pools:
            if not isinstance(pool, PoolSpec):
                raise _bad("pool spec", pool, "must be a PoolSpec")
            if pool.name.upper() in seen:
                raise _bad("storage pool name", pool.name, f"appears twice on node {self.name!r}")
            seen.add(pool.name.upper())

    @classmethod
    def from_json(cls, data: object) -> NodeSpec:
        if not isinstance(data, Mapping):
            raise _bad("node spec", data, "must be an object")
        _reject_unknown("node spec", data, {f.name for f in fields(cls)})
        pools = data.get("pools")
        return cls(
            name=data.get("name", ""),
            pools=[PoolSpec()] if pools is None else [PoolSpec.from_json(p) for p in pools],
            props=dict(data.get("props") or {}),
            online=bool(data.get("online", True)),
            address=str(data.get("address") or ""),
            layers=None if data.get("layers") is None else [str(x) for x in data["layers"]],
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "pools": [p.to_json() for p in self.pools],
            "props": dict(self.props),
            "online": self.online,
            "address": self.address,
        }
        if self.layers is not None:
            out["layers"] = list(self.layers)
        return out


@dataclass
class ClusterSpec:
    """The satellites a fresh emulated cluster starts with."""

    nodes: list[NodeSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for node in self.nodes:
            if node.name.upper() in seen:
                raise _bad("node name", node.name, "appears twice in the cluster spec")
            seen.add(node.name.upper())

    @classmethod
    def default(
        cls,
        nodes: int = 3,
        *,
        pool_size: int | str = "100 GiB",
        provider_kind: str = "LVM_THIN",
        pool_name: str = DEFAULT_POOL_NAME,
        prefix: str = "node-",
    ) -> ClusterSpec:
        """``nodes`` satellites ``<prefix>1..N``, one pool each (``pool_size``: bytes or "1G")."""
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0:
            raise _bad("node count", nodes, "must be a non-negative int")
        size_kib = parse_size_kib(pool_size)
        return cls(
            nodes=[
                NodeSpec(
                    name=f"{prefix}{i}",
                    pools=[PoolSpec(pool_name, provider_kind, size_kib)],
                    address=loopback_address(i),
                )
                for i in range(1, nodes + 1)
            ]
        )

    @classmethod
    def from_json(cls, data: object) -> ClusterSpec:
        """Parse a spec: ``{"nodes": [NodeSpec...]}`` or the short form ``{"nodes": 5, ...}``.

        The short form takes the keyword arguments of :meth:`default` (``pool_size``,
        ``provider_kind``, ``pool_name``, ``prefix``).
        """
        if not isinstance(data, Mapping):
            raise _bad("cluster spec", data, "must be an object")
        nodes = data.get("nodes", [])
        if isinstance(nodes, int) and not isinstance(nodes, bool):
            _reject_unknown(
                "cluster spec", data, {"nodes", "pool_size", "provider_kind", "pool_name", "prefix"}
            )
            return cls.default(
                nodes,
                pool_size=data.get("pool_size", "100 GiB"),
                provider_kind=data.get("provider_kind", "LVM_THIN"),
                pool_name=data.get("pool_name", DEFAULT_POOL_NAME),
                prefix=data.get("prefix", "node-"),
            )
        _reject_unknown("cluster spec", data, {"nodes"})
        if not isinstance(nodes, list):
            raise _bad("cluster spec nodes", nodes, "must be a list of node specs or a count")
        return cls(nodes=[NodeSpec.from_json(n) for n in nodes])

    def to_json(self) -> dict[str, Any]:
        return {"nodes": [n.to_json() for n in self.nodes]}


@dataclass
class Timing:
    """Seconds of simulated satellite work per kind of change; every value is divided by ``speed``.

    ``apply_s``: a satellite applies a change; ``deploy_s``: a new replica reaches
    UpToDate/Diskless (or starts its resync); ``sync_s``: a full resync of a joining replica;
    ``snapshot_s``, ``delete_s``, ``clone_s``: those operations; ``ready_timeout_s``: how long
    create/autoplace wait for "ready" before answering with the did-not-become-ready warning.
    """

    speed: float = 1.0
    apply_s: float = 0.05
    deploy_s: float = 0.3
    sync_s: float = 2.0
    snapshot_s: float = 0.2
    delete_s: float = 0.1
    clone_s: float = 1.0
    ready_timeout_s: float = 15.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _bad(f"timing {f.name}", value, "must be a number")
            if not math.isfinite(value) or value < 0:
                raise _bad(f"timing {f.name}", value, "must be finite and not negative")
        if self.speed <= 0:
            raise _bad("timing speed", self.speed, "must be positive")

    @classmethod
    def fast(cls) -> Timing:
        """Timing for tests: everything 100x faster (a full resync takes 20 ms)."""
        return cls(speed=100.0)

    def scaled(self, seconds: float) -> float:
        """Wall-clock seconds for ``seconds`` of work at this timing's speed."""
        return seconds / self.speed

    @classmethod
    def from_json(cls, data: object) -> Timing:
        if not isinstance(data, Mapping):
            raise _bad("timing", data, "must be an object")
        _reject_unknown("timing", data, {f.name for f in fields(cls)})
        return replace(cls(), **dict(data))

    def to_json(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


def loopback_address(position: int) -> str:
    """A distinct loopback address for the node at ``position`` (1-based): 127.0.0.1, ..."""
    return f"127.0.{(position - 1) // 254}.{(position - 1) % 254 + 1}"


def _reject_unknown(what: str, data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _bad(what, unknown[0], f"unknown field; allowed: {sorted(allowed)}")
