"""examples/snapshots.py and examples/resource_groups.py run as programs on their emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.emulator_only


def _run(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LS_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--speed", "100", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting the embedded LINSTOR emulator" in done.stdout
    assert "all done in" in done.stdout
    return done.stdout


def test_snapshots_example_snapshots_rolls_back_restores_and_clones() -> None:
    out = _run("snapshots.py", "--cleanup")
    assert "snapshot taken on: node-1, node-2" in out
    assert "disk states after rollback: UpToDate" in out
    assert "restored replicas on: node-1, node-2" in out
    assert "restored device path: /dev/drbd" in out
    assert "clone replicas on: node-1, node-2" in out
    assert "snapshots of 'vm-disk': before-upgrade" in out
    assert "delete 'vm-disk'" in out


def test_resource_groups_example_spreads_replicas_over_racks() -> None:
    out = _run("resource_groups.py", "--cleanup")
    assert "'replicas_on_different': ['Aux/rack']" in out
    lines = [line for line in out.splitlines() if ": replicas on " in line]
    assert [line.split(":")[0].strip() for line in lines] == ["web-1", "web-2", "web-3"]
    for line in lines:
        assert "(r1)" in line and "(r2)" in line, line
    assert "delete resource group 'web-tier'" in out
