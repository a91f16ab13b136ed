"""examples/quickstart.py runs as a program against its embedded emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"

pytestmark = pytest.mark.emulator_only


def test_quickstart_runs_and_prints_the_device_path() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LS_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--speed", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "starting the embedded LINSTOR emulator" in out
    assert "is not a node of the emulated cluster" in out
    assert "device path: /dev/drbd" in out
    assert "outcome: removed" in out
    for step in ("autoplace", "grow volume 0", "activate", "deactivate"):
        assert step in out
    assert out.count("done in") >= 4
