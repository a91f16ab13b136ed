"""The one size parser: units, rounding, refusals, and the formatter's round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiolinstor._errors import InputError, InvalidSizeError
from aiolinstor._sizes import GiB, KiB, MiB, TiB, format_size, parse_size, parse_size_kib, to_kib


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (1, 1),
        (4096, 4096),
        ("4096", 4096),
        ("1B", 1),
        ("1 S", 512),
        ("2s", 1024),
        ("1K", KiB),
        ("1k", KiB),
        ("1 KiB", KiB),
        ("1kib", KiB),
        ("1Ki", KiB),
        ("10M", 10 * MiB),
        ("10 MiB", 10 * MiB),
        ("1.5 GiB", 3 * GiB // 2),
        ("1.5GiB", 3 * GiB // 2),
        ("  2 TiB ", 2 * TiB),
        ("1 P", 1024**5),
        ("1 kB", 1000),
        ("1 KB", 1000),
        ("1kb", 1000),
        ("10 GB", 10 * 1000**3),
        ("10 gb", 10 * 1000**3),
        ("3 TB", 3 * 1000**4),
        ("1 PB", 1000**5),
        (".5 KiB", 512),
        ("0.1 B", 1),  # fractions of a byte round up
    ],
)
def test_parse_size_accepts_every_documented_unit(text: int | str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "GiB", "abc", "10 XB", "1e3", "-1 GiB", "0", "0 GiB", "nan", "inf", "1,5 GiB", "10 G B"],
)
def test_parse_size_refuses_bad_strings_naming_them(bad: str) -> None:
    with pytest.raises(InvalidSizeError) as info:
        parse_size(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [0, -1, True, False, 1.5, float("nan"), None, [1]])
def test_parse_size_refuses_bad_values(bad: object) -> None:
    with pytest.raises(InvalidSizeError, match="size"):
        parse_size(bad)  # type: ignore[arg-type]


def test_size_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        parse_size("ten gigs")
    assert issubclass(InvalidSizeError, InputError)


def test_parse_size_refuses_what_linstor_cannot_store() -> None:
    with pytest.raises(InvalidSizeError, match="larger"):
        parse_size("100000000 PiB")


def test_to_kib_rounds_up() -> None:
    assert to_kib(1) == 1
    assert to_kib(1024) == 1
    assert to_kib(1025) == 2
    assert parse_size_kib("10 GB") == math.ceil(10 * 1000**3 / 1024)
    assert parse_size_kib("1 GiB") == 1024 * 1024
    with pytest.raises(InvalidSizeError):
        to_kib(0)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (10 * GiB, "10 GiB"),
        (1536, "1.5 KiB"),
        (10 * 1000**3, "10 GB"),
        (1000, "1 kB"),
        (512, "512 B"),
        (0, "0 B"),
        (3 * GiB // 4 * 5, "3.75 GiB"),
    ],
)
def test_format_size_is_readable(size: int, text: str) -> None:
    assert format_size(size) == text


@given(st.integers(min_value=1, max_value=2**62))
def test_format_then_parse_round_trips(size: int) -> None:
    assert parse_size(format_size(size)) == size


@given(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from(["B", "S", "KiB", "MiB", "GiB", "TiB", "kB", "MB", "GB", "TB", "k", "g"]),
)
def test_parse_size_never_escapes_with_an_untyped_error(number: object, unit: str) -> None:
    text = f"{number} {unit}"
    try:
        size = parse_size(text)
    except InvalidSizeError:
        return
    assert size > 0
