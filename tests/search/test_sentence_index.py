"""Heading and sentence vectors: a fact inside a long passage lifts that passage, so does
a heading that names what a passage is about, the best sentence comes from stored vectors
(never a heading), and an index of an older format asks to be rebuilt."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.search.conftest import ingest_texts
from vidensbank.search.searcher import Searcher, Snapshot
from vidensbank.search.sentence_index import SENTENCE_LIFT, SentenceIndex, sentences_of
from vidensbank.search.snapshot import SnapshotError, build_snapshot, current_path
from vidensbank.search.types import Mode
from vidensbank.settings import load_settings
from vidensbank.writes import ingest_and_build

FACT = "Vaskeriet har fået nye maskiner, der bruger halvt så meget vand og strøm som de gamle."
MEETING = (
    "Afdelingsmødet\n\nPå afdelingsmødet i marts gennemgik bestyrelsen budgettet for det kommende"
    " år, og huslejen stiger med to procent. Der blev også talt om parkeringspladserne ved blok C,"
    " hvor gæsteparkering fremover kræver en tilladelse fra ejendomskontoret. " + FACT + " Trappe"
    "opgangene i blok A og B bliver malet til efteråret, og beboerne får besked om datoerne i god"
    " tid. Til sidst valgte mødet to nye suppleanter til afdelingsbestyrelsen, og aftenen sluttede"
    " med kaffe og kage."
)
DOCS = {
    "moede.txt": MEETING,
    "have.txt": "Fælleshaven\n\nBeboerne har plantet frugttræer og bærbuske i fælleshaven.",
    "regn.txt": "Regnvand\n\nTagvandet ledes ud i et regnbed, så kloakken ikke overbelastes.",
    "energi.txt": "Energirenovering\n\nNye vinduer og isoleret loft får varmeregningen til at falde.",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, bundled):
    root = tmp_path_factory.mktemp("sentences")
    store = ingest_texts(root, DOCS)
    build = build_snapshot(store, bundled, root / "index", progress=False)
    yield root, store, build
    store.close()


def test_every_heading_and_the_sentences_of_long_passages_get_vectors(built) -> None:
    _root, _store, build = built
    manifest = json.loads((build.path / "manifest.json").read_text())
    index = SentenceIndex.load(build.path / "sentences")
    headings = [t for t, is_heading in zip(index.texts, index.headings, strict=True) if is_heading]
    sentences = [
        t for t, is_heading in zip(index.texts, index.headings, strict=True) if not is_heading
    ]
    assert sorted(headings) == ["Afdelingsmødet", "Energirenovering", "Fælleshaven", "Regnvand"]
    assert len(sentences) == len(sentences_of(MEETING)) == 5  # one-sentence passages: none
    assert FACT in sentences
    assert build.sentences == manifest["sentences"]["rows"] == len(index) == 9
    assert manifest["sentences"]["headings"] == 4
    assert build.sentences_embedded == 9
    assert list(index.owners) == sorted(index.owners)  # grouped by passage, in passage order


def test_a_fact_inside_a_long_passage_lifts_it_and_is_its_best_sentence(built, bundled) -> None:
    root, _store, _build = built
    searcher = Searcher(Snapshot.load(current_path(root / "index")), bundled)
    query = "vaskeri med lavere vandforbrug"
    top = searcher.search(query, k=4, mode=Mode.DENSE).results[0]
    assert top.document.id == "moede"
    vector = bundled.encode_queries([query])[0]
    row = next(p.row for p in searcher.catalog.passages if p.id == top.passage_id)
    passage_only = float(searcher.snapshot.dense.reconstruct(row) @ vector)
    fact = float(bundled.encode_passages([FACT])[0] @ vector)
    assert fact > passage_only  # the fact sentence is closer than the passage as a whole
    assert top.score == pytest.approx(
        passage_only + SENTENCE_LIFT * (fact - passage_only), abs=1e-3
    )
    assert searcher.snapshot.sentences.best_sentence(row, vector) == FACT


def test_a_heading_closer_than_the_text_lifts_its_passage(built, bundled) -> None:
    root, _store, _build = built
    searcher = Searcher(Snapshot.load(current_path(root / "index")), bundled)
    query = "rainwater"  # English: shares nothing with "Tagvandet ledes ud i et regnbed"
    vector = bundled.encode_queries([query])[0]
    hit = next(
        h
        for h in searcher.search(query, k=4, mode=Mode.DENSE, min_relevance=0.0).results
        if h.document.id == "regn"
    )
    row = next(p.row for p in searcher.catalog.passages if p.id == hit.passage_id)
    passage_only = float(searcher.snapshot.dense.reconstruct(row) @ vector)
    heading = float(bundled.encode_passages(["Regnvand"])[0] @ vector)
    assert heading > passage_only
    assert hit.score == pytest.approx(
        passage_only + SENTENCE_LIFT * (heading - passage_only), abs=1e-3
    )
    # A one-sentence passage has no sentence vectors: its heading is never shown as one.
    assert searcher.snapshot.sentences.best_sentence(row, vector) is None
    assert hit.best_sentence == "Tagvandet ledes ud i et regnbed, så kloakken ikke overbelastes."


def test_a_paragraph_break_ends_a_sentence() -> None:
    text = (
        "Grønne ambassadører i afdelingen\n\nBeboerne passer bedene. De får hjælp af driften."
        "\n\nLæs mere\n\nen liste uden punktum\n\nog et nyt afsnit her"
    )
    assert sentences_of(text) == [
        "Grønne ambassadører i afdelingen",
        "Beboerne passer bedene.",
        "De får hjælp af driften.",
        "en liste uden punktum",
        "og et nyt afsnit her",
    ]  # "Læs mere" is too short to stand alone
    assert sentences_of(text, heading="Grønne ambassadører i afdelingen") == [
        "Beboerne passer bedene.",
        "De får hjælp af driften.",
        "en liste uden punktum",
        "og et nyt afsnit her",
    ]


def test_a_rebuild_reuses_every_cached_sentence_vector(built, bundled, tmp_path: Path) -> None:
    _root, store, _build = built
    again = build_snapshot(store, bundled, tmp_path / "index", progress=False)
    assert (again.embedded, again.sentences_embedded) == (0, 0)
    first = np.load(_build.path / "sentences" / "owners.npy")
    assert np.array_equal(first, np.load(again.path / "sentences" / "owners.npy"))


def test_an_index_of_an_older_format_asks_for_a_rebuild(built, tmp_path: Path) -> None:
    _root, _store, build = built
    old = tmp_path / build.version
    shutil.copytree(build.path, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="ingest --rebuild"):
        Snapshot.load(old)


def test_ingest_rebuilds_an_index_of_an_older_format(built, tmp_path: Path) -> None:
    root, _store, _build = built
    settings = load_settings(data_dir=tmp_path / "data", corpus_dir=root / "corpus")
    first = ingest_and_build(settings, [root / "corpus"], progress=False)
    assert first.build is not None
    manifest_path = first.build.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 1
    manifest_path.write_text(json.dumps(manifest))
    again = ingest_and_build(settings, [root / "corpus"], progress=False)
    assert len(again.report.unchanged) == len(DOCS) and again.build is not None
    assert (again.build.embedded, again.build.sentences_embedded) == (0, 0)
    assert Snapshot.load(again.build.path).version == again.build.version
