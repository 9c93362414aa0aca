"""Session fixtures for the search tests: the bundled embedder, one export of it as a
sentence-transformers model per test session, and small corpora ingested into a store."""

from pathlib import Path

import pytest

from vidensbank.ingest.pipeline import Ingestor
from vidensbank.store import Store

# Three short documents on unrelated topics: enough to tell backends and rankings apart.
THREE_TOPICS = {
    "raadgivning.txt": "Gældsrådgivning\n\nØkonomiske rådgivere hjælper beboere med budget og gæld, "
    "så færre bliver sat ud af deres lejemål.",
    "natur.txt": "Vilde blomster\n\nAfdelingen har sået vilde blomster på plænerne, og insekter og "
    "sommerfugle er vendt tilbage.",
    "kursus.txt": "Efteruddannelse\n\nEjendomsfunktionærerne har været på kursus i konflikthåndtering.",
}


def ingest_texts(root: Path, docs: dict[str, str]) -> Store:
    """Write ``docs`` (file name → text) to ``root/corpus`` and ingest them into a new store
    at ``root/store.sqlite3``; the caller closes it."""
    (root / "corpus").mkdir()
    for name, text in docs.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    store = Store(root / "store.sqlite3")
    Ingestor(store, progress=False).run([root / "corpus"])
    return store


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="needs the [st] extra: pip install torch==2.13.0 first")
    from vidensbank.search.embed.st_export import export_sentence_transformer

    return export_sentence_transformer(tmp_path_factory.mktemp("st") / "e5-small")


@pytest.fixture(scope="session")
def st_embedder(exported: Path):
    from vidensbank.search.embed.sentence_transformers import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(exported), batch_size=16)


@pytest.fixture(scope="session")
def bundled():
    from vidensbank.search.embed.bundled import BundledE5Embedder

    return BundledE5Embedder()
