"""Name checks by LINSTOR's rules, before any request."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiolinstor._errors import InvalidNameError
from aiolinstor._names import (
    check_node_name,
    check_resource_group_name,
    check_resource_name,
    check_snapshot_name,
    check_storage_pool_name,
    check_volume_number,
    is_valid_resource_name,
)


@pytest.mark.parametrize("name", ["foo", "_x", "pvc-1234", "A1", "a" * 48, "Foo_Bar-9"])
def test_good_resource_names_pass_unchanged(name: str) -> None:
    assert check_resource_name(name) == name
    assert check_snapshot_name(name) == name
    assert check_resource_group_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["a", "a" * 49, "1abc", "-abc", "ab c", "ab.c", "__", "_1", "f\u00f6o", "", "all", "PROXY"],
)
def test_bad_resource_names_are_named_in_the_error(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        check_resource_name(name)
    assert repr(name) in str(info.value)
    assert not is_valid_resource_name(name)


def test_reserved_names_are_only_reserved_for_resources() -> None:
    assert check_snapshot_name("all") == "all"


@pytest.mark.parametrize("bad", [None, 12, b"foo"])
def test_names_must_be_strings(bad: object) -> None:
    with pytest.raises(InvalidNameError, match="string"):
        check_resource_name(bad)


@pytest.mark.parametrize("name", ["DfltStorPool", "pool1", "lvm-thin", "0ab"])
def test_storage_pool_names(name: str) -> None:
    assert check_storage_pool_name(name) == name


@pytest.mark.parametrize("name", ["ab", "-pool", "p p", "x" * 49])
def test_bad_storage_pool_names(name: str) -> None:
    with pytest.raises(InvalidNameError):
        check_storage_pool_name(name)


@pytest.mark.parametrize("name", ["node-1", "alpha", "n1.example.com", "10-0-0-1", "A" * 63])
def test_node_names_follow_rfc1123(name: str) -> None:
    assert check_node_name(name) == name


@pytest.mark.parametrize(
    "name", ["a", "-node", "node-", "no_de", "a..b", ".a", "a" * 64, "x" * 256, "n\u00e9"]
)
def test_bad_node_names(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        check_node_name(name)
    assert "node" in str(info.value)


@pytest.mark.parametrize("number", [0, 1, 65534])
def test_volume_numbers(number: int) -> None:
    assert check_volume_number(number) == number


@pytest.mark.parametrize("number", [-1, 65535, True, "0", 1.0])
def test_bad_volume_numbers(number: object) -> None:
    with pytest.raises(InvalidNameError):
        check_volume_number(number)


@given(st.text(max_size=60))
def test_name_checks_only_raise_invalid_name(name: str) -> None:
    for check in (check_resource_name, check_node_name, check_storage_pool_name):
        with contextlib.suppress(InvalidNameError):
            assert check(name) == name
