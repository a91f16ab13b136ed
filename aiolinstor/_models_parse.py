"""Strict-but-tolerant readers for controller JSON, shared by the models.

The controller omits empty fields (Jackson NON_EMPTY), so a missing key means "empty" or
"unknown"; a key holding the wrong JSON type means the answer broke the API's promise and raises
ProtocolError naming the model and the field.

The hot models (those of every poll and listing) also have a *fast path*: plain dict lookups
with inline type checks and no reader object per JSON object. It accepts only well-formed
input; on anything else it raises :class:`Unexpected` (or fails some other way) and the model
parses again with :class:`JsonReader`, which raises the ProtocolError naming the field, so both
paths accept exactly the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiolinstor._errors import ProtocolError

M = TypeVar("M")


class Unexpected(Exception):
    """A fast path met something it does not handle: parse with the strict reader instead."""


def fast_or_strict(fast: Callable[[Any], M], strict: Callable[[object], M], data: object) -> M:
    """``fast(data)``, or ``strict(data)`` when the fast path gives up or fails."""
    try:
        return fast(data)
    except Exception:  # Unexpected, or a shape the fast path did not foresee
        return strict(data)


def opt_str(value: Any) -> str | None:
    """``value`` when it is a string or None (absent), else :class:`Unexpected`."""
    if value is None or type(value) is str:
        return value
    raise Unexpected


def opt_int(value: Any) -> int | None:
    """``value`` when it is an integer (not a boolean) or None, else :class:`Unexpected`."""
    if value is None or type(value) is int:
        return value
    raise Unexpected


def opt_bool(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise Unexpected


def opt_dict(value: Any) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise Unexpected


def str_tuple(value: Any) -> tuple[str, ...]:
    """A list of strings as a tuple (None: empty)."""
    if value is None:
        return ()
    if type(value) is list:
        for item in value:
            if type(item) is not str:
                raise Unexpected
        return tuple(value)
    raise Unexpected


def str_dict(value: Any) -> dict[str, str]:
    """An object of strings, copied (None: empty)."""
    if value is None:
        return {}
    if type(value) is dict:
        for item in value.values():
            if type(item) is not str:
                raise Unexpected
        return dict(value)
    raise Unexpected


def dict_list(value: Any) -> list[dict[str, Any]]:
    """A list of objects (None: empty)."""
    if value is None:
        return []
    if type(value) is list:
        for item in value:
            if type(item) is not dict:
                raise Unexpected
        return value
    raise Unexpected


class JsonReader:
    """Typed access to one JSON object of a known model."""

    __slots__ = ("data", "model")

    def __init__(self, model: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ProtocolError(f"{model} must be a JSON object, got {_show(data)}")
        self.model = model
        self.data: dict[str, Any] = data

    def _bad(self, key: str, expected: str, value: object) -> ProtocolError:
        return ProtocolError(f"{self.model}.{key} must be {expected}, got {_show(value)}")

    def _missing(self, key: str) -> ProtocolError:
        return ProtocolError(f"{self.model}.{key} is missing")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self._bad(key, "a string", value)
        return value

    def req_text(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self._missing(key)
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bad(key, "an integer", value)
        return value

    def req_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self._missing(key)
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._bad(key, "a number", value)
        return float(value)

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._bad(key, "a boolean", value)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a list of strings", value)
        return tuple(value)

    def text_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._bad(key, "an object of strings", value)
        return dict(value)

    def obj(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._bad(key, "an object", value)
        return value

    def obj_list(self, key: str) -> list[dict[str, Any]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._bad(key, "a list of objects", value)
        return value

    def child(self, key: str, model: str) -> JsonReader | None:
        value = self.obj(key)
        return None if value is None else JsonReader(f"{self.model}.{model}", value)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def expect_list(value: object, what: str) -> list[Any]:
    """A JSON list, or ProtocolError naming what was expected."""
    if not isinstance(value, list):
        raise ProtocolError(f"expected a JSON list of {what}, got {_show(value)}")
    return value
