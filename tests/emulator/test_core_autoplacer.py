"""Unit tests of the autoplacer: filters, capacity (thin oversubscription), scoring, constraints."""

from __future__ import annotations

from aiolinstor.emulator import _autoplacer as ap
from aiolinstor.emulator._autoplacer import PoolInfo, Request

GiB_KIB = 1024 * 1024


def pool(
    node: str, free_gib: float = 100, *, kind: str = "LVM_THIN", name: str = "pool", **kw: object
) -> PoolInfo:
    total = kw.pop("total_gib", 100)
    assert isinstance(total, (int, float))
    return PoolInfo(
        node_name=node,
        pool_name=name,
        provider_kind=kind,
        free_kib=int(free_gib * GiB_KIB),
        total_kib=int(total * GiB_KIB),
        **kw,  # type: ignore[arg-type]
    )


def nodes_of(chosen: list[PoolInfo] | None) -> list[str]:
    assert chosen is not None
    return [p.node_name for p in chosen]


def test_most_free_space_wins_and_ties_go_by_node_name() -> None:
    pools = [pool("c", 50), pool("b", 80), pool("a", 80), pool("d", 10)]
    assert nodes_of(ap.select(pools, Request(count=3, size_kib=GiB_KIB))) == ["a", "b", "c"]


def test_fewer_resources_break_equal_free_space() -> None:
    pools = [pool("a", 80, resource_count=5), pool("b", 80, resource_count=1)]
    assert nodes_of(ap.select(pools, Request(count=1, size_kib=1))) == ["b"]


def test_score_weights_come_from_controller_props() -> None:
    pools = [pool("a", 90, reserved_kib=50 * GiB_KIB), pool("b", 80, reserved_kib=0)]
    request = Request(count=1, size_kib=1)
    assert nodes_of(ap.select(pools, request)) == ["a"]
    request.controller_props = {"Autoplacer/Weights/MinReservedSpace": "10"}
    assert nodes_of(ap.select(pools, request)) == ["b"]


def test_one_pool_per_node() -> None:
    pools = [pool("a", 90, name="p1"), pool("a", 80, name="p2"), pool("b", 10)]
    assert nodes_of(ap.select(pools, Request(count=2, size_kib=1))) == ["a", "b"]
    assert ap.select(pools[:2], Request(count=2, size_kib=1)) is None


def test_storage_pool_provider_and_node_filters_are_case_insensitive() -> None:
    pools = [
        pool("a", name="fast", kind="ZFS"),
        pool("b", name="slow"),
        pool("c", name="FAST", kind="ZFS"),
    ]
    assert nodes_of(ap.select(pools, Request(count=2, size_kib=1, storage_pools=["Fast"]))) == [
        "a",
        "c",
    ]
    assert nodes_of(ap.select(pools, Request(count=1, size_kib=1, provider_list=["lvm_thin"]))) == [
        "b"
    ]
    assert nodes_of(ap.select(pools, Request(count=1, size_kib=1, node_names=["B"]))) == ["b"]
    assert ap.select(pools, Request(count=2, size_kib=1, excluded_nodes=["A", "b"])) is None


def test_autoplace_target_false_excludes_node_and_pool() -> None:
    pools = [
        pool("a", 99, node_props={"AutoplaceTarget": "false"}),
        pool("b", 98, pool_props={"AutoplaceTarget": "false"}),
        pool("c", 1, total_gib=1),
    ]
    assert nodes_of(ap.select(pools, Request(count=1, size_kib=1))) == ["c"]


def test_thick_pool_capacity_is_free_space() -> None:
    thick = pool("a", 10, kind="LVM", total_gib=10, reserved_kib=0)
    assert ap.fits(thick, 10 * GiB_KIB)
    assert not ap.fits(thick, 10 * GiB_KIB + 1)


def test_thin_pool_oversubscription_ratio_20_by_default() -> None:
    thin = pool("a", 100, total_gib=100, reserved_kib=1900 * GiB_KIB)
    assert ap.estimated_capacity_kib(thin) == 100 * GiB_KIB  # 100 GiB x 20 - 1900 GiB
    assert ap.fits(thin, 100 * GiB_KIB)
    assert not ap.fits(thin, 101 * GiB_KIB)
    ratio_1 = {"MaxOversubscriptionRatio": "1"}
    assert not ap.fits(thin, GiB_KIB, ratio_1)
    fresh = pool("b", 100, total_gib=100)
    assert ap.fits(fresh, 1500 * GiB_KIB)
    assert not ap.fits(fresh, 1500 * GiB_KIB, ratio_1)


def test_thin_pool_needs_minimum_free_space() -> None:
    nearly_full = pool("a", 5, total_gib=100)
    assert not ap.fits(nearly_full, 1)  # 5 % free < default 10 %
    assert ap.fits(nearly_full, 1, {"Autoplacer/MinThinFreeSpace": "1%"})
    assert ap.fits(nearly_full, 1, {"Autoplacer/MinThinFreeSpace": "0"})


def test_capacity_filter_in_selection() -> None:
    pools = [pool("a", 2, kind="LVM", total_gib=2), pool("b", 100, kind="LVM", total_gib=100)]
    assert nodes_of(ap.select(pools, Request(count=1, size_kib=3 * GiB_KIB))) == ["b"]
    assert ap.select(pools, Request(count=2, size_kib=3 * GiB_KIB)) is None


def racks(*specs: tuple[str, str, float]) -> list[PoolInfo]:
    return [pool(node, free, node_props={"Aux/rack": rack}) for node, rack, free in specs]


def test_replicas_on_different_spreads_over_racks() -> None:
    pools = racks(("a", "r1", 100), ("b", "r1", 99), ("c", "r2", 50), ("d", "r3", 10))
    request = Request(count=3, size_kib=1, replicas_on_different=["Aux/rack"])
    assert nodes_of(ap.select(pools, request)) == ["a", "c", "d"]
    request.count = 4
    assert ap.select(pools, request) is None
    request.x_replicas_on_different = {"Aux/rack": 2}
    assert sorted(nodes_of(ap.select(pools, request))) == ["a", "b", "c", "d"]


def test_replicas_on_different_respects_existing_replicas() -> None:
    pools = racks(("a", "r1", 100), ("c", "r2", 50), ("d", "r3", 10))
    request = Request(
        count=1,
        size_kib=1,
        replicas_on_different=["Aux/rack"],
        existing_node_props=[{"Aux/rack": "r1"}],
    )
    assert nodes_of(ap.select(pools, request)) == ["c"]


def test_replicas_on_same_backtracks_to_a_complete_set() -> None:
    # the best pool ("a", rack r1) has no partner in r1: the selection must backtrack to r2
    pools = racks(("a", "r1", 100), ("b", "r2", 90), ("c", "r2", 80), ("d", "r3", 70))
    request = Request(count=2, size_kib=1, replicas_on_same=["Aux/rack"])
    assert nodes_of(ap.select(pools, request)) == ["b", "c"]
    request.count = 3
    assert ap.select(pools, request) is None


def test_replicas_on_same_with_fixed_value_and_missing_key() -> None:
    pools = [*racks(("a", "r1", 100), ("b", "r2", 90), ("c", "r2", 80)), pool("e", 100)]
    request = Request(count=2, size_kib=1, replicas_on_same=["Aux/rack=r2"])
    assert nodes_of(ap.select(pools, request)) == ["b", "c"]
    request = Request(
        count=1, size_kib=1, replicas_on_same=["Aux/rack"], existing_node_props=[{"Aux/rack": "r1"}]
    )
    assert nodes_of(ap.select(pools, request)) == ["a"]


def test_provider_kinds_do_not_mix_unless_allowed() -> None:
    pools = [pool("a", 100, kind="ZFS"), pool("b", 90, kind="LVM"), pool("c", 10, kind="ZFS")]
    assert nodes_of(ap.select(pools, Request(count=2, size_kib=1))) == ["a", "c"]
    assert nodes_of(ap.select(pools, Request(count=2, size_kib=1, allow_mixing=True))) == ["a", "b"]
    request = Request(count=1, size_kib=1, existing_kinds={"LVM"})
    assert nodes_of(ap.select(pools, request)) == ["b"]


def test_zero_count_selects_nothing_and_failure_details_name_the_criteria() -> None:
    assert ap.select([], Request(count=0, size_kib=1)) == []
    request = Request(
        count=3, size_kib=42, storage_pools=["pool1"], replicas_on_different=["Aux/rack"]
    )
    details = ap.explain_failure(request, "rsc1", ["rsc1"])
    assert (
        "'42'" in details
        and "pool1" in details
        and "Aux/rack" in details
        and "Replica count: 3" in details
    )
