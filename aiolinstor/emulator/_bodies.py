"""Request bodies checked like the controller's Jackson parser: unknown fields and wrong types fail.

Each schema maps a field name to its type: a scalar kind (``str``, ``int``, ``num``, ``bool``,
``any``), ``[kind]`` (list), ``{kind}`` (string-keyed map) or the name of another schema. Read-only
fields of the answer schemas (uuid, state, ...) are accepted because the controller's request
classes share them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

_PROPS_MODIFY = {"override_props": "{str}", "delete_props": "[str]", "delete_namespaces": "[str]"}

SCHEMAS: dict[str, dict[str, str]] = {
    "AutoSelectFilter": {
        "place_count": "int",
        "additional_place_count": "int",
        "node_name_list": "[str]",
        "storage_pool": "str",
        "storage_pool_list": "[str]",
        "storage_pool_diskless_list": "[str]",
        "not_place_with_rsc": "[str]",
        "not_place_with_rsc_regex": "str",
        "replicas_on_same": "[str]",
        "replicas_on_different": "[str]",
        "x_replicas_on_different_map": "{int}",
        "layer_stack": "[str]",
        "provider_list": "[str]",
        "diskless_on_remaining": "bool",
        "diskless_type": "str",
        "overprovision": "num",
        "port_count": "int",
    },
    "NetInterface": {
        "name": "str",
        "address": "str",
        "satellite_port": "int",
        "satellite_encryption_type": "str",
        "is_active": "bool",
        "uuid": "str",
    },
    "Node": {
        "name": "str",
        "type": "str",
        "flags": "[str]",
        "props": "{str}",
        "net_interfaces": "[NetInterface]",
        "connection_status": "str",
        "uuid": "str",
        "storage_providers": "[str]",
        "resource_layers": "[str]",
        "unsupported_providers": "{any}",
        "unsupported_layers": "{any}",
        "eviction_timestamp": "int",
        "platform": "str",
        "os_variant": "str",
    },
    "NodeModify": {"node_type": "str", **_PROPS_MODIFY},
    "PropsModify": dict(_PROPS_MODIFY),
    "StoragePool": {
        "storage_pool_name": "str",
        "node_name": "str",
        "provider_kind": "str",
        "props": "{str}",
        "static_traits": "{str}",
        "free_capacity": "int",
        "total_capacity": "int",
        "free_space_mgr_name": "str",
        "uuid": "str",
        "reports": "[any]",
        "supports_snapshots": "bool",
        "shared_space": "str",
        "external_locking": "bool",
    },
    "StoragePoolDefinition": {"storage_pool_name": "str", "props": "{str}"},
    "LayerData": {"type": "str", "data": "any"},
    "ResourceDefinition": {
        "name": "str",
        "external_name": "str",
        "props": "{str}",
        "flags": "[str]",
        "layer_data": "[LayerData]",
        "uuid": "str",
        "resource_group_name": "str",
        "volume_definitions": "[any]",
    },
    "ResourceDefinitionCreate": {
        "drbd_port": "int",
        "drbd_secret": "str",
        "drbd_peer_slots": "int",
        "drbd_transport_type": "str",
        "resource_definition": "ResourceDefinition",
    },
    "ResourceDefinitionModify": {
        **_PROPS_MODIFY,
        "drbd_port": "int",
        "drbd_peer_slots": "int",
        "layer_stack": "[str]",
        "resource_group": "str",
    },
    "VolumeDefinition": {
        "volume_number": "int",
        "size_kib": "int",
        "props": "{str}",
        "flags": "[str]",
        "layer_data": "[LayerData]",
        "uuid": "str",
    },
    "VolumeDefinitionCreate": {
        "volume_definition": "VolumeDefinition",
        "drbd_minor_number": "int",
        "passphrase": "str",
    },
    "VolumeDefinitionModify": {"size_kib": "int", **_PROPS_MODIFY, "flags": "[str]"},
    "Resource": {
        "name": "str",
        "node_name": "str",
        "props": "{str}",
        "effective_props": "{any}",
        "flags": "[str]",
        "layer_object": "any",
        "state": "any",
        "uuid": "str",
        "create_timestamp": "int",
    },
    "ResourceCreate": {
        "resource": "Resource",
        "layer_list": "[str]",
        "drbd_node_id": "int",
        "drbd_tcp_port_count": "int",
        "drbd_tcp_ports": "[int]",
        "snap_names": "[str]",
        "copy_all_snaps": "bool",
        "drbd_client": "bool",
    },
    "ResourceModify": {**_PROPS_MODIFY, "drbd_tiebreaker": "bool", "drbd_client": "bool"},
    "VolumeModify": dict(_PROPS_MODIFY),
    "AutoPlaceRequest": {
        "diskless_on_remaining": "bool",
        "select_filter": "AutoSelectFilter",
        "layer_list": "[str]",
        "snap_names": "[str]",
        "copy_all_snaps": "bool",
    },
    "ToggleDiskRequest": {
        "operation": "str",
        "storage_pool": "str",
        "migrate_from": "str",
        "layer_list": "[str]",
    },
    "ToggleDiskDiskful": {"layer_list": "[str]"},
    "ResourceMakeAvailable": {
        "layer_list": "[str]",
        "diskful": "bool",
        "drbd_tcp_ports": "[int]",
        "snap_names": "[str]",
        "copy_all_snaps": "bool",
        "auto_manage_dual_primary": "bool",
    },
    "ResourceGroup": {
        "name": "str",
        "description": "str",
        "props": "{str}",
        "select_filter": "AutoSelectFilter",
        "uuid": "str",
        "peer_slots": "int",
    },
    "ResourceGroupModify": {
        "description": "str",
        **_PROPS_MODIFY,
        "select_filter": "AutoSelectFilter",
        "peer_slots": "int",
        "snap_names": "[str]",
        "copy_all_snaps": "bool",
    },
    "ResourceGroupSpawn": {
        "resource_definition_name": "str",
        "resource_definition_external_name": "str",
        "volume_sizes": "[int]",
        "select_filter": "AutoSelectFilter",
        "partial": "bool",
        "definitions_only": "bool",
        "peer_slots": "int",
        "volume_passphrases": "[str]",
        "resource_definition_props": "{str}",
    },
    "VolumeGroup": {"volume_number": "int", "props": "{str}", "uuid": "str", "flags": "[str]"},
    "VolumeGroupModify": {**_PROPS_MODIFY, "flags": "[str]"},
    "Snapshot": {
        "name": "str",
        "resource_name": "str",
        "nodes": "[str]",
        "props": "{str}",
        "flags": "[str]",
        "volume_definitions": "[any]",
        "uuid": "str",
        "snapshots": "[any]",
        "snapshot_definition_props": "{str}",
        "resource_definition_props": "{str}",
    },
    "SnapshotModify": dict(_PROPS_MODIFY),
    "SnapshotRestore": {"to_resource": "str", "nodes": "[str]", "stor_pool_rename": "{str}"},
    "SnapshotRollback": {"zfs_rollback_strategy": "str"},
    "CreateMultiSnapshotRequest": {"snapshots": "[Snapshot]"},
    "ResourceDefinitionCloneRequest": {
        "name": "str",
        "external_name": "str",
        "resource_group": "str",
        "layer_list": "[str]",
        "use_zfs_clone": "bool",
        "volume_passphrases": "[str]",
        **_PROPS_MODIFY,
    },
    "DrbdProxyEnable": {"port": "int", "port_src": "int", "port_target": "int"},
    "DrbdProxyModify": {
        "override_props": "{str}",
        "delete_props": "[str]",
        "compression_type": "str",
        "compression_props": "{str}",
    },
}


class BodyError(ValueError):
    """A request body the controller's parser would reject; ``details`` names the problem."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    return True


def _check_scalar(kind: str, value: Any, where: str) -> None:
    if not _scalar_ok(kind, value):
        shown = json.dumps(value)[:80]
        raise BodyError(f"Cannot deserialize value {shown} at {where}: expected {kind}")


def check(value: Any, kind: str, where: str) -> None:
    """Check ``value`` against a type spec (see the module docstring); raise BodyError."""
    if value is None:
        return  # Jackson maps null to an unset field
    if kind.startswith("["):
        if not isinstance(value, list):
            raise BodyError(f"Cannot deserialize {where}: expected a JSON array")
        for i, item in enumerate(value):
            check(item, kind[1:-1], f"{where}[{i}]")
    elif kind.startswith("{"):
        if not isinstance(value, dict):
            raise BodyError(f"Cannot deserialize {where}: expected a JSON object")
        for key, item in value.items():
            check(item, kind[1:-1], f"{where}[{key!r}]")
    elif kind in SCHEMAS:
        check_object(value, kind, where)
    else:
        _check_scalar(kind, value, where)


def check_object(value: Any, schema: str, where: str = "$") -> dict[str, Any]:
    """Check a JSON object against ``schema``; unknown fields fail like Jackson's."""
    if not isinstance(value, dict):
        raise BodyError(f"Cannot deserialize {where} as {schema}: expected a JSON object")
    fields = SCHEMAS[schema]
    for key, item in value.items():
        kind = fields.get(key)
        if kind is None:
            raise BodyError(
                f'Unrecognized field "{key}" (class {schema}), not marked as ignorable '
                f"({len(fields)} known properties: {', '.join(sorted(fields))})"
            )
        check(item, kind, f"{where}.{key}")
    return value


async def read_json(request: web.Request, *, allow_empty: bool = True) -> Any:
    """The parsed body, ``None`` for an empty body (when allowed); BodyError when malformed."""
    raw = await request.read()
    if not raw.strip():
        if allow_empty:
            return None
        raise BodyError("No content to map due to end-of-input")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyError(f"Malformed JSON: {exc}") from None


async def read_object(
    request: web.Request, schema: str, *, allow_empty: bool = False
) -> dict[str, Any]:
    """Read and check a JSON object body; an allowed empty body reads as ``{}``."""
    data = await read_json(request, allow_empty=allow_empty)
    if data is None:
        return {}
    return check_object(data, schema)


async def read_list(request: web.Request, schema: str) -> list[dict[str, Any]]:
    """Read and check a JSON array of ``schema`` objects."""
    data = await read_json(request, allow_empty=False)
    if not isinstance(data, list):
        raise BodyError(f"Cannot deserialize $ as a list of {schema}: expected a JSON array")
    return [check_object(item, schema, f"$[{i}]") for i, item in enumerate(data)]


def props_modify(body: Mapping[str, Any]) -> tuple[dict[str, str], list[str], list[str]]:
    """``(override_props, delete_props, delete_namespaces)`` of a *Modify body."""
    return (
        dict(body.get("override_props") or {}),
        list(body.get("delete_props") or []),
        list(body.get("delete_namespaces") or []),
    )
