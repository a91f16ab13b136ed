"""Snapshots: take one, roll back to it, restore it into a new resource, and clone a resource.

Run it as ``python examples/snapshots.py``. Without ``--controllers`` (or ``LS_CONTROLLERS``)
it starts the embedded LINSTOR emulator (3 simulated nodes, in process), so it works anywhere.
Every step waits until the cluster reports the result (snapshot SUCCESSFUL on every node,
replicas UpToDate) and is idempotent: running the example twice ends in the same state.
``--cleanup`` deletes what it created at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from _embedded import add_cluster_arguments, controllers
from quickstart import step

import aiolinstor


async def main(controllers_url: str, *, cleanup: bool = False) -> None:
    """Create 'vm-disk', snapshot it, roll it back, restore the snapshot, clone the disk."""
    async with aiolinstor.Client(controllers_url) as client:
        print(f"controller: {client.active_controller}")
        disk = aiolinstor.Resource("vm-disk", client=client)
        disk.volumes[0] = aiolinstor.Volume("1 GiB")  # local declaration, no I/O
        disk.placement.redundancy = 2
        await step("create 'vm-disk' with 2 replicas", disk.autoplace())
        print(f"   replicas on: {', '.join(disk.diskful_nodes)}")

        snap = await step(
            "take snapshot 'before-upgrade' (waits until SUCCESSFUL on every node)",
            disk.snapshot("before-upgrade"),
        )
        print(f"   snapshot taken on: {', '.join(snap.nodes)}")

        await step("roll 'vm-disk' back to 'before-upgrade'", disk.rollback(snap))
        states = sorted({v.disk_state or "?" for v in disk.volumes[0].states.values()})
        print(f"   disk states after rollback: {', '.join(states)}")

        restored = await step(
            "restore 'before-upgrade' into the new resource 'vm-disk-restored'",
            snap.restore("vm-disk-restored"),
        )
        print(f"   restored replicas on: {', '.join(restored.diskful_nodes)}")
        print(f"   restored device path: {restored.volumes[0].device_path}")

        copy = await step("clone 'vm-disk' into 'vm-disk-clone'", disk.clone("vm-disk-clone"))
        print(f"   clone replicas on: {', '.join(copy.diskful_nodes)}")

        names = [s.name for s in await disk.snapshots()]
        print(f"   snapshots of 'vm-disk': {', '.join(names)}")
        if cleanup:
            for resource in (copy, restored, disk):  # delete() removes snapshots first
                await step(f"delete '{resource.name}'", resource.delete())


async def run(args: argparse.Namespace) -> None:
    async with controllers(args, nodes=3) as url:
        await main(url, cleanup=args.cleanup)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cluster_arguments(parser)
    parser.add_argument(
        "--cleanup", action="store_true", help="delete the resources and snapshots at the end"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(run(parse_args()))
    print(f"all done in {time.perf_counter() - started:.2f} s")
    sys.exit(0)
