"""pytest fixtures for testing code that talks to LINSTOR, backed by the emulator.

Installed with aiolinstor (entry point ``pytest11``), so the fixtures are available in every
test suite; they need an asyncio test runner such as pytest-asyncio.

Fixtures
--------
``linstor_emulator``
    A running in-process :class:`aiolinstor.emulator.Emulator` with fast simulated satellites
    (:meth:`Timing.fast`), new for every test. Configure it per test with the marker::

        @pytest.mark.linstor_emulator(nodes=5, pool_size="10 GiB")
        async def test_spread(linstor_emulator): ...

    (any keyword argument of ``Emulator``), or for a whole module/directory by overriding the
    ``linstor_emulator_options`` fixture (marker values win)::

        @pytest.fixture
        def linstor_emulator_options():
            return {"nodes": 4, "provider_kind": "ZFS"}

``linstor_emulator_options``
    The ``Emulator`` keyword arguments used by ``linstor_emulator``; ``{}`` by default.

``linstor_client``
    An :class:`aiolinstor.Client` connected to ``linstor_emulator`` (credentials of an
    emulator requiring auth are passed on, with ``allow_insecure=True`` over plain HTTP), open
    for the test. Its keyword arguments come from ``linstor_client_options``; for an HTTPS
    emulator (``ssl_context``) give the client its ``ca`` there.

``linstor_client_options``
    Keyword arguments for ``linstor_client``; by default short poll intervals that suit the
    fast emulator.

Without pytest-asyncio the fixtures are plain async fixtures (anyio's pytest plugin can run
them in tests marked ``anyio``); pytest reports clearly when no plugin runs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from aiolinstor import Client
    from aiolinstor.emulator import Emulator

try:
    import pytest_asyncio

    _fixture: Any = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    _fixture = pytest.fixture

F = TypeVar("F", bound=Callable[..., Any])


def _async_fixture(function: F) -> F:
    """An async fixture run by pytest-asyncio when present (a plain pytest fixture otherwise)."""
    return cast(F, _fixture(function))


MARKER = "linstor_emulator"

_DEFAULT_CLIENT_OPTIONS: dict[str, Any] = {"poll_interval": 0.02, "max_poll_interval": 0.2}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): keyword arguments for the linstor_emulator fixture's Emulator "
        "(nodes, pool_size, provider_kind, spec, timing, ...)",
    )


@pytest.fixture
def linstor_emulator_options() -> dict[str, Any]:
    """Keyword arguments for the ``linstor_emulator`` fixture's Emulator (override me)."""
    return {}


@pytest.fixture
def linstor_client_options() -> dict[str, Any]:
    """Keyword arguments for the ``linstor_client`` fixture's Client (override me)."""
    return dict(_DEFAULT_CLIENT_OPTIONS)


def emulator_options(request: pytest.FixtureRequest, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated with the closest ``linstor_emulator`` marker, fast timing by default."""
    options = dict(base)
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}"
            )
        options.update(marker.kwargs)
    if "timing" not in options:
        from aiolinstor.emulator import Timing

        options["timing"] = Timing.fast()
    return options


@_async_fixture
async def linstor_emulator(
    request: pytest.FixtureRequest, linstor_emulator_options: dict[str, Any]
) -> AsyncIterator[Emulator]:
    """A running emulator with fast satellites, fresh for each test."""
    from aiolinstor.emulator import Emulator

    options = emulator_options(request, linstor_emulator_options)
    async with Emulator(**options) as emulator:
        yield emulator


@_async_fixture
async def linstor_client(
    linstor_emulator: Emulator, linstor_client_options: dict[str, Any]
) -> AsyncIterator[Client]:
    """An aiolinstor Client connected to ``linstor_emulator``.

    The emulator's credentials are passed on; over plain HTTP that needs ``allow_insecure``
    (the client refuses to send credentials unencrypted otherwise), which the fixture sets:
    a test emulator's credentials protect nothing.
    """
    from aiolinstor import Client

    options = dict(linstor_client_options)
    auth = linstor_emulator.services.auth
    if auth.basic is not None:
        options.setdefault("username", auth.basic[0])
        options.setdefault("password", auth.basic[1])
    if auth.bearer_token is not None:
        options.setdefault("bearer_token", auth.bearer_token)
    if (auth.basic or auth.bearer_token) and linstor_emulator.url.startswith("http://"):
        options.setdefault("allow_insecure", True)
    async with Client(linstor_emulator.url, **options) as client:
        yield client
