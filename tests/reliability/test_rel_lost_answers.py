"""Lost answers and controller faults on every write of a lifecycle: connections dropped before
or after the controller processed the request, and bursts of HTTP 500 with error reports.

A write whose answer was lost is recovered by reading what exists, never re-sent blindly:
each POST reaches the controller once when it was applied (twice when it was dropped before
processing), and the database never holds a duplicate.
"""

from __future__ import annotations

import pytest

from aiolinstor import ApiCallError, Client, Resource
from aiolinstor._apicallrc import FAIL_UNKNOWN_ERROR
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule

from .rel_helpers import GROWN, GROWN_KIB, assert_settled, declared, definitions, writes

pytestmark = pytest.mark.emulator_only

#: Every write of :func:`full_lifecycle`: (method, route as counted, path regex of the fault).
WRITES = [
    ("POST", "/v1/resource-definitions", r"^/v1/resource-definitions$"),
    ("POST", "/v1/resource-definitions/{rsc}/volume-definitions", r"/volume-definitions$"),
    ("POST", "/v1/resource-definitions/{rsc}/autoplace", r"/autoplace$"),
    ("PUT", "/v1/resource-definitions/{rsc}/volume-definitions/{nr}", r"/0$"),
    (
        "POST",
        "/v1/resource-definitions/{rsc}/resources/{node}/make-available",
        r"/make-available$",
    ),
    ("DELETE", "/v1/resource-definitions/{rsc}/resources/{node}", r"/resources/node-\d$"),
    ("POST", "/v1/resource-definitions/{rsc}/snapshots", r"/snapshots$"),
    ("DELETE", "/v1/resource-definitions/{rsc}/snapshots/{snap}", r"/snapshots/snap1$"),
    ("DELETE", "/v1/resource-definitions/{rsc}", r"^/v1/resource-definitions/foo$"),
]


async def full_lifecycle(client: Client, emu: Emulator) -> None:
    """create, autoplace, resize, activate, deactivate, snapshot, delete, checking the
    database at each step for anything lost or duplicated."""
    res = declared(client)
    await res.create()
    await res.autoplace()
    assert_settled(emu, "foo", diskful=2, clients=[])
    await res.volumes[0].resize(GROWN)
    assert definitions(emu)["foo"]["volume_definitions"][0]["size_kib"] == GROWN_KIB
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in res.diskful_nodes)
    await res.activate(free)
    assert_settled(emu, "foo", diskful=2, clients=[free])
    await res.deactivate(free)
    assert_settled(emu, "foo", diskful=2, clients=[])
    snapshot = await res.snapshot("snap1")
    assert snapshot.successful
    assert [s.name for s in await res.snapshots()] == ["snap1"]
    await res.delete()
    assert definitions(emu) == {}


def _route_key(method: str, route: str) -> str:
    return f"{method} {route}"


@pytest.mark.parametrize(("method", "route", "path"), WRITES, ids=[w[1] for w in WRITES])
@pytest.mark.parametrize("after", [True, False], ids=["drop-after", "drop-before"])
async def test_dropped_write_is_recovered_without_duplicates(
    emu: Emulator, client: Client, method: str, route: str, path: str, after: bool
) -> None:
    rule = emu.add_fault(FaultRule(Drop(after=after), method=method, path=path, count=1))
    await full_lifecycle(client, emu)
    fired = emu.faults.get(rule)
    assert fired is not None and fired.hits == 1
    counts = writes(emu)
    if method == "POST":
        # applied: found by reading, not sent again; not applied: sent once more
        assert counts[_route_key(method, route)] == (1 if after else 2)
    else:
        assert counts[_route_key(method, route)] == 2  # idempotent: re-sent by the transport
    others = {key: n for key, n in counts.items() if key != _route_key(method, route)}
    assert all(n == 1 for n in others.values()), others


async def test_reads_survive_dropped_connections(emu: Emulator, client: Client) -> None:
    emu.add_fault(FaultRule(Drop(), method="GET", count=2))
    emu.add_fault(FaultRule(Drop(after=True), method="GET", count=2))
    await full_lifecycle(client, emu)
    assert all(rule.exhausted for rule in emu.faults.rules)


async def test_burst_of_500s_on_reads_is_retried(emu: Emulator, client: Client) -> None:
    emu.state.add_resource("foo", "64 MiB", ["node-1", "node-2"])
    emu.add_fault(FaultRule(ErrorAnswer(500), method="GET", path=r"^/v1/view/resources", count=3))
    res = await Resource("foo", client=client).refresh()
    assert res.diskful_nodes == ["node-1", "node-2"]
    assert emu.request_counts()["GET /v1/view/resources"] == 4


async def test_long_burst_of_500s_raises_with_the_report_ids(emu: Emulator, client: Client) -> None:
    emu.add_fault(FaultRule(ErrorAnswer(500), method="GET", path=r"^/v1/resource-definitions"))
    with pytest.raises(ApiCallError) as caught:
        await Resource("foo", client=client).refresh()
    error = caught.value
    attempts = client._transport.retries + 1
    assert emu.request_counts()["GET /v1/resource-definitions"] == attempts  # bounded
    assert error.status == 500 and error.has(FAIL_UNKNOWN_ERROR)
    (report_id,) = error.error_report_ids
    assert report_id in str(error)
    emu.clear_faults()
    reports = {report.id for report in await client.list_error_reports()}
    assert report_id in reports


async def test_500_on_a_write_is_not_retried_and_leaves_nothing_half_made(
    emu: Emulator, client: Client
) -> None:
    emu.add_fault(FaultRule(ErrorAnswer(500), method="POST", path=r"/autoplace$", count=1))
    res = declared(client)
    with pytest.raises(ApiCallError) as caught:
        await res.autoplace()
    assert caught.value.error_report_ids
    assert writes(emu)["POST /v1/resource-definitions/{rsc}/autoplace"] == 1
    assert definitions(emu) == {}  # the definition this call created was removed again
    await res.autoplace()  # the same call again converges
    assert_settled(emu, "foo", diskful=2, clients=[])


async def test_500s_during_a_wait_are_retried(emu: Emulator, client: Client) -> None:
    res = declared(client)
    await res.create()
    burst = client._transport.retries  # within the retry budget of one read
    emu.add_fault(
        FaultRule(ErrorAnswer(500), method="GET", path=r"^/v1/view/resources", count=burst)
    )
    await res.autoplace()
    assert_settled(emu, "foo", diskful=2, clients=[])
    assert all(rule.exhausted for rule in emu.faults.rules)
