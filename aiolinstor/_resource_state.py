"""State of a :class:`~aiolinstor.Resource` as last read, and how it is read and waited for.

A mixin of ``Resource``: the client and deadline of an operation, the fresh reads of the
definition and the replicas (shared with the concurrent reads of the client, see
:mod:`._shared_reads`), applying what was read to the resource and its volumes, and the wait
through the client's shared watcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from aiolinstor._client import resolve_client
from aiolinstor._errors import InputError
from aiolinstor._shared_reads import shared_reads
from aiolinstor._volume import VolumeMap, read_definition
from aiolinstor._waits import Condition, Done, resolve_timeout, wait_until, watcher_for

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceDefinitionInfo, ResourceInfo


class ResourceState:
    """Reading, applying and waiting for the state of one resource (see the module docs)."""

    _name: str
    _client: Client | None
    _volumes: VolumeMap
    _definition: ResourceDefinitionInfo | None
    _exists: bool | None
    _replicas: tuple[ResourceInfo, ...]

    def _resolve(self) -> Client:
        return resolve_client(self._client)

    def _start(self, timeout: float | None) -> tuple[Client, float, float]:
        client = self._resolve()
        budget = resolve_timeout(client, timeout)
        return client, anyio.current_time() + budget, budget

    async def _wait(
        self, client: Client, condition: Condition, operation: str, deadline: float, budget: float
    ) -> None:
        observed = await wait_until(
            watcher_for(client),
            [self._name],
            condition,
            within=max(deadline - anyio.current_time(), 0.0),
            resource=self._name,
            operation=operation,
            reported_timeout=budget,
        )
        self._apply_replicas(observed)

    async def _finish(
        self,
        client: Client,
        condition: Condition,
        operation: str,
        wait: bool,
        deadline: float,
        budget: float,
    ) -> None:
        """Wait for ``condition`` (default), or just re-read the state when ``wait=False``."""
        if wait:
            await self._wait(client, condition, operation, deadline, budget)
        else:
            await self._read(client)

    def _reached(self, condition: Condition) -> bool:
        """True when the replicas just read fresh already satisfy ``condition``."""
        return isinstance(condition(self._replicas), Done)

    async def _read_placement(self, client: Client) -> None:
        """Fresh replicas (what placement decisions need); the definition too, unless it was
        read before and replicas with volumes show it still exists."""
        if self._definition is None:
            await self._read(client)
            return
        replicas = await self._read_replicas(client)
        if any(r.volumes for r in replicas):
            self._exists = True
            self._apply_replicas(replicas)
            return
        definition = await self._read_definition(client)
        self._replicas = tuple(replicas) if definition is not None else ()
        self._apply_definition(definition)

    async def _read(self, client: Client) -> None:
        definition = await self._read_definition(client)
        replicas = await self._read_replicas(client) if definition is not None else []
        self._replicas = tuple(replicas)
        self._apply_definition(definition)

    def _apply_definition(self, definition: ResourceDefinitionInfo | None) -> None:
        self._definition = definition
        self._exists = definition is not None
        definitions = definition.volume_definitions if definition is not None else None
        self._volumes._apply(definitions, self._replicas)

    def _apply_replicas(self, replicas: Sequence[ResourceInfo]) -> None:
        self._replicas = tuple(replicas)
        self._volumes._apply_replicas(self._replicas)

    async def _read_definition(self, client: Client) -> ResourceDefinitionInfo | None:
        return await read_definition(client, self._name)

    async def _read_replicas(self, client: Client) -> list[ResourceInfo]:
        return await shared_reads(client).replicas.read([self._name])

    def _on(self, node: str) -> ResourceInfo | None:
        return next((r for r in self._replicas if r.node_name.upper() == node.upper()), None)

    async def _present(self, client: Client, node: str, *, tiebreaker_ok: bool = True) -> bool:
        return any(
            r.node_name.upper() == node.upper()
            and not r.deleting
            and (tiebreaker_ok or not r.tiebreaker)
            for r in await self._read_replicas(client)
        )

    async def _definition_gone(self, client: Client) -> bool:
        definition = await self._read_definition(client)
        return definition is None or "DELETE" in definition.flags

    def _require_volumes(self, operation: str) -> None:
        if not self._exists:
            raise InputError(
                f"cannot {operation} resource {self._name!r}: it does not exist; "
                "create() or autoplace() it first"
            )
        if self._definition is not None and not self._definition.volume_definitions:
            raise InputError(
                f"cannot {operation} resource {self._name!r}: it has no volumes; "
                "declare one (res.volumes[0] = Volume(...)) and create() it"
            )
