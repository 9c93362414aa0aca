"""A real HTTP server on 127.0.0.1 serving fixture pages, and small-corpus helpers."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

LIFECYCLE = FIXTURES / "lifecycle"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    send_length: bool = True


@dataclass
class Seen:
    at: float
    path: str
    host: str
    headers: dict[str, str]


class Site:
    """Routes by path; every request is logged (time, path, Host, headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.base = ""
        self.port = 0

    def page(self, path: str, fixture: str, **kwargs: object) -> Route:
        route = Route(body=(LIFECYCLE / fixture).read_bytes(), **kwargs)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with site.lock:
                site.seen.append(
                    Seen(
                        time.monotonic(),
                        self.path,
                        self.headers.get("Host", ""),
                        dict(self.headers),
                    )
                )
            route = site.routes.get(self.path)
            if route is None:
                self._send(404, b"<html><body>Siden findes ikke</body></html>", "text/html")
                return
            if route.delay_s:
                time.sleep(route.delay_s)
            if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
            ):
                self._send(304, b"", None, route)
                return
            self._send(route.status, route.body, route.content_type, route)

        def _send(
            self, status: int, body: bytes, content_type: str | None, route: Route | None = None
        ) -> None:
            try:
                self.send_response(status)
                if content_type and status != 304:
                    self.send_header("Content-Type", content_type)
                if route is not None:
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    if route.last_modified:
                        self.send_header("Last-Modified", route.last_modified)
                if status != 304 and (route is None or route.send_length):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def site():
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    server.block_on_close = False
    site.port = server.server_address[1]
    site.base = f"http://127.0.0.1:{site.port}"
    site.routes["/robots.txt"] = Route(
        body=(LIFECYCLE / "robots.txt").read_bytes(), content_type="text/plain"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_corpus(folder: Path, files: dict[str, str]) -> Path:
    """A corpus folder with the real gazetteer (case headings) and the given files."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "corpus" / "gazetteer.toml", folder / "gazetteer.toml")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def settings_for(tmp_path: Path, corpus: Path, **overrides: object):
    from vidensbank.settings import load_settings

    return load_settings(
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
        fetch_delay_s=0,
        fetch_timeout_s=1.0,
        **overrides,
    )


def set_env(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    """Make `vidensbank.cli.main` (which reads the environment) use ``settings``."""
    monkeypatch.setenv("VIDENSBANK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VIDENSBANK_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("VIDENSBANK_FETCH_DELAY_S", str(settings.fetch_delay_s))
    monkeypatch.setenv("VIDENSBANK_FETCH_TIMEOUT_S", str(settings.fetch_timeout_s))
    monkeypatch.setenv("VIDENSBANK_FETCH_MAX_MB", str(settings.fetch_max_mb))


WORDS = [
    "beboerne",
    "driften",
    "afdelingen",
    "bestyrelsen",
    "opgangen",
    "kælderen",
    "taget",
    "varmen",
    "vinduerne",
    "haven",
    "legepladsen",
    "vaskeriet",
    "cyklerne",
    "affaldet",
    "lyset",
    "naboerne",
    "kommunen",
    "projektet",
    "budgettet",
    "håndværkerne",
    "tegningerne",
    "vedligeholdelsen",
    "fællesskabet",
    "mødet",
    "planen",
    "renoveringen",
    "altanerne",
    "stierne",
    "træerne",
    "skolen",
    "børnene",
    "ejendomsfunktionæren",
    "boligforeningen",
    "samarbejdet",
    "erfaringen",
    "udbuddet",
    "tilbuddet",
    "kontrakten",
    "gårdlauget",
]


def filler(tag: str, sections: int) -> str:
    """A markdown document with ``sections`` distinct passages (for slow-enough ingests)."""
    import random

    rng = random.Random(tag)
    parts = [f"# Notat {tag}\n"]
    for j in range(sections):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(5)
        ]
        parts.append(f"## Afsnit {j} i {tag}\n\n" + " ".join(sentences) + "\n")
    return "\n".join(parts)


class CliProcess:
    """`vidensbank ARGS` in a subprocess; stdout and stderr collected as they arrive
    (tqdm progress on stderr has no newlines, so read raw chunks)."""

    def __init__(self, args: list[str], settings, *, cwd: Path = ROOT) -> None:
        import os
        import subprocess
        import sys

        env = {
            **os.environ,
            "VIDENSBANK_DATA_DIR": str(settings.data_dir),
            "VIDENSBANK_CORPUS_DIR": str(settings.corpus_dir),
            "PYTHONUNBUFFERED": "1",
        }
        exe = Path(sys.executable).with_name("vidensbank")
        self.proc = subprocess.Popen(
            [str(exe), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out = bytearray()
        self.err = bytearray()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream, sink: bytearray) -> None:
        import os

        fd = stream.fileno()
        while chunk := os.read(fd, 4096):
            sink.extend(chunk)

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float, *, stream: str = "stderr") -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in getattr(self, stream):
                return True
            if self.proc.poll() is not None:
                return text in getattr(self, stream)
            time.sleep(0.01)
        return False

    def wait(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(5)
        return rc

    def kill(self) -> None:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
