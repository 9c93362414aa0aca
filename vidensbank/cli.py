"""The `vidensbank` command line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import TextIO

from . import __version__
from .disk import DiskFull, disk_full_errors
from .lock import LockBusy
from .search.snapshot import SnapshotError
from .settings import StartupError, load_settings

# Each module exposes register(subparsers); handlers take (args, settings) and return an exit code.
COMMANDS = [
    "ingest",
    "search",
    "eval",
    "serve",
    "model",
    "bench",
    "fetch_links",
    "fusion",
    "insights",
]

# Loggers whose INFO lines a command-line user should see: steps that take a while once per
# machine (``serve`` logs through its own configuration).
ANNOUNCED = ("vidensbank.search.embed.onnx_build",)

# Domain errors whose message says how to fix the problem: printed as one line, exit code 2.
# Anything else is a bug and keeps its traceback.
EDGE_ERRORS = (StartupError, SnapshotError, DiskFull, LockBusy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidensbank",
        description="Danish semantic search over the almene sector's publications.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"vidensbank.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"vidensbank.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _announce_slow_steps() -> None:
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ANNOUNCED:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.setLevel(logging.INFO)
            logger.addHandler(handler)
            logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve" and not getattr(args, "quiet", False):
        _announce_slow_steps()
    try:
        settings = load_settings()
        with disk_full_errors(settings.data_dir):  # sqlite/OSError/faiss "full" → DiskFull
            return int(args.handler(args, settings) or 0)
    except EDGE_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
