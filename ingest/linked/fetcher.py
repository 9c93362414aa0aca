"""The one fetcher: `vidensbank fetch-links` and URL uploads both fetch through it.

Its rules, for every fetch:
- http and https only; redirects followed by hand up to ``max_redirects``, each hop
  checked again (scheme, ``domains``, robots.txt, and the address guard);
- connections only to addresses the guard allows (``guard.py``, ``transport.py``);
  a refused address and an unreachable one give the same reason, so failures cannot be
  used to map the server's network;
- robots.txt respected for our User-Agent (``robots.py``);
- a connect/read timeout per step and an overall deadline over the whole fetch
  (robots.txt, every hop, headers and body), which a slow-drip server cannot stretch;
- a size cap, checked against Content-Length and again while the body streams in;
- only HTML and PDF kept: the Content-Type decides, and a missing or generic one is
  sniffed from the first bytes.

Politeness for batches (fetch-links): one request at a time, a pause of ``delay_s`` (or
the site's Crawl-delay, if longer) between two requests to one host; the pause does not
count against the deadline. Conditional requests (If-None-Match / If-Modified-Since)
when an earlier copy's record is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from .guard import AllowList
from .provenance import Provenance
from .robots import RobotsCache, RobotsRules
from .transport import Deadline, guarded_client

REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
MAX_CRAWL_DELAY_S = 60.0
UNREACHABLE = (
    "unreachable or not allowed: the address cannot be reached from this server, or it is"
    " a local or private address (an administrator can open intranet hosts with"
    " VIDENSBANK_FETCH_ALLOW_HOSTS)"
)


class Problem:
    """Why a fetch gave nothing (``Response.problem``); the write service maps these to
    HTTP statuses."""

    UNREACHABLE = "unreachable"  # also: address refused by the guard
    TIMEOUT = "timeout"
    HTTP = "http"  # the server answered an error status
    TYPE = "type"  # not HTML or PDF
    SIZE = "size"
    REDIRECTS = "redirects"
    SCHEME = "scheme"
    ROBOTS = "robots"  # skipped: robots.txt disallows it
    DOMAINS = "domains"  # skipped: outside --domains


@dataclass
class FetchOptions:
    user_agent: str
    delay_s: float = 2.0
    timeout_s: float = 15.0
    deadline_s: float = 60.0  # the whole fetch: robots.txt, redirects, headers and body
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    domains: tuple[str, ...] | None = None  # None: any host
    allow: AllowList = field(default_factory=AllowList)  # empty: public addresses only
    crawl_delay: bool = True  # honour robots.txt Crawl-delay between requests

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
class Response:
    """A fetched resource (status 200) or a 304; or why there is none (``problem`` with a
    readable ``failed`` or ``skipped`` reason)."""

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
    problem: str | None = None

    def fail(self, problem: str, reason: str) -> Response:
        self.problem, self.failed = problem, reason
        return self

    def skip(self, problem: str, reason: str) -> Response:
        self.problem, self.skipped = problem, reason
        return self


class PoliteFetcher:
    """Fetches URLs one at a time by the rules above. Not thread-safe: one per thread."""

    def __init__(
        self,
        options: FetchOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self.deadline = Deadline()
        self.client = guarded_client(
            options.allow, self.deadline, user_agent=options.user_agent, timeout_s=options.timeout_s
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
                self.deadline.extend(remaining)  # our politeness, not the server's slowness
        self._last[host] = self.clock()

    def _done(self, host: str) -> None:
        self._last[host] = self.clock()

    def fetch(self, url: str, previous: Provenance | None = None) -> Response:
        """Fetch ``url`` (conditionally, when ``previous`` is given), following redirects."""
        conditional: dict[str, str] = {}
        if previous is not None:
            if previous.etag:
                conditional["If-None-Match"] = previous.etag
            if previous.last_modified:
                conditional["If-Modified-Since"] = previous.last_modified
        self.deadline.start(self.options.deadline_s)
        current = url
        for _hop in range(self.options.max_redirects + 1):
            refusal = self._check_hop(url, current)
            if refusal is not None:
                return refusal
            host = urlsplit(current).netloc
            self._wait(host)
            try:
                result = self._request(url, current, conditional)
            finally:
                self._done(host)
            if isinstance(result, str):
                current = result
                continue
            return result
        return Response(url, current).fail(
            Problem.REDIRECTS, f"more than {self.options.max_redirects} redirects"
        )

    def _check_hop(self, url: str, current: str) -> Response | None:
        """Why ``current`` (the URL or a redirect target) must not be requested, if so."""
        parts = urlsplit(current)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return Response(url, current).fail(
                Problem.SCHEME, f"only http(s) addresses are fetched, not {current[:200]}"
            )
        if not self.options.in_domains(current):
            return Response(url, current).skip(
                Problem.DOMAINS, f"redirects outside --domains to {current}"
            )
        rules = self.robots.rules(current)
        if rules.failure is not None:
            return self._failure(Response(url, current), rules.failure)
        if not rules.allows(current, self.options.user_agent):
            return Response(url, current).skip(Problem.ROBOTS, "robots.txt disallows it")
        self._note_crawl_delay(parts.netloc, rules)
        return None

    def _note_crawl_delay(self, host: str, rules: RobotsRules) -> None:
        crawl_delay = rules.crawl_delay(self.options.user_agent)
        if crawl_delay is not None and self.options.crawl_delay:
            self._host_delay[host] = max(self.options.delay_s, min(crawl_delay, MAX_CRAWL_DELAY_S))

    def _failure(self, response: Response, kind: str) -> Response:
        if kind == "timeout":
            return response.fail(Problem.TIMEOUT, self._timeout_reason())
        return response.fail(Problem.UNREACHABLE, UNREACHABLE)

    def _timeout_reason(self) -> str:
        if self.deadline.expired:
            return f"timed out: no complete answer within {self.options.deadline_s:g} s"
        return f"timed out after {self.options.timeout_s:g} s"

    def _request(self, url: str, current: str, headers: dict[str, str]) -> Response | str:
        """One GET: a Response, or the next URL when redirected."""
        try:
            with self.client.stream("GET", current, headers=headers) as response:
                return self._answer(url, current, response, conditional=bool(headers))
        except httpx.ConnectTimeout:
            # Like a refused connection: a silent port must not look different.
            return Response(url, current).fail(Problem.UNREACHABLE, UNREACHABLE)
        except httpx.TimeoutException:
            return Response(url, current).fail(Problem.TIMEOUT, self._timeout_reason())
        except httpx.HTTPError:
            return Response(url, current).fail(Problem.UNREACHABLE, UNREACHABLE)

    def _answer(
        self, url: str, current: str, response: httpx.Response, *, conditional: bool
    ) -> Response | str:
        status = response.status_code
        if status in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                return Response(url, current, status).fail(
                    Problem.HTTP, f"HTTP {status} without Location"
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
            if not conditional:
                return base.fail(Problem.HTTP, "HTTP 304 to an unconditional request")
            return base
        if status != 200:
            return base.fail(Problem.HTTP, f"HTTP {status} {response.reason_phrase or ''}".strip())
        return self._body(base, response)

    def _body(self, base: Response, response: httpx.Response) -> Response:
        """Type check, size cap (declared and while streaming), content sniffing."""
        limit = self.options.max_bytes
        content_type = response.headers.get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        kind = _kind(media)
        if kind is None and media not in GENERIC_TYPES:
            return base.fail(Problem.TYPE, f"not HTML or PDF (Content-Type {media})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return base.fail(
                Problem.SIZE, f"larger than the {_mb(limit)} limit ({_mb(int(declared))})"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                return base.fail(Problem.SIZE, f"larger than the {_mb(limit)} limit")
            chunks.append(chunk)
        body = b"".join(chunks)
        kind = kind or sniff(body)
        if kind is None:
            return base.fail(Problem.TYPE, f"not HTML or PDF (Content-Type {media or 'missing'})")
        base.body, base.kind, base.content_type = body, kind, content_type
        return base


def _kind(media: str) -> str | None:
    if media in HTML_TYPES:
        return "html"
    if media in PDF_TYPES:
        return "pdf"
    return None


def sniff(body: bytes) -> str | None:
    """``pdf`` or ``html`` from the first bytes, for a missing or generic Content-Type."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.2f} MB"
