"""docs/emulator.md lists every route the emulator serves, with its methods, and nothing else."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from aiolinstor.emulator import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def served_routes() -> dict[str, set[str]]:
    routes: dict[str, set[str]] = defaultdict(set)
    for route in create_app().router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith("/_emulator"):
            routes[path].add(route.method)
    return dict(routes)


def documented_routes() -> dict[str, set[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("\n## Endpoint coverage\n") :]
    rows = re.findall(r"^\| `([^`]+)` \| ([A-Z, ]+) \|", table, flags=re.M)
    return {path: {m.strip() for m in methods.split(",")} for path, methods in rows}


def test_coverage_table_matches_the_served_routes() -> None:
    served, documented = served_routes(), documented_routes()
    assert len(served) > 50
    assert sorted(set(served) - set(documented)) == [], "served but not in the table"
    assert sorted(set(documented) - set(served)) == [], "in the table but not served"
    wrong = {p: (documented[p], served[p]) for p in served if documented[p] != served[p]}
    assert wrong == {}, "methods differ (documented, served)"
