"""Low-level REST calls for resources, snapshots, clones, key-value stores, reports, events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, get_args

from aiolinstor import _names
from aiolinstor._api_base import ApiBase, filters, modify_body, put_if, seg, str_list
from aiolinstor._api_base import str_map as check_str_map
from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._errors import InputError, NotFoundError, ProtocolError, api_call_error
from aiolinstor._models import (
    ErrorReportInfo,
    ResourceConnectionInfo,
    ResourceCreateSpec,
    ResourceInfo,
    SnapshotInfo,
)
from aiolinstor._models_parse import JsonReader, expect_list
from aiolinstor._sse import EventStream
from aiolinstor._transport_answers import log_rcs

RD = "/v1/resource-definitions"
ToggleDiskOperation = Literal["INTO_DRBD_DISKFUL", "INTO_DRBD_DISKLESS", "INTO_DRBD_CLIENT"]
_TOGGLE_OPERATIONS: tuple[str, ...] = get_args(ToggleDiskOperation)
CloneStatus = Literal["CLONING", "COMPLETE", "FAILED"]


def _rsc_path(rsc: str) -> str:
    return f"{RD}/{seg(_names.check_resource_name(rsc))}"


def _layers(value: Iterable[str] | None) -> list[str] | None:
    layers = str_list("layer_list", value)
    return None if layers is None else [layer.upper() for layer in layers]


def _resource_create_body(spec: ResourceCreateSpec) -> dict[str, Any]:
    if not isinstance(spec, ResourceCreateSpec):
        raise InputError(f"resources must be ResourceCreateSpec items, got {spec!r}")
    resource: dict[str, Any] = {"node_name": _names.check_node_name(spec.node)}
    props = check_str_map("props", spec.props) or {}
    if spec.storage_pool is not None:
        props["StorPoolName"] = _names.check_storage_pool_name(spec.storage_pool)
    if props:
        resource["props"] = props
    flags = []
    if spec.diskless:
        flags.append("DISKLESS")
    if spec.drbd_diskless:
        flags.append("DRBD_DISKLESS")
    if flags:
        resource["flags"] = flags
    item: dict[str, Any] = {"resource": resource}
    put_if(item, "layer_list", _layers(spec.layer_list))
    return item


class ResourcesApi(ApiBase):
    """Resource, snapshot, clone, DRBD proxy, key-value store, error report and event calls."""

    # --- resources ------------------------------------------------------------------------
    async def list_resources(self, rsc: str) -> list[ResourceInfo]:
        """Resources of one definition (``/resource-definitions/{rsc}/resources``, no volumes)."""
        return await self._get_list(
            f"{_rsc_path(rsc)}/resources", ResourceInfo.from_json, "resources"
        )

    async def view_resources(
        self,
        resources: Iterable[str] | None = None,
        nodes: Iterable[str] | None = None,
    ) -> list[ResourceInfo]:
        """Resources with volumes and satellite state (``/v1/view/resources``)."""
        return await self._get_list(
            "/v1/view/resources",
            ResourceInfo.from_json,
            "resources",
            filters(resources=resources, nodes=nodes),
        )

    async def create_resources(
        self, rsc: str, resources: Sequence[ResourceCreateSpec]
    ) -> ApiCallRcList:
        """Create several resources of one definition in one bulk POST."""
        path = f"{_rsc_path(rsc)}/resources"
        if isinstance(resources, ResourceCreateSpec) or not isinstance(resources, Sequence):
            raise InputError(f"resources must be a list of ResourceCreateSpec, got {resources!r}")
        if not resources:
            raise InputError("resources must name at least one node")
        return await self._call("POST", path, [_resource_create_body(s) for s in resources])

    async def delete_resource(self, rsc: str, node: str) -> ApiCallRcList:
        """Delete the resource of ``rsc`` on ``node``."""
        node = _names.check_node_name(node)
        return await self._call("DELETE", f"{_rsc_path(rsc)}/resources/{seg(node)}")

    async def modify_resource(
        self,
        rsc: str,
        node: str,
        *,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
        delete_namespaces: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Change the properties of the resource of ``rsc`` on ``node``."""
        node = _names.check_node_name(node)
        body = modify_body(override_props, delete_props, delete_namespaces)
        return await self._call("PUT", f"{_rsc_path(rsc)}/resources/{seg(node)}", body)

    async def make_available(
        self,
        rsc: str,
        node: str,
        *,
        diskful: bool = False,
        layer_list: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Make the resource usable on ``node`` (created diskless if possible, else no-op)."""
        node = _names.check_node_name(node)
        body: dict[str, Any] = {"diskful": bool(diskful)}
        put_if(body, "layer_list", _layers(layer_list))
        path = f"{_rsc_path(rsc)}/resources/{seg(node)}/make-available"
        return await self._call("POST", path, body)

    async def activate_resource(self, rsc: str, node: str) -> ApiCallRcList:
        """Activate the INACTIVE resource of ``rsc`` on ``node``."""
        node = _names.check_node_name(node)
        return await self._call("POST", f"{_rsc_path(rsc)}/resources/{seg(node)}/activate")

    async def deactivate_resource(self, rsc: str, node: str) -> ApiCallRcList:
        """Deactivate the resource of ``rsc`` on ``node`` (flag INACTIVE)."""
        node = _names.check_node_name(node)
        return await self._call("POST", f"{_rsc_path(rsc)}/resources/{seg(node)}/deactivate")

    async def toggle_disk(
        self,
        rsc: str,
        node: str,
        operation: ToggleDiskOperation,
        *,
        storage_pool: str | None = None,
        migrate_from: str | None = None,
    ) -> ApiCallRcList:
        """Turn a resource diskful/diskless/client; returns before any resync is done."""
        node = _names.check_node_name(node)
        if operation not in _TOGGLE_OPERATIONS:
            raise InputError(
                f"toggle_disk operation must be one of {', '.join(_TOGGLE_OPERATIONS)}, "
                f"got {operation!r}"
            )
        body: dict[str, Any] = {"operation": operation}
        if storage_pool is not None:
            body["storage_pool"] = _names.check_storage_pool_name(storage_pool)
        if migrate_from is not None:
            body["migrate_from"] = _names.check_node_name(migrate_from)
        path = f"{_rsc_path(rsc)}/resources/{seg(node)}/toggle-disk"
        return await self._call("PUT", path, body)

    async def autoplace(
        self,
        rsc: str,
        *,
        select_filter: Mapping[str, Any],
        diskless_on_remaining: bool | None = None,
        layer_list: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Let the controller place replicas; ``diskless_on_remaining``/``layer_list`` go on top
        level, where the controller reads them (they override the filter's own)."""
        if not isinstance(select_filter, Mapping):
            raise InputError(f"select_filter must be a mapping, got {select_filter!r}")
        body: dict[str, Any] = {"select_filter": dict(select_filter)}
        if diskless_on_remaining is not None:
            body["diskless_on_remaining"] = bool(diskless_on_remaining)
        put_if(body, "layer_list", _layers(layer_list))
        return await self._call("POST", f"{_rsc_path(rsc)}/autoplace", body)

    # --- snapshots ------------------------------------------------------------------------
    async def list_snapshots(self, rsc: str) -> list[SnapshotInfo]:
        """The snapshots of resource definition ``rsc``."""
        return await self._get_list(
            f"{_rsc_path(rsc)}/snapshots", SnapshotInfo.from_json, "snapshots"
        )

    async def view_snapshots(
        self,
        resources: Iterable[str] | None = None,
        nodes: Iterable[str] | None = None,
    ) -> list[SnapshotInfo]:
        """Snapshots of all (or the given) resources and nodes, ``/v1/view/snapshots``."""
        return await self._get_list(
            "/v1/view/snapshots",
            SnapshotInfo.from_json,
            "snapshots",
            filters(resources=resources, nodes=nodes),
        )

    async def get_snapshot(self, rsc: str, snap: str) -> SnapshotInfo:
        """One snapshot of ``rsc``; NotFoundError when it does not exist."""
        snap = _names.check_snapshot_name(snap)
        path = f"{_rsc_path(rsc)}/snapshots/{seg(snap)}"
        return await self._get_one(path, SnapshotInfo.from_json, "snapshot")

    async def create_snapshot(
        self, rsc: str, snap: str, *, nodes: Iterable[str] | None = None
    ) -> ApiCallRcList:
        """Take snapshot ``snap`` of ``rsc`` (on ``nodes``, default every diskful one)."""
        body: dict[str, Any] = {"name": _names.check_snapshot_name(snap)}
        node_list = str_list("nodes", nodes)
        if node_list:
            body["nodes"] = [_names.check_node_name(n) for n in node_list]
        return await self._call("POST", f"{_rsc_path(rsc)}/snapshots", body)

    async def create_multi_snapshot(self, snapshots: Sequence[tuple[str, str]]) -> ApiCallRcList:
        """One consistent snapshot over several resources: ``[(rsc, snap), ...]``."""
        pairs: object = snapshots
        if isinstance(pairs, str) or not snapshots:
            raise InputError(
                f"snapshots must be a non-empty list of (rsc, snap), got {snapshots!r}"
            )
        items = []
        for pair in snapshots:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InputError(f"snapshots must hold (resource, snapshot) pairs, got {pair!r}")
            rsc, snap = pair
            items.append(
                {
                    "resource_name": _names.check_resource_name(rsc),
                    "name": _names.check_snapshot_name(snap),
                }
            )
        return await self._call("POST", "/v1/actions/snapshot/multi", {"snapshots": items})

    async def delete_snapshot(
        self, rsc: str, snap: str, *, nodes: Iterable[str] | None = None
    ) -> ApiCallRcList:
        """Delete snapshot ``snap`` of ``rsc`` (on ``nodes``, default everywhere)."""
        snap = _names.check_snapshot_name(snap)
        path = f"{_rsc_path(rsc)}/snapshots/{seg(snap)}"
        return await self._call("DELETE", path, params=filters(nodes=nodes) or None)

    async def restore_volume_definitions(
        self, rsc: str, snap: str, to_resource: str
    ) -> ApiCallRcList:
        """Create the volume definitions of ``to_resource`` from snapshot ``snap`` of ``rsc``."""
        snap = _names.check_snapshot_name(snap)
        body = {"to_resource": _names.check_resource_name(to_resource)}
        path = f"{_rsc_path(rsc)}/snapshot-restore-volume-definition/{seg(snap)}"
        return await self._call("POST", path, body)

    async def restore_resources(
        self,
        rsc: str,
        snap: str,
        to_resource: str,
        *,
        nodes: Iterable[str] | None = None,
        stor_pool_rename: Mapping[str, str] | None = None,
    ) -> ApiCallRcList:
        """Create the resources of ``to_resource`` from snapshot ``snap`` of ``rsc``."""
        snap = _names.check_snapshot_name(snap)
        body: dict[str, Any] = {"to_resource": _names.check_resource_name(to_resource)}
        node_list = str_list("nodes", nodes)
        if node_list:
            body["nodes"] = [_names.check_node_name(n) for n in node_list]
        put_if(body, "stor_pool_rename", check_str_map("stor_pool_rename", stor_pool_rename))
        path = f"{_rsc_path(rsc)}/snapshot-restore-resource/{seg(snap)}"
        return await self._call("POST", path, body)

    async def rollback_snapshot(self, rsc: str, snap: str) -> ApiCallRcList:
        """Roll ``rsc`` back to snapshot ``snap`` (LINSTOR allows only the most recent one)."""
        snap = _names.check_snapshot_name(snap)
        path = f"{_rsc_path(rsc)}/snapshot-rollback/{seg(snap)}"
        return await self._call("POST", path, {})

    # --- clones and DRBD proxy ------------------------------------------------------------
    async def clone_resource_definition(
        self,
        rsc: str,
        new_name: str,
        *,
        external_name: str | None = None,
        resource_group: str | None = None,
        layer_list: Iterable[str] | None = None,
        use_zfs_clone: bool | None = None,
    ) -> ApiCallRcList:
        """Start cloning; poll :meth:`clone_status`. The answer's ``messages`` are returned."""
        path = f"{_rsc_path(rsc)}/clone"
        body: dict[str, Any] = {"name": _names.check_resource_name(new_name)}
        put_if(body, "external_name", external_name)
        if resource_group is not None:
            body["resource_group"] = _names.check_resource_group_name(resource_group)
        put_if(body, "layer_list", _layers(layer_list))
        if use_zfs_clone is not None:
            body["use_zfs_clone"] = bool(use_zfs_clone)
        answer = await self._transport.request("POST", path, json_body=body)
        messages: object = answer.data
        if isinstance(messages, dict) and "ret_code" not in messages:
            messages = JsonReader("ResourceDefinitionCloneStarted", messages).data.get("messages")
        try:
            rcs = ApiCallRcList.from_json(messages or [], answer.status)
        except ProtocolError as exc:
            raise ProtocolError(f"POST {path}: HTTP {answer.status}: {exc}") from None
        log_rcs(rcs, "POST", path)
        if rcs.errors:
            raise api_call_error(rcs, answer.status, "POST", path)
        return rcs

    async def clone_status(self, rsc: str, clone: str) -> CloneStatus:
        """The state of clone ``clone`` of ``rsc``: CLONING, COMPLETE or FAILED."""
        clone = _names.check_resource_name(clone)
        data = await self._get(f"{_rsc_path(rsc)}/clone/{seg(clone)}")
        status = JsonReader("ResourceDefinitionCloneStatus", data).req_text("status").upper()
        if status not in ("CLONING", "COMPLETE", "FAILED"):
            raise ProtocolError(f"ResourceDefinitionCloneStatus.status is unknown: {status!r}")
        return status  # type: ignore[return-value]

    async def get_resource_connection(
        self, rsc: str, node_a: str, node_b: str
    ) -> ResourceConnectionInfo:
        """The connection between the replicas on ``node_a`` and ``node_b`` (flags, ports)."""
        a, b = _names.check_node_name(node_a), _names.check_node_name(node_b)
        path = f"{_rsc_path(rsc)}/resource-connections/{seg(a)}/{seg(b)}"
        return await self._get_one(path, ResourceConnectionInfo.from_json, "resource connection")

    async def enable_drbd_proxy(
        self, rsc: str, node_a: str, node_b: str, *, port: int | None = None
    ) -> ApiCallRcList:
        """Route the DRBD connection between two nodes of ``rsc`` through DRBD Proxy."""
        a, b = _names.check_node_name(node_a), _names.check_node_name(node_b)
        body: dict[str, Any] = {}
        if port is not None:
            if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
                raise InputError(f"port must be between 1 and 65535, got {port!r}")
            body["port"] = port
        path = f"{_rsc_path(rsc)}/drbd-proxy/enable/{seg(a)}/{seg(b)}"
        return await self._call("POST", path, body)

    async def disable_drbd_proxy(self, rsc: str, node_a: str, node_b: str) -> ApiCallRcList:
        """Connect two nodes of ``rsc`` directly again (no DRBD Proxy)."""
        a, b = _names.check_node_name(node_a), _names.check_node_name(node_b)
        return await self._call("POST", f"{_rsc_path(rsc)}/drbd-proxy/disable/{seg(a)}/{seg(b)}")

    # --- key-value stores -----------------------------------------------------------------
    async def list_kv_stores(self) -> dict[str, dict[str, str]]:
        """Every key-value store: name -> its properties."""
        data = await self._get("/v1/key-value-store")
        stores: dict[str, dict[str, str]] = {}
        for item in expect_list([] if data is None else data, "key-value stores"):
            r = JsonReader("KeyValueStore", item)
            stores[r.req_text("name")] = r.text_map("props")
        return stores

    async def get_kv_store(self, name: str) -> dict[str, str]:
        """The properties of one store; an unknown store is empty (stores appear on write)."""
        path = f"/v1/key-value-store/{seg(_kv_name(name))}"
        try:
            data = await self._get(path)
        except NotFoundError:
            return {}
        items = data if isinstance(data, list) else [data] if data else []
        for item in items:
            r = JsonReader("KeyValueStore", item)
            if (r.text("name") or name) == name:
                return r.text_map("props")
        return {}

    async def modify_kv_store(
        self,
        name: str,
        *,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
        delete_namespaces: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Set and delete properties of key-value store ``name``."""
        body = modify_body(override_props, delete_props, delete_namespaces)
        return await self._call("PUT", f"/v1/key-value-store/{seg(_kv_name(name))}", body)

    async def delete_kv_store(self, name: str) -> ApiCallRcList:
        """Delete key-value store ``name``."""
        return await self._call("DELETE", f"/v1/key-value-store/{seg(_kv_name(name))}")

    # --- error reports and events ---------------------------------------------------------
    async def list_error_reports(
        self,
        *,
        node: str | None = None,
        since_ms: int | None = None,
        with_content: bool = False,
        limit: int | None = None,
    ) -> list[ErrorReportInfo]:
        """Error reports of the controller and satellites (of ``node``, since ``since_ms``)."""
        params: list[tuple[str, str]] = []
        if node is not None:
            params.append(("node", _names.check_node_name(node)))
        if since_ms is not None:
            params.append(("since", str(_non_negative("since_ms", since_ms))))
        params.append(("withContent", "true" if with_content else "false"))
        if limit is not None:
            params.append(("limit", str(_non_negative("limit", limit))))
        return await self._get_list(
            "/v1/error-reports", ErrorReportInfo.from_json, "error reports", params
        )

    def node_events(self) -> EventStream:
        """Node events (``node-create``, ``node-modified``, ...) as an async iterator.

        Close it with ``aclose()``/``async with``/``contextlib.aclosing`` when done.
        """
        path = "/v1/events/nodes"
        return EventStream(lambda: self._transport.open_stream(path), "GET", path)

    def promotion_events(self, *, current: bool = True) -> EventStream:
        """``may-promote-change`` events; ``current`` first replays every resource's state."""
        path = "/v1/events/drbd/promotion"
        headers = {"Last-Event-ID": "current"} if current else None
        return EventStream(lambda: self._transport.open_stream(path, headers=headers), "GET", path)


def _kv_name(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name:
        raise InputError(f"invalid key-value store name {name!r}")
    return name


def _non_negative(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    return value
