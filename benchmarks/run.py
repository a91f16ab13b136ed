"""Run the benchmarks and print their results as Markdown tables.

    python benchmarks/run.py            # the full run (a few minutes); writes benchmarks/results/
    python benchmarks/run.py --quick    # small sizes, under a minute (the test suite runs it)
    python benchmarks/run.py --only lifecycle,waits

Every benchmark starts its own emulator with the same settings for each side it compares, and
counts round trips with the emulator's request counters. The full run writes
``results/<date>.json`` (every raw number) and ``results/<date>.md`` (the tables, as shown in
BENCHMARKS.md); ``--json``/``--markdown`` choose other files.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from _common import HERE, Section, machine, markdown
from bench_lifecycle import LifecycleSettings, bench_lifecycle
from bench_overhead import OverheadSettings, bench_overhead
from bench_roundtrips import bench_roundtrips
from bench_scale import ScaleSettings, bench_emulator_rps, bench_size
from bench_waits import WaitSettings, bench_waits

BENCHMARKS = ("roundtrips", "lifecycle", "overhead", "waits", "scale")


@dataclass
class Plan:
    lifecycle: LifecycleSettings
    overhead: OverheadSettings
    waits: WaitSettings
    scale: ScaleSettings


FULL = Plan(LifecycleSettings(), OverheadSettings(), WaitSettings(), ScaleSettings())
QUICK = Plan(
    LifecycleSettings(count=10, concurrency=(None,), threads=4),
    OverheadSettings(calls=300, rounds=2),
    WaitSettings(waiters=200, idle_s=3.0, pauses=(0.7,)),
    ScaleSettings(resources=1000, nodes=20, repeats=2, rps_requests=1000),
)


async def run(plan: Plan, only: Sequence[str]) -> list[Section]:
    async def scale() -> list[Section]:
        size, emulator = await bench_size(plan.scale)
        await bench_emulator_rps(plan.scale, emulator)
        return [size, emulator]

    async def one(section: Awaitable[Section]) -> list[Section]:
        return [await section]

    steps: dict[str, Callable[[], Awaitable[list[Section]]]] = {
        "roundtrips": lambda: one(bench_roundtrips(plan.lifecycle.speed)),
        "lifecycle": lambda: one(bench_lifecycle(plan.lifecycle)),
        "overhead": lambda: one(bench_overhead(plan.overhead)),
        "waits": lambda: one(bench_waits(plan.waits)),
        "scale": scale,
    }
    sections: list[Section] = []
    for name in BENCHMARKS:
        if name in only:
            started = time.perf_counter()
            sections += await steps[name]()
            print(f"[{name} done in {time.perf_counter() - started:.1f} s]", file=sys.stderr)
    return sections


def report(sections: Sequence[Section], about: dict[str, str], command: str) -> str:
    head = [
        f"Machine: {about['nproc']} CPUs ({about['cpu']}), Python {about['python']}, "
        f"{about['system']}; aiolinstor {about['aiolinstor']}, aiohttp {about['aiohttp']}, "
        f"python-linstor {about['python-linstor']}; {about['date']}.",
        "",
        f"Command: `{command}`",
        "",
    ]
    checked = [row for section in sections for row in section.rows if row.met is not None]
    met = sum(1 for row in checked if row.met)
    tail = [f"Targets met: {met} of {len(checked)}."]
    return "\n".join(head) + "\n" + markdown(sections) + "\n" + "\n".join(tail) + "\n"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--json", type=Path, help="write every raw number to this file")
    parser.add_argument("--markdown", type=Path, help="write the tables to this file")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.ERROR)
    os.environ.pop("LS_CONTROLLERS", None)  # python-linstor must talk to our emulators only
    plan = QUICK if args.quick else FULL
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    if args.only != list(BENCHMARKS):
        command += f" --only {','.join(args.only)}"
    about = machine()
    sections = anyio.run(run, plan, args.only)
    text = report(sections, about, command)
    print(text)
    json_path, markdown_path = args.json, args.markdown
    if not args.quick and json_path is None and markdown_path is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        json_path = HERE / "results" / f"{stamp}.json"
        markdown_path = HERE / "results" / f"{stamp}.md"
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": about,
            "command": command,
            "sections": [section.to_json() for section in sections],
        }
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
