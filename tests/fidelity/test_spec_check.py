"""The suite's spec check, end to end: observer -> recorder -> validator."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from aiolinstor.emulator import Emulator, Timing
from fidelity.shared import shared_dir
from fidelity.spec_validation import AnswerRecorder, problems, spec_validator

pytestmark = pytest.mark.emulator_only


async def test_a_wrong_emulator_answer_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only this test's recorder may see the wrong answer: the suite's own (a default observer)
    # would rightly fail this test.
    monkeypatch.setattr("aiolinstor.emulator._server.default_observers", [])
    recorder = AnswerRecorder()
    emulator = Emulator(nodes=1, timing=Timing.fast(), observers=[recorder])

    async def broken_physical_storage(request: web.Request) -> web.Response:
        return web.json_response([{"size": "big"}])  # size must be an integer

    # An endpoint of the spec the emulator does not serve, answered wrongly on purpose.
    emulator.app.router.add_get("/v1/physical-storage", broken_physical_storage)
    async with emulator, aiohttp.ClientSession(emulator.url) as http:
        for path in ("/v1/nodes", "/v1/physical-storage"):
            async with http.get(path) as response:
                assert response.status == 200
    answers = recorder.drain()
    assert [a.path for a in answers] == ["/v1/nodes", "/v1/physical-storage"]
    found = list(problems(spec_validator(shared_dir()), answers))
    assert len(found) == 1
    assert found[0].startswith("GET /v1/physical-storage -> 200:")
    assert "is not of type 'integer'" in found[0]
    assert recorder.drain() == []
