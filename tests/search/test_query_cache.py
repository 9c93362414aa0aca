"""The query-vector LRU cache: a repeated query (however it is spaced) is embedded once,
returns exactly what embedding it would, and the cache stays bounded."""

from __future__ import annotations

import numpy as np

from vidensbank.search.embed.bundled import BundledE5Embedder
from vidensbank.search.embed.factory import create_embedder
from vidensbank.search.embed.query_cache import QueryCachingEmbedder, normalise_query


class Counting(BundledE5Embedder):
    """The real bundled engine, counting the queries it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def encode_queries(self, texts):
        self.embedded.extend(texts)
        return super().encode_queries(texts)


def test_a_repeated_query_is_embedded_once_and_gives_the_same_vector() -> None:
    inner = Counting()
    cached = QueryCachingEmbedder(inner)
    first = cached.encode_query("grønne tage i afdelingen")
    again = cached.encode_queries(["  grønne   tage\ti afdelingen ", "grønne tage i afdelingen"])
    assert inner.embedded == ["grønne tage i afdelingen"]
    assert np.array_equal(again[0], first) and np.array_equal(again[1], first)
    assert np.allclose(first, inner.encode_query("grønne tage i afdelingen"), atol=1e-6)
    assert (cached.hits, cached.misses) == (2, 1)


def test_case_and_accents_are_kept_apart_and_nfd_meets_nfc() -> None:
    inner = Counting()
    cached = QueryCachingEmbedder(inner)
    cached.encode_queries(["Råderet", "råderet", "Ra\u030aderet"])  # NFD spelling of the first
    assert inner.embedded == ["Råderet", "råderet"]
    assert normalise_query("Ra\u030aderet ") == "Råderet"


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    inner = Counting()
    cached = QueryCachingEmbedder(inner, size=2)
    cached.encode_queries(["a"])
    cached.encode_queries(["b"])
    cached.encode_queries(["a"])  # a is now the most recent
    cached.encode_queries(["c"])  # evicts b
    cached.encode_queries(["a", "b"])
    assert inner.embedded == ["a", "b", "c", "b"]


def test_cached_vectors_cannot_be_changed_by_a_caller() -> None:
    cached = QueryCachingEmbedder(BundledE5Embedder())
    vector = cached.encode_queries(["varmepumper"])
    vector[0, :] = 0  # the caller's copy
    assert np.linalg.norm(cached.encode_queries(["varmepumper"])[0]) > 0.99


def test_the_factory_wraps_every_embedder_and_keeps_its_identity() -> None:
    embedder = create_embedder("bundled")
    assert isinstance(embedder, QueryCachingEmbedder)
    assert embedder.model_id == BundledE5Embedder.model_id
    assert embedder.family == BundledE5Embedder.family
    assert embedder.token_count("Hvad er råderet?") > 2  # reaches the wrapped backend
    passages = embedder.encode_passages(["Råderet giver lejer ret til forbedringer."])
    assert passages.shape == (1, 384)
