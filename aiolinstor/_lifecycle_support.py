"""Helpers shared by the lifecycle modules (snapshots, restore, clone, groups): the deadline of
one operation, the wait for a resource through the client's shared watcher, and errors raised
before any write in the controller's own shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import anyio

from aiolinstor import _apicallrc as rc
from aiolinstor._errors import ApiCallError
from aiolinstor._waits import resolve_timeout, wait_until, watcher_for

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._waits import Condition

E = TypeVar("E", bound=Exception)


def start_budget(client: Client, timeout: float | None) -> tuple[float, float]:
    """``(deadline, budget)`` of an operation: its whole time, from now."""
    budget = resolve_timeout(client, timeout)
    return anyio.current_time() + budget, budget


def time_left(deadline: float) -> float:
    return max(deadline - anyio.current_time(), 0.0)


async def wait_resource(
    client: Client,
    name: str,
    condition: Condition,
    operation: str,
    deadline: float,
    budget: float,
) -> None:
    """Wait through the client's shared watcher until ``condition`` holds for ``name``."""
    await wait_until(
        watcher_for(client),
        [name],
        condition,
        within=time_left(deadline),
        resource=name,
        operation=operation,
        reported_timeout=budget,
    )


def refused(
    error: type[ApiCallError], const: int, message: str, method: str, path: str
) -> ApiCallError:
    """An ApiCallError raised before any write (like the controller would answer)."""
    entry = rc.ApiCallRc(ret_code=rc.make_ret_code(const), message=message)
    exc = error(rc.ApiCallRcList([entry]), 0, method, path)
    exc.args = (message,)
    return exc


def failed_step(exc: E, what: str, step: str) -> E:
    """``exc`` (same class, same attributes) with a message naming the step that failed."""
    exc.args = (f"{what}: step '{step}' failed: {exc}",)
    return exc
