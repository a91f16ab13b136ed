"""LINSTOR return codes (ApiCallRc): constants, classification and parsing.

Every mutating LINSTOR call answers with a list of ApiCallRc entries. A ``ret_code`` is a signed
64-bit integer on the wire whose bits say the severity (62-63), the operation (24-25), the object
(18-22) and the code proper (0-14). The controller ORs its context's operation and object masks
into entries, so the same logical code arrives with different full values: compare on the type
and code bits only (:func:`matches`).

This module is shared by the client and the emulator; it depends on nothing else in the package
except the exception tree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

_U64 = 0xFFFF_FFFF_FFFF_FFFF

# --- severity (bits 62-63) -------------------------------------------------------------------
MASK_ERROR = 0xC000_0000_0000_0000
MASK_WARN = 0x8000_0000_0000_0000
MASK_INFO = 0x4000_0000_0000_0000
MASK_SUCCESS = 0
MASK_BITS_TYPE = 0xC000_0000_0000_0000

# --- operation (bits 24-25) ------------------------------------------------------------------
MASK_BITS_OP = 0x0300_0000
MASK_CRT = 0x0100_0000
MASK_MOD = 0x0200_0000
MASK_DEL = 0x0300_0000

# --- object (bits 18-22; values of a 5-bit field, not independent bits) ----------------------
MASK_BITS_OBJ = 0x007C_0000
MASK_SCHEDULE = 0x540000
MASK_EXT_FILES = 0x500000
MASK_PHYSICAL_DEVICE = 0x4C0000
MASK_VLM_GRP = 0x480000
MASK_RSC_GRP = 0x440000
MASK_KVS = 0x400000
MASK_NODE = 0x3C0000
MASK_RSC_DFN = 0x380000
MASK_RSC = 0x340000
MASK_VLM_DFN = 0x300000
MASK_VLM = 0x2C0000
MASK_NODE_CONN = 0x280000
MASK_RSC_CONN = 0x240000
MASK_VLM_CONN = 0x200000
MASK_NET_IF = 0x1C0000
MASK_STOR_POOL_DFN = 0x180000
MASK_STOR_POOL = 0x140000
MASK_CTRL_CONF = 0x100000
MASK_SNAPSHOT = 0x0C0000
MASK_BACKUP = 0x080000
MASK_REMOTE = 0x040000

# --- code proper (bits 0-14) -----------------------------------------------------------------
MASK_BITS_CODE = 0x7FFF

# --- success ---------------------------------------------------------------------------------
CREATED = 1
DELETED = 2
MODIFIED = 3
PASSPHRASE_ACCEPTED = 4

# --- errors ----------------------------------------------------------------------------------
FAIL_SQL = MASK_ERROR | 100
FAIL_SQL_ROLLBACK = MASK_ERROR | 101
FAIL_INVLD_NODE_NAME = MASK_ERROR | 200
FAIL_INVLD_NODE_TYPE = MASK_ERROR | 201
FAIL_INVLD_RSC_NAME = MASK_ERROR | 202
FAIL_INVLD_RSC_PORT = MASK_ERROR | 203
FAIL_INVLD_NODE_ID = MASK_ERROR | 204
FAIL_INVLD_VLM_NR = MASK_ERROR | 205
FAIL_INVLD_VLM_SIZE = MASK_ERROR | 206
FAIL_INVLD_MINOR_NR = MASK_ERROR | 207
FAIL_INVLD_STOR_POOL_NAME = MASK_ERROR | 208
FAIL_INVLD_NET_NAME = MASK_ERROR | 209
FAIL_INVLD_NET_ADDR = MASK_ERROR | 210
FAIL_INVLD_NET_PORT = MASK_ERROR | 211
FAIL_INVLD_PROP = MASK_ERROR | 213
FAIL_INVLD_SNAPSHOT_NAME = MASK_ERROR | 218
FAIL_INVLD_PLACE_COUNT = MASK_ERROR | 219
FAIL_INVLD_STOR_DRIVER = MASK_ERROR | 221
FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE = MASK_ERROR | 222
FAIL_INVLD_LAYER_KIND = MASK_ERROR | 224
FAIL_INVLD_LAYER_STACK = MASK_ERROR | 225
FAIL_INVLD_PROVIDER = MASK_ERROR | 227
FAIL_INVLD_VLM_SIZES = MASK_ERROR | 228
FAIL_INVLD_VLM_COUNT = MASK_ERROR | 229
FAIL_NODE_HAS_USED_RSC = MASK_ERROR | 233
FAIL_INVLD_REQUEST = MASK_ERROR | 234
FAIL_INVLD_RSC_GRP_NAME = MASK_ERROR | 237
FAIL_INVLD_RSC_STATE = MASK_ERROR | 243

FAIL_NOT_FOUND_NODE = MASK_ERROR | 300
FAIL_NOT_FOUND_RSC_DFN = MASK_ERROR | 301
FAIL_NOT_FOUND_RSC = MASK_ERROR | 302
FAIL_NOT_FOUND_VLM_DFN = MASK_ERROR | 303
FAIL_NOT_FOUND_VLM = MASK_ERROR | 304
FAIL_NOT_FOUND_NET_IF = MASK_ERROR | 305
FAIL_NOT_FOUND_NODE_CONN = MASK_ERROR | 306
FAIL_NOT_FOUND_RSC_CONN = MASK_ERROR | 307
FAIL_NOT_FOUND_STOR_POOL_DFN = MASK_ERROR | 309
FAIL_NOT_FOUND_STOR_POOL = MASK_ERROR | 310
FAIL_NOT_FOUND_DFLT_STOR_POOL = MASK_ERROR | 311
FAIL_NOT_FOUND_CRYPT_KEY = MASK_ERROR | 312
FAIL_NOT_FOUND_SNAPSHOT_DFN = MASK_ERROR | 313
FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN = MASK_ERROR | 314
FAIL_NOT_FOUND_SNAPSHOT = MASK_ERROR | 315
FAIL_NOT_FOUND_KVS = MASK_ERROR | 316
FAIL_NOT_FOUND_RSC_GRP = MASK_ERROR | 317
FAIL_NOT_FOUND_VLM_GRP = MASK_ERROR | 318
FAIL_NOT_FOUND_EXT_FILE = MASK_ERROR | 320
FAIL_NOT_FOUND_REMOTE = MASK_ERROR | 321
FAIL_NOT_FOUND_BACKUP = MASK_ERROR | 322
FAIL_NOT_FOUND_SCHEDULE = MASK_ERROR | 323

FAIL_ACC_DENIED_NODE = MASK_ERROR | 400
FAIL_ACC_DENIED_RSC_DFN = MASK_ERROR | 401
FAIL_ACC_DENIED_RSC = MASK_ERROR | 402
FAIL_ACC_DENIED_VLM_DFN = MASK_ERROR | 403
FAIL_ACC_DENIED_SCHEDULE = MASK_ERROR | 424

FAIL_EXISTS_NODE = MASK_ERROR | 500
FAIL_EXISTS_RSC_DFN = MASK_ERROR | 501
FAIL_EXISTS_RSC = MASK_ERROR | 502
FAIL_EXISTS_VLM_DFN = MASK_ERROR | 503
FAIL_EXISTS_VLM = MASK_ERROR | 504
FAIL_EXISTS_NET_IF = MASK_ERROR | 505
FAIL_EXISTS_NODE_CONN = MASK_ERROR | 506
FAIL_EXISTS_STOR_POOL_DFN = MASK_ERROR | 509
FAIL_EXISTS_STOR_POOL = MASK_ERROR | 510
FAIL_EXISTS_SNAPSHOT_DFN = MASK_ERROR | 514
FAIL_EXISTS_SNAPSHOT = MASK_ERROR | 516
FAIL_EXISTS_EXT_NAME = MASK_ERROR | 517
FAIL_LOST_STOR_POOL = MASK_ERROR | 521
FAIL_EXISTS_RSC_GRP = MASK_ERROR | 522
FAIL_EXISTS_VLM_GRP = MASK_ERROR | 523
FAIL_EXISTS_REMOTE = MASK_ERROR | 527
FAIL_EXISTS_SCHEDULE = MASK_ERROR | 528

FAIL_MISSING_PROPS = MASK_ERROR | 600
FAIL_MISSING_STLT_CONN = MASK_ERROR | 605
FAIL_NO_STLT_CONN_DEFINED = MASK_ERROR | 609

FAIL_UUID_RSC_DFN = MASK_ERROR | 701
FAIL_POOL_EXHAUSTED_VLM_NR = MASK_ERROR | 800
FAIL_POOL_EXHAUSTED_MINOR_NR = MASK_ERROR | 801
FAIL_POOL_EXHAUSTED_TCP_PORT = MASK_ERROR | 802
FAIL_POOL_EXHAUSTED_NODE_ID = MASK_ERROR | 803

FAIL_SNAPSHOT_ROLLBACK_IN_PROGRESS = MASK_ERROR | 971
FAIL_SP_MIXING_NOT_ALLOWED = MASK_ERROR | 972
FAIL_NOT_ALL_UPTODATE = MASK_ERROR | 974
FAIL_EVACUATING = MASK_ERROR | 975
FAIL_SNAPSHOT_NOT_UPTODATE = MASK_ERROR | 979
FAIL_NOT_ENOUGH_FREE_SPACE = MASK_ERROR | 980
FAIL_SNAPSHOT_SHIPPING_IN_PROGRESS = MASK_ERROR | 984
FAIL_UNDECIDABLE_AUTOPLACMENT = MASK_ERROR | 985
FAIL_STLT_DOES_NOT_SUPPORT_LAYER = MASK_ERROR | 988
FAIL_STLT_DOES_NOT_SUPPORT_PROVIDER = MASK_ERROR | 989
FAIL_STOR_POOL_CONFIGURATION_ERROR = MASK_ERROR | 990
FAIL_INSUFFICIENT_REPLICA_COUNT = MASK_ERROR | 991
FAIL_RSC_BUSY = MASK_ERROR | 992
FAIL_INSUFFICIENT_PEER_SLOTS = MASK_ERROR | 993
FAIL_SNAPSHOTS_NOT_SUPPORTED = MASK_ERROR | 994
FAIL_NOT_CONNECTED = MASK_ERROR | 995
FAIL_NOT_ENOUGH_NODES = MASK_ERROR | 996
FAIL_IN_USE = MASK_ERROR | 997
FAIL_UNKNOWN_ERROR = MASK_ERROR | 998
FAIL_IMPL_ERROR = MASK_ERROR | 999

FAIL_SIGN_IN = MASK_ERROR | 10000
FAIL_SIGN_IN_MISSING_CREDENTIALS = MASK_ERROR | 10001

UNKNOWN_API_CALL = MASK_ERROR | 0x0FFF_FFFF_FFFF_FFFF
API_CALL_AUTH_REQ = MASK_ERROR | 0x0FFF_FFFF_FFFF_FFFE
API_CALL_PARSE_ERROR = MASK_ERROR | 0x0FFF_FFFF_FFFF_FFFD

# --- warnings --------------------------------------------------------------------------------
WARN_INVLD_OPT_PROP_NETCOM_ENABLED = MASK_WARN | 1001
WARN_NOT_CONNECTED = MASK_WARN | 1002
WARN_STLT_NOT_UPDATED = MASK_WARN | 1003
WARN_NO_STLT_CONN_DEFINED = MASK_WARN | 1004
WARN_DEL_UNSET_PROP = MASK_WARN | 1005
WARN_RSC_ALREADY_DEPLOYED = MASK_WARN | 1006
WARN_RSC_ALREADY_HAS_DISK = MASK_WARN | 1007
WARN_RSC_ALREADY_DISKLESS = MASK_WARN | 1008
WARN_ALL_DISKLESS = MASK_WARN | 1009
WARN_STORAGE_ERROR = MASK_WARN | 1010
WARN_NOT_FOUND_CRYPT_KEY = MASK_WARN | 1011
WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER = MASK_WARN | 1013
WARN_UNEFFECTIVE_PROP = MASK_WARN | 1015
WARN_NODE_EVICTED = MASK_WARN | 1017
WARN_RSC_DEACTIVATED = MASK_WARN | 1018
WARN_VLMDFN_RESIZE_SAME_SIZE = MASK_WARN | 1023
WARN_NOT_FOUND = MASK_WARN | 3000
WARN_NO_EFFECT = MASK_WARN | 3001
WARN_DEPRECATED = MASK_WARN | 4000

# --- infos -----------------------------------------------------------------------------------
INFO_NO_RSC_SPAWNED = MASK_INFO | 10000
INFO_NODE_NAME_MISMATCH = MASK_INFO | 10001
INFO_PROP_SET = MASK_INFO | 10002
INFO_TIE_BREAKER_CREATED = MASK_INFO | 10003
INFO_TIE_BREAKER_DELETING = MASK_INFO | 10004
INFO_PROP_REMOVED = MASK_INFO | 10005
INFO_TIE_BREAKER_TAKEOVER = MASK_INFO | 10006
INFO_NOOP = MASK_INFO | 10007
INFO_AUTO_DRBD_PROXY_CREATED = MASK_INFO | 10007
INFO_RSC_ALREADY_EXISTS = MASK_INFO | 10008

_COMPARE_MASK = MASK_BITS_TYPE | MASK_BITS_CODE


class Severity(enum.Enum):
    """The type bits of a return code."""

    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def to_unsigned(value: int) -> int:
    """The unsigned 64-bit form of a ret_code (JSON carries signed Java longs)."""
    return value & _U64


def to_signed(value: int) -> int:
    """The signed 64-bit form of a ret_code, as the controller writes it in JSON."""
    value &= _U64
    return value - (1 << 64) if value & (1 << 63) else value


def severity(ret_code: int) -> Severity:
    """Classify a ret_code by its type bits (errors have both bits set)."""
    bits = to_unsigned(ret_code) & MASK_BITS_TYPE
    if bits == MASK_ERROR:
        return Severity.ERROR
    if bits == MASK_WARN:
        return Severity.WARNING
    if bits == MASK_INFO:
        return Severity.INFO
    return Severity.SUCCESS


def code_of(ret_code: int) -> int:
    """The code proper (bits 0-14), without type, operation or object."""
    return to_unsigned(ret_code) & MASK_BITS_CODE


def matches(ret_code: int, const: int) -> bool:
    """True when ``ret_code`` is ``const`` on the type and code bits (as golinstor compares)."""
    return (to_unsigned(ret_code) & _COMPARE_MASK) == (to_unsigned(const) & _COMPARE_MASK)


def make_ret_code(const: int, op: int = 0, obj: int = 0) -> int:
    """The signed wire value of ``const`` with an operation and object mask OR-ed in."""
    return to_signed(to_unsigned(const) | op | obj)


def http_status_for(ret_codes: Iterable[int], success_status: int) -> int:
    """The HTTP status a real controller picks for an answer holding ``ret_codes``.

    The first entry with both error bits decides: not-found codes give 404, access-denied and
    sign-in failures 403, missing credentials 401, anything else 500; no error gives the
    endpoint's own success status.
    """
    for ret_code in ret_codes:
        if severity(ret_code) is not Severity.ERROR:
            continue
        if matches(ret_code, FAIL_SIGN_IN_MISSING_CREDENTIALS):
            return 401
        if matches(ret_code, FAIL_SIGN_IN):
            return 403
        code = code_of(ret_code)
        if 300 <= code <= 399:
            return 404
        if 400 <= code <= 499:
            return 403
        return 500
    return success_status


def _protocol_error(message: str) -> Exception:
    from aiolinstor._errors import ProtocolError

    return ProtocolError(message)


def _opt_str(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _protocol_error(f"ApiCallRc field {key!r} must be a string, got {value!r}")
    return value


@dataclass(frozen=True)
class ApiCallRc:
    """One entry of a controller answer: what happened, to what, and how bad it is."""

    ret_code: int
    message: str
    cause: str | None = None
    details: str | None = None
    correction: str | None = None
    obj_refs: Mapping[str, str] = field(default_factory=dict)
    error_report_ids: tuple[str, ...] = ()
    created_at: str | None = None

    @classmethod
    def from_json(cls, entry: object) -> ApiCallRc:
        """Parse one JSON entry; a wrong shape raises ProtocolError naming the problem."""
        if not isinstance(entry, dict):
            raise _protocol_error(f"ApiCallRc entry must be an object, got {entry!r:.200}")
        ret_code = entry.get("ret_code")
        if isinstance(ret_code, bool) or not isinstance(ret_code, int):
            raise _protocol_error(f"ApiCallRc 'ret_code' must be an integer, got {ret_code!r}")
        message = entry.get("message", "")
        if not isinstance(message, str):
            raise _protocol_error(f"ApiCallRc 'message' must be a string, got {message!r}")
        obj_refs = entry.get("obj_refs", {})
        if not isinstance(obj_refs, dict):
            raise _protocol_error(f"ApiCallRc 'obj_refs' must be an object, got {obj_refs!r}")
        report_ids = entry.get("error_report_ids", [])
        if not isinstance(report_ids, list) or not all(isinstance(i, str) for i in report_ids):
            raise _protocol_error(
                f"ApiCallRc 'error_report_ids' must be a list of strings, got {report_ids!r}"
            )
        return cls(
            ret_code=to_signed(ret_code),
            message=message,
            cause=_opt_str(entry, "cause"),
            details=_opt_str(entry, "details"),
            correction=_opt_str(entry, "correction"),
            obj_refs={str(k): str(v) for k, v in obj_refs.items()},
            error_report_ids=tuple(report_ids),
            created_at=_opt_str(entry, "created_at"),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form, with empty fields left out as the controller does."""
        out: dict[str, Any] = {"ret_code": to_signed(self.ret_code), "message": self.message}
        for key in ("cause", "details", "correction", "created_at"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.obj_refs:
            out["obj_refs"] = dict(self.obj_refs)
        if self.error_report_ids:
            out["error_report_ids"] = list(self.error_report_ids)
        return out

    @property
    def severity(self) -> Severity:
        """Error, warning, info or success, from the type bits."""
        return severity(self.ret_code)

    @property
    def code(self) -> int:
        """The code bits alone (operation and object bits masked out)."""
        return code_of(self.ret_code)

    @property
    def is_error(self) -> bool:
        """True for an error entry."""
        return self.severity is Severity.ERROR

    @property
    def is_warning(self) -> bool:
        """True for a warning entry."""
        return self.severity is Severity.WARNING

    @property
    def is_info(self) -> bool:
        """True for an info entry."""
        return self.severity is Severity.INFO

    @property
    def is_success(self) -> bool:
        """True for a success entry (no type bit set)."""
        return self.severity is Severity.SUCCESS

    def matches(self, const: int) -> bool:
        """True when this entry is ``const`` on the type and code bits."""
        return matches(self.ret_code, const)

    def __str__(self) -> str:
        text = f"{self.severity.value.upper()}: {self.message}"
        if self.cause:
            text += f" (cause: {self.cause})"
        if self.error_report_ids:
            text += f" [error reports: {', '.join(self.error_report_ids)}]"
        return text


class ApiCallRcList(Sequence[ApiCallRc]):
    """An immutable list of ApiCallRc entries: one controller answer."""

    __slots__ = ("_entries", "status")

    def __init__(self, entries: Iterable[ApiCallRc] = (), status: int | None = None) -> None:
        self._entries: tuple[ApiCallRc, ...] = tuple(entries)
        self.status = status

    @classmethod
    def from_json(cls, data: object, status: int | None = None) -> ApiCallRcList:
        """Parse an answer body; a single object is accepted as a one-entry list."""
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise _protocol_error(f"expected a list of ApiCallRc entries, got {data!r:.200}")
        return cls((ApiCallRc.from_json(entry) for entry in data), status)

    def to_json(self) -> list[dict[str, Any]]:
        """The JSON list, each entry as :meth:`ApiCallRc.to_json` gives it."""
        return [entry.to_json() for entry in self._entries]

    @overload
    def __getitem__(self, index: int) -> ApiCallRc: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ApiCallRc]: ...

    def __getitem__(self, index: int | slice) -> ApiCallRc | Sequence[ApiCallRc]:
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[ApiCallRc]:
        return iter(self._entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ApiCallRcList):
            return self._entries == other._entries
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._entries)

    def __repr__(self) -> str:
        return f"ApiCallRcList({list(self._entries)!r}, status={self.status!r})"

    def _of(self, kind: Severity) -> tuple[ApiCallRc, ...]:
        return tuple(entry for entry in self._entries if entry.severity is kind)

    @property
    def errors(self) -> tuple[ApiCallRc, ...]:
        """The error entries, in answer order."""
        return self._of(Severity.ERROR)

    @property
    def warnings(self) -> tuple[ApiCallRc, ...]:
        """The warning entries, in answer order."""
        return self._of(Severity.WARNING)

    @property
    def infos(self) -> tuple[ApiCallRc, ...]:
        """The info entries, in answer order."""
        return self._of(Severity.INFO)

    @property
    def successes(self) -> tuple[ApiCallRc, ...]:
        """The success entries, in answer order."""
        return self._of(Severity.SUCCESS)

    @property
    def error_report_ids(self) -> tuple[str, ...]:
        """Every error report id the answer names, in order."""
        return tuple(rid for entry in self._entries for rid in entry.error_report_ids)

    def has(self, const: int) -> bool:
        """True when any entry is ``const`` on the type and code bits."""
        return any(entry.matches(const) for entry in self._entries)

    def first(self, const: int) -> ApiCallRc | None:
        """The first entry matching ``const``, if any."""
        return next((entry for entry in self._entries if entry.matches(const)), None)
