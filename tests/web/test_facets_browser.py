"""In Chromium: the filter menus' counts follow the question and the other filters, and
choosing a second value of a field shows both."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST = "biodiversitet i boligområdet"
SECOND = "frivillige i boligafdelingen"  # answers in more than one theme
FACETS = "theme,organisation,document,year"


def api_counts(page, **params: object) -> dict[str, dict[str, int]]:
    """The API's facet counts for ``params``, fetched by the same browser."""
    query = urlencode({**params, "facets": FACETS, "k": 1}, doseq=True)
    body = json.loads(page.request.get("/api/search?" + query).text())
    return {kind: {str(f["value"]): f["count"] for f in v} for kind, v in body["facets"].items()}


def shown_counts(page) -> dict[str, dict[str, int]]:
    """What the filter menus show, read from the rendered page."""
    return page.evaluate(
        """() => {
          const out = {};
          for (const section of document.querySelectorAll("aside.filters section.facet")) {
            const kind = section.getAttribute("aria-labelledby").replace("facet-", "");
            out[kind] = {};
            for (const link of section.querySelectorAll("a.facet-link")) {
              const count = link.querySelector("[data-facet-count]").textContent;
              out[kind][link.dataset.facetValue] = parseInt(count.replace(/\\./g, ""), 10);
            }
          }
          return out;
        }"""
    )


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_filter_counts_follow_the_question_and_the_other_filters(page, artifacts) -> None:
    page.goto("/?" + urlencode({"q": FIRST}))
    first = shown_counts(page)
    assert first["theme"] and first == {k: v for k, v in api_counts(page, q=FIRST).items() if v}

    # a new question typed in the box: the menus now count its results
    box = page.get_by_label("Søg i vidensbanken")
    box.fill(SECOND)
    box.press("Enter")
    page.wait_for_url(re.compile(r"frivillige"))
    expected = {k: v for k, v in api_counts(page, q=SECOND).items() if v}
    page.wait_for_function(
        "(n) => document.querySelectorAll('aside.filters a.facet-link').length === n",
        arg=sum(len(v) for v in expected.values()),
    )
    assert shown_counts(page) == expected
    assert expected != first  # another question, other counts

    # choosing a theme: organisations count within it, the themes still show every choice
    theme = next(iter(expected["theme"]))
    page.locator(f'aside.filters a.facet-link[data-facet-value="{theme}"]').click()
    page.wait_for_url(re.compile(r"theme="))
    assert params(page.url)["theme"] == [theme]
    with_theme = api_counts(page, q=SECOND, theme=theme)
    shown = shown_counts(page)
    assert shown["organisation"] == with_theme["organisation"]
    assert shown["theme"] == with_theme["theme"] and len(shown["theme"]) > 1
    count = page.locator("[data-result-count]").inner_text()
    assert count.startswith(f"{shown['theme'][theme]} resultat")  # selected = results shown
    page.screenshot(path=artifacts / "facets-follow-query.png", full_page=True)


def test_a_second_value_of_a_field_adds_to_the_first(page) -> None:
    page.goto("/?" + urlencode({"q": FIRST}))
    links = page.locator("section.facet[aria-labelledby='facet-theme'] a.facet-link")
    first, second = (links.nth(i).get_attribute("data-facet-value") for i in range(2))
    links.nth(0).click()
    page.wait_for_url(re.compile(r"theme="))
    page.locator(f'section.facet a.facet-link[data-facet-value="{second}"]').click()
    page.wait_for_url(lambda url: len(params(url).get("theme", [])) == 2)
    assert sorted(params(page.url)["theme"]) == sorted([first, second])
    badges = set(page.locator("ol.results .badge").all_inner_texts())
    assert badges == {first, second}
    active = page.locator("section.facet a.facet-link.is-active")
    assert active.count() == 2
    # keyboard users see where they are in the menu
    active.first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # removing one value keeps the other
    page.get_by_role("link", name=f"Fjern filter Tema: {first}").click()
    page.wait_for_url(lambda url: params(url).get("theme") == [second])
