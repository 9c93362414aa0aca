"""Fixtures for the HTML pages: an app over the seed snapshot (sharing the session's
loaded model), the same with a floor nothing reaches (``strict_*``: every question has no
sure answer), and for browser tests real uvicorn servers and Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("VIDENSBANK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def web_holder(seed_settings, seed_searcher):
    from vidensbank.api.holder import SnapshotHolder

    return SnapshotHolder(seed_settings, embedder=seed_searcher.embedder)


@pytest.fixture(scope="session")
def web_app(seed_settings, web_holder):
    from vidensbank.api.app import create_app

    # no query log: the shared seed store stays as ingested
    return create_app(seed_settings.model_copy(update={"query_log": False}), holder=web_holder)


@pytest.fixture(scope="session")
def client(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app, raise_server_exceptions=False) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _served(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free 127.0.0.1 port, in a thread."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", workers=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(web_app) -> Iterator[str]:
    with _served(web_app) as url:
        yield url


ADMIN_TOKEN = "admin-token-0123456789abcdef"


@pytest.fixture(scope="module")
def admin_server(seed_settings, seed_searcher, tmp_path_factory) -> Iterator[str]:
    """A copy of the seed served with the admin pages on (:data:`ADMIN_TOKEN`), one per
    test module, so a module that uploads or removes leaves the others alone."""
    from tests.seeddata import seed_copy
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path_factory.mktemp("admin"), admin_token=ADMIN_TOKEN)
    app = create_app(settings, holder=SnapshotHolder(settings, embedder=seed_searcher.embedder))
    with _served(app) as url:
        yield url


# A floor no hit can reach (relevance is a probability, and a sigmoid reaches 1.0 only for
# evidence far beyond anything in the seed): every question is one with no sure answer,
# whatever the shipped relevance model says.
UNREACHABLE_FLOOR = 1.0


@pytest.fixture(scope="session")
def strict_app(seed_settings, seed_searcher):
    """The seed served with ``min_relevance`` set so high that nothing passes."""
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_settings.model_copy(update={"min_relevance": UNREACHABLE_FLOOR})
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    return create_app(settings, holder=holder)


@pytest.fixture(scope="session")
def strict_client(strict_app):
    from fastapi.testclient import TestClient

    with TestClient(strict_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def strict_server(strict_app) -> Iterator[str]:
    with _served(strict_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def csp_violation(text: str) -> bool:
    return "Content Security Policy" in text


def watched_page(browser, base_url: str, console_error=csp_violation, **options):
    """A desktop-sized page in a fresh context, and the list its JavaScript errors and the
    console errors ``console_error`` picks (CSP violations by default) are collected in:
    ``(context, page, errors)``."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=base_url, locale="da-DK", **options
    )
    context.set_default_timeout(60_000)  # the first query warms the model on a busy CI box
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and console_error(msg.text) else None
        ),
    )
    return context, page, errors


@pytest.fixture
def page(browser, live_server):
    """A fresh desktop-sized page; JavaScript errors and CSP violations fail the test."""
    context, pg, errors = watched_page(browser, live_server)
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
