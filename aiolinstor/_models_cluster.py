"""Models of the cluster itself: controller version, nodes, storage pools, error reports.

Same rules as :mod:`aiolinstor._models` (tolerant of omitted fields, strict on types, ``raw``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiolinstor._errors import ProtocolError
from aiolinstor._models_parse import (
    JsonReader,
    Unexpected,
    dict_list,
    fast_or_strict,
    opt_bool,
    opt_int,
    opt_str,
    str_dict,
    str_tuple,
)


def _raw() -> Any:
    """The ``raw`` field: the original JSON object, left out of comparisons and reprs."""
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ControllerVersion:
    """What ``GET /v1/controller/version`` says about the controller."""

    version: str
    git_hash: str | None
    build_time: str | None
    rest_api_version: str
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> ControllerVersion:
        """Parse the ``ControllerVersion`` object (``rest_api_version`` is required)."""
        r = JsonReader("ControllerVersion", data)
        return cls(
            version=r.text("version", "") or "",
            git_hash=r.text("git_hash"),
            build_time=r.text("build_time"),
            rest_api_version=r.req_text("rest_api_version"),
            raw=r.data,
        )

    @property
    def api_version(self) -> tuple[int, int, int]:
        """``rest_api_version`` as numbers, e.g. (1, 28, 0)."""
        parts = self.rest_api_version.strip().split(".")
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise ProtocolError(
                f"ControllerVersion.rest_api_version is not a version: {self.rest_api_version!r}"
            ) from None
        if not 1 <= len(numbers) <= 3:
            raise ProtocolError(
                f"ControllerVersion.rest_api_version is not a version: {self.rest_api_version!r}"
            )
        numbers += [0] * (3 - len(numbers))
        return numbers[0], numbers[1], numbers[2]


@dataclass(frozen=True)
class NetInterfaceInfo:
    """One network interface of a node."""

    name: str
    address: str | None
    satellite_port: int | None
    satellite_encryption_type: str | None
    is_active: bool | None
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> NetInterfaceInfo:
        """Parse one ``NetInterface`` object."""
        r = JsonReader("NetInterface", data)
        return cls(
            name=r.text("name", "") or "",
            address=r.text("address"),
            satellite_port=r.integer("satellite_port"),
            satellite_encryption_type=r.text("satellite_encryption_type"),
            is_active=r.flag("is_active"),
            raw=r.data,
        )


@dataclass(frozen=True)
class NodeInfo:
    """A node (satellite, controller, combined or auxiliary)."""

    name: str
    type: str
    connection_status: str
    flags: tuple[str, ...]
    props: Mapping[str, str]
    net_interfaces: tuple[NetInterfaceInfo, ...]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> NodeInfo:
        """Parse one ``Node`` object with its network interfaces."""
        return fast_or_strict(_fast_node, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> NodeInfo:
        r = JsonReader("Node", data)
        return cls(
            name=r.req_text("name"),
            type=r.text("type", "") or "",
            connection_status=r.text("connection_status", "UNKNOWN") or "UNKNOWN",
            flags=r.texts("flags"),
            props=r.text_map("props"),
            net_interfaces=tuple(
                NetInterfaceInfo.from_json(n) for n in r.obj_list("net_interfaces")
            ),
            raw=r.data,
        )

    @property
    def online(self) -> bool:
        """True when the controller has a working connection to the node's satellite."""
        return self.connection_status.upper() == "ONLINE"


_THIN_KINDS = frozenset({"LVM_THIN", "ZFS_THIN", "FILE_THIN", "STORAGE_SPACES_THIN"})


@dataclass(frozen=True)
class StoragePoolInfo:
    """A storage pool on one node; capacities in KiB, None when unknown (e.g. node offline)."""

    name: str
    node_name: str
    provider_kind: str
    free_capacity_kib: int | None
    total_capacity_kib: int | None
    props: Mapping[str, str]
    static_traits: Mapping[str, str]
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> StoragePoolInfo:
        """Parse one ``StoragePool`` object (capacities in KiB)."""
        return fast_or_strict(_fast_storage_pool, cls._strict, data)

    @classmethod
    def _strict(cls, data: object) -> StoragePoolInfo:
        r = JsonReader("StoragePool", data)
        return cls(
            name=r.req_text("storage_pool_name"),
            node_name=r.text("node_name", "") or "",
            provider_kind=r.text("provider_kind", "") or "",
            free_capacity_kib=r.integer("free_capacity"),
            total_capacity_kib=r.integer("total_capacity"),
            props=r.text_map("props"),
            static_traits=r.text_map("static_traits"),
            raw=r.data,
        )

    @property
    def diskless(self) -> bool:
        """True for a pool of diskless replicas (provider kind DISKLESS)."""
        return self.provider_kind.upper() == "DISKLESS"

    @property
    def thin(self) -> bool:
        """True for a thin (over-provisionable) pool: its ``Provisioning`` trait, else its kind."""
        provisioning = self.static_traits.get("Provisioning")
        if provisioning is not None:
            return provisioning.lower() == "thin"
        return self.provider_kind.upper() in _THIN_KINDS


@dataclass(frozen=True)
class ErrorReportInfo:
    """An error report; ``id`` is what ApiCallRc ``error_report_ids`` refer to."""

    id: str
    node_name: str | None
    error_time_ms: int
    module: str | None
    exception: str | None
    exception_message: str | None
    raw: Mapping[str, Any] = _raw()

    @classmethod
    def from_json(cls, data: object) -> ErrorReportInfo:
        """Parse one ``ErrorReport`` object; ``id`` is taken from ``filename`` if missing."""
        r = JsonReader("ErrorReport", data)
        filename = r.text("filename", "") or ""
        report_id = r.text("id") or filename
        if report_id.startswith("ErrorReport-"):
            report_id = report_id[len("ErrorReport-") :]
        if report_id.endswith(".log"):
            report_id = report_id[: -len(".log")]
        return cls(
            id=report_id,
            node_name=r.text("node_name"),
            error_time_ms=r.req_integer("error_time"),
            module=r.text("module"),
            exception=r.text("exception"),
            exception_message=r.text("exception_message"),
            raw=r.data,
        )


# --- fast paths (see _models_parse) -----------------------------------------------------------
def _fast_net_interface(data: Any) -> NetInterfaceInfo:
    get = data.get
    return NetInterfaceInfo(
        name=opt_str(get("name")) or "",
        address=opt_str(get("address")),
        satellite_port=opt_int(get("satellite_port")),
        satellite_encryption_type=opt_str(get("satellite_encryption_type")),
        is_active=opt_bool(get("is_active")),
        raw=data,
    )


def _fast_node(data: Any) -> NodeInfo:
    get = data.get
    name = get("name")
    if type(name) is not str:
        raise Unexpected
    return NodeInfo(
        name=name,
        type=opt_str(get("type")) or "",
        connection_status=opt_str(get("connection_status")) or "UNKNOWN",
        flags=str_tuple(get("flags")),
        props=str_dict(get("props")),
        net_interfaces=tuple(_fast_net_interface(n) for n in dict_list(get("net_interfaces"))),
        raw=data,
    )


def _fast_storage_pool(data: Any) -> StoragePoolInfo:
    get = data.get
    name = get("storage_pool_name")
    if type(name) is not str:
        raise Unexpected
    return StoragePoolInfo(
        name=name,
        node_name=opt_str(get("node_name")) or "",
        provider_kind=opt_str(get("provider_kind")) or "",
        free_capacity_kib=opt_int(get("free_capacity")),
        total_capacity_kib=opt_int(get("total_capacity")),
        props=str_dict(get("props")),
        static_traits=str_dict(get("static_traits")),
        raw=data,
    )
