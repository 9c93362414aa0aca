"""The `vidensbank` command line."""

from __future__ import annotations

import argparse
import importlib
import sys

from .search.snapshot import SnapshotError
from .settings import StartupError, load_settings

# Each module exposes register(subparsers); handlers take (args, settings) and return an exit code.
COMMANDS = ["ingest", "search", "eval", "serve", "model", "bench", "fetch_links"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidensbank",
        description="Danish semantic search over the almene sector's publications.",
    )
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except (StartupError, SnapshotError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
