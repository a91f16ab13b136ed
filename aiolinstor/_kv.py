"""LINSTOR's key-value store as an async mapping-like object.

``KV(name, namespace="/a/b/")`` is a view of one store instance, restricted to keys under the
namespace (like a directory). Keys and values are strings. Reads go to the controller every
time, unless ``cache=True``: then the store is read once (or on :meth:`KV.refresh`) and writes
keep the cached copy up to date. Writes are always sent at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, overload

from aiolinstor._client import resolve_client
from aiolinstor._errors import InputError

if TYPE_CHECKING:
    from aiolinstor._client import Client

logger = logging.getLogger("aiolinstor")


def _normalize_namespace(namespace: str) -> str:
    """``"a/b"``, ``"/a/b/"`` -> ``"/a/b/"``; ``""`` or ``"/"`` -> ``"/"``."""
    if not isinstance(namespace, str):
        raise InputError(f"namespace must be a string like '/a/b/', got {namespace!r}")
    parts = [part for part in namespace.strip().split("/") if part]
    return "/" + "".join(f"{part}/" for part in parts)


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip("/ "):
        raise InputError(f"key must be a non-empty string, got {key!r}")
    return key.strip("/")


def _check_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise InputError(f"value of key {key!r} must be a string, got {value!r}")
    return value


class KV:
    """One namespace of a LINSTOR key-value store instance."""

    def __init__(
        self,
        name: str,
        namespace: str = "/",
        client: Client | None = None,
        *,
        cache: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name or "/" in name:
            raise InputError(f"invalid key-value store name {name!r}")
        self._name = name
        self._namespace = _normalize_namespace(namespace)
        self._client = client
        self._cache_enabled = bool(cache)
        self._cached: dict[str, str] | None = None

    def __repr__(self) -> str:
        mode = "cached" if self._cache_enabled else "uncached"
        return f"<KV {self._name!r} namespace={self._namespace!r} {mode}>"

    @property
    def name(self) -> str:
        """The store's name (an instance of the controller's key-value store)."""
        return self._name

    @property
    def namespace(self) -> str:
        """The namespace keys live under, e.g. ``"/a/b/"`` (``"/"``: the whole store)."""
        return self._namespace

    @property
    def client(self) -> Client | None:
        """The client given at construction (None: the current client is used)."""
        return self._client

    # --- reading ------------------------------------------------------------------------------
    async def refresh(self) -> KV:
        """Read the store again (with ``cache=True``: renew the cached copy)."""
        self._cached = await self._fetch()
        return self

    async def to_dict(self) -> dict[str, str]:
        """Every key of the namespace (relative to it) with its value."""
        return dict(await self._entries())

    @overload
    async def get(self, key: str) -> str | None: ...

    @overload
    async def get(self, key: str, default: str) -> str: ...

    async def get(self, key: str, default: str | None = None) -> str | None:
        """The value of ``key`` in the namespace, or ``default``."""
        return (await self._entries()).get(_check_key(key), default)

    async def contains(self, key: str) -> bool:
        """True when ``key`` is set, read fresh unless caching is on."""
        return _check_key(key) in await self._entries()

    async def keys(self) -> list[str]:
        """Every key under the namespace, sorted."""
        return sorted(await self._entries())

    async def items(self) -> AsyncIterator[tuple[str, str]]:
        """``async for key, value in kv.items()``: the namespace's entries, sorted by key."""
        for key, value in sorted((await self._entries()).items()):
            yield key, value

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iter_keys()

    async def _iter_keys(self) -> AsyncIterator[str]:
        for key in await self.keys():
            yield key

    # --- writing ------------------------------------------------------------------------------
    async def set(self, key: str, value: str) -> None:
        """Set one key (created if missing)."""
        key = _check_key(key)
        await self.update({key: _check_value(key, value)})

    async def update(self, values: Mapping[str, str]) -> None:
        """Set several keys in one request."""
        if not isinstance(values, Mapping):
            raise InputError(f"values must be a mapping of strings, got {values!r}")
        checked = {_check_key(k): _check_value(str(k), v) for k, v in values.items()}
        if not checked:
            return
        full = {self._full(key): value for key, value in checked.items()}
        await self._write(override_props=full)
        if self._cached is not None:
            self._cached.update({k.lstrip("/"): v for k, v in full.items()})

    async def delete(self, key: str) -> None:
        """Remove one key; a missing key is not an error."""
        await self.delete_many([key])

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys in one request; missing ones are ignored."""
        if isinstance(keys, str):
            raise InputError(f"keys must be a list of keys, not the string {keys!r}")
        full = [self._full(_check_key(k)) for k in keys]
        if not full:
            return
        await self._write(delete_props=full)
        if self._cached is not None:
            for key in full:
                self._cached.pop(key.lstrip("/"), None)

    async def clear(self) -> None:
        """Remove every key of the namespace (the whole store when the namespace is ``/``)."""
        keys = list(await self._entries())
        await self.delete_many(keys)

    # --- internals ----------------------------------------------------------------------------
    def _resolve(self) -> Client:
        return resolve_client(self._client)

    async def _write(
        self, *, override_props: dict[str, str] | None = None, delete_props: list[str] | None = None
    ) -> None:
        """Send one change. If it fails or is cancelled, whether it applied is unknown: the
        cached copy is dropped, so the next read fetches the store again."""
        try:
            await self._resolve().modify_kv_store(
                self._name, override_props=override_props, delete_props=delete_props
            )
        except BaseException:
            self._cached = None
            raise

    def _full(self, key: str) -> str:
        return self._namespace + key

    async def _fetch(self) -> dict[str, str]:
        """The whole instance as the controller lists it (keys without a leading ``/``)."""
        props = await self._resolve().get_kv_store(self._name)
        return {key.lstrip("/"): value for key, value in props.items()}

    async def _entries(self) -> dict[str, str]:
        if self._cache_enabled:
            if self._cached is None:
                self._cached = await self._fetch()
            store = self._cached
        else:
            store = await self._fetch()
        prefix = self._namespace.lstrip("/")
        return {key[len(prefix) :]: value for key, value in store.items() if key.startswith(prefix)}


__all__ = ["KV"]
