"""Shared pieces of the benchmarks: results, the emulator in a child process, request counts,
and a description of the machine the numbers come from."""

from __future__ import annotations

import datetime
import json
import os
import platform
import selectors
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: Longest time a child emulator may take to print its URL (filling 10,000 resources included).
START_TIMEOUT_S = 120.0


@dataclass
class Row:
    """One measured figure, with the target it is held against (if any)."""

    measure: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Section:
    """The outcome of one benchmark: a table of rows and the raw numbers behind them."""

    key: str
    title: str
    setup: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(measure, value, target, met))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verdict(met: bool | None) -> str:
    return {None: "", True: "yes", False: "**no**"}[met]


def markdown(sections: Sequence[Section]) -> str:
    """The sections as Markdown: one table per benchmark, under its title and setup line."""
    out: list[str] = []
    for section in sections:
        out += [f"### {section.title}", "", section.setup, ""]
        out += ["| measure | value | target | met |", "|---|---|---|---|"]
        out += [
            f"| {r.measure} | {r.value} | {r.target} | {verdict(r.met)} |" for r in section.rows
        ]
        out.append("")
    return "\n".join(out)


# --- numbers ---------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- the machine -----------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """What the numbers depend on: CPUs, Python, library versions, date."""
    return {
        "nproc": str(os.cpu_count() or "unknown"),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "aiolinstor": _version("aiolinstor"),
        "aiohttp": _version("aiohttp"),
        "python-linstor": _version("python-linstor"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- the emulator in a child process ---------------------------------------------------------
@contextmanager
def emulator_process(
    *, nodes: int = 3, speed: float = 1.0, resources: int = 0, replicas: int = 2
) -> Iterator[str]:
    """Run ``_serve.py`` in a child process (its own CPU and event loop); yield its URL.

    Blocking clients (python-linstor) need a server outside their own thread, and the size
    benchmarks keep the server's memory out of the client's measurements.
    """
    command = [
        sys.executable,
        str(HERE / "_serve.py"),
        f"--nodes={nodes}",
        f"--speed={speed}",
        f"--resources={resources}",
        f"--replicas={replicas}",
    ]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert child.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            if not selector.select(START_TIMEOUT_S):
                raise RuntimeError(f"the emulator did not start within {START_TIMEOUT_S:g} s")
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the emulator did not start (exit code {child.poll()})")
        yield url
    finally:
        if child.stdin is not None:
            child.stdin.close()  # the child stops at end-of-file
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# --- request counts (the emulator's control API) ---------------------------------------------
def _control(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(
        url + path, method=method, data=b"" if method != "GET" else None
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def request_counts(url: str) -> dict[str, int]:
    """Requests served per route since the last reset (``GET /_emulator/stats``)."""
    counts: dict[str, int] = _control(url, "/_emulator/stats")["by_route"]
    return counts


def reset_counts(url: str) -> None:
    _control(url, "/_emulator/stats/reset", "POST")


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


class Stopwatch:
    """Wall time of a block: ``with Stopwatch() as watch: ...; watch.seconds``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
