"""`vidensbank serve`: the HTTP API and search page with uvicorn."""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from typing import Any

import httpx

from ..search.snapshot import current_path
from ..settings import Settings

APP = "vidensbank.api.app:create_app"
ANY_ADDRESS = {"0.0.0.0", "::", ""}
READY_POLL_S = 0.2


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


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def browser_url(host: str, port: int) -> str:
    """The address to open for ``--host``: a wildcard bind is reached on loopback."""
    if host in ANY_ADDRESS:
        host = "::1" if host == "::" else "127.0.0.1"
    return _url(host, port)


def ready_message(host: str, port: int) -> str:
    """What ``serve`` prints once the page answers (Danish: staff start it with ``make run``)."""
    message = f"Åbn {browser_url(host, port)} i en browser"
    if host in ANY_ADDRESS:
        message += f" (fra andre maskiner: {_url(socket.gethostname(), port)})"
    return message


def announce_when_ready(host: str, port: int) -> threading.Thread:
    """Print ``ready_message`` as soon as the server answers ``/healthz``: the snapshot is
    loaded before uvicorn accepts a connection, so the page can then be used at once.
    Asking the server itself holds for every uvicorn version and any number of workers."""

    def wait_and_print() -> None:
        probe = f"{browser_url(host, port)}/healthz"
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                try:
                    if client.get(probe).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(READY_POLL_S)
        print(ready_message(host, port), flush=True)

    thread = threading.Thread(target=wait_and_print, name="announce-ready", daemon=True)
    thread.start()
    return thread


def bind_error(host: str, port: int) -> str | None:
    """Why uvicorn could not listen on ``host:port`` (None when it can). Checked up front:
    uvicorn binds only after loading the model, and the ready message must not come from
    another server already on the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            return None
    except OSError as err:
        return err.strerror or str(err)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not 1 <= args.port <= 65535:
        print("error: --port must be between 1 and 65535", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    problem = bind_error(args.host, args.port)
    if problem is not None:
        print(
            f"error: cannot listen on {args.host}:{args.port} ({problem}): stop the other"
            " server on that port or pass another --port/--host",
            file=sys.stderr,
        )
        return 2
    if current_path(settings.index_dir) is None:
        print(
            f"warning: no search index in {settings.index_dir} yet; /readyz answers 503 until"
            " `vidensbank ingest` builds one (it is picked up without a restart).",
            file=sys.stderr,
        )
    announce_when_ready(args.host, args.port)
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
