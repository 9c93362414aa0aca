"""robots.txt per host, following RFC 9309: a 4xx robots.txt allows everything, a 5xx or
an unreachable one disallows everything (we cannot tell what the site wants).

Parsed with ``protego``, which implements the RFC's ``*`` and ``$`` patterns and longest
match; the standard library's parser ignores both, so it would allow ``/x.pdf`` under
``Disallow: /*.pdf$``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from protego import Protego

MAX_ROBOTS_BYTES = 512 * 1024


@dataclass
class RobotsRules:
    parser: Protego | None  # None: allow_all or deny_all
    allow_all: bool = False
    failure: str | None = None  # why robots.txt could not be read: "unreachable" | "timeout"

    def allows(self, url: str, user_agent: str) -> bool:
        if self.parser is not None:
            return bool(self.parser.can_fetch(url, user_agent))
        return self.allow_all

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


class RobotsCache:
    """One robots.txt request per scheme+host per run. ``before_request(host)`` is called
    before each request so the per-host delay applies to robots.txt too. The client is
    the fetcher's, so the address guard and the deadline apply as well."""

    def __init__(
        self,
        client: httpx.Client,
        user_agent: str,
        before_request: Callable[[str], None] = lambda host: None,
    ) -> None:
        self.client = client
        self.user_agent = user_agent
        self.before_request = before_request
        self._rules: dict[str, RobotsRules] = {}

    def rules(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = self._fetch(origin, parts.netloc)
        return self._rules[origin]

    def _fetch(self, origin: str, host: str) -> RobotsRules:
        self.before_request(host)
        try:
            # Redirects of robots.txt are followed (RFC 9309 §2.3.1.2); each hop passes
            # the same address guard, since the guard sits where sockets are opened.
            with self.client.stream("GET", f"{origin}/robots.txt", follow_redirects=True) as r:
                status = r.status_code
                body = _read_capped(r, MAX_ROBOTS_BYTES) if status < 300 else b""
        except httpx.TimeoutException:
            return RobotsRules(None, failure="timeout")
        except httpx.HTTPError:
            return RobotsRules(None, failure="unreachable")
        if 400 <= status < 500:
            return RobotsRules(None, allow_all=True)
        if status >= 300:
            return RobotsRules(None, allow_all=False)
        return RobotsRules(Protego.parse(body.decode("utf-8", errors="replace")))


def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The first ``limit`` bytes (RFC 9309 asks parsers to read at least 500 KiB)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
