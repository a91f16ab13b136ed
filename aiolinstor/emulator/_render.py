"""JSON views of the emulator's objects, shaped like the real controller's answers (NON_EMPTY)."""

from __future__ import annotations

from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import (
    DELETE,
    DISK_ADD_REQUESTED,
    DISK_ADDING,
    DISK_REMOVE_REQUESTED,
    DISK_REMOVING,
    DISKLESS,
    DRBD_DISKLESS,
    INACTIVE,
    Node,
    Resource,
    ResourceDefinition,
    ResourceGroup,
    StoragePool,
    StoragePoolDefinition,
    Volume,
    VolumeDefinition,
    VolumeGroup,
)
from aiolinstor.emulator._rc import NOT_CONNECTED_DETAILS, JsonDict, compact

INT64_MAX = 9223372036854775807
STORAGE_PROVIDERS = [
    "DISKLESS", "LVM", "LVM_THIN", "ZFS", "ZFS_THIN", "FILE", "FILE_THIN",
    "REMOTE_SPDK", "EBS_INIT", "EBS_TARGET",
]  # fmt: skip
_UNSUPPORTED_PROVIDERS = {
    "SPDK": [
        "IO exception occured when running 'rpc.py spdk_get_version': Cannot run program "
        '"rpc.py": error=2, No such file or directory'
    ],
    "STORAGE_SPACES": ["This tool does not exist on the Linux platform."],
    "STORAGE_SPACES_THIN": ["This tool does not exist on the Linux platform."],
}
_SNAPSHOT_CAPABLE = {"LVM_THIN", "ZFS", "ZFS_THIN", "FILE_THIN"}


def render_node(node: Node, all_layers: tuple[str, ...]) -> JsonDict:
    unsupported_layers = {
        layer: [f"'modprobe {layer.lower()}' returned with exit code 1"]
        for layer in all_layers
        if layer not in node.layers
    }
    return compact(
        name=node.name,
        type=node.node_type,
        flags=sorted(node.flags),
        props=dict(node.props),
        net_interfaces=[
            {
                "name": "default",
                "address": node.address,
                "satellite_port": 3366,
                "satellite_encryption_type": "PLAIN",
                "is_active": True,
                "uuid": node.uuid[:-4] + "0001",
            }
        ],
        connection_status="ONLINE" if node.online else "OFFLINE",
        uuid=node.uuid,
        storage_providers=list(STORAGE_PROVIDERS),
        resource_layers=list(node.layers),
        unsupported_providers=dict(_UNSUPPORTED_PROVIDERS),
        unsupported_layers=unsupported_layers,
    )


def render_storage_pool(pool: StoragePool) -> JsonDict:
    traits = {"SupportsSnapshots": "true" if pool.provider_kind in _SNAPSHOT_CAPABLE else "false"}
    if not pool.diskless:
        traits = {"Provisioning": "Thin" if pool.thin else "Fat", **traits}
    free: int | None = None
    total: int | None = None
    reports: list[JsonDict] = []
    if pool.node.online:
        free = INT64_MAX if pool.diskless else pool.free_kib
        total = INT64_MAX if pool.diskless else pool.total_kib
    else:
        reports.append(
            compact(
                ret_code=rc.to_signed(rc.WARN_NOT_CONNECTED),
                message=f"No active connection to satellite '{pool.node.name}'",
                details=NOT_CONNECTED_DETAILS,
            )
        )
    return compact(
        storage_pool_name=pool.name,
        node_name=pool.node.name,
        provider_kind=pool.provider_kind,
        props=dict(pool.props),
        static_traits=traits,
        free_capacity=free,
        total_capacity=total,
        free_space_mgr_name=pool.shared_space or f"{pool.node.name}:{pool.name}",
        uuid=pool.uuid,
        reports=reports,
        supports_snapshots=traits["SupportsSnapshots"] == "true",
        shared_space=pool.shared_space,
        external_locking=False,
    )


def render_pool_definition(spd: StoragePoolDefinition) -> JsonDict:
    return compact(storage_pool_name=spd.name, props=dict(spd.props))


def render_select_filter(select_filter: dict[str, Any]) -> JsonDict:
    return compact(**select_filter)


def render_resource_group(group: ResourceGroup) -> JsonDict:
    out = compact(
        name=group.name,
        description=group.description,
        props=dict(group.props),
        uuid=group.uuid,
        peer_slots=group.peer_slots,
    )
    out["select_filter"] = render_select_filter(group.select_filter)
    return out


def render_volume_group(vg: VolumeGroup) -> JsonDict:
    return compact(
        volume_number=vg.number, props=dict(vg.props), uuid=vg.uuid, flags=sorted(vg.flags)
    )


def render_volume_definition(rd: ResourceDefinition, vd: VolumeDefinition) -> JsonDict:
    layer_data: list[JsonDict] = []
    for layer in rd.layer_stack:
        if layer == "DRBD":
            data = {"volume_number": vd.number, "minor_number": vd.minor}
            layer_data.append({"type": "DRBD", "data": data})
        else:
            layer_data.append({"type": layer})
    return compact(
        volume_number=vd.number,
        size_kib=vd.size_kib,
        props=dict(vd.props),
        flags=sorted(vd.flags),
        layer_data=layer_data,
        uuid=vd.uuid,
    )


def _drbd_rd_data(rd: ResourceDefinition) -> JsonDict:
    return {
        "peer_slots": rd.peer_slots,
        "al_stripes": 1,
        "al_stripe_size_kib": 32,
        "transport_type": rd.transport,
        "secret": rd.secret,
        "down": False,
    }


def render_resource_definition(rd: ResourceDefinition, *, with_volumes: bool = False) -> JsonDict:
    layer_data: list[JsonDict] = []
    for layer in rd.layer_stack:
        if layer == "DRBD":
            layer_data.append({"type": "DRBD", "data": _drbd_rd_data(rd)})
        else:
            layer_data.append({"type": layer})
    vds = [render_volume_definition(rd, vd) for _, vd in sorted(rd.volume_definitions.items())]
    return compact(
        name=rd.name,
        external_name=rd.external_name,
        props=dict(rd.props),
        flags=sorted(rd.flags),
        layer_data=layer_data,
        uuid=rd.uuid,
        resource_group_name=rd.group.name,
        volume_definitions=vds if with_volumes else None,
    )


def shown_flags(resource: Resource, w: float) -> list[str]:
    """Resource flags including the transitional ones derived from the pending operation."""
    flags = set(resource.flags)
    if resource.op in ("disk_add", "disk_remove"):
        flags -= {DISK_ADD_REQUESTED, DISK_REMOVE_REQUESTED}
        applied = w >= resource.op_applied_w
        if resource.op == "disk_add":
            flags |= {DISKLESS, DRBD_DISKLESS}
            flags.add(DISK_ADDING if applied and resource.failure is None else DISK_ADD_REQUESTED)
        else:
            flags.add(
                DISK_REMOVING if applied and resource.failure is None else DISK_REMOVE_REQUESTED
            )
    order = [DISKLESS, DRBD_DISKLESS]
    return [f for f in order if f in flags] + sorted(flags - set(order))


def storage_device(resource: Resource, volume: Volume) -> str | None:
    """Backing device path of a diskful volume, following the pool's provider conventions."""
    if resource.diskless:
        return None
    pool = volume.pool
    base = pool.props.get("StorDriver/StorPoolName", "linstor_vg")
    leaf = f"{resource.rd.name}_{volume.number:05d}"
    if pool.provider_kind.startswith("LVM"):
        return f"/dev/{base.split('/')[0]}/{leaf}"
    if pool.provider_kind.startswith("ZFS"):
        return f"/dev/zvol/{base}/{leaf}"
    minor = resource.rd.volume_definitions[volume.number].minor
    return f"/dev/loop{minor - 1000}"


def _luks_device(resource: Resource, volume: Volume) -> str | None:
    if "LUKS" not in resource.layer_list or resource.diskless:
        return None
    return f"/dev/mapper/{resource.rd.name}_{volume.number:05d}"


def _top_device(resource: Resource, volume: Volume) -> str | None:
    """The device applications use: DRBD's, else LUKS', else the backing device."""
    if "DRBD" in resource.layer_list:
        return f"/dev/drbd{resource.rd.volume_definitions[volume.number].minor}"
    return _luks_device(resource, volume) or storage_device(resource, volume)


def _layer_volume(
    layer: str, resource: Resource, volume: Volume, shown_state: str | None
) -> JsonDict:
    """One volume's data in a layer (``DrbdVolume``, LUKS volume, ``StorageVolume``)."""
    sizes = volume.sizes
    backing = storage_device(resource, volume)
    if layer == "DRBD":
        backing = _luks_device(resource, volume) or backing
        vd = resource.rd.volume_definitions[volume.number]
        return compact(
            drbd_volume_definition={"volume_number": vd.number, "minor_number": vd.minor},
            device_path=f"/dev/drbd{vd.minor}",
            backing_device=backing,
            meta_disk="internal" if backing else None,
            allocated_size_kib=sizes.drbd_allocated_kib,
            usable_size_kib=sizes.usable_kib,
            disk_state=shown_state,
        )
    if layer == "LUKS":
        return compact(
            volume_number=volume.number,
            device_path=_luks_device(resource, volume),
            backing_device=backing,
            allocated_size_kib=sizes.storage_usable_kib,
            usable_size_kib=sizes.storage_usable_kib - 16384,
            opened=True,
        )
    return compact(
        volume_number=volume.number,
        device_path=backing,
        allocated_size_kib=sizes.storage_allocated_kib,
        usable_size_kib=sizes.storage_usable_kib,
        disk_state="[]" if backing else None,
    )


_LAYER_KEYS = {"DRBD": ("drbd", "drbd_volumes"), "LUKS": ("luks", "luks_volumes")}


def _layer_object(
    resource: Resource, w: float, peers: list[sat.Peer], up: bool, states: dict[int, str]
) -> JsonDict:
    stack = [layer for layer in resource.layer_list if layer in ("DRBD", "LUKS", "STORAGE")]
    if not stack or stack[-1] != "STORAGE":
        stack.append("STORAGE")
    """The ``layer_object`` tree, top layer first, each with its lower layer as child."""
    volumes = sorted(resource.volumes.values(), key=lambda v: v.number)
    lower: JsonDict | None = None
    for layer in reversed(stack):
        if layer == "STORAGE":
            data: JsonDict = {
                "storage_volumes": [_layer_volume(layer, resource, v, None) for v in volumes]
            }
            current: JsonDict = {"type": "STORAGE", "storage": data}
        else:
            key, list_key = _LAYER_KEYS[layer]
            layer_volumes = [
                _layer_volume(layer, resource, v, states.get(v.number)) for v in volumes
            ]
            data = {list_key: layer_volumes}
            if layer == "DRBD":
                data = _drbd_resource(resource, w, peers, up, layer_volumes)
            current = {"type": layer, key: data}
        if lower is not None:
            current = {"children": [lower], **current}
        lower = current
    assert lower is not None
    return lower


def _drbd_resource(
    resource: Resource, w: float, peers: list[sat.Peer], up: bool, drbd_volumes: list[JsonDict]
) -> JsonDict:
    drbd_flags = ["DISKLESS"] if resource.diskless else []
    out = compact(
        drbd_resource_definition=_drbd_rd_data(resource.rd),
        node_id=resource.node_id,
        tcp_ports=[resource.tcp_port],
        peer_slots=resource.rd.peer_slots,
        al_stripes=1,
        al_size=32,
        flags=drbd_flags,
        drbd_volumes=drbd_volumes,
    )
    if up:
        out["connections"] = {
            p.resource.node.name: (
                {"connected": True, "message": "Connected"}
                if sat.connected(resource, w, p.resource, p.w)
                else {"connected": False, "message": "Connecting"}
            )
            for p in sorted(peers, key=lambda p: p.resource.node.key)
        }
        if not out["connections"]:
            del out["connections"]
        out["promotion_score"] = sat.promotion_score(resource, w, peers)
        out["may_promote"] = sat.may_promote(resource, w, peers)
    return out


def _volume_reports(resource: Resource) -> list[JsonDict]:
    if resource.failure is None:
        return []
    return [
        compact(
            ret_code=rc.make_ret_code(rc.FAIL_UNKNOWN_ERROR, obj=rc.MASK_VLM),
            message=f"({resource.node.name}) {resource.failure}",
            error_report_ids=list(resource.failure_report_ids),
        )
    ]


def render_resource(resource: Resource, now: float, *, with_volumes: bool) -> JsonDict:
    """A ``Resource`` (or ``ResourceWithVolumes``) including the satellite's current state."""
    w = sat.work(resource.node, now)
    peers = sat.peers_of(resource, now)
    reported = sat.is_reported(resource, w)
    active = INACTIVE not in resource.flags
    up = reported and active and w >= resource.connect_w
    states: dict[int, str] = {}
    if reported and active:
        states = {n: sat.disk_state(resource, v, w) for n, v in resource.volumes.items()}
    out = compact(
        name=resource.rd.name,
        node_name=resource.node.name,
        props=dict(resource.props),
        flags=shown_flags(resource, w),
        layer_object=_layer_object(resource, w, peers, up, states),
    )
    if reported:
        # the controller keeps an empty ResourceState object for inactive resources
        out["state"] = {"in_use": resource.in_use} if active else {}
    out["uuid"] = resource.uuid
    out["create_timestamp"] = resource.create_ms
    if with_volumes:
        out["volumes"] = [
            _render_volume(resource, volume, w, peers, states.get(volume.number))
            for _, volume in sorted(resource.volumes.items())
        ]
    return out


def _render_volume(
    resource: Resource, volume: Volume, w: float, peers: list[sat.Peer], state: str | None
) -> JsonDict:
    layer_data = []
    for layer in resource.layer_list:
        if layer in ("DRBD", "LUKS", "STORAGE"):
            data = _layer_volume(layer, resource, volume, state if layer == "DRBD" else None)
            layer_data.append({"type": layer, "data": data})
    volume_state: JsonDict | None = None
    if state is not None:
        replication = {
            p.resource.node.name: sat.replication_state(resource, volume, w, p)
            for p in sorted(peers, key=lambda p: p.resource.node.key)
        }
        volume_state = compact(disk_state=state, replication_states=replication)
    return compact(
        volume_number=volume.number,
        storage_pool_name=volume.pool.name,
        provider_kind=volume.pool.provider_kind,
        device_path=_top_device(resource, volume),
        allocated_size_kib=volume.sizes.storage_allocated_kib,
        props=dict(volume.props),
        flags=sorted(volume.flags | ({DELETE} if resource.deleting else set())),
        state=volume_state,
        layer_data_list=layer_data,
        uuid=volume.uuid,
        reports=_volume_reports(resource),
    )
