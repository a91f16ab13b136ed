"""All ``/v1`` REST routes of the emulated controller (except key-value store, error reports and
events, which have their own modules).

Route modules added beside the core ones (snapshots, clones: :data:`EXTENSION_MODULES`) plug in
without touching this file: :func:`add_v1_routes` calls their
``add_routes(app: web.Application, state: EmulatorState)`` if they define one, or else
registers every :class:`~._routes_common.RouteSet` subclass they define.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect

from aiohttp import web

from aiolinstor.emulator._routes_common import RouteSet
from aiolinstor.emulator._routes_definitions import DefinitionRoutes
from aiolinstor.emulator._routes_groups import GroupRoutes
from aiolinstor.emulator._routes_nodes import NodeRoutes
from aiolinstor.emulator._routes_resources import ResourceRoutes
from aiolinstor.emulator._state import EmulatorState

__all__ = ["EXTENSION_MODULES", "add_v1_routes"]

EXTENSION_MODULES = ("aiolinstor.emulator._routes_snapshots", "aiolinstor.emulator._routes_clone")


def add_v1_routes(app: web.Application, state: EmulatorState) -> None:
    """Register the controller, node, storage-pool, definition, resource and group routes,
    then those of the extension modules that exist."""
    for routes in (NodeRoutes, DefinitionRoutes, ResourceRoutes, GroupRoutes):
        routes(state).register(app)
    for name in EXTENSION_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        hook = getattr(module, "add_routes", None)
        if callable(hook):
            hook(app, state)
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, RouteSet) and cls is not RouteSet and cls.__module__ == name:
                cls(state).register(app)
