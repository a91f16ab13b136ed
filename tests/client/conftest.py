"""Fixtures for the controller-client tests: fake controllers, a dead port, a clean env."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from client_fakes import FakeController


@pytest.fixture
async def fake() -> AsyncIterator[FakeController]:
    controller = await FakeController().start()
    try:
        yield controller
    finally:
        await controller.stop()


@pytest.fixture
async def fake2() -> AsyncIterator[FakeController]:
    controller = await FakeController().start()
    try:
        yield controller
    finally:
        await controller.stop()


@pytest.fixture
def dead_url() -> Iterator[str]:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LS_* variables, and HOME pointing at an empty directory; returns that HOME."""
    for name in list(os.environ):
        if name.startswith("LS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path
