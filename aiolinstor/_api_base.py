"""Shared plumbing of the low-level REST API: paths, query filters, bodies, decoding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from aiolinstor._apicallrc import ApiCallRc, ApiCallRcList, make_ret_code
from aiolinstor._errors import InputError, InvalidSizeError, NotFoundError, ProtocolError
from aiolinstor._models_parse import expect_list
from aiolinstor._transport import NO_BODY, Params, Transport

T = TypeVar("T")

MAX_SIZE_KIB = 2**63 - 1


def seg(value: str) -> str:
    """One path segment, percent-encoded (names are checked before, this is defence in depth)."""
    if not isinstance(value, str) or not value:
        raise InputError(f"path segment must be a non-empty string, got {value!r}")
    return quote(value, safe="")


def str_list(name: str, values: Iterable[str] | None) -> list[str] | None:
    """A list of strings from a caller's iterable (a bare string is refused, not split)."""
    if values is None:
        return None
    if isinstance(values, str):
        raise InputError(f"{name} must be a list of strings, not the string {values!r}")
    given: object = values  # callers without type checking pass anything
    if isinstance(given, (bytes, bytearray)) or not isinstance(given, Iterable):
        raise InputError(f"{name} must be a list of strings, got {values!r}")
    items = list(values)
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{name} must contain strings, got {item!r}")
    return items


def str_map(name: str, values: Mapping[str, str] | None) -> dict[str, str] | None:
    """A str -> str dict from a caller's mapping, naming the first bad key or value."""
    if values is None:
        return None
    if not isinstance(values, Mapping):
        raise InputError(f"{name} must be a mapping of strings, got {values!r}")
    out: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InputError(f"{name} must map strings to strings, got {key!r}: {value!r}")
        out[key] = value
    return out


def size_kib(name: str, value: int) -> int:
    """A positive size in KiB (the wire unit)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSizeError(f"{name} must be an integer number of KiB, got {value!r}")
    if not 0 < value <= MAX_SIZE_KIB:
        raise InvalidSizeError(f"{name} must be between 1 and {MAX_SIZE_KIB} KiB, got {value!r}")
    return value


def not_found(path: str, const: int | None = None, message: str | None = None) -> NotFoundError:
    """A NotFoundError for an object the controller listed as absent (empty answer)."""
    entries: tuple[ApiCallRc, ...] = ()
    if const is not None:
        text = message or f"{path} not found."
        entries = (ApiCallRc(ret_code=make_ret_code(const), message=text),)
    return NotFoundError(ApiCallRcList(entries, 404), 404, "GET", path)


def filters(**lists: Iterable[str] | None) -> Params:
    """Repeated query parameters (``nodes=a&nodes=b``) for list filters."""
    params: list[tuple[str, str]] = []
    for key, values in lists.items():
        for value in str_list(key, values) or ():
            params.append((key, value))
    return params


def modify_body(
    override_props: Mapping[str, str] | None = None,
    delete_props: Iterable[str] | None = None,
    delete_namespaces: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The common ``*Modify`` body; empty parts are left out, as unknown fields are refused."""
    body: dict[str, Any] = {}
    override = str_map("override_props", override_props)
    if override:
        body["override_props"] = override
    deleted = str_list("delete_props", delete_props)
    if deleted:
        body["delete_props"] = deleted
    namespaces = str_list("delete_namespaces", delete_namespaces)
    if namespaces:
        body["delete_namespaces"] = namespaces
    return body


def put_if(body: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` only when ``value`` is given (the controller omits empties, so do we)."""
    if value is not None:
        body[key] = value


class ApiBase:
    """Holds the transport and the helpers every endpoint method uses."""

    _transport: Transport

    async def _get(self, path: str, params: Params | None = None) -> Any:
        answer = await self._transport.request("GET", path, params=params)
        return answer.data

    async def _get_list(
        self,
        path: str,
        parse: Callable[[object], T],
        what: str,
        params: Params | None = None,
    ) -> list[T]:
        data = await self._get(path, params)
        try:
            return [parse(item) for item in expect_list([] if data is None else data, what)]
        except ProtocolError as exc:
            raise ProtocolError(f"GET {path}: {exc}") from None

    async def _get_one(self, path: str, parse: Callable[[object], T], what: str) -> T:
        """A single object; some endpoints answer a one-element list, an empty one is 404."""
        data = await self._get(path)
        if isinstance(data, list):
            if not data:
                raise not_found(path)
            data = data[0]
        if data is None:
            raise not_found(path)
        try:
            return parse(data)
        except ProtocolError as exc:
            raise ProtocolError(f"GET {path}: {exc}") from None

    async def _call(
        self,
        method: str,
        path: str,
        body: Any = NO_BODY,
        params: Sequence[tuple[str, str]] | None = None,
    ) -> ApiCallRcList:
        return await self._transport.call(method, path, params=params, json_body=body)
