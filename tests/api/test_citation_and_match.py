"""Citations ("Kilde: …") of hits, cases and documents, and why a hit matched, over the
real seed snapshot (real bundled model, SQLite, FAISS)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.pdfs import one_page_pdf
from vidensbank.search.analysis import is_query_stopword, tokenize
from vidensbank.search.catalog import DocumentInfo
from vidensbank.search.citation import citation
from vidensbank.search.match import is_link_line

from .conftest import TOKEN, auth

# What the publisher's rights note in corpus/sources.toml asks staff to quote.
SEED_REFERENCE = "Kilde: AlmenNet: Værdiskabende gentagelser (2023)"
SEED_ID = "vaerdiskabende-gentagelser-2023"
QUESTION = "hvordan kan økonomisk rådgivning forebygge udsættelser?"
ADVICE_CASE = "vaerdiskabende-gentagelser-2023--oekonomisk-raadgivning"
# Says what the "Økonomisk rådgivning" case is about without any of its words.
PARAPHRASE = "pengeproblemer hos lejere i restance"


def search(client: TestClient, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def pages(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f", s. {start}" if end in (None, start) else f", s. {start}–{end}"


# ---------------------------------------------------------------------------- citation


def test_every_hit_cites_the_publication_as_the_rights_note_asks_with_its_pages(
    client: TestClient,
) -> None:
    hits = search(client, q=QUESTION, k=5)["results"]
    assert hits
    for hit in hits:
        passage = client.get(f"/api/passages/{hit['passage_id']}").json()["passage"]
        expected = SEED_REFERENCE + pages(passage["page_start"], passage["page_end"])
        assert hit["citation"] == expected
        assert hit["page"] is not None and f"s. {hit['page']}" in hit["citation"]


def test_a_case_cites_its_page_range_and_a_document_cites_itself(client: TestClient) -> None:
    case = client.get(f"/api/cases/{ADVICE_CASE}").json()
    assert case["page_start"] is not None
    assert case["citation"] == SEED_REFERENCE + pages(case["page_start"], case["page_end"])
    listed = client.get("/api/cases", params={"document": SEED_ID}).json()["items"]
    assert {c["id"]: c["citation"] for c in listed}[ADVICE_CASE] == case["citation"]

    document = client.get(f"/api/documents/{SEED_ID}").json()
    assert document["citation"] == SEED_REFERENCE
    summaries = client.get("/api/documents").json()["items"]
    assert {d["id"]: d["citation"] for d in summaries}[SEED_ID] == SEED_REFERENCE


def test_citation_and_match_are_described_in_the_openapi_schema(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("Hit", "CaseSummary", "DocumentSummary", "CaseDetail", "DocumentDetail"):
        assert schemas[model]["properties"]["citation"]["description"], model
    assert schemas["Hit"]["properties"]["match"]
    match = schemas["Match"]["properties"]
    assert {"by", "words", "sentence"} <= set(match)
    assert all(match[name].get("description") for name in ("by", "words", "sentence"))


@pytest.mark.slow
def test_documents_without_publisher_or_year_are_cited_by_title_and_pdfs_by_page(
    writable: Callable,
) -> None:
    """An uploaded note has no publisher: its citation is its title (and year, if the text
    gives one); an uploaded PDF's hits cite their page."""
    _, client = writable(admin_token=TOKEN)
    note = "# Grønne tage\n\nSedum på cykelskurene giver bier mad hele sommeren.\n"
    pdf = one_page_pdf(
        "Vaskeriet i Solgården\n\nBeboerne booker vasketider i en app, og ventelisten til"
        " tørretumbleren er forsvundet."
    )
    ids = []
    for name, data in (("groenne-tage.md", note.encode()), ("vaskeri.pdf", pdf)):
        created = client.post("/api/documents", files={"file": (name, data)}, headers=auth())
        assert created.status_code == 201, created.text
        ids.append(created.json()["document_id"])

    for doc_id in ids:
        document = client.get(f"/api/documents/{doc_id}").json()
        assert document["publisher"] is None
        year = f" ({document['year']})" if document["year"] else ""
        assert document["citation"] == f"Kilde: {document['title']}{year}"

    note_hit = search(client, q="sedum på cykelskurene", k=1)["results"][0]
    assert note_hit["document"]["id"] == ids[0]
    assert note_hit["citation"].startswith("Kilde: ") and "s. " not in note_hit["citation"]
    pdf_hit = search(client, q="booke vasketider i en app", k=1)["results"][0]
    assert pdf_hit["document"]["id"] == ids[1] and pdf_hit["page"] == 1
    assert pdf_hit["citation"].endswith(", s. 1")


def _document(**changes: object) -> DocumentInfo:
    values: dict = {
        "id": "doc",
        "title": "Grønne gårde",
        "year": 2021,
        "source_url": None,
        "source": "/srv/corpus/groenne-gaarde.pdf",
        "format": "pdf",
        "publisher": "BL",
        "superseded_by": None,
        "metadata": {},
    }
    values.update(changes)
    return DocumentInfo(**values)


def test_citation_rule_for_editions_web_pages_and_foreign_rights_notes() -> None:
    assert citation(_document(), 4, 6) == "Kilde: BL: Grønne gårde (2021), s. 4–6"
    # The edition only tells editions apart.
    edition = {"edition": "2. udgave", "supersedes": "doc-2019"}
    assert citation(_document(metadata=edition)) == "Kilde: BL: Grønne gårde, 2. udgave (2021)"
    assert (
        citation(_document(metadata={"edition": "1. udgave"})) == "Kilde: BL: Grønne gårde (2021)"
    )
    # A web page adds its address; a bare title is what is left without metadata.
    page = _document(format="html", source_url="https://bl.dk/groenne-gaarde", publisher=None)
    assert citation(page) == "Kilde: Grønne gårde (2021), https://bl.dk/groenne-gaarde"
    assert citation(_document(year=None, publisher=None)) == "Kilde: Grønne gårde"
    # A rights note's reference is used only when it names this publication.
    other = {"rights": "Gengivelse kun med kildeangivelse: BL: Andre gårde (2020)."}
    assert citation(_document(metadata=other)) == "Kilde: BL: Grønne gårde (2021)"
    own = {"rights": "Gengivelse kun med kildeangivelsen: BL, Grønne gårde, 2021."}
    assert citation(_document(metadata=own), 2) == "Kilde: BL, Grønne gårde, 2021, s. 2"


# ---------------------------------------------------------------------------- match


def _content_words(query: str) -> list[str]:
    return [query[t.start : t.end] for t in tokenize(query) if not is_query_stopword(t.text)]


def test_a_hit_sharing_words_with_the_query_lists_them_as_typed(client: TestClient) -> None:
    query = "Økonomisk rådgivning mod Udsættelser"
    hits = search(client, q=query, k=5)["results"]
    top = hits[0]
    assert top["case"]["id"] == ADVICE_CASE
    assert top["match"]["by"] in ("words", "both")
    words = top["match"]["words"]
    # As typed (capitals kept), content words only, each found in the passage.
    assert set(words) <= set(_content_words(query)) and "mod" not in words
    assert {"Økonomisk", "Udsættelser"} <= set(words)
    assert all(w.casefold()[:6] in top["text"].casefold() for w in words)
    for hit in hits:
        if hit["match"]["by"] in ("meaning", "both"):
            assert hit["match"]["sentence"] and hit["match"]["sentence"] in hit["text"]
        else:
            assert hit["match"]["sentence"] is None


def test_a_paraphrase_with_no_word_in_common_matches_by_meaning_with_a_sentence(
    client: TestClient,
) -> None:
    lexical = search(client, q=PARAPHRASE, k=50, mode="lexical", min_relevance=0)["results"]
    assert ADVICE_CASE not in {h["case"]["id"] for h in lexical if h["case"]}  # no shared word
    hits = search(client, q=PARAPHRASE, k=3)["results"]
    hit = next(h for h in hits if h["case"] and h["case"]["id"] == ADVICE_CASE)
    assert hit["match"]["by"] == "meaning" and hit["match"]["words"] == []
    sentence = hit["match"]["sentence"]
    assert sentence and sentence in hit["text"] and sentence == hit["best_sentence"]


def test_lexical_mode_never_claims_a_match_by_meaning(client: TestClient) -> None:
    hits = search(client, q=QUESTION, k=5, mode="lexical")["results"]
    assert hits and all(h["match"]["by"] == "words" and h["match"]["words"] for h in hits)


@pytest.mark.parametrize(
    ("sentence", "link"),
    [
        ("Læs mere her: https://fagbladetboligen.dk/alle-nyheder/2022/undga-udsaettelser/", True),
        ("www.almennet.dk/publikationer", True),
        ("Se mere på https://lbf.dk om tilskud til beboerrådgivere i udsatte boligområder.", False),
        ("Beboerne kan beholde deres bolig og undgå udsættelse.", False),
    ],
)
def test_a_line_that_is_mostly_a_web_address_is_a_link_line(sentence: str, link: bool) -> None:
    assert is_link_line(sentence) is link


def test_the_closest_sentence_shown_is_never_a_bare_link(client: TestClient) -> None:
    """A "Læs mere her: https://…/undga-udsaettelser/" line is near the question in meaning,
    but the sentence that shows why a hit matched is one a person can read."""
    for question in ("hvordan undgår vi udsættelser?", "grønne ambassadører", QUESTION):
        for hit in search(client, q=question, k=10, min_relevance=0)["results"]:
            for sentence in (hit["best_sentence"], hit["match"]["sentence"]):
                assert not sentence or not is_link_line(sentence), (question, sentence)
