"""Quickstart: create a replicated volume, grow it, attach it to a node, detach it again.

Run it as ``python examples/quickstart.py``. Without ``--controllers`` (or ``LS_CONTROLLERS``
in the environment) it starts the embedded LINSTOR emulator (3 simulated nodes, in process),
so it works anywhere. Against a real cluster it attaches the volume to this host by default
(``--node`` picks another node). Running it twice ends in the same state: every step is
idempotent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import aiolinstor

T = TypeVar("T")

GiB = 2**30


async def step(title: str, action: Awaitable[T]) -> T:
    """Run one step, printing what it does and how long it took."""
    print(f"-> {title} ...", flush=True)
    started = time.perf_counter()
    result = await action
    print(f"   done in {time.perf_counter() - started:.2f} s", flush=True)
    return result


async def main(
    controllers: str | None = None,
    node: str | None = None,
    *,
    pick_node: Callable[[aiolinstor.Resource], Awaitable[str]] | None = None,
) -> None:
    """The scenario: autoplace 2 replicas, grow by 10 GiB, attach on ``node``, detach.

    ``pick_node`` chooses the node once the replicas are placed (used with the emulator,
    whose nodes are not this host); otherwise ``node`` or this host's name is used.
    """
    async with aiolinstor.Client(controllers) as client:
        print(f"controller: {client.active_controller}")
        foo = aiolinstor.Resource("foo", client=client)
        foo.volumes[0] = aiolinstor.Volume("10 GB")  # local declaration, no I/O
        foo.placement.redundancy = 2

        await step("autoplace 'foo' with 2 replicas (waits until UpToDate)", foo.autoplace())
        print(f"   replicas on: {', '.join(foo.diskful_nodes)}")

        volume = foo.volumes[0]
        await step(
            f"grow volume 0 from {volume.size / GiB:.2f} GiB by 10 GiB on every replica",
            volume.resize(volume.size + 10 * GiB),
        )
        print(f"   size now: {volume.size / GiB:.2f} GiB")

        if pick_node is not None:
            node = await pick_node(foo)
        node = node or socket.gethostname()
        await step(
            f"activate 'foo' on {node} (diskless client if it holds no replica)", foo.activate(node)
        )
        print(f"   device path: {foo.volumes[0].device_path}")

        outcome = await step(f"deactivate 'foo' on {node}", foo.deactivate(node))
        print(f"   outcome: {outcome.value}")


async def _node_without_replica(resource: aiolinstor.Resource) -> str:
    assert resource.client is not None
    nodes = [info.name for info in await resource.client.list_nodes()]
    free = [name for name in nodes if name not in resource.nodes]
    chosen = free[0] if free else nodes[0]
    print(
        f"   ({socket.gethostname()!r} is not a node of the emulated cluster; "
        f"using {chosen!r}, which holds no replica)"
    )
    return chosen


async def run(args: argparse.Namespace) -> None:
    controllers = args.controllers or os.environ.get("LS_CONTROLLERS")
    if controllers:
        await main(controllers, args.node)
        return
    from aiolinstor.emulator import Emulator, Timing

    print(
        "no controller given (--controllers or LS_CONTROLLERS): starting the embedded "
        "LINSTOR emulator with 3 simulated nodes, in process"
    )
    async with Emulator(nodes=3, timing=Timing(speed=args.speed)) as emulator:
        await main(emulator.url, args.node, pick_node=None if args.node else _node_without_replica)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--controllers",
        help="LINSTOR controller URL(s), comma separated (default: $LS_CONTROLLERS, "
        "else an embedded emulator)",
    )
    parser.add_argument("--node", help="node to attach the volume to (default: this host)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="emulator only: how much faster than real satellites to simulate (default 1)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(run(parse_args()))
    print(f"all done in {time.perf_counter() - started:.2f} s")
    sys.exit(0)
