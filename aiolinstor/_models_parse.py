"""Strict-but-tolerant readers for controller JSON, shared by the models.

The controller omits empty fields (Jackson NON_EMPTY), so a missing key means "empty" or
"unknown"; a key holding the wrong JSON type means the answer broke the API's promise and raises
ProtocolError naming the model and the field.
"""

from __future__ import annotations

from typing import Any

from aiolinstor._errors import ProtocolError


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
