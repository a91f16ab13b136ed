"""Properties and DRBD options of resources, volumes and resource groups.

LINSTOR objects carry string properties (``Aux/...`` for your own, ``DrbdOptions/...`` for DRBD
options by their property names, e.g. ``DrbdOptions/Net/allow-two-primaries``). Changes are
computed against freshly read state and only what differs is sent: setting a value it already
has, or deleting a key that is not there, writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from aiolinstor._api_base import str_list, str_map
from aiolinstor._errors import InputError

if TYPE_CHECKING:
    from aiolinstor._client import Client
    from aiolinstor._models import VolumeDefinitionInfo
    from aiolinstor._resource import Resource

logger = logging.getLogger("aiolinstor")

#: The DRBD option that lets two nodes be Primary at once (live migration).
ALLOW_TWO_PRIMARIES = "DrbdOptions/Net/allow-two-primaries"


def check_props(props: Mapping[str, str]) -> dict[str, str]:
    """``props`` as a dict of non-empty string keys to string values, else InputError."""
    checked = str_map("props", props) or {}
    for key in checked:
        if not key.strip() or key != key.strip():
            raise InputError(f"invalid property name {key!r}: empty or surrounded by spaces")
    return checked


def check_keys(keys: Iterable[str]) -> list[str]:
    """Property names to delete (a bare string is refused, not split into characters)."""
    return str_list("keys", keys) or []


def changed(current: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``wanted`` that ``current`` does not have with that value."""
    return {key: value for key, value in wanted.items() if current.get(key) != value}


def present(current: Mapping[str, str], keys: Iterable[str]) -> list[str]:
    """The ``keys`` that exist in ``current`` (deleting the others would change nothing)."""
    return [key for key in dict.fromkeys(keys) if key in current]


def yes_no(value: bool) -> str:
    if not isinstance(value, bool):
        raise InputError(f"expected True or False, got {value!r}")
    return "yes" if value else "no"


def flag_value(props: Mapping[str, str], key: str) -> bool | None:
    """A yes/no DRBD option as a bool (None when unset)."""
    value = props.get(key)
    return None if value is None else value.strip().lower() in ("yes", "true")


class VolumeProps:
    """Properties of a volume's definition (mixed into :class:`~aiolinstor.Volume`)."""

    if TYPE_CHECKING:
        _number: int | None
        _definition: VolumeDefinitionInfo | None

        def _owner(self) -> Resource: ...

    @property
    def props(self) -> Mapping[str, str]:
        """The volume definition's properties as last read (empty before any read)."""
        return dict(self._definition.props) if self._definition is not None else {}

    async def set_props(self, props: Mapping[str, str]) -> None:
        """Set properties of this volume's definition; only changed values are sent."""
        wanted = check_props(props)
        await self._change(wanted, [])

    async def delete_props(self, keys: Iterable[str]) -> None:
        """Remove properties of this volume's definition; absent ones are ignored."""
        await self._change({}, check_keys(keys))

    async def _change(self, wanted: Mapping[str, str], deleted: list[str]) -> None:
        from aiolinstor._volume import read_volume_definition

        resource = self._owner()
        number = self._number
        assert number is not None
        client: Client = resource._resolve()
        current = await read_volume_definition(client, resource.name, number)
        if current is None:
            raise InputError(
                f"volume {number} of resource {resource.name!r} does not exist on the "
                "controller; create() the resource first"
            )
        override = changed(current.props, wanted)
        removed = present(current.props, deleted)
        if override or removed:
            logger.info("changing properties of volume %s of %r", number, resource.name)
            await client.modify_volume_definition(
                resource.name, number, override_props=override, delete_props=removed
            )
        self._definition = await read_volume_definition(client, resource.name, number)


__all__ = ["ALLOW_TWO_PRIMARIES", "VolumeProps"]
