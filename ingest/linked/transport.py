"""The one HTTP transport every fetch uses: connects only to addresses the guard allows,
and holds an overall deadline over connect, headers and body.

How: an httpcore network backend (:class:`GuardedBackend`) is where sockets are opened.
Its ``connect_tcp`` receives the URL's host name, resolves it once (``guard.py``), keeps
the allowed addresses and connects to one of them *by address*, so the address that was
checked is the address that is used: no second DNS lookup, for the first request, for
robots.txt and for every redirect hop alike. TLS still verifies the certificate against
the URL's host name (httpcore passes it as ``server_hostname``), and the Host header is
untouched. A per-request check in the fetcher could not give that guarantee, because
httpx would resolve the name again when it connects.

Every stream the backend opens clamps each read and write to the time left before the
fetch's deadline (:class:`Deadline`), so a server that drips one byte at a time cannot
hold a worker beyond it: per-read timeouts alone reset with every byte.

The backend is handed to httpcore's pool by replacing ``HTTPTransport._pool`` (httpx
offers no public parameter for it; the attribute has been stable since httpx 0.18 and
httpx is pinned below 0.30). The guard tests would notice if that stopped taking effect.
"""

from __future__ import annotations

import ssl
import time
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpcore
import httpx

from .guard import AllowList, resolve_allowed


class DeadlineExceeded(httpcore.ReadTimeout):
    """The fetch ran past its overall deadline."""


@dataclass
class Deadline:
    """The end of the current fetch, as a ``time.monotonic()`` value (``None``: none).
    The fetcher sets it before a fetch and may push it back by the time it spends in
    polite pauses, which are not the server's doing."""

    at: float | None = None
    expired: bool = field(default=False, compare=False)

    def start(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False

    def extend(self, seconds: float) -> None:
        if self.at is not None:
            self.at += seconds

    def clamp(self, timeout: float | None) -> float | None:
        """``timeout`` shortened to the time left; raises when none is left."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            self.expired = True
            raise DeadlineExceeded("the fetch ran past its deadline")
        return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes end at the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self.inner.read(max_bytes, self.deadline.clamp(timeout))
        except httpcore.ReadTimeout:
            self._note_expiry()
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self.inner.write(buffer, self.deadline.clamp(timeout))
        except httpcore.WriteTimeout:
            self._note_expiry()
            raise

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self.inner.start_tls(ssl_context, server_hostname, self.deadline.clamp(timeout))
        return DeadlineStream(inner, self.deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self.inner.get_extra_info(info)

    def _note_expiry(self) -> None:
        if self.deadline.at is not None and time.monotonic() >= self.deadline.at:
            self.deadline.expired = True


class GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the guard allows, by address."""

    def __init__(self, allow: AllowList, deadline: Deadline) -> None:
        self.allow = allow
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_allowed(host, port, self.allow, self.deadline.clamp(timeout))
        failure: Exception | None = None
        for address in addresses:  # the checked addresses only, in resolver order
            try:
                stream = super().connect_tcp(
                    address, port, self.deadline.clamp(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                failure = err
                continue
            return DeadlineStream(stream, self.deadline)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with :class:`GuardedBackend` underneath; no proxies (a proxy
    would connect on our behalf to addresses we never checked)."""

    def __init__(self, allow: AllowList, deadline: Deadline) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=4,
            max_keepalive_connections=2,
            network_backend=GuardedBackend(allow, deadline),
        )


def guarded_client(
    allow: AllowList, deadline: Deadline, *, user_agent: str, timeout_s: float
) -> httpx.Client:
    """An httpx client whose every connection goes through the guard and the deadline.
    Redirects are not followed automatically: the fetcher checks each hop itself."""
    return httpx.Client(
        transport=GuardedTransport(allow, deadline),
        headers={"User-Agent": user_agent, "Accept": "text/html, application/pdf"},
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
    )
