"""Typed, immutable views of controller answers.

Each model is built by ``X.from_json(d)``. The controller leaves out empty fields, so a missing
flags/props/state becomes empty or unknown (never a KeyError); a field of the wrong JSON type
raises ProtocolError naming it. Every model keeps the whole original object in ``.raw``, unknown
fields included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiolinstor._models_cluster import (
    ControllerVersion,
    ErrorReportInfo,
    NetInterfaceInfo,
    NodeInfo,
    StoragePoolInfo,
)
from aiolinstor._models_parse import JsonReader


def _raw() -> Any:
    """The ``raw`` field: the original JSON object, left out of comparisons and reprs."""
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class VolumeDefinitionInfo:
    """A volume definition: number, size (KiB) and DRBD minor when known."""

    volume_number: int
    size_kib: int
    props: Mapping[str, str]
    flags: tuple[str, ...]
    minor_number: int | None
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> VolumeDefinitionInfo:
        r = JsonReader("VolumeDefinition", data)
        minor = None
        for index, layer in enumerate(r.obj_list("layer_data")):
            lr = JsonReader(f"VolumeDefinition.layer_data[{index}]", layer)
            layer_payload = lr.child("data", "data")
            if lr.text("type") == "DRBD" and layer_payload is not None:
                minor = layer_payload.integer("minor_number")
        return cls(
            volume_number=r.integer("volume_number") or 0,
            size_kib=r.req_integer("size_kib"),
            props=r.text_map("props"),
            flags=r.texts("flags"),
            minor_number=minor,
            raw=r.data,
        )


@dataclass(frozen=True)
class ResourceDefinitionInfo:
    """A resource definition; volume definitions only when they were asked for."""

    name: str
    external_name: str | None
    resource_group_name: str | None
    props: Mapping[str, str]
    flags: tuple[str, ...]
    volume_definitions: tuple[VolumeDefinitionInfo, ...]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> ResourceDefinitionInfo:
        r = JsonReader("ResourceDefinition", data)
        return cls(
            name=r.req_text("name"),
            external_name=r.text("external_name"),
            resource_group_name=r.text("resource_group_name"),
            props=r.text_map("props"),
            flags=r.texts("flags"),
            volume_definitions=tuple(
                VolumeDefinitionInfo.from_json(v) for v in r.obj_list("volume_definitions")
            ),
            raw=r.data,
        )


@dataclass(frozen=True)
class ConnectionInfo:
    """The DRBD connection to one peer as the satellite reported it."""

    connected: bool
    message: str | None


@dataclass(frozen=True)
class ReplicationState:
    """DRBD replication towards one peer, with resync progress when syncing."""

    replication_state: str | None
    done_percentage: float | None


@dataclass(frozen=True)
class VolumeInfo:
    """One volume of a deployed resource; ``disk_state`` None when the satellite has not told."""

    volume_number: int
    storage_pool_name: str | None
    provider_kind: str | None
    device_path: str | None
    allocated_size_kib: int | None
    usable_size_kib: int | None
    disk_state: str | None
    replication_states: Mapping[str, ReplicationState]
    flags: tuple[str, ...]
    props: Mapping[str, str]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> VolumeInfo:
        r = JsonReader("Volume", data)
        disk_state = None
        replication: dict[str, ReplicationState] = {}
        state = r.child("state", "state")
        if state is not None:
            disk_state = state.text("disk_state")
            for peer, value in (state.obj("replication_states") or {}).items():
                pr = JsonReader(f"Volume.state.replication_states[{peer!r}]", value)
                replication[peer] = ReplicationState(
                    replication_state=pr.text("replication_state"),
                    done_percentage=pr.number("done_percentage"),
                )
        usable = r.integer("usable_size_kib")
        layers = r.obj_list("layer_data_list")
        if usable is None and layers:
            top = JsonReader("Volume.layer_data_list[0]", layers[0]).child("data", "data")
            usable = top.integer("usable_size_kib") if top is not None else None
        return cls(
            volume_number=r.integer("volume_number") or 0,
            storage_pool_name=r.text("storage_pool_name"),
            provider_kind=r.text("provider_kind"),
            device_path=r.text("device_path"),
            allocated_size_kib=r.integer("allocated_size_kib"),
            usable_size_kib=usable,
            disk_state=disk_state,
            replication_states=replication,
            flags=r.texts("flags"),
            props=r.text_map("props"),
            raw=r.data,
        )


def _find_drbd_layer(layer: Mapping[str, Any] | None, depth: int = 0) -> JsonReader | None:
    """The ``drbd`` payload anywhere in a resource's layer tree (DRBD need not be on top)."""
    if layer is None or depth > 8:
        return None
    lr = JsonReader("Resource.layer_object", layer)
    drbd = lr.child("drbd", "drbd")
    if drbd is not None:
        return drbd
    for child in lr.obj_list("children"):
        found = _find_drbd_layer(child, depth + 1)
        if found is not None:
            return found
    return None


_DISKLESS_FLAGS = frozenset({"DISKLESS", "DRBD_DISKLESS"})
_DELETING_FLAGS = frozenset({"DELETE", "DRBD_DELETE"})


@dataclass(frozen=True)
class ResourceInfo:
    """A resource (one replica of a resource definition on one node).

    ``state_known`` is False when the satellite has not reported this resource (offline or not
    yet deployed); then ``in_use`` is None and the volumes carry no disk state.
    """

    name: str
    node_name: str
    props: Mapping[str, str]
    flags: tuple[str, ...]
    in_use: bool | None
    state_known: bool
    volumes: tuple[VolumeInfo, ...]
    connections: Mapping[str, ConnectionInfo]
    create_timestamp: int | None
    raw: Mapping[str, Any] = _raw()
    may_promote: bool | None = None

    @classmethod
    def from_json(cls, data: object) -> ResourceInfo:
        r = JsonReader("Resource", data)
        state = r.child("state", "state")
        connections: dict[str, ConnectionInfo] = {}
        drbd = _find_drbd_layer(r.obj("layer_object"))
        may_promote = None
        if drbd is not None:
            may_promote = drbd.flag("may_promote")
            for peer, value in (drbd.obj("connections") or {}).items():
                cr = JsonReader(f"Resource.layer_object.drbd.connections[{peer!r}]", value)
                connections[peer] = ConnectionInfo(
                    connected=bool(cr.flag("connected")), message=cr.text("message")
                )
        return cls(
            name=r.req_text("name"),
            node_name=r.req_text("node_name"),
            props=r.text_map("props"),
            flags=r.texts("flags"),
            in_use=state.flag("in_use") if state is not None else None,
            state_known=state is not None,
            volumes=tuple(VolumeInfo.from_json(v) for v in r.obj_list("volumes")),
            connections=connections,
            create_timestamp=r.integer("create_timestamp"),
            raw=r.data,
            may_promote=may_promote,
        )

    def _flagged(self, names: frozenset[str]) -> bool:
        return any(f.upper() in names for f in self.flags)

    @property
    def diskless(self) -> bool:
        return self._flagged(_DISKLESS_FLAGS)

    @property
    def deleting(self) -> bool:
        return self._flagged(_DELETING_FLAGS)

    @property
    def inactive(self) -> bool:
        return self._flagged(frozenset({"INACTIVE"}))

    @property
    def tiebreaker(self) -> bool:
        return self._flagged(frozenset({"TIE_BREAKER"}))


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
        return "SUCCESSFUL" in (f.upper() for f in self.flags)

    @property
    def failed(self) -> bool:
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
        r = JsonReader("VolumeGroup", data)
        return cls(
            volume_number=r.integer("volume_number") or 0,
            props=r.text_map("props"),
            flags=r.texts("flags"),
            raw=r.data,
        )


@dataclass(frozen=True)
class ResourceCreateSpec:
    """One resource to create with :meth:`LinstorApi.create_resources`.

    ``diskless`` asks for a diskless resource (flag DISKLESS, the controller adds DRBD_DISKLESS
    with a DRBD layer); ``drbd_diskless`` sets DRBD_DISKLESS directly, as linstor-csi does.
    ``storage_pool`` becomes the StorPoolName property.
    """

    node: str
    diskless: bool = False
    storage_pool: str | None = None
    props: Mapping[str, str] | None = None
    layer_list: Sequence[str] | None = None
    drbd_diskless: bool = False


__all__ = [
    "ConnectionInfo",
    "ControllerVersion",
    "ErrorReportInfo",
    "NetInterfaceInfo",
    "NodeInfo",
    "ReplicationState",
    "ResourceConnectionInfo",
    "ResourceCreateSpec",
    "ResourceDefinitionInfo",
    "ResourceGroupInfo",
    "ResourceInfo",
    "SnapshotInfo",
    "StoragePoolInfo",
    "VolumeDefinitionInfo",
    "VolumeGroupInfo",
    "VolumeInfo",
]
