"""Resource groups: declare placement rules once, then spawn resources that follow them.

Run it as ``python examples/resource_groups.py``. Without ``--controllers`` (or
``LS_CONTROLLERS``) it starts the embedded LINSTOR emulator with 4 simulated nodes in two racks
(node property ``Aux/rack``), so it works anywhere. The group asks for 2 replicas on nodes of
different racks (``--spread-by``; against a real cluster pass a node property your nodes have,
or ``--spread-by ''`` for none). Running it twice ends in the same state: applying the group
changes only what differs, and spawning an existing resource just waits for it.
``--cleanup`` deletes the resources and the group at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from _embedded import add_cluster_arguments, controllers
from quickstart import step

import aiolinstor

if TYPE_CHECKING:
    from aiolinstor.emulator import ClusterSpec

RACK = "Aux/rack"


def racked_cluster() -> ClusterSpec:
    """The emulated cluster: node-1/2 in rack r1, node-3/4 in rack r2."""
    from aiolinstor.emulator import ClusterSpec, NodeSpec

    return ClusterSpec(
        nodes=[NodeSpec(f"node-{i}", props={RACK: "r1" if i <= 2 else "r2"}) for i in range(1, 5)]
    )


async def main(controllers_url: str, *, spread_by: str, cleanup: bool = False) -> None:
    """Apply the group 'web-tier', spawn three resources from it, show where they went."""
    async with aiolinstor.Client(controllers_url) as client:
        print(f"controller: {client.active_controller}")
        placement = aiolinstor.Placement(redundancy=2)
        if spread_by:
            placement.replicas_on_different = [spread_by]
        group = aiolinstor.ResourceGroup(
            "web-tier",
            client=client,
            placement=placement,
            description="web servers' disks",
            props={"Aux/app": "web"},
            volume_groups=1,
        )
        await step("apply resource group 'web-tier' (get-or-create, then diff)", group.apply())
        print(f"   autoplace filter: {dict(group.select_filter)}")

        racks = {node.name: node.props.get(spread_by, "-") for node in await client.list_nodes()}
        spawned = []
        for name in ("web-1", "web-2"):
            resource = await step(
                f"spawn '{name}' (256 MiB) from 'web-tier'", group.spawn(name, ["256 MiB"])
            )
            spawned.append(resource)
        resource = await step(
            "spawn 'web-3' through Resource.from_group",
            aiolinstor.Resource.from_group("web-3", "web-tier", ["256 MiB"], client=client),
        )
        spawned.append(resource)
        for resource in spawned:
            where = ", ".join(f"{n} ({racks.get(n, '-')})" for n in resource.diskful_nodes)
            print(f"   {resource.name}: replicas on {where}")

        if cleanup:
            for resource in spawned:
                await step(f"delete '{resource.name}'", resource.delete())
            await step("delete resource group 'web-tier'", group.delete())


async def run(args: argparse.Namespace) -> None:
    spread_by = args.spread_by
    async with controllers(args, nodes=4, spec=racked_cluster()) as url:
        await main(url, spread_by=RACK if spread_by is None else spread_by, cleanup=args.cleanup)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cluster_arguments(parser)
    parser.add_argument(
        "--spread-by",
        help=f"node property whose values replicas must not share (default {RACK!r})",
    )
    parser.add_argument(
        "--cleanup", action="store_true", help="delete the resources and the group at the end"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(run(parse_args()))
    print(f"all done in {time.perf_counter() - started:.2f} s")
    sys.exit(0)
