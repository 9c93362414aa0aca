"""Writes against a real `vidensbank serve` (uvicorn in a subprocess) with many clients at
once: nothing is lost, nothing is left behind, no 5xx, and readers keep answering while
slow URL fetches are in flight."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.lifecycle.conftest import CliProcess, closed_port, make_corpus
from tests.lifecycle.slow_site import drip_server
from tests.lifecycle.test_crash_safety import ENERGI
from vidensbank.settings import Settings, load_settings
from vidensbank.store import Store

TOKEN = "concurrency-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SERVER_ENV = {
    "VIDENSBANK_ADMIN_TOKEN": TOKEN,
    "VIDENSBANK_FETCH_ALLOW_HOSTS": "127.0.0.1",  # the local test sites
    "VIDENSBANK_WRITE_WAIT_S": "30",
    "VIDENSBANK_FETCH_TIMEOUT_S": "2",
    "VIDENSBANK_FETCH_DEADLINE_S": "3",
    "VIDENSBANK_FETCH_CONCURRENCY": "4",
}


@dataclass
class Server:
    settings: Settings
    corpus: Path
    base: str
    pid: int


@dataclass
class Answer:
    index: int
    status: int
    body: dict
    text: str
    headers: httpx.Headers
    received: float


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("concurrency")
    corpus = make_corpus(root / "corpus", {"energi.md": ENERGI})
    settings = load_settings(data_dir=root / "data", corpus_dir=corpus)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SERVER_ENV.items():
            patch.setenv(name, value)
        assert CliProcess(["ingest", "--quiet", str(corpus)], settings).wait(300) == 0
        port = closed_port()
        process = CliProcess(["serve", "--port", str(port), "--log-level", "warning"], settings)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield Server(settings, corpus, base, process.proc.pid)
    finally:
        process.proc.send_signal(signal.SIGTERM)
        process.wait(60)


def _wait_ready(base: str, process: CliProcess) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.proc.poll() is None, process.stderr
        try:
            if httpx.get(f"{base}/readyz", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server not ready: {process.stderr}")


def _post_all(base: str, requests: list[dict], timeout: float = 180) -> list[Answer]:
    """POST every request at once (one thread each); answers in request order."""
    start = threading.Barrier(len(requests))

    def post(index: int) -> Answer:
        with httpx.Client(base_url=base, timeout=timeout, trust_env=False) as client:
            start.wait()
            response = client.post("/api/documents", headers=AUTH, **requests[index])
            return Answer(
                index,
                response.status_code,
                response.json(),
                response.text,
                response.headers,
                time.monotonic(),
            )

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(post, range(len(requests))))


def _assert_no_5xx_and_clean_refusals(server: Server, answers: list[Answer]) -> None:
    assert all(a.status < 500 for a in answers), [(a.status, a.body) for a in answers]
    for answer in answers:
        if answer.status in (409, 429):
            assert int(answer.headers["retry-after"]) > 0
            assert str(server.pid) not in answer.text
            assert str(server.settings.data_dir) not in answer.text


def _hidden_files(folder: Path) -> list[Path]:
    return list(folder.rglob(".*")) if folder.exists() else []


def version_text(i: int) -> str:
    return (
        f"# Samtidig version {i}\n\nTekst om beboerdemokrati i afdelingen, skrevet som"
        f" udgave nummer {i} af notatet om samtidige uploads.\n"
    )


@pytest.mark.slow
def test_fifty_same_name_uploads_agree_on_disk_in_the_index_and_in_the_last_answer(
    server: Server,
) -> None:
    requests = [
        {"files": {"file": ("samtidig.md", version_text(i).encode(), "text/markdown")}}
        for i in range(50)
    ]
    answers = _post_all(server.base, requests)
    _assert_no_5xx_and_clean_refusals(server, answers)
    assert {a.status for a in answers} <= {200, 201, 409}, {a.status for a in answers}
    succeeded = [a for a in answers if a.status in (200, 201)]
    assert succeeded, [a.body for a in answers]
    last = max(succeeded, key=lambda a: a.received)
    document_id = last.body["document_id"]
    assert {a.body["document_id"] for a in succeeded} == {document_id}

    uploads = server.settings.data_dir / "uploads"
    assert (uploads / "samtidig.md").read_text(encoding="utf-8") == version_text(last.index)
    assert _hidden_files(uploads) == []  # no staging file, no backup left
    with httpx.Client(base_url=server.base, timeout=30, trust_env=False) as client:
        assert client.get("/readyz").json()["version"] == last.body["version"]
        indexed = client.get(f"/api/documents/{document_id}").json()
    assert indexed["title"] == f"Samtidig version {last.index}"

    # a later ingest of the corpus with --prune keeps the uploaded document
    prune = CliProcess(["ingest", "--prune", "--quiet", str(server.corpus)], server.settings)
    assert prune.wait(300) == 0, prune.stderr
    with Store(server.settings.store_path) as store:
        assert store.document(document_id) is not None


@pytest.fixture
def page_site() -> Iterator[str]:
    page = (
        "<html><head><title>Fælleshuset</title></head><body><main><h1>Fælleshuset i"
        " Lindegården</h1><p>Beboerne i Lindegården lejer fælleshuset ud til fester og"
        " bruger lejen til nye borde og stole.</p></main></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/faelleshus.html":
                self.send_error(404)
                return
            time.sleep(0.05)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.daemon_threads = True
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


def test_simultaneous_uploads_of_one_url_give_no_5xx_and_one_copy(
    server: Server, page_site: str
) -> None:
    url = f"{page_site}/faelleshus.html"
    answers = _post_all(server.base, [{"json": {"url": url}} for _ in range(16)])
    _assert_no_5xx_and_clean_refusals(server, answers)
    assert {a.status for a in answers} <= {200, 201, 409, 429}, [a.body for a in answers]
    assert any(a.status in (200, 201) for a in answers)
    host = server.settings.data_dir / "uploads" / f"127-0-0-1-{page_site.rsplit(':', 1)[1]}"
    files = sorted(p.suffix for p in host.iterdir())
    assert files == [".html", ".json"], files  # the copy and its provenance record
    assert _hidden_files(host) == []


def test_readers_answer_within_a_second_while_slow_url_uploads_are_in_flight(
    server: Server,
) -> None:
    with httpx.Client(base_url=server.base, timeout=30, trust_env=False) as client:
        for _ in range(3):  # warm: the first search after a new snapshot loads lazily
            assert client.get("/api/search", params={"q": "varmepumper"}).status_code == 200
    with drip_server(interval_s=0.2) as slow:
        requests = [{"json": {"url": f"{slow}/body?{i}"}} for i in range(40)]
        answers: list[Answer] = []
        uploads = threading.Thread(
            target=lambda: answers.extend(_post_all(server.base, requests, timeout=60))
        )
        uploads.start()
        time.sleep(0.5)  # the fetches are dripping now
        timings: list[tuple[str, float]] = []
        with httpx.Client(base_url=server.base, timeout=10, trust_env=False) as client:
            until = time.monotonic() + 2.0
            while time.monotonic() < until:
                for path, params in (("/healthz", {}), ("/api/search", {"q": "varmepumper"})):
                    started = time.monotonic()
                    assert client.get(path, params=params).status_code == 200
                    timings.append((path, time.monotonic() - started))
        uploads.join(60)
    assert not uploads.is_alive()
    assert max(t for _, t in timings) < 1.0, timings
    _assert_no_5xx_except_bad_gateway(answers)


def _assert_no_5xx_except_bad_gateway(answers: list[Answer]) -> None:
    """The dripping site is the upstream's fault: 502 (deadline) or 429 (over the cap)."""
    statuses = {a.status for a in answers}
    assert statuses <= {429, 502}, [(a.status, a.body) for a in answers]
    assert 429 in statuses and 502 in statuses
    for answer in answers:
        if answer.status == 429:
            assert int(answer.headers["retry-after"]) > 0
