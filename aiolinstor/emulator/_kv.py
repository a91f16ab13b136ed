"""The controller's key-value store (``/v1/key-value-store``), kept in memory.

Instances are named case-insensitively and keep the case they were created with. Keys are
stored without a leading ``/``: LINSTOR lists ``/a/k`` as ``a/k``, and LINBIT's python-linstor
``KV`` class relies on that (it adds the ``/`` back when reading).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from aiolinstor import _apicallrc as rc
from aiolinstor.emulator._bodies import BodyError, props_modify, read_object
from aiolinstor.emulator._rc import entry, json_response, parse_error_response

__all__ = ["KeyValueStore", "add_kv_routes"]


def _norm_key(key: str) -> str:
    return key.lstrip("/")


class KeyValueStore:
    """Key-value store instances: name -> props."""

    def __init__(self) -> None:
        self._instances: dict[str, tuple[str, dict[str, str]]] = {}

    def clear(self) -> None:
        self._instances.clear()

    def names(self) -> list[str]:
        return [name for name, _ in self._instances.values()]

    def get(self, name: str) -> dict[str, str] | None:
        """The props of instance ``name`` (a copy), or None when it does not exist."""
        found = self._instances.get(name.upper())
        return dict(found[1]) if found is not None else None

    def modify(
        self,
        name: str,
        override_props: dict[str, str] | None = None,
        delete_props: list[str] | None = None,
        delete_namespaces: list[str] | None = None,
    ) -> None:
        """Create the instance if needed, then apply deletions and overrides."""
        _, props = self._instances.setdefault(name.upper(), (name, {}))
        for key in delete_props or ():
            props.pop(_norm_key(key), None)
        for namespace in delete_namespaces or ():
            prefix = _norm_key(namespace).rstrip("/") + "/"
            for key in [k for k in props if k.startswith(prefix)]:
                del props[key]
        for key, value in (override_props or {}).items():
            props[_norm_key(key)] = value

    def delete(self, name: str) -> bool:
        """Delete an instance; False when it did not exist."""
        return self._instances.pop(name.upper(), None) is not None

    def to_json(self, name: str | None = None) -> list[dict[str, Any]]:
        """Instances as ``KeyValueStore`` JSON objects (empty ``props`` left out)."""
        out: list[dict[str, Any]] = []
        for display, props in self._instances.values():
            if name is not None and display.upper() != name.upper():
                continue
            item: dict[str, Any] = {"name": display}
            if props:
                item["props"] = dict(sorted(props.items()))
            out.append(item)
        return out


def add_kv_routes(app: web.Application, store: KeyValueStore) -> None:
    """Serve ``/v1/key-value-store[/{instance}]`` from ``store``."""

    async def list_all(request: web.Request) -> web.Response:
        return json_response(store.to_json())

    async def list_one(request: web.Request) -> web.Response:
        name = request.match_info["instance"]
        found = store.to_json(name)
        if not found:
            return json_response(
                [
                    entry(
                        rc.FAIL_NOT_FOUND_KVS, f"Could not find key value store instance '{name}'."
                    )
                ],
                404,
            )
        return json_response(found)

    async def modify(request: web.Request) -> web.Response:
        name = request.match_info["instance"]
        try:
            body = await read_object(request, "PropsModify")
        except BodyError as exc:
            return parse_error_response(exc.details, synchronous=True)
        override, delete_props, delete_namespaces = props_modify(body)
        store.modify(name, override, delete_props, delete_namespaces)
        return json_response(
            [
                entry(
                    rc.MODIFIED,
                    f"Key value store '{name}' modified.",
                    op=rc.MASK_MOD,
                    obj=rc.MASK_KVS,
                    obj_refs={"KvsName": name},
                )
            ]
        )

    async def delete(request: web.Request) -> web.Response:
        name = request.match_info["instance"]
        if store.delete(name):
            answer = entry(
                rc.DELETED,
                f"Key value store '{name}' deleted.",
                op=rc.MASK_DEL,
                obj=rc.MASK_KVS,
                obj_refs={"KvsName": name},
            )
        else:
            answer = entry(
                rc.WARN_NOT_FOUND,
                f"Key value store '{name}' not found.",
                op=rc.MASK_DEL,
                obj=rc.MASK_KVS,
            )
        return json_response([answer])

    app.router.add_get("/v1/key-value-store", list_all, allow_head=False)
    app.router.add_get("/v1/key-value-store/{instance}", list_one, allow_head=False)
    app.router.add_put("/v1/key-value-store/{instance}", modify)
    app.router.add_delete("/v1/key-value-store/{instance}", delete)
