"""LINBIT's python-linstor drives the emulator through its high-level API.

python-linstor is blocking, so every call runs in a worker thread while the emulator serves on
the test's event loop. After each step the emulator's state (``state.dump()``; snapshots, which
the dump does not list, through ``GET /v1/view/snapshots``) must show the change, so this checks
both that the emulator understands what LINBIT's client sends and that it does the right thing
with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
import anyio
import linstor  # type: ignore[import-untyped]
import pytest

from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only

T = TypeVar("T")
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _no_local_linstor_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-linstor reads controller settings from the environment; keep them out."""
    for name in list(os.environ):
        if name.startswith("LS_"):
            monkeypatch.delenv(name)


async def _run(call: Callable[[], T]) -> T:
    """Run a blocking python-linstor call in a worker thread."""
    return await anyio.to_thread.run_sync(call)


def _definition(emulator: Emulator, external_name: str) -> tuple[str, dict[str, Any]]:
    """The (name, dump) of the resource definition created for ``external_name``."""
    definitions = emulator.state.dump()["resource_definitions"]
    found = [
        (name, rd)
        for name, rd in definitions.items()
        if external_name in (name, rd.get("external_name"))
    ]
    assert len(found) == 1, f"{external_name!r} not found once in {sorted(definitions)}"
    return found[0]


async def _snapshots(emulator: Emulator, rsc: str) -> list[dict[str, Any]]:
    """The emulator's snapshots of ``rsc`` (the state dump does not list snapshots)."""
    async with (
        aiohttp.ClientSession(emulator.url) as http,
        http.get("/v1/view/snapshots", params={"resources": rsc}) as response,
    ):
        assert response.status == 200
        found: list[dict[str, Any]] = await response.json()
    return [s for s in found if s["resource_name"].upper() == rsc.upper()]


def _placement(rd: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(diskful nodes, diskless nodes) of a dumped resource definition."""
    diskful = {node for node, r in rd["resources"].items() if not r["diskless"]}
    diskless = {node for node, r in rd["resources"].items() if r["diskless"]}
    return diskful, diskless


async def test_resource_lifecycle(linstor_emulator: Emulator) -> None:
    uri = linstor_emulator.url

    def create() -> Any:
        resource = linstor.Resource("pyres", uri=uri)
        resource.volumes[0] = linstor.Volume("20MiB")
        resource.placement.redundancy = 2
        resource.autoplace()
        return resource

    resource = await _run(create)
    _, rd = _definition(linstor_emulator, "pyres")
    assert rd["volume_definitions"][0]["size_kib"] == 20 * 1024
    diskful, diskless = _placement(rd)
    assert len(diskful) == 2
    assert not diskless
    (spare,) = {"node-1", "node-2", "node-3"} - diskful

    def grow() -> None:
        resource.volumes[0].size = 40 * MiB

    await _run(grow)
    _, rd = _definition(linstor_emulator, "pyres")
    assert rd["volume_definitions"][0]["size_kib"] == 40 * 1024

    await _run(lambda: resource.activate(spare))
    _, rd = _definition(linstor_emulator, "pyres")
    assert _placement(rd) == (diskful, {spare})

    await _run(lambda: resource.deactivate(spare))
    _, rd = _definition(linstor_emulator, "pyres")
    assert spare not in rd["resources"] or "DELETE" in rd["resources"][spare]["flags"]

    await _run(lambda: resource.diskless(spare))
    _, rd = _definition(linstor_emulator, "pyres")
    assert rd["resources"][spare]["diskless"] is True

    await _run(lambda: resource.diskful(spare))
    _, rd = _definition(linstor_emulator, "pyres")
    assert rd["resources"][spare]["diskless"] is False
    assert _placement(rd)[0] == diskful | {spare}

    name, _ = _definition(linstor_emulator, "pyres")
    await _run(lambda: resource.snapshot_create("s1"))
    snapshots = await _snapshots(linstor_emulator, name)
    assert [s["name"] for s in snapshots] == ["s1"]
    assert "SUCCESSFUL" in snapshots[0]["flags"]
    assert set(snapshots[0]["nodes"]) == diskful | {spare}

    await _run(lambda: resource.snapshot_rollback("s1"))
    _, rd = _definition(linstor_emulator, "pyres")
    assert _placement(rd)[0] == diskful | {spare}

    await _run(lambda: resource.delete())  # removes the snapshots first, then the definition
    assert await _snapshots(linstor_emulator, name) == []
    assert not [
        rd
        for rd in linstor_emulator.state.dump()["resource_definitions"].values()
        if rd.get("external_name") == "pyres" and "DELETE" not in rd["flags"]
    ]


async def test_existing_resource_is_read_back(linstor_emulator: Emulator) -> None:
    linstor_emulator.state.add_resource("known", "8 MiB", ["node-1", "node-2"])
    uri = linstor_emulator.url
    resource = await _run(lambda: linstor.Resource("known", uri=uri))
    assert resource.defined
    assert resource.volumes[0].size == 8 * MiB
    assert sorted(resource.diskful_nodes()) == ["node-1", "node-2"]


async def test_resource_group_spawns_resources(linstor_emulator: Emulator) -> None:
    uri = linstor_emulator.url

    def spawn() -> Any:
        group = linstor.ResourceGroup("pyrg", uri=uri)
        group.redundancy = 2
        return group.create_resource("pyspawned", ["20MiB"])

    await _run(spawn)
    dump = linstor_emulator.state.dump()
    assert dump["resource_groups"]["pyrg"]["select_filter"]["place_count"] == 2
    name, rd = _definition(linstor_emulator, "pyspawned")
    assert rd["resource_group"] == "pyrg"
    assert name in dump["resource_groups"]["pyrg"]["resource_definitions"]
    assert rd["volume_definitions"][0]["size_kib"] == 20 * 1024
    assert len(_placement(rd)[0]) == 2


async def test_key_value_store(linstor_emulator: Emulator) -> None:
    uri = linstor_emulator.url

    def write() -> None:
        kv = linstor.KV("pykv", namespace="/app/", uri=uri)
        kv["colour"] = "blue"
        kv["size"] = "xl"

    await _run(write)
    assert linstor_emulator.kv.get("pykv") == {"app/colour": "blue", "app/size": "xl"}

    def read_and_delete() -> dict[str, str]:
        kv = linstor.KV("pykv", namespace="/app/", uri=uri)
        seen = dict(kv.items())
        del kv["size"]
        return seen

    seen = await _run(read_and_delete)
    assert seen == {"colour": "blue", "size": "xl"}
    assert linstor_emulator.kv.get("pykv") == {"app/colour": "blue"}
