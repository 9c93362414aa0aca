"""`vidensbank serve`: the HTTP API and search page with uvicorn."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..search.snapshot import current_path
from ..settings import Settings

APP = "vidensbank.api.app:create_app"


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the HTTP API and search page",
        description="Serve the API (/api, /docs) and the search page (/) with uvicorn. A new"
        " snapshot (from `vidensbank ingest` or an upload) is picked up without a restart.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (each loads the model)"
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=run_serve)


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging plus one JSON access line per request from ``vidensbank.access``
    (uvicorn's own access log is off; if turned on, secrets in query strings are redacted
    there too). Applied in every worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "vidensbank.api.middleware.RedactSecrets"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "access": {"format": '{"time": "%(asctime)s", "request": %(message)s}'},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "vidensbank": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "vidensbank.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"filters": ["redact"]},
        },
    }


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not 1 <= args.port <= 65535:
        print("error: --port must be between 1 and 65535", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if current_path(settings.index_dir) is None:
        print(
            f"warning: no search index in {settings.index_dir} yet; /readyz answers 503 until"
            " `vidensbank ingest` builds one (it is picked up without a restart).",
            file=sys.stderr,
        )
    uvicorn.run(
        APP,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=log_config(args.log_level),
        access_log=False,
        proxy_headers=False,
    )
    return 0
