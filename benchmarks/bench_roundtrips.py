"""Round trips per operation: one resource, one step at a time, requests counted per step.

The steps of the lifecycle benchmark, each alone (nothing else runs, so every poll of the
watcher serves this one wait). aiolinstor's count is split into the reads and writes of the
operation and the polls of its wait; python-linstor's includes its documented wait after the
autoplace and the resize, and its version probes (two per connection).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import linstor  # type: ignore[import-untyped]
from _common import Section, emulator_process, request_counts, reset_counts, total
from bench_lifecycle import GROWN_BYTES, NODES, POLL_INTERVAL, SIZE

from aiolinstor import Client, Resource, Volume
from aiolinstor._waits import watcher_for

VIEW = "GET /v1/view/resources"
STEPS = ("create object", "autoplace", "resize", "activate", "deactivate", "delete")


async def aiolinstor_steps(url: str) -> tuple[dict[str, tuple[int, int]], dict[str, Any]]:
    """Per step: (requests, of which watcher polls), and the requests by route."""
    out: dict[str, tuple[int, int]] = {}
    routes: dict[str, Any] = {}
    async with Client(url, poll_interval=POLL_INTERVAL) as client:
        watcher = watcher_for(client)
        res = Resource("rt0", client=client)
        res.volumes[0] = Volume(SIZE)
        res.placement.redundancy = 2
        third: list[str] = []

        async def activate() -> object:
            third.append(next(node for node in NODES if node not in res.nodes))
            return await res.activate(third[0])

        steps: dict[str, Callable[[], Awaitable[object]]] = {
            "create object": anyio.lowlevel.checkpoint,
            "autoplace": res.autoplace,
            "resize": lambda: res.volumes[0].resize(GROWN_BYTES),
            "activate": activate,
            "deactivate": lambda: res.deactivate(third[0]),
            "delete": res.delete,
        }
        for name, step in steps.items():
            await anyio.to_thread.run_sync(reset_counts, url)
            polls = watcher.fetch_count
            await step()
            counts = await anyio.to_thread.run_sync(request_counts, url)
            out[name] = (total(counts), watcher.fetch_count - polls)
            routes[name] = counts
    return out, routes


def python_linstor_steps(url: str, shared: bool) -> dict[str, int]:
    """Per step: requests, the documented wait included after autoplace and resize."""
    out: dict[str, int] = {}
    lin: Any = linstor.MultiLinstor([url], keep_alive=True) if shared else None
    holder: list[Any] = []

    def waited(action: Callable[[], object]) -> None:
        action()
        waiter = lin if lin is not None else linstor.MultiLinstor([url])
        with waiter:
            waiter.resource_dfn_wait_synced("rt0", wait_interval=POLL_INTERVAL, timeout=300)

    def create() -> None:
        res = linstor.Resource("rt0", **({"existing_client": lin} if shared else {"uri": url}))
        res.volumes[0] = linstor.Volume(SIZE)
        res.placement.redundancy = 2
        holder.append(res)

    def grow() -> None:
        holder[0].volumes[0].size = GROWN_BYTES

    third: list[str] = []

    def activate() -> None:
        third.append(next(node for node in NODES if not holder[0].is_assigned(node)))
        holder[0].activate(third[0])

    steps: dict[str, Callable[[], None]] = {
        "create object": create,
        "autoplace": lambda: waited(holder[0].autoplace),
        "resize": lambda: waited(grow),
        "activate": activate,
        "deactivate": lambda: holder[0].deactivate(third[0]),
        "delete": lambda: holder[0].delete(),
    }
    with contextlib.ExitStack() as stack:
        if lin is not None:
            stack.enter_context(lin)  # connected once, for every step
        for name, step in steps.items():
            reset_counts(url)
            step()
            out[name] = total(request_counts(url))
    return out


async def bench_roundtrips(speed: float) -> Section:
    section = Section(
        "roundtrips",
        "0. Requests per operation, one resource alone",
        f"Emulator child process, `--speed {speed:g}`; aiolinstor as `requests (polls of the "
        "wait)`; python-linstor including its documented wait (`resource_dfn_wait_synced`) "
        "after autoplace and resize.",
    )
    with emulator_process(speed=speed) as url:
        ours, routes = await aiolinstor_steps(url)
    with emulator_process(speed=speed) as url:
        documented = await anyio.to_thread.run_sync(python_linstor_steps, url, False)
    with emulator_process(speed=speed) as url:
        shared = await anyio.to_thread.run_sync(python_linstor_steps, url, True)
    for step in STEPS:
        requests, polls = ours[step]
        section.add(
            step,
            f"aiolinstor {requests} ({polls} poll{'' if polls == 1 else 's'}); "
            f"python-linstor {documented[step]} "
            f"(uri=), {shared[step]} (existing_client=)",
        )
    sums = (
        sum(r for r, _ in ours.values()),
        sum(documented.values()),
        sum(shared.values()),
    )
    section.add(
        "whole lifecycle",
        f"aiolinstor {sums[0]}; python-linstor {sums[1]} (uri=), {sums[2]} (existing_client=)",
    )
    section.data = {
        "aiolinstor": {
            k: {"requests": r, "polls": p, "by_route": routes[k]} for k, (r, p) in ours.items()
        },
        "python_linstor_uri": documented,
        "python_linstor_shared": shared,
    }
    return section
