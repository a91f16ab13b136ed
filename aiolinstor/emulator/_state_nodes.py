"""Operations on nodes, storage pools, storage-pool definitions and controller properties.

Each operation changes the DB at once and returns the :class:`Answer` the controller would give
(the route waits for satellites where the real controller does); failures raise
:class:`ApiFailure` with the answer so far.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from aiolinstor import _apicallrc as rc
from aiolinstor import _names
from aiolinstor.emulator._model import DELETE, Node
from aiolinstor.emulator._props import modify_props
from aiolinstor.emulator._rc import Answer
from aiolinstor.emulator._render import render_node
from aiolinstor.emulator._snapshot_model import drop_node_snapshot, node_snapshots
from aiolinstor.emulator._spec import DEFAULT_LAYERS, PROVIDER_KINDS, NodeSpec, PoolSpec
from aiolinstor.emulator._state_lookups import (
    LAST_DISK_CAUSE,
    LAST_DISK_CORRECTION,
    LAST_DISK_MESSAGE,
    Lookups,
    is_last_disk,
    name_problem,
)
from aiolinstor.emulator._state_snapshots import report_dropped

_NODE_TYPES = {"SATELLITE", "COMBINED", "CONTROLLER", "AUXILIARY"}


class NodeOps(Lookups):
    """Nodes, storage pools, storage-pool definitions, controller properties."""

    # --- nodes ------------------------------------------------------------------------------

    def create_node(self, body: Mapping[str, Any]) -> Answer:
        name = body.get("name") or ""
        answer = Answer(rc.MASK_CRT, rc.MASK_NODE, {"Node": name})
        problem = name_problem(_names.check_node_name, name)
        if problem:
            answer.fail(
                rc.FAIL_INVLD_NODE_NAME,
                f"The specified node name '{name}' is invalid.",
                cause=problem,
            )
        node_type = str(body.get("type") or "Satellite").upper()
        if node_type not in _NODE_TYPES:
            answer.fail(
                rc.FAIL_INVLD_NODE_TYPE, f"The specified node type '{body.get('type')}' is invalid."
            )
        if name.upper() in self.nodes:
            answer.fail(rc.FAIL_EXISTS_NODE, f"A node with the name '{name}' already exists.")
        interfaces = body.get("net_interfaces") or []
        address = ""
        for interface in interfaces:
            address = interface.get("address") or ""
            try:
                ipaddress.ip_address(address)
            except ValueError:
                answer.fail(
                    rc.FAIL_INVLD_NET_ADDR,
                    "Failed to parse IP address",
                    cause=f"The specified IP address is not valid\n{address}",
                    correction="Specify a valid IPv4 or IPv6 address.",
                    details=(
                        f"The specified input '{address}' is not a valid IP address.\nNode: {name}"
                    ),
                )
        spec = NodeSpec(name=name, pools=[], props=dict(body.get("props") or {}), address=address)
        node = self.add_node_from_spec(spec)
        node.node_type = node_type
        answer.add(
            rc.CREATED,
            f"New node '{name}' registered.",
            details=f"Node '{name}' UUID is: {node.uuid}",
            refs={"UUID": node.uuid},
        )
        self.emit("node-create", {"node": render_node(node, DEFAULT_LAYERS)})
        return answer

    def modify_node(self, name: str, body: Mapping[str, Any]) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_MOD, rc.MASK_NODE, {"Node": name})
        node = self.node_or_fail(name, answer)
        old = render_node(node, DEFAULT_LAYERS)
        if body.get("node_type"):
            node_type = str(body["node_type"]).upper()
            if node_type not in _NODE_TYPES:
                answer.fail(
                    rc.FAIL_INVLD_NODE_TYPE,
                    f"The specified node type '{body['node_type']}' is invalid.",
                )
            node.node_type = node_type
        modify_props(
            node.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Node '{node.name}' modified.",
            details=f"Node '{node.name}' UUID is: {node.uuid}",
        )
        reached = self.notify_nodes(answer, [node])
        self.emit("node-modified", {"old_node": old, "new_node": render_node(node, DEFAULT_LAYERS)})
        return answer, reached

    def delete_node(self, name: str) -> tuple[Answer, list[Node]]:
        """DELETE /v1/nodes/{node}, like the controller's node delete.

        Refused (nothing changes) while one of its resources is in use or is the last disk of a
        resource with diskless clients, and - for a node without resources - while snapshots
        still use its pools. Otherwise an empty node goes at once; a node with resources is
        marked DELETE, its snapshots are deleted and its resources start deleting (the node
        goes when the last one is gone; an offline node's part waits until it is back).
        """
        answer = Answer(rc.MASK_DEL, rc.MASK_NODE, {"Node": name})
        node = self.nodes.get(name.upper())
        if node is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of node '{name}' had no effect.",
                cause=f"Node '{name}' does not exist.",
            )
            return answer, []
        self._check_node_deletable(node, answer)
        if not node.resources:
            self._check_no_snapshot_volumes(node, answer)
            self.remove_node(node)
            answer.add(
                rc.DELETED,
                f"Node '{node.name}' deleted.",
                details=f"Node '{node.name}' UUID was: {node.uuid}",
            )
            return answer, []
        node.flags.add(DELETE)
        answer.add(
            rc.DELETED,
            f"Node '{node.name}' marked for deletion.",
            details=f"Node '{node.name}' UUID is: {node.uuid}",
        )
        reached = self.notify_nodes(answer, [node])
        if node.online:
            for snap, ns in node_snapshots(self.resource_definitions, node):
                report_dropped(snap, ns, drop_node_snapshot(snap, ns), answer)
        for resource in list(node.resources.values()):
            if resource.op != "delete":
                resource.flags.add(DELETE)
                self.start_op(resource, "delete", self.timing.delete_s)
        return answer, reached

    def _check_node_deletable(self, node: Node, answer: Answer) -> None:
        """FAIL_NODE_HAS_USED_RSC (after the reasons) for in-use or last-disk resources."""
        refused = False
        for _, resource in sorted(node.resources.items()):
            rd = resource.rd
            if resource.in_use:
                refused = True
                answer.add(
                    rc.FAIL_IN_USE,
                    f"Resource '{rd.name}' is still in use.",
                    cause="Resource is mounted/in use.",
                    correction=f"Un-mount resource '{rd.name}' on the node '{node.name}'.",
                )
            if is_last_disk(resource):
                refused = True
                answer.add(
                    rc.FAIL_IN_USE,
                    LAST_DISK_MESSAGE.format(rsc=rd.name),
                    cause=LAST_DISK_CAUSE,
                    correction=LAST_DISK_CORRECTION,
                )
        if refused:
            answer.fail(
                rc.FAIL_NODE_HAS_USED_RSC,
                "Cannot delete node, because it has in use or last diskful resources.",
                cause=f"Node '{node.name}' cannot be deleted.",
            )

    def _check_no_snapshot_volumes(self, node: Node, answer: Answer) -> None:
        """A node without resources whose pools still hold snapshots is not deleted."""
        snapshots = node_snapshots(self.resource_definitions, node)
        used = {volume.pool.key for _, ns in snapshots for volume in ns.volumes.values()}
        for key, pool in sorted(node.pools.items()):
            if key in used:
                answer.fail(
                    rc.FAIL_EXISTS_VLM,
                    f"Deletion of node '{node.name}' failed because the storage pool "
                    f"'{pool.name}' references volumes on this node, although the node does "
                    "not reference any resources",
                )

    def lose_node(self, name: str) -> Answer:
        """DELETE /v1/nodes/{node}/lost: an unreachable node goes at once with everything on it."""
        answer = Answer(rc.MASK_DEL, rc.MASK_NODE, {"Node": name})
        node = self.nodes.get(name.upper())
        if node is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of node '{name}' had no effect.",
                cause=f"Node '{name}' does not exist.",
            )
            return answer
        if node.online:
            answer.fail(
                rc.FAIL_EXISTS_NODE_CONN,
                f"Node '{name}' still connected, please use the 'DelNode' api.",
            )
        peers = {
            peer.node
            for resource in node.resources.values()
            if not resource.deleting
            for peer in resource.rd.resources.values()
            if peer.node is not node
        }
        self.remove_node(node)
        answer.add(
            rc.DELETED,
            f"Node '{node.name}' deleted.",
            details=f"Node '{node.name}' UUID was: {node.uuid}",
        )
        for peer_node in self.notify_nodes(Answer(), peers):
            answer.add(rc.MODIFIED, f"Notified '{peer_node.name}' that '{node.name}' has been lost")
        return answer

    def reconnect_node(self, name: str) -> Answer:
        answer = Answer(rc.MASK_MOD, rc.MASK_NODE, {"Node": name})
        node = self.node_or_fail(name, answer)
        if node.online:
            answer.add(rc.MODIFIED, f"Node '{node.name}' reconnected.")
        else:
            answer.not_connected(node.name)
        return answer

    # --- storage pools ----------------------------------------------------------------------

    def create_storage_pool(
        self, node_name: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Node]]:
        pool_name = body.get("storage_pool_name") or ""
        answer = Answer(
            rc.MASK_CRT, rc.MASK_STOR_POOL, {"StorPoolDfn": pool_name, "Node": node_name}
        )
        node = self.node_or_fail(node_name, answer)
        problem = name_problem(_names.check_storage_pool_name, pool_name)
        if problem:
            answer.fail(
                rc.FAIL_INVLD_STOR_POOL_NAME,
                f"The specified storage pool name '{pool_name}' is invalid.",
                cause=problem,
            )
        kind = str(body.get("provider_kind") or "").upper()
        if kind not in PROVIDER_KINDS:
            answer.fail(
                rc.FAIL_INVLD_STOR_DRIVER,
                f"The specified storage pool driver '{body.get('provider_kind')}' is invalid.",
                details=f"Supported: {', '.join(sorted(PROVIDER_KINDS))}",
            )
        if pool_name.upper() in node.pools:
            answer.fail(
                rc.FAIL_EXISTS_STOR_POOL,
                f"A storage pool with the name '{pool_name}' already exists on node '{node.name}'.",
            )
        size = PoolSpec(pool_name, kind, self.default_pool_size_kib).size_kib
        pool = self.add_pool(
            node,
            pool_name,
            kind,
            size,
            props=dict(body.get("props") or {}) or None,
            shared_space=body.get("shared_space"),
        )
        answer.add(
            rc.CREATED,
            f"New storage pool '{pool.name}' on node '{node.name}' registered.",
            details=f"Storage pool '{pool.name}' on node '{node.name}' UUID is: {pool.uuid}",
            refs={"UUID": pool.uuid},
        )
        return answer, self.notify_nodes(answer, [node])

    def modify_storage_pool(
        self, node_name: str, pool_name: str, body: Mapping[str, Any]
    ) -> tuple[Answer, list[Node]]:
        answer = Answer(
            rc.MASK_MOD, rc.MASK_STOR_POOL, {"StorPoolDfn": pool_name, "Node": node_name}
        )
        node = self.node_or_fail(node_name, answer)
        pool = self.pool_or_fail(node, pool_name, answer)
        modify_props(
            pool.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(
            rc.MODIFIED,
            f"Storage pool '{pool.name}' on node '{node.name}' modified.",
            details=f"Storage pool '{pool.name}' on node '{node.name}' UUID is: {pool.uuid}",
        )
        return answer, self.notify_nodes(answer, [node])

    def delete_storage_pool(self, node_name: str, pool_name: str) -> tuple[Answer, list[Node]]:
        answer = Answer(
            rc.MASK_DEL, rc.MASK_STOR_POOL, {"StorPoolDfn": pool_name, "Node": node_name}
        )
        node = self.node_or_fail(node_name, answer)
        pool = node.pools.get(pool_name.upper())
        if pool is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of storage pool '{pool_name}' on node '{node.name}' had no effect.",
                details=f"Storage pool '{pool_name}' on node '{node.name}' does not exist.",
            )
            return answer, []
        if pool.volume_counts or pool.snapshot_kib:
            answer.fail(
                rc.FAIL_IN_USE,
                f"The specified storage pool '{pool.name}' on node '{node.name}' can not be "
                "deleted "
                "as volumes / snapshot-volumes are still using it.",
                details=f"Resources using it: {', '.join(sorted(pool.volume_counts))}",
            )
        del node.pools[pool.key]
        answer.add(
            rc.DELETED,
            f"Storage pool '{pool.name}' on node '{node.name}' deleted.",
            details=f"Storage pool '{pool.name}' on node '{node.name}' UUID was: {pool.uuid}",
        )
        return answer, self.notify_nodes(answer, [node])

    # --- storage-pool definitions -----------------------------------------------------------

    def create_pool_definition(self, body: Mapping[str, Any]) -> Answer:
        name = body.get("storage_pool_name") or ""
        answer = Answer(rc.MASK_CRT, rc.MASK_STOR_POOL_DFN, {"StorPoolDfn": name})
        problem = name_problem(_names.check_storage_pool_name, name)
        if problem:
            answer.fail(
                rc.FAIL_INVLD_STOR_POOL_NAME,
                f"The specified storage pool name '{name}' is invalid.",
                cause=problem,
            )
        if name.upper() in self.pool_definitions:
            answer.fail(
                rc.FAIL_EXISTS_STOR_POOL_DFN,
                f"A storage pool definition with the name '{name}' already exists.",
            )
        spd = self.ensure_pool_definition(name)
        spd.props.update(body.get("props") or {})
        answer.add(
            rc.CREATED,
            f"New storage pool definition '{name}' created.",
            details=f"Storage pool definition '{name}' UUID is: {spd.uuid}",
            refs={"UUID": spd.uuid},
        )
        return answer

    def modify_pool_definition(self, name: str, body: Mapping[str, Any]) -> Answer:
        answer = Answer(rc.MASK_MOD, rc.MASK_STOR_POOL_DFN, {"StorPoolDfn": name})
        spd = self.pool_definitions.get(name.upper())
        if spd is None:
            answer.fail(
                rc.FAIL_NOT_FOUND_STOR_POOL_DFN, f"Storage pool definition '{name}' not found."
            )
        modify_props(
            spd.props,
            body.get("override_props") or {},
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        answer.add(rc.MODIFIED, f"Storage pool definition '{spd.name}' modified.")
        return answer

    def delete_pool_definition(self, name: str) -> Answer:
        answer = Answer(rc.MASK_DEL, rc.MASK_STOR_POOL_DFN, {"StorPoolDfn": name})
        spd = self.pool_definitions.get(name.upper())
        if spd is None:
            answer.add(
                rc.WARN_NOT_FOUND,
                f"Deletion of storage pool definition '{name}' had no effect.",
                details=f"Storage pool definition '{name}' does not exist.",
            )
            return answer
        if any(spd.key in n.pools for n in self.nodes.values()):
            answer.fail(
                rc.FAIL_EXISTS_STOR_POOL,
                f"Storage pool definition '{spd.name}' still has storage pools on nodes.",
            )
        del self.pool_definitions[spd.key]
        answer.add(rc.DELETED, f"Storage pool definition '{spd.name}' deleted.")
        return answer

    # --- controller properties --------------------------------------------------------------

    def modify_controller_props(self, body: Mapping[str, Any]) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_CRT, rc.MASK_CTRL_CONF)
        override = dict(body.get("override_props") or {})
        for key, value in override.items():
            if not key or key.startswith("/") or key.endswith("/"):
                answer.fail(rc.FAIL_INVLD_PROP, f"The key '{key}' is not a valid property key.")
            answer.add(rc.CREATED, f"Successfully set property '{key}' to value '{value}'")
        removed = modify_props(
            self.controller_props,
            override,
            body.get("delete_props") or [],
            body.get("delete_namespaces") or [],
        )
        for key in removed:
            answer.add(rc.CREATED, f"Successfully deleted property '{key}'")
        return answer, self._controller_props_applied(answer)

    def delete_controller_prop(self, key: str) -> tuple[Answer, list[Node]]:
        answer = Answer(rc.MASK_DEL, rc.MASK_CTRL_CONF)
        if self.controller_props.pop(key, None) is None:
            answer.add(
                rc.WARN_NOT_FOUND, f"Property '{key}' not found.", details="Nothing deleted."
            )
            return answer, []
        answer.add(rc.DELETED, f"Successfully deleted property '{key}'")
        return answer, self._controller_props_applied(answer)

    def _controller_props_applied(self, answer: Answer) -> list[Node]:
        reached = self.notify_nodes(answer, self.nodes.values())
        saved_op, answer.op = answer.op, rc.MASK_MOD
        for node in reached:
            answer.add(rc.MASK_INFO, f"({node.name}) Controller properties applied")
        answer.op = saved_op
        return reached
