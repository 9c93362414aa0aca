"""Collect the URLs ingested documents link to and fetch them politely.

Polite and bounded: one request at a time (so at most one per host), a pause of
``delay_s`` (or the site's robots.txt Crawl-delay, if longer) between two requests to
one host, robots.txt respected for our User-Agent, connect/read timeouts plus an overall
deadline per response, redirects followed by hand up to a limit (each hop checked
against ``domains`` and robots.txt), a size cap, and only HTML and PDF kept.
Re-running sends If-None-Match / If-Modified-Since, so unchanged pages cost a 304.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from ...store import Store
from .provenance import (
    EXTENSIONS,
    Provenance,
    base_path,
    read_record,
    write_atomic,
    write_record,
)
from .robots import RobotsCache

REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
MAX_CRAWL_DELAY_S = 60.0
DEADLINE_FACTOR = 4  # a whole response may take at most this many timeouts


@dataclass
class FetchOptions:
    user_agent: str
    delay_s: float = 2.0
    timeout_s: float = 15.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    domains: tuple[str, ...] | None = None  # None: any host

    def in_domains(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        if not self.domains:
            return True
        return any(host == d or host.endswith("." + d) for d in self.domains)


def parse_domains(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    domains = tuple(d.strip().lower().lstrip(".").rstrip(".") for d in text.split(",") if d.strip())
    return domains or None


@dataclass
class LinkTarget:
    url: str
    linked_from: list[dict[str, object]]  # {document_id, case_id, url}


@dataclass
class FetchOutcome:
    url: str
    status: str  # new | changed | unchanged | not_modified | failed | skipped
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


@dataclass
class Response:
    """A fetched resource (status 200) or a 304, or a failure/skip reason."""

    url: str
    final_url: str
    status: int | None = None
    body: bytes = b""
    kind: str = ""  # html | pdf
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    failed: str | None = None
    skipped: str | None = None


class PoliteFetcher:
    def __init__(
        self,
        options: FetchOptions,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self.client = httpx.Client(
            headers={"User-Agent": options.user_agent, "Accept": "text/html, application/pdf"},
            timeout=httpx.Timeout(options.timeout_s),
            follow_redirects=False,
            transport=transport,
        )
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._host_delay: dict[str, float] = {}
        self.robots = RobotsCache(self.client, options.user_agent, self._wait)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, host: str) -> None:
        delay = self._host_delay.get(host, self.options.delay_s)
        last = self._last.get(host)
        if last is not None:
            remaining = last + delay - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()

    def _done(self, host: str) -> None:
        self._last[host] = self.clock()

    def fetch(self, url: str, previous: Provenance | None = None) -> Response:
        conditional: dict[str, str] = {}
        if previous is not None:
            if previous.etag:
                conditional["If-None-Match"] = previous.etag
            if previous.last_modified:
                conditional["If-Modified-Since"] = previous.last_modified
        current = url
        for _hop in range(self.options.max_redirects + 1):
            if urlsplit(current).scheme not in {"http", "https"}:
                return Response(url, current, failed=f"redirected to a non-HTTP URL {current}")
            if not self.options.in_domains(current):
                return Response(url, current, skipped=f"redirects outside --domains to {current}")
            rules = self.robots.rules(current)
            if rules.unreachable:
                return Response(url, current, failed=f"unreachable ({rules.unreachable})")
            if not rules.allows(current, self.options.user_agent):
                return Response(url, current, skipped="robots.txt disallows it")
            host = urlsplit(current).netloc
            crawl_delay = rules.crawl_delay(self.options.user_agent)
            if crawl_delay is not None:
                self._host_delay[host] = max(
                    self.options.delay_s, min(crawl_delay, MAX_CRAWL_DELAY_S)
                )
            self._wait(host)
            try:
                result = self._request(url, current, conditional)
            finally:
                self._done(host)
            if isinstance(result, str):
                current = result
                continue
            return result
        return Response(url, current, failed=f"more than {self.options.max_redirects} redirects")

    def _request(self, url: str, current: str, headers: dict[str, str]) -> Response | str:
        """One GET: a Response, or the next URL when redirected."""
        deadline = self.clock() + self.options.timeout_s * DEADLINE_FACTOR
        limit = self.options.max_bytes
        try:
            with self.client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        return Response(
                            url, current, status, failed=f"HTTP {status} without Location"
                        )
                    return urljoin(current, location)
                base = Response(
                    url,
                    current,
                    status,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
                if status == 304:
                    if not headers:
                        base.failed = "HTTP 304 to an unconditional request"
                    return base
                if status != 200:
                    reason = response.reason_phrase or ""
                    base.failed = f"HTTP {status} {reason}".strip()
                    return base
                content_type = response.headers.get("content-type", "")
                media = content_type.split(";")[0].strip().lower()
                kind = _kind(media)
                if kind is None and media not in {"", "application/octet-stream"}:
                    base.failed = f"not HTML or PDF (Content-Type {media})"
                    return base
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    base.failed = f"larger than the {_mb(limit)} limit ({_mb(int(declared))})"
                    return base
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        base.failed = f"larger than the {_mb(limit)} limit"
                        return base
                    if self.clock() > deadline:
                        base.failed = (
                            f"timed out: body not complete after"
                            f" {self.options.timeout_s * DEADLINE_FACTOR:.0f} s"
                        )
                        return base
                    chunks.append(chunk)
                body = b"".join(chunks)
                if kind is None:
                    kind = "pdf" if body.lstrip()[:5] == b"%PDF-" else None
                    if kind is None:
                        base.failed = f"not HTML or PDF (Content-Type {media or 'missing'})"
                        return base
                base.body = body
                base.kind = kind
                base.content_type = content_type
                return base
        except httpx.TimeoutException as err:
            return Response(
                url,
                current,
                failed=f"timed out after {self.options.timeout_s:g} s ({type(err).__name__})",
            )
        except httpx.HTTPError as err:
            first = (str(err) or type(err).__name__).splitlines()[0][:200]
            return Response(url, current, failed=f"unreachable ({first})")


def _kind(media: str) -> str | None:
    if media in HTML_TYPES:
        return "html"
    if media in PDF_TYPES:
        return "pdf"
    return None


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.2f} MB"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fetch_links(
    targets: Iterable[LinkTarget],
    linked_dir: Path,
    options: FetchOptions,
    *,
    transport: httpx.BaseTransport | None = None,
    on_outcome: Callable[[FetchOutcome], None] | None = None,
) -> FetchReport:
    """Fetch each target and keep its copy and provenance record under ``linked_dir``.

    Only successful fetches write anything: a failed or skipped URL leaves an earlier copy
    and its record as they were."""
    report = FetchReport()
    with PoliteFetcher(options, transport=transport) as fetcher:
        for target in targets:
            outcome = _fetch_one(fetcher, target, linked_dir)
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return report


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
    now = _now()
    relinked = previous is not None and previous.linked_from != target.linked_from
    if response.status == 304:
        assert previous is not None
        previous.checked_at = now
        previous.linked_from = target.linked_from
        previous.etag = response.etag or previous.etag
        previous.last_modified = response.last_modified or previous.last_modified
        write_record(base, previous)
        outcome.status = "relinked" if relinked else "not_modified"
        outcome.file = base.parent / previous.file
        return outcome
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
        outcome.status = (
            "relinked" if relinked or previous.final_url != record.final_url else "unchanged"
        )
    return outcome
