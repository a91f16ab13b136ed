"""Bad input gets a clear error and leaves nothing half-made; lost answers are recovered."""

from __future__ import annotations

from typing import Any

import pytest
from hl_helpers import assert_settled, definitions, replicas

from aiolinstor._client import Client
from aiolinstor._errors import (
    ApiCallError,
    InputError,
    InvalidNameError,
    InvalidSizeError,
    NotEnoughNodesError,
    NotFoundError,
)
from aiolinstor._placement import Placement, PlacementImpossibleError
from aiolinstor._resource import Resource
from aiolinstor._volume import Volume
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule

pytestmark = pytest.mark.emulator_only


def writes(emu: Emulator) -> dict[str, int]:
    return {route: n for route, n in emu.request_counts().items() if not route.startswith("GET")}


def declared(client: Client, size: str = "64 MiB", redundancy: int | None = 2) -> Resource:
    res = Resource("foo", client=client)
    res.volumes[0] = Volume(size)
    res.placement.redundancy = redundancy
    return res


# --- refused before any I/O --------------------------------------------------------------------
@pytest.mark.parametrize("size", ["abc", "10 XB", 0, -5, "", "1.5.5G", None, 2.5])
def test_bad_sizes(size: Any) -> None:
    with pytest.raises(InvalidSizeError) as caught:
        Volume(size)
    assert repr(size) in str(caught.value)


@pytest.mark.parametrize("name", ["all", "PROXY", "9lives", "a", "has space", "x" * 49, "", 7])
def test_bad_resource_names(name: Any) -> None:
    with pytest.raises(InvalidNameError) as caught:
        Resource(name)
    assert repr(name) in str(caught.value)


def test_bad_declarations() -> None:
    res = Resource("foo")
    with pytest.raises(InvalidNameError, match="70000"):
        res.volumes[70000] = Volume("1 GiB")
    with pytest.raises(InputError, match="'1 GiB'"):
        res.volumes[0] = "1 GiB"  # type: ignore[assignment]
    with pytest.raises(InputError, match="redundancy"):
        res.placement.redundancy = 0
    with pytest.raises(InputError, match="placement"):
        res.placement = {"redundancy": 2}  # type: ignore[assignment]
    with pytest.raises(InvalidNameError, match="'-x'"):
        res.resource_group = "-x"
    volume = Volume("1 GiB")
    res.volumes[0] = volume
    with pytest.raises(InputError, match="already belongs"):
        Resource("bar").volumes[0] = volume
    assert len(res.volumes) == 1 and res.volumes[0] is volume and volume.number == 0


async def test_volume_outside_a_resource() -> None:
    with pytest.raises(InputError, match="belongs to no resource"):
        await Volume("1 GiB").resize("2 GiB")


# --- refused by reading first --------------------------------------------------------------------
async def test_redundancy_larger_than_the_cluster(emu: Emulator, client: Client) -> None:
    res = declared(client, redundancy=4)
    with pytest.raises(PlacementImpossibleError) as caught:
        await res.autoplace()
    assert isinstance(caught.value, NotEnoughNodesError)
    assert "redundancy 4" in str(caught.value) and "3 node(s)" in str(caught.value)
    assert writes(emu) == {} and definitions(emu) == {}

    emu.set_online("node-3", False)  # 2 usable nodes left
    res.placement.redundancy = 3
    with pytest.raises(PlacementImpossibleError, match="2 of 3 nodes online"):
        await res.autoplace()
    assert writes(emu) == {} and definitions(emu) == {}


async def test_controller_refusal_removes_the_new_definition(emu: Emulator, client: Client) -> None:
    res = declared(client)
    res.placement.replicas_on_same = ["Aux/site"]  # no node has it: only the controller knows
    with pytest.raises(NotEnoughNodesError) as caught:
        await res.autoplace()
    assert not isinstance(caught.value, PlacementImpossibleError)
    assert "foo" not in definitions(emu)

    # a definition that existed before the call is kept
    await Resource("foo", client=client).create()
    with pytest.raises(NotEnoughNodesError):
        await res.autoplace()
    assert "foo" in definitions(emu) and replicas(emu, "foo") == {}


async def test_unknown_nodes(emu: Emulator, client: Client) -> None:
    res = declared(client)
    res.placement.node_names = ["node-1", "nope"]
    with pytest.raises(InputError, match="'nope'"):
        await res.autoplace()
    assert writes(emu) == {}

    res.placement = Placement(redundancy=2)
    await res.autoplace()
    before = definitions(emu)
    with pytest.raises(NotFoundError, match="nope"):
        await res.activate("nope")
    assert definitions(emu) == before
    with pytest.raises(InvalidNameError, match="'no_underscores'"):
        await res.activate("no_underscores")


async def test_resize_refuses_shrinking(emu: Emulator, client: Client) -> None:
    res = declared(client)
    await res.autoplace()
    with pytest.raises(InputError, match="cannot shrink volume 0"):
        await res.volumes[0].resize("32 MiB")
    with pytest.raises(InvalidSizeError, match="'-1 GiB'"):
        await res.volumes[0].resize("-1 GiB")
    assert definitions(emu)["foo"]["volume_definitions"][0]["size_kib"] == 64 * 1024
    assert "PUT /v1/resource-definitions/{rsc}/volume-definitions/{nr}" not in writes(emu)

    missing = Resource("bar", client=client)
    missing.volumes[0] = Volume("1 GiB")
    with pytest.raises(InputError, match="does not exist"):
        await missing.volumes[0].resize("2 GiB")


async def test_conflicting_existing_definition(emu: Emulator, client: Client) -> None:
    await declared(client, "64 MiB").autoplace()
    before, counts = definitions(emu), writes(emu)
    bigger = declared(client, "128 MiB")
    with pytest.raises(InputError, match="smaller than the declared 128 MiB"):
        await bigger.autoplace()
    assert definitions(emu) == before and writes(emu) == counts

    grouped = declared(client, "64 MiB")
    grouped.resource_group = "other"
    with pytest.raises(InputError, match="resource group"):
        await grouped.create()


async def test_operations_need_an_existing_resource_with_volumes(client: Client) -> None:
    with pytest.raises(InputError, match="does not exist"):
        await Resource("foo", client=client).activate("node-1")
    await Resource("foo", client=client).create()  # a definition without volumes
    with pytest.raises(InputError, match="has no volumes"):
        await Resource("foo", client=client).make_diskful("node-1")


async def test_failed_volume_creation_removes_the_new_definition(
    emu: Emulator, client: Client
) -> None:
    emu.add_fault(FaultRule(ErrorAnswer(500), method="POST", path="/volume-definitions$", count=1))
    with pytest.raises(ApiCallError):
        await declared(client).autoplace()
    assert definitions(emu) == {}


# --- lost answers: re-read, never re-send blindly -----------------------------------------------
@pytest.mark.parametrize(
    "path",
    [r"^/v1/resource-definitions$", r"/volume-definitions$", r"/autoplace$", r"/make-available$"],
)
async def test_write_whose_answer_was_lost_is_not_repeated(
    emu: Emulator, client: Client, path: str
) -> None:
    emu.add_fault(FaultRule(Drop(after=True), method="POST", path=path, count=1))
    res = declared(client)
    await res.autoplace()
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in res.nodes)
    await res.activate(free)
    assert_settled(emu, "foo", diskful=2)
    assert sorted(definitions(emu)) == ["foo"]
    assert list(definitions(emu)["foo"]["volume_definitions"]) == [0]
    counts = writes(emu)
    # each write reached the controller once: the dropped one was applied, then found applied
    assert counts["POST /v1/resource-definitions"] == 1
    assert counts["POST /v1/resource-definitions/{rsc}/volume-definitions"] == 1
    assert counts["POST /v1/resource-definitions/{rsc}/autoplace"] == 1
    assert counts["POST /v1/resource-definitions/{rsc}/resources/{node}/make-available"] == 1


async def test_write_lost_before_it_applied_is_sent_again(emu: Emulator, client: Client) -> None:
    emu.add_fault(FaultRule(Drop(after=False), method="POST", path=r"/autoplace$", count=1))
    res = declared(client)
    await res.autoplace()
    assert_settled(emu, "foo", diskful=2)
    # the dropped request (never processed) and the one sent after finding nothing placed
    assert writes(emu)["POST /v1/resource-definitions/{rsc}/autoplace"] == 2
