"""The acceptance scenario against the emulator, step by step, and its idempotency."""

from __future__ import annotations

import pytest
from hl_helpers import (
    GROWN_KIB,
    SIZE_KIB,
    GiB,
    assert_settled,
    definitions,
    essentials,
    replicas,
    scenario,
)

from aiolinstor._client import Client
from aiolinstor._errors import ApiCallError, ConvergenceFailed, NoClientError
from aiolinstor._resource import Deactivation, Resource
from aiolinstor._volume import Volume
from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only


async def test_scenario_step_by_step(emu: Emulator, client: Client) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("10 GB")
    foo.placement.redundancy = 2
    assert emu.request_counts() == {}  # declarations do no I/O
    assert foo.exists is None and foo.volumes[0].size == 10 * 10**9

    await foo.autoplace()
    rd = emu.state.dump()["resource_definitions"]["foo"]
    assert rd["volume_definitions"][0]["size_kib"] == SIZE_KIB
    assert_settled(emu, "foo", diskful=2)
    assert foo.exists and len(foo.diskful_nodes) == 2
    assert sorted(foo.diskful_nodes) == sorted(replicas(emu, "foo"))

    volume = foo.volumes[0]
    await volume.resize(volume.size + 10 * 2**30)
    rd = emu.state.dump()["resource_definitions"]["foo"]
    assert rd["volume_definitions"][0]["size_kib"] == GROWN_KIB
    for node, replica in replicas(emu, "foo").items():
        assert replica["volumes"][0]["usable_kib"] >= GROWN_KIB, node
    assert_settled(emu, "foo", diskful=2)
    assert volume.size == 10 * 10**9 + 10 * 2**30
    assert volume.actual_size == GROWN_KIB * 1024  # the definition as read after the wait

    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)
    await foo.activate(free)
    attached = replicas(emu, "foo")[free]
    assert attached["diskless"] and attached["reported"]
    assert attached["volumes"][0]["disk_state"] == "Diskless"
    assert volume.device_path is not None and volume.device_path.startswith("/dev/drbd")
    assert free in volume.device_paths and free in foo.diskless_nodes

    assert await foo.deactivate(free) is Deactivation.REMOVED
    assert free not in replicas(emu, "foo")
    assert free not in foo.nodes
    assert_settled(emu, "foo", diskful=2)


async def test_each_step_twice_changes_nothing(emu: Emulator, client: Client) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("10 GB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    placed = essentials(emu)
    await foo.autoplace()
    await foo.create()
    assert essentials(emu) == placed

    await foo.volumes[0].resize("+10 GiB")
    grown = essentials(emu)
    await foo.volumes[0].resize(foo.volumes[0].size)  # same size: no write, still waits
    assert essentials(emu) == grown

    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)
    await foo.activate(free)
    active = essentials(emu)
    await foo.activate(free)
    assert essentials(emu) == active

    assert await foo.deactivate(free) is Deactivation.REMOVED
    assert await foo.deactivate(free) is Deactivation.ABSENT
    assert essentials(emu) == grown

    await foo.delete()
    assert "foo" not in emu.state.dump()["resource_definitions"]
    await foo.delete()  # already gone: not an error
    assert foo.exists is False


async def test_whole_scenario_twice_ends_in_the_same_state(emu: Emulator, client: Client) -> None:
    _, node = await scenario(client)
    first = essentials(emu)
    assert first["foo"]["volumes"] == {0: GROWN_KIB}
    await scenario(client, node)  # fresh objects, same declarations
    assert essentials(emu) == first


async def test_await_reads_state_and_ambient_client(emu: Emulator) -> None:
    with pytest.raises(NoClientError):
        await Resource("foo")
    async with Client(emu.url, poll_interval=0.02, max_poll_interval=0.2) as client:
        foo = Resource("foo")  # resolved when an operation runs: the task's active client
        foo.volumes[0] = Volume("1 GiB")
        foo.placement.redundancy = 2
        await foo.autoplace()
        again = await Resource("foo")
        assert again.exists and again.client is None
        assert again.volumes[0].size == 2**30 and again.volumes[0].actual_size == 2**30
        assert sorted(again.diskful_nodes) == sorted(foo.diskful_nodes)
        volume = await again.volumes[0]
        assert set(volume.states) == set(again.nodes)
        assert all(state.disk_state == "UpToDate" for state in volume.states.values())
        assert await Resource("other", client=client) is not None
        assert (await Resource("other", client=client)).exists is False


async def test_delete_removes_snapshots_and_single_assignments(
    emu: Emulator, client: Client
) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("1 GiB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)
    await foo.activate(free)
    await foo.delete(free)
    assert free not in replicas(emu, "foo")
    await foo.delete(free)  # gone already

    await client.create_snapshot("foo", "snap1")
    await foo.delete()
    assert "foo" not in emu.state.dump()["resource_definitions"]
    assert foo.exists is False and foo.nodes == []


async def test_make_diskful_and_diskless(emu: Emulator, client: Client) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("1 GiB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)

    await foo.make_diskful(free)
    assert_settled(emu, "foo", diskful=3)
    assert free in foo.diskful_nodes
    await foo.make_diskful(free)  # already: no-op

    await foo.make_diskless(free)
    assert replicas(emu, "foo")[free]["diskless"]
    assert_settled(emu, "foo", diskful=2)
    assert free in foo.diskless_nodes
    assert await foo.deactivate(free) is Deactivation.REMOVED

    kept = foo.diskful_nodes[0]
    assert await foo.deactivate(kept) is Deactivation.KEPT_DISKFUL
    assert not replicas(emu, "foo")[kept]["diskless"]


async def test_activate_reactivates_an_inactive_assignment(emu: Emulator, client: Client) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("1 GiB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)
    await foo.activate(free)
    await client.deactivate_resource("foo", free)
    assert "INACTIVE" in replicas(emu, "foo")[free]["flags"]
    await foo.activate(free)
    assert "INACTIVE" not in replicas(emu, "foo")[free]["flags"]
    assert foo.volumes[0].device_paths[free].startswith("/dev/drbd")


async def test_satellite_failure_is_raised_at_once(emu: Emulator, client: Client) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("1 GiB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in foo.nodes)
    emu.set_failure(free, "disk on fire")
    with pytest.raises(ApiCallError, match="disk on fire") as answered:
        await foo.activate(free, timeout=60)
    assert answered.value.error_report_ids
    # retried: the controller kept the failed assignment; the wait fails fast, not at 60 s
    with pytest.raises(ConvergenceFailed, match="disk on fire") as caught:
        await foo.activate(free, timeout=60)
    (lag,) = caught.value.laggards
    assert lag.node == free and lag.error_report_ids
    assert caught.value.error_report_ids == lag.error_report_ids

    emu.set_failure(free, None)  # the satellite recovers and retries the change
    await foo.activate(free)
    assert replicas(emu, "foo")[free]["reported"]


async def test_create_adds_a_newly_declared_volume_to_a_placed_resource(
    emu: Emulator, client: Client
) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("1 GiB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    again = await Resource("foo", client=client)
    again.volumes[1] = Volume("2 GiB")
    await again.create()
    rd = emu.state.dump()["resource_definitions"]["foo"]
    assert {nr: vd["size_kib"] for nr, vd in rd["volume_definitions"].items()} == {
        0: 2**20,
        1: 2 * 2**20,
    }
    assert_settled(emu, "foo", diskful=2)
    assert all(set(r["volumes"]) == {0, 1} for r in replicas(emu, "foo").values())
    assert set(again.volumes[1].states) == set(again.diskful_nodes)


async def test_relative_resize_grows_from_the_controllers_size(
    emu: Emulator, client: Client
) -> None:
    foo = Resource("foo", client=client)
    foo.volumes[0] = Volume("10 GB")
    foo.placement.redundancy = 2
    await foo.autoplace()
    # another object (another process, say) grows the volume; ``foo`` still holds 10 GB
    other = await Resource("foo", client=client)
    await other.volumes[0].resize("+1 GiB")
    assert foo.volumes[0].size == 10 * 10**9

    await foo.volumes[0].resize("+1 GiB")
    sizes = definitions(emu)["foo"]["volume_definitions"]
    assert sizes[0]["size_kib"] == SIZE_KIB + 2 * GiB // 1024  # not SIZE_KIB + 1 GiB again
    assert foo.volumes[0].size == (SIZE_KIB + 2 * GiB // 1024) * 1024
