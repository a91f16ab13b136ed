"""``/v1`` handlers: controller version/properties, /health, nodes, storage pools and their
definitions."""

from __future__ import annotations

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import _flows as flows
from aiolinstor.emulator._bodies import read_object
from aiolinstor.emulator._rc import Answer, json_response
from aiolinstor.emulator._render import render_node, render_pool_definition, render_storage_pool
from aiolinstor.emulator._routes_common import (
    RouteSet,
    list_response,
    name_filter,
    paginate,
    props_match,
)
from aiolinstor.emulator._spec import DEFAULT_LAYERS
from aiolinstor.emulator._state import CONTROLLER_VERSION, REST_API_VERSION

GIT_HASH = "4a1c7e3b0f9d2e6a8c5b1d7f3e9a2c4b6d8f0e1a"
BUILD_TIME = "2024-09-25T08:40:12+00:00"


class NodeRoutes(RouteSet):
    """Controller, nodes, storage pools, storage-pool definitions."""

    def register(self, app: web.Application) -> None:
        add = self.add
        add(app, "GET", "/v1/controller/version", self.version)
        add(app, "GET", "/health", self.health)
        add(app, "GET", "/v1/controller/properties", self.controller_props)
        add(app, "POST", "/v1/controller/properties", self.set_controller_props)
        add(app, "DELETE", "/v1/controller/properties/{key:.+}", self.delete_controller_prop)
        add(app, "GET", "/v1/nodes", self.list_nodes)
        add(app, "POST", "/v1/nodes", self.create_node)
        add(app, "GET", "/v1/nodes/{node}", self.get_node)
        add(app, "PUT", "/v1/nodes/{node}", self.modify_node)
        add(app, "DELETE", "/v1/nodes/{node}", self.delete_node)
        add(app, "DELETE", "/v1/nodes/{node}/lost", self.lost_node)
        add(app, "PUT", "/v1/nodes/{node}/reconnect", self.reconnect_node)
        add(app, "GET", "/v1/view/storage-pools", self.view_storage_pools)
        add(app, "GET", "/v1/nodes/{node}/storage-pools", self.node_storage_pools)
        add(app, "POST", "/v1/nodes/{node}/storage-pools", self.create_storage_pool)
        add(app, "GET", "/v1/nodes/{node}/storage-pools/{pool}", self.get_storage_pool)
        add(app, "PUT", "/v1/nodes/{node}/storage-pools/{pool}", self.modify_storage_pool)
        add(app, "DELETE", "/v1/nodes/{node}/storage-pools/{pool}", self.delete_storage_pool)
        add(app, "GET", "/v1/storage-pool-definitions", self.list_pool_definitions)
        add(
            app,
            "POST",
            "/v1/storage-pool-definitions",
            self.create_pool_definition,
            synchronous=True,
        )
        add(app, "GET", "/v1/storage-pool-definitions/{pool}", self.get_pool_definition)
        add(
            app,
            "PUT",
            "/v1/storage-pool-definitions/{pool}",
            self.modify_pool_definition,
            synchronous=True,
        )
        add(app, "DELETE", "/v1/storage-pool-definitions/{pool}", self.delete_pool_definition)

    # --- controller -------------------------------------------------------------------------

    async def version(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "version": CONTROLLER_VERSION,
                "git_hash": GIT_HASH,
                "build_time": BUILD_TIME,
                "rest_api_version": REST_API_VERSION,
            }
        )

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def controller_props(self, request: web.Request) -> web.Response:
        return json_response(dict(sorted(self.state.controller_props.items())))

    async def set_controller_props(self, request: web.Request) -> web.Response:
        body = await read_object(request, "PropsModify")
        answer, nodes = self.state.modify_controller_props(body)
        await flows.applied(self.state, nodes)
        return answer.response(201)

    async def delete_controller_prop(self, request: web.Request) -> web.Response:
        answer, nodes = self.state.delete_controller_prop(request.match_info["key"])
        await flows.applied(self.state, nodes)
        return answer.response(200)

    # --- nodes ------------------------------------------------------------------------------

    async def list_nodes(self, request: web.Request) -> web.Response:
        wanted = name_filter(request, "nodes")
        nodes = [
            n
            for key, n in sorted(self.state.nodes.items())
            if (wanted is None or key in wanted) and props_match(request, n.props)
        ]
        return list_response(render_node(n, DEFAULT_LAYERS) for n in paginate(nodes, request))

    async def get_node(self, request: web.Request) -> web.Response:
        node = self.state.node_or_fail(request.match_info["node"], Answer())
        return json_response(render_node(node, DEFAULT_LAYERS))

    async def create_node(self, request: web.Request) -> web.Response:
        body = await read_object(request, "Node")
        return self.state.create_node(body).response(201)

    async def modify_node(self, request: web.Request) -> web.Response:
        body = await read_object(request, "NodeModify")
        answer, nodes = self.state.modify_node(request.match_info["node"], body)
        await flows.applied(self.state, nodes)
        return answer.response(200)

    async def delete_node(self, request: web.Request) -> web.Response:
        answer, _ = self.state.delete_node(request.match_info["node"])
        node = self.state.nodes.get(request.match_info["node"].upper())
        if node is not None:
            await flows.operation_done(self.state, list(node.resources.values()))
            if node.key not in self.state.nodes:
                answer.add(
                    rc.DELETED,
                    f"Node '{node.name}' deleted.",
                    details=f"Node '{node.name}' UUID was: {node.uuid}",
                )
        return answer.response(200)

    async def lost_node(self, request: web.Request) -> web.Response:
        return self.state.lose_node(request.match_info["node"]).response(200)

    async def reconnect_node(self, request: web.Request) -> web.Response:
        return self.state.reconnect_node(request.match_info["node"]).response(200)

    # --- storage pools ----------------------------------------------------------------------

    async def view_storage_pools(self, request: web.Request) -> web.Response:
        nodes = name_filter(request, "nodes")
        pools_wanted = name_filter(request, "storage_pools")
        pools = [
            pool
            for node_key, node in sorted(self.state.nodes.items())
            if nodes is None or node_key in nodes
            for pool_key, pool in sorted(node.pools.items())
            if (pools_wanted is None or pool_key in pools_wanted)
            and props_match(request, pool.props)
        ]
        return list_response(render_storage_pool(p) for p in paginate(pools, request))

    async def node_storage_pools(self, request: web.Request) -> web.Response:
        node = self.state.node_or_fail(request.match_info["node"], Answer())
        wanted = name_filter(request, "storage_pools")
        pools = [
            p
            for key, p in sorted(node.pools.items())
            if (wanted is None or key in wanted) and props_match(request, p.props)
        ]
        return list_response(render_storage_pool(p) for p in paginate(pools, request))

    async def get_storage_pool(self, request: web.Request) -> web.Response:
        answer = Answer()
        node = self.state.node_or_fail(request.match_info["node"], answer)
        pool = self.state.pool_or_fail(node, request.match_info["pool"], answer)
        return json_response(render_storage_pool(pool))

    async def create_storage_pool(self, request: web.Request) -> web.Response:
        body = await read_object(request, "StoragePool")
        answer, nodes = self.state.create_storage_pool(request.match_info["node"], body)
        await flows.applied(self.state, nodes)
        return answer.response(201)

    async def modify_storage_pool(self, request: web.Request) -> web.Response:
        body = await read_object(request, "PropsModify")
        answer, nodes = self.state.modify_storage_pool(
            request.match_info["node"], request.match_info["pool"], body
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)

    async def delete_storage_pool(self, request: web.Request) -> web.Response:
        answer, nodes = self.state.delete_storage_pool(
            request.match_info["node"], request.match_info["pool"]
        )
        await flows.applied(self.state, nodes)
        return answer.response(200)

    # --- storage-pool definitions -----------------------------------------------------------

    async def list_pool_definitions(self, request: web.Request) -> web.Response:
        wanted = name_filter(request, "storage_pools")
        spds = [
            s
            for key, s in sorted(self.state.pool_definitions.items())
            if (wanted is None or key in wanted) and props_match(request, s.props)
        ]
        return list_response(render_pool_definition(s) for s in paginate(spds, request))

    async def get_pool_definition(self, request: web.Request) -> web.Response:
        name = request.match_info["pool"]
        spd = self.state.pool_definitions.get(name.upper())
        if spd is None:
            Answer().fail(
                rc.FAIL_NOT_FOUND_STOR_POOL_DFN, f"Storage pool definition '{name}' not found."
            )
        return json_response(render_pool_definition(spd))

    async def create_pool_definition(self, request: web.Request) -> web.Response:
        body = await read_object(request, "StoragePoolDefinition")
        return self.state.create_pool_definition(body).response(201)

    async def modify_pool_definition(self, request: web.Request) -> web.Response:
        body = await read_object(request, "PropsModify")
        return self.state.modify_pool_definition(request.match_info["pool"], body).response(200)

    async def delete_pool_definition(self, request: web.Request) -> web.Response:
        return self.state.delete_pool_definition(request.match_info["pool"]).response(200)
