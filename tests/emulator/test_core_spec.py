"""Cluster specs and timing: defaults, JSON round trips, and errors that name the bad value."""

from __future__ import annotations

import math

import pytest
from core_helpers import FakeClock

from aiolinstor.emulator._spec import ClusterSpec, NodeSpec, PoolSpec, Timing
from aiolinstor.emulator._state import EmulatorState


def test_default_cluster() -> None:
    spec = ClusterSpec.default(3, pool_size="10 GiB", provider_kind="zfs", prefix="n")
    assert [n.name for n in spec.nodes] == ["n1", "n2", "n3"]
    assert [n.address for n in spec.nodes] == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert spec.nodes[0].pools == [PoolSpec("DfltStorPool", "ZFS", 10 * 1024 * 1024)]
    assert ClusterSpec.default(300).nodes[-1].address == "127.0.1.46"


def test_json_round_trip_and_short_form() -> None:
    spec = ClusterSpec(
        [
            NodeSpec(
                "a1",
                [PoolSpec("p1", "LVM", 1024)],
                props={"Aux/rack": "r1"},
                online=False,
                layers=["DRBD"],
            )
        ]
    )
    assert ClusterSpec.from_json(spec.to_json()) == spec
    short = ClusterSpec.from_json({"nodes": 2, "pool_size": "1 GiB", "prefix": "x"})
    assert [n.name for n in short.nodes] == ["x1", "x2"] and short.nodes[0].pools[
        0
    ].size_kib == 1024 * 1024
    pool = PoolSpec.from_json({"name": "p", "size": "2 MiB"})
    assert pool.size_kib == 2048 and pool.thin


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: PoolSpec(provider_kind="TAPE"), "TAPE"),
        (lambda: PoolSpec(size_kib=-5), "-5"),
        (lambda: ClusterSpec([NodeSpec("a1"), NodeSpec("A1")]), "A1"),
        (lambda: NodeSpec("a1", [PoolSpec("p"), PoolSpec("P")]), "P"),
        (lambda: ClusterSpec.from_json({"nodes": [{"name": "a1", "colour": "red"}]}), "colour"),
        (lambda: ClusterSpec.from_json({"nodes": "many"}), "many"),
        (lambda: Timing(speed=0), "0"),
        (lambda: Timing(sync_s=math.nan), "nan"),
        (lambda: Timing.from_json({"apply_s": "fast"}), "fast"),
        (lambda: Timing.from_json({"warp": 9}), "warp"),
    ],
)
def test_bad_specs_name_the_value(build: object, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        build()  # type: ignore[operator]


def test_timing() -> None:
    fast = Timing.fast()
    assert fast.scaled(fast.sync_s) == pytest.approx(0.02)
    assert Timing.from_json(fast.to_json()) == fast


def test_reset_and_next_transition() -> None:
    clock = FakeClock()
    state = EmulatorState(timing=Timing(), clock=clock)
    assert state.next_transition_in() == math.inf
    state.add_resource("r1", "1 GiB", ["node-1"], instant=False)
    assert state.next_transition_in() == pytest.approx(Timing().apply_s)
    clock.advance(Timing().apply_s)
    assert state.next_transition_in() == pytest.approx(Timing().deploy_s - Timing().apply_s)
    state.reset(ClusterSpec.default(1))
    assert list(state.dump()["nodes"]) == ["node-1"] and state.dump()["resource_definitions"] == {}
    assert state.next_transition_in() == math.inf
