"""The search page's filter menus: counts for the question asked (the API's facets), several
values per filter, and links that add or remove one value."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlparse

QUESTIONS = (
    "biodiversitet i boligområdet",
    "hvordan kan økonomisk rådgivning forebygge udsættelser?",
)
FACET = re.compile(
    r'<a class="facet-link( is-active)?" href="([^"]+)"[^>]*data-facet-value="([^"]*)">.*?'
    r"data-facet-count>([\d.]+)<",
    re.S,
)


def menus(page_html: str) -> dict[str, dict[str, dict]]:
    """Per filter menu (by its heading id) the value → {count, active, href} shown."""
    out: dict[str, dict[str, dict]] = {}
    for section in re.findall(
        r'<section class="facet" aria-labelledby="facet-(\w+)">(.*?)</section>', page_html, re.S
    ):
        kind, body = section
        out[kind] = {
            html_lib.unescape(value): {
                "count": int(count.replace(".", "")),
                "active": bool(active),
                "href": html_lib.unescape(href),
            }
            for active, href, value, count in FACET.findall(body)
        }
    return out


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(href).query)


def api_counts(client, **params) -> dict[str, dict[str, int]]:
    body = client.get(
        "/api/search", params={**params, "facets": "theme,organisation,document,year"}
    ).json()
    return {
        kind: {str(f["value"]): f["count"] for f in values}
        for kind, values in body["facets"].items()
    }


def test_menu_counts_are_the_questions_counts(client) -> None:
    for question in QUESTIONS:
        page = client.get("/", params={"q": question})
        assert page.status_code == 200
        shown = menus(page.text)
        expected = api_counts(client, q=question)
        for kind, values in expected.items():
            assert {v: s["count"] for v, s in shown.get(kind, {}).items()} == values, kind
    catalog = {f["value"]: f["count"] for f in client.get("/api/facets").json()["theme"]}
    assert {
        v: s["count"]
        for v, s in menus(client.get("/", params={"q": QUESTIONS[0]}).text)["theme"].items()
    } != catalog


def test_selected_value_links_remove_it_and_others_add_to_it(client) -> None:
    themes = [f["value"] for f in client.get("/api/facets").json()["theme"]]
    first, second = themes[:2]
    page = client.get("/", params={"q": QUESTIONS[0], "theme": first})
    theme_menu = menus(page.text)["theme"]
    assert theme_menu[first]["active"] and not theme_menu[second]["active"]
    assert query(theme_menu[first]["href"]).get("theme") is None
    assert query(theme_menu[second]["href"])["theme"] == [first, second]
    assert query(theme_menu[second]["href"])["q"] == [QUESTIONS[0]]
    # the selected theme counts what is shown; the other what choosing it too would add
    assert theme_menu[second]["count"] == api_counts(client, q=QUESTIONS[0])["theme"][second]


def test_two_values_of_a_field_show_both_and_each_can_be_removed(client) -> None:
    first, second = [f["value"] for f in client.get("/api/facets").json()["theme"]][:2]
    page = client.get("/", params={"q": QUESTIONS[0], "theme": [first, second]})
    assert page.status_code == 200
    text = page.text
    badges = set(re.findall(r'class="badge">([^<]+)<', text))
    assert badges == {first, second}
    chips = dict(
        (html_lib.unescape(label), html_lib.unescape(href))
        for href, label in re.findall(
            r'<a class="chip" href="([^"]+)" aria-label="Fjern filter Tema: ([^"]+)"', text
        )
    )
    assert query(chips[first])["theme"] == [second] and query(chips[second])["theme"] == [first]
    hidden = re.findall(r'<input type="hidden" name="theme" value="([^"]+)"', text)
    assert [html_lib.unescape(v) for v in hidden] == [first, second]  # a new question keeps both
    shown = menus(text)["theme"]
    assert shown[first]["active"] and shown[second]["active"]
    total = client.get("/api/search", params={"q": QUESTIONS[0], "theme": [first, second]})
    assert shown[first]["count"] + shown[second]["count"] == total.json()["total"] > 0


def test_an_unknown_value_among_several_is_named_in_danish(client) -> None:
    first = client.get("/api/facets").json()["theme"][0]["value"]
    page = client.get("/", params={"q": "x", "theme": [first, "Rumfart"]})
    assert page.status_code == 400
    assert "Filteret Tema »Rumfart« findes ikke" in page.text


def test_a_selected_value_without_results_stays_in_its_menu(strict_client) -> None:
    first = strict_client.get("/api/facets").json()["theme"][0]["value"]
    page = strict_client.get("/", params={"q": QUESTIONS[0], "theme": first})
    shown = menus(page.text)
    assert shown["theme"] == {
        first: {"count": 0, "active": True, "href": shown["theme"][first]["href"]}
    }
    assert "organisation" not in shown  # no results: nothing else to choose


def test_too_many_values_of_a_filter_is_a_danish_400(client) -> None:
    first = client.get("/api/facets").json()["theme"][0]["value"]
    for params in ({"theme": [first] * 21}, {"year": ["2023"] * 21}):
        page = client.get("/", params={"q": "x", **params})
        assert page.status_code == 400
        assert "har for mange værdier: vælg højst 20" in page.text
