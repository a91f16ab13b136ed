"""The models' fast parsing paths build exactly what the strict readers build, or give up.

``from_json`` tries a fast path first and parses strictly when it gives up; these tests check
that whatever the fast path returns equals the strict result, field for field (``raw``
included), on real captured payloads, on the emulator's answers and on mutated answers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from client_fakes import SAMPLES_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiolinstor import Client
from aiolinstor._errors import ProtocolError
from aiolinstor._models import (
    ResourceDefinitionInfo,
    ResourceInfo,
    VolumeDefinitionInfo,
    VolumeInfo,
    _fast_resource,
    _fast_resource_definition,
    _fast_volume,
    _fast_volume_definition,
)
from aiolinstor._models_cluster import NodeInfo, StoragePoolInfo, _fast_node, _fast_storage_pool
from aiolinstor.emulator import Emulator, Timing

#: model -> its fast path, and which sample files hold lists of it (by name prefix).
FAST: dict[type[Any], tuple[Callable[[Any], Any], tuple[str, ...]]] = {
    NodeInfo: (_fast_node, ("node-one", "nodes")),
    StoragePoolInfo: (_fast_storage_pool, ("view-storage-pools",)),
    ResourceDefinitionInfo: (_fast_resource_definition, ("resource-definitions",)),
    VolumeDefinitionInfo: (_fast_volume_definition, ("volume-definitions",)),
    ResourceInfo: (_fast_resource, ("resource-one", "view-resources")),
    VolumeInfo: (_fast_volume, ("volume-one",)),
}


def assert_same(model: type[Any], data: Any, *, must_be_fast: bool) -> None:
    """The fast path's result equals the strict one in every field, or it gave up."""
    fast, _ = FAST[model]
    try:
        quick = fast(data)
    except Exception:
        assert not must_be_fast, f"the fast path gave up on {json.dumps(data)[:200]}"
        return
    strict = model._strict(data)
    assert vars(quick) == vars(strict)
    assert quick.raw is data
    assert model.from_json(data) == strict


def samples(model: type[Any]) -> list[Any]:
    if not SAMPLES_DIR.is_dir():
        return []
    found: list[Any] = []
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        if path.name.startswith(FAST[model][1]):
            data = json.loads(path.read_text())
            found += data if isinstance(data, list) else [data]
    return found


@pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason=f"samples not found at {SAMPLES_DIR}")
@pytest.mark.parametrize("model", list(FAST), ids=lambda m: m.__name__)
def test_real_payloads_take_the_fast_path_and_match(model: type[Any]) -> None:
    items = samples(model)
    assert items
    for item in items:
        # DRBD below another layer (e.g. LUKS) is searched by the strict reader only
        deep = model is ResourceInfo and "drbd" not in (item.get("layer_object") or {"drbd": 1})
        assert_same(model, item, must_be_fast=not deep)


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (ResourceInfo, {"name": "r", "node_name": 1}, "node_name"),
        (ResourceInfo, {"name": "r", "node_name": "n", "flags": ["A", 2]}, "flags"),
        (ResourceInfo, {"name": "r", "node_name": "n", "state": {"in_use": "no"}}, "in_use"),
        (VolumeInfo, {"state": {"replication_states": {"p": {"done_percentage": True}}}}, "done"),
        (VolumeInfo, {"usable_size_kib": 1.5}, "usable_size_kib"),
        (NodeInfo, {"name": "n", "net_interfaces": [{"satellite_port": "3366"}]}, "port"),
        (StoragePoolInfo, {"storage_pool_name": "p", "free_capacity": False}, "free_capacity"),
        (VolumeDefinitionInfo, {"size_kib": "1"}, "size_kib"),
        (ResourceDefinitionInfo, {"name": "r", "props": {"a": 1}}, "props"),
    ],
)
def test_wrong_types_still_name_the_field(model: type[Any], data: Any, field: str) -> None:
    with pytest.raises(ProtocolError, match=field):
        model.from_json(data)


async def emulator_answers() -> dict[type[Any], list[Any]]:
    async with Emulator(nodes=3, timing=Timing.fast()) as emu:
        emu.state.add_resource("foo", "64 MiB", ["node-1", "node-2"])
        emu.state.add_resource("bar", "32 MiB", ["node-2", "node-3"])
        async with Client(emu.url) as client:
            get = client._get
            views = await get("/v1/view/resources")
            return {
                NodeInfo: await get("/v1/nodes"),
                StoragePoolInfo: await get("/v1/view/storage-pools"),
                ResourceDefinitionInfo: await get(
                    "/v1/resource-definitions", [("with_volume_definitions", "true")]
                ),
                VolumeDefinitionInfo: await get("/v1/resource-definitions/foo/volume-definitions"),
                ResourceInfo: views,
                VolumeInfo: [v for item in views for v in item.get("volumes", [])],
            }


@pytest.fixture(scope="module")
def answers() -> dict[type[Any], list[Any]]:
    import asyncio

    return asyncio.run(emulator_answers())


def test_emulator_answers_take_the_fast_path(answers: dict[type[Any], list[Any]]) -> None:
    for model, items in answers.items():
        assert items, model
        for item in items:
            assert_same(model, item, must_be_fast=True)


scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(0, 2) | st.text(max_size=3)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=4,
)


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Positions of the scalars inside a JSON value: where a wrong type is likeliest to slip."""
    if isinstance(value, dict):
        return [p for key, inner in value.items() for p in _leaves(inner, (*at, key))]
    if isinstance(value, list):
        return [p for index, inner in enumerate(value) for p in _leaves(inner, (*at, index))]
    return [at]


def _places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _places(inner, (*at, index))
    return found


def _replace(value: Any, at: tuple[Any, ...], replacement: Any) -> Any:
    if not at:
        return replacement
    result = copy.deepcopy(value)
    parent = result
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = replacement
    return result


@settings(
    max_examples=1000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_answers_parse_alike(
    answers: dict[type[Any], list[Any]], data: st.DataObject
) -> None:
    model = data.draw(st.sampled_from(sorted(FAST, key=lambda m: m.__name__)))
    original = data.draw(st.sampled_from(answers[model]))
    if data.draw(st.booleans()):  # a scalar of another type, or anything anywhere
        at = data.draw(st.sampled_from(_leaves(original)))
        replacement = data.draw(scalars)
    else:
        at = data.draw(st.sampled_from(_places(original)))
        replacement = data.draw(json_values)
    mutated = _replace(original, at, replacement)
    try:
        strict = model._strict(mutated)
    except ProtocolError:
        with pytest.raises(ProtocolError):
            model.from_json(mutated)
        return
    assert vars(model.from_json(mutated)) == vars(strict)
    assert_same(model, mutated, must_be_fast=False)
