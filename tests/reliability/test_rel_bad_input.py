"""Bad input, generated: sizes, names, node lists, placement values, property keys, controller
addresses. Each value is either accepted (and then usable) or refused with an InputError that
names it; nothing escapes as KeyError, AttributeError, TypeError, IndexError or the like.

Nothing here needs a controller: every check happens before the first request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiolinstor import (
    Client,
    InputError,
    InvalidNameError,
    InvalidSizeError,
    NoClientError,
    Resource,
    Volume,
)
from aiolinstor._names import is_valid_node_name, is_valid_resource_name
from aiolinstor._placement import Placement
from aiolinstor._props import check_keys, check_props

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Values of every JSON-ish and Python type a caller might pass by mistake.
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=60),
    st.binary(max_size=10),
    st.lists(st.one_of(st.integers(), st.text(max_size=10)), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.tuples(st.text(max_size=5)),
)
#: Strings that look like sizes, names or keys, plus noise.
size_texts = st.from_regex(
    r"\A\s?[+-]?[0-9]{0,25}(\.[0-9]{0,5})?\s?(B|S|K|KiB|M|MiB|G|GiB|T|TiB|P|PiB|kB|MB|GB|"
    r"TB|PB|x|EiB|)?\s?\Z"
)
name_texts = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9_.\-]{0,50}\Z"), st.text(max_size=50), st.sampled_from(["all"])
)


def _names_the_value(message: str, value: object) -> bool:
    candidates = [value]
    if isinstance(value, (list, tuple, dict)):
        candidates += list(value)
    return any(repr(candidate) in message for candidate in candidates)


def _refused_or_accepted(call: Callable[[], Any], value: object) -> tuple[bool, Any]:
    """Run ``call``: (True, result) when accepted; (False, error) when refused clearly."""
    try:
        return True, call()
    except InputError as exc:
        assert _names_the_value(str(exc), value), (value, str(exc))
        return False, exc
    except (KeyError, AttributeError, TypeError, IndexError, ValueError) as exc:
        pytest.fail(f"{value!r} escaped as {type(exc).__name__}: {exc}")


@SETTINGS
@given(st.one_of(anything, size_texts))
def test_sizes(value: Any) -> None:
    accepted, result = _refused_or_accepted(lambda: Volume(value), value)
    if accepted:
        assert isinstance(result.size, int) and result.size > 0
        assert result.size_kib >= 1
    else:
        assert isinstance(result, InvalidSizeError)


@SETTINGS
@given(st.one_of(anything, name_texts))
def test_resource_names(value: Any) -> None:
    accepted, result = _refused_or_accepted(lambda: Resource(value), value)
    assert accepted == is_valid_resource_name(value)
    if not accepted:
        assert isinstance(result, InvalidNameError)


@SETTINGS
@given(st.one_of(anything, name_texts))
def test_node_names_of_calls_are_checked_before_any_request(value: Any) -> None:
    res = Resource("foo")
    for operation in (res.activate, res.deactivate, res.make_diskful, res.make_diskless):
        try:
            asyncio.run(operation(value))
        except InvalidNameError as exc:
            assert not is_valid_node_name(value)
            assert _names_the_value(str(exc), value)
        except NoClientError:  # a valid name gets as far as looking for a client
            assert is_valid_node_name(value)
        except Exception as exc:
            pytest.fail(f"{operation.__name__}({value!r}) raised {type(exc).__name__}: {exc}")


@SETTINGS
@given(st.one_of(anything, st.lists(name_texts, max_size=4), name_texts))
def test_node_lists(value: Any) -> None:
    placement = Placement()

    def assign() -> Placement:
        placement.node_names = value
        return placement

    accepted, _ = _refused_or_accepted(assign, value)
    if accepted:
        names = placement.node_names or []
        assert all(is_valid_node_name(name) for name in names)
        assert placement.autoplace_arguments()["select_filter"].get("node_name_list") == (
            names or None
        )


PLACEMENT_SETTINGS = [
    "redundancy",
    "storage_pool",
    "diskless_storage_pool",
    "diskless_on_remaining",
    "replicas_on_same",
    "replicas_on_different",
    "do_not_place_with",
    "do_not_place_with_regex",
    "layer_list",
    "provider_list",
]


@SETTINGS
@given(
    st.sampled_from(PLACEMENT_SETTINGS),
    st.one_of(anything, name_texts, st.lists(name_texts, max_size=3), st.integers(-3, 9)),
)
def test_placement_values(setting: str, value: Any) -> None:
    placement = Placement()
    accepted, _ = _refused_or_accepted(lambda: setattr(placement, setting, value), value)
    # whatever was accepted renders into both request forms
    assert isinstance(placement.to_select_filter(), dict)
    assert isinstance(placement.autoplace_arguments(), dict)
    if not accepted:
        assert getattr(placement, setting) == getattr(Placement(), setting)


@SETTINGS
@given(
    st.one_of(
        anything,
        st.dictionaries(st.one_of(st.text(max_size=20), st.integers()), anything, max_size=3),
        st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=3),
    )
)
def test_property_maps(value: Any) -> None:
    accepted, result = _refused_or_accepted(lambda: check_props(value), value)
    if accepted:
        assert all(isinstance(k, str) and k.strip() == k and k for k in result)
        assert all(isinstance(v, str) for v in result.values())


@SETTINGS
@given(st.one_of(anything, st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=3)))
def test_property_keys_to_delete(value: Any) -> None:
    accepted, result = _refused_or_accepted(lambda: check_keys(value), value)
    if accepted:
        assert all(isinstance(key, str) for key in result)


@SETTINGS
@given(
    st.one_of(
        anything,
        st.from_regex(
            r"\A((linstor|linstor\+ssl|http|https|ftp)://)?(\[[0-9a-f:]{0,12}\]|[a-z0-9.\-@:]{0,20})"
            r"(:[0-9]{0,6})?(/[a-z]{0,3})?\Z"
        ),
        st.lists(st.text(max_size=15), max_size=3),
    )
)
def test_controller_addresses(value: Any) -> None:
    try:
        client = Client(value)
    except InputError as exc:
        assert "controller" in str(exc)
    except Exception as exc:
        pytest.fail(f"Client({value!r}) raised {type(exc).__name__}: {exc}")
    else:
        assert client.controllers
        assert all(url.startswith(("http://", "https://")) for url in client.controllers)
