"""`vidensbank serve` tells the user where to open the page, once the page answers: the real
command in a subprocess over a tiny ingested corpus, on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vidensbank.commands.serve import browser_url, ready_message

EXE = Path(sys.executable).with_name("vidensbank")
DOCUMENT = """# Grøn drift i almene afdelinger

## Energi

### Solceller i Tinglev

Boligselskabet har sat solceller op på tagene i tre afdelinger. Beboerne var med i
planlægningen, og driften følger produktionen hver måned sammen med afdelingsbestyrelsen.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "VIDENSBANK_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny corpus ingested with the real CLI, as `make run` does before serving."""
    root = tmp_path_factory.mktemp("serve-ready")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "groen-drift.md").write_text(DOCUMENT, encoding="utf-8")
    subprocess.run(
        [str(EXE), "ingest", str(corpus)],
        env=_env(root / "data"),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return root / "data"


class Served:
    """`vidensbank serve ARGS`; stdout lines arrive on a queue as they are printed."""

    def __init__(self, args: list[str], data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [str(EXE), "serve", *args],
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._drain_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.errors.extend(self.proc.stderr)

    def stderr(self) -> str:
        for reader in self._readers:
            reader.join(timeout=5)
        return "".join(self.errors)

    def line_with(self, text: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    return None
                continue
            if text in line:
                return line
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def serve(data_dir: Path) -> Iterator:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(list(args), data_dir))
        return started[-1]

    yield start
    for served in started:
        served.stop()


@pytest.mark.slow
def test_serve_prints_where_to_open_the_page_once_it_answers(serve) -> None:
    port = _free_port()
    server = serve("--host", "127.0.0.1", "--port", str(port))
    line = server.line_with("Åbn", timeout=180)
    assert line == f"Åbn http://127.0.0.1:{port} i en browser"
    # printed when ready, not before: the snapshot is loaded and the page answers now
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
        assert client.get("/readyz", timeout=5).status_code == 200
        page = client.get("/", timeout=30)
        assert page.status_code == 200 and "Vidensbank" in page.text
    assert server.line_with("Åbn", timeout=1) is None  # said once


def test_busy_port_is_reported_and_no_ready_message_printed(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        server = Served(["--port", str(port)], tmp_path / "data")
        try:
            assert server.proc.wait(timeout=60) == 2
            assert server.line_with("Åbn", timeout=1) is None
            error = server.stderr()
        finally:
            server.stop()
    assert f"cannot listen on 127.0.0.1:{port}" in error
    assert "--port" in error


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 8123, "http://127.0.0.1:8123"),
        ("::", 8000, "http://[::1]:8000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("localhost", 8000, "http://localhost:8000"),
    ],
)
def test_the_url_to_open_is_the_one_served(host: str, port: int, url: str) -> None:
    assert browser_url(host, port) == url
    assert ready_message(host, port).startswith(f"Åbn {url} i en browser")


def test_a_wildcard_bind_also_names_the_machine_for_other_computers() -> None:
    message = ready_message("0.0.0.0", 8000)
    assert message == (
        f"Åbn http://127.0.0.1:8000 i en browser"
        f" (fra andre maskiner: http://{socket.gethostname()}:8000)"
    )
    assert "fra andre maskiner" not in ready_message("127.0.0.1", 8000)
