"""How the shared watcher reads the state of the watched resources from a client.

One ``GET /v1/view/resources`` per tick, filtered by ``resources=`` for up to
:data:`MAX_FILTER_NAMES` names. More names do not fit a request line safely; then one
unfiltered request reads every resource of the cluster, which is the cheapest way while the
watched ones are most of the cluster. When an unfiltered read shows the cluster holds more than
twice as many resources as are watched, the watcher reads only the watched ones instead, a
filter's worth per request (those requests run concurrently), until the watched set grows to
half the cluster again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceInfo
    from aiolinstor._watcher import FetchResources

#: Names per ``resources=`` filter (keeps the request line well under common header limits).
MAX_FILTER_NAMES = 100


class ResourceFetcher:
    """The watcher's fetch function for ``client`` (see the module documentation)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        #: Resources in the cluster at the last unfiltered read (None: not read yet).
        self.cluster_size: int | None = None

    async def __call__(self, names: Sequence[str]) -> Sequence[ResourceInfo]:
        if len(names) <= MAX_FILTER_NAMES:
            return await self._client.view_resources(resources=list(names))
        if self.cluster_size is None or self.cluster_size <= 2 * len(names):
            found = await self._client.view_resources()
            self.cluster_size = len({info.name.upper() for info in found})
            return found
        return await self._in_parts(names)

    async def _in_parts(self, names: Sequence[str]) -> list[ResourceInfo]:
        parts = [
            list(names[start : start + MAX_FILTER_NAMES])
            for start in range(0, len(names), MAX_FILTER_NAMES)
        ]
        results: list[list[ResourceInfo]] = [[] for _ in parts]
        errors: list[Exception] = []

        async with anyio.create_task_group() as tg:

            async def read(index: int) -> None:
                try:
                    results[index] = await self._client.view_resources(resources=parts[index])
                except Exception as exc:  # the first failure fails the read, as one request
                    errors.append(exc)
                    tg.cancel_scope.cancel()

            for index in range(len(parts)):
                tg.start_soon(read, index)
        if errors:
            raise errors[0]
        return [info for part in results for info in part]


def resource_fetcher(client: Client) -> FetchResources:
    """A fetch function for :class:`~aiolinstor._watcher.Watcher` reading through ``client``."""
    return ResourceFetcher(client)
