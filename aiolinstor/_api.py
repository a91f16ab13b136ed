"""The typed low-level LINSTOR REST API: one method per endpoint, sizes in KiB.

Every mutating call returns the answer's :class:`ApiCallRcList` (warnings and infos kept and
logged); error entries raise the matching :class:`ApiCallError` subclass. Reads return models
from :mod:`aiolinstor._models`; a missing single object raises :class:`NotFoundError`.
"""

from __future__ import annotations

from aiolinstor._api_definitions import DefinitionsApi
from aiolinstor._api_resources import CloneStatus, ResourcesApi, ToggleDiskOperation
from aiolinstor._models import ResourceCreateSpec
from aiolinstor._sse import Event, EventStream


class LinstorApi(DefinitionsApi, ResourcesApi):
    """All endpoint methods; :class:`aiolinstor.Client` supplies the transport."""


__all__ = [
    "CloneStatus",
    "Event",
    "EventStream",
    "LinstorApi",
    "ResourceCreateSpec",
    "ToggleDiskOperation",
]
