"""fetch-links' batch: collect the URLs ingested documents link to, fetch each through
the one fetcher (``fetcher.py``), and keep the copy and its provenance record under the
linked folder. Re-running sends conditional requests, so unchanged pages cost a 304."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from ...store import Store
from .fetcher import FetchOptions, PoliteFetcher, Response
from .provenance import EXTENSIONS, Provenance, base_path, read_record, write_atomic, write_record


@dataclass
class LinkTarget:
    url: str
    linked_from: list[dict[str, object]]  # {document_id, case_id, url}


@dataclass
class FetchOutcome:
    url: str
    status: str  # new | changed | relinked | unchanged | not_modified | failed | skipped
    reason: str = ""
    final_url: str | None = None
    http_status: int | None = None
    file: Path | None = None

    @property
    def touched(self) -> bool:
        """The copy or its provenance changed in a way ingest must see."""
        return self.status in {"new", "changed", "relinked"}


@dataclass
class FetchReport:
    outcomes: list[FetchOutcome] = field(default_factory=list)
    outside_domains: int = 0

    def by_status(self, *statuses: str) -> list[FetchOutcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def touched(self) -> bool:
        return any(o.touched for o in self.outcomes)

    def summary(self) -> str:
        counts = {s: len(self.by_status(s)) for s in ("new", "changed", "relinked")}
        unchanged = len(self.by_status("unchanged", "not_modified"))
        text = (
            f"{len(self.outcomes)} linked URLs: {counts['new']} new, {counts['changed']} changed,"
            f" {counts['relinked']} newly linked, {unchanged} unchanged,"
            f" {len(self.by_status('skipped'))} skipped, {len(self.by_status('failed'))} failed"
        )
        if self.outside_domains:
            text += f"; {self.outside_domains} outside --domains not fetched"
        return text


def collect_links(
    store: Store, options: FetchOptions | None = None
) -> tuple[list[LinkTarget], int]:
    """http(s) links of ingested documents (not of linked documents themselves: one level
    deep), grouped by URL without fragment; and how many were outside ``options.domains``."""
    rows = store.conn.execute(
        """SELECT l.document_id, l.case_id, l.url FROM links l
           JOIN documents d ON d.id = l.document_id
           WHERE json_extract(d.metadata, '$.linked_from') IS NULL
           ORDER BY l.document_id, l.ordinal"""
    ).fetchall()
    targets: dict[str, LinkTarget] = {}
    outside: set[str] = set()
    for row in rows:
        url = urldefrag(row["url"].strip())[0]
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            continue
        if options is not None and not options.in_domains(url):
            outside.add(url)
            continue
        source = {"document_id": row["document_id"], "case_id": row["case_id"], "url": row["url"]}
        target = targets.setdefault(url, LinkTarget(url, []))
        if source not in target.linked_from:
            target.linked_from.append(source)
    for target in targets.values():
        target.linked_from.sort(key=lambda s: (str(s["document_id"]), str(s["case_id"] or "")))
    return list(targets.values()), len(outside)


def fetch_links(
    targets: Iterable[LinkTarget],
    linked_dir: Path,
    options: FetchOptions,
    *,
    on_outcome: Callable[[FetchOutcome], None] | None = None,
) -> FetchReport:
    """Fetch each target and keep its copy and provenance record under ``linked_dir``.

    Only successful fetches write anything: a failed or skipped URL leaves an earlier copy
    and its record as they were."""
    report = FetchReport()
    with PoliteFetcher(options) as fetcher:
        for target in targets:
            outcome = _fetch_one(fetcher, target, linked_dir)
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return report


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fetch_one(fetcher: PoliteFetcher, target: LinkTarget, linked_dir: Path) -> FetchOutcome:
    base = base_path(linked_dir, target.url)
    previous = read_record(base)
    if previous is not None and not (base.parent / previous.file).exists():
        previous = None  # the copy is gone: fetch it unconditionally
    response = fetcher.fetch(target.url, previous)
    outcome = FetchOutcome(
        target.url, "", final_url=response.final_url, http_status=response.status
    )
    if response.skipped:
        outcome.status, outcome.reason = "skipped", response.skipped
        return outcome
    if response.failed:
        outcome.status, outcome.reason = "failed", response.failed
        return outcome
    if response.status == 304 and previous is not None:
        return _not_modified(outcome, base, previous, target, response)
    return _keep_copy(outcome, base, previous, target, response)


def _not_modified(
    outcome: FetchOutcome,
    base: Path,
    previous: Provenance,
    target: LinkTarget,
    response: Response,
) -> FetchOutcome:
    relinked = previous.linked_from != target.linked_from
    previous.checked_at = _now()
    previous.linked_from = target.linked_from
    previous.etag = response.etag or previous.etag
    previous.last_modified = response.last_modified or previous.last_modified
    write_record(base, previous)
    outcome.status = "relinked" if relinked else "not_modified"
    outcome.file = base.parent / previous.file
    return outcome


def _keep_copy(
    outcome: FetchOutcome,
    base: Path,
    previous: Provenance | None,
    target: LinkTarget,
    response: Response,
) -> FetchOutcome:
    now = _now()
    sha = hashlib.sha256(response.body).hexdigest()
    copy = base.with_name(base.name + EXTENSIONS[response.kind])
    same = previous is not None and previous.sha256 == sha and previous.file == copy.name
    if not same:
        write_atomic(copy, response.body)
        if previous is not None and previous.file != copy.name:
            (base.parent / previous.file).unlink(missing_ok=True)
    record = Provenance(
        url=target.url,
        final_url=response.final_url,
        fetched_at=previous.fetched_at if same and previous else now,
        checked_at=now,
        status=int(response.status or 200),
        content_type=response.content_type,
        sha256=sha,
        bytes=len(response.body),
        file=copy.name,
        etag=response.etag,
        last_modified=response.last_modified,
        linked_from=target.linked_from,
    )
    write_record(base, record)
    outcome.file = copy
    if previous is None:
        outcome.status = "new"
    elif not same:
        outcome.status = "changed"
    else:
        relinked = previous.linked_from != target.linked_from
        outcome.status = (
            "relinked" if relinked or previous.final_url != record.final_url else "unchanged"
        )
    return outcome
