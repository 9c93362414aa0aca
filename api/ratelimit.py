"""A per-client sliding-window rate limit, in memory only.

Used for the feedback buttons (at most ``limit`` judgements per ``window_s`` seconds from one
client address) and for failed admin logins (``wait``/``record``/``forget``). The address is a key of this map and nothing else: it is never written
anywhere, and a key is dropped as soon as its window is empty. Each server process counts
for itself (several workers allow proportionally more, which is fine for a guard against a
script hammering the buttons).

Hand-written rather than a library: it needs per-client keys, the exact seconds until the
next allowed request (``Retry-After``) and memory that shrinks back to nothing; the rate
limiters at hand offer one shared bucket or a storage backend to run."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float:
        """Count one request from ``client``; 0 when allowed, else the seconds to wait."""
        with self._lock:
            wait = self._wait(client, self._clock())
            if not wait:
                self._record(client, self._clock())
            return wait

    def wait(self, client: str) -> float:
        """The seconds until ``client`` may go on (0: now), counting nothing."""
        with self._lock:
            return self._wait(client, self._clock())

    def record(self, client: str) -> None:
        """Count one event of ``client`` (a failed login) without checking."""
        with self._lock:
            self._record(client, self._clock())

    def forget(self, client: str) -> None:
        with self._lock:
            self._hits.pop(client, None)

    def _wait(self, client: str, moment: float) -> float:
        hits = self._hits.get(client)
        if not hits:
            return 0.0
        while hits and hits[0] <= moment - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(0.0, hits[0] + self.window_s - moment)
        return 0.0

    def _record(self, client: str, moment: float) -> None:
        self._hits.setdefault(client, deque()).append(moment)
        if len(self._hits) > self.max_clients:
            self._forget_idle(moment)

    def _forget_idle(self, moment: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= moment - self.window_s]:
            del self._hits[key]

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """``Retry-After`` in whole seconds, at least 1."""
        return str(max(1, math.ceil(wait_s)))


def client_key(request: Request) -> str:
    """The client's address, for in-memory keys only (never written)."""
    return request.client.host if request.client else "unknown"
