"""The client address the limits count: X-Forwarded-For is believed only from trusted proxies,
hop by hop from the right; IPv6 is counted by /64."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.throttling.addresses import counted_address, forwarded_client, parse_networks

PROXIES = parse_networks("127.0.0.1, ::1, 10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the visitor's own header is left of it
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"),  # two proxies
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not a proxy of ours
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("::1", "[2001:db8::1]", "2001:db8::1"),
    ],
)
def test_forwarded_client(peer: str, forwarded: str, client: str) -> None:
    assert str(forwarded_client(peer, forwarded, PROXIES)) == client


def test_bad_proxy_setting_names_the_entry() -> None:
    with pytest.raises(ValueError, match="'localhost' is not an IP address"):
        parse_networks("127.0.0.1, localhost")


addresses = st.ip_addresses()


@given(peer=addresses, chain=st.lists(addresses, max_size=5))
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: ipaddress.IPv4Address | ipaddress.IPv6Address,
    chain: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
) -> None:
    # Oracle: the list of hops as seen by us, nearest first; the first one not a trusted proxy.
    hops = [peer, *reversed(chain)]
    expected = next(
        (hop for hop in hops if not any(hop.version == n.version and hop in n for n in PROXIES)), hops[-1]
    )
    assert forwarded_client(str(peer), ", ".join(map(str, chain)), PROXIES) == expected


def test_ipv6_counts_by_network() -> None:
    assert counted_address(ipaddress.ip_address("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert counted_address(ipaddress.ip_address("::ffff:198.51.100.7")) == "198.51.100.7"
    assert counted_address(None) == "0.0.0.0"
