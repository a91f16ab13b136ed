"""An emulated LINSTOR controller: the real REST API v1 over simulated satellites.

Use it in-process (``async with Emulator() as emu: ... emu.url``), as a server
(``python -m aiolinstor.emulator``), or through the pytest fixtures of
:mod:`aiolinstor.pytest_plugin`. Satellites are simulated (DRBD states evolve over time),
and tests can take nodes offline, slow them down, make them fail, inject faults into the API
and count requests - from Python or through the HTTP control API under ``/_emulator/``.
See ``docs/emulator.md``.
"""

from aiolinstor.emulator._faults import (
    Delay,
    Drop,
    ErrorAnswer,
    FaultAction,
    FaultInjector,
    FaultRule,
    FaultRuleError,
)
from aiolinstor.emulator._kv import KeyValueStore
from aiolinstor.emulator._middleware import AuthConfig
from aiolinstor.emulator._observe import Exchange, ResponseObserver, default_observers
from aiolinstor.emulator._server import Emulator, create_app
from aiolinstor.emulator._services import SERVICES_KEY, EmulatorServices
from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec, Timing
from aiolinstor.emulator._state import EmulatorState, StateEvent
from aiolinstor.emulator._stats import RequestStats

__all__ = [
    "SERVICES_KEY",
    "AuthConfig",
    "ClusterSpec",
    "Delay",
    "Drop",
    "Emulator",
    "EmulatorServices",
    "EmulatorState",
    "ErrorAnswer",
    "Exchange",
    "FaultAction",
    "FaultInjector",
    "FaultRule",
    "FaultRuleError",
    "KeyValueStore",
    "NodeSpec",
    "PoolSpec",
    "RequestStats",
    "ResponseObserver",
    "StateEvent",
    "Timing",
    "create_app",
    "default_observers",
]
