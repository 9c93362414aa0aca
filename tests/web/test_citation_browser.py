"""Citations, "why it matched" and links to the original file, in real Chromium against
uvicorn: the copy button (JavaScript only), the plain citation text without JavaScript, and a
PDF hit that opens its file at the page.

Run: .venv/bin/pytest -m browser tests/web/test_citation_browser.py"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.pdfs import one_page_pdf
from tests.seeddata import seed_copy

from .conftest import _served

pytestmark = pytest.mark.browser

QUESTION = "hvordan kan vi forebygge udsættelser?"
SEED_REFERENCE = "Kilde: AlmenNet: Værdiskabende gentagelser (2023)"
GENERIC_HOME = "https://almennet.dk"
TOKEN = "citation-test-token-0123456789"
PDF_TEXT = (
    "Vaskeriet i Solgården\n\nBeboerne booker vasketider i en app, og ventelisten til"
    " tørretumbleren er forsvundet."
)


def _first_result(page):
    page.goto("/?q=" + QUESTION)
    result = page.locator("ol.results .result").first
    result.wait_for()
    return result


def test_copy_button_puts_the_citation_on_the_clipboard(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    result = _first_result(page)
    text = result.locator(".citation-text").inner_text()
    assert text.startswith(SEED_REFERENCE + ", s. ")
    button = result.get_by_role("button", name="Kopiér kildeangivelse")
    button.click()
    feedback = result.locator(".copy-feedback")
    expect(feedback).to_have_text("Kopieret")  # once the clipboard has answered
    expect(feedback).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == text


def test_copy_button_works_from_the_keyboard_with_visible_focus(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    result = _first_result(page)
    page.evaluate("navigator.clipboard.writeText('')")
    result.locator(".result-title a").focus()
    for _ in range(6):  # the title, the publication link, then the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('copy-citation')"):
            break
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Kopiér kildeangivelse"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    expect(result.locator(".copy-feedback")).to_have_text("Kopieret")
    text = result.locator(".citation-text").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == text


def test_results_say_why_they_matched(page):
    page.goto("/?q=" + QUESTION)
    notes = page.locator("ol.results .match-note")
    notes.first.wait_for()
    labels = notes.all_inner_texts()
    words = [label.split("Matcher ordene:")[1] for label in labels if "Matcher ordene:" in label]
    assert any("udsættelser" in w.split("–")[0] for w in words), labels
    assert not any("kan" in w.replace(",", " ").split() for w in words), labels  # a stop word


def test_without_javascript_the_citation_is_plain_text_and_read_more_is_specific(
    browser, live_server
):
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/?q=" + QUESTION)
    citations = page.locator("ol.results .citation-text")
    citations.first.wait_for()
    assert all(t.startswith(SEED_REFERENCE) for t in citations.all_inner_texts())
    assert page.get_by_role("button", name="Kopiér kildeangivelse").count() == 0
    hrefs = [a.get_attribute("href") for a in page.locator("ol.results a.read-more").all()]
    assert hrefs and GENERIC_HOME not in {h.rstrip("/") for h in hrefs}, hrefs
    assert all(h.startswith(("/documents/", "http")) for h in hrefs), hrefs

    page.locator("ol.results .result-title a").first.click()
    page.locator("h1").wait_for()
    assert page.locator(".citation-text").inner_text().startswith(SEED_REFERENCE)
    context.close()


@pytest.fixture(scope="module")
def pdf_server(seed_settings, seed_searcher, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The seed plus one uploaded one-page PDF, in a data dir of its own, served by uvicorn."""
    from vidensbank.api.app import create_app
    from vidensbank.api.holder import SnapshotHolder

    settings = seed_copy(seed_settings, tmp_path_factory.mktemp("pdf-data"), admin_token=TOKEN)
    holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
    app = create_app(settings, holder=holder)
    with TestClient(app) as client:
        created = client.post(
            "/api/documents",
            files={"file": ("vaskeri.pdf", one_page_pdf(PDF_TEXT))},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert created.status_code == 201, created.text
        with _served(app) as url:
            yield url, created.json()["document_id"]


@pytest.mark.slow
def test_a_pdf_hit_links_to_its_page_in_the_original_file(browser, pdf_server):
    url, document_id = pdf_server
    context = browser.new_context(base_url=url)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/?q=booke vasketider i en app")
    link = page.locator("ol.results .result").first.locator("a[data-page-link]")
    link.wait_for()
    href = link.get_attribute("href")
    assert href == f"/documents/{document_id}/file#page=1"
    assert re.fullmatch(r"s\.\s1\s+i den originale fil", link.inner_text())
    response = page.request.get(url + href.split("#")[0])
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    citation = page.locator("ol.results .citation-text").first.inner_text()
    assert citation.endswith(", s. 1") and "AlmenNet" not in citation
    context.close()
