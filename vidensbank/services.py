"""Wiring shared by the CLI and the API: the store, the embedders, the current snapshot,
building a snapshot. Every write (add a file or URL, remove, ingest and build) lives in
``vidensbank.writes``."""

from __future__ import annotations

import logging

from .search.embed.base import Embedder
from .search.embed.factory import create_embedder
from .search.searcher import Searcher, Snapshot
from .search.snapshot import (
    BuildResult,
    InvalidSnapshot,
    SnapshotError,
    build_snapshot,
    current_path,
    store_corpus_hash,
    verify_snapshot,
)
from .settings import Settings
from .store import Store


def _embedder(settings: Settings, name: str) -> Embedder:
    return create_embedder(name, settings.embed_batch_size, settings.device, settings.models_dir)


def ingest_embedder(settings: Settings) -> Embedder:
    return _embedder(settings, settings.embedder)


def query_embedder(settings: Settings) -> Embedder:
    return _embedder(settings, settings.query_embedder or settings.embedder)


def open_store(settings: Settings) -> Store:
    return Store(settings.store_path)


def load_searcher(settings: Settings) -> Searcher:
    """A searcher over the current snapshot, validated (``Snapshot.load``). Unlike the
    server it never falls back to an older snapshot: the CLI and eval report a damaged
    index (InvalidSnapshot) rather than silently answer from older data."""
    path = current_path(settings.index_dir)
    if path is None:
        raise SnapshotError(
            f"No search index in {settings.index_dir}: run `vidensbank ingest` first"
            " (or set VIDENSBANK_DATA_DIR to the data folder you ingested into)."
        )
    return Searcher(
        Snapshot.load(path),
        query_embedder(settings),
        fusion=settings.fusion,
        min_relevance=settings.min_relevance,
    )


def _index_outdated(settings: Settings, store: Store) -> bool:
    """No index yet; a current one that is invalid (damaged or missing files, a broken
    manifest, an older format); one built with another embedder than the configured one; or
    one that does not hold what the store holds (an ingest was killed after writing to the
    store but before its snapshot became current). The rebuild reuses cached vectors."""
    path = current_path(settings.index_dir)
    if path is None:
        return True
    try:
        manifest = verify_snapshot(path)
    except InvalidSnapshot as err:
        logging.getLogger(__name__).warning(
            "The index snapshot %s cannot be used (%s); rebuilding it from the cached vectors.",
            err.version,
            err.reason,
        )
        return True
    return (
        manifest.corpus_hash != store_corpus_hash(store)
        or manifest.embedder.model_id != ingest_embedder(settings).model_id
    )


def build_index(settings: Settings, store: Store, *, progress: bool = True) -> BuildResult:
    return build_snapshot(
        store,
        ingest_embedder(settings),
        settings.index_dir,
        exact_limit=settings.exact_search_limit,
        batch_size=settings.embed_batch_size,
        keep=settings.snapshots_kept,
        progress=progress,
    )
