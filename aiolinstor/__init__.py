"""aiolinstor: an asyncio-first high-level SDK for LINSTOR.

Declare a ``Resource`` with its ``Volume``s and ``placement``, then ``await`` its operations:
each returns once the satellites report that the change has converged. ``Client`` is the one
connection to the controllers; ``aiolinstor.emulator`` is a LINSTOR controller emulator for tests.
"""

from aiolinstor._api import CloneStatus, LinstorApi, ToggleDiskOperation
from aiolinstor._apicallrc import ApiCallRc, ApiCallRcList, Severity
from aiolinstor._client import Client, current_client
from aiolinstor._errors import (
    AlreadyExistsError,
    ApiCallError,
    AuthenticationError,
    ConnectError,
    ControllersUnavailable,
    ConvergenceFailed,
    ConvergenceTimeout,
    InputError,
    InUseError,
    InvalidNameError,
    InvalidSizeError,
    LinstorError,
    NoClientError,
    NodeLag,
    NotEnoughNodesError,
    NotEnoughSpaceError,
    NotFoundError,
    ProtocolError,
    RequestTimeout,
    TransportError,
    UnsupportedControllerError,
)
from aiolinstor._group import ResourceGroup, VolumeGroup
from aiolinstor._kv import KV
from aiolinstor._models import (
    ConnectionInfo,
    ControllerVersion,
    ErrorReportInfo,
    NetInterfaceInfo,
    NodeInfo,
    ReplicationState,
    ResourceConnectionInfo,
    ResourceCreateSpec,
    ResourceDefinitionInfo,
    ResourceGroupInfo,
    ResourceInfo,
    SnapshotInfo,
    StoragePoolInfo,
    VolumeDefinitionInfo,
    VolumeGroupInfo,
    VolumeInfo,
)
from aiolinstor._placement import Placement, PlacementImpossibleError
from aiolinstor._resource import Deactivation, Resource
from aiolinstor._sizes import format_size, parse_size
from aiolinstor._snapshot import Snapshot, snapshot_many
from aiolinstor._sse import Event, EventStream
from aiolinstor._version import __version__
from aiolinstor._volume import SyncProgress, Volume

__all__ = [
    "KV",
    "AlreadyExistsError",
    "ApiCallError",
    "ApiCallRc",
    "ApiCallRcList",
    "AuthenticationError",
    "Client",
    "CloneStatus",
    "ConnectError",
    "ConnectionInfo",
    "ControllerVersion",
    "ControllersUnavailable",
    "ConvergenceFailed",
    "ConvergenceTimeout",
    "Deactivation",
    "ErrorReportInfo",
    "Event",
    "EventStream",
    "InUseError",
    "InputError",
    "InvalidNameError",
    "InvalidSizeError",
    "LinstorApi",
    "LinstorError",
    "NetInterfaceInfo",
    "NoClientError",
    "NodeInfo",
    "NodeLag",
    "NotEnoughNodesError",
    "NotEnoughSpaceError",
    "NotFoundError",
    "Placement",
    "PlacementImpossibleError",
    "ProtocolError",
    "ReplicationState",
    "RequestTimeout",
    "Resource",
    "ResourceConnectionInfo",
    "ResourceCreateSpec",
    "ResourceDefinitionInfo",
    "ResourceGroup",
    "ResourceGroupInfo",
    "ResourceInfo",
    "Severity",
    "Snapshot",
    "SnapshotInfo",
    "StoragePoolInfo",
    "SyncProgress",
    "ToggleDiskOperation",
    "TransportError",
    "UnsupportedControllerError",
    "Volume",
    "VolumeDefinitionInfo",
    "VolumeGroup",
    "VolumeGroupInfo",
    "VolumeInfo",
    "__version__",
    "current_client",
    "format_size",
    "parse_size",
    "snapshot_many",
]
