"""Autoplace and make-available: where the autoplacer decides which nodes get replicas."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _autoplacer as ap
from aiolinstor.emulator._model import (
    DELETE,
    DISKLESS,
    DRBD_DISKLESS,
    INACTIVE,
    Resource,
    ResourceDefinition,
)
from aiolinstor.emulator._rc import Answer, ApiFailure
from aiolinstor.emulator._spec import DISKLESS_POOL_NAME
from aiolinstor.emulator._state_lookups import pool_info
from aiolinstor.emulator._state_resources import ResourceOps

DEFAULT_PLACE_COUNT = 2


def merge_filters(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Request values win over the resource group's; unset (null/empty) ones are inherited."""
    merged = {k: v for k, v in base.items() if v is not None}
    for key, value in override.items():
        if value is None or value == [] or value == {}:
            continue
        merged[key] = value
    if merged.get("storage_pool") and not merged.get("storage_pool_list"):
        merged["storage_pool_list"] = [merged["storage_pool"]]
    return merged


class PlacementOps(ResourceOps):
    """Autoplace (also used by spawn) and make-available."""

    def autoplace(self, rsc: str, body: Mapping[str, Any]) -> tuple[Answer, list[Resource]]:
        """POST .../autoplace (top-level diskless_on_remaining / layer_list win over the filter)."""
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC, {"RscDfn": rsc})
        rd = self.rd_or_fail(rsc, answer)
        request = dict(body.get("select_filter") or {})
        if "diskless_on_remaining" in body:
            request["diskless_on_remaining"] = bool(body["diskless_on_remaining"])
        if body.get("layer_list"):
            request["layer_stack"] = list(body["layer_list"])
        return answer, self.place(rd, merge_filters(rd.group.select_filter, request), answer)

    def _excluded_nodes(
        self, rd: ResourceDefinition, select_filter: Mapping[str, Any], answer: Answer
    ) -> set[str]:
        """Nodes that may not get a replica: hosts of this RD (diskless ones excepted) and of
        ``not_place_with_rsc`` / ``not_place_with_rsc_regex``."""
        excluded = {key for key, r in rd.resources.items() if not r.diskless or r.deleting}
        for name in select_filter.get("not_place_with_rsc") or []:
            other = self.resource_definitions.get(str(name).upper())
            if other is not None and other is not rd:
                excluded.update(other.resources)
        pattern = select_filter.get("not_place_with_rsc_regex")
        if pattern:
            try:
                regex = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                answer.fail(
                    rc.FAIL_INVLD_REQUEST, f"Invalid not_place_with_rsc_regex '{pattern}': {exc}"
                )
            for other in self.resource_definitions.values():
                if other is not rd and regex.fullmatch(other.name):
                    excluded.update(other.resources)
        return excluded

    def place(
        self, rd: ResourceDefinition, select_filter: Mapping[str, Any], answer: Answer
    ) -> list[Resource]:
        """Run the autoplacer with a merged filter and register the chosen replicas."""
        if select_filter.get("diskless_type"):
            return self._place_diskless(rd, select_filter, answer)
        diskful = [r for r in rd.live_resources() if r.diskful]
        place_count = select_filter.get("place_count") or DEFAULT_PLACE_COUNT
        if place_count < 1:
            answer.fail(rc.FAIL_INVLD_PLACE_COUNT, f"Invalid place count {place_count}.")
        additional = select_filter.get("additional_place_count") or 0
        count = additional if additional > 0 else place_count - len(diskful)
        dless_on_remaining = bool(select_filter.get("diskless_on_remaining"))
        created: list[Resource] = []
        if count <= 0:
            answer.add(
                rc.WARN_RSC_ALREADY_DEPLOYED,
                f"Resource '{rd.name}' was already deployed on {len(diskful)} nodes. Skipping.",
                details=f"Place count {place_count}; "
                + ("an extra replica would have to be deleted." if count < 0 else "nothing to do."),
            )
            if not dless_on_remaining:
                return []
        stack = self.check_layers(list(select_filter.get("layer_stack") or rd.layer_stack), answer)
        if count > 0:
            created = self._place_diskful(rd, select_filter, stack, count, answer)
        if dless_on_remaining:
            created += self._diskless_on_remaining(rd, stack, answer)
        return created

    def _place_diskful(
        self,
        rd: ResourceDefinition,
        select_filter: Mapping[str, Any],
        stack: list[str],
        count: int,
        answer: Answer,
    ) -> list[Resource]:
        excluded = self._excluded_nodes(rd, select_filter, answer)
        needed_layers = [layer for layer in stack if layer != "STORAGE"]
        pools = [
            pool_info(pool)
            for node in self.nodes.values()
            if node.online and not node.flags & {DELETE, "EVACUATE"} and node.key not in excluded
            and all(layer in node.layers for layer in needed_layers)
            for pool in node.pools.values()
            if not pool.diskless
        ]  # fmt: skip
        existing = [r for r in rd.live_resources() if r.diskful]
        request = ap.Request(
            count=count,
            size_kib=sum(vd.size_kib for vd in rd.volume_definitions.values()),
            storage_pools=list(select_filter.get("storage_pool_list") or []),
            provider_list=list(select_filter.get("provider_list") or []),
            node_names=list(select_filter.get("node_name_list") or []),
            excluded_nodes=excluded,
            replicas_on_same=list(select_filter.get("replicas_on_same") or []),
            replicas_on_different=list(select_filter.get("replicas_on_different") or []),
            x_replicas_on_different=dict(select_filter.get("x_replicas_on_different_map") or {}),
            existing_node_props=[r.node.props for r in existing],
            existing_kinds={v.pool.provider_kind for r in existing for v in r.volumes.values()},
            allow_mixing=self.controller_props.get("AllowMixingStoragePoolDriver", "false").lower()
            == "true",
            controller_props=self.controller_props,
        )
        chosen = ap.select(pools, request)
        if chosen is None:
            not_place_with = [rd.name, *(select_filter.get("not_place_with_rsc") or [])]
            answer.fail(
                rc.FAIL_NOT_ENOUGH_NODES,
                "Not enough available nodes",
                details=ap.explain_failure(request, rd.name, not_place_with),
            )
        had_data = bool(existing) and bool(rd.volume_definitions)
        created: list[Resource] = []
        try:
            for info in chosen:
                node = self.nodes[info.node_name.upper()]
                existing_diskless = rd.resources.get(node.key)
                if existing_diskless is not None:
                    self.add_disk(existing_diskless, info.pool_name, answer)
                    continue
                pool = node.pools[info.pool_name.upper()]
                created.append(
                    self.new_resource(rd, node, pool, answer, flags=set(), props={}, layers=stack)
                )
        except ApiFailure:
            for resource in created:
                self.remove_resource(resource)
            raise
        self.schedule_deploy(rd, created, had_data=had_data)
        used = ", ".join(f"'{p.node_name} ({p.pool_name})'" for p in chosen)
        refs = {"RscDfn": rd.name}
        for index, info in enumerate(chosen):
            refs[f"Node/{index}"] = info.node_name
            refs[f"StoragePool/{index}/0"] = f"{info.pool_name},{info.provider_kind}"
        answer.add(
            rc.CREATED,
            f"Resource '{rd.name}' successfully autoplaced on {len(chosen)} nodes",
            details=f"Used nodes (storage pool name): {used}",
            refs=refs,
        )
        self.fail_resources(answer, created)
        return created

    def _diskless_on_remaining(
        self, rd: ResourceDefinition, stack: list[str], answer: Answer
    ) -> list[Resource]:
        created = []
        for node in sorted(self.nodes.values(), key=lambda n: n.key):
            if node.key in rd.resources or DELETE in node.flags or not node.online:
                continue
            pool = node.pools.get(DISKLESS_POOL_NAME.upper())
            if pool is None:
                continue
            flags = {DISKLESS, DRBD_DISKLESS} if rd.has_drbd else {DISKLESS}
            created.append(
                self.new_resource(rd, node, pool, answer, flags=flags, props={}, layers=stack)
            )
        self.schedule_deploy(rd, created, had_data=True)
        self.fail_resources(answer, created)
        return created

    def _place_diskless(
        self, rd: ResourceDefinition, select_filter: Mapping[str, Any], answer: Answer
    ) -> list[Resource]:
        """``diskless_type`` set: place diskless replicas (on nodes with a diskless pool)."""
        existing = [r for r in rd.live_resources() if r.diskless]
        place_count = select_filter.get("place_count") or DEFAULT_PLACE_COUNT
        additional = select_filter.get("additional_place_count") or 0
        count = additional if additional > 0 else place_count - len(existing)
        if count <= 0:
            answer.add(
                rc.WARN_RSC_ALREADY_DEPLOYED,
                f"Resource '{rd.name}' was already deployed on {len(existing)} nodes. Skipping.",
            )
            return []
        wanted_pools = {p.upper() for p in select_filter.get("storage_pool_diskless_list") or []}
        wanted_nodes = {n.upper() for n in select_filter.get("node_name_list") or []}
        excluded = self._excluded_nodes(rd, select_filter, answer) | set(rd.resources)
        created: list[Resource] = []
        for node in sorted(self.nodes.values(), key=lambda n: n.key):
            if len(created) == count:
                break
            if (
                not node.online
                or node.key in excluded
                or (wanted_nodes and node.key not in wanted_nodes)
            ):
                continue
            pools = [
                p
                for p in node.pools.values()
                if p.diskless and (not wanted_pools or p.key in wanted_pools)
            ]
            if pools:
                flags = {DISKLESS, DRBD_DISKLESS} if rd.has_drbd else {DISKLESS}
                created.append(self.new_resource(rd, node, pools[0], answer, flags=flags, props={}))
        if len(created) < count:
            for resource in created:
                self.remove_resource(resource)
            answer.fail(
                rc.FAIL_NOT_ENOUGH_NODES, "Not enough available nodes for diskless placement"
            )
        self.schedule_deploy(rd, created, had_data=True)
        return created

    def make_available(
        self, rsc: str, node_name: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Resource]]:
        """POST .../make-available: create (diskless if possible) only when missing."""
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC, {"RscDfn": rsc, "Node": node_name})
        rd = self.rd_or_fail(rsc, answer)
        node = self.node_or_fail(node_name, answer)
        diskful = bool(body.get("diskful"))
        existing = rd.resources.get(node.key)
        layers = list(body.get("layer_list") or rd.layer_stack)
        if existing is not None and not existing.deleting:
            if INACTIVE in existing.flags:
                sub, _ = self.set_active(rd.name, node.name, True)
                answer.extend(sub)
            elif diskful and existing.diskless:
                self.add_disk(existing, None, answer)
                return answer, [existing]
            else:
                answer.add(
                    rc.INFO_NOOP,
                    f"Resource '{rd.name}' is already available on node '{node.name}'.",
                )
            return answer, []
        has_disk_peer = any(r.diskful for r in rd.live_resources())
        if not diskful and has_disk_peer:
            pool = self.resolve_pool(rd, node, None, diskless=True, answer=answer)
            flags = {DISKLESS, DRBD_DISKLESS} if rd.has_drbd else {DISKLESS}
            stack = self.check_layers(layers, answer, node)
            resource = self.new_resource(
                rd, node, pool, answer, flags=flags, props={}, layers=stack
            )
            self.schedule_deploy(rd, [resource], had_data=True)
            self.fail_resources(answer, [resource])
            return answer, [resource]
        select_filter = merge_filters(
            rd.group.select_filter,
            {
                "node_name_list": [node.name],
                "additional_place_count": 1,
                "layer_stack": layers,
                "diskless_on_remaining": False,
            },
        )
        wanted = self.storage_pool_prop(rd, node, {})
        if wanted:
            select_filter["storage_pool_list"] = [wanted]
        return answer, self.place(rd, select_filter, answer)
