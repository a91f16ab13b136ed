"""Size and the emulator itself.

4. Size: list and parse every resource of a large cluster (``GET /v1/view/resources``) through
   aiolinstor: wall time, and the client's peak memory (tracemalloc) while the answer is read
   and turned into models. The bare download (aiohttp, body not decoded) of the same answer is
   timed too, to tell the controller's share from the client's.
5. The emulator: requests per second it serves (16 requests in flight from bare aiohttp) for a
   trivial read, a filtered ``view/resources`` and a create/delete pair, and how long it takes
   to answer ``view/resources`` for the whole large cluster.

Both use emulator child processes, so the server's memory and CPU stay out of the client's
figures (the machine's cores are shared, though).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import anyio
from _common import Section, emulator_process, median, ms

from aiolinstor import Client


@dataclass
class ScaleSettings:
    resources: int = 10_000
    nodes: int = 100
    repeats: int = 3
    rps_requests: int = 4000
    rps_concurrency: int = 16


async def download(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url + "/v1/view/resources") as answer:
        answer.raise_for_status()
        return len(await answer.read())


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def bench_size(settings: ScaleSettings) -> tuple[Section, Section]:
    """Sections 4 (size, client side) and the large-cluster part of 5 (emulator)."""
    size = Section(
        "size",
        f"4. Listing {settings.resources:,} resources on {settings.nodes} nodes",
        f"`client.view_resources()` of {settings.resources:,} resources with 2 replicas each "
        f"({2 * settings.resources:,} entries); median of {settings.repeats}; memory by "
        "tracemalloc in a separate call.",
    )
    emulator = Section(
        "emulator",
        "5. The emulator",
        "Emulator child processes; bare aiohttp client in this process (2 cores shared).",
    )
    with emulator_process(
        nodes=settings.nodes, resources=settings.resources, replicas=2, speed=10
    ) as url:
        timeout = aiohttp.ClientTimeout(total=600)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            Client(url, timeout=600) as client,
        ):
            body = await download(session, url)  # warm-up
            downloads = [
                await timed(lambda: download(session, url)) for _ in range(settings.repeats)
            ]
            parsed = [await timed(client.view_resources) for _ in range(settings.repeats)]
            tracemalloc.start()
            try:
                replicas = await client.view_resources()
                retained, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    entries = len(replicas)
    del replicas
    size.add("entries listed", f"{entries:,}")
    size.add("answer size", f"{body / 2**20:.1f} MiB")
    size.add("list and parse through aiolinstor (wall)", ms(median(parsed)))
    size.add("of which the bare download (controller + transfer)", ms(median(downloads)))
    size.add(
        "client-side decoding and models",
        f"{ms(median(parsed) - median(downloads))} "
        f"({(median(parsed) - median(downloads)) / entries * 1e6:.0f} µs per entry)",
    )
    size.add("client peak memory during the call", f"{peak / 2**20:.0f} MiB")
    size.add(
        "memory kept by the parsed result",
        f"{retained / 2**20:.0f} MiB ({retained / entries / 1024:.1f} KiB per entry)",
    )
    emulator.add(
        f"view/resources of {settings.resources:,} resources on {settings.nodes} nodes",
        f"{ms(median(downloads))} ({body / 2**20:.1f} MiB)",
    )
    size.data = {
        "settings": vars(settings),
        "entries": entries,
        "answer_bytes": body,
        "parse_seconds": parsed,
        "download_seconds": downloads,
        "peak_bytes": peak,
        "retained_bytes": retained,
    }
    emulator.data = {"view_all_seconds": downloads, "answer_bytes": body}
    return size, emulator


async def requests_per_second(
    session: aiohttp.ClientSession,
    send: Callable[[int], Awaitable[None]],
    count: int,
    concurrency: int,
) -> float:
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(index: int) -> None:
        async with limiter:
            await send(index)

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for index in range(count):
            tg.start_soon(one, index)
    return count / (time.perf_counter() - started)


async def bench_emulator_rps(settings: ScaleSettings, section: Section) -> None:
    """Add the emulator's request rates to ``section`` (5)."""
    rates: dict[str, float] = {}
    with emulator_process(resources=50, speed=1000) as url:
        async with aiohttp.ClientSession() as session:

            async def get(path: str) -> None:
                async with session.get(url + path) as answer:
                    answer.raise_for_status()
                    await answer.read()

            async def version(index: int) -> None:
                await get("/v1/controller/version")

            async def view_one(index: int) -> None:
                await get(f"/v1/view/resources?resources=bench{index % 50:05d}")

            async def create_delete(index: int) -> None:
                name = f"rps{index:06d}"
                body = {"resource_definition": {"name": name}}
                async with session.post(url + "/v1/resource-definitions", json=body) as answer:
                    answer.raise_for_status()
                async with session.delete(url + f"/v1/resource-definitions/{name}") as answer:
                    answer.raise_for_status()

            await requests_per_second(session, version, 500, settings.rps_concurrency)
            count, conc = settings.rps_requests, settings.rps_concurrency
            rates["GET /v1/controller/version"] = await requests_per_second(
                session, version, count, conc
            )
            rates["GET /v1/view/resources?resources=<one>"] = await requests_per_second(
                session, view_one, count, conc
            )
            pairs = await requests_per_second(session, create_delete, count // 2, conc)
            rates["POST + DELETE /v1/resource-definitions"] = 2 * pairs
    for route, rate in rates.items():
        section.add(f"requests per second: {route}", f"{rate:,.0f}")
    section.data["requests_per_second"] = rates
