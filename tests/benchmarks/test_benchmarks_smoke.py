"""``python benchmarks/run.py --quick`` runs every benchmark end to end and prints its tables.

Only that it works is checked here; what the numbers are is the benchmarks' business.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator_only

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = (
    "### 0. Requests per operation",
    "### 1. Lifecycle of",
    "### 2. Overhead of the low-level client",
    "### 3. 200 concurrent waits",
    "### 4. Listing 1,000 resources",
    "### 5. The emulator",
)


def test_quick_run_prints_every_table(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("LS_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    for title in SECTIONS:
        assert title in out, out
    assert out.count("| measure | value | target | met |") == len(SECTIONS)
    assert re.search(r"Targets met: \d+ of \d+", out), out
    assert "Machine: " in out and "Python 3." in out
    # every row carries a value, and the raw numbers were written
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert all(line.split("|")[2].strip() for line in rows), rows
    assert results.stat().st_size > 0


def test_unknown_benchmark_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nonsense"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "'nonsense'" in done.stderr
