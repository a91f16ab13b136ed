"""Not-found, idempotent-delete and parse-error answers across the emulator core's routes."""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import CoreApi, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._state import EmulatorState

RD = "/v1/resource-definitions"


@pytest.fixture(autouse=True)
def r1(core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    core_state.create_resource_group({"name": "rg1"})


@pytest.mark.parametrize(
    ("method", "path", "body", "const"),
    [
        ("GET", "/v1/nodes/x", None, rc.FAIL_NOT_FOUND_NODE),
        ("PUT", "/v1/nodes/x", {}, rc.FAIL_NOT_FOUND_NODE),
        ("PUT", "/v1/nodes/x/reconnect", None, rc.FAIL_NOT_FOUND_NODE),
        ("GET", "/v1/nodes/x/storage-pools", None, rc.FAIL_NOT_FOUND_NODE),
        ("PUT", "/v1/nodes/node-1/storage-pools/xyz", {}, rc.FAIL_NOT_FOUND_STOR_POOL),
        ("DELETE", "/v1/nodes/x/storage-pools/xyz", None, rc.FAIL_NOT_FOUND_NODE),
        ("PUT", "/v1/storage-pool-definitions/xyz", {}, rc.FAIL_NOT_FOUND_STOR_POOL_DFN),
        ("PUT", f"{RD}/x", {}, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("GET", f"{RD}/x/volume-definitions", None, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("PUT", f"{RD}/r1/volume-definitions/9", {}, rc.FAIL_NOT_FOUND_VLM_DFN),
        ("GET", f"{RD}/r1/volume-definitions/abc", None, rc.FAIL_NOT_FOUND_VLM_DFN),
        ("DELETE", f"{RD}/x/volume-definitions/0", None, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("GET", f"{RD}/x/resources", None, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("PUT", f"{RD}/r1/resources/node-3", {}, rc.FAIL_NOT_FOUND_RSC),
        ("GET", f"{RD}/r1/resources/node-3/volumes", None, rc.FAIL_NOT_FOUND_RSC),
        ("PUT", f"{RD}/r1/resources/node-1/volumes/9", {}, rc.FAIL_NOT_FOUND_VLM),
        ("POST", f"{RD}/r1/resources/node-3/deactivate", None, rc.FAIL_NOT_FOUND_RSC),
        ("POST", f"{RD}/x/autoplace", {}, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("POST", f"{RD}/x/resources/node-1/make-available", {}, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("PUT", f"{RD}/r1/resources/node-3/toggle-disk/diskful", None, rc.FAIL_NOT_FOUND_RSC),
        ("PUT", f"{RD}/r1/resources/node-2/migrate-disk/node-3", None, rc.FAIL_NOT_FOUND_RSC),
        ("DELETE", f"{RD}/x/resources/node-1", None, rc.FAIL_NOT_FOUND_RSC_DFN),
        ("GET", "/v1/resource-groups/x", None, rc.FAIL_NOT_FOUND_RSC_GRP),
        ("PUT", "/v1/resource-groups/x", {}, rc.FAIL_NOT_FOUND_RSC_GRP),
        ("GET", "/v1/resource-groups/x/volume-groups", None, rc.FAIL_NOT_FOUND_RSC_GRP),
        ("POST", "/v1/resource-groups/x/volume-groups", {}, rc.FAIL_NOT_FOUND_RSC_GRP),
        ("PUT", "/v1/resource-groups/rg1/volume-groups/9", {}, rc.FAIL_NOT_FOUND_VLM_GRP),
        ("DELETE", "/v1/resource-groups/x/volume-groups/0", None, rc.FAIL_NOT_FOUND_RSC_GRP),
    ],
)
async def test_not_found_is_404(
    core_api: CoreApi, method: str, path: str, body: Any, const: int
) -> None:
    status, answer = await core_api.call(method, path, body)
    assert status == 404
    assert rc.matches(answer[0]["ret_code"], const), answer


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nodes/x",
        "/v1/nodes/node-1/storage-pools/xyz",
        "/v1/storage-pool-definitions/xyz",
        f"{RD}/x",
        f"{RD}/r1/volume-definitions/5",
        f"{RD}/r1/resources/node-3",
        "/v1/resource-groups/x",
        "/v1/resource-groups/rg1/volume-groups/3",
        "/v1/controller/properties/Nothing",
    ],
)
async def test_deleting_what_is_gone_is_a_warning(core_api: CoreApi, path: str) -> None:
    status, answer = await core_api.delete(path)
    assert status == 200
    assert rc.matches(answer[0]["ret_code"], rc.WARN_NOT_FOUND), answer


@pytest.mark.parametrize(
    ("method", "path", "raw", "status"),
    [
        ("POST", "/v1/resource-groups", '{"name": "rg9", "extra": 1}', 400),
        ("POST", "/v1/resource-groups/rg1/volume-groups", '{"volume_number": "0"}', 400),
        ("POST", f"{RD}/r1/volume-definitions", '{"volume_definition": {"size_kib": "1"}}', 500),
        ("POST", f"{RD}/r1/resources", "{not json", 500),
        ("POST", f"{RD}/r1/autoplace", '{"select_filter": {"place_count": 2, "x": 1}}', 500),
        ("PUT", f"{RD}/r1/resources/node-1", '{"override_props": {"a": 1}}', 500),
        ("POST", "/v1/resource-groups/rg1/spawn", '{"volume_sizes": ["1G"]}', 500),
        ("POST", "/v1/nodes", "[]", 500),
    ],
)
async def test_malformed_bodies(
    core_api: CoreApi, method: str, path: str, raw: str, status: int
) -> None:
    got, answer = await core_api.call(method, path, raw=raw)
    assert got == status
    assert (
        has(answer, rc.API_CALL_PARSE_ERROR)
        and answer[0]["message"] == "Unable to parse input json."
    )


async def test_props_of_volume_definitions_and_storage_pools(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    status, _ = await core_api.put(
        f"{RD}/r1/volume-definitions/0", {"override_props": {"Aux/v": "1"}}
    )
    assert status == 200
    status, _ = await core_api.put(f"{RD}/r1/volume-definitions/0", {"flags": ["GROSS_SIZE"]})
    assert status == 200
    _, vd = await core_api.get(f"{RD}/r1/volume-definitions/0")
    assert vd["props"]["Aux/v"] == "1" and vd["flags"] == ["GROSS_SIZE"]
    status, _ = await core_api.put(
        f"{RD}/r1/volume-definitions/0", {"flags": ["-GROSS_SIZE"], "delete_props": ["Aux/v"]}
    )
    _, vd = await core_api.get(f"{RD}/r1/volume-definitions/0")
    assert "flags" not in vd and "Aux/v" not in vd["props"]
    status, answer = await core_api.put(f"{RD}/r1/volume-definitions/0", {"flags": ["SHINY"]})
    assert status == 500 and has(answer, rc.FAIL_INVLD_REQUEST)
