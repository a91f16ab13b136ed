"""Waiting at scale: many concurrent waits on one client, and how quickly they notice a change.

``waiters`` resources (2 replicas each, settled) and one wait per resource through the one wait
engine every ``Resource`` operation uses. The emulator runs in this process, on the same event
loop, so a change can be made for all resources at one known instant (its rendering of the
state also competes with the waiters for the loop, as a busy controller would). The times of
the watcher's polls are taken from the emulator's answers.

1. Idle waiting: for ``idle_s`` seconds nothing changes; count the controller's requests.
2. Changes only polling can see (every resource marked in use, then not in use, on one node at
   the same instant), after pauses of different lengths: the delay until each wait returns,
   the tick that spanned the change (poll before it to poll after it), and how many polls
   each wait needed after the change ("within one tick": the first poll that could see the
   change ends the wait). A poll of all resources itself takes a while (the emulator renders
   them on this loop, the client parses them), which the delay includes.
3. A change the node event stream announces (a node goes offline): the same figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio
from _common import Section, median, ms, percentile

from aiolinstor import Client
from aiolinstor._models import ResourceInfo
from aiolinstor._waits import DONE, NotYet, Verdict, wait_until, watcher_for
from aiolinstor.emulator import Emulator, Exchange, Timing

VIEW_ROUTE = "/v1/view/resources"
POLL_INTERVAL = 0.25
MAX_POLL_INTERVAL = 2.0

Condition = Callable[[Sequence[ResourceInfo]], Verdict]


@dataclass
class WaitSettings:
    waiters: int = 1000
    idle_s: float = 10.0
    #: Pauses before the polled changes after the first (seconds).
    pauses: tuple[float, ...] = (1.3, 3.1)


@dataclass
class Round:
    """One change seen by every waiter: the delays, the tick that spanned the change, and
    how many polls each wait needed after it."""

    what: str
    delays: list[float]
    tick: float
    polls: list[int]

    def describe(self) -> str:
        return (
            f"{ms(median(self.delays))} / {ms(percentile(self.delays, 0.9))} / "
            f"{ms(max(self.delays))}; tick {ms(self.tick)}; polls needed: median "
            f"{median(self.polls):g}, max {max(self.polls)}"
        )

    @property
    def within_one_tick(self) -> bool:
        return median(self.polls) <= 1


@dataclass
class PollLog:
    """When the emulator answered each ``GET /v1/view/resources``."""

    times: list[float] = field(default_factory=list)

    def __call__(self, exchange: Exchange) -> None:
        if exchange.method == "GET" and exchange.route == VIEW_ROUTE:
            self.times.append(time.perf_counter())

    def spanning(self, at: float) -> float:
        """The pause between the last poll before ``at`` and the first one after it."""
        before = max((t for t in self.times if t < at), default=at)
        after = min((t for t in self.times if t >= at), default=at)
        return after - before

    def between(self, start: float, end: float) -> int:
        """Polls answered after ``start`` (they saw a change made then) until ``end``."""
        return sum(1 for t in self.times if start <= t <= end)

    def round(self, what: str, delays: list[float], at: float) -> Round:
        polls = [self.between(at, at + delay) for delay in delays]
        return Round(what, delays, self.spanning(at), polls)


def in_use_on(nodes: Sequence[str], wanted: bool) -> Condition:
    """Done once the replica on any of ``nodes`` shows ``in_use == wanted``."""

    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        for info in resources:
            if info.node_name in nodes and info.state_known and info.in_use is wanted:
                return DONE
        return NotYet()

    return condition


def offline_on(node: str) -> Condition:
    def condition(resources: Sequence[ResourceInfo]) -> Verdict:
        mine = next((r for r in resources if r.node_name == node), None)
        return DONE if mine is not None and not mine.state_known else NotYet()

    return condition


async def run_waits(
    client: Client,
    names: Sequence[str],
    condition: Condition,
    change: Callable[[], None],
    pause: float,
) -> tuple[list[float], float]:
    """Wait on every name at once and make ``change`` after ``pause`` seconds; return each
    wait's delay after the change, and when it was made."""
    watcher = watcher_for(client)
    returned: list[float] = []

    async def one(name: str) -> None:
        await wait_until(watcher, [name], condition, within=300, resource=name, operation="bench")
        returned.append(time.perf_counter())

    async with anyio.create_task_group() as tg:
        for name in names:
            tg.start_soon(one, name)
        await anyio.sleep(pause)
        changed_at = time.perf_counter()
        change()
    return [at - changed_at for at in returned], changed_at


async def bench_waits(settings: WaitSettings) -> Section:
    count = settings.waiters
    section = Section(
        "waits",
        f"3. {count:,} concurrent waits on one client",
        f"{count:,} settled resources on 3 nodes, one wait each (the engine behind every "
        f"`Resource` call), `poll_interval={POLL_INTERVAL}`, `max_poll_interval="
        f"{MAX_POLL_INTERVAL}` (the defaults); emulator in this process. Delays are median / "
        "p90 / max from the change to each wait's return.",
    )
    names = [f"wait{index:04d}" for index in range(count)]
    owners = {name: f"node-{1 + index % 2}" for index, name in enumerate(names)}
    polls = PollLog()
    rounds: list[Round] = []
    async with Emulator(nodes=3, timing=Timing(speed=10), observers=[polls]) as emu:
        for name in names:
            emu.state.add_resource(name, "64 MiB", [owners[name], "node-3"])
        async with Client(
            emu.url, poll_interval=POLL_INTERVAL, max_poll_interval=MAX_POLL_INTERVAL
        ) as client:
            watcher = watcher_for(client)
            emu.stats.reset()
            idle: dict[str, int] = {}

            def mark(in_use: bool) -> Callable[[], None]:
                def change() -> None:
                    if not idle:  # the end of the idle period
                        idle.update(requests=emu.stats.total, fetches=watcher.fetch_count)
                        idle["views"] = emu.request_counts().get("GET " + VIEW_ROUTE, 0)
                    for name in names:
                        emu.set_in_use(name, owners[name], in_use)

                return change

            pauses = (settings.idle_s, *settings.pauses)
            for number, pause in enumerate(pauses):
                wanted = number % 2 == 0
                condition = in_use_on(("node-1", "node-2"), wanted)
                delays, at = await run_waits(client, names, condition, mark(wanted), pause)
                rounds.append(polls.round(f"in use = {wanted} after {pause:g} s", delays, at))

            def take_offline() -> None:
                emu.set_online("node-3", False)

            events_before = watcher.event_ticks
            delays, at = await run_waits(
                client, names, offline_on("node-3"), take_offline, settings.idle_s / 2
            )
            evented = polls.round("node-3 offline", delays, at)
            event_ticks = watcher.event_ticks - events_before
    per_tick = idle["views"] / max(idle["fetches"], 1)
    section.add(
        "controller requests while idle-waiting",
        f"{idle['requests'] / settings.idle_s:.2f} per second ({idle['views']} "
        f"view/resources in {settings.idle_s:g} s, each serving all {count:,} waits)",
    )
    section.add(
        "view/resources requests per watcher tick", f"{per_tick:.2f}", "≤ 1", per_tick <= 1.0
    )
    for one in rounds:
        section.add(
            f"polled change ({one.what})",
            one.describe(),
            "within one tick",
            one.within_one_tick,
        )
    section.add(
        "node event (node-3 offline, the tick backed off)",
        evented.describe(),
        "within one tick",
        evented.within_one_tick,
    )
    section.add("ticks brought forward by node events", str(event_ticks))
    section.data = {
        "settings": vars(settings),
        "idle": idle,
        "rounds": [vars(one) for one in [*rounds, evented]],
    }
    return section
