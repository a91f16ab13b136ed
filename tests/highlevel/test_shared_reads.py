"""Fresh reads shared by concurrent operations: batching, freshness, errors, cancellation."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
import anyio.lowlevel
import pytest
from hl_helpers import definitions

from aiolinstor._client import Client
from aiolinstor._errors import ConnectError
from aiolinstor._resource import Resource
from aiolinstor._shared_reads import SharedRead, shared_reads
from aiolinstor._volume import Volume
from aiolinstor._waits import watcher_for
from aiolinstor.emulator import Emulator


@dataclass(frozen=True)
class Item:
    name: str
    #: Which request served it (1 = the first one sent).
    request: int


@dataclass
class FakeFetch:
    """Answers every asked name (and one more); requests stay in flight until ``release``
    is set, and request number ``hold`` until ``held`` is set as well."""

    sent: list[list[str]] = field(default_factory=list)
    release: anyio.Event = field(default_factory=anyio.Event)
    fail: list[Exception] = field(default_factory=list)
    hold: int = 0
    held: anyio.Event = field(default_factory=anyio.Event)

    async def __call__(self, names: list[str]) -> Sequence[Item]:
        self.sent.append(list(names))
        number = len(self.sent)
        await self.release.wait()
        if number == self.hold:
            await self.held.wait()
        if self.fail:
            raise self.fail.pop(0)
        return [Item(name, number) for name in names] + [Item("someone-else", number)]


async def settle() -> None:
    for _ in range(10):
        await anyio.lowlevel.checkpoint()


async def test_a_caller_alone_is_served_at_once() -> None:
    fetch = FakeFetch()
    fetch.release.set()
    read = SharedRead(fetch, lambda item: item.name)
    assert await read.read(["a"]) == [Item("a", 1)]
    assert await read.read(["A"]) == [Item("A", 2)]
    assert fetch.sent == [["a"], ["A"]]
    assert (read.requests, read.reads) == (2, 2)


async def test_callers_arriving_during_a_request_share_the_next_one() -> None:
    fetch = FakeFetch()
    read = SharedRead(fetch, lambda item: item.name)
    results: dict[str, list[Item]] = {}

    async def one(name: str) -> None:
        results[name] = await read.read([name])

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "a")
        await settle()  # "a" is in flight
        for name in ("b", "c", "b"):
            tg.start_soon(one, name)
        await settle()
        assert fetch.sent == [["a"]]  # the others wait: what is in flight predates them
        fetch.release.set()
    # one more request served b and c, each seeing only its own names
    assert fetch.sent == [["a"], ["b", "c"]]
    assert results == {"a": [Item("a", 1)], "b": [Item("b", 2)], "c": [Item("c", 2)]}
    assert (read.requests, read.reads) == (2, 4)


async def test_a_batch_carries_at_most_max_names() -> None:
    fetch = FakeFetch()
    read = SharedRead(fetch, lambda item: item.name, max_names=2)
    async with anyio.create_task_group() as tg:
        tg.start_soon(read.read, ["a"])
        await settle()
        for name in ("b", "c", "d", "e", "f"):
            tg.start_soon(read.read, [name])
        await settle()
        fetch.release.set()
    assert fetch.sent[0] == ["a"]
    assert sorted(len(names) for names in fetch.sent[1:]) == [1, 2, 2]
    assert sorted(n for names in fetch.sent[1:] for n in names) == ["b", "c", "d", "e", "f"]


async def test_a_whole_list_read_is_shared_and_needs_no_names() -> None:
    fetch = FakeFetch()
    read: SharedRead[Item] = SharedRead(fetch)
    results: list[list[Item]] = []

    async def one() -> None:
        results.append(await read.read())

    async with anyio.create_task_group() as tg:
        tg.start_soon(one)
        await settle()
        tg.start_soon(one)
        tg.start_soon(one)
        await settle()
        fetch.release.set()
    assert len(fetch.sent) == 2
    assert sorted(len(r) for r in results) == [1, 1, 1]  # no filter: the whole answer
    with pytest.raises(ValueError, match="at least one name"):
        await SharedRead(fetch, lambda item: item.name).read([])


async def test_an_error_fails_its_batch_only() -> None:
    fetch = FakeFetch(fail=[ConnectError("controller gone")])
    read = SharedRead(fetch, lambda item: item.name)
    outcomes: dict[str, object] = {}

    async def one(name: str) -> None:
        try:
            outcomes[name] = await read.read([name])
        except ConnectError as exc:
            outcomes[name] = exc

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "a")
        await settle()
        tg.start_soon(one, "b")
        await settle()
        fetch.release.set()
    assert isinstance(outcomes["a"], ConnectError)
    assert outcomes["b"] == [Item("b", 2)]


async def test_a_cancelled_sender_leaves_the_others_served() -> None:
    fetch = FakeFetch(hold=2)  # the batch (b, c) stays in flight
    read = SharedRead(fetch, lambda item: item.name)
    results: dict[str, list[Item]] = {}
    sender = anyio.CancelScope()

    async def one(name: str) -> None:
        results[name] = await read.read([name])

    async def cancelled(name: str) -> None:
        with sender:
            await one(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "a")
        await settle()
        tg.start_soon(cancelled, "b")  # the first of the next batch: it sends it
        await settle()
        tg.start_soon(one, "c")
        await settle()
        fetch.release.set()
        await settle()
        assert fetch.sent == [["a"], ["b", "c"]]
        sender.cancel()
        await settle()
        fetch.held.set()
    # "c" sent its read again, alone, once the cancelled request was abandoned
    assert fetch.sent == [["a"], ["b", "c"], ["c"]]
    assert results == {"a": [Item("a", 1)], "c": [Item("c", 3)]}


@pytest.mark.emulator_only
async def test_concurrent_operations_share_their_reads(emu: Emulator, client: Client) -> None:
    names = [f"vol{i:02d}" for i in range(20)]

    async def place(name: str) -> None:
        res = Resource(name, client=client)
        res.volumes[0] = Volume("16 MiB")
        res.placement.redundancy = 2
        await res.autoplace()
        await res.refresh()
        assert len(res.diskful_nodes) == 2 and res.volumes[0].exists

    async with anyio.create_task_group() as tg:
        for name in names:
            tg.start_soon(place, name)
    assert sorted(definitions(emu)) == names
    reads = shared_reads(client)
    counts = emu.request_counts()
    assert counts["GET /v1/resource-definitions"] == reads.definitions.requests
    # each operation read its definition fresh, but concurrent reads shared requests
    assert reads.definitions.reads == 3 * len(names)
    assert reads.definitions.requests < reads.definitions.reads
    assert counts["GET /v1/nodes"] == reads.nodes.requests < len(names)


def test_the_shared_state_of_a_client_dies_with_it() -> None:
    client = Client("http://localhost:3370")
    assert shared_reads(client) is shared_reads(client)
    assert watcher_for(client) is watcher_for(client)
    gone = weakref.ref(client)
    del client
    gc.collect()
    assert gone() is None
