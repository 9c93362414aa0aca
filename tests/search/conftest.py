"""Session fixtures for the sentence-transformers backend: one export of the bundled
multilingual-e5-small per test session, shared by every test that needs it."""

from pathlib import Path

import pytest


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
