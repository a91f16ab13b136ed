"""Load with faults: resource lifecycles through one client while the controller misbehaves.

Each lifecycle runs create, autoplace (2 replicas), resize, activate (a diskless client on a
third node), deactivate and delete of its own resource through the high-level API, against the
in-process emulator with seeded faults on every REST route: HTTP 500 answers with error
reports, connections dropped before or after the controller processed the request, delays, and
satellites flapping offline and back. A step that raises is run again (a re-run must converge),
and every error must be a typed ``LinstorError``. Every ``keep_every``-th resource is kept.

After every successful step, and at the end with the faults off, the emulator's database is
compared with what the successful calls promised: a resource promised but missing (or smaller,
or with fewer replicas or clients) is *lost*; anything beyond the promise (a second volume, an
extra replica or client, a definition nobody asked for) is *duplicated*.

    python benchmarks/soak_faults.py --lifecycles 1000 --seed 1

The test suite imports :func:`run_soak` and runs it with about 50 lifecycles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio

from aiolinstor import Client, LinstorError, Resource, Volume
from aiolinstor._sizes import MiB, to_kib
from aiolinstor.emulator import Delay, Drop, Emulator, ErrorAnswer, FaultRule, Timing

#: Log messages of the SDK that mark a retry or a recovery (their templates), by kind.
RETRY_LOGS = {
    "%s %s: all controllers failed (attempt %d), backing off": "request rounds backed off",
    "%s; trying the next controller": "timed-out reads failed over",
    "%s %s: %s answered %s": "reads retried after a controller fault",
    "%s: no answer (%s); reading state to see whether it applied": "writes recovered by a read",
    "%s: the change was not applied; sending it again": "writes re-sent after a read",
    "reading resource state failed, will retry: %s": "state polls retried",
    "removing the half-made resource definition %r": "half-made definitions removed",
}
SIZES = (64 * MiB, 96 * MiB, 128 * MiB)


@dataclass(frozen=True)
class SoakConfig:
    """How much load, which faults and how often; the same seed gives the same faults."""

    lifecycles: int = 1000
    seed: int = 1
    concurrency: int = 16
    nodes: int = 4
    #: Probability, per request, of each fault kind (500, drop before/after, delay).
    fault_rate: float = 0.02
    delay_s: float = 0.05
    #: Pause between satellite flaps and how long a satellite stays offline (ranges, seconds).
    flap_every_s: tuple[float, float] = (0.05, 0.3)
    flap_offline_s: tuple[float, float] = (0.01, 0.1)
    step_attempts: int = 10
    step_timeout_s: float = 30.0
    keep_every: int = 10


@dataclass
class Promise:
    """What the successful calls of one lifecycle promised about its resource."""

    exists: bool = False
    size_kib: int = 0
    diskful: int = 0
    clients: set[str] = field(default_factory=set)
    #: A step failed for good or raised an untyped error: its state is not known.
    uncertain: bool = False


@dataclass
class SoakReport:
    """The figures of one run."""

    lifecycles: int = 0
    completed: int = 0
    abandoned: int = 0
    operations: int = 0
    operations_failed: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)
    cleaned_up: int = 0
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = {name: value for name, value in vars(self).items()}
        for name in ("faults", "retries", "errors"):
            out[name] = dict(sorted(out[name].items()))
        return out

    def lines(self) -> Iterator[str]:
        """The figures as text lines."""
        yield (
            f"lifecycles         {self.lifecycles} ({self.completed} completed, "
            f"{self.abandoned} abandoned after every attempt failed)"
        )
        yield f"operations         {self.operations} calls, {self.operations_failed} raised"
        yield f"requests served    {self.requests}"
        yield f"faults injected    {sum(self.faults.values())}"
        yield from (f"  {kind:<32} {n}" for kind, n in sorted(self.faults.items()))
        yield f"retries/recoveries {sum(self.retries.values())}"
        yield from (f"  {kind:<40} {n}" for kind, n in sorted(self.retries.items()))
        yield f"errors raised      {sum(self.errors.values())} (untyped: {len(self.untyped)})"
        yield from (f"  {kind:<32} {n}" for kind, n in self.errors.most_common())
        yield f"resources lost     {self.lost}"
        yield f"duplicated         {self.duplicated}"
        yield f"left for clean-up  {self.cleaned_up}"
        yield f"elapsed            {self.elapsed_s:.1f} s"
        yield from (f"problem: {text}" for text in self.problems[:20])
        yield from (f"untyped: {text}" for text in self.untyped[:20])


class _RetryTally(logging.Handler):
    """Counts the SDK's retry and recovery log records by kind."""

    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.DEBUG)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        kind = RETRY_LOGS.get(str(record.msg))
        if kind is not None:
            self.counts[kind] += 1


def _fault_rules(config: SoakConfig) -> list[tuple[str, FaultRule]]:
    rate, api = config.fault_rate, r"^/v1/"
    rules = [
        ("500 on GET", FaultRule(ErrorAnswer(500), method="GET", path=api, probability=rate)),
        ("drop before processing", FaultRule(Drop(), path=api, probability=rate)),
        ("delay", FaultRule(Delay(config.delay_s), path=api, probability=rate)),
    ]
    for method in ("POST", "PUT", "DELETE"):
        rules.append(
            (f"500 on {method}", FaultRule(ErrorAnswer(500), method, api, probability=rate))
        )
        rules.append((f"drop after {method}", FaultRule(Drop(True), method, api, probability=rate)))
    return rules


def _observed(emu: Emulator, name: str) -> dict[str, Any] | None:
    definitions: dict[str, Any] = emu.state.dump()["resource_definitions"]
    return definitions.get(name)


def _mismatch(name: str, promise: Promise, found: dict[str, Any] | None) -> tuple[str, str] | None:
    """("lost"|"duplicated", why) when the database breaks the promise, else None."""
    if not promise.exists:
        return ("duplicated", f"{name} exists although deleted") if found else None
    if found is None:
        return "lost", f"{name} is missing"
    volumes = found["volume_definitions"]
    if list(volumes) != [0]:
        kind = "lost" if 0 not in volumes else "duplicated"
        return kind, f"{name} has volumes {sorted(volumes)}"
    size = volumes[0]["size_kib"]
    if size != promise.size_kib:
        kind = "lost" if size < promise.size_kib else "duplicated"
        return kind, f"{name} volume 0 is {size} KiB, promised {promise.size_kib} KiB"
    replicas = {n: r for n, r in found["resources"].items() if "DELETE" not in r["flags"]}
    diskful = sum(1 for r in replicas.values() if not r["diskless"])
    clients = {n for n, r in replicas.items() if r["diskless"] and "TIE_BREAKER" not in r["flags"]}
    if diskful != promise.diskful:
        kind = "lost" if diskful < promise.diskful else "duplicated"
        return kind, f"{name} has {diskful} diskful replicas, promised {promise.diskful}"
    if clients != promise.clients:
        kind = "lost" if promise.clients - clients else "duplicated"
        return kind, f"{name} has clients {sorted(clients)}, promised {sorted(promise.clients)}"
    return None


class _Soak:
    """One run: the emulator, the client, the ledger of promises and the figures."""

    def __init__(self, config: SoakConfig, emu: Emulator, client: Client) -> None:
        self.config = config
        self.emu = emu
        self.client = client
        self.report = SoakReport(lifecycles=config.lifecycles)
        self.ledger: dict[str, Promise] = {}
        self.nodes = sorted(emu.state.dump()["nodes"])

    def check(self, name: str, promise: Promise, when: str) -> None:
        found = _mismatch(name, promise, _observed(self.emu, name))
        if found is not None:
            kind, why = found
            if kind == "lost":
                self.report.lost += 1
            else:
                self.report.duplicated += 1
            self.report.problems.append(f"{when}: {why}")

    async def step(
        self, name: str, promise: Promise, what: str, call: Callable[[], Awaitable[Any]]
    ) -> bool:
        """Run one step until it succeeds (at most ``step_attempts`` times); False: give up."""
        for _ in range(self.config.step_attempts):
            self.report.operations += 1
            try:
                await call()
            except LinstorError as exc:
                self.report.operations_failed += 1
                self.report.errors[type(exc).__name__] += 1
                continue
            except Exception as exc:  # a bug: every failure must be a LinstorError
                self.report.operations_failed += 1
                self.report.untyped.append(f"{name} {what}: {type(exc).__name__}: {exc}")
                promise.uncertain = True
                return False
            return True
        promise.uncertain = True
        return False

    async def lifecycle(self, index: int) -> None:
        config = self.config
        rng = random.Random(f"{config.seed}-{index}")
        name = f"soak{index:05d}"
        promise = self.ledger.setdefault(name, Promise())
        size = rng.choice(SIZES)
        grown = size + rng.choice(SIZES)
        res = Resource(name, client=self.client)
        res.volumes[0] = Volume(size)
        res.placement.redundancy = 2
        timeout = config.step_timeout_s
        target: list[str] = []

        async def activate() -> None:
            if not target:  # chosen once, so a re-run activates the same node
                free = [n for n in self.nodes if n not in res.diskful_nodes]
                target.append(rng.choice(free))
            await res.activate(target[0], timeout=timeout)

        async def deactivate() -> None:
            await res.deactivate(target[0], timeout=timeout)

        def created() -> None:
            promise.exists, promise.size_kib = True, to_kib(size)

        def placed() -> None:
            promise.diskful = 2

        def resized() -> None:
            promise.size_kib = to_kib(grown)

        def deleted() -> None:
            promise.exists, promise.diskful = False, 0
            promise.clients.clear()

        steps: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], None]]] = [
            ("create", lambda: res.create(timeout=timeout), created),
            ("autoplace", lambda: res.autoplace(timeout=timeout), placed),
            ("resize", lambda: res.volumes[0].resize(grown, timeout=timeout), resized),
            ("activate", activate, lambda: promise.clients.add(target[0])),
            ("deactivate", deactivate, lambda: promise.clients.discard(target[0])),
        ]
        if index % config.keep_every != 0:
            steps.append(("delete", lambda: res.delete(timeout=timeout), deleted))
        for what, call, promised in steps:
            if not await self.step(name, promise, what, call):
                self.report.abandoned += 1
                return
            promised()
            self.check(name, promise, f"after {what}")
        self.report.completed += 1

    async def flap_nodes(self, stop: anyio.Event) -> None:
        """Take one satellite at a time offline for a moment, until ``stop`` is set."""
        rng = random.Random(f"{self.config.seed}-flaps")
        low, high = self.config.flap_every_s
        while not stop.is_set():
            with anyio.move_on_after(rng.uniform(low, high)):
                await stop.wait()
            if stop.is_set():
                return
            node = rng.choice(self.nodes)
            self.emu.set_online(node, False)
            self.report.faults["satellite offline flap"] += 1
            try:
                with anyio.move_on_after(rng.uniform(*self.config.flap_offline_s)):
                    await stop.wait()
            finally:
                self.emu.set_online(node, True)

    async def run(self) -> None:
        rules = [(kind, self.emu.add_fault(rule)) for kind, rule in _fault_rules(self.config)]
        indexes = iter(range(self.config.lifecycles))

        async def worker() -> None:
            for index in indexes:
                await self.lifecycle(index)

        stop = anyio.Event()
        async with anyio.create_task_group() as flaps:
            flaps.start_soon(self.flap_nodes, stop)
            try:
                async with anyio.create_task_group() as workers:
                    for _ in range(max(1, min(self.config.concurrency, self.config.lifecycles))):
                        workers.start_soon(worker)
            finally:
                stop.set()
        for kind, rule_id in rules:
            rule = self.emu.faults.get(rule_id)
            if rule is not None and rule.hits:
                self.report.faults[kind] += rule.hits
        self.emu.clear_faults()
        await self.finish()

    async def finish(self) -> None:
        """Faults off: remove what uncertain lifecycles left, then compare every promise."""
        for name, promise in sorted(self.ledger.items()):
            if promise.uncertain:
                self.report.cleaned_up += 1
                await Resource(name, client=self.client).delete(timeout=self.config.step_timeout_s)
                promise.exists, promise.diskful, promise.uncertain = False, 0, False
                promise.clients.clear()
        for name, promise in sorted(self.ledger.items()):
            self.check(name, promise, "at the end")
        definitions = self.emu.state.dump()["resource_definitions"]
        for name in sorted(set(definitions) - set(self.ledger)):
            self.report.duplicated += 1
            self.report.problems.append(f"at the end: {name} exists but was never created")


async def run_soak(config: SoakConfig) -> SoakReport:
    """Run the load with faults against a fresh in-process emulator and return the figures."""
    tally = _RetryTally(Counter())
    sdk_log = logging.getLogger("aiolinstor")
    level = sdk_log.level
    sdk_log.addHandler(tally)
    sdk_log.setLevel(logging.DEBUG)
    started = time.monotonic()
    try:
        async with Emulator(nodes=config.nodes, timing=Timing.fast(), seed=config.seed) as emu:
            async with Client(
                emu.url,
                timeout=5.0,
                connect_timeout=2.0,
                retries=4,
                retry_backoff=0.01,
                retry_max_time=10.0,
                poll_interval=0.02,
                max_poll_interval=0.2,
            ) as client:
                soak = _Soak(config, emu, client)
                await soak.run()
            soak.report.requests = sum(emu.request_counts().values())
    finally:
        sdk_log.removeHandler(tally)
        sdk_log.setLevel(level)
    soak.report.retries = tally.counts
    soak.report.elapsed_s = time.monotonic() - started
    return soak.report


def machine() -> dict[str, str]:
    """Where the figures were taken: CPU count and model, Python version."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=SoakConfig.fault_rate)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--log-level", default="CRITICAL", help="SDK log level shown (CRITICAL)")
    args = parser.parse_args(argv)
    shown = logging.StreamHandler()
    shown.setLevel(args.log_level.upper())
    logging.basicConfig(handlers=[shown], format="%(levelname)s %(name)s: %(message)s")
    config = SoakConfig(
        lifecycles=args.lifecycles,
        seed=args.seed,
        concurrency=args.concurrency,
        fault_rate=args.fault_rate,
    )
    report = asyncio.run(run_soak(config))
    info = machine()
    print(f"soak_faults --lifecycles {config.lifecycles} --seed {config.seed}")
    print(f"machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']}")
    for line in report.lines():
        print(line)
    if args.json is not None:
        payload = {"config": asdict(config), "machine": info, "report": report.to_json()}
        args.json.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    failed = report.lost or report.duplicated or report.untyped
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
