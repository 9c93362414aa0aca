"""The address guard of the one fetcher, tested on the check itself: no traffic is ever sent
to the addresses refused here (resolving numeric forms and localhost reads no network)."""

from __future__ import annotations

import ipaddress

import pytest

from vidensbank.ingest.linked.guard import (
    AddressRefused,
    AllowList,
    address_allowed,
    resolve_allowed,
)
from vidensbank.settings import StartupError, load_settings

NOTHING = AllowList()

REFUSED = [
    "169.254.169.254",  # cloud metadata (link-local)
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "100.64.0.1",  # shared address space (CGNAT)
    "::1",
    "::",
    "fe80::1",
    "fc00::1",  # unique local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
]


@pytest.mark.parametrize("address", REFUSED)
def test_local_private_and_special_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), "example.org", NOTHING)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), "example.org", NOTHING)


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.1", "localhost", "[::1]"]
)
def test_every_spelling_of_loopback_is_refused_after_resolution(host: str) -> None:
    with pytest.raises(AddressRefused):
        resolve_allowed(host, 80, NOTHING, timeout=5)


def test_the_allow_list_opens_networks_and_named_hosts_only() -> None:
    allow = AllowList.parse(["10.20.0.0/16", "Intranet.Example.DK.", "127.0.0.1"])
    private = ipaddress.ip_address("10.20.3.4")
    assert address_allowed(private, "anything.example", allow)
    assert not address_allowed(ipaddress.ip_address("10.21.0.1"), "anything.example", allow)
    assert address_allowed(ipaddress.ip_address("10.99.0.1"), "intranet.example.dk", allow)
    assert address_allowed(ipaddress.ip_address("10.99.0.1"), "INTRANET.example.dk.", allow)
    # a named host is trusted for its own addresses, never to reach multicast/unspecified
    assert not address_allowed(ipaddress.ip_address("0.0.0.0"), "intranet.example.dk", allow)
    assert resolve_allowed("127.0.0.1", 80, allow, timeout=5) == ["127.0.0.1"]
    assert resolve_allowed("2130706433", 80, allow, timeout=5) == ["127.0.0.1"]
    with pytest.raises(AddressRefused):
        resolve_allowed("::1", 80, allow, timeout=5)  # allowing 127.0.0.1 is not ::1


def test_the_allow_list_setting_is_empty_by_default_and_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VIDENSBANK_FETCH_ALLOW_HOSTS", raising=False)
    assert load_settings().fetch_allow_hosts == []
    parsed = load_settings(fetch_allow_hosts="intranet.example.dk, 10.0.0.0/8")
    assert parsed.fetch_allow_hosts == ["intranet.example.dk", "10.0.0.0/8"]
    with pytest.raises(StartupError, match=r"VIDENSBANK_FETCH_ALLOW_HOSTS.*neither a host name"):
        load_settings(fetch_allow_hosts="intranet example")
