"""Key-value store and error report endpoints."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only


async def _json(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_kv_store_round_trip(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.get("/v1/key-value-store") as response:
            assert await _json(response) == []
        overrides = {"override_props": {"/a/k": "v", "/a/b/c": "w", "top": "x"}}
        async with http.put("/v1/key-value-store/MyKV", json=overrides) as response:
            entries = await _json(response)
        assert rc.matches(entries[0]["ret_code"], rc.MODIFIED)
        async with http.get("/v1/key-value-store/mykv") as response:
            stores = await _json(response)
        assert stores == [{"name": "MyKV", "props": {"a/b/c": "w", "a/k": "v", "top": "x"}}]
        deletions = {"delete_props": ["/top"], "delete_namespaces": ["/a/b"]}
        async with http.put("/v1/key-value-store/MYKV", json=deletions) as response:
            await _json(response)
        async with http.get("/v1/key-value-store") as response:
            assert await _json(response) == [{"name": "MyKV", "props": {"a/k": "v"}}]
        async with http.delete("/v1/key-value-store/mykv") as response:
            assert rc.matches((await _json(response))[0]["ret_code"], rc.DELETED)
        async with http.delete("/v1/key-value-store/mykv") as response:
            assert rc.matches((await _json(response))[0]["ret_code"], rc.WARN_NOT_FOUND)
        async with http.get("/v1/key-value-store/mykv") as response:
            entries = await _json(response, 404)
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_NOT_FOUND_KVS)
    assert "mykv" in entries[0]["message"]


async def test_kv_store_rejects_bad_bodies(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        for body in ({"override": {"a": "b"}}, {"override_props": {"a": 1}}, [1]):
            async with http.put("/v1/key-value-store/kv", json=body) as response:
                entries = await _json(response, 400)
            assert rc.matches(entries[0]["ret_code"], rc.API_CALL_PARSE_ERROR)
        async with http.get("/v1/key-value-store") as response:
            assert await _json(response) == []


def _report(state: Any, node: str | None, message: str, error_time: int) -> str:
    report_id: str = state.new_error_report(node, message)
    state.error_reports[-1]["error_time"] = error_time
    return report_id


async def test_error_reports_list_filter_show_and_delete(linstor_emulator: Emulator) -> None:
    state = linstor_emulator.state
    first = _report(state, None, "controller broke", 1_000)
    second = _report(state, "node-1", "disk broke", 2_000)
    third = _report(state, "node-2", "net broke", 3_000)
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.get("/v1/error-reports") as response:
            listed = await _json(response)
        assert [r["filename"] for r in listed] == [
            f"ErrorReport-{i}.log" for i in (first, second, third)
        ]
        assert all("text" not in r for r in listed)
        async with http.get("/v1/error-reports", params={"withContent": "true"}) as response:
            assert all("text" in r for r in await _json(response))
        async with http.get("/v1/error-reports", params={"node": "NODE-1"}) as response:
            assert [r["node_name"] for r in await _json(response)] == ["node-1"]
        params = {"since": "1500", "to": "3000", "limit": "1"}
        async with http.get("/v1/error-reports", params=params) as response:
            assert [r["error_time"] for r in await _json(response)] == [2_000]
        async with http.get(f"/v1/error-reports/{second}") as response:
            shown = await _json(response)
        assert len(shown) == 1
        assert "disk broke" in shown[0]["text"]
        async with http.get("/v1/error-reports/00000000-00000-999999") as response:
            assert await _json(response) == []
        async with http.delete(f"/v1/error-reports/{second}") as response:
            assert rc.matches((await _json(response))[0]["ret_code"], rc.DELETED)
        async with http.patch("/v1/error-reports", json={"ids": [third]}) as response:
            await _json(response)
        async with http.get("/v1/error-reports") as response:
            assert [r["filename"] for r in await _json(response)] == [f"ErrorReport-{first}.log"]
        async with http.patch("/v1/error-reports", json={"since": "yesterday"}) as response:
            entries = await _json(response, 500)
        assert rc.matches(entries[0]["ret_code"], rc.API_CALL_PARSE_ERROR)
        async with http.get("/v1/error-reports", params={"since": "yesterday"}) as response:
            assert "yesterday" in (await _json(response, 404))[0]["details"]
