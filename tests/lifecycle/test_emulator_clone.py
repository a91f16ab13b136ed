"""The emulator serves clones, resource connections and DRBD Proxy (REST level)."""

from __future__ import annotations

import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor._client import Client
from aiolinstor._errors import AlreadyExistsError, ApiCallError, NotFoundError
from aiolinstor._waits import DONE, NotYet, Verdict, poll_until
from aiolinstor.emulator import Emulator, Timing

from .conftest import Place

pytestmark = pytest.mark.emulator_only


async def _statuses_until_done(client: Client, source: str, clone: str) -> list[str]:
    seen: list[str] = []

    def record(status: str) -> Verdict:
        seen.append(status)
        return NotYet() if status == "CLONING" else DONE

    await poll_until(
        client,
        lambda: client.clone_status(source, clone),
        record,
        within=5,
        resource=clone,
        operation="observe",
    )
    return seen


@pytest.mark.linstor_emulator(timing=Timing(speed=20.0))
async def test_clone_goes_from_cloning_to_complete(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed(diskless=("node-3",))
    messages = await linstor_client.clone_resource_definition("foo", "bar")
    assert messages.status == 201
    assert "CLONING" in (await linstor_client.get_resource_definition("bar")).flags
    seen = await _statuses_until_done(linstor_client, "foo", "bar")
    assert seen[0] == "CLONING" and seen[-1] == "COMPLETE"
    rd = await linstor_client.get_resource_definition("bar")
    assert "CLONING" not in rd.flags
    assert [vd.size_kib for vd in rd.volume_definitions] == [64 * 1024]
    replicas = {r.node_name: r for r in await linstor_client.view_resources(resources=["bar"])}
    assert sorted(replicas) == ["node-1", "node-2", "node-3"]
    assert replicas["node-3"].diskless and not replicas["node-1"].diskless


async def test_clone_failure_and_refusals(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    await placed()
    with pytest.raises(NotFoundError):
        await linstor_client.clone_status("foo", "nothing")
    linstor_emulator.set_failure("node-2", "zfs send failed")
    await linstor_client.clone_resource_definition("foo", "bar")
    assert await linstor_client.clone_status("foo", "bar") == "FAILED"
    assert "FAILED" in (await linstor_client.get_resource_definition("bar")).flags
    replica = next(
        r for r in await linstor_client.view_resources(resources=["bar"]) if r.node_name == "node-2"
    )
    assert "zfs send failed" in str(replica.volumes[0].raw["reports"])

    with pytest.raises(AlreadyExistsError) as exists:
        await linstor_client.clone_resource_definition("foo", "bar")
    assert exists.value.has(rc.FAIL_EXISTS_RSC_DFN)
    linstor_emulator.set_online("node-1", False)
    with pytest.raises(ApiCallError) as offline:
        await linstor_client.clone_resource_definition("foo", "baz")
    assert offline.value.has(rc.FAIL_NOT_CONNECTED)
    assert await linstor_client.list_resource_definitions(["baz"]) == []


async def test_drbd_proxy_sets_the_connection_flag(placed: Place, linstor_client: Client) -> None:
    await placed()
    plain = await linstor_client.get_resource_connection("foo", "node-1", "node-2")
    assert plain.flags == () and plain.node_a == "node-1"
    await linstor_client.enable_drbd_proxy("foo", "node-1", "node-2", port=7900)
    proxied = await linstor_client.get_resource_connection("foo", "node-2", "node-1")
    assert proxied.flags == ("DRBD_PROXY",)
    assert proxied.node_a == "node-2" and proxied.drbd_proxy_port_a == 7900
    listed = await linstor_client._get("/v1/resource-definitions/foo/resource-connections")
    assert [c["flags"] for c in listed] == [["DRBD_PROXY"]]
    await linstor_client.disable_drbd_proxy("foo", "node-1", "node-2")
    assert (await linstor_client.get_resource_connection("foo", "node-1", "node-2")).flags == ()
    with pytest.raises(NotFoundError):
        await linstor_client.enable_drbd_proxy("foo", "node-1", "node-3")


async def test_clone_flags_clear_without_asking_the_status(
    placed: Place, linstor_client: Client
) -> None:
    await placed()
    await linstor_client.clone_resource_definition("foo", "bar")

    async def flags() -> tuple[str, ...]:
        return (await linstor_client.get_resource_definition("bar")).flags

    await poll_until(
        linstor_client,
        flags,
        lambda found: NotYet() if "CLONING" in found else DONE,
        within=5,
        resource="bar",
        operation="observe",
    )
    volumes = (await linstor_client.view_resources(resources=["bar"]))[0].volumes
    assert "CLONING" not in volumes[0].flags
