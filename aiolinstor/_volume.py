"""Volumes of a :class:`~aiolinstor.Resource`: declared locally, resized cluster-wide.

``Volume(size)`` is a declaration (no I/O): the size is parsed at once and becomes the volume
definition's size when the resource is created. ``await vol.resize(...)`` grows it on every
replica and waits until each reports the new size. Sizes are bytes for the caller and KiB on
the wire (rounded up). The get-or-create of a resource definition with its volume definitions
(:func:`ensure_definition`) lives here too, with its rollback of a half-made definition.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import anyio

from aiolinstor._errors import AlreadyExistsError, InputError, InvalidSizeError
from aiolinstor._names import check_volume_number
from aiolinstor._props import VolumeProps
from aiolinstor._shared_reads import shared_reads
from aiolinstor._sizes import KiB, format_size, parse_size, to_kib
from aiolinstor._waits import recover_write, volume_resized

if TYPE_CHECKING:
    from aiolinstor._apicallrc import ApiCallRcList
    from aiolinstor._client import Client
    from aiolinstor._models import (
        ResourceDefinitionInfo,
        ResourceInfo,
        VolumeDefinitionInfo,
        VolumeInfo,
    )
    from aiolinstor._resource import Resource

logger = logging.getLogger("aiolinstor")

#: Longest time spent removing a half-made definition after a failed create.
_ROLLBACK_S = 30.0


@dataclass(frozen=True)
class SyncProgress:
    """Resync progress of one volume on one node: 100.0 once UpToDate, None when unknown."""

    node: str
    volume: int
    disk_state: str | None
    done_percentage: float | None


class Volume(VolumeProps):
    """One volume of a resource: a declared size, plus what the cluster last reported."""

    def __init__(self, size: int | str) -> None:
        self._size = parse_size(size)
        self._resource: Resource | None = None
        self._number: int | None = None
        #: True when declared by the caller; False when only read from the controller.
        self._declared = True
        self._definition: VolumeDefinitionInfo | None = None
        self._replicas: dict[str, VolumeInfo] = {}

    @classmethod
    def _from_definition(cls, definition: VolumeDefinitionInfo) -> Volume:
        volume = cls(definition.size_kib * KiB)
        volume._declared = False
        volume._definition = definition
        return volume

    def __repr__(self) -> str:
        where = f"{self._resource.name}/{self._number}" if self._resource else "unattached"
        return f"<Volume {where} size={format_size(self._size)}>"

    # --- declared -----------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Size in bytes: as declared or last resized (read from the controller if not declared).

        The controller's current size is :attr:`actual_size`; use :meth:`resize` to change it.
        """
        return self._size

    @property
    def size_kib(self) -> int:
        """:attr:`size` in KiB, rounded up: what is sent to the controller."""
        return to_kib(self._size)

    @property
    def number(self) -> int | None:
        """The volume number within its resource (None until put into ``res.volumes``)."""
        return self._number

    @property
    def resource(self) -> Resource | None:
        """The resource this volume belongs to (None until put into ``res.volumes``)."""
        return self._resource

    # --- read from the controller -------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """True when the last read found this volume's definition on the controller."""
        return self._definition is not None

    @property
    def definition(self) -> VolumeDefinitionInfo | None:
        """The volume definition as last read (None: not read, or not on the controller)."""
        return self._definition

    @property
    def actual_size(self) -> int | None:
        """The volume definition's size in bytes as last read, None if not on the controller."""
        return self._definition.size_kib * KiB if self._definition is not None else None

    @property
    def minor_number(self) -> int | None:
        """The DRBD minor number of this volume as last read (None when unknown)."""
        return self._definition.minor_number if self._definition is not None else None

    @property
    def states(self) -> Mapping[str, VolumeInfo]:
        """Per node: this volume as its satellite last reported it (disk state, sizes, ...)."""
        return dict(self._replicas)

    @property
    def device_paths(self) -> Mapping[str, str]:
        """Per node: the block device of this volume (e.g. ``/dev/drbd1000``)."""
        return {node: v.device_path for node, v in self._replicas.items() if v.device_path}

    @property
    def device_path(self) -> str | None:
        """The block device of this volume (DRBD uses the same path on every node)."""
        paths = self.device_paths
        return paths[min(paths)] if paths else None

    # --- I/O ----------------------------------------------------------------------------------
    def __await__(self) -> Generator[Any, None, Volume]:
        return self.refresh().__await__()

    async def refresh(self) -> Volume:
        """Read the current state of this volume (through its resource) and return it."""
        await self._owner().refresh()
        return self

    async def resize(
        self,
        size: int | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's documented deadline
    ) -> Volume:
        """Grow the volume on every replica to ``size`` and wait until each reports it.

        ``size`` is absolute (bytes, or a string like ``"20 GiB"``) or relative with a
        leading ``"+"`` (``"+10 GiB"``): relative to the size the controller holds now, read
        fresh, not to a possibly stale local :attr:`size`. Shrinking is refused with
        InputError; the same absolute size (compared in KiB) writes nothing but still waits,
        so an absolute resize retried after a timeout just resumes waiting (a relative one
        would grow again: retry with the absolute target).
        """
        resource = self._owner()
        number = self._number
        assert number is not None
        growth = self._relative_growth(size)
        target = parse_size(size) if growth is None else 0
        client, deadline, budget = resource._start(timeout)
        current = await read_volume_definition(client, resource.name, number)
        if current is None:
            raise InputError(
                f"volume {number} of resource {resource.name!r} does not exist on the "
                "controller; create() the resource first"
            )
        if growth is not None:
            target = current.size_kib * KiB + growth
        target_kib = to_kib(target)
        if target_kib < current.size_kib:
            raise InputError(
                f"cannot shrink volume {number} of resource {resource.name!r} from "
                f"{format_size(current.size_kib * KiB)} to {format_size(target_kib * KiB)}"
            )
        latest = current
        if target_kib > current.size_kib:
            logger.info(
                "resizing volume %s of %r: %s -> %s",
                number,
                resource.name,
                format_size(current.size_kib * KiB),
                format_size(target_kib * KiB),
            )

            async def grown() -> bool:
                nonlocal latest
                found = await read_volume_definition(client, resource.name, number)
                latest = found or latest
                return found is not None and found.size_kib >= target_kib

            answer = await recover_write(
                lambda: client.modify_volume_definition(resource.name, number, size_kib=target_kib),
                grown,
                f"resize of volume {number} of {resource.name!r}",
            )
            if answer is not None:  # accepted: the new size needs no read-back
                raw = {**current.raw, "size_kib": target_kib}
                latest = replace(current, size_kib=target_kib, raw=raw)
        self._size = target
        await resource._finish(
            client, volume_resized(number, target_kib), "resize", wait, deadline, budget
        )
        if wait:  # (without waiting, _finish has just read the definitions)
            self._definition = latest
        return self

    # --- internals ----------------------------------------------------------------------------
    def _owner(self) -> Resource:
        if self._resource is None or self._number is None:
            raise InputError(
                "this volume belongs to no resource yet: put it in a resource's volumes first, "
                "e.g. res.volumes[0] = Volume('10 GiB')"
            )
        return self._resource

    @staticmethod
    def _relative_growth(size: int | str) -> int | None:
        """The growth in bytes for ``"+10 GiB"``; None for an absolute size."""
        if isinstance(size, str) and size.strip().startswith("+"):
            return parse_size(size.strip()[1:])
        if isinstance(size, str) and size.strip().startswith("-"):
            raise InvalidSizeError(f"cannot shrink a volume, got relative size {size!r}")
        return None

    def _attach(self, resource: Resource, number: int) -> None:
        if self._resource is not None and (
            self._resource is not resource or self._number != number
        ):
            raise InputError(
                f"{self!r} already belongs to a resource; create a new Volume for another slot"
            )
        self._resource = resource
        self._number = number

    def _detach(self) -> None:
        self._resource = None
        self._number = None

    def _apply(
        self, definition: VolumeDefinitionInfo | None, replicas: Sequence[ResourceInfo]
    ) -> None:
        self._definition = definition
        if definition is not None and not self._declared:
            self._size = definition.size_kib * KiB
        self._apply_replicas(replicas)

    def _apply_replicas(self, replicas: Sequence[ResourceInfo]) -> None:
        found: dict[str, VolumeInfo] = {}
        for info in replicas:
            for volume in info.volumes:
                if volume.volume_number == self._number:
                    found[info.node_name] = volume
        self._replicas = found

    def _progress(self, replicas: Sequence[ResourceInfo]) -> list[SyncProgress]:
        out: list[SyncProgress] = []
        for info in replicas:
            if info.diskless or info.deleting or info.inactive:
                continue
            volume = next((v for v in info.volumes if v.volume_number == self._number), None)
            if volume is None or self._number is None:
                continue
            out.append(
                SyncProgress(
                    node=info.node_name,
                    volume=self._number,
                    disk_state=volume.disk_state,
                    done_percentage=_done(volume),
                )
            )
        return out


def _done(volume: VolumeInfo) -> float | None:
    if volume.disk_state == "UpToDate":
        return 100.0
    for rep in volume.replication_states.values():
        if rep.done_percentage is not None:
            return rep.done_percentage
    return None


async def read_volume_definition(
    client: Client, resource: str, number: int
) -> VolumeDefinitionInfo | None:
    """Volume definition ``number`` of ``resource`` as the controller has it now, or None."""
    definition = await read_definition(client, resource)
    if definition is None:
        return None
    return next((vd for vd in definition.volume_definitions if vd.volume_number == number), None)


def check_declared_fit(
    resource: str, declared: Mapping[int, Volume], definition: ResourceDefinitionInfo
) -> None:
    """Refuse to reuse an existing definition whose volumes are smaller than declared.

    Larger is accepted: a volume grown since its declaration is the same volume.
    """
    existing = {vd.volume_number: vd for vd in definition.volume_definitions}
    for number, volume in declared.items():
        vd = existing.get(number)
        if vd is not None and vd.size_kib < volume.size_kib:
            raise InputError(
                f"resource {resource!r} exists with volume {number} of "
                f"{format_size(vd.size_kib * KiB)}, smaller than the declared "
                f"{format_size(volume.size)}; resize() it instead"
            )


async def _create_volume(client: Client, resource: str, number: int, size_kib: int) -> None:
    logger.info("creating volume %s of %r (%s)", number, resource, format_size(size_kib * KiB))

    async def create() -> ApiCallRcList:
        return await client.create_volume_definition(resource, size_kib, volume_number=number)

    async def present() -> bool:
        return await read_volume_definition(client, resource, number) is not None

    try:
        await recover_write(create, present, f"create of volume {number} of {resource!r}")
    except AlreadyExistsError:
        found = await read_volume_definition(client, resource, number)
        if found is None or found.size_kib < size_kib:
            raise


async def ensure_definition(
    client: Client,
    resource: str,
    group: str | None,
    declared: Mapping[int, Volume],
    current: ResourceDefinitionInfo | None,
) -> tuple[bool, ResourceDefinitionInfo | None]:
    """Get-or-create the resource definition and its declared volume definitions.

    ``current`` is the definition as just read (None: absent). An existing one is reused when
    it fits (same resource group if one is declared, each declared volume at least as large);
    otherwise InputError before any write. If a volume cannot be created after this call
    created the definition, the definition is removed again: nothing half-made stays.
    Returns whether this call created it, and the definition as it is now.
    """
    if current is not None:
        _check_fit(resource, group, declared, current)
    created = current is None and await _create_definition(client, resource, group, declared)
    existing = {vd.volume_number for vd in current.volume_definitions} if current else set()
    missing = [(n, v) for n, v in declared.items() if n not in existing]
    try:
        for number, volume in missing:
            await _create_volume(client, resource, number, volume.size_kib)
    except BaseException:
        if created:
            await remove_half_made(client, resource)
        raise
    if current is None or missing:
        current = await read_definition(client, resource)
    return created, current


async def read_definition(client: Client, resource: str) -> ResourceDefinitionInfo | None:
    """The resource definition with its volume definitions as the controller has it, or None.

    A fresh read, shared with the concurrent reads of other definitions (see _shared_reads).
    """
    found = await shared_reads(client).definitions.read([resource])
    return next((rd for rd in found if rd.name.upper() == resource.upper()), None)


def _check_fit(
    resource: str,
    group: str | None,
    declared: Mapping[int, Volume],
    definition: ResourceDefinitionInfo,
) -> None:
    if group is not None and (definition.resource_group_name or "").upper() != group.upper():
        raise InputError(
            f"resource {resource!r} exists in resource group "
            f"{definition.resource_group_name!r}, not the declared {group!r}"
        )
    check_declared_fit(resource, declared, definition)


async def _create_definition(
    client: Client, resource: str, group: str | None, declared: Mapping[int, Volume]
) -> bool:
    logger.info("creating resource definition %r", resource)

    async def present() -> bool:
        return await read_definition(client, resource) is not None

    try:
        await recover_write(
            lambda: client.create_resource_definition(resource, resource_group=group),
            present,
            f"create of {resource!r}",
        )
    except AlreadyExistsError:
        # Created by someone else between our read and our write: reuse it, if it fits.
        definition = await read_definition(client, resource)
        if definition is None:
            raise
        _check_fit(resource, group, declared, definition)
        return False
    return True


async def remove_half_made(client: Client, resource: str) -> None:
    """Delete a definition this call created (shielded: runs even when being cancelled)."""
    logger.warning("removing the half-made resource definition %r", resource)
    with anyio.move_on_after(_ROLLBACK_S, shield=True):
        try:
            await client.delete_resource_definition(resource)
        except Exception as exc:  # the original error matters more; log this one
            logger.error("could not remove resource definition %r: %s", resource, exc)


class VolumeMap(MutableMapping[int, Volume]):
    """``res.volumes``: volume number -> Volume. Changing it is local (no I/O)."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource
        self._volumes: dict[int, Volume] = {}

    def __getitem__(self, number: int) -> Volume:
        return self._volumes[number]

    def __setitem__(self, number: int, volume: Volume) -> None:
        number = check_volume_number(number)
        if not isinstance(volume, Volume):
            raise InputError(f"volumes[{number}] must be a Volume, got {volume!r}")
        old = self._volumes.get(number)
        volume._attach(self._resource, number)
        if old is not None and old is not volume:
            old._detach()
            volume._definition = old._definition
            volume._replicas = old._replicas
        self._volumes[number] = volume

    def __delitem__(self, number: int) -> None:
        self._volumes.pop(number)._detach()

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._volumes))

    def __len__(self) -> int:
        return len(self._volumes)

    def __repr__(self) -> str:
        return f"VolumeMap({dict(sorted(self._volumes.items()))!r})"

    def _apply(
        self,
        definitions: Sequence[VolumeDefinitionInfo] | None,
        replicas: Sequence[ResourceInfo],
    ) -> None:
        """Merge what the controller has with what was declared.

        Declared volumes stay (pending until created); volumes only read from the controller
        are added, updated, or dropped when they disappear.
        """
        by_number = {vd.volume_number: vd for vd in definitions or ()}
        for number, volume in list(self._volumes.items()):
            if number not in by_number and not volume._declared:
                del self[number]
        for number, definition in by_number.items():
            if number not in self._volumes:
                volume = Volume._from_definition(definition)
                volume._attach(self._resource, number)
                self._volumes[number] = volume
        for number, volume in self._volumes.items():
            volume._apply(by_number.get(number), replicas)

    def _apply_replicas(self, replicas: Sequence[ResourceInfo]) -> None:
        for volume in self._volumes.values():
            volume._apply_replicas(replicas)

    def _declared(self) -> dict[int, Volume]:
        return {n: v for n, v in sorted(self._volumes.items()) if v._declared}
