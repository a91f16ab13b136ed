"""Serve an emulated controller for the benchmarks, optionally pre-filled with resources.

``python -m aiolinstor.emulator`` starts an empty cluster; the size benchmarks need thousands of
resources, which would take minutes to create through the REST API, so this script adds them
straight to the emulator's state (UpToDate at once) before serving. It prints the base URL on
one line and serves until stdin is closed (the parent went away) or SIGTERM.

    python benchmarks/_serve.py --nodes 100 --resources 10000 --speed 10
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

import anyio

from aiolinstor.emulator import Emulator, Timing


def node_names(nodes: int) -> list[str]:
    return [f"node-{i}" for i in range(1, nodes + 1)]


def fill(emulator: Emulator, resources: int, replicas: int, size: str) -> None:
    """Add ``resources`` settled resources, their replicas spread round-robin over the nodes."""
    names = node_names(len(emulator.state.spec.nodes))
    if replicas > len(names):
        raise SystemExit(f"--replicas {replicas} exceeds --nodes {len(names)}")
    for index in range(resources):
        placed = [names[(index + k) % len(names)] for k in range(replicas)]
        emulator.state.add_resource(f"bench{index:05d}", size, placed)


async def serve(emulator: Emulator) -> None:
    """Serve until stdin reaches end-of-file (the parent closed it or is gone) or SIGTERM."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with emulator, anyio.create_task_group() as tg:

        async def stop_on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()

        tg.start_soon(stop_on_signal)
        sys.stdout.write(emulator.url + "\n")
        sys.stdout.flush()
        await reader.read()
        tg.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--speed", type=float, default=1.0, help="satellite speed factor")
    parser.add_argument("--resources", type=int, default=0, help="settled resources to add")
    parser.add_argument("--replicas", type=int, default=2, help="replicas of each added one")
    parser.add_argument("--size", default="64 MiB", help="volume size of each added one")
    args = parser.parse_args(argv)
    emulator = Emulator(nodes=args.nodes, timing=Timing(speed=args.speed), port=0)
    fill(emulator, args.resources, args.replicas, args.size)
    asyncio.run(serve(emulator))
    return 0


if __name__ == "__main__":
    sys.exit(main())
