"""DRBD Proxy routes of the emulator core: enable/disable on a resource connection, and the
proxy options of a resource definition (``PUT .../drbd-proxy``)."""

from __future__ import annotations

from typing import Any

from core_helpers import CoreApi, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._state import EmulatorState

RD = "/v1/resource-definitions"
PROXY = f"{RD}/r1/drbd-proxy"


def props(state: EmulatorState, rsc: str = "r1") -> dict[str, str]:
    found: dict[str, str] = state.dump()["resource_definitions"][rsc]["props"]
    return found


def proxy_props(state: EmulatorState) -> dict[str, str]:
    return {k: v for k, v in props(state).items() if "Proxy" in k}


async def test_enable_and_disable_on_a_connection(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    status, body = await core_api.post(f"{PROXY}/enable/node-1/NODE-2", {"port": 7700})
    assert status == 200, body
    assert body[0]["ret_code"] == rc.make_ret_code(rc.MODIFIED, rc.MASK_MOD, rc.MASK_RSC_CONN)
    assert body[0]["obj_refs"] == {"FirstNode": "node-1", "SecondNode": "NODE-2", "RscDfn": "r1"}
    _, (conn,) = await core_api.get(f"{RD}/r1/resource-connections/node-2/node-1")
    assert conn["flags"] == ["DRBD_PROXY"] and conn["drbd_proxy_port_a"] == 7700
    status, body = await core_api.post(f"{PROXY}/enable/node-1/node-2", {})
    assert status == 200  # enabling again changes nothing
    status, body = await core_api.post(f"{PROXY}/disable/node-1/node-2", raw="not json")
    assert status == 200, body  # the disable endpoint reads no body
    _, (conn,) = await core_api.get(f"{RD}/r1/resource-connections/node-1/node-2")
    assert "flags" not in conn and "drbd_proxy_port_a" not in conn


async def test_enable_is_validated(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    cases: list[tuple[str, Any, int, int]] = [
        (f"{RD}/nope/drbd-proxy/enable/node-1/node-2", {}, 404, rc.FAIL_NOT_FOUND_RSC_DFN),
        (f"{PROXY}/enable/node-1/node-9", {}, 404, rc.FAIL_NOT_FOUND_NODE),
        (f"{PROXY}/enable/node-1/node-3", {}, 404, rc.FAIL_NOT_FOUND_RSC),
        (f"{PROXY}/enable/node-1/node-1", {}, 500, rc.FAIL_INVLD_NODE_NAME),
        (f"{PROXY}/enable/node-1/node-2", {"port": "7700"}, 500, rc.API_CALL_PARSE_ERROR),
        (f"{PROXY}/enable/node-1/node-2", {"ports": 7700}, 500, rc.API_CALL_PARSE_ERROR),
        (f"{PROXY}/enable/node-1/node-2", {"port": 99999}, 500, rc.FAIL_INVLD_RSC_PORT),
    ]
    status, answer = await core_api.post(f"{PROXY}/enable/node-1/node-2", raw="")
    assert status == 500 and has(answer, rc.API_CALL_PARSE_ERROR)  # {} is the empty request
    for path, body, expected_status, const in cases:
        status, answer = await core_api.post(path, body)
        assert (status, has(answer, const)) == (expected_status, True), (path, body, answer)
    _, conns = await core_api.get(f"{RD}/r1/resource-connections")
    assert all("DRBD_PROXY" not in c.get("flags", []) for c in conns)


async def test_proxy_options_and_compression(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    body = {
        "override_props": {"DrbdOptions/Proxy/memlimit": "134217728", "Aux/note": "wan"},
        "compression_type": "lzma",
        "compression_props": {
            "DrbdOptions/ProxyCompression/level": "9",
            "DrbdOptions/ProxyCompression/mf": "bt4",
        },
    }
    status, answer = await core_api.put(PROXY, body)
    assert status == 200, answer
    assert [e["message"] for e in answer] == [
        "Successfully set property key(s): DrbdOptions/Proxy/memlimit,Aux/note",
        "Successfully set property key(s): DrbdProxy/CompressionType",
        "Successfully set property key(s): DrbdOptions/ProxyCompression/level,"
        "DrbdOptions/ProxyCompression/mf",
        "Proxy options for resource definition 'r1' modified.",
    ]
    assert answer[-1]["ret_code"] == rc.make_ret_code(rc.MODIFIED, rc.MASK_MOD, rc.MASK_RSC_DFN)
    assert proxy_props(core_state) == {
        "DrbdOptions/Proxy/memlimit": "134217728",
        "DrbdProxy/CompressionType": "lzma",
        "DrbdOptions/ProxyCompression/level": "9",
        "DrbdOptions/ProxyCompression/mf": "bt4",
    }
    assert props(core_state)["Aux/note"] == "wan"

    status, _ = await core_api.put(
        PROXY,
        {
            "compression_type": "zlib",
            "compression_props": {"DrbdOptions/ProxyCompression/level": "3"},
        },
    )
    assert status == 200
    assert proxy_props(core_state) == {
        "DrbdOptions/Proxy/memlimit": "134217728",
        "DrbdProxy/CompressionType": "zlib",
        "DrbdOptions/ProxyCompression/level": "3",
    }
    status, answer = await core_api.put(
        PROXY, {"compression_type": "none", "delete_props": ["DrbdOptions/Proxy/memlimit", "x"]}
    )
    assert status == 200 and has(answer, rc.WARN_DEL_UNSET_PROP)
    assert proxy_props(core_state) == {}


async def test_proxy_options_are_checked_and_all_or_nothing(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    await core_api.put(PROXY, {"override_props": {"DrbdOptions/Proxy/ping-timeout": "100"}})
    before = props(core_state)
    refused: list[tuple[dict[str, Any], int, str]] = [
        (
            {"override_props": {"DrbdOptions/Proxy/colour": "red"}},
            rc.FAIL_INVLD_PROP,
            "Invalid property key: DrbdOptions/Proxy/colour",
        ),
        (
            {"override_props": {"DrbdOptions/Proxy/ping-timeout": "0"}},
            rc.FAIL_INVLD_PROP,
            "Invalid property(DrbdOptions/Proxy/ping-timeout) value: 0",
        ),
        (
            {
                "override_props": {"DrbdOptions/Proxy/read-loops": "5"},
                "compression_type": "zstd",
                "compression_props": {"DrbdOptions/ProxyCompression/level": "23"},
            },
            rc.FAIL_INVLD_PROP,
            "Invalid property(DrbdOptions/ProxyCompression/level) value: 23",
        ),
        (
            {
                "compression_type": "lz4",
                "compression_props": {"DrbdOptions/ProxyCompression/lc": "1"},
            },
            rc.FAIL_INVLD_PROP,
            "Invalid property key: DrbdOptions/ProxyCompression/lc",
        ),
        (
            {"compression_type": "brotli"},
            rc.FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE,
            "Unknown compression type 'brotli'",
        ),
    ]
    for body, const, message in refused:
        status, answer = await core_api.put(PROXY, body)
        error = first_error(answer)
        assert status == 500 and rc.matches(error["ret_code"], const), (body, answer)
        assert error["message"] == message
        assert props(core_state) == before  # nothing of a refused request stays


async def test_proxy_options_bad_requests(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    status, answer = await core_api.put(PROXY, raw="{")
    assert status == 400 and has(answer, rc.API_CALL_PARSE_ERROR)  # a synchronous endpoint
    status, answer = await core_api.put(PROXY, {"delete_namespaces": ["DrbdOptions"]})
    assert status == 400 and "delete_namespaces" in answer[0]["details"]
    status, answer = await core_api.put(f"{RD}/nope/drbd-proxy", {})
    assert status == 404 and has(answer, rc.FAIL_NOT_FOUND_RSC_DFN)
    core_state.set_node_online("node-2", False)
    status, answer = await core_api.put(PROXY, {"compression_type": "lz4"})
    assert status == 200 and has(answer, rc.WARN_NOT_CONNECTED)
    assert props(core_state)["DrbdProxy/CompressionType"] == "lz4"
