"""The shared watcher: it listens to the node event stream while backed off (and only degrades
to polling when the stream fails), and reads a large cluster only as far as it must."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio
import pytest

from aiolinstor import Client
from aiolinstor._models import ResourceInfo
from aiolinstor._waits import DONE, NotYet, Verdict, wait_until, watcher_for
from aiolinstor._watch_fetch import MAX_FILTER_NAMES, ResourceFetcher
from aiolinstor.emulator import Emulator, ErrorAnswer, Exchange, FaultRule, Timing

pytestmark = pytest.mark.emulator_only


def offline_on(node: str) -> Callable[[Sequence[ResourceInfo]], Verdict]:
    """Done once the replica on ``node`` reports no state (its satellite went away)."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        mine = [r for r in resources if r.node_name == node]
        return DONE if mine and not mine[0].state_known else NotYet()

    return condition


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait (bounded) until ``check()`` holds."""
    with anyio.fail_after(within):
        while not check():  # noqa: ASYNC110 - watches counters that have no event
            await anyio.sleep(0.01)


async def test_node_event_brings_the_backed_off_tick_forward() -> None:
    # a short keep-alive lets the emulator notice a client that closed its stream
    async with Emulator(timing=Timing.fast(), sse_keepalive_s=0.1) as emu:
        emu.state.add_resource("res0", "16 MiB", ["node-1", "node-2"])
        async with Client(emu.url, poll_interval=0.05, max_poll_interval=20.0) as client:
            watcher = watcher_for(client)

            def backed_off() -> bool:
                # listening, with the next poll far enough away that only the event can
                # explain an early tick (on a loaded machine a short pause may simply expire)
                return watcher.listening and watcher._next_due - anyio.current_time() > 2.0

            async def take_node_offline() -> None:
                await until(backed_off, within=30)
                emu.set_online("node-2", False)

            async with anyio.create_task_group() as tg:
                tg.start_soon(take_node_offline)
                await wait_until(
                    watcher,
                    ["res0"],
                    offline_on("node-2"),
                    within=60,
                    resource="res0",
                    operation="x",
                )
            assert watcher.node_events_seen >= 1
            assert watcher.event_ticks >= 1
            assert watcher.node_events_failures == 0
            # the stream is closed with the last wait, and the controller notices it
            assert not watcher.listening
            await until(lambda: emu.services.streams.open_streams == 0)
            assert emu.request_counts()["GET /v1/events/nodes"] == 1


async def test_a_failing_event_stream_degrades_to_polling() -> None:
    async with Emulator(timing=Timing.fast()) as emu:
        emu.state.add_resource("res0", "16 MiB", ["node-1", "node-2"])
        emu.add_fault(FaultRule(ErrorAnswer(500), method="GET", path="^/v1/events/nodes$"))
        async with Client(emu.url, poll_interval=0.05, max_poll_interval=0.5) as client:
            watcher = watcher_for(client)

            async def take_node_offline() -> None:
                await until(lambda: watcher.node_events_failures > 0)
                emu.set_online("node-2", False)

            async with anyio.create_task_group() as tg:
                tg.start_soon(take_node_offline)
                await wait_until(
                    watcher,
                    ["res0"],
                    offline_on("node-2"),
                    within=60,
                    resource="res0",
                    operation="x",
                )
            # one failed attempt, then polling only (no retry within EVENTS_RETRY_S)
            assert watcher.node_events_failures == 1
            assert watcher.event_ticks == 0
            assert emu.request_counts()["GET /v1/events/nodes"] == 1
            assert watcher.fetch_count >= 2


async def test_short_waits_do_not_open_the_stream() -> None:
    async with Emulator(timing=Timing.fast()) as emu:
        emu.state.add_resource("res0", "16 MiB", ["node-1", "node-2"])
        async with Client(emu.url) as client:
            watcher = watcher_for(client)
            for _ in range(3):
                await wait_until(
                    watcher, ["res0"], lambda _: DONE, within=10, resource="res0", operation="x"
                )
            assert "GET /v1/events/nodes" not in emu.request_counts()
            assert watcher.fetch_count == 3


async def test_a_large_cluster_is_read_only_as_far_as_watched() -> None:
    views: list[str] = []

    def record(exchange: Exchange) -> None:
        if exchange.route == "/v1/view/resources":
            views.append(exchange.query_string)

    async with Emulator(timing=Timing.fast(), observers=[record]) as emu:
        names = [f"res{index:03d}" for index in range(350)]
        for name in names:
            emu.state.add_resource(name, "16 MiB", ["node-1", "node-2"])
        async with Client(emu.url) as client:
            fetch = ResourceFetcher(client)
            few = names[:20]
            assert {r.name for r in await fetch(few)} == set(few)
            assert views == ["&".join(f"resources={name}" for name in few)]

            # more names than one filter takes: the first read takes the whole cluster ...
            watched = names[: MAX_FILTER_NAMES + 20]
            views.clear()
            assert len(await fetch(watched)) == 2 * 350
            assert views == [""] and fetch.cluster_size == 350
            # ... and shows it is much larger than the watched set: then only those are read,
            # one filter's worth per request
            views.clear()
            found = await fetch(watched)
            assert sorted({r.name for r in found}) == watched and len(found) == 2 * len(watched)
            assert sorted(query.count("resources=") for query in views) == [20, MAX_FILTER_NAMES]

            # watching half of the cluster or more: one request for everything again
            views.clear()
            assert len(await fetch(names[:200])) == 2 * 350
            assert views == [""]
