"""Fault injection: error answers, dropped connections, delays, counts, seeded probability."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import (
    Delay,
    Drop,
    Emulator,
    ErrorAnswer,
    FaultRule,
    FaultRuleError,
    Timing,
)

pytestmark = pytest.mark.emulator_only

RD_BODY = {"resource_definition": {"name": "rd1"}}


async def _post_fault(session: aiohttp.ClientSession, rule: dict[str, Any]) -> dict[str, Any]:
    async with session.post("/_emulator/faults", json=rule) as response:
        assert response.status == 201, await response.text()
        created: dict[str, Any] = await response.json()
        return created


async def test_error_action_answers_an_api_call_rc_list_with_a_report(
    linstor_emulator: Emulator,
) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        rule = await _post_fault(
            http,
            {
                "method": "GET",
                "path": "^/v1/nodes$",
                "action": {"status": 500, "message": "controller hiccup"},
                "count": 1,
            },
        )
        async with http.get("/v1/nodes") as response:
            assert response.status == 500
            entries = await response.json()
        async with http.get("/v1/nodes") as response:
            assert response.status == 200
        async with http.get(f"/_emulator/faults/{rule['id']}") as response:
            listed = await response.json()
        report_id = entries[0]["error_report_ids"][0]
        async with http.get(f"/v1/error-reports/{report_id}") as response:
            reports = await response.json()
    assert len(entries) == 1
    assert entries[0]["message"] == "controller hiccup"
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_UNKNOWN_ERROR)
    assert listed["hits"] == 1
    assert listed["exhausted"] is True
    assert [r["filename"] for r in reports] == [f"ErrorReport-{report_id}.log"]
    assert "controller hiccup" in reports[0]["text"]


async def test_error_action_uses_the_given_status_and_ret_code(linstor_emulator: Emulator) -> None:
    linstor_emulator.add_fault(
        FaultRule(
            ErrorAnswer(404, ret_code=rc.FAIL_NOT_FOUND_NODE, message="gone"),
            method="get",
            path="/v1/nodes/",
        )
    )
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.get("/v1/nodes/node-1") as response:
            assert response.status == 404
            entries = await response.json()
        async with http.get("/v1/nodes") as response:  # path regex does not match
            assert response.status == 200
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_NOT_FOUND_NODE)
    assert entries[0]["ret_code"] < 0  # signed on the wire


async def test_drop_before_closes_the_connection_and_changes_nothing(
    linstor_emulator: Emulator,
) -> None:
    linstor_emulator.add_fault(
        FaultRule(Drop(), method="POST", path="^/v1/resource-definitions$", count=1)
    )
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.post("/v1/resource-definitions", json=RD_BODY)
        async with http.get("/v1/resource-definitions/rd1") as response:
            assert response.status == 404


async def test_drop_after_applies_the_change_but_sends_no_answer(
    linstor_emulator: Emulator,
) -> None:
    linstor_emulator.add_fault(
        {"method": "POST", "path": "^/v1/resource-definitions$", "action": "drop_after"}
    )
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.post("/v1/resource-definitions", json=RD_BODY)
        async with http.get("/v1/resource-definitions/rd1") as response:
            assert response.status == 200
            assert (await response.json())["name"] == "rd1"


async def test_delay_holds_the_answer(linstor_emulator: Emulator) -> None:
    linstor_emulator.add_fault(FaultRule(Delay(0.5), path="^/v1/controller/version$"))
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        with pytest.raises(asyncio.TimeoutError):
            await http.get("/v1/controller/version", timeout=aiohttp.ClientTimeout(total=0.05))
        async with http.get("/v1/nodes") as response:  # other paths are not delayed
            assert response.status == 200
    assert linstor_emulator.faults.rules[0].hits == 1


async def test_count_limits_how_often_a_rule_fires(linstor_emulator: Emulator) -> None:
    linstor_emulator.add_fault(
        FaultRule(ErrorAnswer(503), method="GET", path="^/v1/nodes$", count=2)
    )
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        statuses = []
        for _ in range(4):
            async with http.get("/v1/nodes") as response:
                statuses.append(response.status)
    assert statuses == [503, 503, 200, 200]


async def _statuses_with_probability(seed: int) -> list[int]:
    async with Emulator(nodes=1, timing=Timing.fast(), seed=seed) as emu:
        emu.add_fault(FaultRule(ErrorAnswer(500), path="^/v1/nodes$", probability=0.5))
        async with aiohttp.ClientSession(emu.url) as http:
            statuses = []
            for _ in range(24):
                async with http.get("/v1/nodes") as response:
                    statuses.append(response.status)
        assert emu.faults.rules[0].hits == statuses.count(500)
        return statuses


async def test_probability_is_drawn_from_the_seed() -> None:
    first = await _statuses_with_probability(seed=7)
    again = await _statuses_with_probability(seed=7)
    assert first == again
    assert 0 < first.count(500) < len(first)
    assert set(first) == {200, 500}


async def test_rules_are_listed_removed_and_cleared(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        first = await _post_fault(http, {"path": "^/v1/nodes$", "action": {"status": 500}})
        second = await _post_fault(http, {"path": "^/v1/view/", "action": {"delay": 0.01}})
        async with http.get("/_emulator/faults") as response:
            listed = await response.json()
        assert [r["id"] for r in listed] == [first["id"], second["id"]]
        assert listed[1]["action"] == {"delay": 0.01}
        async with http.delete(f"/_emulator/faults/{first['id']}") as response:
            assert response.status == 200
        async with http.delete(f"/_emulator/faults/{first['id']}") as response:
            assert response.status == 404
        async with http.get("/v1/nodes") as response:
            assert response.status == 200
        async with http.delete("/_emulator/faults") as response:
            assert response.status == 200
        async with http.get("/_emulator/faults") as response:
            assert await response.json() == []


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"action": "explode"}, "'explode'"),
        ({"action": {"status": 200}}, "200"),
        ({"action": {"delay": -1}}, "-1"),
        ({"action": "drop_before", "path": "(unclosed"}, "(unclosed"),
        ({"action": "drop_before", "count": 0}, "0"),
        ({"action": "drop_before", "probability": 1.5}, "1.5"),
        ({"action": "drop_before", "colour": "red"}, "colour"),
        ({"path": "x"}, "action"),
    ],
)
async def test_bad_rules_are_rejected_naming_the_value(
    linstor_emulator: Emulator, rule: dict[str, Any], named: str
) -> None:
    with pytest.raises(FaultRuleError, match=named.replace("(", r"\(")):
        FaultRule.from_json(rule)
    async with (
        aiohttp.ClientSession(linstor_emulator.url) as http,
        http.post("/_emulator/faults", json=rule) as response,
    ):
        assert response.status == 400
        assert named in (await response.json())["error"]


async def test_control_api_is_never_faulted(linstor_emulator: Emulator) -> None:
    linstor_emulator.add_fault(FaultRule(ErrorAnswer(500)))  # every method, every path
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.get("/_emulator/faults") as response:
            assert response.status == 200
        async with http.get("/v1/nodes") as response:
            assert response.status == 500
