"""The address a request comes from, as the limits count it.

Behind the TLS proxy the documented install runs (Caddy on the same machine), every request
arrives from 127.0.0.1 and the visitor's address is the last one the proxy added to
``X-Forwarded-For``. Only addresses in ``VEILLEUR_TRUSTED_PROXIES`` are believed about who they
forward for, so a visitor cannot choose their own address by sending the header themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# One IPv6 customer gets a /64 at least: counting single addresses would give them 2**64 tries.
IPV6_PREFIX = 64
UNKNOWN = "0.0.0.0"


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``"127.0.0.1, ::1, 10.0.0.0/8"`` as networks; ValueError naming the bad entry."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: Address, proxies: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: str, proxies: Sequence[Network]) -> Address | None:
    """Walk ``X-Forwarded-For`` from the right while the hop that told us is a trusted proxy."""
    current = _address(peer)
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    while current is not None and hops and _trusted(current, proxies):
        told = _address(hops.pop())
        if told is None:  # garbage left of a trusted proxy: believe the proxy itself
            break
        current = told
    return current


def counted_address(address: Address | None) -> str:
    """The address the limits count: IPv4 as is, IPv6 by its /64 (written as its first address)."""
    if address is None:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False).network_address)
    return str(address)


def client_address(request: HttpRequest) -> str:
    """The requesting client's address as the limits count it (also django-axes's)."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    return counted_address(forwarded_client(peer, forwarded, settings.VEILLEUR_TRUSTED_PROXIES))
