"""LINBIT's python-linstor (unchanged, blocking, in a worker thread) against the emulator core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import linstor  # type: ignore[import-untyped]
import pytest
from core_helpers import CoreApi

from aiolinstor.emulator._state import EmulatorState

T = TypeVar("T")
CLIENT_TIMEOUT_S = 10


@pytest.fixture
def controller(core_api: CoreApi) -> str:
    server = core_api.client.server
    return f"http://127.0.0.1:{server.port}"


async def blocking(function: Callable[[], T]) -> T:
    """Run python-linstor off the event loop that serves the emulator."""
    return await anyio.to_thread.run_sync(function)


def client(uri: str) -> Any:
    return linstor.MultiLinstor([uri], timeout=CLIENT_TIMEOUT_S)


def resources_of(state: EmulatorState, rsc: str) -> dict[str, Any]:
    resources: dict[str, Any] = state.dump()["resource_definitions"][rsc]["resources"]
    return resources


async def test_resource_lifecycle(controller: str, core_state: EmulatorState) -> None:
    lin = client(controller)

    def create() -> Any:
        resource = linstor.Resource("foo", uri=controller, existing_client=lin)
        resource.placement.redundancy = 2
        resource.placement.storage_pool = "DfltStorPool"
        resource.volumes[0] = linstor.Volume("20MiB")
        resource.autoplace()
        return resource

    resource = await blocking(create)
    rd = core_state.dump()["resource_definitions"]["foo"]
    assert rd["external_name"] == "foo"
    assert rd["props"]["DrbdOptions/Net/allow-two-primaries"] == "no"
    assert rd["volume_definitions"][0]["size_kib"] == 20 * 1024
    assert sorted(rd["resources"]) == ["node-1", "node-2"]
    assert resource.volumes[0].device_path == "/dev/drbd1000"
    assert sorted(resource.diskful_nodes()) == ["node-1", "node-2"]

    def grow() -> None:
        resource.volumes[0].size = "40MiB"

    await blocking(grow)
    assert (
        core_state.dump()["resource_definitions"]["foo"]["volume_definitions"][0]["size_kib"]
        == 40 * 1024
    )

    await blocking(lambda: resource.activate("node-3"))
    assert resources_of(core_state, "foo")["node-3"]["diskless"] is True
    assert resource.is_diskless("node-3")

    await blocking(lambda: resource.deactivate("node-3"))
    assert "node-3" not in resources_of(core_state, "foo")

    await blocking(lambda: resource.diskless("node-3"))
    assert resources_of(core_state, "foo")["node-3"]["flags"] == ["DISKLESS", "DRBD_DISKLESS"]

    await blocking(lambda: resource.diskful("node-3"))
    assert resources_of(core_state, "foo")["node-3"]["diskless"] is False

    await blocking(lambda: resource.delete(snapshots=False))
    assert "foo" not in core_state.dump()["resource_definitions"]


async def test_resource_group_spawn(controller: str, core_state: EmulatorState) -> None:
    lin = client(controller)

    def spawn() -> Any:
        group = linstor.ResourceGroup("rg1", uri=controller, existing_client=lin)
        group.redundancy = 2
        return group.create_resource("baz", ["20MiB"])

    resource = await blocking(spawn)
    dump = core_state.dump()
    assert dump["resource_groups"]["rg1"]["select_filter"]["place_count"] == 2
    assert dump["resource_groups"]["rg1"]["volume_groups"] == [0]
    rd = dump["resource_definitions"]["baz"]
    assert rd["resource_group"] == "rg1" and rd["volume_definitions"][0]["size_kib"] == 20 * 1024
    assert len(rd["resources"]) == 2
    assert resource.linstor_name == "baz" and len(resource.diskful_nodes()) == 2


async def test_errors_reach_python_linstor(controller: str, core_state: EmulatorState) -> None:
    lin = client(controller)

    def autoplace_too_many() -> None:
        resource = linstor.Resource("wide", uri=controller, existing_client=lin)
        resource.placement.redundancy = 4
        resource.volumes[0] = linstor.Volume("20MiB")
        resource.autoplace()

    with pytest.raises(linstor.LinstorError, match="Not enough available nodes"):
        await blocking(autoplace_too_many)
