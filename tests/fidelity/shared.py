"""Where the read-only reference material is, and which real cluster parity runs use."""

from __future__ import annotations

import os
from pathlib import Path

#: Set to a controller URL (comma-separated list: the first is used) for parity runs.
CONTROLLERS_ENV = "AIOLINSTOR_TEST_CONTROLLERS"


def shared_dir() -> Path:
    """The shared reference folder: ``$AIOLINSTOR_SHARED_DIR`` or ``../shared`` beside the repo."""
    configured = os.environ.get("AIOLINSTOR_SHARED_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared"
