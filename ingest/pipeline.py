"""Ingest files and folders into the store: discover, load, process, write, report."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from ..store import DocumentRecord, Store
from .errors import IngestError
from .gazetteer import Gazetteer
from .linked.provenance import is_sidecar, read_sidecar
from .loaders import SUPPORTED_SUFFIXES, load_document
from .persist import sync_superseded, write_document
from .process import PIPELINE_VERSION, ProcessedDocument, process_document
from .slug import slugify
from .sources import SourceEntry, load_manifest

IGNORED_NAMES = {"sources.toml", "gazetteer.toml", "README.md", "README.txt"}


@dataclass
class Failure:
    source: str
    reason: str


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # documents whose superseded_by changed
    passages: int = 0
    cases: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.superseded)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged,"
            f" {len(self.removed)} removed, {len(self.failed)} failed documents;"
            f" {self.passages} passages and {self.cases} cases written in {self.seconds:.1f} s"
        )


@dataclass
class Candidate:
    path: Path
    root: Path | None  # the folder it was found in, for readable ids
    entry: SourceEntry | None


def discover(paths: Iterable[Path]) -> tuple[list[Candidate], list[Failure]]:
    """Files to ingest under ``paths`` (files or folders), with their manifest entries."""
    candidates: list[Candidate] = []
    failures: list[Failure] = []
    for given in paths:
        if not given.exists():
            failures.append(Failure(str(given), "no such file or folder"))
            continue
        if given.is_file():
            entry = _manifest(given.parent, failures).get(given.resolve())
            candidates.append(Candidate(given, None, entry))
            continue
        for folder, dirs, files in os.walk(given):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            manifest = _manifest(Path(folder), failures)
            for name in sorted(files):
                path = Path(folder) / name
                if name.startswith(".") or (
                    name in IGNORED_NAMES and path.resolve() not in manifest
                ):
                    continue
                if is_sidecar(path):  # provenance record of a fetched linked copy
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    failures.append(Failure(str(path), _unsupported(path)))
                    continue
                candidates.append(Candidate(path, given, manifest.get(path.resolve())))
    return candidates, failures


def _manifest(folder: Path, failures: list[Failure]) -> dict[Path, SourceEntry]:
    """The folder's manifest; a broken one is reported and its files ingested without it."""
    try:
        return load_manifest(folder)
    except IngestError as err:
        failures.append(Failure(str(folder / "sources.toml"), str(err)))
        return {}


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type '{path.suffix or path.name}': convert it to one of {kinds}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _document_id(candidate: Candidate, store: Store, source: str) -> str:
    if candidate.entry:
        return candidate.entry.id
    existing = store.document_by_source(source)
    if existing:
        return existing["id"]
    if candidate.root is not None:
        relative = candidate.path.relative_to(candidate.root).with_suffix("")
        base = slugify("-".join(relative.parts), 80)
    else:
        base = slugify(candidate.path.stem, 80)
    taken = store.document(base)
    if taken is None or not Path(taken["source"]).exists():
        return base
    return f"{base}-{hashlib.sha256(source.encode()).hexdigest()[:6]}"


def _fingerprint(sha: str, entry: SourceEntry | None, gazetteer_sha: str, extra: str = "") -> str:
    meta = json.dumps(entry.metadata() if entry else {}, sort_keys=True, ensure_ascii=False)
    title = entry.title if entry else ""
    key = f"{PIPELINE_VERSION}\x00{sha}\x00{meta}\x00{title}\x00{gazetteer_sha}"
    if entry and entry.structure_key():
        key += f"\x00{entry.structure_key()}"
    if extra:  # e.g. a linked copy's provenance (who links to it)
        key += f"\x00{extra}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Prepared:
    candidate: Candidate
    record: DocumentRecord
    processed: ProcessedDocument
    existed: bool


class Ingestor:
    """Runs one ingest over a batch of paths against a store."""

    def __init__(
        self,
        store: Store,
        *,
        gazetteer: Gazetteer | None = None,
        gazetteer_path: Path | None = None,
        max_bytes: int | None = None,
        progress: bool = True,
    ) -> None:
        self.store = store
        path = gazetteer_path or Path("corpus/gazetteer.toml")
        self.gazetteer = gazetteer or Gazetteer.load(path)
        self.gazetteer_sha = file_sha256(path) if path.exists() else ""
        self.max_bytes = max_bytes
        self.progress = progress

    def run(
        self,
        paths: Iterable[Path],
        *,
        prune: bool = False,
        strict: bool = False,
        on_failure: Callable[[Failure], None] | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        candidates, failures = discover(paths)
        report.failed.extend(failures)
        prepared: list[Prepared] = []
        bar = tqdm(candidates, desc="Reading", unit="file", disable=not self.progress)
        for candidate in bar:
            outcome = self._prepare(candidate, report)
            if isinstance(outcome, Prepared):
                if strict:
                    prepared.append(outcome)
                else:
                    self._write(outcome, report)
        if on_failure:
            for failure in report.failed:
                on_failure(failure)
        if strict and report.failed:
            report.seconds = time.perf_counter() - started
            return report
        for item in prepared:
            self._write(item, report)
        if prune:
            self._prune(report)
        report.superseded = sync_superseded(self.store)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, candidate: Candidate, report: IngestReport) -> Prepared | None:
        source = str(candidate.path.resolve())
        try:
            sha = file_sha256(candidate.path)
            provenance = read_sidecar(candidate.path)
            fingerprint = _fingerprint(
                sha,
                candidate.entry,
                self.gazetteer_sha,
                provenance.fingerprint_part() if provenance else "",
            )
            existing = self.store.document_by_source(source)
            if existing and json.loads(existing["metadata"]).get("fingerprint") == fingerprint:
                report.unchanged.append(existing["id"])
                return None
            loaded = load_document(candidate.path, max_bytes=self.max_bytes)
            document_id = _document_id(candidate, self.store, source)
            entry = candidate.entry
            processed = process_document(
                loaded,
                document_id,
                self.gazetteer,
                title=entry.title if entry else None,
                options=entry.sections if entry else None,
                publisher=entry.publisher if entry else None,
            )
            if not processed.passages:
                raise IngestError("no text left after cleaning; nothing to search in this file")
        except IngestError as err:
            report.failed.append(Failure(str(candidate.path), str(err)))
            return None
        except Exception as err:
            report.failed.append(
                Failure(str(candidate.path), f"unexpected {type(err).__name__}: {err}")
            )
            return None
        metadata: dict[str, object] = {**loaded.metadata, **(entry.metadata() if entry else {})}
        if provenance is not None:  # a fetched linked copy: URL, who links to it, fetch record
            metadata.update(provenance.metadata())
        metadata["fingerprint"] = fingerprint
        metadata["file_name"] = candidate.path.name
        if metadata.get("year") is None and processed.year is not None:
            metadata["year"] = processed.year  # stated by the document; sources.toml wins
            metadata["year_source"] = "document"
        year = metadata.get("year")
        record = DocumentRecord(
            id=document_id,
            source=source,
            title=processed.title,
            format=loaded.format,
            sha256=sha,
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            url=str(metadata["url"]) if metadata.get("url") else None,
            year=int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
            publisher=str(metadata["publisher"]) if metadata.get("publisher") else None,
            page_count=loaded.page_count,
            metadata=metadata,
        )
        return Prepared(candidate, record, processed, existed=existing is not None)

    def _write(self, item: Prepared, report: IngestReport) -> None:
        write_document(self.store, item.record, item.processed)
        (report.updated if item.existed else report.added).append(item.record.id)
        report.passages += len(item.processed.passages)
        report.cases += len(item.processed.cases)

    def _prune(self, report: IngestReport) -> None:
        for row in self.store.documents():
            source = row["source"]
            if source.startswith(("http://", "https://")) or Path(source).exists():
                continue
            self.store.delete_document(row["id"])
            report.removed.append(row["id"])
