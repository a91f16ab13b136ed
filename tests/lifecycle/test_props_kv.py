"""Resource/volume properties, DRBD options and the key-value store against the emulator."""

from __future__ import annotations

import pytest

from aiolinstor._client import Client
from aiolinstor._errors import ApiCallError, InputError, TransportError
from aiolinstor._kv import KV
from aiolinstor._resource import Resource
from aiolinstor._volume import Volume
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule

from .conftest import Place

pytestmark = pytest.mark.emulator_only

RD_PUT = "PUT /v1/resource-definitions/{rsc}"
VD_PUT = "PUT /v1/resource-definitions/{rsc}/volume-definitions/{nr}"
KV_PUT = "PUT /v1/key-value-store/{instance}"


async def test_resource_props_send_only_changes(placed: Place, linstor_emulator: Emulator) -> None:
    foo = await placed()
    await foo.set_props({"Aux/a": "1", "DrbdOptions/Resource/auto-promote": "no"})
    await foo.set_props({"Aux/a": "1"})
    await foo.delete_props(["Aux/missing"])
    assert linstor_emulator.request_counts()[RD_PUT] == 1
    assert foo.props["Aux/a"] == "1"
    await foo.delete_props(["Aux/a", "Aux/missing"])
    assert "Aux/a" not in foo.props
    unset = foo.allow_two_primaries
    assert unset is None
    await foo.set_allow_two_primaries(True)
    allowed = foo.allow_two_primaries
    assert allowed is True
    dumped = linstor_emulator.state.dump()["resource_definitions"]["foo"]["props"]
    assert dumped["DrbdOptions/Net/allow-two-primaries"] == "yes"
    await foo.set_allow_two_primaries(False)
    forbidden = foo.allow_two_primaries
    assert forbidden is False
    assert linstor_emulator.request_counts()[RD_PUT] == 4


async def test_props_bad_input_and_missing_resource(placed: Place, linstor_client: Client) -> None:
    foo = await placed()
    with pytest.raises(InputError, match="strings"):
        await foo.set_props({"Aux/a": 1})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="not the string"):
        await foo.delete_props("Aux/a")
    with pytest.raises(InputError, match="True or False"):
        await foo.set_allow_two_primaries("yes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="does not exist"):
        await Resource("ghost", client=linstor_client).set_props({"Aux/a": "1"})


async def test_volume_props(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    volume = foo.volumes[0]
    await volume.set_props({"Aux/tier": "fast"})
    await volume.set_props({"Aux/tier": "fast"})
    assert volume.props["Aux/tier"] == "fast"
    await volume.delete_props(["Aux/tier"])
    assert "Aux/tier" not in volume.props
    assert linstor_emulator.request_counts()[VD_PUT] == 2
    with pytest.raises(InputError, match="belongs to no resource"):
        await Volume("1 GiB").set_props({"Aux/a": "b"})
    declared = Resource("later", client=linstor_client)
    declared.volumes[0] = Volume("8 MiB")
    with pytest.raises(InputError, match="does not exist on the controller"):
        await declared.volumes[0].set_props({"Aux/a": "b"})


async def test_kv_reads_fresh_and_keeps_namespaces_apart(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    app = KV("kv1", namespace="/app/", client=linstor_client)
    other = KV("kv1", namespace="other", client=linstor_client)
    root = KV("kv1", client=linstor_client)
    assert await app.get("colour") is None
    await app.set("colour", "blue")
    await app.update({"size": "xl", "nested/key": "v"})
    await other.set("colour", "red")
    assert linstor_emulator.kv.get("kv1") == {
        "app/colour": "blue",
        "app/size": "xl",
        "app/nested/key": "v",
        "other/colour": "red",
    }
    assert await app.get("colour") == "blue" and await other.get("colour") == "red"
    assert [(k, v) async for k, v in app.items()] == [
        ("colour", "blue"),
        ("nested/key", "v"),
        ("size", "xl"),
    ]
    assert [k async for k in root] == ["app/colour", "app/nested/key", "app/size", "other/colour"]
    linstor_emulator.kv.modify("kv1", {"app/colour": "green"})  # another writer
    assert await app.get("colour") == "green"
    await app.delete("size")
    await app.delete("size")  # missing keys are not an error
    await app.clear()
    assert await app.to_dict() == {}
    assert await other.to_dict() == {"colour": "red"}
    assert linstor_emulator.request_counts()[KV_PUT] == 6


async def test_kv_cache_reads_once_and_follows_own_writes(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    kv = KV("kv2", namespace="/a/b/", client=linstor_client, cache=True)
    await kv.set("k", "1")
    assert await kv.get("k") == "1"
    linstor_emulator.kv.modify("kv2", {"a/b/k": "2", "a/b/new": "x"})
    assert await kv.get("k") == "1"  # cached
    await kv.refresh()
    assert await kv.to_dict() == {"k": "2", "new": "x"}
    await kv.delete("new")
    assert await kv.keys() == ["k"]
    assert await kv.contains("k") and not await kv.contains("new")
    assert linstor_emulator.request_counts()["GET /v1/key-value-store/{instance}"] == 2


async def test_kv_bad_input_and_failed_write(
    linstor_emulator: Emulator, linstor_client: Client
) -> None:
    with pytest.raises(InputError, match="store name"):
        KV("a/b", client=linstor_client)
    kv = KV("kv3", client=linstor_client)
    with pytest.raises(InputError, match="must be a string"):
        await kv.set("k", 5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="non-empty"):
        await kv.set("/", "v")
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(500, message="disk full"), method="PUT", path="/key-value-store/")
    )
    with pytest.raises(ApiCallError, match="disk full"):
        await kv.set("k", "v")
    assert linstor_emulator.kv.get("kv3") is None


async def test_kv_cache_is_dropped_when_a_write_gets_no_answer(
    linstor_emulator: Emulator,
) -> None:
    async with Client(linstor_emulator.url, retry_max_time=0.2, retry_backoff=0.005) as client:
        kv = KV("kv4", client=client, cache=True)
        await kv.set("k", "old")
        assert await kv.get("k") == "old"  # read once: cached from here on
        rule = linstor_emulator.add_fault(
            FaultRule(Drop(after=True), method="PUT", path="/key-value-store/")
        )
        with pytest.raises(TransportError):
            await kv.set("k", "new")
        linstor_emulator.remove_fault(rule)
        # the controller applied the change the caller got no answer for: read it again
        assert await kv.get("k") == "new"
