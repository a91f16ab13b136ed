"""ResourceGroup apply/spawn/delete and Resource.from_group against the emulator."""

from __future__ import annotations

import pytest

from aiolinstor._client import Client
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    ConvergenceTimeout,
    InputError,
    NotEnoughNodesError,
)
from aiolinstor._group import ResourceGroup, VolumeGroup
from aiolinstor._placement import Placement
from aiolinstor._resource import Resource
from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only

RG_PUT = "PUT /v1/resource-groups/{rg}"
SPAWN = "POST /v1/resource-groups/{rg}/spawn"
MiB = 2**20


def _group(emu: Emulator, name: str) -> dict[str, object]:
    groups = emu.state.dump()["resource_groups"]
    return dict(groups[name])


async def test_apply_creates_then_changes_only_what_differs(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    rg = ResourceGroup(
        "rg1",
        client=linstor_client,
        placement=Placement(redundancy=2),
        props={"Aux/team": "storage"},
        volume_groups=2,
        description="databases",
    )
    assert rg.exists is None  # nothing read yet: declaring does no I/O
    await rg.apply()
    dumped = _group(linstor_emulator, "rg1")
    assert dumped["select_filter"] == {"place_count": 2}
    assert dumped["props"] == {"Aux/team": "storage"}
    assert dumped["volume_groups"] == [0, 1]
    assert rg.select_filter == {"place_count": 2} and rg.props == {"Aux/team": "storage"}
    await rg.create()
    assert RG_PUT not in linstor_emulator.request_counts()

    other = ResourceGroup(
        "rg1", client=linstor_client, placement=Placement(storage_pool=["DfltStorPool"])
    )
    other.declared_props["Aux/owner"] = "ops"
    await other.apply()
    assert linstor_emulator.request_counts()[RG_PUT] == 1
    dumped = _group(linstor_emulator, "rg1")
    assert dumped["select_filter"] == {"place_count": 2, "storage_pool_list": ["DfltStorPool"]}
    assert dumped["props"] == {"Aux/team": "storage", "Aux/owner": "ops"}
    assert dumped["description"] == "databases"


async def test_spawn_obeys_the_groups_filter_and_repeats_idempotently(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    rg = ResourceGroup(
        "rg1",
        client=linstor_client,
        placement=Placement(redundancy=2, node_names=["node-2", "node-3"]),
        volume_groups=[VolumeGroup(0, {"Aux/kind": "data"}), 1],
    )
    await rg.apply()
    res = await rg.spawn("db1", ["32 MiB", "4 MiB"])
    assert res.diskful_nodes == ["node-2", "node-3"]
    assert [v.size for v in res.volumes.values()] == [32 * MiB, 4 * MiB]
    assert res.volumes[0].props["Aux/kind"] == "data"
    for volume in res.volumes.values():
        assert set(v.disk_state for v in volume.states.values()) == {"UpToDate"}
    again = await Resource.from_group("db1", "rg1", ["32 MiB", "4 MiB"], client=linstor_client)
    assert again.diskful_nodes == ["node-2", "node-3"]
    assert linstor_emulator.request_counts()[SPAWN] == 1
    with pytest.raises(InputError, match="smaller than the requested"):
        await rg.spawn("db1", ["64 MiB", "4 MiB"])
    linstor_emulator.state.add_resource("elsewhere", "8 MiB", ["node-1"])
    with pytest.raises(InputError, match="not in 'rg1'"):
        await rg.spawn("elsewhere", ["8 MiB"])


async def test_failed_spawn_leaves_nothing_behind(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    rg = ResourceGroup("big", client=linstor_client, placement=Placement(redundancy=3))
    await rg.apply()
    linstor_emulator.set_online("node-3", False)
    with pytest.raises(NotEnoughNodesError):
        await rg.spawn("db1", ["8 MiB"])
    assert await linstor_client.list_resource_definitions(["db1"]) == []
    with pytest.raises(ApiCallError, match="volume groups"):
        two = ResourceGroup("two", client=linstor_client, volume_groups=2)
        await two.apply()
        await two.spawn("db2", ["8 MiB", "8 MiB", "8 MiB"])
    with pytest.raises(InputError, match="does not exist"):
        await ResourceGroup("nothing", client=linstor_client).spawn("db3", ["8 MiB"])
    with pytest.raises(InputError, match="list of sizes"):
        await rg.spawn("db4", "8 MiB")


async def test_spawn_wait_times_out_on_a_stalled_node(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    rg = ResourceGroup("rg1", client=linstor_client, placement=Placement(redundancy=3))
    await rg.apply()
    linstor_emulator.set_speed("node-3", 0.0)
    with pytest.raises(ConvergenceTimeout) as timed_out:
        await rg.spawn("db1", ["8 MiB"], timeout=0.4)
    assert "node-3" in {lag.node for lag in timed_out.value.laggards}


async def test_group_props_and_delete(linstor_emulator: Emulator, linstor_client: Client) -> None:
    rg = ResourceGroup("rg1", client=linstor_client, placement=Placement(redundancy=1))
    await rg.apply()
    await rg.set_props({"DrbdOptions/Resource/on-no-quorum": "io-error", "Aux/a": "1"})
    await rg.set_props({"Aux/a": "1"})
    await rg.delete_props(["Aux/a", "Aux/missing"])
    assert rg.props == {"DrbdOptions/Resource/on-no-quorum": "io-error"}
    assert linstor_emulator.request_counts()[RG_PUT] == 2
    await rg.spawn("db1", ["8 MiB"])
    with pytest.raises(AlreadyExistsError, match="existing resource definitions"):
        await rg.delete()
    await Resource("db1", client=linstor_client).delete()
    await rg.delete()
    assert rg.exists is False
    await rg.delete()  # gone already: fine
