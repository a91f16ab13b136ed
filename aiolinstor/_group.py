"""Resource groups: a declared template (placement, volume groups, properties) that resources
are spawned from.

``ResourceGroup(name)`` is a local declaration (no I/O). :meth:`ResourceGroup.apply` gets or
creates the group and then changes only what the declaration sets and the controller has
differently; fields left unset are never rewritten, so two programs that declare different
settings of one group do not undo each other. :meth:`ResourceGroup.spawn` creates a resource
from the group, placed by the group's rules, and waits until its replicas are UpToDate.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiolinstor._client import resolve_client
from aiolinstor._errors import AlreadyExistsError, ApiCallError, InputError
from aiolinstor._lifecycle_support import start_budget, wait_resource
from aiolinstor._names import check_resource_group_name, check_resource_name, check_volume_number
from aiolinstor._placement import Placement
from aiolinstor._props import changed, check_keys, check_props, present
from aiolinstor._sizes import format_size, parse_size, to_kib
from aiolinstor._volume import read_definition, remove_half_made
from aiolinstor._waits import recover_write, replicas_ready

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import ResourceDefinitionInfo, ResourceGroupInfo, VolumeGroupInfo
    from aiolinstor._resource import Resource

logger = logging.getLogger("aiolinstor")


@dataclass
class VolumeGroup:
    """A volume group of a resource group: its number and the properties its volumes get."""

    number: int
    props: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.number = check_volume_number(self.number)
        self.props = check_props(self.props)


def _volume_groups(value: int | Iterable[int | VolumeGroup] | None) -> dict[int, VolumeGroup]:
    if value is None:
        return {}
    if isinstance(value, bool):
        raise InputError(f"volume_groups must be a count or a list, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise InputError(f"volume_groups must not be negative, got {value!r}")
        return {n: VolumeGroup(n) for n in range(value)}
    if not isinstance(value, Iterable) or isinstance(value, (str, bytes)):
        raise InputError(f"volume_groups must be a count or a list, got {value!r}")
    out: dict[int, VolumeGroup] = {}
    for item in value:
        vg = item if isinstance(item, VolumeGroup) else VolumeGroup(item)
        if vg.number in out:
            raise InputError(f"volume group {vg.number} is declared twice in {value!r}")
        out[vg.number] = vg
    return out


class ResourceGroup:
    """A LINSTOR resource group: placement rules, volume groups and properties.

    ``placement`` takes the same fields as :attr:`Resource.placement`; ``volume_groups`` is a
    count (``2`` = volume groups 0 and 1) or a list of numbers / :class:`VolumeGroup`.
    Without ``client=`` the task's active client is used when an operation runs.
    """

    def __init__(
        self,
        name: str,
        client: Client | None = None,
        *,
        placement: Placement | None = None,
        description: str | None = None,
        props: Mapping[str, str] | None = None,
        volume_groups: int | Iterable[int | VolumeGroup] | None = None,
    ) -> None:
        self._name = check_resource_group_name(name)
        self._client = client
        self.placement = placement if placement is not None else Placement()
        self.description = description
        self._props = check_props(props or {})
        self._volume_groups = _volume_groups(volume_groups)
        self._info: ResourceGroupInfo | None = None
        self._read_volume_groups: tuple[VolumeGroupInfo, ...] = ()
        self._exists: bool | None = None

    def __repr__(self) -> str:
        state = {None: "unread", True: "exists", False: "absent"}[self._exists]
        return f"<ResourceGroup {self._name!r} {state}>"

    # --- declaration (no I/O) -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The group's name as given."""
        return self._name

    @property
    def client(self) -> Client | None:
        """The client given at construction (None: the current client is used)."""
        return self._client

    @property
    def placement(self) -> Placement:
        """Where spawned resources go (redundancy, pools, constraints); unset = untouched."""
        return self._placement

    @placement.setter
    def placement(self, value: Placement) -> None:
        if not isinstance(value, Placement):
            raise InputError(f"placement must be a Placement, got {value!r}")
        self._placement = value

    @property
    def description(self) -> str | None:
        """The declared description (None: left as the controller has it)."""
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise InputError(f"description must be a string or None, got {value!r}")
        self._description = value

    @property
    def declared_props(self) -> dict[str, str]:
        """The properties :meth:`apply` makes sure the group has (change it to declare more)."""
        return self._props

    @property
    def volume_groups(self) -> dict[int, VolumeGroup]:
        """Declared volume groups by number (assign ``VolumeGroup`` items to add some)."""
        return self._volume_groups

    # --- last read state ------------------------------------------------------------------
    @property
    def exists(self) -> bool | None:
        """Whether the group existed at the last read (None: never read)."""
        return self._exists

    @property
    def info(self) -> ResourceGroupInfo | None:
        """What the controller said at the last read (None: never read)."""
        return self._info

    @property
    def props(self) -> Mapping[str, str]:
        """The group's properties as last read."""
        return dict(self._info.props) if self._info is not None else {}

    @property
    def select_filter(self) -> Mapping[str, Any]:
        """The group's autoplace filter as last read."""
        return dict(self._info.select_filter) if self._info is not None else {}

    # --- I/O ------------------------------------------------------------------------------
    def __await__(self) -> Generator[Any, None, ResourceGroup]:
        return self.refresh().__await__()

    async def refresh(self) -> ResourceGroup:
        """Read the group fresh from the controller and return it."""
        await self._read(self._resolve())
        return self

    async def create(self) -> ResourceGroup:
        """Get-or-create the group and bring it to the declaration (same as :meth:`apply`)."""
        return await self.apply()

    async def apply(self) -> ResourceGroup:
        """Get-or-create the group, then change only the declared fields that differ."""
        client = self._resolve()
        await self._read(client)
        if self._info is None:
            logger.info("creating resource group %r", self._name)
            try:
                await recover_write(
                    lambda: client.create_resource_group(
                        self._name,
                        select_filter=self.placement.to_select_filter() or None,
                        props=self._props or None,
                        description=self._description,
                    ),
                    lambda: self._present(client),
                    f"create of resource group {self._name!r}",
                )
            except AlreadyExistsError:
                logger.info("resource group %r was created meanwhile; updating it", self._name)
            await self._read(client)
        assert self._info is not None
        await self._update(client, self._info)
        await self._ensure_volume_groups(client)
        await self._read(client)
        return self

    async def delete(self) -> None:
        """Delete the group (gone already is fine); refused while resources use it."""
        client = self._resolve()
        logger.info("deleting resource group %r", self._name)
        await client.delete_resource_group(self._name)
        await self._read(client)

    async def set_props(self, props: Mapping[str, str]) -> None:
        """Set group properties; only changed values are sent."""
        client = self._resolve()
        await self._read_required(client)
        assert self._info is not None
        override = changed(self._info.props, check_props(props))
        if override:
            await client.modify_resource_group(self._name, override_props=override)
        await self._read(client)

    async def delete_props(self, keys: Iterable[str]) -> None:
        """Remove group properties; absent ones are ignored."""
        client = self._resolve()
        await self._read_required(client)
        assert self._info is not None
        removed = present(self._info.props, check_keys(keys))
        if removed:
            await client.modify_resource_group(self._name, delete_props=removed)
        await self._read(client)

    async def spawn(
        self,
        name: str,
        sizes: Sequence[int | str],
        *,
        definitions_only: bool = False,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Resource:
        """Create resource ``name`` with one volume per size (``"10 GiB"`` or bytes), placed by
        the group's rules, and wait until its replicas are UpToDate and connected.

        Get-or-create: an existing resource of this group whose volumes are at least the given
        sizes is only waited for; one in another group or smaller is refused (InputError). If
        the placement fails, the resource definition this call created is removed again.
        """
        from aiolinstor._resource import Resource

        name = check_resource_name(name)
        sizes_kib = _sizes_kib(sizes)
        client = self._resolve()
        deadline, budget = start_budget(client, timeout)
        await self._read_required(client)
        existing = await read_definition(client, name)
        if existing is None:
            logger.info("spawning %r from resource group %r", name, self._name)
            try:
                await recover_write(
                    lambda: client.spawn_resource_definition(
                        self._name, name, sizes_kib, definitions_only=definitions_only
                    ),
                    lambda: self._spawned(client, name),
                    f"spawn of {name!r} from {self._name!r}",
                )
            except AlreadyExistsError:
                if await read_definition(client, name) is None:
                    raise
            except ApiCallError:
                if await read_definition(client, name) is not None:
                    await remove_half_made(client, name)
                raise
        else:
            self._check_existing(name, sizes_kib, existing)
        resource = Resource(name, client=self._client)
        place_count = self.select_filter.get("place_count")
        if wait and not definitions_only:
            needed = place_count if isinstance(place_count, int) else 0
            condition = replicas_ready(min_diskful=needed)
            await wait_resource(client, name, condition, "spawn", deadline, budget)
        await resource.refresh()
        return resource

    # --- internals ------------------------------------------------------------------------
    def _resolve(self) -> Client:
        return resolve_client(self._client)

    async def _read(self, client: Client) -> None:
        found = await client.list_resource_groups([self._name])
        info = next((g for g in found if g.name.upper() == self._name.upper()), None)
        self._info = info
        self._exists = info is not None
        self._read_volume_groups = (
            tuple(await client.list_volume_groups(self._name)) if info is not None else ()
        )

    async def _read_required(self, client: Client) -> None:
        await self._read(client)
        if self._info is None:
            raise InputError(
                f"resource group {self._name!r} does not exist; apply() or create() it first"
            )

    async def _present(self, client: Client) -> bool:
        found = await client.list_resource_groups([self._name])
        return any(g.name.upper() == self._name.upper() for g in found)

    async def _spawned(self, client: Client, name: str) -> bool:
        return await read_definition(client, name) is not None

    async def _update(self, client: Client, info: ResourceGroupInfo) -> None:
        """Send only the declared filter fields, properties and description that differ."""
        current = info.select_filter
        wanted = self.placement.to_select_filter()
        filter_changes = {k: v for k, v in wanted.items() if not _same_value(current.get(k), v)}
        override = changed(info.props, self._props)
        description = self._description
        if description is not None and description == (info.description or ""):
            description = None
        if filter_changes or override or description is not None:
            logger.info("updating resource group %r", self._name)
            await client.modify_resource_group(
                self._name,
                select_filter=filter_changes or None,
                override_props=override or None,
                description=description,
            )

    async def _ensure_volume_groups(self, client: Client) -> None:
        existing = {vg.volume_number: vg for vg in self._read_volume_groups}
        for number, declared in sorted(self._volume_groups.items()):
            found = existing.get(number)
            if found is None:
                await self._create_volume_group(client, declared)
                continue
            override = changed(found.props, declared.props)
            if override:
                await client.modify_volume_group(self._name, number, override_props=override)

    async def _create_volume_group(self, client: Client, declared: VolumeGroup) -> None:
        """Create one volume group; a lost answer is recovered by listing the groups."""
        number = declared.number

        async def made() -> bool:
            found = await client.list_volume_groups(self._name)
            return any(vg.volume_number == number for vg in found)

        try:
            await recover_write(
                lambda: client.create_volume_group(
                    self._name, volume_number=number, props=declared.props or None
                ),
                made,
                f"create of volume group {number} of {self._name!r}",
            )
        except AlreadyExistsError:
            logger.info("volume group %s of %r exists already", number, self._name)

    def _check_existing(
        self, name: str, sizes_kib: list[int], existing: ResourceDefinitionInfo
    ) -> None:
        group = existing.resource_group_name or ""
        if group.upper() != self._name.upper():
            raise InputError(
                f"resource {name!r} exists in resource group {group!r}, not in {self._name!r}"
            )
        have = {vd.volume_number: vd.size_kib for vd in existing.volume_definitions}
        for index, size_kib in enumerate(sizes_kib):
            number = sorted(have)[index] if index < len(have) else None
            if number is None or have[number] < size_kib:
                found = format_size(have[number] * 1024) if number is not None else "missing"
                raise InputError(
                    f"resource {name!r} exists with volume {index} {found}, smaller than the "
                    f"requested {format_size(size_kib * 1024)}"
                )


def _sizes_kib(sizes: Sequence[int | str]) -> list[int]:
    if isinstance(sizes, (str, bytes, int)) or not isinstance(sizes, Sequence):
        raise InputError(f"sizes must be a list of sizes (e.g. ['10 GiB']), got {sizes!r}")
    if not sizes:
        raise InputError("sizes must name at least one volume size")
    return [to_kib(parse_size(size)) for size in sizes]


def _same_value(current: object, wanted: object) -> bool:
    """Filter values compare case-insensitively for names, order-insensitively for lists."""
    if isinstance(current, list) and isinstance(wanted, list):
        return sorted(str(v).upper() for v in current) == sorted(str(v).upper() for v in wanted)
    return current == wanted


__all__ = ["ResourceGroup", "VolumeGroup"]
