"""The low-level client end to end against the emulator shipped with aiolinstor."""

from __future__ import annotations

import contextlib

import anyio
import pytest

from aiolinstor._apicallrc import FAIL_EXISTS_RSC_DFN, WARN_NOT_FOUND
from aiolinstor._client import Client
from aiolinstor._errors import AlreadyExistsError, NotFoundError
from aiolinstor._models import ResourceCreateSpec

pytestmark = pytest.mark.linstor_emulator(nodes=3)


async def test_cluster_reads(linstor_client: Client) -> None:
    version = await linstor_client.controller_version()
    assert version.api_version[0] == 1
    nodes = await linstor_client.list_nodes()
    assert len(nodes) == 3 and all(n.online for n in nodes)
    node = await linstor_client.get_node(nodes[0].name)
    assert node.name == nodes[0].name
    pools = await linstor_client.list_storage_pools(nodes=[nodes[0].name])
    assert pools and all(p.node_name == nodes[0].name for p in pools)
    with pytest.raises(NotFoundError):
        await linstor_client.get_node("no-such-node")


async def test_definition_lifecycle(linstor_client: Client) -> None:
    created = await linstor_client.create_resource_definition("rsc1", props={"Aux/a": "b"})
    assert not created.errors and created.status == 201
    with pytest.raises(AlreadyExistsError) as info:
        await linstor_client.create_resource_definition("rsc1")
    assert info.value.has(FAIL_EXISTS_RSC_DFN)
    await linstor_client.create_volume_definition("rsc1", 64 * 1024)
    rd = await linstor_client.get_resource_definition("rsc1")
    assert rd.props["Aux/a"] == "b"
    assert [(vd.volume_number, vd.size_kib) for vd in rd.volume_definitions] == [(0, 65536)]
    await linstor_client.modify_volume_definition("rsc1", 0, size_kib=128 * 1024)
    (vd,) = await linstor_client.list_volume_definitions("rsc1")
    assert vd.size_kib == 131072
    await linstor_client.delete_resource_definition("rsc1")
    with pytest.raises(NotFoundError):
        await linstor_client.get_resource_definition("rsc1")
    gone = await linstor_client.delete_resource_definition("rsc1")
    assert gone.has(WARN_NOT_FOUND)


async def test_resources_and_snapshots(linstor_client: Client) -> None:
    nodes = [n.name for n in await linstor_client.list_nodes()]
    await linstor_client.create_resource_definition("rsc2")
    await linstor_client.create_volume_definition("rsc2", 32 * 1024)
    await linstor_client.create_resources("rsc2", [ResourceCreateSpec(nodes[0])])
    await linstor_client.autoplace("rsc2", select_filter={"place_count": 2})
    placed = await linstor_client.view_resources(resources=["rsc2"])
    assert len([r for r in placed if not r.diskless]) == 2
    listed = await linstor_client.list_resources("rsc2")
    assert {r.node_name for r in listed} == {r.node_name for r in placed}
    await linstor_client.delete_resource("rsc2", nodes[0])
    assert nodes[0] not in {r.node_name for r in await linstor_client.list_resources("rsc2")}
    await linstor_client.delete_resource_definition("rsc2")


async def test_snapshots(linstor_client: Client) -> None:
    await linstor_client.create_resource_definition("rsc3")
    await linstor_client.create_volume_definition("rsc3", 32 * 1024)
    await linstor_client.autoplace("rsc3", select_filter={"place_count": 2})
    await linstor_client.create_snapshot("rsc3", "snap1")
    snapshots = await linstor_client.list_snapshots("rsc3")
    assert [s.name for s in snapshots] == ["snap1"]
    assert (await linstor_client.get_snapshot("rsc3", "snap1")).successful
    await linstor_client.delete_snapshot("rsc3", "snap1")
    assert await linstor_client.list_snapshots("rsc3") == []


async def test_groups_spawn_and_kv(linstor_client: Client) -> None:
    await linstor_client.create_resource_group("rg1", select_filter={"place_count": 2})
    await linstor_client.create_volume_group("rg1")
    assert [g.name for g in await linstor_client.list_resource_groups(["rg1"])] == ["rg1"]
    assert len(await linstor_client.list_volume_groups("rg1")) == 1
    await linstor_client.spawn_resource_definition("rg1", "spawned", [16 * 1024])
    rd = await linstor_client.get_resource_definition("spawned")
    assert rd.resource_group_name == "rg1"
    await linstor_client.modify_kv_store("kv1", override_props={"a/b": "c"})
    assert (await linstor_client.get_kv_store("kv1"))["a/b"] == "c"
    with contextlib.suppress(NotFoundError):
        await linstor_client.delete_kv_store("kv1")


async def test_promotion_events_replay_current_state(linstor_client: Client) -> None:
    await linstor_client.create_resource_definition("rsc4")
    await linstor_client.create_volume_definition("rsc4", 32 * 1024)
    await linstor_client.autoplace("rsc4", select_filter={"place_count": 2})
    placed = {r.node_name for r in await linstor_client.view_resources(resources=["rsc4"])}
    seen: set[str] = set()
    with anyio.fail_after(10):
        async with linstor_client.promotion_events(current=True) as events:
            async for event in events:
                assert event.name == "may-promote-change"
                if event.data["resource_name"] == "rsc4":
                    seen.add(event.data["node_name"])
                if seen == placed:
                    break
    assert seen == placed
