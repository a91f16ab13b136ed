"""A griffe extension for the API reference: Sphinx roles in docstrings become code spans.

The docstrings use reST cross-reference roles (``:class:`~aiolinstor.Resource```); the
Markdown renderer would print them literally. ``:role:`~a.b.Name``` becomes `` `Name` `` and
``:role:`a.b.Name``` becomes `` `a.b.Name` ``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|attr|func|mod|data|exc|obj|const):`(~?)([^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    target = match.group(2)
    if match.group(1):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def strip_roles(text: str) -> str:
    """``text`` with every Sphinx cross-reference role turned into a code span."""
    return _ROLE.sub(_as_code, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the docstring of every loaded object."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = strip_roles(obj.docstring.value)
