"""Operations on resource definitions and volume definitions (create, modify, resize, delete)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import (
    DELETE,
    Node,
    Resource,
    ResourceDefinition,
    VolumeDefinition,
    volume_sizes,
)
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._state_core import DEFAULT_RESOURCE_GROUP
from aiolinstor.emulator._state_lookups import Lookups

_VALID_CHAR = re.compile(r"[A-Za-z0-9_-]")
_REPLACEABLE = set(" !@#$%^&*()+=[]{}:;\"'<>?,./~")
_VD_FLAGS = {"ENCRYPTED", "GROSS_SIZE"}


def _translate_external_name(external: str) -> str | None:
    """Turn an external name into a valid resource name, character by character."""
    out = []
    for index, char in enumerate(external[:48]):
        inner = index >= 1
        if (
            ("a" <= char <= "z")
            or ("A" <= char <= "Z")
            or char == "_"
            or (inner and _VALID_CHAR.match(char))
        ):
            out.append(char)
        elif char in _REPLACEABLE:
            out.append("_")
        else:
            code = ord(char) % 52
            out.append(chr(ord("A") + code) if code < 26 else chr(ord("a") + code - 26))
    name = "".join(out)
    return name if _names.is_valid_resource_name(name) else None


class DefinitionOps(Lookups):
    """Resource definitions and volume definitions."""

    def generate_resource_name(self, external: str) -> str:
        """A resource name for an external name: a prefixed UUID, the name itself, a translation."""
        candidate: str | None = None
        truncated = external[:48]
        try:
            candidate = "LS_" + str(uuid.UUID(truncated)).upper()
        except ValueError:
            candidate = truncated if _names.is_valid_resource_name(truncated) else None
            if candidate is None:
                candidate = _translate_external_name(external)
        if candidate is None or candidate.upper() in self.resource_definitions:
            candidate = "LS_" + self.new_uuid()
        return candidate

    def create_resource_definition(self, body: Mapping[str, Any]) -> Answer:
        """POST /v1/resource-definitions (a ResourceDefinitionCreate body)."""
        rd_body = body.get("resource_definition") or {}
        name = rd_body.get("name") or ""
        external = rd_body.get("external_name") or None
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC_DFN)
        if external is not None and len(external.encode()) > 256:
            answer.fail(
                rc.FAIL_INVLD_RSC_NAME,
                f"The external name '{external[:64]}...' is longer than 256 bytes.",
            )
        if external is not None and external in self.external_names:
            answer.fail(
                rc.FAIL_EXISTS_EXT_NAME,
                f"A resource definition with the external name '{external}' already exists.",
                details=(
                    "Resource definition: "
                    f"{self.resource_definitions[self.external_names[external]].name}"
                ),
            )
        if not name and external:
            name = self.generate_resource_name(external)
        self.check_resource_name(name, answer)
        if name.upper() in self.resource_definitions:
            answer.fail(
                rc.FAIL_EXISTS_RSC_DFN,
                f"A resource definition with the name '{name}' already exists",
                cause="The ResourceDefinition already exists",
                details=f"Resource definition: {name}",
                refs={"RscDfn": name},
            )
        group = self.rg_or_fail(
            rd_body.get("resource_group_name") or DEFAULT_RESOURCE_GROUP, answer
        )
        layers = [item.get("type") or "" for item in rd_body.get("layer_data") or []]
        if not layers:
            layers = list(group.select_filter.get("layer_stack") or ["DRBD", "STORAGE"])
        stack = self.check_layers(layers, answer)
        peer_slots = body.get("drbd_peer_slots") or group.peer_slots or 7
        if not 1 <= peer_slots <= 31:
            answer.fail(
                rc.FAIL_INVLD_REQUEST,
                f"Invalid DRBD peer slot count {peer_slots}: must be 1 to 31.",
            )
        rd = ResourceDefinition(
            name=name,
            uuid=self.new_uuid(),
            group=group,
            secret=body.get("drbd_secret") or self.new_secret(),
            external_name=external,
            props=dict(rd_body.get("props") or {}),
            layer_stack=stack,
            peer_slots=peer_slots,
            transport=body.get("drbd_transport_type") or "IP",
        )
        self.resource_definitions[rd.key] = rd
        group.definitions.add(rd.key)
        if external is not None:
            self.external_names[external] = rd.key
        answer.add(
            rc.CREATED,
            f"New resource definition '{name}' created.",
            details=f"Resource definition '{name}' UUID is: {rd.uuid}",
            refs={"RscDfn": name, "UUID": rd.uuid},
        )
        return answer

    def modify_resource_definition(
        self, name: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_MOD, rc.MASK_RSC_DFN, {"RscDfn": name})
        rd = self.rd_or_fail(name, answer)
        if body.get("resource_group"):
            new_group = self.rg_or_fail(body["resource_group"], answer)
            rd.group.definitions.discard(rd.key)
            rd.group = new_group
            new_group.definitions.add(rd.key)
        if body.get("layer_stack"):
            if rd.resources:
                answer.fail(
                    rc.FAIL_INVLD_LAYER_STACK,
                    f"Cannot change the layer stack of resource definition '{rd.name}' which "
                    "has resources.",
                )
            rd.layer_stack = self.check_layers(body["layer_stack"], answer)
        if body.get("drbd_peer_slots"):
            rd.peer_slots = int(body["drbd_peer_slots"])
        modify_props(
            rd.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Resource definition '{rd.name}' modified.",
            details=f"Resource definition '{rd.name}' UUID is: {rd.uuid}",
        )
        return answer, self._update_satellites(answer, rd)

    def _update_satellites(self, answer: Answer, rd: ResourceDefinition) -> list[Node]:
        """Send an RD change to its satellites (see :meth:`reach`)."""
        return self.reach(answer, rd.resources.values())

    def delete_resource_definition(self, name: str) -> tuple[Answer, list[Resource]]:
        """Mark the RD and its resources for deletion; the flow waits and reports completion."""
        answer = Answer(rc.MASK_DEL, rc.MASK_RSC_DFN, {"RscDfn": name})
        rd = self.resource_definitions.get(name.upper())
        if rd is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of resource definition '{name}' had no effect.",
                details=f"Resource definition '{name}' does not exist.",
            )
            return answer, []
        in_use = [r.node.name for r in rd.resources.values() if r.in_use]
        if in_use:
            answer.fail(
                rc.FAIL_IN_USE,
                f"Resource '{rd.name}' is still in use.",
                cause=f"Resource is mounted/in use on node(s): {', '.join(in_use)}",
                correction="Un-mount resource and try again.",
            )
        if rd.extra.get("snapshots"):
            answer.fail(
                rc.FAIL_EXISTS_SNAPSHOT_DFN,
                f"Cannot delete resource definition '{rd.name}' because it has snapshots.",
                correction="Delete the snapshots first.",
            )
        rd.flags.add(DELETE)
        answer.add(
            rc.DELETED,
            f"Resource definition '{rd.name}' marked for deletion.",
            details=f"Resource definition '{rd.name}' UUID is: {rd.uuid}",
        )
        resources = list(rd.resources.values())
        for resource in resources:
            if resource.op != "delete":
                resource.flags.add(DELETE)
                self.start_op(resource, "delete", self.timing.delete_s)
        self.fail_resources(answer, resources)
        if not resources:
            self.remove_definition(rd)
            answer.add(
                rc.DELETED,
                f"Resource definition '{rd.name}' deleted.",
                details=f"Resource definition '{rd.name}' UUID was: {rd.uuid}",
            )
        return answer, resources

    # --- volume definitions -----------------------------------------------------------------

    def create_volume_definition(
        self, rsc: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Resource]]:
        """POST .../volume-definitions; existing resources get the new volume."""
        answer = Answer(rc.MASK_CRT, rc.MASK_VLM_DFN, {"RscDfn": rsc})
        rd = self.rd_or_fail(rsc, answer)
        vd_body = body.get("volume_definition") or {}
        number = vd_body.get("volume_number")
        if number is None:
            number = next(n for n in range(65535) if n not in rd.volume_definitions)
        if not 0 <= number <= _names.MAX_VOLUME_NUMBER:
            answer.fail(rc.FAIL_INVLD_VLM_NR, f"The specified volume number {number} is invalid.")
        if number in rd.volume_definitions:
            answer.fail(
                rc.FAIL_EXISTS_VLM_DFN,
                f"A volume definition with the number {number} already exists in resource "
                f"definition '{rd.name}'.",
            )
        size_kib = vd_body.get("size_kib")
        if size_kib is None or size_kib < 1:
            answer.fail(
                rc.FAIL_INVLD_VLM_SIZE, f"The specified volume size {size_kib} KiB is invalid."
            )
        flags = {str(f).upper() for f in vd_body.get("flags") or []}
        if flags - _VD_FLAGS:
            answer.fail(
                rc.FAIL_INVLD_REQUEST,
                f"Unknown volume definition flag(s): {sorted(flags - _VD_FLAGS)}",
            )
        wanted_minor = body.get("drbd_minor_number")
        minor = self.minors.take(wanted_minor)
        if minor is None:
            if wanted_minor is not None:
                answer.fail(
                    rc.FAIL_INVLD_MINOR_NR,
                    f"The specified minor number {wanted_minor} is invalid or in use.",
                )
            answer.fail(rc.FAIL_POOL_EXHAUSTED_MINOR_NR, "No free DRBD minor number left.")
        props = {"DrbdCurrentGi": self.new_hex(), **(vd_body.get("props") or {})}
        vd = VolumeDefinition(number, size_kib, minor, self.new_uuid(), props, flags)
        rd.volume_definitions[number] = vd
        answer.add(
            rc.CREATED,
            f"New volume definition with number '{number}' of resource definition '{rd.name}' "
            "created.",
            refs={"VlmNr": str(number)},
        )
        resources = [r for r in rd.resources.values() if not r.deleting]
        first_diskful = True
        for resource in sorted(resources, key=lambda r: r.node_id):
            pool = next(iter(resource.volumes.values())).pool if resource.volumes else None
            if pool is None:
                wanted = (
                    resource.props.get("StorPoolName")
                    if resource.diskless
                    else self.storage_pool_prop(rd, resource.node, resource.props)
                )
                pool = self.resolve_pool(
                    rd, resource.node, wanted, diskless=resource.diskless, answer=answer
                )
            volume = self.new_volume(resource, vd, pool)
            sync = not resource.diskless and not pool.thin and not first_diskful
            first_diskful = first_diskful and resource.diskless
            self.start_volume_deploy(resource, [volume], sync=sync)
        self.reach(answer, resources)
        return answer, resources

    def modify_volume_definition(
        self, rsc: str, number: int, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Resource]]:
        """PUT .../volume-definitions/{nr}: props, GROSS_SIZE flag, and resize (grow only)."""
        answer = Answer(rc.MASK_MOD, rc.MASK_VLM_DFN, {"RscDfn": rsc, "VlmNr": str(number)})
        rd = self.rd_or_fail(rsc, answer)
        vd = self.vd_or_fail(rd, number, answer)
        for flag in body.get("flags") or []:
            name = str(flag).lstrip("-").upper()
            if name not in _VD_FLAGS:
                answer.fail(rc.FAIL_INVLD_REQUEST, f"Unknown volume definition flag '{flag}'.")
            (vd.flags.discard if str(flag).startswith("-") else vd.flags.add)(name)
        modify_props(
            vd.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        size = body.get("size_kib")
        resized: list[Resource] = []
        if size is not None and size == vd.size_kib:
            answer.add(
                rc.WARN_VLMDFN_RESIZE_SAME_SIZE,
                f"Volume definition '{number}' of resource '{rd.name}' already has the size "
                f"{size} KiB.",
            )
        elif size is not None:
            resized = self._resize(rd, vd, size, answer)
        answer.add(
            rc.MODIFIED,
            f"Volume definition with number '{number}' of resource definition '{rd.name}' "
            "modified.",
            details=(
                f"Volume definition with number '{number}' of resource definition "
                f"'{rd.name}' UUID is: {vd.uuid}"
            ),
        )
        resources = list(rd.resources.values())
        self.reach(answer, resources)
        return answer, resized or resources

    def _resize(
        self, rd: ResourceDefinition, vd: VolumeDefinition, size: int, answer: Answer
    ) -> list[Resource]:
        if size < vd.size_kib:
            answer.fail(
                rc.FAIL_INVLD_VLM_SIZE,
                f"Shrinking volume {vd.number} of resource '{rd.name}' from {vd.size_kib} KiB to "
                f"{size} KiB is not supported by its storage layers.",
            )
        now = self.clock()
        diskful = [r for r in rd.live_resources() if not r.diskless and vd.number in r.volumes]
        lagging = [
            r.node.name
            for r in diskful
            if r.node.online
            and sat.disk_state(r, r.volumes[vd.number], sat.work(r.node, now)) != "UpToDate"
        ]
        if lagging:
            answer.fail(
                rc.FAIL_NOT_ALL_UPTODATE,
                f"Resize of resource '{rd.name}' not allowed: not all of its diskful replicas "
                "are UpToDate.",
                details=f"Not UpToDate on node(s): {', '.join(lagging)}",
            )
        delta = size - vd.size_kib
        for resource in diskful:
            self.require_space(resource.volumes[vd.number].pool, delta, rd, answer)
        old_size, vd.size_kib = vd.size_kib, size
        sync_work = self.timing.sync_s * delta / size
        for index, resource in enumerate(sorted(rd.live_resources(), key=lambda r: r.node_id)):
            volume = resource.volumes.get(vd.number)
            if volume is None:
                continue
            old = volume.sizes
            volume.pool.account(rd.key, old.storage_allocated_kib, old.storage_usable_kib, -1)
            volume.sizes = volume_sizes(
                size, diskless=volume.pool.diskless, thin=volume.pool.thin, peer_slots=rd.peer_slots
            )
            volume.pool.account(
                rd.key, volume.sizes.storage_allocated_kib, volume.sizes.storage_usable_kib, 1
            )
            if not resource.diskless and index > 0 and old_size < size:
                self.start_resync(resource, volume, sync_work)
        return diskful

    def delete_volume_definition(self, rsc: str, number: int) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_DEL, rc.MASK_VLM_DFN, {"RscDfn": rsc, "VlmNr": str(number)})
        rd = self.rd_or_fail(rsc, answer)
        vd = rd.volume_definitions.get(number)
        if vd is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of volume definition with number '{number}' of resource definition "
                f"'{rd.name}' had no effect.",
                details=(
                    f"Volume definition with number '{number}' of resource definition "
                    f"'{rd.name}' does not exist."
                ),
            )
            return answer, []
        in_use = [r.node.name for r in rd.resources.values() if r.in_use]
        if in_use:
            answer.fail(
                rc.FAIL_IN_USE, f"Resource '{rd.name}' is still in use on {', '.join(in_use)}."
            )
        text = f"Volume definition with number '{number}' of resource definition '{rd.name}'"
        answer.add(rc.DELETED, f"{text} marked for deletion.", details=f"{text} UUID is: {vd.uuid}")
        for resource in rd.resources.values():
            volume = resource.volumes.pop(number, None)
            if volume is not None:
                sizes = volume.sizes
                volume.pool.account(
                    rd.key, sizes.storage_allocated_kib, sizes.storage_usable_kib, -1
                )
        del rd.volume_definitions[number]
        self.minors.give_back(vd.minor)
        answer.add(rc.DELETED, f"{text} deleted.", details=f"{text} UUID was: {vd.uuid}")
        return answer, self._update_satellites(answer, rd)

    def sync_status(self, rsc: str) -> dict[str, bool]:
        """``synced_on_all``: diskful DRBD replicas all UpToDate (unknown counts as synced)."""
        answer = Answer()
        rd = self.rd_or_fail(rsc, answer)
        now = self.clock()
        synced = True
        if rd.has_drbd:
            for resource in rd.resources.values():
                w = sat.work(resource.node, now)
                if resource.diskless or not sat.is_reported(resource, w):
                    continue
                if any(
                    sat.disk_state(resource, v, w) != "UpToDate" for v in resource.volumes.values()
                ):
                    synced = False
        return {"synced_on_all": synced}
