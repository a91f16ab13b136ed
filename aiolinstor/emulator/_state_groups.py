"""Operations on resource groups, volume groups, and spawn (RD + VDs + autoplace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor.emulator._model import Resource, ResourceGroup, VolumeGroup
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer, ApiFailure
from aiolinstor.emulator._state_core import DEFAULT_RESOURCE_GROUP
from aiolinstor.emulator._state_definitions import DefinitionOps
from aiolinstor.emulator._state_lookups import name_problem
from aiolinstor.emulator._state_placement import PlacementOps, merge_filters

_VG_FLAGS = {"ENCRYPTED", "GROSS_SIZE"}


class GroupOps(PlacementOps, DefinitionOps):
    """Resource groups, their volume groups, and spawning resources from them."""

    def _check_filter(self, select_filter: Mapping[str, Any], answer: Answer) -> dict[str, Any]:
        place_count = select_filter.get("place_count")
        if place_count is not None and place_count < 1:
            answer.fail(
                rc.FAIL_INVLD_PLACE_COUNT, f"Invalid place count {place_count}: must be at least 1."
            )
        if select_filter.get("layer_stack"):
            self.check_layers(list(select_filter["layer_stack"]), answer)
        return {k: v for k, v in select_filter.items() if v is not None}

    def create_resource_group(self, body: Mapping[str, Any]) -> Answer:
        name = body.get("name") or ""
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC_GRP, {"RscGrp": name})
        problem = name_problem(_names.check_resource_group_name, name)
        if problem:
            answer.fail(
                rc.FAIL_INVLD_RSC_GRP_NAME,
                f"The specified resource group name '{name}' is invalid.",
                cause=problem,
            )
        if name.upper() in self.resource_groups:
            answer.fail(
                rc.FAIL_EXISTS_RSC_GRP,
                f"A resource group with the name '{name}' already exists.",
                details=f"Resource group: {name}",
            )
        group = ResourceGroup(
            name=name,
            uuid=self.new_uuid(),
            description=body.get("description") or "",
            props=dict(body.get("props") or {}),
            select_filter=self._check_filter(body.get("select_filter") or {}, answer),
            peer_slots=body.get("peer_slots"),
        )
        self.resource_groups[group.key] = group
        answer.add(
            rc.CREATED,
            f"New resource group '{name}' created.",
            details=f"Resource group '{name}' UUID is: {group.uuid}",
            refs={"UUID": group.uuid},
        )
        return answer

    def modify_resource_group(self, name: str, body: Mapping[str, Any]) -> Answer:
        answer = Answer(rc.MASK_MOD, rc.MASK_RSC_GRP, {"RscGrp": name})
        group = self.rg_or_fail(name, answer)
        if body.get("description") is not None:
            group.description = body["description"]
        if body.get("select_filter") is not None:
            update = self._check_filter(body["select_filter"], answer)
            for key, value in update.items():
                if value == [] or value == {}:
                    group.select_filter.pop(key, None)
                else:
                    group.select_filter[key] = value
        if body.get("peer_slots") is not None:
            group.peer_slots = body["peer_slots"]
        modify_props(
            group.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Resource group '{group.name}' modified.",
            details=f"Resource group '{group.name}' UUID is: {group.uuid}",
        )
        return answer

    def delete_resource_group(self, name: str) -> Answer:
        answer = Answer(rc.MASK_DEL, rc.MASK_RSC_GRP, {"RscGrp": name})
        group = self.resource_groups.get(name.upper())
        if group is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of resource group '{name}' had no effect.",
                details=f"Resource group '{name}' does not exist.",
            )
            return answer
        if group.key == DEFAULT_RESOURCE_GROUP.upper():
            answer.fail(
                rc.FAIL_INVLD_RSC_GRP_NAME,
                f"The default resource group '{group.name}' cannot be deleted.",
            )
        if group.definitions:
            names = sorted(self.resource_definitions[k].name for k in group.definitions)
            answer.fail(
                rc.FAIL_EXISTS_RSC_DFN,
                f"Cannot delete resource group '{group.name}' because it has existing resource "
                "definitions.",
                details=f"Resource definitions: {', '.join(names)}",
            )
        del self.resource_groups[group.key]
        answer.add(
            rc.DELETED,
            f"Resource group '{group.name}' deleted.",
            details=f"Resource group '{group.name}' UUID was: {group.uuid}",
        )
        return answer

    # --- volume groups ----------------------------------------------------------------------

    def create_volume_group(self, rg: str, body: Mapping[str, Any]) -> Answer:
        answer = Answer(rc.MASK_CRT, rc.MASK_VLM_GRP, {"RscGrp": rg})
        group = self.rg_or_fail(rg, answer)
        number = body.get("volume_number")
        if number is None:
            number = next(n for n in range(65535) if n not in group.volume_groups)
        if not 0 <= number <= _names.MAX_VOLUME_NUMBER:
            answer.fail(rc.FAIL_INVLD_VLM_NR, f"The specified volume number {number} is invalid.")
        if number in group.volume_groups:
            answer.fail(
                rc.FAIL_EXISTS_VLM_GRP,
                f"A volume group with the number {number} already exists in resource group "
                f"'{group.name}'.",
            )
        flags = {str(f).upper() for f in body.get("flags") or []}
        if flags - _VG_FLAGS:
            answer.fail(
                rc.FAIL_INVLD_REQUEST, f"Unknown volume group flag(s): {sorted(flags - _VG_FLAGS)}"
            )
        vg = VolumeGroup(number, self.new_uuid(), dict(body.get("props") or {}), flags)
        group.volume_groups[number] = vg
        answer.add(
            rc.CREATED,
            f"New volume group with number '{number}' of resource group '{group.name}' created.",
            details=(
                f"Volume group with number '{number}' of resource group '{group.name}' UUID "
                f"is: {vg.uuid}"
            ),
            refs={"VlmNr": str(number)},
        )
        return answer

    def volume_group_or_fail(
        self, group: ResourceGroup, number: int, answer: Answer
    ) -> VolumeGroup:
        vg = group.volume_groups.get(number)
        if vg is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_VLM_GRP,
                f"Volume group with number '{number}' of resource group '{group.name}' not found.",
            )
        return vg

    def modify_volume_group(self, rg: str, number: int, body: Mapping[str, Any]) -> Answer:
        answer = Answer(rc.MASK_MOD, rc.MASK_VLM_GRP, {"RscGrp": rg, "VlmNr": str(number)})
        group = self.rg_or_fail(rg, answer)
        vg = self.volume_group_or_fail(group, number, answer)
        for flag in body.get("flags") or []:
            name = str(flag).lstrip("-").upper()
            if name not in _VG_FLAGS:
                answer.fail(rc.FAIL_INVLD_REQUEST, f"Unknown volume group flag '{flag}'.")
            (vg.flags.discard if str(flag).startswith("-") else vg.flags.add)(name)
        modify_props(
            vg.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Volume group with number '{number}' of resource group '{group.name}' modified.",
        )
        return answer

    def delete_volume_group(self, rg: str, number: int) -> Answer:
        answer = Answer(rc.MASK_DEL, rc.MASK_VLM_GRP, {"RscGrp": rg, "VlmNr": str(number)})
        group = self.rg_or_fail(rg, answer)
        if group.volume_groups.pop(number, None) is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of volume group with number '{number}' of resource group "
                f"'{group.name}' had no effect.",
            )
        else:
            answer.add(
                rc.DELETED,
                f"Volume group with number '{number}' of resource group '{group.name}' deleted.",
            )
        return answer

    # --- spawn ------------------------------------------------------------------------------

    def spawn(self, rg: str, body: Mapping[str, Any]) -> tuple[Answer, list[Resource]]:
        """Create an RD (and one VD per volume group/size) in the group, then autoplace it."""
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC_DFN)
        group = self.rg_or_fail(rg, answer)
        sizes = list(body.get("volume_sizes") or [])
        groups = sorted(group.volume_groups.values(), key=lambda vg: vg.number)
        partial = bool(body.get("partial"))
        if groups and (len(sizes) > len(groups) or (len(sizes) < len(groups) and not partial)):
            answer.fail(
                rc.FAIL_INVLD_VLM_SIZES,
                f"Resource group '{group.name}' has {len(groups)} volume groups, but {len(sizes)} "
                "volume sizes were given.",
                correction="Give one size per volume group, or spawn with partial=true.",
            )
        if any(size < 1 for size in sizes):
            answer.fail(
                rc.FAIL_INVLD_VLM_SIZE,
                f"Invalid volume sizes {sizes}: every size must be at least 1 KiB.",
            )
        rd_body: dict[str, Any] = {
            "name": body.get("resource_definition_name") or "",
            "external_name": body.get("resource_definition_external_name"),
            "resource_group_name": group.name,
            "props": dict(body.get("resource_definition_props") or {}),
        }
        try:
            step = self.create_resource_definition(
                {"resource_definition": rd_body, "drbd_peer_slots": body.get("peer_slots")}
            )
            answer.extend(step)
            rd = self.resource_definitions[step.entries[0]["obj_refs"]["RscDfn"].upper()]
            for index, size in enumerate(sizes):
                vg = groups[index] if groups else None
                vd_body = {
                    "volume_number": vg.number if vg else index,
                    "size_kib": size,
                    "props": dict(vg.props) if vg else {},
                    "flags": sorted(vg.flags) if vg else [],
                }
                step, _ = self.create_volume_definition(rd.name, {"volume_definition": vd_body})
                answer.extend(step)
            select_filter = merge_filters(group.select_filter, body.get("select_filter") or {})
            if body.get("definitions_only") or not select_filter.get("place_count"):
                answer.add(
                    rc.INFO_NO_RSC_SPAWNED,
                    f"Resource definition {rd.name} and {len(sizes)} volume definition(s) created "
                    "but no resources deployed",
                    refs={"RscDfn": rd.name},
                )
                return answer, []
            step = Answer(rc.MASK_CRT, rc.MASK_RSC, {"RscDfn": rd.name})
            resources = self.place(rd, select_filter, step)
            answer.extend(step)
            return answer, resources
        except ApiFailure as failure:
            answer.extend(failure.answer)
            raise ApiFailure(answer) from None
