"""Low-level REST calls for the controller, nodes, pools and (resource/volume) definitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor._api_base import (
    ApiBase,
    filters,
    modify_body,
    not_found,
    put_if,
    seg,
    str_list,
    str_map,
)
from aiolinstor._api_base import (
    size_kib as check_size_kib,
)
from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._errors import InputError
from aiolinstor._models import (
    ControllerVersion,
    NodeInfo,
    ResourceDefinitionInfo,
    ResourceGroupInfo,
    StoragePoolInfo,
    VolumeDefinitionInfo,
    VolumeGroupInfo,
)
from aiolinstor._models_parse import JsonReader

RD = "/v1/resource-definitions"
RG = "/v1/resource-groups"


def _select_filter(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InputError(f"select_filter must be a mapping with string keys, got {value!r}")
    return dict(value)


def _layers(value: Iterable[str] | None) -> list[str] | None:
    layers = str_list("layer_list", value)
    return None if layers is None else [layer.upper() for layer in layers]


class DefinitionsApi(ApiBase):
    """Controller, node, storage pool, resource group and definition endpoints."""

    # --- controller, nodes, storage pools -------------------------------------------------
    async def controller_version(self) -> ControllerVersion:
        """``GET /v1/controller/version`` (uncached; the Client caches and checks it)."""
        data = await self._get("/v1/controller/version")
        return ControllerVersion.from_json(data)

    async def list_nodes(self, nodes: Iterable[str] | None = None) -> list[NodeInfo]:
        """All nodes (or the given ones), ``GET /v1/nodes``."""
        return await self._get_list("/v1/nodes", NodeInfo.from_json, "nodes", filters(nodes=nodes))

    async def get_node(self, node: str) -> NodeInfo:
        """One node; NotFoundError when it does not exist."""
        node = _names.check_node_name(node)
        return await self._get_one(f"/v1/nodes/{seg(node)}", NodeInfo.from_json, "node")

    async def list_storage_pools(
        self,
        nodes: Iterable[str] | None = None,
        storage_pools: Iterable[str] | None = None,
    ) -> list[StoragePoolInfo]:
        """All storage pools of all (or the given) nodes, ``/v1/view/storage-pools``."""
        return await self._get_list(
            "/v1/view/storage-pools",
            StoragePoolInfo.from_json,
            "storage pools",
            filters(nodes=nodes, storage_pools=storage_pools),
        )

    # --- resource groups and volume groups ------------------------------------------------
    async def list_resource_groups(
        self, names: Iterable[str] | None = None
    ) -> list[ResourceGroupInfo]:
        """All resource groups (or the given ones)."""
        return await self._get_list(
            RG, ResourceGroupInfo.from_json, "resource groups", filters(resource_groups=names)
        )

    async def get_resource_group(self, name: str) -> ResourceGroupInfo:
        """One resource group; NotFoundError when it does not exist."""
        name = _names.check_resource_group_name(name)
        return await self._get_one(f"{RG}/{seg(name)}", ResourceGroupInfo.from_json, "group")

    async def create_resource_group(
        self,
        name: str,
        *,
        select_filter: Mapping[str, Any] | None = None,
        props: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> ApiCallRcList:
        """Create a resource group with an autoplace filter and properties."""
        body: dict[str, Any] = {"name": _names.check_resource_group_name(name)}
        put_if(body, "select_filter", _select_filter(select_filter))
        put_if(body, "props", str_map("props", props) or None)
        put_if(body, "description", description)
        return await self._call("POST", RG, body)

    async def modify_resource_group(
        self,
        name: str,
        *,
        select_filter: Mapping[str, Any] | None = None,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
        description: str | None = None,
        delete_namespaces: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Change a resource group's description, filter or properties."""
        name = _names.check_resource_group_name(name)
        body = modify_body(override_props, delete_props, delete_namespaces)
        put_if(body, "select_filter", _select_filter(select_filter))
        put_if(body, "description", description)
        return await self._call("PUT", f"{RG}/{seg(name)}", body)

    async def delete_resource_group(self, name: str) -> ApiCallRcList:
        """Delete a resource group (refused while definitions use it)."""
        name = _names.check_resource_group_name(name)
        return await self._call("DELETE", f"{RG}/{seg(name)}")

    async def list_volume_groups(self, rg: str) -> list[VolumeGroupInfo]:
        """The volume groups of resource group ``rg``."""
        rg = _names.check_resource_group_name(rg)
        return await self._get_list(
            f"{RG}/{seg(rg)}/volume-groups", VolumeGroupInfo.from_json, "volume groups"
        )

    async def create_volume_group(
        self,
        rg: str,
        *,
        volume_number: int | None = None,
        props: Mapping[str, str] | None = None,
        flags: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Add a volume group to resource group ``rg``."""
        rg = _names.check_resource_group_name(rg)
        body: dict[str, Any] = {}
        if volume_number is not None:
            body["volume_number"] = _names.check_volume_number(volume_number)
        put_if(body, "props", str_map("props", props) or None)
        put_if(body, "flags", str_list("flags", flags) or None)
        return await self._call("POST", f"{RG}/{seg(rg)}/volume-groups", body)

    async def modify_volume_group(
        self,
        rg: str,
        nr: int,
        *,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Set and delete properties of volume group ``nr`` of resource group ``rg``."""
        rg = _names.check_resource_group_name(rg)
        nr = _names.check_volume_number(nr)
        body = modify_body(override_props, delete_props)
        return await self._call("PUT", f"{RG}/{seg(rg)}/volume-groups/{nr}", body)

    async def delete_volume_group(self, rg: str, nr: int) -> ApiCallRcList:
        """Delete volume group ``nr`` of resource group ``rg``."""
        rg = _names.check_resource_group_name(rg)
        nr = _names.check_volume_number(nr)
        return await self._call("DELETE", f"{RG}/{seg(rg)}/volume-groups/{nr}")

    async def spawn_resource_definition(
        self,
        rg: str,
        name: str,
        volume_sizes_kib: Sequence[int],
        *,
        select_filter: Mapping[str, Any] | None = None,
        partial: bool = False,
        definitions_only: bool = False,
    ) -> ApiCallRcList:
        """Create a resource definition from a group (and autoplace it unless definitions only)."""
        rg = _names.check_resource_group_name(rg)
        if isinstance(volume_sizes_kib, (str, bytes)) or not isinstance(volume_sizes_kib, Sequence):
            raise InputError(
                f"volume_sizes_kib must be a list of KiB sizes, got {volume_sizes_kib!r}"
            )
        body: dict[str, Any] = {
            "resource_definition_name": _names.check_resource_name(name),
            "volume_sizes": [check_size_kib("volume_sizes_kib", s) for s in volume_sizes_kib],
            "partial": bool(partial),
            "definitions_only": bool(definitions_only),
        }
        put_if(body, "select_filter", _select_filter(select_filter))
        return await self._call("POST", f"{RG}/{seg(rg)}/spawn", body)

    # --- resource definitions -------------------------------------------------------------
    async def list_resource_definitions(
        self,
        names: Iterable[str] | None = None,
        *,
        with_volume_definitions: bool = False,
    ) -> list[ResourceDefinitionInfo]:
        """Resource definitions (all, or the given names); volume definitions on request."""
        params = list(filters(resource_definitions=names))
        if with_volume_definitions:
            params.append(("with_volume_definitions", "true"))
        return await self._get_list(
            RD, ResourceDefinitionInfo.from_json, "resource definitions", params
        )

    async def get_resource_definition(self, name: str) -> ResourceDefinitionInfo:
        """One resource definition with its volume definitions; NotFoundError when missing.

        Read through the filtered list endpoint, the one place every controller version fills in
        volume definitions.
        """
        name = _names.check_resource_name(name)
        found = await self.list_resource_definitions([name], with_volume_definitions=True)
        for rd in found:
            if rd.name.upper() == name.upper():
                return rd
        raise not_found(
            f"{RD}/{seg(name)}",
            rc.FAIL_NOT_FOUND_RSC_DFN,
            f"Resource definition '{name}' not found.",
        )

    async def create_resource_definition(
        self,
        name: str,
        *,
        resource_group: str | None = None,
        props: Mapping[str, str] | None = None,
        external_name: str | None = None,
        layer_list: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Create a resource definition (in ``resource_group``, else DfltRscGrp)."""
        rd: dict[str, Any] = {"name": _names.check_resource_name(name)}
        if resource_group is not None:
            rd["resource_group_name"] = _names.check_resource_group_name(resource_group)
        put_if(rd, "props", str_map("props", props) or None)
        put_if(rd, "external_name", external_name)
        layers = _layers(layer_list)
        if layers:
            rd["layer_data"] = [{"type": layer} for layer in layers]
        return await self._call("POST", RD, {"resource_definition": rd})

    async def modify_resource_definition(
        self,
        name: str,
        *,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
        delete_namespaces: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Set and delete properties of resource definition ``name``."""
        name = _names.check_resource_name(name)
        body = modify_body(override_props, delete_props, delete_namespaces)
        return await self._call("PUT", f"{RD}/{seg(name)}", body)

    async def delete_resource_definition(self, name: str) -> ApiCallRcList:
        """Delete a resource definition with its resources (refused with snapshots)."""
        name = _names.check_resource_name(name)
        return await self._call("DELETE", f"{RD}/{seg(name)}")

    async def sync_status(self, name: str) -> bool:
        """``synced_on_all``; beware: the controller counts unknown satellite state as synced."""
        name = _names.check_resource_name(name)
        path = f"{RD}/{seg(name)}/sync-status"
        data = await self._get(path)
        synced = JsonReader("ResourceDefinitionSyncStatus", data).flag("synced_on_all")
        return bool(synced)

    # --- volume definitions ---------------------------------------------------------------
    async def list_volume_definitions(self, rsc: str) -> list[VolumeDefinitionInfo]:
        """The volume definitions of resource definition ``rsc``."""
        rsc = _names.check_resource_name(rsc)
        return await self._get_list(
            f"{RD}/{seg(rsc)}/volume-definitions",
            VolumeDefinitionInfo.from_json,
            "volume definitions",
        )

    async def create_volume_definition(
        self,
        rsc: str,
        size_kib: int,
        *,
        volume_number: int | None = None,
        props: Mapping[str, str] | None = None,
        flags: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Add a volume definition of ``size_kib`` KiB to ``rsc``."""
        rsc = _names.check_resource_name(rsc)
        vd: dict[str, Any] = {"size_kib": check_size_kib("size_kib", size_kib)}
        if volume_number is not None:
            vd["volume_number"] = _names.check_volume_number(volume_number)
        put_if(vd, "props", str_map("props", props) or None)
        put_if(vd, "flags", str_list("flags", flags) or None)
        return await self._call(
            "POST", f"{RD}/{seg(rsc)}/volume-definitions", {"volume_definition": vd}
        )

    async def modify_volume_definition(
        self,
        rsc: str,
        nr: int,
        *,
        size_kib: int | None = None,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] | None = None,
    ) -> ApiCallRcList:
        """Resize (``size_kib``) and/or change properties of a volume definition."""
        rsc = _names.check_resource_name(rsc)
        nr = _names.check_volume_number(nr)
        body = modify_body(override_props, delete_props)
        if size_kib is not None:
            body["size_kib"] = check_size_kib("size_kib", size_kib)
        return await self._call("PUT", f"{RD}/{seg(rsc)}/volume-definitions/{nr}", body)

    async def delete_volume_definition(self, rsc: str, nr: int) -> ApiCallRcList:
        """Delete volume definition ``nr`` of ``rsc`` (on every replica)."""
        rsc = _names.check_resource_name(rsc)
        nr = _names.check_volume_number(nr)
        return await self._call("DELETE", f"{RD}/{seg(rsc)}/volume-definitions/{nr}")
