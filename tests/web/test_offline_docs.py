"""The API documentation in real Chromium with every request that leaves the server
blocked: /docs and /redoc must render from the app's own assets, under their CSP.

Run: .venv/bin/pytest -m browser tests/web/test_offline_docs.py"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


@dataclass
class OfflinePage:
    """A page whose requests to any other origin are aborted and recorded, with the
    console's CSP violations and the page's script errors."""

    page: object
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def offline(browser, live_server) -> Iterator[OfflinePage]:
    origin = urlsplit(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)
    context.set_default_timeout(60_000)
    recorded = OfflinePage(page=None)

    def only_this_server(route) -> None:
        url = urlsplit(route.request.url)
        if (url.scheme, url.netloc) == (origin.scheme, origin.netloc):
            route.continue_()
        else:
            recorded.outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.on("pageerror", lambda exc: recorded.problems.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            recorded.problems.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    recorded.page = page
    yield recorded
    context.close()


def _settle(page) -> None:
    """Let late effects (images, workers, lazily styled parts) happen before checking."""
    page.wait_for_load_state("networkidle")


def test_swagger_ui_lists_the_operations_offline(offline: OfflinePage, artifacts) -> None:
    page = offline.page
    page.goto("/docs")
    page.locator(".opblock-summary-path", has_text="/api/search").first.wait_for()
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/search", "/api/facets", "/healthz"} <= paths
    assert page.locator(".info .title").inner_text().startswith("Vidensbank API")
    # an operation opens, and "Try it out" reaches the API under connect-src 'self'
    page.locator(".opblock-summary", has_text="/api/facets").first.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    _settle(page)
    page.screenshot(path=artifacts / "docs-offline.png")
    assert offline.outside == []
    assert offline.problems == []


def test_redoc_renders_offline(offline: OfflinePage, artifacts) -> None:
    page = offline.page
    page.goto("/redoc")
    page.get_by_role("heading", level=1, name="Vidensbank API").wait_for()
    assert page.locator("[data-section-id^='tag/search']").count() > 0
    assert page.get_by_text("API docs by Redocly").is_visible()
    # the sidebar search runs in a worker, which the policy allows as blob: only
    page.get_by_placeholder("Search...").fill("facets")
    page.locator("[data-role='search:results']").wait_for()
    _settle(page)
    page.screenshot(path=artifacts / "redoc-offline.png")
    assert offline.outside == []
    assert offline.problems == []
