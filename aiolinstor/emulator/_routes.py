"""All ``/v1`` REST routes of the emulated controller (except key-value store, error reports and
events, which have their own modules)."""

from __future__ import annotations

from aiohttp import web

from aiolinstor.emulator._routes_clone import CloneRoutes
from aiolinstor.emulator._routes_common import RouteSet
from aiolinstor.emulator._routes_definitions import DefinitionRoutes
from aiolinstor.emulator._routes_groups import GroupRoutes
from aiolinstor.emulator._routes_nodes import NodeRoutes
from aiolinstor.emulator._routes_proxy import ProxyRoutes
from aiolinstor.emulator._routes_resources import ResourceRoutes
from aiolinstor.emulator._routes_snapshots import SnapshotRoutes
from aiolinstor.emulator._state import EmulatorState

__all__ = ["ROUTE_SETS", "add_v1_routes"]

#: Every group of ``/v1`` handlers, in registration order.
ROUTE_SETS: tuple[type[RouteSet], ...] = (
    NodeRoutes,
    DefinitionRoutes,
    ResourceRoutes,
    GroupRoutes,
    SnapshotRoutes,
    CloneRoutes,
    ProxyRoutes,
)


def add_v1_routes(app: web.Application, state: EmulatorState) -> None:
    """Register the ``/v1`` routes of every handler group over ``state``."""
    for routes in ROUTE_SETS:
        routes(state).register(app)
