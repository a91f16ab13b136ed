"""Fidelity tests run against the emulator, or against a real cluster in parity mode.

Set ``AIOLINSTOR_TEST_CONTROLLERS=http://controller:3370`` (the first of a comma-separated
list is used) to run the tests of this folder against that cluster instead: tests marked
``emulator_only`` are skipped, the others create uniquely named objects and remove them again.
Real answers are checked against the spec here (the emulator's are checked by its observers).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aiolinstor.emulator import Emulator, Timing
from fidelity.shared import CONTROLLERS_ENV, shared_dir
from fidelity.spec_validation import TALLY, Answer, spec_validator


class Controller:
    """A thin REST session to the controller under test, checking real answers against the spec."""

    def __init__(self, url: str, session: aiohttp.ClientSession, emulator: Emulator | None) -> None:
        self.url = url
        self.session = session
        self.emulator = emulator
        self.spec_problems: list[str] = []

    @property
    def is_real(self) -> bool:
        return self.emulator is None

    async def call(
        self, method: str, path: str, body: Any = None, *, data: bytes | None = None
    ) -> tuple[int, Any]:
        """``(status, parsed JSON body)`` of one request."""
        kwargs: dict[str, Any] = {"data": data} if data is not None else {"json": body}
        async with self.session.request(method, path, **kwargs) as response:
            raw = await response.read()
            if self.is_real:
                answer = Answer(
                    method, response.url.path, response.status, response.content_type, raw
                )
                problem = spec_validator(shared_dir()).problem(answer)
                if problem is not None:
                    self.spec_problems.append(f"{answer}: {problem}")
            return response.status, (await response.json(content_type=None) if raw else None)


@pytest.fixture
def unique_name() -> str:
    """A resource/KV name no other run uses (tests may run against a shared real cluster)."""
    return f"aiolfid{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def controller() -> AsyncIterator[Controller]:
    """The controller under test: ``$AIOLINSTOR_TEST_CONTROLLERS`` or a fresh emulator."""
    real_url = os.environ.get(CONTROLLERS_ENV, "").split(",")[0].strip()
    timeout = aiohttp.ClientTimeout(total=60)
    if real_url:
        async with aiohttp.ClientSession(real_url, timeout=timeout) as session:
            ctl = Controller(real_url, session, None)
            yield ctl
        assert not ctl.spec_problems, "\n".join(ctl.spec_problems)
        return
    async with (
        Emulator(timing=Timing.fast()) as emulator,
        aiohttp.ClientSession(emulator.url, timeout=timeout) as session,
    ):
        yield Controller(emulator.url, session, emulator)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line on what the spec check of the emulator's answers covered in this run."""
    if TALLY.answers:
        terminalreporter.write_line(
            f"LINSTOR OpenAPI spec check: {TALLY.answers} emulator answers validated in "
            f"{TALLY.batches} tests; {TALLY.skipped} not validated (spec_exceptions.SKIPPED)"
        )
