"""Every kind of page staff and knowledge managers see passes axe-core's WCAG 2.2 A and AA
rules and its best practices in real Chromium, at desktop and at phone width, in the states
a search leaves it in (results, filters, no sure answer, weak results, an open "Lignende
cases", feedback given). axe-core comes bundled with axe-playwright-python; nothing is
downloaded at test time.

Run: .venv/bin/pytest -m browser tests/web/test_accessibility_browser.py
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import ADMIN_TOKEN, watched_page

pytestmark = pytest.mark.browser

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
QUESTION = "hvordan kan vi forebygge udsættelser?"
UNANSWERED = "hvem betaler for skimmelsvamp efter en vandskade?"
AXE = Axe()


def search_url(q: str, **params: str) -> str:
    return "/?" + urlencode({"q": q, **params})


def violations(page) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it is now, one line each."""
    result = AXE.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]},
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result.response["violations"]
    ]


def weak_question(searcher) -> str:
    from tests.conftest import ROOT
    from vidensbank.search.eval import read_queries

    return next(
        q.query
        for q in read_queries(ROOT / "eval" / "seed-natural-heldout.jsonl")
        if searcher.search(q.query).weak
    )


@pytest.mark.parametrize("width", [1280, 360])
def test_staff_pages_meet_wcag_a_and_aa(browser, admin_server, seed_searcher, width) -> None:
    # The module's own copy of the seed: giving feedback writes to its store.
    context, page, errors = watched_page(browser, admin_server)
    page.set_viewport_size({"width": width, "height": 900})
    weak = weak_question(seed_searcher)
    pages = {
        "start": "/",
        "results": search_url(QUESTION),
        "filtered": search_url("vilde blomster i bebyggelsen", theme="Biodiversitet"),
        "no sure answer": search_url(UNANSWERED),
        "weak results": search_url(weak),
        "uncertain results too": search_url(weak, alle="1"),
        "page 2": search_url(QUESTION, page="2"),
        "document": "/documents/vaerdiskabende-gentagelser-2023",
        "not found": "/findes-ikke",
        "invalid parameter": search_url(QUESTION, page="0"),
    }
    found: dict[str, list[str]] = {}
    for name, url in pages.items():
        page.goto(url)
        found[name] = violations(page)

    # A case page, reached from the results, and the results with "Lignende cases" open and
    # feedback given.
    page.goto(search_url(QUESTION))
    page.locator("ol.results .result-title a").first.click()
    page.wait_for_url("**/cases/**")
    found["case"] = violations(page)
    page.goto(search_url(QUESTION))
    first = page.locator("ol.results > li").first
    first.locator("summary", has_text="Lignende cases").click()
    first.get_by_role("button", name="Ikke nyttigt").click()
    first.locator(".feedback-thanks").wait_for()
    found["similar open, feedback given"] = violations(page)
    context.close()
    assert not errors, errors
    assert {name: v for name, v in found.items() if v} == {}


def test_admin_and_insights_pages_meet_wcag_a_and_aa(browser, admin_server) -> None:
    # A 401 for the wrong token is expected ("Failed to load resource").
    context, page, errors = watched_page(
        browser, admin_server, console_error=lambda text: "Failed to load resource" not in text
    )
    found: dict[str, list[str]] = {}
    page.goto("/admin/login")
    found["login"] = violations(page)
    page.get_by_label("Adgangsnøgle").fill("not-the-token-0123456789")
    page.get_by_role("button", name="Log ind").click()
    page.locator("#login-error").wait_for()
    found["login refused"] = violations(page)
    page.get_by_label("Adgangsnøgle").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/admin")
    found["publications"] = violations(page)
    page.goto(search_url(UNANSWERED))  # so the insights have a question without an answer
    page.goto("/indsigt")
    assert page.locator("h1").inner_text() == "Indsigt: hvad spørger kollegerne om?"
    assert UNANSWERED in page.locator("#uden-svar").inner_text()
    found["insights"] = violations(page)
    context.close()
    assert not errors, errors
    assert {name: v for name, v in found.items() if v} == {}
