"""Resource.clone and DRBD Proxy enable/disable against the emulator."""

from __future__ import annotations

import pytest

from aiolinstor._client import Client
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    ConvergenceFailed,
    ConvergenceTimeout,
)
from aiolinstor.emulator import Emulator, ErrorAnswer, FaultRule

from .conftest import Place

pytestmark = pytest.mark.emulator_only

CLONE = "POST /v1/resource-definitions/{rsc}/clone"
PROXY_ON = "POST /v1/resource-definitions/{rsc}/drbd-proxy/enable/{a}/{b}"


async def test_clone_waits_until_complete_and_converged(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed(diskless=("node-3",))
    copy = await foo.clone("bar")
    assert copy.name == "bar"
    assert copy.diskful_nodes == ["node-1", "node-2"]
    assert copy.diskless_nodes == ["node-3"]
    assert copy.definition is not None and "CLONING" not in copy.definition.flags
    states = {node: v.disk_state for node, v in copy.volumes[0].states.items()}
    assert states == {"node-1": "UpToDate", "node-2": "UpToDate", "node-3": "Diskless"}
    again = await foo.clone("bar")
    assert again.diskful_nodes == ["node-1", "node-2"]
    assert linstor_emulator.request_counts()[CLONE] == 1


async def test_failed_clone_raises_with_the_satellites_reason(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.set_failure("node-1", "dd: error writing '/dev/vg/bar_00000'")
    with pytest.raises(ConvergenceFailed, match="FAILED") as failed:
        await foo.clone("bar")
    assert "dd: error writing" in str(failed.value)
    assert failed.value.error_report_ids
    assert [lag.node for lag in failed.value.laggards] == ["node-1"]


async def test_clone_refusals_and_injected_errors(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    await placed("taken", nodes=("node-3",))
    with pytest.raises(AlreadyExistsError, match="is not a clone of 'foo'"):
        await foo.clone("taken")
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(500, message="clone refused"), method="POST", path="/clone$")
    )
    with pytest.raises(ApiCallError, match="clone refused"):
        await foo.clone("bar")
    linstor_emulator.clear_faults()
    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ApiCallError, match="No active connection to satellite 'node-2'"):
        await foo.clone("bar")


async def test_clone_times_out_while_copying(placed: Place, linstor_emulator: Emulator) -> None:
    foo = await placed()
    linstor_emulator.set_speed("node-2", 0.0)
    with pytest.raises(ConvergenceTimeout, match="copying data"):
        await foo.clone("bar", timeout=0.3)
    linstor_emulator.set_speed("node-2", 1.0)
    assert (await foo.clone("bar")).diskful_nodes == ["node-1", "node-2"]


async def test_drbd_proxy_enable_disable_and_repeat(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    assert await foo.drbd_proxy_enable("node-1", "node-2") is foo
    conn = await linstor_client.get_resource_connection("foo", "node-1", "node-2")
    assert conn.flags == ("DRBD_PROXY",)
    assert all(
        r.connections["node-2" if n == "node-1" else "node-1"].connected
        for n, r in foo.replicas.items()
    )
    await foo.drbd_proxy_enable("node-2", "node-1")
    assert linstor_emulator.request_counts()[PROXY_ON] == 1
    await foo.drbd_proxy_disable("node-1", "node-2")
    await foo.drbd_proxy_disable("node-1", "node-2")
    conn = await linstor_client.get_resource_connection("foo", "node-1", "node-2")
    assert conn.flags == ()
    counts = linstor_emulator.request_counts()
    assert counts["POST /v1/resource-definitions/{rsc}/drbd-proxy/disable/{a}/{b}"] == 1


async def test_drbd_proxy_wait_times_out_on_a_stalled_node(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.set_speed("node-2", 0.0)
    with pytest.raises(ConvergenceTimeout) as timed_out:
        await foo.drbd_proxy_enable("node-1", "node-2", timeout=0.3)
    assert "node-1" in {lag.node for lag in timed_out.value.laggards}
    assert "not connected to node-2" in str(timed_out.value)


async def test_drbd_proxy_with_an_offline_node_is_stored_and_times_out(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client
) -> None:
    foo = await placed()
    linstor_emulator.set_online("node-2", False)
    with pytest.raises(ConvergenceTimeout, match="node-2"):
        await foo.drbd_proxy_enable("node-1", "node-2", timeout=0.3)
    conn = await linstor_client.get_resource_connection("foo", "node-1", "node-2")
    assert conn.flags == ("DRBD_PROXY",)
    linstor_emulator.set_online("node-2", True)
    await foo.drbd_proxy_enable("node-1", "node-2")
    assert linstor_emulator.request_counts()[PROXY_ON] == 1
