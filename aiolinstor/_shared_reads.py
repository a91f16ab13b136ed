"""Fresh reads shared by the concurrent operations of one client.

Every operation of the high-level API reads state fresh before it decides (does the definition
exist, which replicas are there, which nodes and pools can take a replica). When hundreds of
operations run at once, most of those reads are the same request for different resources, or
the very same request. A :class:`SharedRead` sends at most one request of its kind at a time:
callers that arrive while one is in flight join the *next* request, which is sent as soon as
the current one is answered and carries the names of all of them (up to ``max_names``). A
caller is therefore only ever served by a request sent after it asked (the read is as fresh
as its own request would have been), and a caller alone is served at once.

There is no background task: the first caller of a batch that finds nothing in flight sends
it. If that caller is cancelled, the others of its batch start a new one. An error answer
(after the transport's own retries) fails every caller of that batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import NodeInfo, ResourceDefinitionInfo, ResourceInfo, StoragePoolInfo

T = TypeVar("T")

#: Names per request (keeps the request line well under common header limits).
MAX_NAMES = 100

#: Reads the objects of the given names (all of them when the list is empty).
Fetch = Callable[[list[str]], Awaitable[Sequence[T]]]


class _Abandoned(Exception):
    """The caller sending a batch was cancelled: its callers must send it again."""


class _Batch(Generic[T]):
    """One request being assembled, sent or answered."""

    __slots__ = ("done", "error", "names", "result", "sending")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # upper-cased name -> name as first asked for
        self.sending = False
        self.done = anyio.Event()
        self.result: Sequence[T] = ()
        self.error: BaseException | None = None


class SharedRead(Generic[T]):
    """Single-flight, batching reads of one kind (see the module documentation).

    ``name_of`` gives an object's name, by which each caller's answer is filtered; without it
    every caller gets the whole answer (a read of a cluster-wide list, such as the nodes).
    """

    def __init__(
        self,
        fetch: Fetch[T],
        name_of: Callable[[T], str] | None = None,
        *,
        max_names: int = MAX_NAMES,
    ) -> None:
        self._fetch = fetch
        self._name_of = name_of
        self._max_names = max_names
        self._pending: _Batch[T] | None = None
        self._in_flight: _Batch[T] | None = None
        #: Requests sent, and reads served: their difference is what sharing saved.
        self.requests = 0
        self.reads = 0

    async def read(self, names: Iterable[str] = ()) -> list[T]:
        """The objects of ``names`` (everything when this read is not by name), read by a
        request sent after this call began."""
        wanted = {name.upper(): name for name in names}
        if self._name_of is not None and not wanted:
            raise ValueError("a read by name needs at least one name")
        self.reads += 1
        while True:
            batch = self._join(wanted)
            while not batch.done.is_set():
                if batch.sending:
                    await batch.done.wait()
                elif self._in_flight is not None:
                    await self._in_flight.done.wait()
                else:
                    await self._send(batch)
            if isinstance(batch.error, _Abandoned):
                continue
            if batch.error is not None:
                raise batch.error
            name_of = self._name_of
            if name_of is None:
                return list(batch.result)
            return [item for item in batch.result if name_of(item).upper() in wanted]

    def _join(self, wanted: dict[str, str]) -> _Batch[T]:
        batch = self._pending
        if batch is None or len(batch.names.keys() | wanted.keys()) > self._max_names:
            batch = self._pending = _Batch()
        for key, name in wanted.items():
            batch.names.setdefault(key, name)
        return batch

    async def _send(self, batch: _Batch[T]) -> None:
        if self._pending is batch:
            self._pending = None
        batch.sending = True
        self._in_flight = batch
        self.requests += 1
        try:
            batch.result = await self._fetch(list(batch.names.values()))
        except Exception as exc:
            batch.error = exc
        except BaseException:
            batch.error = _Abandoned()
            raise
        finally:
            self._in_flight = None
            batch.done.set()


class SharedReads:
    """The shared reads of one client: definitions and replicas by resource, nodes, pools."""

    def __init__(self, client: Client) -> None:
        self.definitions: SharedRead[ResourceDefinitionInfo] = SharedRead(
            lambda names: client.list_resource_definitions(names, with_volume_definitions=True),
            lambda info: info.name,
        )
        self.replicas: SharedRead[ResourceInfo] = SharedRead(
            lambda names: client.view_resources(resources=names), lambda info: info.name
        )
        self.nodes: SharedRead[NodeInfo] = SharedRead(lambda _: client.list_nodes())
        self.storage_pools: SharedRead[StoragePoolInfo] = SharedRead(
            lambda _: client.list_storage_pools()
        )

    @property
    def requests(self) -> int:
        """Requests sent by all shared reads of the client."""
        kinds = (self.definitions, self.replicas, self.nodes, self.storage_pools)
        return sum(kind.requests for kind in kinds)

    @property
    def reads(self) -> int:
        """Reads served by all shared reads of the client."""
        kinds = (self.definitions, self.replicas, self.nodes, self.storage_pools)
        return sum(kind.reads for kind in kinds)


def shared_reads(client: Client) -> SharedReads:
    """The shared reads of ``client`` (made on first use, kept by the client)."""
    reads = client._shared_reads
    if reads is None:
        reads = client._shared_reads = SharedReads(client)
    return reads
