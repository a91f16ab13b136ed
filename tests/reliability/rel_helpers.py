"""Helpers of the reliability tests: one resource lifecycle, views of the emulator's database,
and the leak checks (SDK tasks left running, connections left checked out)."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import anyio

from aiolinstor import Client, Resource, Volume
from aiolinstor.emulator import Emulator

SDK_DIR = Path(__file__).resolve().parents[2] / "aiolinstor"
EMULATOR_DIR = SDK_DIR / "emulator"
SIZE = "64 MiB"
GROWN = "128 MiB"
SIZE_KIB = 64 * 1024
GROWN_KIB = 128 * 1024


def definitions(emu: Emulator) -> dict[str, Any]:
    """Resource definitions in the emulator's database, by name."""
    return dict(emu.state.dump()["resource_definitions"])


def replicas(emu: Emulator, name: str) -> dict[str, Any]:
    """Node -> dumped resource of ``name`` (empty when the definition does not exist)."""
    found = definitions(emu).get(name)
    return dict(found["resources"]) if found else {}


def diskful_nodes(emu: Emulator, name: str) -> list[str]:
    return sorted(n for n, r in replicas(emu, name).items() if not r["diskless"])


def client_nodes(emu: Emulator, name: str) -> list[str]:
    """Nodes with a diskless client of ``name`` (tiebreakers are not clients)."""
    return sorted(
        n
        for n, r in replicas(emu, name).items()
        if r["diskless"] and "TIE_BREAKER" not in r["flags"]
    )


def writes(emu: Emulator) -> dict[str, int]:
    """Requests per route that change something (every method but GET)."""
    return {route: n for route, n in emu.request_counts().items() if not route.startswith("GET")}


def total_requests(emu: Emulator) -> int:
    return sum(emu.request_counts().values())


def assert_settled(emu: Emulator, name: str, diskful: int, clients: list[str]) -> None:
    """Exactly ``diskful`` UpToDate replicas and the given clients, all reported and connected;
    one volume definition: nothing lost, nothing duplicated."""
    found = definitions(emu)[name]
    assert list(found["volume_definitions"]) == [0], found["volume_definitions"]
    assert len(diskful_nodes(emu, name)) == diskful, replicas(emu, name)
    assert client_nodes(emu, name) == clients, replicas(emu, name)
    for node, replica in replicas(emu, name).items():
        assert replica["reported"], node
        expected = "Diskless" if replica["diskless"] else "UpToDate"
        assert all(v["disk_state"] == expected for v in replica["volumes"].values()), replica
        if not replica["diskless"]:
            assert all(replica["connections"].values()), (node, replica["connections"])


def declared(client: Client, name: str = "foo", size: str = SIZE) -> Resource:
    """A resource declared with one volume and two replicas (no I/O)."""
    res = Resource(name, client=client)
    res.volumes[0] = Volume(size)
    res.placement.redundancy = 2
    return res


async def lifecycle(client: Client, emu: Emulator, name: str, *, keep: bool = False) -> Resource:
    """create, autoplace, resize, activate, deactivate (and delete unless ``keep``), checking
    the database after every step."""
    res = declared(client, name)
    await res.create()
    assert list(definitions(emu)[name]["volume_definitions"]) == [0]
    await res.autoplace()
    assert_settled(emu, name, diskful=2, clients=[])
    await res.volumes[0].resize(GROWN)
    assert definitions(emu)[name]["volume_definitions"][0]["size_kib"] == GROWN_KIB
    free = next(n for n in sorted(emu.state.dump()["nodes"]) if n not in res.diskful_nodes)
    await res.activate(free)
    assert_settled(emu, name, diskful=2, clients=[free])
    await res.deactivate(free)
    assert_settled(emu, name, diskful=2, clients=[])
    if not keep:
        await res.delete()
        assert name not in definitions(emu)
    return res


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the event loop run until ``predicate()`` holds (bounded)."""
    with anyio.fail_after(seconds):
        while not predicate():  # noqa: ASYNC110 - watches emulator state, which has no event
            await anyio.sleep(0.001)


def sdk_tasks() -> list[asyncio.Task[object]]:
    """Running tasks (other than this one) executing SDK code; there should never be any."""
    current = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = Path(code.co_filename) if code is not None else None
        if (
            task is not current
            and filename is not None
            and filename.is_relative_to(SDK_DIR)
            and not filename.is_relative_to(EMULATOR_DIR)
        ):
            found.append(task)
    return found


def connector_of(client: Client) -> aiohttp.BaseConnector:
    """The connection pool of an open client."""
    session = client._transport._session
    assert session is not None, "the client is not open"
    connector = session.connector
    assert connector is not None
    return connector


def checked_out(connector: aiohttp.BaseConnector) -> int:
    """Connections taken from the pool and not given back."""
    return len(connector._acquired)


@contextmanager
def no_unclosed_warnings() -> Iterator[None]:
    """Fail when anything in the block warns about an unclosed session, connection or response
    (also those only found by the garbage collector at the end)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    unclosed = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert not unclosed, unclosed
