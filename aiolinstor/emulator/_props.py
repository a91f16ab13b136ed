"""Property maps: modify requests (override / delete / delete namespaces) and ``props=`` filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PropsModify = tuple[dict[str, str], list[str], list[str]]


def modify_props(
    props: dict[str, str],
    override: Mapping[str, str],
    delete: Iterable[str] = (),
    namespaces: Iterable[str] = (),
) -> list[str]:
    """Apply a *Modify request to ``props`` in place; return the keys that were deleted.

    Keys are matched exactly; a namespace ``"Aux/tmp"`` removes every key below ``Aux/tmp/``.
    """
    removed: list[str] = []
    for key in delete:
        if props.pop(key, None) is not None:
            removed.append(key)
    for namespace in namespaces:
        prefix = namespace.rstrip("/") + "/"
        for key in [k for k in props if k.startswith(prefix)]:
            del props[key]
            removed.append(key)
    props.update(override)
    return removed


def props_filter_matches(props: Mapping[str, str], filters: Iterable[str]) -> bool:
    """``props=KEY`` requires the key; ``props=KEY=VALUE`` requires that value (all ANDed)."""
    for item in filters:
        key, sep, value = item.partition("=")
        if key not in props:
            return False
        if sep and props[key] != value:
            return False
    return True
