"""The one size parser and formatter of the project.

Integers are bytes. Strings carry a unit: ``B``, ``S`` (512-byte sectors), binary ``K``/``KiB``,
``M``/``MiB``, ``G``/``GiB``, ``T``/``TiB``, ``P``/``PiB``, or decimal ``kB``/``KB``, ``MB``,
``GB``, ``TB``, ``PB``; any case, optional space, decimals allowed ("1.5 GiB"). LINSTOR's wire
unit is KiB: :func:`to_kib` rounds up so a volume is never smaller than asked.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from aiolinstor._errors import InvalidSizeError

KiB = 1024
MiB = 1024**2
GiB = 1024**3
TiB = 1024**4
PiB = 1024**5

#: The largest size accepted: LINSTOR stores KiB in a signed 64-bit long.
MAX_SIZE = (2**63 - 1) * KiB

_UNITS: dict[str, int] = {
    "": 1,
    "B": 1,
    "S": 512,
    "K": KiB,
    "KI": KiB,
    "KIB": KiB,
    "M": MiB,
    "MI": MiB,
    "MIB": MiB,
    "G": GiB,
    "GI": GiB,
    "GIB": GiB,
    "T": TiB,
    "TI": TiB,
    "TIB": TiB,
    "P": PiB,
    "PI": PiB,
    "PIB": PiB,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "PB": 1000**5,
}

_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*$")

# Units tried by format_size, largest first; each formats exactly with at most two decimals.
_FORMAT_UNITS: tuple[tuple[str, int], ...] = (
    ("PiB", PiB),
    ("PB", 1000**5),
    ("TiB", TiB),
    ("TB", 1000**4),
    ("GiB", GiB),
    ("GB", 1000**3),
    ("MiB", MiB),
    ("MB", 1000**2),
    ("KiB", KiB),
    ("kB", 1000),
)


def parse_size(value: int | str) -> int:
    """Parse a size into bytes; raise InvalidSizeError naming the value when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidSizeError(
            f"size must be an int (bytes) or a string like '10 GiB', got {value!r}"
        )
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE_RE.match(value)
        if match is None:
            raise InvalidSizeError(f"cannot parse size {value!r}: expected e.g. '10 GiB' or '500M'")
        number, unit = match.groups()
        factor = _UNITS.get(unit.upper())
        if factor is None:
            raise InvalidSizeError(
                f"unknown unit {unit!r} in size {value!r}: use B, S, KiB, MiB, GiB, TiB, PiB, "
                "kB, MB, GB, TB or PB"
            )
        try:
            amount = Decimal(number) * factor
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise InvalidSizeError(f"cannot parse size {value!r}") from exc
        size = math.ceil(amount)
    if size <= 0:
        raise InvalidSizeError(f"size must be positive, got {value!r}")
    if size > MAX_SIZE:
        raise InvalidSizeError(f"size {value!r} is larger than LINSTOR can store")
    return size


def to_kib(size_bytes: int) -> int:
    """Bytes to KiB, rounded up (the wire unit of LINSTOR)."""
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes <= 0:
        raise InvalidSizeError(f"size in bytes must be a positive int, got {size_bytes!r}")
    return -(-size_bytes // KiB)


def parse_size_kib(value: int | str) -> int:
    """Parse a size (ints are bytes) and give it in KiB, rounded up."""
    return to_kib(parse_size(value))


def format_size(size_bytes: int) -> str:
    """A human form of a size that :func:`parse_size` reads back to the same bytes.

    The largest unit that shows the size exactly with at most two decimals is used, e.g.
    ``10 GiB``, ``1.5 KiB``, ``10 GB``; otherwise the size is given in bytes.
    """
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes < 0:
        raise InvalidSizeError(f"size in bytes must be a non-negative int, got {size_bytes!r}")
    for name, unit in _FORMAT_UNITS:
        if size_bytes >= unit and (size_bytes * 100) % unit == 0:
            whole, rest = divmod(size_bytes * 100 // unit, 100)
            text = str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
            return f"{text} {name}"
    return f"{size_bytes} B"
