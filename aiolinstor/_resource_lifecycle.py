"""The rest of a resource's lifecycle, as methods of :class:`~aiolinstor.Resource`:
snapshots, rollback, clone, properties and DRBD options, DRBD Proxy, spawning from a group.

Each method delegates to its module (:mod:`._snapshot`, :mod:`._clone`, :mod:`._props`,
:mod:`._group`) with the same contract as the rest of ``Resource``: fresh reads first, only
the missing or differing part written, then a wait (``wait=True``) under one ``timeout``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from aiolinstor._errors import InputError
from aiolinstor._props import (
    ALLOW_TWO_PRIMARIES,
    changed,
    check_keys,
    check_props,
    flag_value,
    present,
    yes_no,
)

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._group import ResourceGroup
    from aiolinstor._models import ResourceDefinitionInfo
    from aiolinstor._resource import Resource
    from aiolinstor._snapshot import Snapshot

logger = logging.getLogger("aiolinstor")

R = TypeVar("R", bound="ResourceLifecycle")


class ResourceLifecycle:
    """Snapshot, clone, property and DRBD Proxy operations of a resource."""

    if TYPE_CHECKING:
        _name: str
        _client: Client | None
        _definition: ResourceDefinitionInfo | None

        @property
        def name(self) -> str: ...

        def _resolve(self) -> Client: ...

        def _start(self, timeout: float | None) -> tuple[Client, float, float]: ...

        async def _read(self, client: Client) -> None: ...

    # --- snapshots --------------------------------------------------------------------------
    async def snapshot(
        self,
        name: str,
        *,
        nodes: Sequence[str] | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Snapshot:
        """Take snapshot ``name`` (on ``nodes``, default every diskful replica) and wait until
        it is SUCCESSFUL everywhere. An existing snapshot of that name is returned as is."""
        from aiolinstor._snapshot import take_snapshot

        client, deadline, budget = self._start(timeout)
        return await take_snapshot(
            client, self._name, name, nodes, wait=wait, deadline=deadline, budget=budget
        )

    async def snapshots(self) -> list[Snapshot]:
        """The snapshots of this resource, by name."""
        from aiolinstor._snapshot import list_snapshots

        return await list_snapshots(self._resolve(), self._name)

    async def rollback(
        self: R,
        snapshot: str | Snapshot,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> R:
        """Roll back to ``snapshot`` (the most recent one) and wait until every replica is
        UpToDate again. Refused with InUseError while the resource is in use on any node."""
        from aiolinstor._snapshot import Snapshot
        from aiolinstor._snapshot_restore import rollback

        if isinstance(snapshot, Snapshot):
            if snapshot.resource_name.upper() != self._name.upper():
                raise InputError(
                    f"snapshot {snapshot.name!r} belongs to resource {snapshot.resource_name!r}, "
                    f"not {self._name!r}"
                )
            snapshot = snapshot.name
        client, deadline, budget = self._start(timeout)
        await rollback(client, self._name, snapshot, wait=wait, deadline=deadline, budget=budget)
        await self._read(client)
        return self

    # --- clone --------------------------------------------------------------------------------
    async def clone(
        self,
        name: str,
        *,
        resource_group: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Copy this resource into the new resource ``name`` (same nodes) and wait until the
        copy is COMPLETE and its replicas UpToDate; FAILED raises ConvergenceFailed."""
        from aiolinstor._clone import clone

        return await clone(
            self._resolve(),
            self._name,
            name,
            resource_group=resource_group,
            wait=wait,
            timeout=timeout,
        )

    # --- properties and DRBD options --------------------------------------------------------
    @property
    def props(self) -> Mapping[str, str]:
        """The resource definition's properties as last read (empty before any read)."""
        return dict(self._definition.props) if self._definition is not None else {}

    @property
    def allow_two_primaries(self) -> bool | None:
        """DRBD ``allow-two-primaries`` as last read (None: not set on the definition)."""
        return flag_value(self.props, ALLOW_TWO_PRIMARIES)

    async def set_props(self, props: Mapping[str, str]) -> None:
        """Set properties (``Aux/...``, DRBD options by property name, ...) of the resource
        definition; only the values that differ from the controller's are sent."""
        await self._change_props(check_props(props), [])

    async def delete_props(self, keys: Iterable[str]) -> None:
        """Remove properties of the resource definition; absent ones are ignored."""
        await self._change_props({}, check_keys(keys))

    async def set_allow_two_primaries(self, enabled: bool) -> None:
        """Allow (or forbid) two Primaries at once, e.g. for live migration (the DRBD option
        ``allow-two-primaries`` of the definition; ``allow_two_primaries`` reads it back)."""
        await self._change_props({ALLOW_TWO_PRIMARIES: yes_no(enabled)}, [])

    async def _change_props(self, wanted: Mapping[str, str], deleted: list[str]) -> None:
        from aiolinstor._volume import read_definition
        from aiolinstor._waits import recover_write

        client = self._resolve()
        current = await read_definition(client, self._name)
        if current is None:
            raise InputError(
                f"resource {self._name!r} does not exist; create() or autoplace() it first"
            )
        override = changed(current.props, wanted)
        removed = present(current.props, deleted)
        if override or removed:
            logger.info("changing properties of %r: %s", self._name, sorted([*override, *removed]))

            async def applied() -> bool:
                found = await read_definition(client, self._name)
                props = found.props if found is not None else {}
                return not changed(props, override) and not present(props, removed)

            await recover_write(
                lambda: client.modify_resource_definition(
                    self._name, override_props=override, delete_props=removed
                ),
                applied,
                f"change of the properties of {self._name!r}",
            )
        await self._read(client)

    # --- DRBD Proxy -------------------------------------------------------------------------
    async def drbd_proxy_enable(
        self: R,
        node_a: str,
        node_b: str,
        *,
        port: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> R:
        """Route the DRBD connection between ``node_a`` and ``node_b`` through DRBD Proxy and
        wait until the replicas are connected and UpToDate again (no-op when enabled)."""
        from aiolinstor._clone import set_drbd_proxy

        client = self._resolve()
        await set_drbd_proxy(
            client, self._name, node_a, node_b, enable=True, port=port, wait=wait, timeout=timeout
        )
        await self._read(client)
        return self

    async def drbd_proxy_disable(
        self: R,
        node_a: str,
        node_b: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> R:
        """Connect ``node_a`` and ``node_b`` directly again (no-op when not proxied)."""
        from aiolinstor._clone import set_drbd_proxy

        client = self._resolve()
        await set_drbd_proxy(
            client, self._name, node_a, node_b, enable=False, wait=wait, timeout=timeout
        )
        await self._read(client)
        return self

    # --- resource groups ----------------------------------------------------------------------
    @classmethod
    async def from_group(
        cls,
        name: str,
        group: str | ResourceGroup,
        sizes: Sequence[int | str],
        *,
        client: Client | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Spawn resource ``name`` from resource group ``group`` (see ResourceGroup.spawn)."""
        from aiolinstor._group import ResourceGroup

        if not isinstance(group, ResourceGroup):
            group = ResourceGroup(group, client=client)
        return await group.spawn(name, sizes, wait=wait, timeout=timeout)


__all__ = ["ResourceLifecycle"]
