"""Unit tests of the wait engine and the shared watcher, with a fake fetch on a virtual clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hl_virtual_time import run_virtual

from aiolinstor._errors import ConnectError, ConvergenceFailed, ConvergenceTimeout
from aiolinstor._models import ResourceInfo
from aiolinstor._waits import (
    DONE,
    Failed,
    NotYet,
    attached,
    disk_mode,
    gone,
    observe_changes,
    replicas_ready,
    resynced,
    volume_resized,
    wait_until,
)
from aiolinstor._watcher import Watcher


# --- fakes -------------------------------------------------------------------------------------
def replica(
    name: str,
    node: str,
    *,
    disk: str | None = "UpToDate",
    peers: dict[str, str] | None = None,
    sync: dict[str, tuple[str, float | None]] | None = None,
    flags: Sequence[str] = (),
    size_kib: int = 1024,
    device: str | None = "/dev/drbd1000",
    state: bool = True,
    volume_flags: Sequence[str] = (),
) -> dict[str, Any]:
    """A view/resources element shaped like a real controller's."""
    peers = peers or {}
    volume: dict[str, Any] = {
        "volume_number": 0,
        "storage_pool_name": "pool",
        "allocated_size_kib": size_kib,
        "layer_data_list": [{"type": "DRBD", "data": {"usable_size_kib": size_kib}}],
    }
    if device:
        volume["device_path"] = device
    if volume_flags:
        volume["flags"] = list(volume_flags)
    out: dict[str, Any] = {"name": name, "node_name": node, "volumes": [volume]}
    if flags:
        out["flags"] = list(flags)
    if state:
        replication = {
            peer: {"replication_state": (sync or {}).get(peer, ("Established", None))[0]}
            for peer in peers
        }
        for peer, (_, done) in (sync or {}).items():
            if done is not None:
                replication[peer]["done_percentage"] = done
        volume["state"] = {"disk_state": disk} if disk else {}
        if replication:
            volume["state"]["replication_states"] = replication
        out["state"] = {"in_use": False}
        out["layer_object"] = {
            "type": "DRBD",
            "drbd": {
                "connections": {
                    peer: {"connected": msg == "Connected", "message": msg}
                    for peer, msg in peers.items()
                }
            },
        }
    return out


@dataclass
class Settings:
    poll_interval: float = 0.25
    max_poll_interval: float = 2.0


@dataclass
class FakeController:
    """Answers fetches from a mutable table; records every fetch (time, names)."""

    table: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    latency: float = 0.01
    calls: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    fail_next: int = 0

    async def fetch(self, names: Sequence[str]) -> list[ResourceInfo]:
        self.calls.append((anyio.current_time(), tuple(names)))
        await anyio.sleep(self.latency)
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectError("controller unreachable")
        return [
            ResourceInfo.from_json(item)
            for name in names
            for item in self.table.get(name.upper(), [])
        ]

    def set(self, name: str, *items: dict[str, Any]) -> None:
        self.table[name.upper()] = list(items)


def healthy(name: str) -> list[dict[str, Any]]:
    return [
        replica(name, "a", peers={"b": "Connected"}),
        replica(name, "b", peers={"a": "Connected"}),
    ]


def syncing(name: str, done: float) -> list[dict[str, Any]]:
    return [
        replica(name, "a", peers={"b": "Connected"}, sync={"b": ("SyncSource", None)}),
        replica(
            name,
            "b",
            disk="Inconsistent",
            peers={"a": "Connected"},
            sync={"a": ("SyncTarget", done)},
        ),
    ]


def new_watcher(ctrl: FakeController, **settings: float) -> Watcher:
    return Watcher(ctrl.fetch, Settings(**settings))


# --- conditions --------------------------------------------------------------------------------
def infos(*items: dict[str, Any]) -> list[ResourceInfo]:
    return [ResourceInfo.from_json(i) for i in items]


def test_replicas_ready_verdicts() -> None:
    ready = replicas_ready(min_diskful=2)
    assert ready(infos(*healthy("r"))) is DONE
    verdict = ready(infos(*syncing("r", 42.5)))
    assert isinstance(verdict, NotYet)
    (lag,) = verdict.laggards
    assert (lag.node, lag.disk_state, lag.done_percentage) == ("b", "Inconsistent", 42.5)
    assert lag.replication_state is not None and "SyncTarget" in lag.replication_state
    # too few diskful replicas
    verdict = ready(infos(healthy("r")[0]))
    assert isinstance(verdict, NotYet) and "1 of 2" in verdict.laggards[0].reason
    # an offline satellite reports no state
    offline = replica("r", "b", state=False)
    verdict = ready(infos(healthy("r")[0], offline))
    assert isinstance(verdict, NotYet) and verdict.laggards[0].node == "b"
    assert "no state" in verdict.laggards[0].reason
    # a disconnected peer
    cut = replica("r", "a", peers={"b": "Connecting"})
    verdict = ready(infos(cut, healthy("r")[1]))
    assert isinstance(verdict, NotYet) and verdict.laggards[0].connection == "b Connecting"
    # a failed disk fails at once
    verdict = ready(infos(replica("r", "a", disk="Failed"), healthy("r")[1]))
    assert isinstance(verdict, Failed) and verdict.laggards[0].node == "a"
    # so does an error a satellite attached to a volume, with its error report ids
    broken = replica("r", "b", state=False)
    broken["volumes"][0]["reports"] = [
        {
            "ret_code": -4611686018427386906,
            "message": "(b) disk on fire",
            "error_report_ids": ["R-1"],
        }
    ]
    verdict = ready(infos(healthy("r")[0], broken))
    assert isinstance(verdict, Failed)
    assert verdict.laggards[0].error_report_ids == ("R-1",)
    assert "disk on fire" in verdict.laggards[0].reason


def test_other_conditions() -> None:
    client = replica("r", "c", disk="Diskless", flags=["DISKLESS", "DRBD_DISKLESS"])
    assert attached("c")(infos(*healthy("r"), client)) is DONE
    assert isinstance(attached("c")(infos(*healthy("r"))), NotYet)
    no_dev = replica("r", "c", disk="Diskless", flags=["DISKLESS"], device=None)
    assert isinstance(attached("c")(infos(no_dev)), NotYet)
    inactive = replica("r", "c", flags=["INACTIVE"], disk=None)
    assert "inactive" in attached("c")(infos(inactive)).laggards[0].reason  # type: ignore[union-attr]

    assert gone("c")(infos(*healthy("r"))) is DONE
    assert isinstance(gone("a")(infos(*healthy("r"))), NotYet)
    assert gone()(infos()) is DONE
    tiebreaker = replica("r", "c", disk="Diskless", flags=["DISKLESS", "TIE_BREAKER"])
    assert gone("c")(infos(tiebreaker)) is DONE

    assert disk_mode("c", diskful=False)(infos(client)) is DONE
    adding = replica("r", "c", disk="Inconsistent", flags=["DISK_ADDING"])
    assert isinstance(disk_mode("c", diskful=True)(infos(adding)), NotYet)
    assert disk_mode("a", diskful=True)(infos(*healthy("r"))) is DONE

    small = healthy("r")
    assert isinstance(volume_resized(0, 2048)(infos(*small)), NotYet)
    big = [
        replica("r", node, peers={peer: "Connected"}, size_kib=2048)
        for node, peer in (("a", "b"), ("b", "a"))
    ]
    assert volume_resized(0, 2048)(infos(*big)) is DONE
    flagged = [replica("r", "a", volume_flags=["DRBD_RESIZE"], size_kib=4096)]
    assert isinstance(volume_resized(0, 2048)(infos(*flagged)), NotYet)

    assert resynced()(infos(*healthy("r"))) is DONE
    assert isinstance(resynced()(infos(*syncing("r", 10.0))), NotYet)
    assert isinstance(resynced()(infos(healthy("r")[0], replica("r", "b", disk="Failed"))), Failed)


# --- the engine --------------------------------------------------------------------------------
def test_wait_returns_when_state_converges() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("r", *syncing("r", 0.0))
        watcher = new_watcher(ctrl)

        async def progress() -> None:
            for done in (30.0, 60.0, 90.0):
                await anyio.sleep(1.0)
                ctrl.set("r", *syncing("r", done))
            await anyio.sleep(1.0)
            ctrl.set("r", *healthy("r"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(progress)
            start = anyio.current_time()
            observed = await wait_until(
                watcher, ["r"], replicas_ready(2), within=60, resource="r", operation="place"
            )
            elapsed = anyio.current_time() - start
        assert {i.node_name for i in observed} == {"a", "b"}
        assert 4.0 <= elapsed <= 4.0 + 2.5  # virtual time: within one capped tick of the change
        assert watcher.active_subscriptions == 0

    run_virtual(main)


def test_timeout_names_laggards() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("r", *syncing("r", 12.5))
        watcher = new_watcher(ctrl)
        start = anyio.current_time()
        with pytest.raises(ConvergenceTimeout) as caught:
            await wait_until(
                watcher, ["r"], replicas_ready(2), within=30, resource="r", operation="place"
            )
        assert anyio.current_time() - start == pytest.approx(30, abs=0.01)
        error = caught.value
        assert isinstance(error, TimeoutError)
        assert (error.resource, error.operation, error.timeout) == ("r", "place", 30)
        (lag,) = error.laggards
        assert lag.node == "b" and lag.disk_state == "Inconsistent" and lag.done_percentage == 12.5
        assert "b: volume 0 is Inconsistent" in str(error) and "12.5%" in str(error)
        # idle ticks back off up to the cap: far fewer fetches than 30 s / 0.25 s
        assert len(ctrl.calls) <= 30 / 2.0 + 6
        gaps = [b[0] - a[0] for a, b in zip(ctrl.calls, ctrl.calls[1:], strict=False)]
        assert all(0.25 <= gap <= 2.0 + 1e-9 for gap in gaps)
        assert gaps[-1] > gaps[0]

    run_virtual(main)


def test_failure_raises_before_deadline() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("r", *syncing("r", 5.0))
        watcher = new_watcher(ctrl)

        async def break_disk() -> None:
            await anyio.sleep(3)
            ctrl.set("r", healthy("r")[0], replica("r", "b", disk="Failed"))

        async with anyio.create_task_group() as tg:
            tg.start_soon(break_disk)
            with pytest.raises(ConvergenceFailed) as caught:
                await wait_until(
                    watcher, ["r"], replicas_ready(2), within=300, resource="r", operation="x"
                )
        assert anyio.current_time() < 10
        assert caught.value.laggards[0].node == "b"

    run_virtual(main)


def test_many_waiters_share_one_fetch_per_tick() -> None:
    async def main() -> None:
        ctrl = FakeController()
        count = 50
        names = [f"r{i}" for i in range(count)]
        for name in names:
            ctrl.set(name, *syncing(name, 0.0))
        watcher = new_watcher(ctrl)
        evaluations: dict[str, int] = dict.fromkeys(names, 0)
        finished: dict[str, float] = {}

        def counting(name: str) -> Any:
            ready = replicas_ready(2)

            def condition(resources: Sequence[ResourceInfo]) -> Any:
                evaluations[name] += 1
                return ready(resources)

            return condition

        async def waiter(name: str) -> None:
            await wait_until(
                watcher, [name], counting(name), within=120, resource=name, operation="place"
            )
            finished[name] = anyio.current_time()

        async def converge() -> None:
            # resources converge one after another; r0 never changes until the very end
            for name in names[1:]:
                await anyio.sleep(0.5)
                ctrl.set(name, *healthy(name))
            await anyio.sleep(0.5)
            ctrl.set("r0", *healthy("r0"))

        async with anyio.create_task_group() as tg:
            for name in names:
                tg.start_soon(waiter, name)
            tg.start_soon(converge)

        assert set(finished) == set(names)
        # O(1) requests per tick: one fetch per tick (never more often than poll_interval),
        # each serving every waiter registered at that moment
        ticks = len(ctrl.calls)
        elapsed = anyio.current_time()
        assert ticks <= elapsed / 0.25 + 1
        gaps = [b[0] - a[0] for a, b in zip(ctrl.calls, ctrl.calls[1:], strict=False)]
        assert min(gaps) >= 0.25
        assert max(len(call[1]) for call in ctrl.calls) == count
        served = sum(len(call[1]) for call in ctrl.calls)
        assert served > 10 * ticks, (served, ticks)
        for at, fetched in ctrl.calls[1:]:  # the first one started before the others came
            waiting = {name for name in names if finished.get(name, 1e9) >= at}
            assert waiting <= set(fetched)
        # waiters are woken only when their own resource changed: r0 saw exactly two states
        assert evaluations["r0"] == 2
        assert all(evaluations[name] <= 3 for name in names)
        assert watcher.active_subscriptions == 0

    run_virtual(main)


def test_cancelling_the_fetching_leader_does_not_strand_others() -> None:
    async def main() -> None:
        ctrl = FakeController(latency=1.0)
        ctrl.set("a", *syncing("a", 0.0))
        ctrl.set("b", *syncing("b", 0.0))
        watcher = new_watcher(ctrl)
        results: list[str] = []

        async def leader(scope_holder: list[anyio.CancelScope]) -> None:
            with anyio.CancelScope() as scope:
                scope_holder.append(scope)
                await wait_until(
                    watcher, ["a"], replicas_ready(2), within=100, resource="a", operation="x"
                )
            results.append("leader cancelled" if scope.cancel_called else "leader done")

        async def follower() -> None:
            await wait_until(
                watcher, ["b"], replicas_ready(2), within=100, resource="b", operation="x"
            )
            results.append("follower done")

        async def cancel_mid_fetch(scope_holder: list[anyio.CancelScope]) -> None:
            # first fetch starts at t=0 and lasts 1 s; cancel the leader in the middle of it
            await anyio.sleep(0.5)
            assert len(ctrl.calls) == 1
            scope_holder[0].cancel()
            await anyio.sleep(2)
            ctrl.set("b", *healthy("b"))

        holder: list[anyio.CancelScope] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(leader, holder)
            await anyio.lowlevel.checkpoint()
            tg.start_soon(follower)
            tg.start_soon(cancel_mid_fetch, holder)
        assert results == ["leader cancelled", "follower done"]
        assert watcher.active_subscriptions == 0
        # the successor fetched again right away, for the remaining resource only
        assert ctrl.calls[1][1] == ("b",)
        assert ctrl.calls[1][0] == pytest.approx(0.5, abs=0.01)

        # the watcher still serves new waiters
        ctrl.set("c", *healthy("c"))
        await wait_until(watcher, ["c"], replicas_ready(2), within=5, resource="c", operation="x")

    run_virtual(main)


def test_first_observation_is_fresh() -> None:
    async def main() -> None:
        ctrl = FakeController(latency=1.0)
        ctrl.set("r", *syncing("r", 0.0))
        watcher = new_watcher(ctrl)
        seen_by_late: list[float] = []

        async def early() -> None:
            await wait_until(
                watcher, ["r"], replicas_ready(2), within=100, resource="r", operation="x"
            )

        async def late() -> None:
            await anyio.sleep(0.5)  # registers while the first fetch (t=0..1) is in flight
            ctrl.set("r", *healthy("r"))

            def condition(resources: Sequence[ResourceInfo]) -> Any:
                seen_by_late.append(anyio.current_time())
                return replicas_ready(2)(resources)

            await wait_until(watcher, ["r"], condition, within=100, resource="r", operation="x")

        async with anyio.create_task_group() as tg:
            tg.start_soon(early)
            tg.start_soon(late)
        # the late waiter's first look came from a fetch started after it registered, so it
        # saw the healthy state at once and evaluated exactly once
        assert len(seen_by_late) == 1
        assert ctrl.calls[1][0] >= 0.5

    run_virtual(main)


def test_transport_errors_are_retried_and_reported() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("r", *healthy("r"))
        ctrl.fail_next = 2
        watcher = new_watcher(ctrl)
        await wait_until(watcher, ["r"], replicas_ready(2), within=30, resource="r", operation="x")
        assert len(ctrl.calls) == 3

        ctrl.fail_next = 10**6
        with pytest.raises(ConvergenceTimeout) as caught:
            await wait_until(
                watcher, ["r"], replicas_ready(2), within=10, resource="r", operation="x"
            )
        assert "controller unreachable" in str(caught.value)

    run_virtual(main)


def test_busy_iterator_does_not_stall_other_waiters() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("slow", *syncing("slow", 0.0))
        ctrl.set("fast", *syncing("fast", 0.0))
        watcher = new_watcher(ctrl)
        done_at: list[float] = []

        async def consumer() -> None:
            changes = observe_changes(watcher, ["slow"], within=100, resource="slow", operation="x")
            try:
                async for _ in changes:
                    await anyio.sleep(50)  # the consumer is busy between iterations
                    break
            finally:
                await changes.aclose()

        async def other() -> None:
            await anyio.sleep(1)
            ctrl.set("fast", *healthy("fast"))
            await wait_until(
                watcher, ["fast"], replicas_ready(2), within=100, resource="fast", operation="x"
            )
            done_at.append(anyio.current_time())

        async with anyio.create_task_group() as tg:
            tg.start_soon(consumer)
            tg.start_soon(other)
        assert done_at and done_at[0] < 5
        assert watcher.active_subscriptions == 0

    run_virtual(main)


def test_observe_changes_until_done_or_deadline() -> None:
    async def main() -> None:
        ctrl = FakeController()
        ctrl.set("r", *syncing("r", 0.0))
        watcher = new_watcher(ctrl)
        seen: list[float | None] = []
        with pytest.raises(ConvergenceTimeout) as caught:
            async for observed in observe_changes(
                watcher, ["r"], within=5, resource="r", operation="x", until=resynced()
            ):
                seen.append(observed[1].volumes[0].replication_states["a"].done_percentage)
        assert seen == [0.0]
        assert caught.value.laggards[0].node == "b"
        assert watcher.active_subscriptions == 0

        async def progress() -> None:
            for done in (25.0, 75.0):
                await anyio.sleep(1)
                ctrl.set("r", *syncing("r", done))
            await anyio.sleep(1)
            ctrl.set("r", *healthy("r"))

        seen.clear()
        async with anyio.create_task_group() as tg:
            tg.start_soon(progress)
            async for observed in observe_changes(
                watcher, ["r"], within=60, resource="r", operation="x", until=resynced()
            ):
                seen.append(observed[1].volumes[0].replication_states["a"].done_percentage)
        # every change seen in order (a tick may fall after two changes), ending UpToDate
        assert seen[0] == 0.0 and seen[-1] is None
        assert set(seen[1:-1]) <= {25.0, 75.0} and seen[1:-1] == sorted(seen[1:-1])

    run_virtual(main)
