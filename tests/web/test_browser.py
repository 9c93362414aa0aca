"""The search page in real Chromium (Playwright), against uvicorn serving the seed corpus.

Run: .venv/bin/pytest -m browser tests/web
Screenshots land in test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

QUESTION = "hvordan kan vi forebygge udsættelser?"
EXPECTED = {"Økonomisk rådgivning", "Det vestsjællandske samarbejde", "Domea.dk"}
XSS = "<script>alert(1)</script>"
RESULT_TITLES = "ol.results .result-title a"
NO_ANSWER = "Vi fandt ikke noget, der sikkert svarer på spørgsmålet"
GIBBERISH = "qwxzyvbnmqwxz"
UNANSWERED = "hvem betaler for skimmelsvamp efter en vandskade?"
NEAREST = ".nearest-list a"
WEAK = "Vi fandt kun svage resultater"


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_type_question_submit_and_see_case_in_top_three(page, artifacts):
    page.goto("/")
    box = page.get_by_label("Søg i vidensbanken")
    assert box.get_attribute("placeholder").startswith("Søg i AlmenNets erfaringer")
    box.fill(QUESTION)
    box.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    page.locator(RESULT_TITLES).first.wait_for()
    top = page.locator(RESULT_TITLES).all_inner_texts()[:3]
    assert EXPECTED & set(top), top
    assert re.fullmatch(
        r"\d+ resultater \((under )?\d+,\d\d sek\.\)", page.locator(".result-count").inner_text()
    )
    assert page.locator(".snippet mark").count() > 0
    assert params(page.url)["q"] == [QUESTION]  # shareable URL
    page.screenshot(path=artifacts / "results-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / "results-360.png", full_page=True)
    # nothing overflows sideways on a small phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_apply_and_remove_theme_filter(page):
    question = "vilde blomster i bebyggelsen"
    page.goto("/?q=" + question)
    page.locator(".facet a.facet-link", has_text="Biodiversitet").first.click()
    page.wait_for_url(re.compile(r"theme=Biodiversitet"))
    assert params(page.url)["q"] == [question]  # the query is kept
    chip = page.get_by_role("link", name="Fjern filter Tema: Biodiversitet")
    assert chip.is_visible()
    badges = set(page.locator("ol.results .badge").all_inner_texts())
    assert badges == {"Biodiversitet"}
    # a new question keeps the filter
    box = page.get_by_label("Søg i vidensbanken")
    box.fill("grønne ambassadører")
    box.press("Enter")
    page.wait_for_url(re.compile(r"gr%C3%B8nne|grønne"))
    assert params(page.url)["theme"] == ["Biodiversitet"]
    page.get_by_role("link", name="Fjern filter Tema: Biodiversitet").click()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert page.locator(".chip").count() == 0
    assert params(page.url)["q"] == ["grønne ambassadører"]


def test_case_page_and_similar_cases(page, artifacts):
    page.goto("/?q=" + QUESTION)
    first = page.locator(RESULT_TITLES + "[href^='/cases/']").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/cases/"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.locator("aside.facts").get_by_text("Publikation", exact=True).is_visible()
    similar = page.locator("#lignende .similar-list a")
    assert similar.count() >= 1
    page.screenshot(path=artifacts / "case-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / "case-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})
    other = similar.first.inner_text()
    similar.first.click()
    page.wait_for_url(re.compile(r"/cases/"))
    assert page.get_by_role("heading", level=1).inner_text() == other != title


def test_similar_cases_disclosure_on_results(page):
    page.goto("/?q=" + QUESTION)
    disclosure = page.locator("details.similar").first
    disclosure.locator("summary").click()
    link = disclosure.locator(".similar-list a").first
    assert link.is_visible()
    assert link.get_attribute("href").startswith("/cases/")


def test_xss_query_renders_as_text(page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    response = page.goto("/?q=" + XSS.replace("<", "%3C").replace(">", "%3E"))
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".result-count").wait_for()
    assert page.get_by_label("Søg i vidensbanken").input_value() == XSS
    assert XSS in page.title()
    assert page.locator("main script").count() == 0
    assert page.evaluate("document.scripts.length") == 1
    page.wait_for_timeout(300)
    assert dialogs == []


def test_keyboard_only_search(page):
    page.goto("/")
    # the search field is focused on the start page; "/" brings it back from anywhere
    page.keyboard.press("Tab")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    page.locator(RESULT_TITLES).first.wait_for()
    page.keyboard.press("/")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == page.locator(RESULT_TITLES).first.inner_text()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == (
        page.locator(RESULT_TITLES).nth(1).inner_text()
    )
    # focus is visible: an outline is drawn around the focused link
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/|/documents/"))


def test_search_as_you_type(page):
    page.goto("/")
    page.get_by_label("Søg i vidensbanken").press_sequentially("biodiversitet", delay=30)
    page.locator(RESULT_TITLES).first.wait_for()
    page.wait_for_url(re.compile(r"q=biodiversitet"))
    assert page.evaluate("document.activeElement.id") == "q"  # typing is not interrupted
    assert "resultater" in page.locator("#live-status").inner_text()


def test_works_without_javascript(browser, live_server, artifacts):
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/")
    page.screenshot(path=artifacts / "start-1280.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / "start-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Søg i vidensbanken").fill(QUESTION)
    page.get_by_role("button", name="Søg").click()
    page.locator(RESULT_TITLES).first.wait_for()
    assert EXPECTED & set(page.locator(RESULT_TITLES).all_inner_texts()[:3])
    context.close()


# ---------------------------------------------------------------- no sure answer, "Mente du"
# ``strict_server`` serves the seed with a floor no hit reaches (see conftest.py).


def test_no_sure_answer_offers_nearest_topics_by_keyboard(page, strict_server, artifacts):
    page.goto(f"{strict_server}/?q={UNANSWERED}")
    assert page.get_by_role("heading", name=NO_ANSWER).is_visible()
    assert page.get_by_role("heading", name="Nærmeste emner").is_visible()
    assert re.fullmatch(
        r"0 resultater \((under )?\d+,\d\d sek\.\)", page.locator(".result-count").inner_text()
    )
    nearest = page.locator(NEAREST)
    assert 1 <= nearest.count() <= 3
    assert page.get_by_text("færre filtre").count() == 0  # no filters are active
    assert page.locator("aside.filters, a.to-filters").count() == 0  # nothing to narrow
    page.screenshot(path=artifacts / "no-answer-1280.png", full_page=True)
    # "/" to the search box, arrow down to the first nearest topic; its focus is visible
    page.keyboard.press("/")
    page.keyboard.press("ArrowDown")
    title = nearest.first.inner_text()
    assert page.evaluate("document.activeElement.textContent") == title
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / "no-answer-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/|/documents/"))
    assert title in page.locator("main").inner_text()


def test_no_sure_answer_with_filters_offers_fewer_filters(page, strict_server):
    page.goto(f"{strict_server}/?q={GIBBERISH}&theme=Biodiversitet")
    assert page.get_by_role("heading", name=NO_ANSWER).is_visible()
    page.get_by_role("link", name="fjern filtrene").click()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert params(page.url) == {"q": [GIBBERISH]}


def test_did_you_mean_link_keeps_filters(page):
    page.goto("/?q=udsætelser&theme=Vilde velfærdsproblemer")
    line = page.locator(".did-you-mean")
    assert line.inner_text() == "Mente du: udsættelser?"
    line.get_by_role("link", name="udsættelser").click()
    page.wait_for_url(re.compile(r"q=uds%C3%A6ttelser|q=udsættelser"))
    assert params(page.url) == {"q": ["udsættelser"], "theme": ["Vilde velfærdsproblemer"]}
    assert page.get_by_label("Søg i vidensbanken").input_value() == "udsættelser"
    assert page.locator(".did-you-mean").count() == 0


def test_search_as_you_type_says_no_sure_answer(page, strict_server):
    page.goto(strict_server + "/")
    page.get_by_label("Søg i vidensbanken").press_sequentially("udsætelser", delay=30)
    page.wait_for_url(re.compile(r"q=uds%C3%A6telser"))
    page.get_by_role("heading", name=NO_ANSWER).wait_for()
    assert page.locator(NEAREST).count() >= 1
    assert page.locator(".did-you-mean a").inner_text() == "udsættelser"
    assert page.evaluate("document.activeElement.id") == "q"  # typing is not interrupted
    status = page.locator("#live-status").inner_text()
    assert "0 resultater" in status and "Mente du: udsættelser?" in status and NO_ANSWER in status


def test_search_as_you_type_says_when_results_are_weak(page, seed_searcher):
    """A question of the seed's eval set whose best hit the searcher calls weak: the notice
    replaces the results live, and the live region reads it out."""
    from tests.conftest import ROOT
    from vidensbank.search.eval import read_queries

    question = next(
        q.query
        for q in read_queries(ROOT / "eval" / "seed-natural-heldout.jsonl")
        if seed_searcher.search(q.query).weak
    )
    page.goto("/")
    page.get_by_label("Søg i vidensbanken").fill(question)
    notice = page.locator("[data-weak-results]")
    notice.wait_for()
    assert notice.inner_text().startswith(WEAK)
    assert page.locator(RESULT_TITLES).count() >= 1  # the results stay
    page.wait_for_function(
        "text => document.querySelector('#live-status').innerText.includes(text)", arg=WEAK
    )
    sure = page.locator(RESULT_TITLES).count()
    notice.get_by_role("link", name="se også de usikre resultater").click()
    page.locator(".result-count", has_text="også usikre resultater").wait_for()
    assert page.locator(RESULT_TITLES).count() > sure


def test_no_sure_answer_without_javascript(browser, strict_server):
    context = browser.new_context(java_script_enabled=False, base_url=strict_server)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Søg i vidensbanken").fill("udsætelser")
    page.get_by_role("button", name="Søg").click()
    page.get_by_role("heading", name=NO_ANSWER).wait_for()
    assert page.locator(NEAREST).count() >= 1
    page.locator(".did-you-mean a").click()
    page.wait_for_url(re.compile(r"q=uds%C3%A6ttelser|q=udsættelser"))
    assert page.get_by_role("heading", name=NO_ANSWER).is_visible()
    context.close()


def test_not_ready_page_fits_a_phone(browser, tmp_path, artifacts):
    """Before the first ingest the page says so in Danish, and its long error id wraps."""
    from tests.web.conftest import _served
    from vidensbank.api.app import create_app
    from vidensbank.settings import Settings

    app = create_app(Settings(data_dir=tmp_path / "data", query_log=False))
    with _served(app) as url:
        context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=url)
        page = context.new_page()
        response = page.goto("/?q=udsættelser")
        assert response.status == 503
        page.get_by_role("heading", name="Søgningen er ikke klar endnu").wait_for()
        page.screenshot(path=artifacts / "not-ready-360.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
