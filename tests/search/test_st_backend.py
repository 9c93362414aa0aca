"""The sentence-transformers backend end to end on the exported model: ingest, search, eval,
and searching an index built by one backend with the other (same model family)."""

import json
from pathlib import Path

import pytest

from tests.search.conftest import THREE_TOPICS
from vidensbank.search.eval import evaluate, read_queries
from vidensbank.search.manifest import Manifest
from vidensbank.search.searcher import Searcher, Snapshot, check_compatible
from vidensbank.search.snapshot import SnapshotError, current_path
from vidensbank.search.types import Mode
from vidensbank.services import load_searcher
from vidensbank.settings import load_settings
from vidensbank.writes import ingest_and_build

DOCS = THREE_TOPICS


# builds or loads a second runtime of the model: minutes, not seconds
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def st_index(tmp_path_factory: pytest.TempPathFactory, exported: Path):
    root = tmp_path_factory.mktemp("st-index")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = load_settings(data_dir=root / "data", embedder=str(exported))
    outcome = ingest_and_build(settings, [corpus], progress=False)
    assert outcome.build and outcome.build.embedded == len(DOCS)
    return settings, root


def test_ingest_and_search_with_sentence_transformers(st_index) -> None:
    settings, _ = st_index
    searcher = load_searcher(settings)
    assert searcher.embedder.model_id.startswith("st:")
    assert searcher.search("hjælp til gæld og budget", k=1).results[0].document.id == "raadgivning"
    assert searcher.search("sommerfugle", k=1, mode=Mode.DENSE).results[0].document.id == "natur"


def test_eval_runs_on_the_sentence_transformers_index(st_index, tmp_path: Path) -> None:
    settings, _ = st_index
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps(
            {"id": "1", "kind": "paraphrase", "query": "gæld", "relevant": ["budget og gæld"]}
        )
        + "\n"
    )
    searcher = load_searcher(settings)
    report = evaluate(
        read_queries(queries),
        lambda q, mode: searcher.search(q, mode=mode).results,
        lambda d: searcher.catalog.documents[d].source,
    )
    assert report.table["hybrid"]["all"]["R@1"] == 1.0


def test_index_built_with_one_backend_is_searched_with_the_other(st_index, bundled) -> None:
    settings, _root = st_index
    path = current_path(settings.index_dir)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["embedder"]["family"] == bundled.family == "intfloat/multilingual-e5-small"
    searcher = Searcher(Snapshot.load(path), bundled)  # queries from the bundled engine
    assert (
        searcher.search("sommerfugle og insekter", k=1, mode=Mode.DENSE).results[0].document.id
        == "natur"
    )

    # The same family is what makes it allowed: another family is refused.
    other = dict(manifest, embedder=dict(manifest["embedder"], family="other/model", model_id="x"))
    with pytest.raises(SnapshotError, match="not comparable"):
        check_compatible(Manifest.model_validate(other), bundled)
    mixed = load_settings(
        data_dir=settings.data_dir, embedder=settings.embedder, query_embedder="bundled"
    )
    assert load_searcher(mixed).embedder.model_id == bundled.model_id
