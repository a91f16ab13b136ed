"""LINBIT's python-linstor drives the emulator's snapshots, restore, rollback, clone, DRBD Proxy
and resource groups; after each step the emulator's state must show the change."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import linstor  # type: ignore[import-untyped]
import pytest

from aiolinstor.emulator import Emulator, Timing

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


def _snapshots(emulator: Emulator, rsc: str) -> dict[str, Any]:
    rd = emulator.state.dump()["resource_definitions"].get(rsc)
    return dict(rd["snapshots"]) if rd else {}


def _replicas(emulator: Emulator, rsc: str) -> dict[str, Any]:
    rd = emulator.state.dump()["resource_definitions"].get(rsc)
    return dict(rd["resources"]) if rd else {}


async def test_snapshot_rollback_restore_and_delete(linstor_emulator: Emulator) -> None:
    linstor_emulator.state.add_resource("pysnap", "16 MiB", ["node-1", "node-2"])
    uri = linstor_emulator.url
    resource = await _run(lambda: linstor.Resource("pysnap", uri=uri))

    assert await _run(lambda: resource.snapshot_create("s1")) is True
    assert list(_snapshots(linstor_emulator, "pysnap")) == ["s1"]
    assert _snapshots(linstor_emulator, "pysnap")["s1"]["state"] == "SUCCESSFUL"
    assert await _run(lambda: resource.snapshot_rollback("s1")) is True

    restored = await _run(lambda: resource.restore_from_snapshot("s1", "pyrestored"))
    assert restored.name == "pyrestored"
    replicas = _replicas(linstor_emulator, "pyrestored")
    assert sorted(replicas) == ["node-1", "node-2"]
    dump = linstor_emulator.state.dump()["resource_definitions"]["pyrestored"]
    assert dump["volume_definitions"][0]["size_kib"] == 16 * 1024

    await _run(lambda: resource.snapshot_create("s2"))
    with pytest.raises(linstor.LinstorError, match="most recent snapshot"):
        await _run(lambda: resource.snapshot_rollback("s1"))
    with pytest.raises(linstor.LinstorError, match="already exists"):
        await _run(lambda: resource.snapshot_create("s2"))

    await _run(lambda: resource.delete(snapshots=True))
    assert _snapshots(linstor_emulator, "pysnap") == {}
    assert "pysnap" not in linstor_emulator.state.dump()["resource_definitions"]


async def test_multi_snapshot_and_drbd_proxy(linstor_emulator: Emulator) -> None:
    linstor_emulator.state.add_resource("pya", "8 MiB", ["node-1", "node-2"])
    linstor_emulator.state.add_resource("pyb", "8 MiB", ["node-2", "node-3"])
    uri = linstor_emulator.url

    def calls() -> tuple[Any, Any, Any]:
        with linstor.MultiLinstor([uri]) as lin:
            multi = lin.snapshot_create_multi([], ["pya", "pyb"], "both")
            proxy = lin.drbd_proxy_enable("pya", "node-1", "node-2")
            options = lin.drbd_proxy_modify(
                "pya",
                property_dict={"DrbdOptions/Proxy/memlimit": "268435456"},
                compression_type="lzma",
                compression_property_dict={"DrbdOptions/ProxyCompression/level": "5"},
            )
        return multi, proxy, options

    multi, proxy, options = await _run(calls)
    for answer in (multi, proxy, options):
        assert all(r.is_success() for r in answer), answer
    assert list(_snapshots(linstor_emulator, "pya")) == ["both"]
    assert list(_snapshots(linstor_emulator, "pyb")) == ["both"]
    rd = linstor_emulator.state.resource_definitions["PYA"]
    (connection,) = rd.extra["connections"].values()
    assert "DRBD_PROXY" in connection.flags
    props = linstor_emulator.state.dump()["resource_definitions"]["pya"]["props"]
    assert props["DrbdOptions/Proxy/memlimit"] == "268435456"
    assert props["DrbdProxy/CompressionType"] == "lzma"
    assert props["DrbdOptions/ProxyCompression/level"] == "5"

    def disable() -> Any:
        with linstor.MultiLinstor([uri]) as lin:
            return lin.drbd_proxy_disable("pya", "node-1", "node-2")

    assert all(r.is_success() for r in await _run(disable))
    assert "DRBD_PROXY" not in connection.flags


@pytest.mark.linstor_emulator(timing=Timing(speed=100.0, clone_s=0.0))
async def test_clone_waits_for_the_clone_status(linstor_emulator: Emulator) -> None:
    linstor_emulator.state.add_resource("pysrc", "8 MiB", ["node-1", "node-3"])
    uri = linstor_emulator.url
    resource = await _run(lambda: linstor.Resource("pysrc", uri=uri))
    copy = await _run(lambda: resource.clone("pycopy", timeout=30))
    assert copy.name == "pycopy"
    assert sorted(_replicas(linstor_emulator, "pycopy")) == ["node-1", "node-3"]
    assert "CLONING" not in linstor_emulator.state.dump()["resource_definitions"]["pycopy"]["flags"]


async def test_resource_group_with_volume_groups_and_spawn(linstor_emulator: Emulator) -> None:
    uri = linstor_emulator.url

    def spawn() -> Any:
        group = linstor.ResourceGroup("pygroup", uri=uri)
        group.redundancy = 2
        group.storage_pool = "DfltStorPool"
        return group.create_resource("pyfromgroup", ["12MiB"])

    spawned = await _run(spawn)
    assert spawned.name == "pyfromgroup"
    dump = linstor_emulator.state.dump()
    assert dump["resource_groups"]["pygroup"]["select_filter"]["place_count"] == 2
    assert dump["resource_groups"]["pygroup"]["volume_groups"] == [0]
    rd = dump["resource_definitions"]["pyfromgroup"]
    assert rd["resource_group"] == "pygroup"
    assert len([r for r in rd["resources"].values() if not r["diskless"]]) == 2
