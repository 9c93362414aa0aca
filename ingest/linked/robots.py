"""robots.txt per host, following RFC 9309: a 4xx robots.txt allows everything, a 5xx or
an unreachable one disallows everything (we cannot tell what the site wants)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

MAX_ROBOTS_BYTES = 512 * 1024


@dataclass
class RobotsRules:
    parser: RobotFileParser | None  # None: allow_all or deny_all
    allow_all: bool = False
    unreachable: str | None = None  # why robots.txt could not be read at all

    def allows(self, url: str, user_agent: str) -> bool:
        if self.parser is not None:
            return self.parser.can_fetch(user_agent, url)
        return self.allow_all

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


class RobotsCache:
    """One robots.txt request per scheme+host per run. ``before_request(host)`` is called
    before each request so the per-host delay applies to robots.txt too."""

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
            response = self.client.get(f"{origin}/robots.txt", follow_redirects=True)
        except httpx.TimeoutException:
            return RobotsRules(None, unreachable="timed out")
        except httpx.HTTPError as err:
            return RobotsRules(None, unreachable=_describe(err))
        if 400 <= response.status_code < 500:
            return RobotsRules(None, allow_all=True)
        if response.status_code >= 500 or response.status_code >= 300:
            return RobotsRules(None, allow_all=False)
        parser = RobotFileParser()
        text = response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        return RobotsRules(parser)


def _describe(err: httpx.HTTPError) -> str:
    text = str(err) or type(err).__name__
    return text.splitlines()[0][:200]
