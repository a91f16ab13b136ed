"""Controller failover end to end: whole resource lifecycles through the high-level API while the
first of two controllers (one shared database) refuses, hangs, answers 503 or dies mid-run."""

from __future__ import annotations

import anyio
import pytest

from aiolinstor import RequestTimeout, Resource
from aiolinstor.emulator import Delay, Emulator, ErrorAnswer, Exchange, FaultRule, Timing

from .conftest import fast_client
from .rel_helpers import (
    assert_settled,
    declared,
    definitions,
    lifecycle,
    replicas,
    total_requests,
    until,
    writes,
)

pytestmark = pytest.mark.emulator_only


async def test_refused_first_controller(emu: Emulator, standby: Emulator) -> None:
    dead = emu.url
    await emu.stop()  # the port is closed: connections are refused
    async with fast_client([dead, standby.url]) as client:
        await lifecycle(client, standby, "foo")
        await lifecycle(client, standby, "bar", keep=True)
        assert client.active_controller == standby.url
    assert_settled(standby, "bar", diskful=2, clients=[])
    assert sorted(definitions(standby)) == ["bar"]


async def test_hung_first_controller(emu: Emulator, standby: Emulator) -> None:
    emu.start_blackhole(60)  # accepts connections and never answers
    async with fast_client([emu.url, standby.url], timeout=0.5) as client:
        with anyio.fail_after(15):
            await lifecycle(client, standby, "foo", keep=True)
        assert client.active_controller == standby.url
    # one read waited for the hung controller; the client stayed on the standby afterwards
    assert total_requests(emu) == 1
    assert writes(emu) == {}
    assert_settled(standby, "foo", diskful=2, clients=[])


async def test_first_controller_answering_503(emu: Emulator, standby: Emulator) -> None:
    emu.add_fault(FaultRule(ErrorAnswer(503), path=r"^/v1/"))
    async with fast_client([emu.url, standby.url]) as client:
        await lifecycle(client, standby, "foo", keep=True)
        assert client.active_controller == standby.url
    assert total_requests(emu) == 1
    assert_settled(standby, "foo", diskful=2, clients=[])


async def test_write_timed_out_after_sending_is_recovered_by_reading() -> None:
    """The autoplace is sent and gets no answer in time: the client reads the placement, finds
    none, and sends it once more; the slow first request is applied later as a no-op."""
    answers: list[int] = []

    def autoplace_answered(exchange: Exchange) -> None:
        if exchange.method == "POST" and exchange.path.endswith("/autoplace"):
            answers.append(exchange.status)

    async with Emulator(nodes=3, timing=Timing.fast(), observers=[autoplace_answered]) as emu:
        emu.add_fault(FaultRule(Delay(0.5), method="POST", path=r"/autoplace$", count=1))
        async with fast_client(emu.url, timeout=0.25) as client:
            res = declared(client)
            await res.create()
            await res.autoplace()
            assert_settled(emu, "foo", diskful=2, clients=[])
            await until(lambda: len(answers) == 2)  # the slow request was processed too
        assert writes(emu)["POST /v1/resource-definitions/{rsc}/autoplace"] == 2
        assert_settled(emu, "foo", diskful=2, clients=[])


async def test_every_controller_hung_is_a_request_timeout(emu: Emulator, standby: Emulator) -> None:
    emu.start_blackhole(60)
    standby.start_blackhole(60)
    async with fast_client([emu.url, standby.url], timeout=0.3, retries=2) as client:
        with pytest.raises(RequestTimeout, match="no answer") as info:
            await Resource("foo", client=client).refresh()
    assert type(info.value) is RequestTimeout
    # The first request is the version read, a GET: retried as for an unreachable controller,
    # retries + 1 rounds over both controllers.
    assert (total_requests(emu), total_requests(standby)) == (3, 3)


async def test_slow_controller_applies_a_timed_out_write_later_without_duplicates(
    emu: Emulator,
) -> None:
    """A write that timed out may still be applied by a slow controller; the next run finds
    it done instead of placing the resource twice."""
    emu.add_fault(FaultRule(Delay(0.6), method="POST", path=r"/autoplace$", count=2))
    async with fast_client(emu.url, timeout=0.2) as client:
        res = declared(client)
        await res.create()
        with pytest.raises(RequestTimeout):
            await res.autoplace()
        await until(lambda: len(replicas(emu, "foo")) >= 2)  # the controller caught up
        await res.autoplace()
    assert_settled(emu, "foo", diskful=2, clients=[])


async def test_controller_dies_during_a_run_of_operations(emu: Emulator, standby: Emulator) -> None:
    names = [f"rsc{i}" for i in range(6)]
    async with fast_client([emu.url, standby.url]) as client:

        async def kill_after_some_work() -> None:
            await until(lambda: total_requests(emu) >= 40)
            await emu.stop()

        async def kept(name: str) -> None:
            await lifecycle(client, standby, name, keep=True)

        async with anyio.create_task_group() as group:
            group.start_soon(kill_after_some_work)
            for name in names:
                group.start_soon(kept, name)
        assert client.active_controller == standby.url
    assert not emu.running
    assert total_requests(standby) > 0
    assert sorted(definitions(standby)) == names
    for name in names:
        assert_settled(standby, name, diskful=2, clients=[])
