"""A text that several documents repeat (a help site's shared paragraph, a web site's
contact box) is one result, under its best-ranked document, naming the others; the
result count and the filter menus count it once too."""

from __future__ import annotations

import pytest

from vidensbank.ingest.pipeline import Ingestor
from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.snapshot import build_snapshot, current_path
from vidensbank.store import Store
from vidensbank.web.render import templates
from vidensbank.web.views import Passage, group_hits

BOX = (
    "Ejendomskontoret har åbent mandag til fredag fra klokken ni til fjorten, og du kan"
    " altid ringe til vagten uden for åbningstiden."
)
PAGES = {
    "vaskeri": "Vaskeriet ligger i kælderen, og tider bookes i appen eller på tavlen.",
    "affald": "Storskrald stilles i skuret ved nummer fire den første mandag i måneden.",
    "husdyr": "Hunde skal føres i snor på fællesarealerne, og katte må ikke gå ude.",
}
PAGE = (
    "<html><head><title>{title}</title></head><body><main><h1>{title}</h1>"
    "<h2>Om {title}</h2><p>{text}</p><h2>Kontakt</h2><p>{box}</p></main></body></html>"
)
QUESTION = "hvornår har ejendomskontoret åbent?"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("same-text")
    corpus = root / "corpus"
    corpus.mkdir()
    for n, (name, text) in enumerate(PAGES.items()):
        box = BOX.upper() if n == 2 else BOX.replace(" ", "  ")  # case and spacing differ
        page = PAGE.format(title=name.capitalize(), text=text, box=box)
        (corpus / f"{name}.html").write_text(page, encoding="utf-8")
    store = Store(root / "store.sqlite3")
    Ingestor(store, progress=False).run([corpus])
    embedder = create_embedder("bundled")
    build_snapshot(store, embedder, root / "index", progress=False)
    store.close()
    return Searcher(Snapshot.load(current_path(root / "index")), embedder, min_relevance=0)


def _is_box(text: str) -> bool:
    return " ".join(text.casefold().split()) == " ".join(f"Kontakt {BOX}".casefold().split())


def test_a_repeated_text_is_one_hit_that_names_the_other_documents(searcher: Searcher) -> None:
    boxes = [p for p in searcher.catalog.passages if _is_box(p.text)]
    assert len({p.document_id for p in boxes}) == 3  # indexed on every page
    response = searcher.search(QUESTION, k=20, facets=["document"])
    shown = [h for h in response.results if _is_box(h.text)]
    assert len(shown) == 1
    hit = shown[0]
    assert hit is response.results[0]
    others = {d.title for d in hit.same_text_in}
    assert others == {"Vaskeri", "Affald", "Husdyr"} - {hit.document.title}
    assert response.total == len(response.results)
    # The filter menu counts the box once, under the document that shows it.
    counts = {f.label: f.count for f in response.facets["document"]}
    assert sum(counts.values()) == response.total
    assert counts[hit.document.title] == 2 and set(counts.values()) == {1, 2}


def test_the_page_names_the_documents_with_the_same_text(searcher: Searcher) -> None:
    hits = searcher.search(QUESTION, k=20).results
    groups = group_hits(searcher, hits)
    passage = next(p for g in groups for p in g.passages if p.same_text)
    titles = [title for title, _ in passage.same_text]
    assert len(titles) == 2 and passage.same_text_more == 0
    hrefs = [href for _, href in passage.same_text]
    assert all(href.startswith("/documents/") for href in hrefs)
    assert sum(bool(p.same_text) for g in groups for p in g.passages) == 1


def test_the_note_names_three_documents_and_counts_the_rest() -> None:
    macros = templates.env.get_template("_macros.html").module
    passage = Passage("…", None, [], None, 0)
    passage.same_text = [("Vaskeri", "/documents/vaskeri"), ("Affald & genbrug", "/documents/a")]
    note = str(macros.same_text_note(passage))
    assert "Samme tekst står også i" in note
    assert '<a href="/documents/vaskeri">Vaskeri</a> og <a href="/documents/a">Affald &amp;' in note
    passage.same_text.append(("Husdyr", "/documents/husdyr"))
    passage.same_text_more = 1
    note = str(macros.same_text_note(passage))
    assert 'Vaskeri</a>, <a href="/documents/a">' in note and "Husdyr</a> og 1 andet." in note
    passage.same_text_more = 95
    assert "og 95 andre." in str(macros.same_text_note(passage))
    passage.same_text = []
    assert str(macros.same_text_note(passage)).strip() == ""
