"""Each low-level API method's request (method, path, query, body) as a fake controller sees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from client_fakes import CREATED_RC, FakeController, fast_client

from aiolinstor._apicallrc import ApiCallRcList
from aiolinstor._client import Client
from aiolinstor._errors import InputError, InvalidNameError, InvalidSizeError, NotFoundError
from aiolinstor._models import ResourceCreateSpec

RD = "/v1/resource-definitions"
RG = "/v1/resource-groups"
NO_BODY = object()


@dataclass
class Case:
    """One API call and the request it must produce."""

    name: str
    call: Callable[[Client], Awaitable[Any]]
    method: str
    path: str
    body: Any = NO_BODY
    query: list[tuple[str, str]] = field(default_factory=list)
    answer: Any = None
    check: Callable[[Any], bool] | None = None


NODE = {"name": "n1", "type": "SATELLITE", "connection_status": "ONLINE"}
RSC = {"name": "rsc1", "node_name": "n1"}
SNAP = {"name": "s1", "resource_name": "rsc1", "flags": ["SUCCESSFUL"]}
RG_OBJ = {"name": "rg1", "select_filter": {"place_count": 2}}

CASES = [
    Case(
        "list_nodes",
        lambda c: c.list_nodes(["n1", "n2"]),
        "GET",
        "/v1/nodes",
        query=[("nodes", "n1"), ("nodes", "n2")],
        answer=[NODE],
        check=lambda r: r[0].name == "n1",
    ),
    Case(
        "get_node",
        lambda c: c.get_node("n1"),
        "GET",
        "/v1/nodes/n1",
        answer=NODE,
        check=lambda r: r.online,
    ),
    Case(
        "list_storage_pools",
        lambda c: c.list_storage_pools(nodes=["n1"], storage_pools=["p1"]),
        "GET",
        "/v1/view/storage-pools",
        query=[("nodes", "n1"), ("storage_pools", "p1")],
        answer=[{"storage_pool_name": "p1", "node_name": "n1", "provider_kind": "LVM"}],
        check=lambda r: r[0].name == "p1",
    ),
    Case(
        "list_resource_groups",
        lambda c: c.list_resource_groups(["rg1"]),
        "GET",
        RG,
        query=[("resource_groups", "rg1")],
        answer=[RG_OBJ],
    ),
    Case(
        "get_resource_group",
        lambda c: c.get_resource_group("rg1"),
        "GET",
        f"{RG}/rg1",
        answer=RG_OBJ,
        check=lambda r: r.select_filter["place_count"] == 2,
    ),
    Case(
        "create_resource_group",
        lambda c: c.create_resource_group(
            "rg1", select_filter={"place_count": 2}, props={"Aux/a": "b"}, description="d"
        ),
        "POST",
        RG,
        {
            "name": "rg1",
            "select_filter": {"place_count": 2},
            "props": {"Aux/a": "b"},
            "description": "d",
        },
    ),
    Case(
        "create_resource_group_minimal",
        lambda c: c.create_resource_group("rg1"),
        "POST",
        RG,
        {"name": "rg1"},
    ),
    Case(
        "modify_resource_group",
        lambda c: c.modify_resource_group(
            "rg1",
            select_filter={"place_count": 3},
            override_props={"a": "1"},
            delete_props=["b"],
            description="new",
        ),
        "PUT",
        f"{RG}/rg1",
        {
            "override_props": {"a": "1"},
            "delete_props": ["b"],
            "select_filter": {"place_count": 3},
            "description": "new",
        },
    ),
    Case("delete_resource_group", lambda c: c.delete_resource_group("rg1"), "DELETE", f"{RG}/rg1"),
    Case(
        "list_volume_groups",
        lambda c: c.list_volume_groups("rg1"),
        "GET",
        f"{RG}/rg1/volume-groups",
        answer=[{"volume_number": 0}],
    ),
    Case(
        "create_volume_group",
        lambda c: c.create_volume_group(
            "rg1", volume_number=1, props={"a": "b"}, flags=["GROSS_SIZE"]
        ),
        "POST",
        f"{RG}/rg1/volume-groups",
        {"volume_number": 1, "props": {"a": "b"}, "flags": ["GROSS_SIZE"]},
    ),
    Case(
        "create_volume_group_auto",
        lambda c: c.create_volume_group("rg1"),
        "POST",
        f"{RG}/rg1/volume-groups",
        {},
    ),
    Case(
        "modify_volume_group",
        lambda c: c.modify_volume_group("rg1", 0, override_props={"a": "b"}, delete_props=["c"]),
        "PUT",
        f"{RG}/rg1/volume-groups/0",
        {"override_props": {"a": "b"}, "delete_props": ["c"]},
    ),
    Case(
        "delete_volume_group",
        lambda c: c.delete_volume_group("rg1", 2),
        "DELETE",
        f"{RG}/rg1/volume-groups/2",
    ),
    Case(
        "spawn_resource_definition",
        lambda c: c.spawn_resource_definition(
            "rg1", "rsc1", [1024, 2048], select_filter={"place_count": 1}
        ),
        "POST",
        f"{RG}/rg1/spawn",
        {
            "resource_definition_name": "rsc1",
            "volume_sizes": [1024, 2048],
            "partial": False,
            "definitions_only": False,
            "select_filter": {"place_count": 1},
        },
    ),
    Case(
        "list_resource_definitions",
        lambda c: c.list_resource_definitions(["rsc1"], with_volume_definitions=True),
        "GET",
        RD,
        query=[("resource_definitions", "rsc1"), ("with_volume_definitions", "true")],
        answer=[{"name": "rsc1", "volume_definitions": [{"volume_number": 0, "size_kib": 8}]}],
        check=lambda r: r[0].volume_definitions[0].size_kib == 8,
    ),
    Case(
        "get_resource_definition",
        lambda c: c.get_resource_definition("rsc1"),
        "GET",
        RD,
        query=[("resource_definitions", "rsc1"), ("with_volume_definitions", "true")],
        answer=[{"name": "RSC1", "resource_group_name": "rg1"}],
        check=lambda r: r.resource_group_name == "rg1",
    ),
    Case(
        "create_resource_definition",
        lambda c: c.create_resource_definition(
            "rsc1",
            resource_group="rg1",
            props={"a": "b"},
            external_name="Ext Name",
            layer_list=["drbd", "storage"],
        ),
        "POST",
        RD,
        {
            "resource_definition": {
                "name": "rsc1",
                "resource_group_name": "rg1",
                "props": {"a": "b"},
                "external_name": "Ext Name",
                "layer_data": [{"type": "DRBD"}, {"type": "STORAGE"}],
            }
        },
    ),
    Case(
        "modify_resource_definition",
        lambda c: c.modify_resource_definition(
            "rsc1", override_props={"a": "b"}, delete_props=["c"], delete_namespaces=["Aux/x"]
        ),
        "PUT",
        f"{RD}/rsc1",
        {"override_props": {"a": "b"}, "delete_props": ["c"], "delete_namespaces": ["Aux/x"]},
    ),
    Case(
        "delete_resource_definition",
        lambda c: c.delete_resource_definition("rsc1"),
        "DELETE",
        f"{RD}/rsc1",
    ),
    Case(
        "sync_status",
        lambda c: c.sync_status("rsc1"),
        "GET",
        f"{RD}/rsc1/sync-status",
        answer={"synced_on_all": True},
        check=lambda r: r is True,
    ),
    Case(
        "list_volume_definitions",
        lambda c: c.list_volume_definitions("rsc1"),
        "GET",
        f"{RD}/rsc1/volume-definitions",
        answer=[{"volume_number": 0, "size_kib": 64}],
    ),
    Case(
        "create_volume_definition",
        lambda c: c.create_volume_definition(
            "rsc1", 1048576, volume_number=0, props={"a": "b"}, flags=["GROSS_SIZE"]
        ),
        "POST",
        f"{RD}/rsc1/volume-definitions",
        {
            "volume_definition": {
                "size_kib": 1048576,
                "volume_number": 0,
                "props": {"a": "b"},
                "flags": ["GROSS_SIZE"],
            }
        },
    ),
    Case(
        "modify_volume_definition",
        lambda c: c.modify_volume_definition("rsc1", 0, size_kib=2097152),
        "PUT",
        f"{RD}/rsc1/volume-definitions/0",
        {"size_kib": 2097152},
    ),
    Case(
        "delete_volume_definition",
        lambda c: c.delete_volume_definition("rsc1", 0),
        "DELETE",
        f"{RD}/rsc1/volume-definitions/0",
    ),
    Case(
        "list_resources",
        lambda c: c.list_resources("rsc1"),
        "GET",
        f"{RD}/rsc1/resources",
        answer=[RSC],
    ),
    Case(
        "view_resources",
        lambda c: c.view_resources(resources=["rsc1"], nodes=["n1"]),
        "GET",
        "/v1/view/resources",
        query=[("resources", "rsc1"), ("nodes", "n1")],
        answer=[RSC],
    ),
    Case(
        "create_resources",
        lambda c: c.create_resources(
            "rsc1",
            [
                ResourceCreateSpec("n1", storage_pool="pool1"),
                ResourceCreateSpec("n2", diskless=True, layer_list=["drbd", "storage"]),
                ResourceCreateSpec("n3", drbd_diskless=True, props={"Aux/a": "b"}),
            ],
        ),
        "POST",
        f"{RD}/rsc1/resources",
        [
            {"resource": {"node_name": "n1", "props": {"StorPoolName": "pool1"}}},
            {
                "resource": {"node_name": "n2", "flags": ["DISKLESS"]},
                "layer_list": ["DRBD", "STORAGE"],
            },
            {"resource": {"node_name": "n3", "props": {"Aux/a": "b"}, "flags": ["DRBD_DISKLESS"]}},
        ],
    ),
    Case(
        "delete_resource",
        lambda c: c.delete_resource("rsc1", "n1"),
        "DELETE",
        f"{RD}/rsc1/resources/n1",
    ),
    Case(
        "modify_resource",
        lambda c: c.modify_resource("rsc1", "n1", override_props={"a": "b"}, delete_props=["c"]),
        "PUT",
        f"{RD}/rsc1/resources/n1",
        {"override_props": {"a": "b"}, "delete_props": ["c"]},
    ),
    Case(
        "make_available",
        lambda c: c.make_available("rsc1", "n1", diskful=True, layer_list=["DRBD", "STORAGE"]),
        "POST",
        f"{RD}/rsc1/resources/n1/make-available",
        {"diskful": True, "layer_list": ["DRBD", "STORAGE"]},
    ),
    Case(
        "activate_resource",
        lambda c: c.activate_resource("rsc1", "n1"),
        "POST",
        f"{RD}/rsc1/resources/n1/activate",
    ),
    Case(
        "deactivate_resource",
        lambda c: c.deactivate_resource("rsc1", "n1"),
        "POST",
        f"{RD}/rsc1/resources/n1/deactivate",
    ),
    Case(
        "toggle_disk",
        lambda c: c.toggle_disk(
            "rsc1", "n1", "INTO_DRBD_DISKFUL", storage_pool="pool1", migrate_from="n2"
        ),
        "PUT",
        f"{RD}/rsc1/resources/n1/toggle-disk",
        {"operation": "INTO_DRBD_DISKFUL", "storage_pool": "pool1", "migrate_from": "n2"},
    ),
    Case(
        "autoplace",
        lambda c: c.autoplace(
            "rsc1",
            select_filter={"place_count": 3},
            diskless_on_remaining=False,
            layer_list=["drbd", "storage"],
        ),
        "POST",
        f"{RD}/rsc1/autoplace",
        {
            "select_filter": {"place_count": 3},
            "diskless_on_remaining": False,
            "layer_list": ["DRBD", "STORAGE"],
        },
    ),
    Case(
        "list_snapshots",
        lambda c: c.list_snapshots("rsc1"),
        "GET",
        f"{RD}/rsc1/snapshots",
        answer=[SNAP],
        check=lambda r: r[0].successful,
    ),
    Case(
        "view_snapshots",
        lambda c: c.view_snapshots(resources=["rsc1"]),
        "GET",
        "/v1/view/snapshots",
        query=[("resources", "rsc1")],
        answer=[SNAP],
    ),
    Case(
        "get_snapshot",
        lambda c: c.get_snapshot("rsc1", "s1"),
        "GET",
        f"{RD}/rsc1/snapshots/s1",
        answer=SNAP,
    ),
    Case(
        "create_snapshot",
        lambda c: c.create_snapshot("rsc1", "s1", nodes=["n1"]),
        "POST",
        f"{RD}/rsc1/snapshots",
        {"name": "s1", "nodes": ["n1"]},
    ),
    Case(
        "create_multi_snapshot",
        lambda c: c.create_multi_snapshot([("rsc1", "s1"), ("rsc2", "s1")]),
        "POST",
        "/v1/actions/snapshot/multi",
        {
            "snapshots": [
                {"resource_name": "rsc1", "name": "s1"},
                {"resource_name": "rsc2", "name": "s1"},
            ]
        },
    ),
    Case(
        "delete_snapshot",
        lambda c: c.delete_snapshot("rsc1", "s1", nodes=["n1", "n2"]),
        "DELETE",
        f"{RD}/rsc1/snapshots/s1",
        query=[("nodes", "n1"), ("nodes", "n2")],
    ),
    Case(
        "restore_volume_definitions",
        lambda c: c.restore_volume_definitions("rsc1", "s1", "rsc2"),
        "POST",
        f"{RD}/rsc1/snapshot-restore-volume-definition/s1",
        {"to_resource": "rsc2"},
    ),
    Case(
        "restore_resources",
        lambda c: c.restore_resources(
            "rsc1", "s1", "rsc2", nodes=["n1"], stor_pool_rename={"old": "new"}
        ),
        "POST",
        f"{RD}/rsc1/snapshot-restore-resource/s1",
        {"to_resource": "rsc2", "nodes": ["n1"], "stor_pool_rename": {"old": "new"}},
    ),
    Case(
        "rollback_snapshot",
        lambda c: c.rollback_snapshot("rsc1", "s1"),
        "POST",
        f"{RD}/rsc1/snapshot-rollback/s1",
        {},
    ),
    Case(
        "clone_resource_definition",
        lambda c: c.clone_resource_definition(
            "rsc1", "rsc2", resource_group="rg1", use_zfs_clone=True
        ),
        "POST",
        f"{RD}/rsc1/clone",
        {"name": "rsc2", "resource_group": "rg1", "use_zfs_clone": True},
        answer={
            "location": f"{RD}/rsc1/clone/rsc2",
            "source_name": "rsc1",
            "clone_name": "rsc2",
            "messages": [CREATED_RC],
        },
        check=lambda r: len(r) == 1,
    ),
    Case(
        "clone_status",
        lambda c: c.clone_status("rsc1", "rsc2"),
        "GET",
        f"{RD}/rsc1/clone/rsc2",
        answer={"status": "COMPLETE"},
        check=lambda r: r == "COMPLETE",
    ),
    Case(
        "enable_drbd_proxy",
        lambda c: c.enable_drbd_proxy("rsc1", "n1", "n2", port=7777),
        "POST",
        f"{RD}/rsc1/drbd-proxy/enable/n1/n2",
        {"port": 7777},
    ),
    Case(
        "get_resource_connection",
        lambda c: c.get_resource_connection("rsc1", "n1", "n2"),
        "GET",
        f"{RD}/rsc1/resource-connections/n1/n2",
        answer=[{"node_a": "n1", "node_b": "n2", "flags": ["DRBD_PROXY"]}],
        check=lambda r: r.flags == ("DRBD_PROXY",) and r.node_b == "n2",
    ),
    Case(
        "disable_drbd_proxy",
        lambda c: c.disable_drbd_proxy("rsc1", "n1", "n2"),
        "POST",
        f"{RD}/rsc1/drbd-proxy/disable/n1/n2",
    ),
    Case(
        "list_kv_stores",
        lambda c: c.list_kv_stores(),
        "GET",
        "/v1/key-value-store",
        answer=[{"name": "kv1", "props": {"a": "b"}}, {"name": "kv2"}],
        check=lambda r: r == {"kv1": {"a": "b"}, "kv2": {}},
    ),
    Case(
        "get_kv_store",
        lambda c: c.get_kv_store("kv 1"),
        "GET",
        "/v1/key-value-store/kv 1",
        answer=[{"name": "kv 1", "props": {"a": "b"}}],
        check=lambda r: r == {"a": "b"},
    ),
    Case(
        "modify_kv_store",
        lambda c: c.modify_kv_store("kv1", override_props={"/a/k": "v"}, delete_props=["x"]),
        "PUT",
        "/v1/key-value-store/kv1",
        {"override_props": {"/a/k": "v"}, "delete_props": ["x"]},
    ),
    Case(
        "delete_kv_store", lambda c: c.delete_kv_store("kv1"), "DELETE", "/v1/key-value-store/kv1"
    ),
    Case(
        "list_error_reports",
        lambda c: c.list_error_reports(node="n1", since_ms=1000, limit=5),
        "GET",
        "/v1/error-reports",
        query=[("node", "n1"), ("since", "1000"), ("withContent", "false"), ("limit", "5")],
        answer=[{"error_time": 5, "filename": "ErrorReport-AB-00000-000001.log"}],
        check=lambda r: r[0].id == "AB-00000-000001",
    ),
    Case(
        "controller_version",
        lambda c: c.controller_version(),
        "GET",
        "/v1/controller/version",
        check=lambda r: r.api_version >= (1, 0, 4),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_request_shape(fake: FakeController, case: Case) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        if case.answer is not None:
            return web.json_response(case.answer)
        if request.method == "GET":
            return web.json_response({"version": "1.29.0", "rest_api_version": "1.28.0"})
        return web.json_response([CREATED_RC], status=201 if request.method == "POST" else 200)

    fake.on(case.method, case.path, handler=answer)
    async with fast_client(fake.url) as client:
        result = await case.call(client)
    # The client reads the controller version once, before its first other request.
    *before, seen = fake.requests
    version = "/v1/controller/version"
    expected = [] if case.path == version else [("GET", version)]
    assert [(r.method, r.path) for r in before] == expected
    assert (seen.method, seen.path) == (case.method, case.path)
    assert seen.query == case.query
    if case.body is NO_BODY:
        assert seen.raw_body == b""
    else:
        assert seen.body == case.body
        assert seen.headers["Content-Type"] == "application/json"
    if case.method != "GET" and case.check is None:
        assert isinstance(result, ApiCallRcList) and len(result) == 1
    if case.check is not None:
        assert case.check(result)


def test_every_contract_method_has_a_shape_case() -> None:
    from aiolinstor._api import LinstorApi

    public = {
        name
        for name in dir(LinstorApi)
        if not name.startswith("_") and callable(getattr(LinstorApi, name))
    }
    covered = {c.name.removesuffix("_minimal").removesuffix("_auto") for c in CASES}
    assert public - covered == {"node_events", "promotion_events"}


async def test_empty_answers_for_single_objects_are_not_found(fake: FakeController) -> None:
    fake.on("GET", RD, [])
    fake.on("GET", f"{RD}/rsc1/snapshots/s1", [])
    fake.on(
        "GET",
        "/v1/key-value-store/kv9",
        [{"ret_code": -4611686018427387588, "message": "no kv"}],
        status=404,
    )
    async with fast_client(fake.url) as client:
        with pytest.raises(NotFoundError, match="Resource definition 'rsc1' not found"):
            await client.get_resource_definition("rsc1")
        with pytest.raises(NotFoundError):
            await client.get_snapshot("rsc1", "s1")
        assert await client.get_kv_store("kv9") == {}


@pytest.mark.parametrize(
    ("call", "error", "named"),
    [
        (lambda c: c.create_resource_definition("1bad"), InvalidNameError, "1bad"),
        (lambda c: c.create_resource_definition("all"), InvalidNameError, "all"),
        (lambda c: c.get_node("bad_node!"), InvalidNameError, "bad_node!"),
        (lambda c: c.create_volume_definition("rsc1", 0), InvalidSizeError, "0"),
        (lambda c: c.create_volume_definition("rsc1", 1.5), InvalidSizeError, "1.5"),
        (lambda c: c.spawn_resource_definition("rg1", "r1", [10, -1]), InvalidSizeError, "-1"),
        (lambda c: c.delete_volume_definition("rsc1", 70000), InputError, "70000"),
        (lambda c: c.toggle_disk("rsc1", "n1", "INTO_NOWHERE"), InputError, "INTO_NOWHERE"),
        (lambda c: c.modify_resource("rsc1", "n1", override_props={"a": 1}), InputError, "'a'"),
        (lambda c: c.list_nodes("n1"), InputError, "'n1'"),
        (lambda c: c.create_resources("rsc1", []), InputError, "at least one"),
        (lambda c: c.create_snapshot("rsc1", "-s"), InvalidNameError, "-s"),
        (lambda c: c.create_multi_snapshot([("rsc1",)]), InputError, "pairs"),
        (lambda c: c.get_kv_store("a/b"), InputError, "a/b"),
        (lambda c: c.list_error_reports(limit=-1), InputError, "-1"),
        (lambda c: c.enable_drbd_proxy("r1", "n1", "n2", port=0), InputError, "port"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    fake: FakeController, call: Callable[[Client], Awaitable[Any]], error: type, named: str
) -> None:
    async with fast_client(fake.url) as client:
        with pytest.raises(error) as info:
            await call(client)
    assert named in str(info.value)
    assert fake.requests == []
