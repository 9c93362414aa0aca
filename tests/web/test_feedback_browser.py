"""👍/👎 and /indsigt in real Chromium, against uvicorn over a private copy of the seed data
(the judgements and the query log are written to that copy's store).

Run: .venv/bin/pytest -m browser tests/web/test_feedback_browser.py
The screenshot of /indsigt lands in test-artifacts/indsigt.png."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.seeddata import empty_log, seed_copy

from .conftest import _served, watched_page

pytestmark = pytest.mark.browser

TOKEN = "browser-test-token-0123456789"
FIRST_RESULT = "ol.results > li.result"
THANKS = "Tak for din vurdering"


@pytest.fixture(scope="module")
def staff_app(seed_settings, seed_searcher, tmp_path_factory):
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path_factory.mktemp("feedback-data"), admin_token=TOKEN)
    empty_log(settings.store_path)
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    return create_app(settings, holder=holder)


@pytest.fixture(scope="module")
def staff_server(staff_app) -> Iterator[str]:
    with _served(staff_app) as url:
        yield url


def judgements(app, query: str) -> list[tuple[str, int]]:
    assert app.state.query_log.flush()
    conn = sqlite3.connect(Path(app.state.settings.store_path))
    try:
        return conn.execute(
            "SELECT passage_id, useful FROM feedback WHERE query = ? ORDER BY id", (query,)
        ).fetchall()
    finally:
        conn.close()


def judged_title(app, query: str) -> str:
    """What the insights page names a judged result by: its case, else its publication."""
    conn = sqlite3.connect(Path(app.state.settings.store_path))
    try:
        case, document = conn.execute(
            "SELECT case_title, document_title FROM feedback WHERE query = ?", (query,)
        ).fetchone()
    finally:
        conn.close()
    return case or document


def search(page, question: str) -> None:
    page.goto("/?q=" + question)
    page.locator(FIRST_RESULT).first.wait_for()


def test_feedback_with_javascript_thanks_in_place(browser, staff_server, staff_app) -> None:
    question = "hvordan kan vi forebygge udsættelser?"
    context, page, errors = watched_page(browser, staff_server)
    search(page, question)
    url = page.url
    page.evaluate("window.notReloaded = true")
    first = page.locator(FIRST_RESULT).first
    first.get_by_role("button", name="Nyttigt", exact=True).click()
    thanks = first.locator(".feedback-thanks")
    thanks.wait_for()
    assert thanks.inner_text() == THANKS
    assert page.evaluate("window.notReloaded === true") and page.url == url
    assert thanks.evaluate("el => el === document.activeElement")  # focus not lost
    # the other results still offer both buttons
    second = page.locator(FIRST_RESULT).nth(1)
    assert second.get_by_role("button", name="Ikke nyttigt").is_visible()
    [(_, useful)] = judgements(staff_app, question)
    assert useful == 1
    context.close()
    assert not errors, errors


def test_feedback_without_javascript_posts_the_form(browser, staff_server, staff_app) -> None:
    question = "grønne ambassadører i afdelingen"
    context, page, _ = watched_page(browser, staff_server, java_script_enabled=False)
    search(page, question)
    first = page.locator(FIRST_RESULT).first
    first.get_by_role("button", name="Ikke nyttigt").click()
    page.wait_for_url(re.compile(r"vurderet="))
    assert page.locator(FIRST_RESULT).first.locator(".feedback-thanks").inner_text() == THANKS
    assert page.url.split("#")[1].startswith("vurdering-")
    [(passage_id, useful)] = judgements(staff_app, question)
    assert useful == 0 and passage_id in page.url
    context.close()


def test_buttons_are_labelled_and_focus_is_visible(browser, staff_server) -> None:
    context, page, _ = watched_page(browser, staff_server)
    search(page, "grønne ambassadører")
    button = page.locator(FIRST_RESULT).first.get_by_role("button", name="Nyttigt", exact=True)
    assert button.get_attribute("aria-label") == "Nyttigt"
    page.locator("ol.results a[data-result-link]").first.focus()
    for _ in range(40):  # Tab from the result title until the button has focus
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    assert button.evaluate("el => el === document.activeElement")
    style = button.evaluate("el => getComputedStyle(el).outlineStyle")
    width = button.evaluate("el => parseFloat(getComputedStyle(el).outlineWidth)")
    assert style != "none" and width >= 2
    context.close()


def test_insights_page_shows_searches_and_judgements(
    browser, staff_server, staff_app, artifacts
) -> None:
    asked = "hvordan får vi flere beboere med i bestyrelsen?"
    unanswered = "qwxzyvbnmqwxz"
    context, page, errors = watched_page(browser, staff_server)
    for _ in range(3):
        search(page, asked)
    page.locator(FIRST_RESULT).first.get_by_role("button", name="Ikke nyttigt").click()
    page.locator(".feedback-thanks").first.wait_for()
    page.goto("/?q=" + unanswered)
    page.get_by_text("Vi fandt ikke noget, der sikkert svarer på spørgsmålet").wait_for()
    assert staff_app.state.query_log.flush()

    page.goto("/indsigt")  # no session: the login form
    assert "/admin/login" in page.url
    context.set_extra_http_headers({"Authorization": f"Bearer {TOKEN}"})
    page.goto("/indsigt?periode=7")
    top = page.locator("table#hyppigste")
    assert top.locator("caption").inner_text() == "De hyppigste spørgsmål"
    assert top.locator("thead th").all_inner_texts()[:2] == ["Spørgsmål", "Antal"]
    row = top.locator("tbody tr", has_text=asked)
    assert row.locator("td").first.inner_text() == "3"
    no_answer = page.locator("table#uden-svar tbody tr", has_text=unanswered)
    assert no_answer.locator("td").first.inner_text() == "1"
    not_useful = page.locator("table#ikke-nyttige tbody tr", has_text=asked)
    assert judged_title(staff_app, asked) in not_useful.inner_text()
    assert page.locator("table caption").count() == 3
    assert page.locator("table th[scope=col]").count() >= 11
    page.screenshot(path=artifacts / "indsigt.png", full_page=True)
    context.close()
    assert not errors, errors
