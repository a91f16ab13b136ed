"""Resource-group, volume-group and spawn routes of the emulator core."""

from __future__ import annotations

from core_helpers import CoreApi, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._state import EmulatorState

RGS = "/v1/resource-groups"


async def test_default_group_and_create(core_api: CoreApi) -> None:
    status, groups = await core_api.get(RGS)
    assert status == 200
    assert [(g["name"], g["select_filter"]) for g in groups] == [("DfltRscGrp", {"place_count": 2})]
    status, body = await core_api.post(RGS, {"name": "rg1", "select_filter": {"place_count": 1}})
    assert status == 201 and body[0]["ret_code"] == 21233665
    assert body[0]["obj_refs"]["RscGrp"] == "rg1"
    status, body = await core_api.post(RGS, {"name": "RG1"})
    assert status == 500 and has(body, rc.FAIL_EXISTS_RSC_GRP)
    status, body = await core_api.post(RGS, {"name": "9x"})
    assert status == 500 and has(body, rc.FAIL_INVLD_RSC_GRP_NAME)
    status, body = await core_api.post(RGS, {"name": "rg2", "select_filter": {"place_count": 0}})
    assert status == 500 and has(body, rc.FAIL_INVLD_PLACE_COUNT)
    status, body = await core_api.post(RGS, {"name": "rg2", "select_filter": {"colour": 1}})
    assert status == 400 and has(body, rc.API_CALL_PARSE_ERROR) and "colour" in body[0]["details"]
    status, group = await core_api.get(f"{RGS}/Rg1")
    assert status == 200 and group["name"] == "rg1" and "description" not in group
    status, body = await core_api.get(f"{RGS}/nope")
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_RSC_GRP)
    _, groups = await core_api.get(f"{RGS}?resource_groups=rg1")
    assert [g["name"] for g in groups] == ["rg1"]


async def test_modify_like_python_linstor_and_delete(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    await core_api.post(RGS, {"name": "rg1", "select_filter": {}})
    body = {
        "description": "",
        "select_filter": {
            "place_count": 2,
            "diskless_on_remaining": False,
            "storage_pool_list": [],
        },
        "override_props": {"Aux/a": "b"},
    }
    status, answer = await core_api.put(f"{RGS}/rg1", body)
    assert status == 200 and has(answer, rc.MODIFIED)
    _, group = await core_api.get(f"{RGS}/rg1")
    assert group["select_filter"] == {"place_count": 2, "diskless_on_remaining": False}
    assert group["props"] == {"Aux/a": "b"}
    await core_api.put(f"{RGS}/rg1", {"select_filter": {"storage_pool_list": ["DfltStorPool"]}})
    _, group = await core_api.get(f"{RGS}/rg1")
    assert group["select_filter"]["storage_pool_list"] == ["DfltStorPool"]
    core_state.create_resource_definition(
        {"resource_definition": {"name": "r1", "resource_group_name": "rg1"}}
    )
    status, answer = await core_api.delete(f"{RGS}/rg1")
    assert status == 500 and has(answer, rc.FAIL_EXISTS_RSC_DFN)
    await core_api.delete("/v1/resource-definitions/r1")
    status, answer = await core_api.delete(f"{RGS}/rg1")
    assert status == 200 and has(answer, rc.DELETED)
    status, answer = await core_api.delete(f"{RGS}/rg1")
    assert status == 200 and has(answer, rc.WARN_NOT_FOUND)
    status, answer = await core_api.delete(f"{RGS}/DfltRscGrp")
    assert status == 500


async def test_volume_groups(core_api: CoreApi) -> None:
    await core_api.post(RGS, {"name": "rg1"})
    status, body = await core_api.post(f"{RGS}/rg1/volume-groups", {"volume_number": 0})
    assert status == 201 and has(body, rc.CREATED)
    status, body = await core_api.post(f"{RGS}/rg1/volume-groups", {})
    assert status == 201 and body[0]["obj_refs"]["VlmNr"] == "1"
    status, body = await core_api.post(f"{RGS}/rg1/volume-groups", {"volume_number": 1})
    assert status == 500 and has(body, rc.FAIL_EXISTS_VLM_GRP)
    _, vgs = await core_api.get(f"{RGS}/rg1/volume-groups")
    assert [v["volume_number"] for v in vgs] == [0, 1]
    status, body = await core_api.put(
        f"{RGS}/rg1/volume-groups/1", {"override_props": {"Aux/x": "y"}}
    )
    assert status == 200
    _, vg = await core_api.get(f"{RGS}/rg1/volume-groups/1")
    assert vg["props"] == {"Aux/x": "y"}
    status, body = await core_api.get(f"{RGS}/rg1/volume-groups/5")
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_VLM_GRP)
    status, body = await core_api.delete(f"{RGS}/rg1/volume-groups/1")
    assert status == 200 and has(body, rc.DELETED)
    status, body = await core_api.delete(f"{RGS}/rg1/volume-groups/1")
    assert status == 200 and has(body, rc.WARN_NOT_FOUND)


async def test_spawn(core_api: CoreApi, core_state: EmulatorState) -> None:
    await core_api.post(RGS, {"name": "rg1", "select_filter": {"place_count": 2}})
    await core_api.post(f"{RGS}/rg1/volume-groups", {"volume_number": 0})
    body = {
        "resource_definition_name": "baz",
        "volume_sizes": [20480],
        "partial": False,
        "definitions_only": False,
        "select_filter": {},
    }
    status, answer = await core_api.post(f"{RGS}/rg1/spawn", body)
    assert status == 201, answer
    assert answer[0]["obj_refs"]["RscDfn"] == "baz"
    assert sum("ready" in e["message"] for e in answer) == 2
    rd = core_state.dump()["resource_definitions"]["baz"]
    assert rd["resource_group"] == "rg1" and rd["volume_definitions"][0]["size_kib"] == 20480
    assert len(rd["resources"]) == 2
    status, answer = await core_api.post(
        f"{RGS}/rg1/spawn", {**body, "resource_definition_name": "two", "volume_sizes": [1, 2]}
    )
    assert status == 500 and has(answer, rc.FAIL_INVLD_VLM_SIZES)
    status, answer = await core_api.post(
        f"{RGS}/rg1/spawn",
        {"resource_definition_name": "defs", "volume_sizes": [4096], "definitions_only": True},
    )
    assert status == 201 and has(answer, rc.INFO_NO_RSC_SPAWNED)
    assert core_state.dump()["resource_definitions"]["defs"]["resources"] == {}
    status, answer = await core_api.post(
        f"{RGS}/rg1/spawn",
        {
            "resource_definition_name": "wide",
            "volume_sizes": [4096],
            "select_filter": {"place_count": 3},
        },
    )
    assert (
        status == 201 and len(core_state.dump()["resource_definitions"]["wide"]["resources"]) == 3
    )
    status, answer = await core_api.post(
        f"{RGS}/rg1/spawn",
        {
            "resource_definition_name": "toomany",
            "volume_sizes": [4096],
            "select_filter": {"place_count": 4},
        },
    )
    assert status == 500 and has(answer, rc.CREATED) and has(answer, rc.FAIL_NOT_ENOUGH_NODES)
    assert (
        "toomany" in core_state.dump()["resource_definitions"]
    )  # the definition stays, like the controller's
    status, answer = await core_api.post(f"{RGS}/nope/spawn", body)
    assert status == 404


async def test_spawn_without_volume_groups_and_place_count(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    await core_api.post(RGS, {"name": "bare"})
    status, answer = await core_api.post(
        f"{RGS}/bare/spawn", {"resource_definition_name": "b1", "volume_sizes": [1024, 2048]}
    )
    assert status == 201 and has(answer, rc.INFO_NO_RSC_SPAWNED)
    assert sorted(core_state.dump()["resource_definitions"]["b1"]["volume_definitions"]) == [0, 1]
