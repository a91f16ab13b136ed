"""Satellites misbehaving in the middle of an operation: going offline right after the
controller accepted the change, being slow, or reporting a failure.

The wait either completes when the satellite returns or raises ConvergenceTimeout naming it;
the pending change stays visible to the caller (``refresh()``), and running the same call again
once the satellite is back converges without doing anything twice.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from aiolinstor import ApiCallError, Client, ConvergenceFailed, ConvergenceTimeout, Resource
from aiolinstor.emulator import Emulator, Exchange, Timing

from .rel_helpers import (
    GROWN,
    GROWN_KIB,
    assert_settled,
    client_nodes,
    declared,
    definitions,
    diskful_nodes,
    replicas,
    total_requests,
    until,
    writes,
)

pytestmark = pytest.mark.emulator_only

SHORT = 0.4  # deadline of the calls that must time out (the emulator works 100x faster)


@dataclass
class OfflineAfterWrite:
    """Takes ``victim`` offline right after the controller answered a matching write."""

    emu: Emulator | None = None
    method: str = ""
    path: str = "$^"
    victim: str = ""
    taken: list[str] = field(default_factory=list)

    def __call__(self, exchange: Exchange) -> None:
        if self.emu is None or self.taken or exchange.method != self.method:
            return
        if re.search(self.path, exchange.path) and exchange.status < 300:
            self.emu.set_online(self.victim, False)
            self.taken.append(self.victim)


@pytest.fixture
def offline_after_write() -> OfflineAfterWrite:
    return OfflineAfterWrite()


@pytest.fixture
def emulator_options(offline_after_write: OfflineAfterWrite) -> dict[str, Any]:
    return {"nodes": 3, "timing": Timing.fast(), "observers": [offline_after_write]}


@dataclass(frozen=True)
class Case:
    """An operation on ``foo`` (on node-1 and node-2; node-3 is free) and its victim node.

    The victim goes offline right after the controller answered the operation's write, or,
    for writes the controller answers only once the satellites applied them (``before``),
    right before the operation starts.
    """

    method: str
    path: str
    victim: str
    run: Callable[[Resource, float | None], Awaitable[Any]]
    check: Callable[[Emulator], None]
    before: bool = False
    activated: bool = False  # node-3 holds a diskless client before the operation


def _placed(emu: Emulator) -> None:
    assert_settled(emu, "foo", diskful=2, clients=[])


def _resized(emu: Emulator) -> None:
    assert definitions(emu)["foo"]["volume_definitions"][0]["size_kib"] == GROWN_KIB
    for replica in replicas(emu, "foo").values():
        assert replica["volumes"][0]["usable_kib"] >= GROWN_KIB
    assert_settled(emu, "foo", diskful=2, clients=[])


def _activated(emu: Emulator) -> None:
    assert_settled(emu, "foo", diskful=2, clients=["node-3"])


def _deleted(emu: Emulator) -> None:
    assert "foo" not in definitions(emu)


async def _snapshot(res: Resource, budget: float | None) -> None:
    snapshot = await res.snapshot("snap1", timeout=budget)
    assert snapshot.successful
    assert [s.name for s in await res.snapshots()] == ["snap1"]


CASES = {
    "autoplace": Case(
        "POST", r"/autoplace$", "node-1", lambda res, t: res.autoplace(timeout=t), _placed
    ),
    "resize": Case(
        "PUT",
        r"/volume-definitions/0$",
        "node-1",
        lambda res, t: res.volumes[0].resize(GROWN, timeout=t),
        _resized,
    ),
    "activate": Case(
        "POST",
        r"/make-available$",
        "node-3",
        lambda res, t: res.activate("node-3", timeout=t),
        _activated,
    ),
    "deactivate": Case(
        "DELETE",
        r"/resources/node-3$",
        "node-3",
        lambda res, t: res.deactivate("node-3", timeout=t),
        _placed,
        before=True,
        activated=True,
    ),
    "delete": Case(
        "DELETE",
        r"^/v1/resource-definitions/foo$",
        "node-1",
        lambda res, t: res.delete(timeout=t),
        _deleted,
        before=True,
    ),
}


async def _prepare(
    client: Client, emu: Emulator, hook: OfflineAfterWrite, operation: str
) -> Resource:
    """``foo`` ready for ``operation``, and the victim offline or ``hook`` armed to take it."""
    case = CASES[operation]
    res = declared(client)
    res.placement.node_names = ["node-1", "node-2"]
    if operation == "autoplace":
        await res.create()
    else:
        await res.autoplace()
    if case.activated:
        await res.activate("node-3")
    if case.before:
        emu.set_online(case.victim, False)
        hook.taken.append(case.victim)
    else:
        hook.emu, hook.method, hook.path, hook.victim = emu, case.method, case.path, case.victim
    return res


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_satellite_offline_then_back_during_the_wait(
    emu: Emulator,
    client: Client,
    offline_after_write: OfflineAfterWrite,
    operation: str,
) -> None:
    case = CASES[operation]
    res = await _prepare(client, emu, offline_after_write, operation)

    async def bring_back() -> None:
        await until(lambda: bool(offline_after_write.taken))
        seen = total_requests(emu)
        await until(lambda: total_requests(emu) >= seen + 3)  # the wait polled a few times
        emu.set_online(case.victim, True)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as group:
            group.start_soon(bring_back)
            await case.run(res, None)
    assert offline_after_write.taken == [case.victim]
    case.check(emu)


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_satellite_staying_offline_is_named_and_the_change_stays_visible(
    emu: Emulator,
    client: Client,
    offline_after_write: OfflineAfterWrite,
    operation: str,
) -> None:
    case = CASES[operation]
    res = await _prepare(client, emu, offline_after_write, operation)
    with pytest.raises(ConvergenceTimeout) as caught:
        await case.run(res, SHORT)
    assert offline_after_write.taken == [case.victim]
    assert case.victim in {lag.node for lag in caught.value.laggards}
    assert case.victim in str(caught.value)
    seen = await Resource("foo", client=client).refresh()  # the caller sees what is pending
    assert seen.exists
    assert case.victim in seen.replicas
    before = writes(emu)
    emu.set_online(case.victim, True)
    await case.run(res, None)  # the same call again resumes and converges
    case.check(emu)
    again = {k: n - before.get(k, 0) for k, n in writes(emu).items() if n != before.get(k, 0)}
    # nothing is sent twice; an autoplace is declarative (the controller answers "already
    # deployed") and a pending deletion is confirmed again
    assert set(again) <= {
        "POST /v1/resource-definitions/{rsc}/autoplace",
        "DELETE /v1/resource-definitions/{rsc}",
    }, again


async def test_snapshot_with_a_satellite_offline_is_refused_and_leaves_nothing(
    emu: Emulator, client: Client
) -> None:
    res = declared(client)
    await res.autoplace()
    victim = diskful_nodes(emu, "foo")[0]
    emu.set_online(victim, False)
    with pytest.raises(ApiCallError, match=victim) as caught:
        await _snapshot(res, SHORT)
    assert caught.value.status == 500
    assert await res.snapshots() == []
    emu.set_online(victim, True)
    await _snapshot(res, None)


async def test_slow_satellite_only_slows_the_wait(emu: Emulator, client: Client) -> None:
    emu.set_speed("node-1", 0.2)
    res = declared(client)
    res.placement.node_names = ["node-1", "node-2"]
    await res.autoplace()
    await res.volumes[0].resize(GROWN)
    await res.activate("node-3")
    assert_settled(emu, "foo", diskful=2, clients=["node-3"])


@pytest.mark.parametrize("operation", ["activate", "resize", "autoplace"])
async def test_satellite_failure_is_typed_and_recoverable(
    emu: Emulator, client: Client, operation: str
) -> None:
    res = declared(client)
    res.placement.node_names = ["node-1", "node-2"]
    await res.create()
    if operation != "autoplace":
        await res.autoplace()
    failing = "node-3" if operation == "activate" else "node-1"
    emu.set_failure(failing, "disk on fire")
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "activate": lambda: res.activate("node-3", timeout=5),
        "resize": lambda: res.volumes[0].resize(GROWN, timeout=5),
        "autoplace": lambda: res.autoplace(timeout=5),
    }
    for _ in range(2):  # the answer carries the failure, the wait of a re-run reports it
        with pytest.raises((ApiCallError, ConvergenceFailed), match="disk on fire") as caught:
            await calls[operation]()
        error = caught.value
        assert isinstance(error, (ApiCallError, ConvergenceFailed))
        assert error.error_report_ids
    emu.set_failure(failing, None)  # the satellite recovers and retries the change
    await calls[operation]()
    assert_settled(emu, "foo", diskful=2, clients=["node-3"] if operation == "activate" else [])
    assert client_nodes(emu, "foo") == (["node-3"] if operation == "activate" else [])
