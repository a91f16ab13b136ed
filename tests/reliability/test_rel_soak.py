"""Load with faults, small: the code of ``benchmarks/soak_faults.py`` with about 50 lifecycles.

The full run (1,000 lifecycles, figures in docs/reliability.md) is
``python benchmarks/soak_faults.py --lifecycles 1000 --seed 1``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.emulator_only

SOAK_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "soak_faults.py"


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak_faults", SOAK_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_faults"] = module
    spec.loader.exec_module(module)
    return module


async def test_lifecycles_with_faults_lose_and_duplicate_nothing() -> None:
    soak = _soak_module()
    report = await soak.run_soak(soak.SoakConfig(lifecycles=50, seed=1, concurrency=8))
    assert report.untyped == []  # every failure raised a LinstorError subclass
    assert (report.lost, report.duplicated) == (0, 0), report.problems
    assert report.completed + report.abandoned == 50
    assert report.abandoned == 0
    # the faults really happened and really hit the calls
    assert sum(report.faults.values()) > 20
    assert report.faults["satellite offline flap"] > 0
    assert report.operations_failed == sum(report.errors.values()) > 0
    assert report.retries["writes recovered by a read"] > 0
    assert report.retries["reads retried after a controller fault"] > 0
    text = "\n".join(report.lines())
    assert "resources lost     0" in text and "duplicated         0" in text
