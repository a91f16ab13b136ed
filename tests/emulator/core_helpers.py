"""Helpers of the emulator core tests (imported by conftest.py and the test_core_* modules)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from aiolinstor import _apicallrc as rc


class FakeClock:
    """A clock tests move by hand (satellite progress depends only on it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CoreApi:
    """Thin JSON helper over the test client: ``status, body = await api.post(path, body)``."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    async def call(
        self, method: str, path: str, body: Any = None, *, raw: str | None = None
    ) -> tuple[int, Any]:
        if raw is not None:
            response = await self.client.request(
                method, path, data=raw, headers={"Content-Type": "application/json"}
            )
        else:
            response = await self.client.request(method, path, json=body)
        text = await response.text()
        return response.status, (await response.json() if text else None)

    async def get(self, path: str) -> tuple[int, Any]:
        return await self.call("GET", path)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body, **kw)

    async def put(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("PUT", path, body, **kw)

    async def delete(self, path: str) -> tuple[int, Any]:
        return await self.call("DELETE", path)


def has(entries: list[dict[str, Any]], const: int) -> bool:
    """Some entry is ``const`` on the type and code bits."""
    return any(rc.matches(e["ret_code"], const) for e in entries)


def first_error(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in entries if rc.severity(e["ret_code"]) is rc.Severity.ERROR)
