"""Operations on resources: create (bulk), delete, modify, activate/deactivate, toggle-disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _satellites as sat
from aiolinstor.emulator._model import (
    DELETE,
    DISK_ADD_REQUESTED,
    DISK_REMOVE_REQUESTED,
    DISKLESS,
    DRBD_DISKLESS,
    INACTIVE,
    TIE_BREAKER,
    Node,
    Resource,
    ResourceDefinition,
    StoragePool,
)
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer, ApiFailure
from aiolinstor.emulator._state_lookups import (
    LAST_DISK_CAUSE,
    LAST_DISK_CORRECTION,
    LAST_DISK_MESSAGE,
    Lookups,
    is_last_disk,
)

_DISKLESS_FLAGS = {DISKLESS, DRBD_DISKLESS, "NVME_INITIATOR", "EBS_INITIATOR"}
_CREATE_FLAGS = _DISKLESS_FLAGS | {INACTIVE, TIE_BREAKER}
TOGGLE_OPERATIONS = ("INTO_DRBD_DISKFUL", "INTO_DRBD_DISKLESS", "INTO_DRBD_CLIENT")


class ResourceOps(Lookups):
    """Resources of a resource definition."""

    def create_resources(
        self, rsc: str, items: Sequence[Mapping[str, Any]], *, instant: bool = False
    ) -> tuple[Answer, list[Resource]]:
        """POST .../resources: register every item or none (a failing item rolls back the rest).

        ``instant`` skips the satellites' work (replicas are UpToDate at once), for set-ups.
        """
        answer = Answer(rc.MASK_CRT, rc.MASK_RSC, {"RscDfn": rsc})
        rd = self.rd_or_fail(rsc, answer)
        created: list[Resource] = []
        had_data = any(r.diskful and not r.deleting for r in rd.resources.values())
        try:
            for item in items:
                body = item.get("resource") or {}
                node = self.node_or_fail(body.get("node_name") or "", answer)
                resource = self._create_one(rd, node, item, answer)
                if resource is not None:
                    created.append(resource)
        except ApiFailure:
            for resource in created:
                self.remove_resource(resource)
            raise
        self.schedule_deploy(rd, created, had_data=had_data, instant=instant)
        self.fail_resources(answer, created)
        return answer, created

    def schedule_deploy(
        self,
        rd: ResourceDefinition,
        created: Sequence[Resource],
        *,
        had_data: bool,
        instant: bool = False,
    ) -> None:
        """Timelines of new replicas: thin initial replicas skip the resync, joiners resync."""
        first_diskful = True
        for resource in created:
            if instant:
                continue
            if resource.diskless or not resource.volumes:
                sync = False
            elif had_data:
                sync = True
            else:
                thin = all(v.pool.thin for v in resource.volumes.values())
                sync = not thin and not first_diskful
            if not resource.diskless:
                first_diskful = False
            self.start_deploy(resource, sync=sync)

    def _create_one(
        self, rd: ResourceDefinition, node: Node, item: Mapping[str, Any], answer: Answer
    ) -> Resource | None:
        body = item.get("resource") or {}
        flags = {str(f).upper() for f in body.get("flags") or []}
        if flags - _CREATE_FLAGS:
            answer.fail(
                rc.FAIL_INVLD_REQUEST,
                f"Unsupported resource flag(s): {sorted(flags - _CREATE_FLAGS)}",
            )
        diskless = bool(flags & _DISKLESS_FLAGS) or bool(item.get("drbd_client"))
        props = dict(body.get("props") or {})
        existing = rd.resources.get(node.key)
        if existing is not None and not existing.deleting:
            if existing.diskless and not diskless:
                self.add_disk(existing, props.get("StorPoolName"), answer)
                return None
            answer.add(
                rc.INFO_RSC_ALREADY_EXISTS,
                f"Resource '{rd.name}' on node '{node.name}' already exists.",
                details=f"Node: {node.name}, Resource: {rd.name}",
                refs={"Node": node.name},
            )
            return None
        if existing is not None:
            answer.fail(
                rc.FAIL_EXISTS_RSC,
                f"Resource '{rd.name}' on node '{node.name}' is still being deleted.",
                refs={"Node": node.name},
            )
        # inherited StorPoolName props name the diskful pool; a diskless replica only follows
        # an explicit one
        wanted = props.get("StorPoolName") if diskless else self.storage_pool_prop(rd, node, props)
        pool = self.resolve_pool(rd, node, wanted, diskless=diskless, answer=answer)
        if diskless and rd.has_drbd:
            flags |= {DISKLESS, DRBD_DISKLESS}
        layers = self.check_layers(list(item.get("layer_list") or rd.layer_stack), answer, node)
        tcp_ports = item.get("drbd_tcp_ports") or []
        return self.new_resource(
            rd,
            node,
            pool,
            answer,
            flags=flags,
            props=props,
            layers=layers,
            node_id=item.get("drbd_node_id"),
            port=tcp_ports[0] if tcp_ports else None,
        )

    def new_resource(
        self,
        rd: ResourceDefinition,
        node: Node,
        pool: StoragePool,
        answer: Answer,
        *,
        flags: set[str],
        props: dict[str, str],
        layers: list[str] | None = None,
        node_id: int | None = None,
        port: int | None = None,
    ) -> Resource:
        """Register one replica with its volumes (capacity checked) and the answer entries."""
        size = sum(vd.size_kib for vd in rd.volume_definitions.values())
        if not pool.diskless:
            self.require_space(pool, size, rd, answer)
        resource = Resource(
            rd=rd,
            node=node,
            uuid=self.new_uuid(),
            node_id=self.next_node_id(rd, node_id, answer),
            tcp_port=self.take_port(node, port, answer),
            create_ms=self.now_ms(),
            props={**props, "StorPoolName": pool.name},
            flags=set(flags),
            layer_list=list(layers or rd.layer_stack),
        )
        rd.resources[node.key] = resource
        node.resources[rd.key] = resource
        answer.add(
            rc.CREATED,
            f"New resource '{rd.name}' on node '{node.name}' registered.",
            details=f"Resource '{rd.name}' on node '{node.name}' UUID is: {resource.uuid}",
            refs={"UUID": resource.uuid},
        )
        for _, vd in sorted(rd.volume_definitions.items()):
            volume = self.new_volume(resource, vd, pool)
            answer.add(
                rc.CREATED,
                f"Volume with number '{vd.number}' on resource '{rd.name}' on node '{node.name}' "
                "successfully registered",
                details=f"Volume UUID is: {volume.uuid}",
                refs={"Node": node.name, "VlmNr": str(vd.number)},
                obj=rc.MASK_VLM,
            )
        return resource

    # --- delete / modify --------------------------------------------------------------------

    def delete_resource(self, rsc: str, node_name: str) -> tuple[Answer, list[Resource]]:
        answer = Answer(rc.MASK_DEL, rc.MASK_RSC, {"RscDfn": rsc, "Node": node_name})
        rd = self.rd_or_fail(rsc, answer)
        node = self.node_or_fail(node_name, answer)
        resource = rd.resources.get(node.key)
        if resource is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of resource '{rd.name}' on node '{node.name}' had no effect.",
                details=f"Resource '{rd.name}' on node '{node.name}' does not exist.",
            )
            return answer, []
        if resource.in_use:
            answer.fail(
                rc.FAIL_IN_USE,
                f"Resource '{rd.name}' is still in use.",
                cause=f"Resource is mounted/in use on node '{node.name}'.",
                correction="Un-mount resource and try again.",
            )
        if is_last_disk(resource):
            answer.fail(
                rc.FAIL_IN_USE,
                LAST_DISK_MESSAGE.format(rsc=rd.name),
                cause=LAST_DISK_CAUSE,
                correction=LAST_DISK_CORRECTION,
            )
        answer.add(
            rc.DELETED,
            f"Node: {node.name}, Resource: {rd.name} preparing for deletion.",
            details=f"Node: {node.name}, Resource: {rd.name} UUID is: {resource.uuid}",
        )
        if resource.op != "delete":
            resource.flags.add(DELETE)
            self.start_op(resource, "delete", self.timing.delete_s)
        self.fail_resources(answer, [resource])
        return answer, [resource]

    def modify_resource(
        self, rsc: str, node_name: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_MOD, rc.MASK_RSC, {"RscDfn": rsc, "Node": node_name})
        rd = self.rd_or_fail(rsc, answer)
        resource = self.resource_or_fail(rd, node_name, answer)
        modify_props(
            resource.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        if body.get("drbd_tiebreaker") is not None and resource.diskless:
            (resource.flags.add if body["drbd_tiebreaker"] else resource.flags.discard)(TIE_BREAKER)
        node = resource.node
        answer.add(
            rc.MODIFIED,
            f"Resource '{rd.name}' on node '{node.name}' modified.",
            details=f"Resource '{rd.name}' on node '{node.name}' UUID is: {resource.uuid}",
        )
        self.reach(answer, [resource])
        return answer, [r.node for r in rd.resources.values() if r.node.online]

    def modify_volume(
        self, rsc: str, node_name: str, number: int, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Node]]:
        answer = Answer(
            rc.MASK_MOD, rc.MASK_VLM, {"RscDfn": rsc, "Node": node_name, "VlmNr": str(number)}
        )
        rd = self.rd_or_fail(rsc, answer)
        resource = self.resource_or_fail(rd, node_name, answer)
        volume = resource.volumes.get(number)
        if volume is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_VLM,
                f"Volume with number '{number}' on resource '{rd.name}' on node "
                f"'{resource.node.name}' not found.",
            )
        modify_props(
            volume.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Volume with number '{number}' on resource '{rd.name}' on node "
            f"'{resource.node.name}' modified.",
        )
        return answer, self.notify_nodes(answer, [resource.node])

    # --- activate / deactivate --------------------------------------------------------------

    def set_active(self, rsc: str, node_name: str, active: bool) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_MOD, rc.MASK_RSC, {"RscDfn": rsc, "Node": node_name})
        rd = self.rd_or_fail(rsc, answer)
        resource = self.resource_or_fail(rd, node_name, answer)
        word = "activated" if active else "deactivated"
        if (INACTIVE not in resource.flags) == active:
            answer.add(rc.INFO_NOOP, f"Resource is already {word}. Noop")
            return answer, []
        if not active and resource.in_use:
            answer.fail(
                rc.FAIL_IN_USE,
                f"Resource '{rd.name}' is still in use on node '{resource.node.name}'.",
            )
        if active:
            resource.flags.discard(INACTIVE)
            w = sat.work(resource.node, self.clock())
            resource.connect_w = w + max(self.timing.apply_s, self.timing.deploy_s)
            self.transitions.add(resource)
        else:
            resource.flags.add(INACTIVE)
        answer.add(rc.MODIFIED, f"Resource '{rd.name}' on node '{resource.node.name}' {word}.")
        self.reach(answer, [resource])
        return answer, [r.node for r in rd.resources.values() if r.node.online]

    # --- toggle disk ------------------------------------------------------------------------

    def add_disk(self, resource: Resource, pool_name: str | None, answer: Answer) -> None:
        """Diskless -> diskful: take space in a pool, then attach and resync from the peers."""
        rd, node = resource.rd, resource.node
        if resource.op is not None:
            answer.fail(
                rc.FAIL_RSC_BUSY,
                f"Resource '{rd.name}' on node '{node.name}' is busy ({resource.op}).",
            )
        wanted = pool_name or self.storage_pool_prop(rd, node, {})
        if (
            wanted
            and node.pools.get(wanted.upper()) is not None
            and node.pools[wanted.upper()].diskless
        ):
            wanted = None
        pool = self.resolve_pool(rd, node, wanted, diskless=False, answer=answer)
        self.require_space(
            pool, sum(vd.size_kib for vd in rd.volume_definitions.values()), rd, answer
        )
        for number, volume in list(resource.volumes.items()):
            volume.pool.account(
                rd.key, volume.sizes.storage_allocated_kib, volume.sizes.storage_usable_kib, -1
            )
            del resource.volumes[number]
        resource.flags -= {DISKLESS, DRBD_DISKLESS, TIE_BREAKER}
        resource.flags.add(DISK_ADD_REQUESTED)
        resource.props["StorPoolName"] = pool.name
        volumes = [
            self.new_volume(resource, vd, pool) for _, vd in sorted(rd.volume_definitions.items())
        ]
        self.start_op(resource, "disk_add", max(self.timing.apply_s, self.timing.deploy_s))
        has_source = any(r.diskful and r is not resource for r in rd.live_resources())
        self.start_volume_deploy(resource, volumes, sync=has_source)
        for volume in volumes:
            volume.pre_attach_state = "Diskless"
        answer.add(
            rc.MODIFIED,
            f"Preparing to add disk to resource '{rd.name}' on node '{node.name}' (storage pool "
            f"'{pool.name}')",
            refs={"Node": node.name},
        )

    def toggle_disk(
        self,
        rsc: str,
        node_name: str,
        operation: str,
        storage_pool: str | None = None,
        migrate_from: str | None = None,
    ) -> tuple[Answer, list[Resource]]:
        """PUT .../toggle-disk: INTO_DRBD_DISKFUL / INTO_DRBD_DISKLESS / INTO_DRBD_CLIENT."""
        answer = Answer(rc.MASK_MOD, rc.MASK_RSC, {"RscDfn": rsc, "Node": node_name})
        rd = self.rd_or_fail(rsc, answer)
        resource = self.resource_or_fail(rd, node_name, answer)
        node = resource.node
        if operation == "INTO_DRBD_DISKFUL":
            source = (
                None if migrate_from is None else self.resource_or_fail(rd, migrate_from, answer)
            )
            if not resource.diskless:
                answer.add(
                    rc.INFO_NOOP, f"Resource '{rd.name}' on node '{node.name}' is already diskful"
                )
                return answer, []
            if source is not None:
                if source.diskless:
                    answer.fail(
                        rc.FAIL_INVLD_REQUEST,
                        f"Cannot migrate from diskless resource on '{source.node.name}'.",
                    )
                resource.migrate_from = source.node.name
            self.add_disk(resource, storage_pool, answer)
        else:
            if resource.diskless:
                answer.add(
                    rc.INFO_NOOP, f"Resource '{rd.name}' on node '{node.name}' is already diskless"
                )
                return answer, []
            if resource.op is not None:
                answer.fail(
                    rc.FAIL_RSC_BUSY,
                    f"Resource '{rd.name}' on node '{node.name}' is busy ({resource.op}).",
                )
            others = [r for r in rd.live_resources() if r.diskful and r is not resource]
            if not others:
                answer.fail(
                    rc.FAIL_INSUFFICIENT_REPLICA_COUNT,
                    f"Cannot remove the disk of the last diskful replica of resource '{rd.name}'.",
                )
            resource.flags.add(DISK_REMOVE_REQUESTED)
            self.start_op(resource, "disk_remove", self.timing.apply_s + self.timing.delete_s)
            answer.add(
                rc.MODIFIED,
                f"Preparing to remove disk from resource '{rd.name}' on node '{node.name}'",
                refs={"Node": node.name},
            )
        self.fail_resources(answer, [resource])
        return answer, [resource]
