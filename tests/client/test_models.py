"""Every model's ``from_json`` on the real captured payloads, plus tolerance and strictness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from client_fakes import SAMPLES_DIR, FakeController, fast_client

from aiolinstor._apicallrc import http_status_for
from aiolinstor._errors import ApiCallError, NotFoundError, ProtocolError
from aiolinstor._models import (
    ControllerVersion,
    ErrorReportInfo,
    NodeInfo,
    ResourceDefinitionInfo,
    ResourceGroupInfo,
    ResourceInfo,
    SnapshotInfo,
    StoragePoolInfo,
    VolumeDefinitionInfo,
    VolumeGroupInfo,
    VolumeInfo,
)

pytestmark = pytest.mark.skipif(
    not SAMPLES_DIR.is_dir(), reason=f"LINSTOR samples not found at {SAMPLES_DIR}"
)

INT64_MAX = 9223372036854775807


def load(name: str) -> Any:
    return json.loads((SAMPLES_DIR / name).read_text())


def as_list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else [data]


# Which model parses which sample file (by file name prefix); every sample must be covered.
MODEL_BY_PREFIX: list[tuple[str, Any]] = [
    ("controller-version", ControllerVersion),
    ("error-reports", ErrorReportInfo),
    ("node-one", NodeInfo),
    ("nodes", NodeInfo),
    ("resource-definitions", ResourceDefinitionInfo),
    ("resource-groups", ResourceGroupInfo),
    ("resource-one", ResourceInfo),
    ("view-resources", ResourceInfo),
    ("view-storage-pools", StoragePoolInfo),
    ("volume-definitions", VolumeDefinitionInfo),
    ("volume-one", VolumeInfo),
]


def _model_samples() -> list[str]:
    return sorted(p.name for p in SAMPLES_DIR.glob("*.json") if not p.name.startswith("apicallrc"))


@pytest.mark.parametrize("name", _model_samples() if SAMPLES_DIR.is_dir() else [])
def test_every_sample_parses_and_keeps_raw(name: str) -> None:
    model = next(m for prefix, m in MODEL_BY_PREFIX if name.startswith(prefix))
    data = load(name)
    if name.startswith("resource-groups-cli-m"):
        data = data[0]  # the CLI wraps REST lists in one more list
    for item in as_list(data):
        parsed = model.from_json(item)
        assert parsed.raw == item


def test_controller_version() -> None:
    version = ControllerVersion.from_json(
        load("controller-version.linbit-documentation-ug9-k8s.json")
    )
    assert version.version == "1.20.2"
    assert version.api_version == (1, 16, 0)


def test_view_resource_item_with_drbd_connections() -> None:
    rsc = ResourceInfo.from_json(load("view-resources-item.golinstor-resource_test-2.json"))
    assert rsc.node_name == "demo1.linstor-days.at.linbit.com"
    assert rsc.props["StorPoolName"] == "thinpool"
    assert rsc.flags == ()
    assert rsc.state_known is False and rsc.in_use is None
    assert rsc.may_promote is True
    assert rsc.connections["demo2.linstor-days.at.linbit.com"].connected is True
    peer3 = rsc.connections["demo3.linstor-days.at.linbit.com"]
    assert (peer3.connected, peer3.message) == (False, "Connecting")
    (volume,) = rsc.volumes
    assert volume.disk_state == "UpToDate"
    assert volume.device_path == "/dev/drbd1000"
    assert volume.allocated_size_kib == 206
    assert volume.usable_size_kib == 512000  # from the top (DRBD) layer
    assert volume.replication_states == {}
    assert rsc.create_timestamp == 1622636098831


def test_resource_one_and_volume_one() -> None:
    rsc = ResourceInfo.from_json(load("resource-one.golinstor-resource_test-1.json"))
    assert rsc.state_known and rsc.in_use is False
    assert rsc.volumes == ()
    volume = VolumeInfo.from_json(load("volume-one.golinstor-resource_test-3.json"))
    assert volume.storage_pool_name == "thinpool" and volume.provider_kind == "LVM_THIN"


def test_offline_satellite_has_no_state() -> None:
    by_node = {
        r.node_name: r
        for r in map(
            ResourceInfo.from_json, load("view-resources-3nodes-oneoffline.linstor-csi-2.json")
        )
    }
    assert by_node["node-0"].state_known is False
    assert by_node["node-0"].volumes[0].disk_state is None
    assert by_node["node-0"].connections == {}
    assert by_node["node-1"].state_known is True
    assert by_node["node-1"].volumes[0].disk_state == "UpToDate"


def test_inactive_resources_with_empty_state() -> None:
    resources = [
        ResourceInfo.from_json(r)
        for r in load("view-resources-shared-sp-inactive.linstor-csi-3.json")
    ]
    inactive = [r for r in resources if r.inactive]
    assert [r.node_name for r in inactive] == ["node-1", "node-2"]
    assert all(r.state_known and r.in_use is None for r in inactive)


def test_in_use_and_diskless_and_tiebreaker() -> None:
    in_use = [
        r.node_name
        for r in map(
            ResourceInfo.from_json, load("view-resources-openshift-inuse.linstor-csi-4.json")
        )
        if r.in_use
    ]
    assert in_use == ["openshift-worker-1.oc"]
    tiebreakers = [
        r
        for r in map(
            ResourceInfo.from_json, load("view-resources-tiebreaker-standalone.linstor-csi-5.json")
        )
        if r.tiebreaker
    ]
    assert len(tiebreakers) == 1 and tiebreakers[0].diskless
    assert not tiebreakers[0].deleting
    diskless = [
        r
        for r in map(
            ResourceInfo.from_json,
            load("view-resources-diskful-diskless.cinder-test_linstordrv.json"),
        )
        if r.diskless
    ]
    assert len(diskless) == 1


def test_nodes() -> None:
    nodes = [NodeInfo.from_json(n) for n in load("nodes.blockstor-oracle-013.json")]
    assert [n.online for n in nodes] == [True, True, True, False, False]
    assert nodes[0].type == "SATELLITE"
    assert nodes[0].net_interfaces[0].satellite_port == 3366
    offline = NodeInfo.from_json(load("node-one-offline-noinfo.blockstor-oracle-014.json"))
    assert offline.connection_status == "OFFLINE" and not offline.online
    assert "unsupported_layers" in offline.raw


def test_storage_pools() -> None:
    thin, diskless = map(
        StoragePoolInfo.from_json, load("view-storage-pools.cinder-test_linstordrv.json")
    )
    assert thin.thin and not thin.diskless
    assert (thin.free_capacity_kib, thin.total_capacity_kib) == (104815656, 104857600)
    assert diskless.diskless and diskless.free_capacity_kib == INT64_MAX
    pools = [
        StoragePoolInfo.from_json(p)
        for p in load("view-storage-pools-with-offline-report.linstor-gui-interfaces.json")
    ]
    offline = pools[0]
    assert offline.node_name == "mynode01"
    assert offline.free_capacity_kib is None and offline.total_capacity_kib is None
    assert offline.raw["reports"][0]["ret_code"] == -9223372036854774806


def test_definitions_groups_and_reports() -> None:
    (rd,) = map(
        ResourceDefinitionInfo.from_json, load("resource-definitions.cinder-test_linstordrv.json")
    )
    assert rd.props["DrbdPrimarySetOn"] == "node-1"
    assert rd.volume_definitions == () and rd.resource_group_name is None
    (vd,) = map(
        VolumeDefinitionInfo.from_json, load("volume-definitions.blockstor-oracle-038.json")
    )
    assert (vd.volume_number, vd.size_kib, vd.minor_number) == (0, 65536, None)
    groups = [
        ResourceGroupInfo.from_json(g) for g in load("resource-groups.blockstor-oracle-022.json")
    ]
    assert groups[0].name == "DfltRscGrp" and groups[0].select_filter == {"place_count": 2}
    (cli,) = load("resource-groups-cli-m.issue-linstor-server-146.json")
    test_group = ResourceGroupInfo.from_json(cli[0])
    assert test_group.select_filter["replicas_on_different"] == ["Aux/moonshot"]
    reports = [
        ErrorReportInfo.from_json(r) for r in load("error-reports.linstor-gui-interfaces.json")
    ]
    assert reports[0].id == "610175CC-00000-000000"
    assert reports[0].error_time_ms == 1627625922296
    assert reports[0].exception_message == "Node 'node63.afa' not found."


def test_models_tolerate_omitted_fields() -> None:
    rsc = ResourceInfo.from_json({"name": "r", "node_name": "n"})
    assert (rsc.flags, rsc.props, rsc.volumes, rsc.connections) == ((), {}, (), {})
    assert rsc.state_known is False and rsc.in_use is None
    node = NodeInfo.from_json({"name": "n"})
    assert node.connection_status == "UNKNOWN" and not node.online
    snap = SnapshotInfo.from_json(
        {
            "name": "s1",
            "resource_name": "r",
            "flags": ["SUCCESSFUL"],
            "volume_definitions": [{"volume_number": 0, "size_kib": 1024}],
            "snapshots": [{"node_name": "a"}, {"node_name": "b"}],
            "future_field": {"x": 1},
        }
    )
    assert snap.successful and not snap.failed
    assert snap.nodes == ("a", "b")
    assert snap.volume_definitions == ((0, 1024),)
    assert snap.raw["future_field"] == {"x": 1}
    vg = VolumeGroupInfo.from_json({})
    assert vg.volume_number == 0 and vg.flags == ()
    vd = VolumeDefinitionInfo.from_json(
        {"size_kib": 10, "layer_data": [{"type": "DRBD", "data": {"minor_number": 1001}}]}
    )
    assert vd.minor_number == 1001
    state = VolumeInfo.from_json(
        {
            "volume_number": 1,
            "state": {
                "disk_state": "Inconsistent",
                "replication_states": {
                    "b": {"replication_state": "SyncTarget", "done_percentage": 42}
                },
            },
        }
    )
    assert state.replication_states["b"].done_percentage == 42.0


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (ResourceInfo, {"name": "r"}, "Resource.node_name"),
        (ResourceInfo, {"name": "r", "node_name": "n", "state": []}, "Resource.state"),
        (VolumeInfo, {"state": {"disk_state": 1}}, "disk_state"),
        (StoragePoolInfo, {"storage_pool_name": "p", "free_capacity": "10"}, "free_capacity"),
        (VolumeDefinitionInfo, {"volume_number": 0}, "VolumeDefinition.size_kib"),
        (ErrorReportInfo, {"filename": "x"}, "ErrorReport.error_time"),
        (SnapshotInfo, {"name": "s", "flags": [1]}, "Snapshot.flags"),
        (ControllerVersion, {"version": "1"}, "rest_api_version"),
        (ResourceGroupInfo, {"name": "g", "select_filter": []}, "select_filter"),
        (NodeInfo, {"name": "n", "net_interfaces": [{"satellite_port": "x"}]}, "satellite_port"),
    ],
)
def test_wrong_types_raise_protocol_error_naming_the_field(
    model: Any, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ProtocolError, match=field):
        model.from_json(data)


def _apicallrc_samples() -> list[str]:
    return sorted(p.name for p in SAMPLES_DIR.glob("apicallrc-*.json"))


@pytest.mark.parametrize("name", _apicallrc_samples() if SAMPLES_DIR.is_dir() else [])
async def test_apicallrc_samples_through_a_mutating_call(fake: FakeController, name: str) -> None:
    """Serve each captured answer with the status a controller would use; check the outcome."""
    data = as_list(load(name))
    status = http_status_for([e["ret_code"] for e in data], 201)
    fake.on("POST", "/v1/resource-definitions", data, status=status)
    async with fast_client(fake.url) as client:
        if status == 201:
            rcs = await client.create_resource_definition("rsc1")
            assert len(rcs) == len(data) and not rcs.errors
            return
        with pytest.raises(ApiCallError) as info:
            await client.create_resource_definition("rsc1")
    assert info.value.status == status
    assert len(info.value.rcs) == len(data)
    if status == 404:
        assert isinstance(info.value, NotFoundError)
    report_ids = [rid for e in data for rid in e.get("error_report_ids", [])]
    assert list(info.value.error_report_ids) == report_ids


def test_samples_dir_is_the_shared_one() -> None:
    assert (SAMPLES_DIR / "INDEX.md").is_file()
    assert isinstance(SAMPLES_DIR, Path)
