"""Run the LINSTOR controller emulator as a server: ``python -m aiolinstor.emulator --help``.

Prints the base URL on one line once it serves, then runs until SIGINT (Ctrl-C) or SIGTERM and
shuts down cleanly (exit code 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from aiolinstor._sizes import parse_size
from aiolinstor.emulator._server import Emulator
from aiolinstor.emulator._spec import PROVIDER_KINDS, ClusterSpec, Timing


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _user_password(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aiolinstor.emulator",
        description=(
            "Emulated LINSTOR controller: REST API v1 with simulated satellites, plus the "
            "/_emulator/ control API (see docs/emulator.md). Prints its URL, then serves until "
            "Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=3370, help="port to bind; 0 picks a free one (default 3370)"
    )
    parser.add_argument(
        "--nodes", type=int, default=3, help="satellites node-1..node-N (default 3)"
    )
    parser.add_argument(
        "--pool-size",
        type=_size,
        default="100GiB",
        help="size of each node's DfltStorPool, e.g. 100GiB or 500G (default 100GiB)",
    )
    parser.add_argument(
        "--provider-kind",
        default="LVM_THIN",
        choices=sorted(k for k in PROVIDER_KINDS if k != "DISKLESS"),
        help="storage provider of DfltStorPool; *_THIN kinds are thin (default LVM_THIN)",
    )
    parser.add_argument(
        "--spec-file",
        type=Path,
        help="JSON cluster spec (the body of PUT /_emulator/cluster); overrides --nodes, "
        "--pool-size and --provider-kind",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated satellite speed factor; 100 makes everything 100x faster (default 1.0)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for placement ties and fault probabilities"
    )
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    parser.add_argument(
        "--basic-auth",
        type=_user_password,
        metavar="USER:PASSWORD",
        help="require HTTP basic auth with these credentials (like LDAP auth)",
    )
    parser.add_argument(
        "--bearer-token-file",
        type=Path,
        help="require 'Authorization: Bearer <token>' with the token read from this file",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the emulator's logging on stderr (default WARNING)",
    )
    return parser


def _emulator_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Emulator:
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    ssl_context = None
    if args.tls_cert is not None:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            parser.error(f"cannot load --tls-cert/--tls-key: {exc}")
    bearer_token = None
    if args.bearer_token_file is not None:
        try:
            bearer_token = args.bearer_token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            parser.error(f"cannot read --bearer-token-file: {exc}")
        if not bearer_token:
            parser.error(f"--bearer-token-file {args.bearer_token_file} is empty")
    spec = None
    if args.spec_file is not None:
        try:
            spec = ClusterSpec.from_json(json.loads(args.spec_file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            parser.error(f"cannot use --spec-file {args.spec_file}: {exc}")
    if args.speed <= 0:
        parser.error(f"--speed must be positive, got {args.speed}")
    try:
        return Emulator(
            spec,
            nodes=args.nodes,
            pool_size=args.pool_size,
            provider_kind=args.provider_kind,
            timing=Timing(speed=args.speed),
            seed=args.seed,
            host=args.host,
            port=args.port,
            ssl_context=ssl_context,
            basic_auth=args.basic_auth,
            bearer_token=bearer_token,
        )
    except ValueError as exc:
        parser.error(str(exc))


async def serve(emulator: Emulator) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with emulator:
            sys.stdout.write(emulator.url + "\n")
            sys.stdout.flush()
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    emulator = _emulator_from(args, parser)
    try:
        asyncio.run(serve(emulator))
    except OSError as exc:
        sys.stderr.write(f"cannot serve on {args.host}:{args.port}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
