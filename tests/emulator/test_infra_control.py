"""The /_emulator/ control API: nodes, reset, cluster set-up, state dump, blackhole."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from aiolinstor.emulator import ClusterSpec, Emulator, Timing

pytestmark = pytest.mark.emulator_only


async def _json(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def _node_status(http: aiohttp.ClientSession, node: str) -> str:
    async with http.get(f"/v1/nodes/{node}") as response:
        status: str = (await _json(response))["connection_status"]
        return status


async def test_nodes_go_offline_and_online(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post("/_emulator/nodes/node-2/offline") as response:
            assert await _json(response) == {"node": "node-2", "online": False}
        assert await _node_status(http, "node-2") == "OFFLINE"
        assert await _node_status(http, "node-1") == "ONLINE"
        async with http.post("/_emulator/nodes/NODE-2/online") as response:
            await _json(response)
        assert await _node_status(http, "node-2") == "ONLINE"
        linstor_emulator.set_online("node-3", False)
        assert await _node_status(http, "node-3") == "OFFLINE"


async def test_unknown_node_is_404_naming_it(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        for method, path, body in [
            ("POST", "/_emulator/nodes/nope-9/offline", None),
            ("POST", "/_emulator/nodes/nope-9/speed", {"factor": 0.5}),
            ("POST", "/_emulator/nodes/nope-9/failure", {"message": "disk on fire"}),
            ("DELETE", "/_emulator/nodes/nope-9/failure", None),
        ]:
            async with http.request(method, path, json=body) as response:
                error = (await _json(response, 404))["error"]
                assert "nope-9" in error


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/_emulator/nodes/node-1/speed", {"factor": -1}, "-1"),
        ("/_emulator/nodes/node-1/speed", {"factor": "fast"}, "fast"),
        ("/_emulator/nodes/node-1/speed", {"speed": 1}, "factor"),
        ("/_emulator/nodes/node-1/failure", {"message": ""}, "message"),
        ("/_emulator/blackhole", {"seconds": 0}, "0"),
        ("/_emulator/resources/r1/node-1/in-use", {"in_use": "yes"}, "yes"),
    ],
)
async def test_bad_control_input_is_400_naming_it(
    linstor_emulator: Emulator, path: str, body: dict[str, Any], named: str
) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post(path, json=body) as response:
            assert named in (await _json(response, 400))["error"]
        async with http.post(path, data=b"{not json") as response:
            assert "JSON" in (await _json(response, 400))["error"]


async def test_speed_and_failure_are_accepted(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post("/_emulator/nodes/node-1/speed", json={"factor": 0}) as response:
            assert await _json(response) == {"node": "node-1", "factor": 0}
        async with http.post(
            "/_emulator/nodes/node-1/failure", json={"message": "disk on fire"}
        ) as response:
            assert (await _json(response))["failure"] == "disk on fire"
        async with http.delete("/_emulator/nodes/node-1/failure") as response:
            assert (await _json(response))["failure"] is None


async def test_reset_puts_back_a_fresh_cluster(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post(
            "/v1/resource-definitions", json={"resource_definition": {"name": "rd1"}}
        ) as response:
            await _json(response, 201)
        async with http.put("/v1/key-value-store/kv1", json={"override_props": {"a": "1"}}) as r:
            await _json(r)
        linstor_emulator.set_online("node-1", False)
        async with http.post("/_emulator/reset") as response:
            spec = await _json(response)
        assert [n["name"] for n in spec["nodes"]] == ["node-1", "node-2", "node-3"]
        async with http.get("/v1/resource-definitions") as response:
            assert await _json(response) == []
        async with http.get("/v1/key-value-store") as response:
            assert await _json(response) == []
        assert await _node_status(http, "node-1") == "ONLINE"


async def test_reset_and_cluster_take_a_spec(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post("/_emulator/reset", json={"nodes": 5, "pool_size": "1 GiB"}) as r:
            await _json(r)
        async with http.get("/v1/nodes") as response:
            assert len(await _json(response)) == 5
        linstor_emulator.add_fault({"path": "^/never$", "action": "drop_before"})
        spec = {
            "nodes": [
                {"name": "alpha", "pools": [{"name": "fat", "provider_kind": "LVM", "size": "2G"}]},
                {"name": "beta", "pools": [{"name": "fat", "provider_kind": "LVM", "size": "2G"}]},
            ]
        }
        async with http.put("/_emulator/cluster", json=spec) as response:
            await _json(response)
        async with http.get("/_emulator/cluster") as response:
            current = await _json(response)
        async with http.get("/v1/view/storage-pools") as response:
            pools = await _json(response)
        async with http.put("/_emulator/cluster", json={"nodes": "many"}) as response:
            assert "many" in (await _json(response, 400))["error"]
        broken = {"nodes": [{"name": "a", "pools": 5}]}
        async with http.put("/_emulator/cluster", json=broken) as response:
            assert "invalid cluster spec" in (await _json(response, 400))["error"]
    assert [n["name"] for n in current["nodes"]] == ["alpha", "beta"]
    fat = [p for p in pools if p["storage_pool_name"] == "fat"]
    assert {p["provider_kind"] for p in fat} == {"LVM"}
    assert len(linstor_emulator.faults.rules) == 1  # PUT /cluster keeps the fault rules


async def test_state_dump_is_plain_json(linstor_emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession(linstor_emulator.url) as http,
        http.get("/_emulator/state") as response,
    ):
        dump = await _json(response)
    assert dump == linstor_emulator.state.dump()


async def test_python_reset_takes_a_spec(linstor_emulator: Emulator) -> None:
    linstor_emulator.reset(ClusterSpec.default(2, prefix="n"))
    async with (
        aiohttp.ClientSession(linstor_emulator.url) as http,
        http.get("/v1/nodes") as response,
    ):
        assert sorted(n["name"] for n in await _json(response)) == ["n1", "n2"]


async def test_blackhole_hangs_requests_until_cleared(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post("/_emulator/blackhole", json={"seconds": 30}) as response:
            assert (await _json(response))["active"] is True
        with pytest.raises(asyncio.TimeoutError):
            await http.get("/v1/nodes", timeout=aiohttp.ClientTimeout(total=0.1))
        # POST: aiohttp retries an idempotent GET on a fresh connection after a disconnect
        held = asyncio.ensure_future(
            http.post("/v1/resource-definitions", json={"resource_definition": {"name": "held"}})
        )
        for _ in range(500):  # until the server holds it (the timed-out one is held too)
            if linstor_emulator.blackhole.held >= 2:
                break
            await asyncio.sleep(0.01)
        async with http.get("/_emulator/blackhole") as response:  # control API still answers
            assert (await _json(response))["active"] is True
        async with http.delete("/_emulator/blackhole") as response:
            assert (await _json(response))["active"] is False
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await held
        async with http.get("/v1/resource-definitions/held") as response:
            await _json(response, 404)  # a held request is never processed


async def test_in_use_marks_a_resource(linstor_emulator: Emulator) -> None:
    async with aiohttp.ClientSession(linstor_emulator.url) as http:
        async with http.post(
            "/v1/resource-definitions", json={"resource_definition": {"name": "r1"}}
        ) as response:
            await _json(response, 201)
        async with http.post(
            "/v1/resource-definitions/r1/volume-definitions",
            json={"volume_definition": {"size_kib": 1024}},
        ) as response:
            await _json(response)
        async with http.post(
            "/v1/resource-definitions/r1/resources/node-1", json={"resource": {}}
        ) as response:
            await _json(response, 201)
        async with http.post(
            "/_emulator/resources/r1/node-1/in-use", json={"in_use": True}
        ) as response:
            await _json(response)
        async with http.get("/v1/resource-definitions/r1/resources/node-1") as response:
            resource = await _json(response)
        async with http.post(
            "/_emulator/resources/r1/node-2/in-use", json={"in_use": True}
        ) as response:
            assert "r1" in (await _json(response, 404))["error"]
    assert resource["state"]["in_use"] is True


async def test_stopped_emulator_refuses_then_comes_back_on_the_same_url() -> None:
    emulator = Emulator(nodes=1, timing=Timing.fast())
    async with emulator:
        url = emulator.url
        emulator.state.add_resource("kept", "8 MiB", ["node-1"])
    async with aiohttp.ClientSession(url) as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            await http.get("/v1/nodes")
        async with emulator:
            assert emulator.url == url
            async with http.get("/v1/resource-definitions/kept") as response:
                await _json(response)
            async with http.get("/v1/events/nodes") as stream:  # streams work again
                emulator.set_online("node-1", False)
                assert (await stream.content.readline()).startswith(b"event: node-modified")
