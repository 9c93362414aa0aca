"""Wiring shared by the CLI and the API: the store, the embedder, the current snapshot,
and "ingest then build" under the writer lock."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .ingest.pipeline import Failure, Ingestor, IngestReport
from .lock import writer_lock
from .search.embed.base import Embedder
from .search.embed.factory import create_embedder
from .search.searcher import Searcher, Snapshot
from .search.snapshot import (
    FORMAT_VERSION,
    BuildResult,
    SnapshotError,
    build_snapshot,
    current_path,
    read_manifest,
    remove_stale_builds,
    store_corpus_hash,
)
from .settings import Settings
from .store import Store


def ingest_embedder(settings: Settings) -> Embedder:
    return create_embedder(settings.embedder, settings.embed_batch_size, settings.device)


def query_embedder(settings: Settings) -> Embedder:
    name = settings.query_embedder or settings.embedder
    return create_embedder(name, settings.embed_batch_size, settings.device)


def open_store(settings: Settings) -> Store:
    return Store(settings.store_path)


def load_searcher(settings: Settings) -> Searcher:
    path = current_path(settings.index_dir)
    if path is None:
        raise SnapshotError(
            f"No search index in {settings.index_dir}: run `vidensbank ingest` first"
            " (or set VIDENSBANK_DATA_DIR to the data folder you ingested into)."
        )
    return Searcher(Snapshot.load(path), query_embedder(settings), fusion=settings.fusion)


def _index_outdated(settings: Settings, store: Store) -> bool:
    """No index yet, one of an older format, one built with another embedder than the
    configured one, or one that does not hold what the store holds (an ingest was killed
    after writing to the store but before its snapshot became current)."""
    path = current_path(settings.index_dir)
    if path is None:
        return True
    manifest = read_manifest(path)
    built = manifest.get("embedder") or {}
    return (
        manifest.get("format_version") != FORMAT_VERSION
        or manifest.get("corpus_hash") != store_corpus_hash(store)
        or not isinstance(built, dict)
        or built.get("model_id") != ingest_embedder(settings).model_id
    )


@dataclass
class IngestOutcome:
    report: IngestReport
    build: BuildResult | None


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


def ingest_and_build(
    settings: Settings,
    paths: Iterable[Path],
    *,
    prune: bool = False,
    strict: bool = False,
    progress: bool = True,
    rebuild: bool = False,
    on_failure: Callable[[Failure], None] | None = None,
) -> IngestOutcome:
    """Ingest ``paths`` and, when anything changed (or no index exists), build a snapshot.

    Holds the writer lock throughout, so two ingests never interleave."""
    with writer_lock(settings.data_dir), open_store(settings) as store:
        ingestor = Ingestor(
            store,
            gazetteer_path=settings.corpus_dir / "gazetteer.toml",
            max_bytes=int(settings.max_file_mb * 1024 * 1024),
            progress=progress,
        )
        report = ingestor.run(paths, prune=prune, strict=strict, on_failure=on_failure)
        if strict and report.failed:
            return IngestOutcome(report, None)
        needs_build = rebuild or report.changed or _index_outdated(settings, store)
        build = build_index(settings, store, progress=progress) if needs_build else None
        if build is None and settings.index_dir.is_dir():
            remove_stale_builds(settings.index_dir)
        return IngestOutcome(report, build)
