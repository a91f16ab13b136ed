"""Every wait of the Resource API: timeout paths (offline and stalled nodes) and cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from hl_helpers import assert_settled, replicas

from aiolinstor._client import Client
from aiolinstor._errors import ConvergenceTimeout, LinstorError
from aiolinstor._resource import Deactivation, Resource
from aiolinstor._volume import Volume
from aiolinstor._waits import watcher_for
from aiolinstor.emulator import Emulator, Timing

pytestmark = pytest.mark.emulator_only

NODES = ("node-1", "node-2", "node-3")  # node-4 serves the other waiter of cancellation tests


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"nodes": 4, "timing": Timing.fast()}


SHORT = 0.4  # deadline of the timeout tests (seconds); the emulator works 100x faster
OUR_FILES = {
    str(Path(__file__).resolve().parents[2] / "aiolinstor" / name)
    for name in ("_waits.py", "_watcher.py", "_resource.py", "_volume.py", "_placement.py")
}


async def placed(
    client: Client, name: str = "foo", nodes: list[str] | None = None
) -> tuple[Resource, str]:
    """``name`` with 2 UpToDate replicas (on ``nodes`` if given), and a node holding none."""
    res = Resource(name, client=client)
    res.volumes[0] = Volume("64 MiB")
    res.placement.redundancy = 2
    res.placement.node_names = nodes
    await res.autoplace()
    return res, next(n for n in NODES if n not in res.nodes)


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the event loop run until ``predicate()`` holds (test helper, bounded)."""
    with anyio.fail_after(seconds):
        while not predicate():  # noqa: ASYNC110 - polls emulator/watcher state, no event exists
            await anyio.sleep(0.005)


def our_tasks() -> list[asyncio.Task[object]]:
    """Tasks running code of the SDK's wait engine or resource API (there should be none)."""
    current = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        code = getattr(coro, "cr_code", None)
        if task is not current and code is not None and code.co_filename in OUR_FILES:
            found.append(task)
    return found


# --- timeouts ----------------------------------------------------------------------------------
async def test_placement_timeout_names_stalled_nodes(emu: Emulator, client: Client) -> None:
    for node in NODES:
        emu.set_speed(node, 0)
    res = Resource("foo", client=client)
    res.volumes[0] = Volume("64 MiB")
    res.placement.redundancy = 2
    with pytest.raises(ConvergenceTimeout) as caught:
        await res.autoplace(timeout=SHORT)
    error = caught.value
    assert isinstance(error, TimeoutError) and isinstance(error, LinstorError)
    assert (error.resource, error.operation, error.timeout) == ("foo", "autoplace", SHORT)
    placed_on = set(replicas(emu, "foo"))
    assert len(placed_on) == 2
    assert {lag.node for lag in error.laggards} == placed_on
    assert all("no state reported" in lag.reason for lag in error.laggards)
    assert str(error).startswith(f"autoplace of resource 'foo' did not converge within {SHORT:g}")

    for node in NODES:  # the satellites catch up: retrying the step just resumes the wait
        emu.set_speed(node, 1)
    await res.autoplace()
    assert_settled(emu, "foo", diskful=2)
    assert set(replicas(emu, "foo")) == placed_on


async def test_activate_timeout_on_offline_node_then_resume(emu: Emulator, client: Client) -> None:
    res, free = await placed(client)
    emu.set_online(free, False)
    with pytest.raises(ConvergenceTimeout) as caught:
        await res.activate(free, timeout=SHORT)
    (lag,) = caught.value.laggards
    assert lag.node == free and "no state reported" in lag.reason
    assert free in replicas(emu, "foo")  # stored by the controller, waiting for the satellite

    emu.set_online(free, True)
    await res.activate(free)
    assert replicas(emu, "foo")[free]["reported"]
    assert res.volumes[0].device_paths[free].startswith("/dev/drbd")


async def test_resize_timeout_names_the_offline_replica(emu: Emulator, client: Client) -> None:
    res, _ = await placed(client)
    slow, peer = res.diskful_nodes
    emu.set_online(slow, False)
    with pytest.raises(ConvergenceTimeout) as caught:
        await res.volumes[0].resize("+64 MiB", timeout=SHORT)
    lags = {lag.node: lag for lag in caught.value.laggards}
    assert caught.value.operation == "resize"
    assert "no state reported" in lags[slow].reason
    # the peer is named too: a replica that lost its connection is not settled
    assert set(lags) == {slow, peer}
    assert lags[peer].connection == f"{slow} Connecting"
    assert slow in lags[peer].reason
    emu.set_online(slow, True)
    await res.volumes[0].resize(res.volumes[0].size)  # same size: resumes waiting, no write
    for replica in replicas(emu, "foo").values():
        assert replica["volumes"][0]["usable_kib"] >= 128 * 1024


async def test_deactivate_and_delete_timeouts_on_offline_node(
    emu: Emulator, client: Client
) -> None:
    res, free = await placed(client)
    await res.activate(free)
    emu.set_online(free, False)
    with pytest.raises(ConvergenceTimeout) as caught:
        await res.deactivate(free, timeout=SHORT)
    (lag,) = caught.value.laggards
    assert lag.node == free and "DELETE" in lag.flags
    assert "DELETE" in replicas(emu, "foo")[free]["flags"]

    with pytest.raises(ConvergenceTimeout) as caught:
        await res.delete(timeout=SHORT)
    assert {lag.node for lag in caught.value.laggards} == {free}
    emu.set_online(free, True)
    await res.delete()
    assert "foo" not in emu.state.dump()["resource_definitions"]


# --- cancellation ------------------------------------------------------------------------------
Operation = Callable[[Resource, str], Awaitable[object]]


async def _autoplace_more(res: Resource, node: str) -> object:
    res.placement.node_names = None
    res.placement.redundancy = 3
    return await res.autoplace()


CANCELLED_OPERATIONS: dict[str, tuple[str, Operation]] = {
    # name: (what keeps the wait from finishing, the operation)
    "autoplace": ("stall", _autoplace_more),
    "resize": ("offline-replica", lambda res, node: res.volumes[0].resize("+64 MiB")),
    "activate": ("offline", lambda res, node: res.activate(node)),
    "make_diskful": ("stall", lambda res, node: res.make_diskful(node)),
    "deactivate": ("offline-attached", lambda res, node: res.deactivate(node)),
    "delete": ("offline-attached", lambda res, node: res.delete()),
}


@pytest.mark.parametrize("operation", sorted(CANCELLED_OPERATIONS))
async def test_cancelling_a_wait_leaves_no_task_and_spares_other_waiters(
    emu: Emulator, client: Client, operation: str
) -> None:
    emu.set_online("node-4", False)
    res, free = await placed(client, "foo", ["node-1", "node-2"])
    other, _ = await placed(client, "bar", ["node-1", "node-2"])
    how, run = CANCELLED_OPERATIONS[operation]
    if how == "offline-attached":
        await res.activate(free)
    if how == "offline-replica":
        emu.set_online("node-1", False)
    elif how.startswith("offline"):
        emu.set_online(free, False)
    else:
        emu.set_speed(free, 0)
    watcher = watcher_for(client)
    other_done = anyio.Event()

    async def other_waiter() -> None:
        # shares the watcher with the cancelled wait, and outlives it
        await other.activate("node-4")
        other_done.set()

    async def cancelled_operation(scope: anyio.CancelScope) -> None:
        with scope:
            await run(res, free)
            pytest.fail(f"{operation} returned although its wait cannot finish")

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(other_waiter)
        tg.start_soon(cancelled_operation, scope)
        await until(lambda: {"foo", "bar"} <= set(watcher.watched_names))
        scope.cancel()
        await until(lambda: watcher.watched_names == ["bar"])
        emu.set_online("node-4", True)
    assert scope.cancelled_caught and other_done.is_set()
    assert our_tasks() == []
    assert watcher.active_subscriptions == 0
    # the state is consistent: the cancelled step completes when retried once unblocked
    emu.set_online("node-1", True)
    emu.set_speed(free, 1)
    emu.set_online(free, True)
    result = await run(res, free)
    if operation == "deactivate":  # the delete sent before the cancellation has completed
        assert result in (Deactivation.REMOVED, Deactivation.ABSENT)
        assert free not in replicas(emu, "foo")
    if operation == "delete":
        assert "foo" not in emu.state.dump()["resource_definitions"]
    else:
        assert_settled(emu, "foo", diskful=3 if operation in ("autoplace", "make_diskful") else 2)


async def test_cancelling_watch_sync(emu: Emulator, client: Client) -> None:
    res, free = await placed(client)
    emu.set_speed(free, 0)
    await res.make_diskful(free, wait=False)
    seen = 0
    with anyio.move_on_after(SHORT):
        async for _ in res.watch_sync(timeout=30):
            seen += 1
    assert seen >= 1
    assert our_tasks() == []
    assert watcher_for(client).active_subscriptions == 0
