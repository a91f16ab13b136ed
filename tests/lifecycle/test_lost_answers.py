"""Restore, rollback, DRBD Proxy and DRBD options when the controller's answer is lost or a
step fails: every step is recovered by reading state or cleaned up, and the error names it."""

from __future__ import annotations

import pytest

from aiolinstor._client import Client
from aiolinstor._errors import ApiCallError, TransportError
from aiolinstor.emulator import Drop, Emulator, ErrorAnswer, FaultRule, Timing

from .conftest import Place

pytestmark = pytest.mark.emulator_only

CREATE_RD = "POST /v1/resource-definitions"
RESTORE_VD = "POST /v1/resource-definitions/{rsc}/snapshot-restore-volume-definition/{snap}"
RESTORE_RSC = "POST /v1/resource-definitions/{rsc}/snapshot-restore-resource/{snap}"
ROLLBACK = "POST /v1/resource-definitions/{rsc}/snapshot-rollback/{snap}"
PROXY_ON = "POST /v1/resource-definitions/{rsc}/drbd-proxy/enable/{a}/{b}"
PROXY_OFF = "POST /v1/resource-definitions/{rsc}/drbd-proxy/disable/{a}/{b}"
RD_PUT = "PUT /v1/resource-definitions/{rsc}"

#: (step name, path of its request, how the emulator counts it)
STEPS = [
    ("create resource definition", r"^/v1/resource-definitions$", CREATE_RD),
    ("restore volume definitions", r"/snapshot-restore-volume-definition/", RESTORE_VD),
    ("restore resources", r"/snapshot-restore-resource/", RESTORE_RSC),
]


def _definitions(emu: Emulator) -> set[str]:
    return set(emu.state.dump()["resource_definitions"])


def _up_to_date(emu: Emulator, name: str) -> dict[str, list[str]]:
    found = emu.state.dump()["resource_definitions"][name]["resources"]
    return {node: [v["disk_state"] for v in r["volumes"].values()] for node, r in found.items()}


@pytest.mark.parametrize(("step", "path", "route"), STEPS, ids=[s[0] for s in STEPS])
async def test_restore_step_refused_leaves_nothing_and_names_the_step(
    placed: Place, linstor_emulator: Emulator, step: str, path: str, route: str
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(500, message="injected"), method="POST", path=path, count=1)
    )
    with pytest.raises(ApiCallError, match=f"step '{step}' failed: .*injected") as failed:
        await snap.restore("bar")
    assert failed.value.error_report_ids
    assert "bar" not in _definitions(linstor_emulator)
    restored = await snap.restore("bar")
    assert restored.diskful_nodes == ["node-1", "node-2"]
    assert _up_to_date(linstor_emulator, "bar") == {
        "node-1": ["UpToDate"],
        "node-2": ["UpToDate"],
    }


@pytest.mark.parametrize(("step", "path", "route"), STEPS, ids=[s[0] for s in STEPS])
async def test_restore_step_without_answer_twice_leaves_nothing_and_names_the_step(
    placed: Place, linstor_emulator: Emulator, step: str, path: str, route: str
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    # dropped before processing, twice: the state read shows nothing, the one re-send is lost
    linstor_emulator.add_fault(FaultRule(Drop(), method="POST", path=path, count=2))
    with pytest.raises(TransportError, match=f"step '{step}' failed"):
        await snap.restore("bar")
    assert "bar" not in _definitions(linstor_emulator)
    assert linstor_emulator.request_counts()[route] == 2
    assert (await snap.restore("bar")).diskful_nodes == ["node-1", "node-2"]


@pytest.mark.parametrize(("step", "path", "route"), STEPS, ids=[s[0] for s in STEPS])
async def test_restore_step_whose_answer_is_lost_resumes_without_resending(
    placed: Place, linstor_emulator: Emulator, step: str, path: str, route: str
) -> None:
    foo = await placed()
    snap = await foo.snapshot("s1")
    rule = linstor_emulator.add_fault(
        FaultRule(Drop(after=True), method="POST", path=path, count=1)
    )
    restored = await snap.restore("bar")
    fired = linstor_emulator.faults.get(rule)
    assert fired is not None and fired.hits == 1
    assert restored.diskful_nodes == ["node-1", "node-2"]
    counts = linstor_emulator.request_counts()
    assert [counts[r] for _, _, r in STEPS] == [1, 1, 1]


@pytest.mark.linstor_emulator(timing=Timing(speed=100.0, deploy_s=30.0))
async def test_rollback_whose_answer_is_lost_is_found_applied(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    await foo.snapshot("s1")
    linstor_emulator.add_fault(
        FaultRule(Drop(after=True), method="POST", path="/snapshot-rollback/", count=1)
    )
    await foo.rollback("s1")
    assert linstor_emulator.request_counts()[ROLLBACK] == 1
    assert _up_to_date(linstor_emulator, "foo") == {
        "node-1": ["UpToDate"],
        "node-2": ["UpToDate"],
    }


async def test_rollback_not_applied_is_sent_again(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    await foo.snapshot("s1")
    linstor_emulator.add_fault(
        FaultRule(Drop(), method="POST", path="/snapshot-rollback/", count=1)
    )
    await foo.rollback("s1")
    assert linstor_emulator.request_counts()[ROLLBACK] == 2
    assert [v.disk_state for r in foo.replicas.values() for v in r.volumes] == ["UpToDate"] * 2


@pytest.mark.parametrize("enable", [True, False], ids=["enable", "disable"])
async def test_drbd_proxy_answer_lost_is_found_applied(
    placed: Place, linstor_emulator: Emulator, linstor_client: Client, enable: bool
) -> None:
    foo = await placed()
    if not enable:
        await foo.drbd_proxy_enable("node-1", "node-2")
    verb = "enable" if enable else "disable"
    linstor_emulator.add_fault(
        FaultRule(Drop(after=True), method="POST", path=f"/drbd-proxy/{verb}/", count=1)
    )
    if enable:
        await foo.drbd_proxy_enable("node-1", "node-2")
    else:
        await foo.drbd_proxy_disable("node-1", "node-2")
    counts = linstor_emulator.request_counts()
    assert counts[PROXY_ON if enable else PROXY_OFF] == 1
    conn = await linstor_client.get_resource_connection("foo", "node-1", "node-2")
    assert conn.flags == (("DRBD_PROXY",) if enable else ())


async def test_allow_two_primaries_answer_lost_ends_in_the_declared_state(
    placed: Place, linstor_emulator: Emulator
) -> None:
    foo = await placed()
    linstor_emulator.add_fault(
        FaultRule(Drop(after=True), method="PUT", path=r"^/v1/resource-definitions/foo$", count=1)
    )
    await foo.set_allow_two_primaries(True)
    assert foo.allow_two_primaries is True
    dumped = linstor_emulator.state.dump()["resource_definitions"]["foo"]["props"]
    assert dumped["DrbdOptions/Net/allow-two-primaries"] == "yes"
    # a PUT is idempotent: the transport sends it once more on the same connection loss
    assert linstor_emulator.request_counts()[RD_PUT] == 2
    await foo.set_allow_two_primaries(True)
    assert linstor_emulator.request_counts()[RD_PUT] == 2
