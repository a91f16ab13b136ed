"""Helpers of the high-level tests: the acceptance scenario and views of the emulator's state."""

from __future__ import annotations

from typing import Any

from aiolinstor._client import Client
from aiolinstor._resource import Deactivation, Resource
from aiolinstor._volume import Volume
from aiolinstor.emulator import Emulator

GiB = 2**30
#: "10 GB" in KiB, and after growing by 10 GiB.
SIZE_KIB = 10 * 10**9 // 1024
GROWN_KIB = SIZE_KIB + 10 * GiB // 1024


def definitions(emu: Emulator) -> dict[str, Any]:
    return dict(emu.state.dump()["resource_definitions"])


def replicas(emu: Emulator, name: str) -> dict[str, Any]:
    """Node -> dumped resource of ``name`` (empty when the definition does not exist)."""
    rd = definitions(emu).get(name)
    return dict(rd["resources"]) if rd else {}


def essentials(emu: Emulator) -> dict[str, Any]:
    """What must be equal after running the same steps again: definitions, sizes, placement."""
    out: dict[str, Any] = {}
    for name, rd in definitions(emu).items():
        out[name] = {
            "flags": rd["flags"],
            "volumes": {nr: vd["size_kib"] for nr, vd in rd["volume_definitions"].items()},
            "resources": {
                node: {
                    "diskless": r["diskless"],
                    "flags": r["flags"],
                    "disk_states": [v["disk_state"] for v in r["volumes"].values()],
                }
                for node, r in rd["resources"].items()
            },
        }
    return out


def assert_settled(emu: Emulator, name: str, diskful: int) -> None:
    """Every replica reported, UpToDate (or Diskless) and connected; ``diskful`` with data."""
    found = replicas(emu, name)
    assert sum(1 for r in found.values() if not r["diskless"]) == diskful, found
    for node, r in found.items():
        assert r["reported"], node
        expected = "Diskless" if r["diskless"] else "UpToDate"
        assert all(v["disk_state"] == expected for v in r["volumes"].values()), (node, r)
        if not r["diskless"]:
            assert all(r["connections"].values()), (node, r["connections"])


async def scenario(client: Client, node: str | None = None) -> tuple[Resource, str]:
    """The acceptance scenario on ``node`` (default: a node without a replica)."""
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("10 GB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    await foo.volumes[0].resize(foo.volumes[0].size + 10 * GiB)
    if node is None:
        nodes = [n.name for n in await client.list_nodes()]
        node = next(n for n in nodes if n not in foo.nodes)
    await foo.activate(node)
    assert foo.volumes[0].device_path is not None
    assert await foo.deactivate(node) is Deactivation.REMOVED
    return foo, node
