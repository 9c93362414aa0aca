"""One search result per case or short document: a web page whose sections all match
cannot fill the first results, while a long report's sections stay results of their own."""

from __future__ import annotations

import pytest

from vidensbank.ingest.pipeline import Ingestor
from vidensbank.search.catalog import SHORT_DOCUMENT
from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.searcher import MAX_PER_RESULT, Searcher, Snapshot
from vidensbank.search.snapshot import build_snapshot, current_path
from vidensbank.store import Store
from vidensbank.web.feedback import first_passage_ids
from vidensbank.web.views import group_hits

WASHING = [
    "Vaskeriet i kælderen har fået nye maskiner, og beboerne booker tider i vaskeriet med en app.",
    "Prisen for en vask i vaskeriet betales over huslejen, så ingen skal have mønter med.",
    "Vaskeriet er åbent fra syv til toogtyve, og støjende maskiner stopper klokken tyve.",
    "Fejl på maskinerne i vaskeriet meldes til ejendomskontoret via appen eller telefonen.",
]
PAGE = "<html><head><title>Vaskeriet</title></head><body><main><h1>Vaskeriet</h1>{}</main></body></html>"
SECTIONS = ["Booking", "Betaling", "Åbningstider", "Fejlmelding"]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("units")
    corpus = root / "corpus"
    corpus.mkdir()
    body = "".join(f"<h2>{h}</h2><p>{t}</p>" for h, t in zip(SECTIONS, WASHING, strict=True))
    (corpus / "vaskeri.html").write_text(PAGE.format(body), encoding="utf-8")
    chapters = SHORT_DOCUMENT + 4
    report = "\n\n".join(
        f"## Afdeling {n}\n\nI afdeling {n} har vaskeriet fået {n} nye maskiner, og "
        f"beboerne i de {n * 10} boliger deler dem efter en fast plan."
        for n in range(1, chapters + 1)
    )
    (corpus / "rapport.md").write_text(f"# Vaskerier i afdelingerne\n\n{report}\n", "utf-8")
    store = Store(root / "store.sqlite3")
    Ingestor(store, progress=False).run([corpus])
    embedder = create_embedder("bundled")
    build_snapshot(store, embedder, root / "index", progress=False)
    store.close()
    return Searcher(Snapshot.load(current_path(root / "index")), embedder, min_relevance=0)


def _per_document(hits) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.document.id] = counts.get(hit.document.id, 0) + 1
    return counts


def test_a_short_page_gives_at_most_two_hits_a_long_report_more(searcher: Searcher) -> None:
    catalog = searcher.catalog
    page = next(d for d, doc in catalog.documents.items() if doc.source.endswith("vaskeri.html"))
    report = next(d for d, doc in catalog.documents.items() if doc.source.endswith("rapport.md"))
    assert catalog.counts[page].passages >= 4 and catalog.counts[report].passages > SHORT_DOCUMENT
    response = searcher.search("hvornår er vaskeriet åbent?", k=50)
    counts = _per_document(response.results)
    assert counts[page] == MAX_PER_RESULT
    assert counts[report] > MAX_PER_RESULT
    assert response.total == len(response.results) == sum(counts.values())


def test_the_page_shows_a_short_page_as_one_result(searcher: Searcher) -> None:
    hits = searcher.search("hvornår er vaskeriet åbent?", k=50).results
    groups = group_hits(searcher, hits)
    page = [g for g in groups if g.document_title == "Vaskeriet"]
    assert len(page) == 1 and len(page[0].passages) == MAX_PER_RESULT
    assert len(groups) == len(hits) - (MAX_PER_RESULT - 1)
    # one pair of feedback buttons per result, judging the passage that heads it
    ids = first_passage_ids(hits, searcher.catalog.hit_unit)
    assert len(ids) == len(groups)
    first_of_page = next(h for h in hits if h.document.title == "Vaskeriet")
    assert first_of_page.passage_id in ids


def test_nearest_topics_name_a_short_page_once(searcher: Searcher) -> None:
    response = searcher.search("hvornår er vaskeriet åbent?", k=10, min_relevance=1.0)
    assert response.total == 0
    pages = [t for t in response.nearest if t.document_id == "vaskeri"]
    assert len(pages) == 1 and len(response.nearest) >= 2
