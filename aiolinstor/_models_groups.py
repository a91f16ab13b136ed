"""Models of snapshots, resource connections, and resource and volume groups.

Same rules as :mod:`aiolinstor._models` (tolerant of omitted fields, strict on types, ``raw``),
which re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiolinstor._models_parse import JsonReader


def _raw() -> Any:
    """The ``raw`` field: the original JSON object, left out of comparisons and reprs."""
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SnapshotInfo:
    """A snapshot (definition) of a resource; ``volume_definitions`` are (number, size KiB)."""

    name: str
    resource_name: str
    nodes: tuple[str, ...]
    flags: tuple[str, ...]
    props: Mapping[str, str]
    volume_definitions: tuple[tuple[int, int], ...]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> SnapshotInfo:
        """Parse one ``Snapshot`` (definition) object."""
        r = JsonReader("Snapshot", data)
        nodes = r.texts("nodes")
        if not nodes:
            per_node = [
                JsonReader("Snapshot.snapshots[]", s).text("node_name")
                for s in r.obj_list("snapshots")
            ]
            nodes = tuple(n for n in per_node if n)
        volumes = []
        for index, vd in enumerate(r.obj_list("volume_definitions")):
            vr = JsonReader(f"Snapshot.volume_definitions[{index}]", vd)
            volumes.append((vr.integer("volume_number") or 0, vr.integer("size_kib") or 0))
        return cls(
            name=r.req_text("name"),
            resource_name=r.text("resource_name", "") or "",
            nodes=nodes,
            flags=r.texts("flags"),
            props=r.text_map("props"),
            volume_definitions=tuple(volumes),
            raw=r.data,
        )

    @property
    def successful(self) -> bool:
        """True once the snapshot was taken on every node (flag SUCCESSFUL)."""
        return "SUCCESSFUL" in (f.upper() for f in self.flags)

    @property
    def failed(self) -> bool:
        """True when taking the snapshot failed on a node (FAILED_DEPLOYMENT/DISCONNECT)."""
        return any(f.upper() in ("FAILED_DEPLOYMENT", "FAILED_DISCONNECT") for f in self.flags)


@dataclass(frozen=True)
class ResourceConnectionInfo:
    """The connection between two replicas of a resource (flags such as ``DRBD_PROXY``)."""

    node_a: str
    node_b: str
    flags: tuple[str, ...]
    props: Mapping[str, str]
    drbd_proxy_port_a: int | None
    drbd_proxy_port_b: int | None
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> ResourceConnectionInfo:
        """Parse one ``ResourceConnection`` object."""
        r = JsonReader("ResourceConnection", data)
        return cls(
            node_a=r.text("node_a", "") or "",
            node_b=r.text("node_b", "") or "",
            flags=r.texts("flags"),
            props=r.text_map("props"),
            drbd_proxy_port_a=r.integer("drbd_proxy_port_a"),
            drbd_proxy_port_b=r.integer("drbd_proxy_port_b"),
            raw=r.data,
        )


@dataclass(frozen=True)
class ResourceGroupInfo:
    """A resource group with its autoplace filter."""

    name: str
    description: str | None
    select_filter: Mapping[str, Any]
    props: Mapping[str, str]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> ResourceGroupInfo:
        """Parse one ``ResourceGroup`` object."""
        r = JsonReader("ResourceGroup", data)
        return cls(
            name=r.req_text("name"),
            description=r.text("description"),
            select_filter=dict(r.obj("select_filter") or {}),
            props=r.text_map("props"),
            raw=r.data,
        )


@dataclass(frozen=True)
class VolumeGroupInfo:
    """A volume group of a resource group."""

    volume_number: int
    props: Mapping[str, str]
    flags: tuple[str, ...]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> VolumeGroupInfo:
        """Parse one ``VolumeGroup`` object."""
        r = JsonReader("VolumeGroup", data)
        return cls(
            volume_number=r.integer("volume_number") or 0,
            props=r.text_map("props"),
            flags=r.texts("flags"),
            raw=r.data,
        )
