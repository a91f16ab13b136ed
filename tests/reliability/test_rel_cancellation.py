"""Cancellation at every point of every coroutine of the Resource API.

Each operation is cancelled right after the controller answered its 1st, 2nd, ... request (the
change is applied but the caller never sees the answer), and at seeded random moments. After
each cancellation: no SDK task is left running, no connection is left checked out of the pool,
no wait is left subscribed, and running the same operation again converges to the same state
as an undisturbed run. Warnings are errors here, and the client's end is checked for
"Unclosed ..." warnings (also those the garbage collector finds).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from aiolinstor import Client, Resource
from aiolinstor._group import ResourceGroup, VolumeGroup
from aiolinstor._kv import KV
from aiolinstor._placement import Placement
from aiolinstor._snapshot import Snapshot, snapshot_many
from aiolinstor._waits import watcher_for
from aiolinstor.emulator import Emulator, Exchange, Timing

from .conftest import fast_client
from .rel_helpers import (
    GROWN,
    GROWN_KIB,
    assert_settled,
    checked_out,
    connector_of,
    declared,
    definitions,
    diskful_nodes,
    no_unclosed_warnings,
    sdk_tasks,
)

pytestmark = [pytest.mark.emulator_only, pytest.mark.filterwarnings("error")]

SEED = 20240611
#: At most this many request-counted cancellation points per operation (a seeded sample).
MAX_POINTS = 10
RANDOM_POINTS = 3


@dataclass
class CancelAtAnswer:
    """Calls ``cancel`` (a scope's or a task's) once the emulator answered ``remaining`` more
    requests: the change is made, the caller never sees the answer."""

    cancel: Callable[[], object] | None = None
    remaining: int = 0
    answered: int = 0

    def arm(self, cancel: Callable[[], object], after: int) -> None:
        self.cancel, self.remaining = cancel, after

    def disarm(self) -> None:
        self.cancel = None

    def __call__(self, exchange: Exchange) -> None:
        self.answered += 1
        if self.cancel is None:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            self.cancel()
            self.cancel = None


@pytest.fixture
def cancel_hook() -> CancelAtAnswer:
    return CancelAtAnswer()


@pytest.fixture
def emulator_options(cancel_hook: CancelAtAnswer) -> dict[str, Any]:
    return {"nodes": 3, "timing": Timing.fast(), "observers": [cancel_hook]}


Step = Callable[[Client, Emulator, str], Awaitable[Any]]


async def _nothing(client: Client, emu: Emulator, name: str) -> None:
    return None


def _placed(
    *, diskless: tuple[str, ...] = (), nodes: tuple[str, ...] = ("node-1", "node-2")
) -> Step:
    async def setup(client: Client, emu: Emulator, name: str) -> None:
        emu.state.add_resource(name, "64 MiB", list(nodes), diskless=list(diskless))

    return setup


async def _with_snapshot(client: Client, emu: Emulator, name: str) -> None:
    emu.state.add_resource(name, "64 MiB", ["node-1", "node-2"])
    await Resource(name, client=client).snapshot("snap1")


async def _deploying(client: Client, emu: Emulator, name: str) -> None:
    emu.state.add_resource(name, "64 MiB", ["node-1", "node-2"], instant=False)


async def _existing(client: Client, name: str) -> Resource:
    return await Resource(name, client=client).refresh()


async def _settled(client: Client, emu: Emulator, name: str) -> None:
    assert_settled(emu, name, diskful=2, clients=[])


def _settled_with(diskful: int, clients: list[str]) -> Step:
    async def check(client: Client, emu: Emulator, name: str) -> None:
        assert_settled(emu, name, diskful=diskful, clients=clients)

    return check


async def _created(client: Client, emu: Emulator, name: str) -> None:
    assert list(definitions(emu)[name]["volume_definitions"]) == [0]
    assert definitions(emu)[name]["resources"] == {}


async def _resized(client: Client, emu: Emulator, name: str) -> None:
    assert definitions(emu)[name]["volume_definitions"][0]["size_kib"] == GROWN_KIB
    assert_settled(emu, name, diskful=2, clients=[])


async def _one_snapshot(client: Client, emu: Emulator, name: str) -> None:
    snapshots = await Resource(name, client=client).snapshots()
    assert [(s.name, s.successful) for s in snapshots] == [("snap1", True)]


async def _gone(client: Client, emu: Emulator, name: str) -> None:
    assert name not in definitions(emu)


async def _cloned(client: Client, emu: Emulator, name: str) -> None:
    assert_settled(emu, f"{name}c", diskful=2, clients=[])
    assert diskful_nodes(emu, f"{name}c") == diskful_nodes(emu, name)


async def _props_set(client: Client, emu: Emulator, name: str) -> None:
    assert definitions(emu)[name]["props"]["Aux/owner"] == "test"


async def _resize(client: Client, name: str) -> Any:
    res = await _existing(client, name)
    return await res.volumes[0].resize(GROWN)


async def _rollback(client: Client, name: str) -> Any:
    return await (await _existing(client, name)).rollback("snap1")


# --- snapshots, groups, DRBD Proxy, key-value store ------------------------------------------
async def _two_placed(client: Client, emu: Emulator, name: str) -> None:
    emu.state.add_resource(name, "64 MiB", ["node-1", "node-2"])
    emu.state.add_resource(f"{name}b", "64 MiB", ["node-2", "node-3"])


async def _restored(client: Client, emu: Emulator, name: str) -> None:
    assert_settled(emu, f"{name}r", diskful=2, clients=[])
    assert diskful_nodes(emu, f"{name}r") == diskful_nodes(emu, name)


async def _no_snapshot(client: Client, emu: Emulator, name: str) -> None:
    assert await Resource(name, client=client).snapshots() == []


async def _both_snapshotted(client: Client, emu: Emulator, name: str) -> None:
    for rsc in (name, f"{name}b"):
        snapshots = await Resource(rsc, client=client).snapshots()
        assert [(s.name, s.successful) for s in snapshots] == [("snap1", True)], rsc


def _group(client: Client, name: str) -> ResourceGroup:
    return ResourceGroup(
        f"{name}g",
        client=client,
        placement=Placement(redundancy=2),
        props={"Aux/team": "storage"},
        volume_groups=[VolumeGroup(0, {"Aux/tier": "fast"})],
    )


async def _with_group(client: Client, emu: Emulator, name: str) -> None:
    await _group(client, name).apply()


async def _group_applied(client: Client, emu: Emulator, name: str) -> None:
    dumped = emu.state.dump()["resource_groups"][f"{name}g"]
    assert dumped["select_filter"] == {"place_count": 2}
    assert dumped["props"] == {"Aux/team": "storage"}
    assert dumped["volume_groups"] == [0]
    found = await client.list_volume_groups(f"{name}g")
    assert [(vg.volume_number, dict(vg.props)) for vg in found] == [(0, {"Aux/tier": "fast"})]


async def _group_gone(client: Client, emu: Emulator, name: str) -> None:
    assert f"{name}g" not in emu.state.dump()["resource_groups"]


async def _spawned(client: Client, emu: Emulator, name: str) -> None:
    assert_settled(emu, name, diskful=2, clients=[])
    assert definitions(emu)[name]["resource_group"] == f"{name}g"


async def _proxied(client: Client, emu: Emulator, name: str) -> None:
    conn = await client.get_resource_connection(name, "node-1", "node-2")
    assert conn.flags == ("DRBD_PROXY",)
    assert_settled(emu, name, diskful=2, clients=[])


async def _with_proxy(client: Client, emu: Emulator, name: str) -> None:
    emu.state.add_resource(name, "64 MiB", ["node-1", "node-2"])
    await Resource(name, client=client).drbd_proxy_enable("node-1", "node-2")


async def _direct(client: Client, emu: Emulator, name: str) -> None:
    conn = await client.get_resource_connection(name, "node-1", "node-2")
    assert conn.flags == ()
    assert_settled(emu, name, diskful=2, clients=[])


async def _with_keys(client: Client, emu: Emulator, name: str) -> None:
    await KV(f"{name}kv", "/app/", client).update({"a": "1", "b": "2"})


async def _keys_set(client: Client, emu: Emulator, name: str) -> None:
    assert await KV(f"{name}kv", "/app/", client).to_dict() == {"a": "1", "b": "2"}


async def _key_deleted(client: Client, emu: Emulator, name: str) -> None:
    assert await KV(f"{name}kv", "/app/", client).to_dict() == {"b": "2"}


@dataclass(frozen=True)
class Operation:
    setup: Step
    run: Callable[[Client, str], Coroutine[Any, Any, Any]]
    check: Step


def _res(client: Client, name: str) -> Resource:
    return Resource(name, client=client)


OPERATIONS: dict[str, Operation] = {
    "create": Operation(_nothing, lambda c, n: declared(c, n).create(), _created),
    "autoplace": Operation(_nothing, lambda c, n: declared(c, n).autoplace(), _settled),
    "resize": Operation(_placed(), _resize, _resized),
    "activate": Operation(
        _placed(), lambda c, n: _res(c, n).activate("node-3"), _settled_with(2, ["node-3"])
    ),
    "deactivate": Operation(
        _placed(diskless=("node-3",)), lambda c, n: _res(c, n).deactivate("node-3"), _settled
    ),
    "make_diskful": Operation(
        _placed(), lambda c, n: _res(c, n).make_diskful("node-3"), _settled_with(3, [])
    ),
    "make_diskless": Operation(
        _placed(nodes=("node-1", "node-2", "node-3")),
        lambda c, n: _res(c, n).make_diskless("node-3"),
        _settled_with(2, ["node-3"]),
    ),
    "wait_ready": Operation(_deploying, lambda c, n: _res(c, n).wait_ready(), _settled),
    "watch_sync": Operation(_deploying, lambda c, n: _watch(c, n), _settled),
    "snapshot": Operation(_placed(), lambda c, n: _res(c, n).snapshot("snap1"), _one_snapshot),
    "rollback": Operation(_with_snapshot, _rollback, _settled),
    "clone": Operation(_placed(), lambda c, n: _res(c, n).clone(f"{n}c"), _cloned),
    "set_props": Operation(
        _placed(), lambda c, n: _res(c, n).set_props({"Aux/owner": "test"}), _props_set
    ),
    "refresh": Operation(_placed(), lambda c, n: _res(c, n).refresh(), _settled),
    "delete": Operation(_with_snapshot, lambda c, n: _res(c, n).delete(), _gone),
    "snapshot_restore": Operation(
        _with_snapshot,
        lambda c, n: Snapshot(n, "snap1", client=c).restore(f"{n}r"),
        _restored,
    ),
    "snapshot_delete": Operation(
        _with_snapshot, lambda c, n: Snapshot(n, "snap1", client=c).delete(), _no_snapshot
    ),
    "snapshot_many": Operation(
        _two_placed, lambda c, n: snapshot_many([n, f"{n}b"], "snap1", client=c), _both_snapshotted
    ),
    "group_apply": Operation(_nothing, lambda c, n: _group(c, n).apply(), _group_applied),
    "group_spawn": Operation(
        _with_group,
        lambda c, n: ResourceGroup(f"{n}g", client=c).spawn(n, ["64 MiB"]),
        _spawned,
    ),
    "group_delete": Operation(
        _with_group, lambda c, n: ResourceGroup(f"{n}g", client=c).delete(), _group_gone
    ),
    "drbd_proxy_enable": Operation(
        _placed(), lambda c, n: _res(c, n).drbd_proxy_enable("node-1", "node-2"), _proxied
    ),
    "drbd_proxy_disable": Operation(
        _with_proxy, lambda c, n: _res(c, n).drbd_proxy_disable("node-1", "node-2"), _direct
    ),
    "kv_update": Operation(
        _nothing, lambda c, n: KV(f"{n}kv", "/app/", c).update({"a": "1", "b": "2"}), _keys_set
    ),
    "kv_delete": Operation(
        _with_keys, lambda c, n: KV(f"{n}kv", "/app/", c).delete("a"), _key_deleted
    ),
}


async def _watch(client: Client, name: str) -> None:
    async for _ in Resource(name, client=client).watch_sync():
        pass


def _assert_nothing_left(client: Client) -> None:
    assert sdk_tasks() == []
    assert checked_out(connector_of(client)) == 0
    assert watcher_for(client).active_subscriptions == 0


async def _reference(
    client: Client, emu: Emulator, hook: CancelAtAnswer, op: Operation
) -> tuple[int, float]:
    """An undisturbed run: how many answers it took and how long."""
    await op.setup(client, emu, "ref")
    before, started = hook.answered, time.monotonic()
    await op.run(client, "ref")
    answers, took = hook.answered - before, time.monotonic() - started
    await op.check(client, emu, "ref")
    return answers, took


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_cancelled_at_every_point_leaves_nothing_and_reruns_converge(
    emu: Emulator, cancel_hook: CancelAtAnswer, operation: str
) -> None:
    op = OPERATIONS[operation]
    rng = random.Random(f"{SEED}-{operation}")
    with no_unclosed_warnings():
        async with fast_client(emu.url) as client:
            connector = connector_of(client)
            answers, took = await _reference(client, emu, cancel_hook, op)
            points: list[tuple[str, float]] = [
                ("answer", k)
                for k in sorted(rng.sample(range(1, answers + 1), min(answers, MAX_POINTS)))
            ]
            points += [("time", rng.uniform(0, took)) for _ in range(RANDOM_POINTS)]
            cancelled: list[bool] = []
            for index, (kind, at) in enumerate(points):
                name = f"r{index}"
                await op.setup(client, emu, name)
                with anyio.CancelScope() as scope:
                    if kind == "answer":
                        cancel_hook.arm(scope.cancel, int(at))
                    else:
                        scope.deadline = anyio.current_time() + at
                    await op.run(client, name)
                cancel_hook.disarm()
                cancelled.append(scope.cancelled_caught)
                _assert_nothing_left(client)
                await op.run(client, name)  # the same call again converges
                await op.check(client, emu, name)
                _assert_nothing_left(client)
        assert cancelled[0], "the earliest point must interrupt the operation"
        assert connector.closed
        assert checked_out(connector) == 0


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_task_cancel_leaves_nothing_and_reruns_converge(
    emu: Emulator, cancel_hook: CancelAtAnswer, operation: str
) -> None:
    """The same with ``asyncio.Task.cancel()``, at the first and a middle answer."""
    op = OPERATIONS[operation]
    with no_unclosed_warnings():
        async with fast_client(emu.url) as client:
            answers, _ = await _reference(client, emu, cancel_hook, op)
            for index, at in enumerate(sorted({1, max(1, answers // 2)})):
                name = f"t{index}"
                await op.setup(client, emu, name)
                task = asyncio.create_task(op.run(client, name))
                cancel_hook.arm(task.cancel, at)
                with pytest.raises(asyncio.CancelledError):
                    await task
                cancel_hook.disarm()
                _assert_nothing_left(client)
                await op.run(client, name)
                await op.check(client, emu, name)
                _assert_nothing_left(client)
