"""Overhead: the same HTTP calls through bare aiohttp and through aiolinstor's low-level client.

Three reads every SDK user makes all the time: the node list, one resource definition with its
volume definitions, and the state of one resource on every node. Bare aiohttp sends them and
decodes the JSON; aiolinstor also checks the answer (status, error entries, shapes) and turns it
into typed models. Both run one after another (latency) and 16 at a time (throughput), in
alternating rounds against the same emulator child process; the median round counts. Besides
the wall time, each round's CPU time of this process (the client; the emulator runs in its
own) is reported: on a shared machine it scatters far less than the wall time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio
from _common import Section, emulator_process, median

from aiolinstor import Client

RESOURCE = "bench00001"
PATHS: tuple[tuple[str, list[tuple[str, str]]], ...] = (
    ("/v1/nodes", []),
    (
        "/v1/resource-definitions",
        [("resource_definitions", RESOURCE), ("with_volume_definitions", "true")],
    ),
    ("/v1/view/resources", [("resources", RESOURCE)]),
)
TARGET_RATIO = 1.25


@dataclass
class OverheadSettings:
    calls: int = 2000
    rounds: int = 9
    concurrency: int = 16


Call = Callable[[int], Awaitable[None]]


def bare_calls(session: aiohttp.ClientSession, url: str) -> Call:
    async def call(index: int) -> None:
        path, params = PATHS[index % len(PATHS)]
        async with session.get(url + path, params=params) as answer:
            if answer.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {answer.status}")
            data: Any = await answer.json()
            assert isinstance(data, list)

    return call


def sdk_calls(client: Client) -> Call:
    async def call(index: int) -> None:
        which = index % len(PATHS)
        if which == 0:
            await client.list_nodes()
        elif which == 1:
            await client.list_resource_definitions([RESOURCE], with_volume_definitions=True)
        else:
            await client.view_resources(resources=[RESOURCE])

    return call


async def timed(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    """Wall seconds and client CPU seconds per call for ``calls`` calls, ``concurrency`` in
    flight."""
    started, cpu = time.perf_counter(), time.process_time()
    if concurrency == 1:
        for index in range(calls):
            await call(index)
    else:
        limiter = anyio.CapacityLimiter(concurrency)

        async def one(index: int) -> None:
            async with limiter:
                await call(index)

        async with anyio.create_task_group() as tg:
            for index in range(calls):
                tg.start_soon(one, index)
    return (time.perf_counter() - started) / calls, (time.process_time() - cpu) / calls


async def bench_overhead(settings: OverheadSettings) -> Section:
    section = Section(
        "overhead",
        "2. Overhead of the low-level client over bare aiohttp",
        f"{settings.calls} calls per round ({', '.join(p for p, _ in PATHS)} in turn), "
        f"{settings.rounds} alternating rounds, emulator child process with 50 resources. "
        "Bare aiohttp decodes the JSON; aiolinstor also validates it and builds models.",
    )
    results: dict[str, dict[str, list[float]]] = {}
    cpu_results: dict[str, dict[str, list[float]]] = {}
    with emulator_process(resources=50) as url:
        async with aiohttp.ClientSession() as session, Client(url) as client:
            bare, sdk = bare_calls(session, url), sdk_calls(client)
            for concurrency in (1, settings.concurrency):
                label = "sequential" if concurrency == 1 else f"{concurrency} in flight"
                rounds: dict[str, list[float]] = {"aiohttp": [], "aiolinstor": []}
                cpu: dict[str, list[float]] = {"aiohttp": [], "aiolinstor": []}
                await timed(bare, 100, concurrency)  # warm up connections and code paths
                await timed(sdk, 100, concurrency)
                for _ in range(settings.rounds):
                    for side, call in (("aiohttp", bare), ("aiolinstor", sdk)):
                        wall, used = await timed(call, settings.calls, concurrency)
                        rounds[side].append(wall)
                        cpu[side].append(used)
                results[label], cpu_results[label] = rounds, cpu
                plain, ours = median(rounds["aiohttp"]), median(rounds["aiolinstor"])
                ratio = ours / plain
                pairs = zip(rounds["aiohttp"], rounds["aiolinstor"], strict=True)
                per_round = sorted(o / p for p, o in pairs)
                cpu_plain, cpu_ours = median(cpu["aiohttp"]), median(cpu["aiolinstor"])
                section.add(f"{label}: bare aiohttp per call", f"{plain * 1e6:.0f} µs")
                section.add(f"{label}: aiolinstor per call", f"{ours * 1e6:.0f} µs")
                section.add(
                    f"{label}: aiolinstor / aiohttp",
                    f"{ratio:.2f}x (rounds: {per_round[0]:.2f}x to {per_round[-1]:.2f}x)",
                    f"≤ {TARGET_RATIO}x",
                    ratio <= TARGET_RATIO,
                )
                section.add(
                    f"{label}: client CPU per call, aiohttp / aiolinstor",
                    f"{cpu_plain * 1e6:.0f} µs / {cpu_ours * 1e6:.0f} µs "
                    f"({cpu_ours / cpu_plain:.2f}x)",
                )
    section.data = {
        "settings": vars(settings),
        "seconds_per_call": results,
        "cpu_seconds_per_call": cpu_results,
    }
    return section
