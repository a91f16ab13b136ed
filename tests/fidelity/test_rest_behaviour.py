"""Controller behaviour the SDK relies on, checked on the emulator and (parity mode) real clusters.

Only definitions, key-value stores, listings and streams are touched, so the tests are safe to
run against a shared real cluster: every object gets a unique name and is removed again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiolinstor import _apicallrc as rc

from .conftest import Controller

RD = "/v1/resource-definitions"


@pytest.fixture
async def rd_name(controller: Controller, unique_name: str) -> AsyncIterator[str]:
    """A resource-definition name that is deleted after the test."""
    yield unique_name
    await controller.call("DELETE", f"{RD}/{unique_name}")


async def test_controller_version_is_an_object(controller: Controller) -> None:
    status, version = await controller.call("GET", "/v1/controller/version")
    assert status == 200
    assert isinstance(version, dict)
    major, minor, *_ = (int(part) for part in version["rest_api_version"].split("."))
    assert (major, minor) >= (1, 0)


async def test_nodes_answer_with_capitalized_types(controller: Controller) -> None:
    status, nodes = await controller.call("GET", "/v1/nodes")
    assert status == 200
    assert isinstance(nodes, list)
    for node in nodes:
        assert node["type"] == node["type"].upper()
        assert "connection_status" in node


async def test_resource_definition_create_conflict_get_delete(
    controller: Controller, rd_name: str
) -> None:
    status, entries = await controller.call("POST", RD, {"resource_definition": {"name": rd_name}})
    assert status == 201
    assert entries[0]["obj_refs"]["RscDfn"] == rd_name
    assert all(not rc.ApiCallRc.from_json(e).is_error for e in entries)

    status, entries = await controller.call("POST", RD, {"resource_definition": {"name": rd_name}})
    assert status == 500  # there is no 409 in LINSTOR
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_EXISTS_RSC_DFN)

    status, rd = await controller.call("GET", f"{RD}/{rd_name.upper()}")
    assert status == 200
    assert rd["name"] == rd_name

    status, entries = await controller.call("DELETE", f"{RD}/{rd_name}")
    assert status == 200
    status, entries = await controller.call("DELETE", f"{RD}/{rd_name}")
    assert status == 200
    assert rc.matches(entries[0]["ret_code"], rc.WARN_NOT_FOUND)

    status, entries = await controller.call("GET", f"{RD}/{rd_name}")
    assert status == 404
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_NOT_FOUND_RSC_DFN)


async def test_volume_definition_create_answers_200(controller: Controller, rd_name: str) -> None:
    await controller.call("POST", RD, {"resource_definition": {"name": rd_name}})
    status, entries = await controller.call(
        "POST", f"{RD}/{rd_name}/volume-definitions", {"volume_definition": {"size_kib": 8192}}
    )
    assert status == 200
    assert entries
    status, vds = await controller.call("GET", f"{RD}/{rd_name}/volume-definitions")
    assert status == 200
    assert [(vd["volume_number"], vd["size_kib"]) for vd in vds] == [(0, 8192)]


async def test_bad_input_is_rejected(controller: Controller) -> None:
    status, entries = await controller.call("POST", RD, data=b"{not json")
    assert status == 400
    assert rc.matches(entries[0]["ret_code"], rc.API_CALL_PARSE_ERROR)

    status, entries = await controller.call("POST", RD, {"resource_definition": {"name": "9-bad"}})
    assert status == 500
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_INVLD_RSC_NAME)


async def test_key_value_store_lists_keys_without_leading_slash(
    controller: Controller, unique_name: str
) -> None:
    path = f"/v1/key-value-store/{unique_name}"
    try:
        status, _ = await controller.call("PUT", path, {"override_props": {"/ns/key": "v"}})
        assert status == 200
        status, stores = await controller.call("GET", "/v1/key-value-store")
        assert status == 200
        mine = [s for s in stores if s["name"] == unique_name]
        assert mine == [{"name": unique_name, "props": {"ns/key": "v"}}]
    finally:
        await controller.call("DELETE", path)


async def test_error_reports_are_listed(controller: Controller) -> None:
    status, reports = await controller.call("GET", "/v1/error-reports?limit=5")
    assert status == 200
    assert isinstance(reports, list)
    assert len(reports) <= 5
    assert all("text" not in r for r in reports)


async def test_event_streams_are_server_sent_events(controller: Controller) -> None:
    for path in ("/v1/events/nodes", "/v1/events/drbd/promotion"):
        async with controller.session.get(path) as response:
            assert response.status == 200
            assert response.content_type == "text/event-stream"


async def test_drbd_proxy_options_are_checked(controller: Controller, rd_name: str) -> None:
    await controller.call("POST", RD, {"resource_definition": {"name": rd_name}})
    path = f"{RD}/{rd_name}/drbd-proxy"
    options = {
        "override_props": {"DrbdOptions/Proxy/ping-timeout": "50"},
        "compression_type": "zlib",
        "compression_props": {"DrbdOptions/ProxyCompression/level": "6"},
    }
    status, entries = await controller.call("PUT", path, options)
    assert status == 200
    assert all(not rc.ApiCallRc.from_json(e).is_error for e in entries)
    status, rd = await controller.call("GET", f"{RD}/{rd_name}")
    assert rd["props"]["DrbdOptions/Proxy/ping-timeout"] == "50"
    assert rd["props"]["DrbdProxy/CompressionType"] == "zlib"
    assert rd["props"]["DrbdOptions/ProxyCompression/level"] == "6"

    status, entries = await controller.call(
        "PUT", path, {"override_props": {"DrbdOptions/Proxy/no-such-option": "1"}}
    )
    assert status == 500
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_INVLD_PROP)
    status, entries = await controller.call("PUT", path, data=b"{not json")
    assert status == 400  # a synchronous endpoint
    assert rc.matches(entries[0]["ret_code"], rc.API_CALL_PARSE_ERROR)
    status, entries = await controller.call("PUT", f"{RD}/{rd_name}x/drbd-proxy", {})
    assert status == 404
    assert rc.matches(entries[0]["ret_code"], rc.FAIL_NOT_FOUND_RSC_DFN)


async def test_deleting_an_unknown_node_is_a_warning(
    controller: Controller, unique_name: str
) -> None:
    for path in (f"/v1/nodes/{unique_name}", f"/v1/nodes/{unique_name}/lost"):
        status, entries = await controller.call("DELETE", path)
        assert status == 200
        assert rc.matches(entries[0]["ret_code"], rc.WARN_NOT_FOUND)
