"""Shared by the examples: find the controllers, or start the embedded LINSTOR emulator.

Every example takes ``--controllers URL[,URL...]`` (default: ``$LS_CONTROLLERS``). When neither
is given it starts :class:`aiolinstor.emulator.Emulator` in process, so the example runs
anywhere; ``--speed`` then makes its simulated satellites faster than real ones.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--controllers`` and ``--speed`` to an example's command line."""
    parser.add_argument(
        "--controllers",
        help="LINSTOR controller URL(s), comma separated (default: $LS_CONTROLLERS, "
        "else an embedded emulator)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="emulator only: how much faster than real satellites to simulate (default 1)",
    )


def given_controllers(args: argparse.Namespace) -> str | None:
    """The controllers from ``--controllers`` or ``$LS_CONTROLLERS``; None: use the emulator."""
    value: str | None = args.controllers or os.environ.get("LS_CONTROLLERS")
    return value or None


@asynccontextmanager
async def controllers(
    args: argparse.Namespace, *, nodes: int = 3, **emulator_options: Any
) -> AsyncIterator[str]:
    """Yield the controller URL(s) to connect to, starting an emulator for the block if needed.

    ``emulator_options`` are passed to :class:`~aiolinstor.emulator.Emulator` (for example
    ``provider_kind="LVM"``); they do not matter against a real cluster.
    """
    given = given_controllers(args)
    if given is not None:
        yield given
        return
    from aiolinstor.emulator import Emulator, Timing

    print(
        "no controller given (--controllers or LS_CONTROLLERS): starting the embedded "
        f"LINSTOR emulator with {nodes} simulated nodes, in process",
        flush=True,
    )
    async with Emulator(nodes=nodes, timing=Timing(speed=args.speed), **emulator_options) as emu:
        yield emu.url
