"""Lifecycle: N resources created, placed, grown, attached, detached and deleted.

Every resource goes through the same steps on each side: one volume, autoplaced on 2 of 3 nodes
and waited for UpToDate, grown, activated (a diskless client) on the third node, deactivated,
deleted. Each side gets its own emulator child process with the same settings, and its requests
are counted there (``GET /_emulator/stats``).

* aiolinstor: one client; all resources started at once, bounded only by the client's
  ``max_concurrency`` (32 requests in flight, the default), and again with at most 50
  resources in progress. Every call waits until the satellites report the result (UpToDate,
  resized, device present, gone) through the shared watcher.
* python-linstor: ``linstor.Resource`` as documented. It does not wait for convergence by itself;
  its documented wait ``resource_dfn_wait_synced`` (polling ``sync-status`` every
  ``wait_interval``, set to aiolinstor's ``poll_interval``) follows the autoplace and the resize.
  Activate, deactivate and delete have no documented wait; their answers come when the
  controller has deployed or removed the replicas. Run sequentially (one ``Resource`` per
  resource with its own connection, the documented ``uri=`` form), sequentially over one shared
  connection (``existing_client=``, fewer version probes), and from a thread pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anyio
import linstor  # type: ignore[import-untyped]
from _common import (
    Section,
    Stopwatch,
    emulator_process,
    request_counts,
    reset_counts,
    total,
)

from aiolinstor import Client, Resource, Volume
from aiolinstor._shared_reads import shared_reads

NODES = ("node-1", "node-2", "node-3")
SIZE = "64 MiB"
GROWN_BYTES = 128 * 1024 * 1024
POLL_INTERVAL = 0.25  # aiolinstor's default; python-linstor's wait_interval is set to it
IN_FLIGHT = 32  # aiolinstor's default max_concurrency (requests in flight per client)


@dataclass
class LifecycleSettings:
    count: int = 200
    speed: float = 10.0
    #: Resources in progress at once, one aiolinstor run per value (None: all, bounded by the
    #: client's requests in flight); the first run is held against the targets.
    concurrency: tuple[int | None, ...] = (None, 50)
    threads: int = 16


@dataclass
class Run:
    """One side's result: wall time and requests served for the whole batch."""

    label: str
    seconds: float
    counts: dict[str, int]
    count: int
    #: aiolinstor only: fresh reads served by the shared reads, and the requests they sent.
    shared: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return total(self.counts)

    @property
    def per_resource(self) -> float:
        return self.requests / self.count

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "seconds": self.seconds,
            "requests": self.requests,
            "requests_per_resource": self.per_resource,
            "by_route": self.counts,
            "shared_reads": self.shared,
        }

    def breakdown(self) -> str:
        """aiolinstor's requests per resource by kind: writes, shared fresh reads, other
        reads, and the watcher's polls (the view/resources requests the reads did not send)."""
        per = self.count
        writes = sum(n for route, n in self.counts.items() if not route.startswith("GET"))
        gets = self.requests - writes
        polls = self.counts.get("GET /v1/view/resources", 0) - self.shared["replica_requests"]
        shared, served = self.shared["requests"], self.shared["reads"]
        others = gets - shared - polls
        return (
            f"{writes / per:.2f} writes, {shared / per:.2f} fresh reads (serving "
            f"{served / per:.2f} reads), {others / per:.2f} other reads, {polls / per:.2f} polls"
        )


def names(count: int, prefix: str) -> list[str]:
    return [f"{prefix}{index:04d}" for index in range(count)]


# --- aiolinstor --------------------------------------------------------------------------------
async def aiolinstor_lifecycle(client: Client, name: str) -> None:
    res = Resource(name, client=client)
    res.volumes[0] = Volume(SIZE)
    res.placement.redundancy = 2
    await res.autoplace()
    await res.volumes[0].resize(GROWN_BYTES)
    third = next(node for node in NODES if node not in res.nodes)
    await res.activate(third)
    await res.deactivate(third)
    await res.delete()


async def run_aiolinstor(url: str, settings: LifecycleSettings, concurrency: int | None) -> Run:
    reset_counts(url)
    limiter = anyio.CapacityLimiter(concurrency or settings.count)
    async with Client(url, poll_interval=POLL_INTERVAL, max_concurrency=IN_FLIGHT) as client:

        async def one(name: str) -> None:
            async with limiter:
                await aiolinstor_lifecycle(client, name)

        with Stopwatch() as watch:
            async with anyio.create_task_group() as tg:
                for name in names(settings.count, "aio"):
                    tg.start_soon(one, name)
        reads = shared_reads(client)
        shared = {
            "reads": reads.reads,
            "requests": reads.requests,
            "replica_requests": reads.replicas.requests,
        }
    counts = await anyio.to_thread.run_sync(request_counts, url)
    if concurrency is None:
        label = f"aiolinstor, all at once (≤ {IN_FLIGHT} requests in flight)"
    else:
        label = f"aiolinstor, {concurrency} resources at a time"
    return Run(label, watch.seconds, counts, settings.count, shared)


# --- python-linstor ----------------------------------------------------------------------------
def _wait_synced(lin: Any, name: str) -> None:
    lin.resource_dfn_wait_synced(name, wait_interval=POLL_INTERVAL, timeout=300)


def python_linstor_lifecycle(name: str, url: str, lin: Any | None) -> None:
    """The same steps with ``linstor.Resource``; ``lin`` is a shared connection or None."""
    if lin is None:
        res = linstor.Resource(name, uri=url)
    else:
        res = linstor.Resource(name, existing_client=lin)
    res.volumes[0] = linstor.Volume(SIZE)
    res.placement.redundancy = 2
    res.autoplace()
    with linstor.MultiLinstor([url]) if lin is None else lin as waiter:
        _wait_synced(waiter, name)
    res.volumes[0].size = GROWN_BYTES
    with linstor.MultiLinstor([url]) if lin is None else lin as waiter:
        _wait_synced(waiter, name)
    third = next(node for node in NODES if not res.is_assigned(node))
    res.activate(third)
    res.deactivate(third)
    res.delete()


def _timed(url: str, label: str, count: int, body: Callable[[], None]) -> Run:
    reset_counts(url)
    started = time.perf_counter()
    body()
    seconds = time.perf_counter() - started
    return Run(label, seconds, request_counts(url), count)


def run_python_linstor(url: str, settings: LifecycleSettings, *, shared: bool) -> Run:
    batch = names(settings.count, "pls" if shared else "plu")

    def body() -> None:
        if not shared:
            for name in batch:
                python_linstor_lifecycle(name, url, None)
            return
        with linstor.MultiLinstor([url], keep_alive=True) as lin:
            for name in batch:
                python_linstor_lifecycle(name, url, lin)

    how = "one connection (existing_client=)" if shared else "uri= per Resource"
    return _timed(url, f"python-linstor, sequential, {how}", settings.count, body)


def run_python_linstor_threads(url: str, settings: LifecycleSettings) -> Run:
    batch = names(settings.count, "plt")

    def body() -> None:
        with ThreadPoolExecutor(settings.threads) as pool:
            for result in pool.map(lambda name: python_linstor_lifecycle(name, url, None), batch):
                assert result is None

    label = f"python-linstor, {settings.threads} threads, uri= per Resource"
    return _timed(url, label, settings.count, body)


# --- the benchmark -----------------------------------------------------------------------------
async def bench_lifecycle(settings: LifecycleSettings) -> Section:
    section = Section(
        "lifecycle",
        f"1. Lifecycle of {settings.count} resources",
        f"Each resource: 1 volume of {SIZE}, autoplace on 2 of 3 nodes (waited UpToDate), grow "
        f"to 128 MiB, activate on the third node, deactivate, delete. Emulator in a child "
        f"process, `--speed {settings.speed:g}`, a fresh one per run.",
    )
    runs: list[Run] = []
    for concurrency in settings.concurrency:
        with emulator_process(speed=settings.speed) as url:
            runs.append(await run_aiolinstor(url, settings, concurrency))
    for make in (
        lambda url: run_python_linstor(url, settings, shared=False),
        lambda url: run_python_linstor(url, settings, shared=True),
        lambda url: run_python_linstor_threads(url, settings),
    ):
        with emulator_process(speed=settings.speed) as url:
            runs.append(await anyio.to_thread.run_sync(make, url))
    for run in runs:
        section.add(
            run.label,
            f"{run.seconds:.2f} s ({run.count / run.seconds:.1f} resources/s), "
            f"{run.per_resource:.1f} requests per resource",
        )
        if run.shared:
            section.add(f"{run.label}: requests per resource", run.breakdown())
    aio, others = runs[0], runs[1:-3]
    documented, shared, threaded = runs[-3:]
    for baseline in (documented, shared):
        speedup = baseline.seconds / aio.seconds
        share = aio.per_resource / baseline.per_resource
        section.add(f"speed-up vs {baseline.label}", f"{speedup:.1f}x", "≥ 10x", speedup >= 10)
        section.add(
            f"requests per resource, share of {baseline.label}",
            f"{share:.2f}",
            "≤ 0.5",
            share <= 0.5,
        )
    section.add(f"speed-up vs {threaded.label}", f"{threaded.seconds / aio.seconds:.1f}x")
    for other in others:
        speedup = documented.seconds / other.seconds
        section.add(f"speed-up of {other.label} vs {documented.label}", f"{speedup:.1f}x")
    section.data = {"settings": vars(settings), "runs": [run.to_json() for run in runs]}
    return section
