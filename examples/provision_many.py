"""Provision many replicated volumes at once, showing placement and resync live, then clean up.

Run it as ``python examples/provision_many.py`` (needs ``rich``: ``pip install '.[examples]'``).
It autoplaces ``--count`` resources (default 50) concurrently through one client, follows each
one's DRBD resync with ``Resource.watch_sync()`` and draws the progress with rich; when stdout
is not a terminal (CI, a pipe) the bars are printed once at the end of each phase instead.
Everything it created is deleted again, also after an error or Ctrl-C.

Without ``--controllers`` (or ``LS_CONTROLLERS``) it starts the embedded LINSTOR emulator with
thick (LVM) pools, where every new replica after the first does DRBD's initial resync.
Against a real cluster it creates resources named ``<prefix>-00`` .. ``<prefix>-NN``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence

import anyio
from _embedded import add_cluster_arguments, controllers

import aiolinstor

try:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table
except ModuleNotFoundError as exc:  # an optional dependency: say how to get it
    if exc.name != "rich" and not (exc.name or "").startswith("rich."):
        raise
    sys.exit("provision_many.py draws its progress with rich: pip install '.[examples]' (or rich)")

#: Longest time the clean-up may take, even after Ctrl-C.
CLEANUP_TIMEOUT_S = 300.0


def progress_bars(console: Console) -> Progress:
    """A rich progress display; it animates on a terminal and prints once when stopped."""
    return Progress(
        TextColumn("{task.description:<17}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class Board:
    """The live display of provisioning: how many resources are placed, how far their
    resync is (in volumes: 0.5 is one volume half resynced)."""

    def __init__(self, progress: Progress, count: int) -> None:
        self._progress = progress
        self._placing = progress.add_task("placing replicas", total=count)
        self._syncing = progress.add_task("resyncing", total=count, start=False)
        self._percent: dict[str, float] = {}
        self.placed_on: dict[str, list[str]] = {}

    def placed(self, resource: aiolinstor.Resource) -> None:
        """``resource`` has its replicas (they may still be resyncing)."""
        self.placed_on[resource.name] = resource.diskful_nodes
        self._progress.advance(self._placing)
        self._progress.start_task(self._syncing)

    def synced(self, name: str, progress: Sequence[aiolinstor.SyncProgress]) -> None:
        """The latest resync state of ``name``: its slowest replica counts."""
        done = [p.done_percentage or 0.0 for p in progress]
        self._percent[name] = min(done) if done else 0.0
        self._progress.update(self._syncing, completed=sum(self._percent.values()) / 100)


async def provision(resource: aiolinstor.Resource, board: Board) -> None:
    """Place one resource, then follow its resync until every replica is UpToDate."""
    await resource.autoplace(wait=False)  # returns once the replicas exist
    board.placed(resource)
    async for progress in resource.watch_sync():
        board.synced(resource.name, progress)
    await resource.wait_ready()  # UpToDate everywhere and every peer connected


async def delete(resource: aiolinstor.Resource, progress: Progress, task: TaskID) -> None:
    await resource.delete()  # deleting what is already gone is fine; waits until it is gone
    progress.advance(task)


async def delete_all(resources: Sequence[aiolinstor.Resource], console: Console) -> None:
    """Delete every resource concurrently, with a progress bar of its own."""
    started = time.perf_counter()
    with progress_bars(console) as progress:
        task = progress.add_task("deleting", total=len(resources))
        async with anyio.create_task_group() as group:
            for resource in resources:
                group.start_soon(delete, resource, progress, task)
    console.print(
        f"cleaned up: {len(resources)} resources deleted in {time.perf_counter() - started:.2f} s"
    )


def placement_table(board: Board) -> Table:
    """Replicas per node: how the autoplacer spread the resources."""
    per_node = Counter(node for nodes in board.placed_on.values() for node in nodes)
    table = Table(title="replicas per node")
    table.add_column("node")
    table.add_column("replicas", justify="right")
    for node, replicas in sorted(per_node.items()):
        table.add_row(node, str(replicas))
    return table


async def main(args: argparse.Namespace, console: Console) -> None:
    async with (
        controllers(args, nodes=3, provider_kind="LVM") as url,
        aiolinstor.Client(url) as client,
    ):
        console.print(f"controller: {client.active_controller}")
        resources = []
        for index in range(args.count):
            resource = aiolinstor.Resource(f"{args.prefix}-{index:02d}", client=client)
            resource.volumes[0] = aiolinstor.Volume(args.size)
            resource.placement.redundancy = args.replicas
            resources.append(resource)

        started = time.perf_counter()
        try:
            with progress_bars(console) as progress:
                board = Board(progress, args.count)
                async with anyio.create_task_group() as group:
                    for resource in resources:
                        group.start_soon(provision, resource, board)
            console.print(
                f"{args.count} volumes of {args.size} placed with {args.replicas} replicas "
                f"each and resynced in {time.perf_counter() - started:.2f} s"
            )
            console.print(placement_table(board))
        finally:
            # Shielded, so that it also runs after Ctrl-C; bounded, like every wait.
            with anyio.move_on_after(CLEANUP_TIMEOUT_S, shield=True):
                await delete_all(resources, console)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_cluster_arguments(parser)
    parser.add_argument("--count", type=int, default=50, help="how many volumes (default 50)")
    parser.add_argument("--size", default="100 MiB", help="size of each volume (default 100 MiB)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas per volume (default 2)")
    parser.add_argument(
        "--prefix", default="demo-vol", help="resource names are <prefix>-00, <prefix>-01, ..."
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.count > 100:
        parser.error(f"--count must be between 1 and 100, got {args.count}")
    return args


if __name__ == "__main__":
    console = Console()
    try:
        asyncio.run(main(parse_args(), console))
    except aiolinstor.LinstorError as exc:
        console.print(f"failed: {exc}", style="bold red", markup=False)
        sys.exit(1)
