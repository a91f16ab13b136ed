"""Resource-definition, volume-definition (resize) and sync-status routes of the emulator core."""

from __future__ import annotations

import pytest
from core_helpers import CoreApi, FakeClock, first_error, has

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec, Timing
from aiolinstor.emulator._state import EmulatorState

RDS = "/v1/resource-definitions"


async def test_rd_create_answer_and_duplicates(core_api: CoreApi) -> None:
    status, body = await core_api.post(
        RDS, {"resource_definition": {"name": "Rsc1", "props": {"Aux/o": "me"}}}
    )
    assert status == 201
    assert body[0]["ret_code"] == 20447233
    assert body[0]["obj_refs"]["RscDfn"] == "Rsc1" and "UUID" in body[0]["obj_refs"]
    assert body[0]["created_at"]
    status, body = await core_api.post(RDS, {"resource_definition": {"name": "RSC1"}})
    assert status == 500 and body[0]["ret_code"] == -4611686018406940171
    status, body = await core_api.post(RDS, {"resource_definition": {"name": "1abc"}})
    assert status == 500 and body[0]["ret_code"] == -4611686018406940470
    assert "1abc" in body[0]["message"]
    status, body = await core_api.post(RDS, {"resource_definition": {"name": "all"}})
    assert status == 500 and has(body, rc.FAIL_INVLD_RSC_NAME)
    status, body = await core_api.post(
        RDS, {"resource_definition": {"name": "x2", "resource_group_name": "nope"}}
    )
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_RSC_GRP)
    status, body = await core_api.post(
        RDS, {"resource_definition": {"name": "x3", "layer_data": [{"type": "FOO"}]}}
    )
    assert status == 500 and has(body, rc.FAIL_INVLD_LAYER_KIND)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ('{"resource_definition": {"name": "a1", "colour": "red"}}', "colour"),
        ('{"resource_definition": {"name": 5}}', "name"),
        ('{"resource_definition": ', "Malformed"),
        ("[]", "ResourceDefinitionCreate"),
    ],
)
async def test_rd_create_rejects_bad_json_with_400(
    core_api: CoreApi, raw: str, needle: str
) -> None:
    status, body = await core_api.post(RDS, raw=raw)
    assert status == 400
    assert body[0]["ret_code"] == rc.to_signed(rc.API_CALL_PARSE_ERROR)
    assert body[0]["message"] == "Unable to parse input json."
    assert needle in body[0]["details"]


async def test_async_endpoint_parse_error_is_500(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1"])
    status, body = await core_api.put(f"{RDS}/r1", {"override_props": {}, "bogus": True})
    assert status == 500 and has(body, rc.API_CALL_PARSE_ERROR) and "bogus" in body[0]["details"]


async def test_external_name_generates_a_valid_name(core_api: CoreApi) -> None:
    status, body = await core_api.post(RDS, {"resource_definition": {"external_name": "foo"}})
    assert status == 201 and body[0]["obj_refs"]["RscDfn"] == "foo"
    status, body = await core_api.post(
        RDS, {"resource_definition": {"external_name": "my disk/1 (ü)"}}
    )
    assert status == 201
    generated = body[0]["obj_refs"]["RscDfn"]
    assert generated.startswith("my_disk_1__") and len(generated) <= 48
    status, body = await core_api.post(
        RDS, {"resource_definition": {"external_name": "8a1e9c2e-7f4b-4f0e-9b1a-3c2d1e0f9a8b"}}
    )
    assert body[0]["obj_refs"]["RscDfn"] == "LS_8A1E9C2E-7F4B-4F0E-9B1A-3C2D1E0F9A8B"
    status, body = await core_api.post(RDS, {"resource_definition": {"external_name": "foo"}})
    assert status == 500 and has(body, rc.FAIL_EXISTS_EXT_NAME)
    _, rd = await core_api.get(f"{RDS}/{generated}")
    assert rd["external_name"] == "my disk/1 (ü)"


async def test_rd_list_filters_single_get_and_volume_definitions(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("alpha", "1 GiB", ["node-1"])
    core_state.add_resource("beta", "2 GiB", ["node-2"])
    await core_api.put(f"{RDS}/beta", {"override_props": {"Aux/tier": "gold"}})
    _, rds = await core_api.get(RDS)
    assert [r["name"] for r in rds] == ["alpha", "beta"]
    assert "volume_definitions" not in rds[0]
    assert rds[0]["resource_group_name"] == "DfltRscGrp"
    assert rds[0]["layer_data"][0]["type"] == "DRBD" and rds[0]["layer_data"][1] == {
        "type": "STORAGE"
    }
    _, rds = await core_api.get(f"{RDS}?with_volume_definitions=true&resource_definitions=BETA")
    assert [r["name"] for r in rds] == ["beta"]
    vd = rds[0]["volume_definitions"][0]
    assert vd["size_kib"] == 2 * 1024 * 1024 and vd["layer_data"][0]["data"]["minor_number"] == 1001
    _, rds = await core_api.get(f"{RDS}?props=Aux/tier=gold")
    assert [r["name"] for r in rds] == ["beta"]
    _, rds = await core_api.get(f"{RDS}?limit=1&offset=1")
    assert [r["name"] for r in rds] == ["beta"]
    status, rd = await core_api.get(f"{RDS}/ALPHA")
    assert status == 200 and rd["name"] == "alpha"
    status, body = await core_api.get(f"{RDS}/nope")
    assert status == 404 and body[0]["ret_code"] == -4611686018427387603
    assert body[0]["message"] == "Resource definition 'nope' not found."


async def test_rd_modify_and_delete(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    await core_api.post("/v1/resource-groups", {"name": "rg1"})
    status, body = await core_api.put(
        f"{RDS}/r1", {"override_props": {"Aux/a": "1", "Aux/b": "2"}, "resource_group": "rg1"}
    )
    assert status == 200 and body[0]["ret_code"] == 37224451
    status, body = await core_api.put(f"{RDS}/r1", {"delete_props": ["Aux/a"]})
    _, rd = await core_api.get(f"{RDS}/r1")
    assert rd["props"] == {"Aux/b": "2"} and rd["resource_group_name"] == "rg1"
    status, body = await core_api.put(f"{RDS}/nope", {"override_props": {"Aux/a": "1"}})
    assert status == 404
    core_state.set_in_use("r1", "node-1", True)
    status, body = await core_api.delete(f"{RDS}/r1")
    assert (
        status == 500 and body[0]["ret_code"] == -4611686018373385243
    )  # FAIL_IN_USE | MASK_DEL | MASK_RSC_DFN
    core_state.set_in_use("r1", "node-1", False)
    status, body = await core_api.delete(f"{RDS}/r1")
    assert status == 200
    assert body[-1]["message"] == "Resource definition 'r1' deleted."
    status, body = await core_api.delete(f"{RDS}/r1")
    assert status == 200 and body[0]["ret_code"] == -9223372036800771144


async def test_volume_definitions_create_get_delete(core_api: CoreApi) -> None:
    await core_api.post(RDS, {"resource_definition": {"name": "r1"}})
    status, body = await core_api.post(
        f"{RDS}/r1/volume-definitions", {"volume_definition": {"size_kib": 65536}}
    )
    assert status == 200 and body[0]["ret_code"] == 19922945
    assert body[0]["obj_refs"] == {"RscDfn": "r1", "VlmNr": "0"}
    status, body = await core_api.post(
        f"{RDS}/r1/volume-definitions",
        {"volume_definition": {"size_kib": 1024, "flags": []}, "drbd_minor_number": 1234},
    )
    assert status == 200 and body[0]["obj_refs"]["VlmNr"] == "1"
    status, body = await core_api.post(
        f"{RDS}/r1/volume-definitions",
        {"volume_definition": {"size_kib": 1024, "volume_number": 1}},
    )
    assert status == 500 and has(body, rc.FAIL_EXISTS_VLM_DFN)
    status, body = await core_api.post(
        f"{RDS}/r1/volume-definitions", {"volume_definition": {"size_kib": 0}}
    )
    assert status == 500 and has(body, rc.FAIL_INVLD_VLM_SIZE)
    status, body = await core_api.post(
        f"{RDS}/r1/volume-definitions",
        {"volume_definition": {"size_kib": 8}, "drbd_minor_number": 1234},
    )
    assert status == 500 and has(body, rc.FAIL_INVLD_MINOR_NR)
    status, body = await core_api.post(
        f"{RDS}/nope/volume-definitions", {"volume_definition": {"size_kib": 8}}
    )
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_RSC_DFN)
    _, vds = await core_api.get(f"{RDS}/r1/volume-definitions")
    assert [(v["volume_number"], v["size_kib"]) for v in vds] == [(0, 65536), (1, 1024)]
    assert "DrbdCurrentGi" in vds[0]["props"]
    status, vd = await core_api.get(f"{RDS}/r1/volume-definitions/1")
    assert status == 200 and vd["layer_data"][0]["data"]["minor_number"] == 1234
    status, body = await core_api.get(f"{RDS}/r1/volume-definitions/7")
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_VLM_DFN)
    status, body = await core_api.delete(f"{RDS}/r1/volume-definitions/0")
    assert status == 200 and [e["ret_code"] for e in body] == [53477378, 53477378]
    status, body = await core_api.delete(f"{RDS}/r1/volume-definitions/0")
    assert status == 200 and has(body, rc.WARN_NOT_FOUND)


async def test_new_volume_definition_reaches_existing_resources(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"])
    status, _ = await core_api.post(
        f"{RDS}/r1/volume-definitions", {"volume_definition": {"size_kib": 4096}}
    )
    assert status == 200
    resources = core_state.dump()["resource_definitions"]["r1"]["resources"]
    assert sorted(resources["node-1"]["volumes"]) == [0, 1]


async def test_resize_grows_every_replica_then_resyncs(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1", "node-2"], diskless=["node-3"])
    status, body = await core_api.put(f"{RDS}/r1/volume-definitions/0", {"size_kib": 1024 * 1024})
    assert status == 200 and has(body, rc.WARN_VLMDFN_RESIZE_SAME_SIZE)
    status, body = await core_api.put(f"{RDS}/r1/volume-definitions/0", {"size_kib": 1024})
    assert status == 500 and has(body, rc.FAIL_INVLD_VLM_SIZE)
    free_before = core_state.dump()["nodes"]["node-1"]["pools"]["DfltStorPool"]["reserved_kib"]
    status, body = await core_api.put(
        f"{RDS}/r1/volume-definitions/0", {"size_kib": 2 * 1024 * 1024}
    )
    assert status == 200 and has(body, rc.MODIFIED)
    dump = core_state.dump()
    for node in ("node-1", "node-2", "node-3"):
        assert (
            dump["resource_definitions"]["r1"]["resources"][node]["volumes"][0]["usable_kib"]
            == 2 * 1024 * 1024
        )
    assert dump["nodes"]["node-1"]["pools"]["DfltStorPool"]["reserved_kib"] > free_before
    _, view = await core_api.get("/v1/view/resources?resources=r1&nodes=node-2")
    drbd = view[0]["volumes"][0]["layer_data_list"][0]["data"]
    assert drbd["usable_size_kib"] == 2 * 1024 * 1024


async def test_resize_needs_up_to_date_replicas(
    core_api: CoreApi, core_state: EmulatorState
) -> None:
    core_state.set_timing(Timing.fast())  # a short wait for the stalled satellite
    core_state.add_resource("r1", "1 GiB", ["node-1"])
    core_state.set_node_speed("node-2", 0)
    await core_api.post(f"{RDS}/r1/resources/node-2", {})
    status, body = await core_api.put(
        f"{RDS}/r1/volume-definitions/0", {"size_kib": 2 * 1024 * 1024}
    )
    assert status == 500 and has(body, rc.FAIL_NOT_ALL_UPTODATE)
    assert "node-2" in first_error(body)["details"]


@pytest.mark.parametrize(
    "core_spec",
    [ClusterSpec([NodeSpec("node-1", [PoolSpec(provider_kind="LVM", size_kib=3 * 1024 * 1024)])])],
)
async def test_resize_needs_free_space(core_api: CoreApi, core_state: EmulatorState) -> None:
    core_state.add_resource("r1", "1 GiB", ["node-1"])
    status, body = await core_api.put(
        f"{RDS}/r1/volume-definitions/0", {"size_kib": 5 * 1024 * 1024}
    )
    assert status == 500 and has(body, rc.FAIL_NOT_ENOUGH_FREE_SPACE)
    assert (
        core_state.dump()["resource_definitions"]["r1"]["volume_definitions"][0]["size_kib"]
        == 1024 * 1024
    )


async def test_sync_status_over_time(core_api: CoreApi) -> None:
    clock = FakeClock()
    state = EmulatorState(timing=Timing(), clock=clock)
    state.add_resource("r1", "1 GiB", ["node-1"])
    assert state.sync_status("r1") == {"synced_on_all": True}
    state.create_resources("r1", [{"resource": {"node_name": "node-2"}}])
    assert state.sync_status("r1") == {"synced_on_all": True}  # not reported yet: counts as synced
    clock.advance(Timing().deploy_s)
    assert state.sync_status("r1") == {"synced_on_all": False}  # resyncing
    clock.advance(Timing().sync_s)
    assert state.sync_status("r1") == {"synced_on_all": True}
    status, body = await core_api.get(f"{RDS}/nope/sync-status")
    assert status == 404 and has(body, rc.FAIL_NOT_FOUND_RSC_DFN)
