"""``python -m aiolinstor.emulator``: serves, prints its URL, stops cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator_only

DEADLINE_S = 30


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aiolinstor.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=DEADLINE_S) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_signalled(stop_signal: signal.Signals) -> None:
    process = _start("--nodes", "2", "--pool-size", "10GiB", "--speed", "50", "--seed", "3")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        version = _get(f"{url}/v1/controller/version")
        nodes = _get(f"{url}/v1/nodes")
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert isinstance(version, dict) and version["rest_api_version"].startswith("1.")
    assert isinstance(nodes, list) and sorted(n["name"] for n in nodes) == ["node-1", "node-2"]


def test_cli_takes_a_spec_file_and_a_token_file(tmp_path: Path) -> None:
    spec = tmp_path / "cluster.json"
    spec.write_text(json.dumps({"nodes": [{"name": "solo", "pools": [{"size": "1 GiB"}]}]}))
    token = tmp_path / "token"
    token.write_text("tok-abc\n")
    process = _start("--spec-file", str(spec), "--bearer-token-file", str(token))
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        request = urllib.request.Request(
            f"{url}/v1/nodes", headers={"Authorization": "Bearer tok-abc"}
        )
        with urllib.request.urlopen(request, timeout=DEADLINE_S) as response:
            nodes = json.loads(response.read())
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert [n["name"] for n in nodes] == ["solo"]


def test_cli_help_documents_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aiolinstor.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=True,
    )
    for option in (
        "--host",
        "--port",
        "--nodes",
        "--pool-size",
        "--provider-kind",
        "--spec-file",
        "--speed",
        "--seed",
        "--tls-cert",
        "--tls-key",
        "--basic-auth",
        "--bearer-token-file",
        "--log-level",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--pool-size", "lots"], "lots"),
        (["--tls-cert", "/nonexistent.pem"], "--tls-key"),
        (["--basic-auth", "nocolon"], "USER:PASSWORD"),
        (["--speed", "0"], "--speed"),
    ],
)
def test_cli_rejects_bad_options(args: list[str], named: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aiolinstor.emulator", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )
    assert result.returncode == 2
    assert named in result.stderr
