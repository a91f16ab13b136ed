"""Suite-wide helpers: the shared reference folder, and the spec check of every emulator answer.

* :func:`shared_dir` - the read-only reference material (``$AIOLINSTOR_SHARED_DIR``, default
  the ``shared`` folder beside the repository).
* Every emulator created during the session records its answers (``default_observers``); after
  each test they are validated against the official OpenAPI spec, relaxed only by
  ``fidelity/spec_exceptions.py``. A wrong answer fails the test that caused it.
* With ``AIOLINSTOR_TEST_CONTROLLERS`` set (a real cluster), tests marked ``emulator_only`` are
  skipped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The fidelity helpers are imported as the package "fidelity" whatever the rootdir layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fidelity.shared import CONTROLLERS_ENV, shared_dir
from fidelity.spec_validation import AnswerRecorder, problems, spec_validator

__all__ = ["CONTROLLERS_ENV", "shared_dir"]

_recorder = AnswerRecorder()


def pytest_configure(config: pytest.Config) -> None:
    from aiolinstor.emulator import default_observers

    if _recorder not in default_observers:
        default_observers.append(_recorder)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(CONTROLLERS_ENV):
        return
    skip = pytest.mark.skip(
        reason=f"needs the emulator's /_emulator/ control API; {CONTROLLERS_ENV} points at a "
        "real cluster"
    )
    for item in items:
        if item.get_closest_marker("emulator_only"):
            item.add_marker(skip)


def _fail_on_spec_problems(when: str) -> None:
    answers = _recorder.drain()
    if not answers:
        return
    found = list(problems(spec_validator(shared_dir()), answers))
    if found:
        pytest.fail(
            f"emulator answers {when} break the LINSTOR OpenAPI spec "
            "(tolerated differences: tests/fidelity/spec_exceptions.py):\n" + "\n".join(found),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _emulator_answers_follow_the_spec() -> Iterator[None]:
    """Validate every emulator answer sent during the test (and any sent before it)."""
    _fail_on_spec_problems("sent before this test (by a shared fixture)")
    yield
    _fail_on_spec_problems("sent during this test")
