"""Name checks done before any request, by LINSTOR's own rules.

Resource, snapshot and resource-group names: 2-48 characters of ``[A-Za-z0-9_-]``, starting
with a letter or ``_``, with at least one letter; resource names ``all`` and ``proxy`` are
reserved. Storage pools: the same characters, 3-48. Node names: RFC 1123 host names.
LINSTOR compares all names case-insensitively and keeps the given case.
"""

from __future__ import annotations

import re

from aiolinstor._errors import InvalidNameError

_OBJECT_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{1,47}$")
_POOL_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{2,47}$")
_LETTER_RE = re.compile(r"[A-Za-z]")
_NODE_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_RESERVED_RESOURCE_NAMES = frozenset({"ALL", "PROXY"})
MAX_VOLUME_NUMBER = 65534


def _object_name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not 2 <= len(name) <= 48:
        return "must be 2 to 48 characters long"
    if not _OBJECT_NAME_RE.match(name):
        return "must start with a letter or '_' and contain only letters, digits, '_' and '-'"
    if not _LETTER_RE.search(name):
        return "must contain at least one letter"
    return None


def _check(kind: str, name: object, problem: str | None) -> str:
    if problem is not None:
        raise InvalidNameError(f"invalid {kind} name {name!r}: {problem}")
    assert isinstance(name, str)
    return name


def _resource_problem(name: object) -> str | None:
    problem = _object_name_problem(name)
    if problem is None and isinstance(name, str) and name.upper() in _RESERVED_RESOURCE_NAMES:
        problem = "is reserved by LINSTOR"
    return problem


def _pool_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not _POOL_NAME_RE.match(name):
        return "must be 3 to 48 characters of letters, digits, '_' and '-', not starting with '-'"
    return None


def _node_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not 2 <= len(name) <= 255:
        return "must be 2 to 255 characters long"
    labels = name.split(".")
    if not all(_NODE_LABEL_RE.match(label) for label in labels):
        return (
            "must be an RFC 1123 host name: dot-separated labels of up to 63 letters, digits "
            "and '-', not starting or ending with '-'"
        )
    return None


def check_resource_name(name: object) -> str:
    """Return ``name`` if LINSTOR accepts it as a resource name, else raise InvalidNameError."""
    return _check("resource", name, _resource_problem(name))


def check_snapshot_name(name: object) -> str:
    """Return ``name`` if LINSTOR accepts it as a snapshot name, else raise InvalidNameError."""
    return _check("snapshot", name, _object_name_problem(name))


def check_resource_group_name(name: object) -> str:
    """Return ``name`` if LINSTOR accepts it as a resource-group name."""
    return _check("resource group", name, _object_name_problem(name))


def check_storage_pool_name(name: object) -> str:
    """Return ``name`` if LINSTOR accepts it as a storage-pool name."""
    return _check("storage pool", name, _pool_problem(name))


def check_node_name(name: object) -> str:
    """Return ``name`` if it is an RFC 1123 host name LINSTOR accepts as a node name."""
    return _check("node", name, _node_problem(name))


def check_volume_number(number: object) -> int:
    """Return ``number`` if it is a volume number LINSTOR accepts (0 to 65534)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidNameError(f"invalid volume number {number!r}: must be an int")
    if not 0 <= number <= MAX_VOLUME_NUMBER:
        raise InvalidNameError(
            f"invalid volume number {number!r}: must be between 0 and {MAX_VOLUME_NUMBER}"
        )
    return number


def is_valid_resource_name(name: object) -> bool:
    return _resource_problem(name) is None


def is_valid_snapshot_name(name: object) -> bool:
    return _object_name_problem(name) is None


def is_valid_resource_group_name(name: object) -> bool:
    return _object_name_problem(name) is None


def is_valid_storage_pool_name(name: object) -> bool:
    return _pool_problem(name) is None


def is_valid_node_name(name: object) -> bool:
    return _node_problem(name) is None
