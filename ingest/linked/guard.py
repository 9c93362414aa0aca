"""Which addresses a fetch may connect to: the guard against server-side request forgery.

URL uploads come from admins, but ``fetch-links`` follows links inside third-party
publications, and what it fetches becomes searchable by everyone. So a fetch may only
reach public internet addresses, unless the operator opens intranet sources with
``VIDENSBANK_FETCH_ALLOW_HOSTS`` (host names and CIDR ranges; empty by default).

Refused: loopback, private, link-local, multicast, reserved, unspecified and shared
(CGNAT) addresses, IPv4 and IPv6, with IPv4 inside IPv6 (``::ffff:127.0.0.1``, 6to4,
NAT64) judged by its IPv4 part. The check is made on the *resolved* addresses, so every
spelling of a host (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, a DNS name pointing at
10.0.0.1) is judged by where it really leads. :func:`resolve_allowed` is called by the
transport (``transport.py``) at the moment it opens a socket, and the socket is opened to
the address that was checked: there is no second DNS lookup an attacker could answer
differently.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# getaddrinfo has no timeout of its own; lookups run here so a fetch's deadline holds.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="vidensbank-dns")


class AddressRefused(httpcore.ConnectError):
    """No address of the host may be connected to (or it does not resolve). Raised inside
    the transport, so httpx reports it like any other failed connection: a refused
    address and an unreachable one look the same to the caller."""


@dataclass(frozen=True)
class AllowList:
    """Intranet sources the operator opened: exact host names (any address they resolve
    to is allowed) and networks (addresses inside them are allowed, whatever the name)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """``["intranet.example.dk", "10.20.0.0/16", "127.0.0.1"]`` → an AllowList.
        Raises ValueError for an entry that is neither a host name nor an address/CIDR."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not all(part and part.replace("-", "").isalnum() for part in entry.split(".")):
                raise ValueError(
                    f"{raw!r} is neither a host name nor an IP address or CIDR range"
                    " (e.g. intranet.example.dk, 10.20.0.0/16)"
                )
            hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.strip("[]").lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, multicast,
    reserved, unspecified or shared), judging IPv4-in-IPv6 by its IPv4 part."""
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
    )


def address_allowed(address: IPAddress, host: str, allow: AllowList) -> bool:
    """May a fetch of ``host`` connect to ``address``? Public addresses always; others
    only when the host name or the address is on the operator's allow list."""
    if address.is_unspecified or address.is_multicast:
        return False
    return is_public(address) or allow.allows_address(address) or allow.allows_host(host)


def resolve_allowed(host: str, port: int, allow: AllowList, timeout: float | None) -> list[str]:
    """The addresses of ``host`` a fetch may connect to, in resolver order. Raises
    :class:`AddressRefused` when there are none, or when the host does not resolve within
    ``timeout`` seconds."""
    try:
        infos = _RESOLVER.submit(
            socket.getaddrinfo, host.strip("[]"), port, type=socket.SOCK_STREAM
        ).result(timeout)
    except (OSError, UnicodeError, FutureTimeout):
        raise AddressRefused("host does not resolve") from None
    allowed: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address_allowed(address, host, allow) and str(address) not in allowed:
            allowed.append(str(address))
    if not allowed:
        raise AddressRefused("address not allowed")
    return allowed
