"""What each operation of one resource sends: its round-trip budget, polls aside.

The reads and writes of every step are pinned by route, so a request that an earlier answer
already made unnecessary shows up here. The polls of the waits depend on timing and are
counted apart (view/resources requests the shared reads did not send).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiolinstor._client import Client
from aiolinstor._resource import Deactivation, Resource
from aiolinstor._shared_reads import shared_reads
from aiolinstor._volume import Volume
from aiolinstor.emulator import Emulator

pytestmark = pytest.mark.emulator_only

VIEW = "GET /v1/view/resources"
RD = "/v1/resource-definitions"
RSC = RD + "/{rsc}"


async def sent_by(
    emu: Emulator, client: Client, step: Callable[[], Awaitable[Any]]
) -> tuple[dict[str, int], int]:
    """Requests of ``step`` by route, the watcher's polls left out, and the number of polls."""
    emu.stats.reset()
    replica_reads = shared_reads(client).replicas.requests
    await step()
    counts = dict(emu.request_counts())
    reads = shared_reads(client).replicas.requests - replica_reads
    polls = counts.pop(VIEW, 0) - reads
    if reads:
        counts[VIEW] = reads
    return counts, polls


async def test_one_lifecycle_sends_only_what_it_needs(emu: Emulator, client: Client) -> None:
    res = Resource("foo", client=client)
    res.volumes[0] = Volume("64 MiB")
    res.placement.redundancy = 2

    counts, polls = await sent_by(emu, client, res.autoplace)
    assert counts == {
        # The client's one version check, before its first request (read once per client).
        "GET /v1/controller/version": 1,
        f"GET {RD}": 2,  # exists? (get-or-create); the new definition as created
        "GET /v1/nodes": 1,  # can the placement succeed? (before any write)
        "GET /v1/view/storage-pools": 1,
        f"POST {RD}": 1,
        f"POST {RSC}/volume-definitions": 1,
        f"POST {RSC}/autoplace": 1,
    }
    assert polls >= 1  # the wait for UpToDate

    counts, polls = await sent_by(emu, client, lambda: res.volumes[0].resize("128 MiB"))
    assert counts == {f"GET {RD}": 1, f"PUT {RSC}/volume-definitions/{{nr}}": 1}
    assert polls >= 1

    free = next(n for n in ("node-1", "node-2", "node-3") if n not in res.nodes)
    counts, polls = await sent_by(emu, client, lambda: res.activate(free))
    assert counts == {VIEW: 1, f"POST {RSC}/resources/{{node}}/make-available": 1}
    assert polls >= 1

    counts, polls = await sent_by(emu, client, lambda: res.deactivate(free))
    assert counts == {VIEW: 1, f"DELETE {RSC}/resources/{{node}}": 1}
    assert polls >= 1

    counts, polls = await sent_by(emu, client, res.delete)
    assert counts == {f"GET {RD}": 1, f"GET {RSC}/snapshots": 1, f"DELETE {RSC}": 1}
    assert polls >= 1


async def test_repeated_steps_read_once_and_write_nothing(emu: Emulator, client: Client) -> None:
    res = Resource("foo", client=client)
    res.volumes[0] = Volume("64 MiB")
    res.placement.redundancy = 2
    await res.autoplace()
    holder = res.diskful_nodes[0]
    free = next(n for n in ("node-1", "node-2", "node-3") if n not in res.nodes)

    # already attached: the fresh read shows it, so there is nothing to write or wait for
    counts, polls = await sent_by(emu, client, lambda: res.activate(holder))
    assert (counts, polls) == ({VIEW: 1}, 0)
    counts, polls = await sent_by(emu, client, lambda: res.make_diskful(holder))
    assert (counts, polls) == ({f"GET {RD}": 1, VIEW: 1}, 0)

    async def absent() -> None:
        assert await res.deactivate(free) is Deactivation.ABSENT

    counts, polls = await sent_by(emu, client, absent)
    assert (counts, polls) == ({VIEW: 1}, 0)
