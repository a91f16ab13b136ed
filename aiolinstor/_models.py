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
from aiolinstor._models_groups import (
    ResourceConnectionInfo,
    ResourceGroupInfo,
    SnapshotInfo,
    VolumeGroupInfo,
)
from aiolinstor._models_parse import (
    JsonReader,
    Unexpected,
    dict_list,
    fast_or_strict,
    opt_bool,
    opt_dict,
    opt_int,
    opt_str,
    str_dict,
    str_tuple,
)


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
        """Parse one ``VolumeDefinition`` object; ProtocolError names a field of a wrong type."""
        return fast_or_strict(_fast_volume_definition, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> VolumeDefinitionInfo:
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
        """Parse one ``ResourceDefinition`` object (with ``volume_definitions`` when given)."""
        return fast_or_strict(_fast_resource_definition, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> ResourceDefinitionInfo:
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
        """Parse one ``Volume`` object of a deployed resource, satellite state included."""
        return fast_or_strict(_fast_volume, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> VolumeInfo:
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
_INACTIVE_FLAGS = frozenset({"INACTIVE"})
_TIEBREAKER_FLAGS = frozenset({"TIE_BREAKER"})


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
        """Parse one ``Resource`` object (``/v1/view/resources`` element), with its volumes and
        DRBD connections."""
        return fast_or_strict(_fast_resource, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> ResourceInfo:
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
        """True for a replica without data (a diskless client or tiebreaker)."""
        return self._flagged(_DISKLESS_FLAGS)

    @property
    def deleting(self) -> bool:
        """True while the controller is deleting this replica."""
        return self._flagged(_DELETING_FLAGS)

    @property
    def inactive(self) -> bool:
        """True when the replica was deactivated (flag INACTIVE)."""
        return self._flagged(_INACTIVE_FLAGS)

    @property
    def tiebreaker(self) -> bool:
        """True for a diskless replica LINSTOR added only for quorum (flag TIE_BREAKER)."""
        return self._flagged(_TIEBREAKER_FLAGS)


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


# --- fast paths (see _models_parse) -----------------------------------------------------------
def _fast_volume_definition(data: Any) -> VolumeDefinitionInfo:
    get = data.get
    minor = None
    for layer in dict_list(get("layer_data")):
        payload = opt_dict(layer.get("data"))
        if opt_str(layer.get("type")) == "DRBD" and payload is not None:
            minor = opt_int(payload.get("minor_number"))
    size = get("size_kib")
    if type(size) is not int:
        raise Unexpected
    return VolumeDefinitionInfo(
        volume_number=opt_int(get("volume_number")) or 0,
        size_kib=size,
        props=str_dict(get("props")),
        flags=str_tuple(get("flags")),
        minor_number=minor,
        raw=data,
    )


def _fast_resource_definition(data: Any) -> ResourceDefinitionInfo:
    get = data.get
    name = get("name")
    if type(name) is not str:
        raise Unexpected
    return ResourceDefinitionInfo(
        name=name,
        external_name=opt_str(get("external_name")),
        resource_group_name=opt_str(get("resource_group_name")),
        props=str_dict(get("props")),
        flags=str_tuple(get("flags")),
        volume_definitions=tuple(
            _fast_volume_definition(v) for v in dict_list(get("volume_definitions"))
        ),
        raw=data,
    )


def _fast_volume(data: Any) -> VolumeInfo:
    get = data.get
    disk_state = None
    replication: dict[str, ReplicationState] = {}
    state = opt_dict(get("state"))
    if state is not None:
        disk_state = opt_str(state.get("disk_state"))
        for peer, value in (opt_dict(state.get("replication_states")) or {}).items():
            done = value.get("done_percentage")
            if done is not None:
                if type(done) is not float and type(done) is not int:
                    raise Unexpected
                done = float(done)
            replication[peer] = ReplicationState(
                replication_state=opt_str(value.get("replication_state")),
                done_percentage=done,
            )
    usable = opt_int(get("usable_size_kib"))
    layers = dict_list(get("layer_data_list"))
    if usable is None and layers:
        top = opt_dict(layers[0].get("data"))
        usable = opt_int(top.get("usable_size_kib")) if top is not None else None
    return VolumeInfo(
        volume_number=opt_int(get("volume_number")) or 0,
        storage_pool_name=opt_str(get("storage_pool_name")),
        provider_kind=opt_str(get("provider_kind")),
        device_path=opt_str(get("device_path")),
        allocated_size_kib=opt_int(get("allocated_size_kib")),
        usable_size_kib=usable,
        disk_state=disk_state,
        replication_states=replication,
        flags=str_tuple(get("flags")),
        props=str_dict(get("props")),
        raw=data,
    )


def _fast_resource(data: Any) -> ResourceInfo:
    get = data.get
    name, node = get("name"), get("node_name")
    if type(name) is not str or type(node) is not str:
        raise Unexpected
    state = opt_dict(get("state"))
    layer = opt_dict(get("layer_object"))
    drbd = opt_dict(layer.get("drbd")) if layer is not None else None
    if layer is not None and drbd is None:
        raise Unexpected  # DRBD further down the layer tree: the strict reader searches it
    connections: dict[str, ConnectionInfo] = {}
    may_promote = None
    if drbd is not None:
        may_promote = opt_bool(drbd.get("may_promote"))
        for peer, value in (opt_dict(drbd.get("connections")) or {}).items():
            connections[peer] = ConnectionInfo(
                connected=bool(opt_bool(value.get("connected"))),
                message=opt_str(value.get("message")),
            )
    return ResourceInfo(
        name=name,
        node_name=node,
        props=str_dict(get("props")),
        flags=str_tuple(get("flags")),
        in_use=opt_bool(state.get("in_use")) if state is not None else None,
        state_known=state is not None,
        volumes=tuple(_fast_volume(v) for v in dict_list(get("volumes"))),
        connections=connections,
        create_timestamp=opt_int(get("create_timestamp")),
        raw=data,
        may_promote=may_promote,
    )


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
