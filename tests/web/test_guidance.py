"""The search page when the question has no sure answer (nearest topics, tips) or is
misspelt ("Mente du …?"), and its result count, in process. ``strict_client`` serves the
seed with a floor no hit reaches, so these tests do not depend on the fitted model."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlparse

from vidensbank.web.guidance import spelling_suggestion
from vidensbank.web.state import SearchState

NO_ANSWER = "Vi fandt ikke noget, der sikkert svarer på spørgsmålet"
GIBBERISH = "qwxzyvbnmqwxz"
UNANSWERED = "hvem betaler for skimmelsvamp efter en vandskade?"
QUESTION = "hvordan kan vi forebygge udsættelser?"
THEME = "Vilde velfærdsproblemer"


def nearest_links(page: str) -> list[tuple[str, str]]:
    """(href, title) of the nearest topics on a page."""
    found = re.findall(r'<a href="([^"]+)" data-result-link data-nearest-link>([^<]+)</a>', page)
    return [(html_lib.unescape(href), html_lib.unescape(title)) for href, title in found]


def shown_count(page: str) -> int:
    match = re.search(r"data-result-count data-announce>([\d.]+) resultat", page)
    assert match, "no result count on the page"
    return int(match.group(1).replace(".", ""))


def suggestion_link(page: str) -> tuple[str, str] | None:
    """(href, inner HTML) of the "Mente du" link."""
    match = re.search(r'Mente du: <a href="([^"]+)" data-suggestion>(.*?)</a>\?', page)
    return (html_lib.unescape(match.group(1)), match.group(2)) if match else None


def test_no_sure_answer_is_said_in_danish_with_nearest_topics(strict_client):
    page = strict_client.get("/", params={"q": UNANSWERED})
    api = strict_client.get("/api/search", params={"q": UNANSWERED}).json()
    assert page.status_code == 200
    assert api["total"] == 0 and api["results"] == [] and api["nearest"]
    html = page.text
    assert NO_ANSWER in html
    assert "Nærmeste emner" in html
    assert shown_count(html) == 0
    assert '<ol class="results"' not in html
    links = nearest_links(html)
    assert 1 <= len(links) <= 3
    assert [title for _, title in links] == [n["title"] for n in api["nearest"]][:3]
    for (href, _), topic in zip(links, api["nearest"], strict=False):
        if topic["kind"] == "case":
            assert href == f"/cases/{topic['case_id']}"
        else:
            assert re.fullmatch(rf"/documents/{re.escape(topic['document_id'])}#afsnit-\d+", href)
    # tips: other words always; fewer filters only when filters are active
    assert "bruge andre ord" in html
    assert "færre filtre" not in html


def test_nearest_topics_lead_to_existing_pages_and_sections(strict_client):
    links = nearest_links(strict_client.get("/", params={"q": UNANSWERED}).text)
    assert links
    for href, title in links:
        path, _, anchor = href.partition("#")
        target = strict_client.get(path)
        assert target.status_code == 200, href
        assert html_lib.escape(title, quote=False) in target.text
        if anchor:
            assert f'id="{anchor}"' in target.text


def test_front_matter_is_never_a_nearest_topic(strict_client):
    """The foreword and "Om AlmenNets publikationer" are about the publication, not a subject
    to try instead, even for a question about the publisher."""
    for question in ("hvem udgiver AlmenNets publikationer?", "forord", UNANSWERED):
        nearest = strict_client.get("/api/search", params={"q": question}).json()["nearest"]
        assert nearest, question
        titles = {t["title"] for t in nearest}
        assert not titles & {"Om AlmenNets publikationer", "Forord"}, (question, titles)


def test_gibberish_gets_the_tips_but_no_nearest_topics(strict_client):
    page = strict_client.get("/", params={"q": GIBBERISH}).text
    assert NO_ANSWER in page and "tjekke stavningen" in page
    assert "Nærmeste emner" not in page and nearest_links(page) == []
    assert strict_client.get("/api/search", params={"q": GIBBERISH}).json()["nearest"] == []


def test_fewer_filters_tip_only_with_active_filters(strict_client):
    html = strict_client.get("/", params={"q": GIBBERISH, "theme": THEME}).text
    assert NO_ANSWER in html and "færre filtre" in html
    remove = re.search(r'færre filtre – <a href="([^"]+)">fjern filtrene</a>', html)
    assert remove, "no link that removes the filters"
    params = parse_qs(urlparse(html_lib.unescape(remove.group(1))).query)
    assert params == {"q": [GIBBERISH]}


def test_count_is_the_number_of_hits_above_the_floor(client, strict_client):
    page = client.get("/", params={"q": QUESTION}).text
    floored = client.get("/api/search", params={"q": QUESTION}).json()
    assert shown_count(page) == floored["total"]
    # the same question with a floor nothing reaches: nothing is counted, though the
    # unfloored search has hits
    unfloored = client.get("/api/search", params={"q": QUESTION, "min_relevance": 0}).json()
    assert unfloored["total"] > 0
    strict = strict_client.get("/", params={"q": QUESTION}).text
    assert shown_count(strict) == 0 and NO_ANSWER in strict


def test_misspelt_question_gets_a_did_you_mean_link(client):
    html = client.get("/", params={"q": "udsætelser"}).text
    link = suggestion_link(html)
    assert link is not None, "no 'Mente du' on the page"
    href, inner = link
    assert parse_qs(urlparse(href).query) == {"q": ["udsættelser"]}
    assert inner == "<strong>udsættelser</strong>"


def test_did_you_mean_keeps_filters_and_marks_only_corrected_words(client):
    question = "hvordan forebygger vi udsætelser?"
    html = client.get("/", params={"q": question, "theme": THEME}).text
    href, inner = suggestion_link(html)
    assert parse_qs(urlparse(href).query) == {
        "q": ["hvordan forebygger vi udsættelser?"],
        "theme": [THEME],
    }
    assert inner == "hvordan forebygger vi <strong>udsættelser?</strong>"


def test_correctly_spelt_question_gets_no_did_you_mean(client):
    assert "Mente du" not in client.get("/", params={"q": QUESTION}).text


def test_misspelt_question_with_no_sure_answer_shows_both(strict_client):
    html = strict_client.get("/", params={"q": "udsætelser"}).text
    assert suggestion_link(html) is not None
    assert NO_ANSWER in html and "Nærmeste emner" in html


def test_suggestion_is_escaped_in_link_and_text():
    from vidensbank.web.render import templates

    evil = '"><script>alert(1)</script>'
    state = SearchState(q="x")
    suggestion = spelling_suggestion(state, evil)
    assert suggestion is not None
    html = templates.env.get_template("search.html").render(
        q="x",
        state=state,
        groups=[],
        nearest=[],
        suggestion=suggestion,
        response=None,
        count="0 resultater (0,01 sek.)",
        facets={},
        facet_labels={},
        active_filters=[],
        hidden_filters=[],
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the shown text
    assert parse_qs(urlparse(html_lib.unescape(suggestion_link(html)[0])).query) == {"q": [evil]}


def test_spelling_suggestion_marks_words_that_differ():
    state = SearchState(q="hvordan forebygger vi udsætelser?", theme=THEME, page=3)
    suggestion = spelling_suggestion(state, "hvordan forebygger vi udsættelser?")
    assert [w.text for w in suggestion.words if w.changed] == ["udsættelser?"]
    assert "page=" not in suggestion.href  # a new question starts on page one
    assert "theme=" in suggestion.href
    # none, blank or the question itself: nothing to suggest
    for same in (None, "", "  ", state.q):
        assert spelling_suggestion(state, same) is None
    # a different number of words: no word is marked rather than a wrong one
    merged = spelling_suggestion(SearchState(q="bolig selskab"), "boligselskab")
    assert [w.changed for w in merged.words] == [False]


def test_no_sure_answer_offers_the_uncertain_results_and_they_can_be_shown(strict_client):
    r = strict_client.get("/", params={"q": "grønne ambassadører"})
    assert "Vi fandt ikke noget, der sikkert svarer på spørgsmålet" in r.text
    assert "vis alle resultater" in r.text and "alle=1" in r.text
    shown = strict_client.get("/", params={"q": "grønne ambassadører", "alle": "1"})
    assert shown.status_code == 200
    assert "Grønne ambassadører" in shown.text and "også usikre resultater" in shown.text
    assert "Vi fandt ikke noget" not in shown.text
    assert strict_client.get("/", params={"q": "x", "alle": "2"}).status_code == 400
