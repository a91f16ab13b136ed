"""A small async web service that creates, attaches and deletes volumes through one shared client.

Run it as ``python examples/aiohttp_service.py`` (serves on http://127.0.0.1:8080), or with
``--self-test`` to start it on a free port, call every endpoint once, print the answers and exit.
Without ``--controllers`` (or ``LS_CONTROLLERS``) it starts the embedded LINSTOR emulator.

It shows the lifecycle done right: the emulator (when used) and the one ``aiolinstor.Client``
are opened by an aiohttp ``cleanup_ctx`` when the application starts and closed when it stops;
handlers pass that client explicitly (``Resource(name, client=...)``); SDK errors become JSON
answers with a fitting HTTP status in one middleware.

Endpoints (JSON in and out)::

    GET    /nodes                         the cluster's nodes
    POST   /volumes                       {"name", "size", "replicas"}: create and place
    GET    /volumes/{name}                where the volume lives, its device path
    POST   /volumes/{name}/attach         {"node"}: make it usable on that node
    POST   /volumes/{name}/detach         {"node"}: remove a diskless attachment
    DELETE /volumes/{name}                delete it everywhere
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from _embedded import add_cluster_arguments, controllers
from aiohttp import web

import aiolinstor

CLIENT = web.AppKey("linstor_client", aiolinstor.Client)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: SDK errors and the HTTP status the service answers them with (first match wins).
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (aiolinstor.InputError, 400),
    (aiolinstor.NotFoundError, 404),
    (aiolinstor.AlreadyExistsError, 409),
    (aiolinstor.NotEnoughNodesError, 409),
    (aiolinstor.NotEnoughSpaceError, 409),
    (aiolinstor.InUseError, 409),
    (aiolinstor.ConvergenceTimeout, 504),
    (aiolinstor.TransportError, 503),
    (aiolinstor.LinstorError, 502),
)


# --- lifecycle ---------------------------------------------------------------------------------
def linstor_context(
    args: argparse.Namespace,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The ``cleanup_ctx`` that owns the cluster connection for the application's lifetime."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with controllers(args) as url, aiolinstor.Client(url) as client:
            await client.controller_version()  # fail at start-up, not on the first request
            app[CLIENT] = client
            yield  # the application serves here; leaving closes client and emulator

    return context


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer SDK errors as ``{"error": message}`` with the status of :data:`ERROR_STATUS`."""
    try:
        return await handler(request)
    except aiolinstor.LinstorError as exc:
        status = next(code for kind, code in ERROR_STATUS if isinstance(exc, kind))
        return web.json_response({"error": str(exc)}, status=status)


def make_app(args: argparse.Namespace) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app.cleanup_ctx.append(linstor_context(args))
    app.add_routes(
        [
            web.get("/nodes", list_nodes),
            web.post("/volumes", create_volume),
            web.get("/volumes/{name}", show_volume),
            web.post("/volumes/{name}/attach", attach_volume),
            web.post("/volumes/{name}/detach", detach_volume),
            web.delete("/volumes/{name}", delete_volume),
        ]
    )
    return app


# --- handlers ----------------------------------------------------------------------------------
def http_error(kind: type[web.HTTPError], message: str) -> web.HTTPError:
    """An aiohttp HTTP error answered as ``{"error": message}``, like the SDK errors."""
    return kind(text=json.dumps({"error": message}), content_type="application/json")


async def body_of(request: web.Request, *required: str) -> dict[str, Any]:
    """The JSON object of the request, with every ``required`` field present."""
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise http_error(web.HTTPBadRequest, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise http_error(web.HTTPBadRequest, "the body must be a JSON object")
    missing = [name for name in required if name not in body]
    if missing:
        raise http_error(web.HTTPBadRequest, f"missing field(s): {', '.join(missing)}")
    return body


def describe(resource: aiolinstor.Resource) -> dict[str, Any]:
    volume = resource.volumes[0]
    return {
        "name": resource.name,
        "size": aiolinstor.format_size(volume.actual_size or volume.size),
        "replicas": resource.diskful_nodes,
        "clients": resource.diskless_nodes,
        "device_path": volume.device_path,
    }


async def existing(request: web.Request) -> aiolinstor.Resource:
    """The resource named in the path, read fresh; 404 when it does not exist."""
    resource = aiolinstor.Resource(request.match_info["name"], client=request.app[CLIENT])
    await resource.refresh()
    if not resource.exists or 0 not in resource.volumes:
        raise http_error(web.HTTPNotFound, f"no volume {resource.name!r}")
    return resource


async def list_nodes(request: web.Request) -> web.Response:
    nodes = await request.app[CLIENT].list_nodes()
    return web.json_response([{"name": n.name, "online": n.online} for n in nodes])


async def create_volume(request: web.Request) -> web.Response:
    body = await body_of(request, "name", "size")
    resource = aiolinstor.Resource(body["name"], client=request.app[CLIENT])
    resource.volumes[0] = aiolinstor.Volume(body["size"])
    resource.placement.redundancy = body.get("replicas", 2)
    await resource.autoplace()  # returns when every replica is UpToDate and connected
    return web.json_response(describe(resource), status=201)


async def show_volume(request: web.Request) -> web.Response:
    return web.json_response(describe(await existing(request)))


async def attach_volume(request: web.Request) -> web.Response:
    node = (await body_of(request, "node"))["node"]
    resource = await existing(request)
    await resource.activate(node)  # a diskless client unless the node holds a replica
    return web.json_response({"node": node, "device_path": resource.volumes[0].device_path})


async def detach_volume(request: web.Request) -> web.Response:
    node = (await body_of(request, "node"))["node"]
    resource = await existing(request)
    outcome = await resource.deactivate(node)  # never deletes a replica holding data
    return web.json_response({"node": node, "outcome": outcome.value})


async def delete_volume(request: web.Request) -> web.Response:
    resource = aiolinstor.Resource(request.match_info["name"], client=request.app[CLIENT])
    await resource.delete()  # idempotent: deleting what is gone is fine
    return web.json_response({"deleted": resource.name})


# --- self-test ---------------------------------------------------------------------------------
class SelfTestFailed(Exception):
    """An endpoint answered with another status than the self-test expects."""


async def self_test(args: argparse.Namespace) -> None:
    """Serve on a free local port, call each endpoint once, print what it answered."""
    runner = web.AppRunner(make_app(args))
    await runner.setup()  # runs the cleanup_ctx: emulator (if needed) and client are up now
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        print(f"service: {base}", flush=True)
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(base, timeout=timeout) as http:

            async def call(method: str, path: str, expect: int, body: object = None) -> Any:
                async with http.request(method, path, json=body) as answer:
                    result = await answer.json()
                    print(f"{method} {path} -> {answer.status} {json.dumps(result)}", flush=True)
                    if answer.status != expect:
                        raise SelfTestFailed(f"{method} {path}: expected {expect}")
                    return result

            name = args.name
            nodes = await call("GET", "/nodes", 200)
            create = {"name": name, "size": "1 GiB", "replicas": 2}
            created = await call("POST", "/volumes", 201, create)
            client_node = next(n["name"] for n in nodes if n["name"] not in created["replicas"])
            await call("POST", f"/volumes/{name}/attach", 200, {"node": client_node})
            await call("GET", f"/volumes/{name}", 200)
            await call("POST", f"/volumes/{name}/detach", 200, {"node": client_node})
            await call("POST", "/volumes", 400, {"name": f"{name}-2", "size": "ten gigs"})
            await call("DELETE", f"/volumes/{name}", 200)
            await call("GET", f"/volumes/{name}", 404)
    finally:
        await runner.cleanup()  # closes the client, then stops the emulator
    print("self-test passed", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_cluster_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
    parser.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="serve on a free port, call every endpoint once, print the answers and exit",
    )
    parser.add_argument(
        "--name", default="service-demo", help="self-test only: the volume it creates and deletes"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.self_test:
        try:
            asyncio.run(self_test(arguments))
        except (SelfTestFailed, aiolinstor.LinstorError) as exc:
            print(f"self-test failed: {exc}", file=sys.stderr)
            sys.exit(1)
    else:
        web.run_app(make_app(arguments), host=arguments.host, port=arguments.port)
    sys.exit(0)
