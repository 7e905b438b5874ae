"""The SSRF guard: which addresses a check may connect to.

A monitoring tool fetches URLs that users type, so without a guard it would happily fetch the
cloud metadata service or an admin page on the private network and report back whether a
keyword is there. Every address is judged here, at three points:

1. an IP-literal URL host is judged before any request is made (aiohttp does not pass literal
   IPs to the resolver, so this is the only place they are seen before connecting);
2. ``GuardedResolver`` resolves a name and keeps only the addresses the guard accepts; the
   connector receives nothing else, and connects to exactly one of those IPs. The name is
   resolved once per connection and never again, so a DNS answer that changes between a check
   and the connection ("DNS rebinding") cannot slip in: what was checked is what is dialled;
3. the socket factory judges the socket address right before the TCP connect, whatever path
   produced it (defence in depth: e.g. a future aiohttp change in how literals are handled).

Private targets are refused unless the operator sets ``VEILLEUR_ALLOW_PRIVATE_TARGETS=1``
(an agency monitoring an intranet host). Some addresses stay refused even then, because they
are never a website: cloud metadata and credential services, link-local, unspecified,
multicast and broadcast addresses. Their refusal message does not mention the setting.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from veilleur.probes.outcome import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_PRIVATE_ENV = "VEILLEUR_ALLOW_PRIVATE_TARGETS"


def _networks(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), reason) for cidr, reason in pairs)


# Refused whatever the operator allows: none of these is a web server a client could own.
# Link-local ranges as a whole: cloud providers put their instance metadata, credential,
# DNS and time services there (169.254.169.254, 169.254.170.2 for containers' credentials,
# 169.254.170.23 for pod identity, 169.254.169.253, 169.254.169.123, ...), and a site on a
# link-local address cannot be reached from another network anyway.
NEVER_ALLOWED = _networks(
    [
        ("169.254.169.254/32", "cloud metadata"),
        ("169.254.170.2/32", "cloud metadata"),
        ("169.254.170.23/32", "cloud metadata"),
        ("fd00:ec2::/32", "cloud metadata"),
        ("100.100.100.200/32", "cloud metadata"),
        ("192.0.0.192/32", "cloud metadata"),
        ("168.63.129.16/32", "cloud metadata"),
        ("169.254.0.0/16", "link-local"),
        ("fe80::/10", "link-local"),
        ("0.0.0.0/8", "unspecified"),
        ("::/128", "unspecified"),
        ("224.0.0.0/4", "multicast"),
        ("ff00::/8", "multicast"),
        ("255.255.255.255/32", "broadcast"),
    ]
)

# Refused unless private targets are allowed. Explicit, rather than ipaddress.is_global, whose
# answers have changed between Python patch releases.
PRIVATE = _networks(
    [
        ("127.0.0.0/8", "loopback"),
        ("::1/128", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("fc00::/7", "private"),
        ("fec0::/10", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("64:ff9b:1::/48", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "reserved"),
        ("198.18.0.0/15", "reserved"),
        ("198.51.100.0/24", "reserved"),
        ("203.0.113.0/24", "reserved"),
        ("240.0.0.0/4", "reserved"),
        ("::/8", "reserved"),
        ("100::/64", "reserved"),
        ("2001::/23", "reserved"),
        ("2001:db8::/32", "reserved"),
        ("3fff::/20", "reserved"),
    ]
)

# IPv6 ranges that carry an IPv4 address: judged by the IPv4 address they lead to.
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    overridable: bool  # True when VEILLEUR_ALLOW_PRIVATE_TARGETS=1 would allow it


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address really reaches, if any."""
    if address in _MAPPED:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    return None


def classify_address(address: IPAddress) -> Refusal | None:
    """Why a connection to ``address`` should be refused, or ``None`` for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return classify_address(inner)
    for network, reason in NEVER_ALLOWED:
        if address in network:
            return Refusal(reason, overridable=False)
    for network, reason in PRIVATE:
        if address in network:
            return Refusal(reason, overridable=True)
    return None


def parse_ip(text: str) -> IPAddress | None:
    """An IP address in its canonical written form, or ``None`` for a host name."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def allow_private_from_env() -> bool:
    """Whether the operator allows private targets (``VEILLEUR_ALLOW_PRIVATE_TARGETS=1``)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """The policy of one check. ``exempt_networks`` are allowed even when private targets are
    not (an operator opening one intranet range; tests standing in for a public site)."""

    allow_private: bool = False
    exempt_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: str) -> Refusal | None:
        ip = parse_ip(address.split("%")[0])
        if ip is None:
            return Refusal("unparseable", overridable=False)
        if any(ip.version == net.version and ip in net for net in self.exempt_networks):
            return None
        found = classify_address(ip)
        if found is None or (found.overridable and self.allow_private):
            return None
        return found

    def check(self, host: str, address: str) -> None:
        """Raise ``BlockedAddressError`` when ``address`` (what ``host`` led to) is refused."""
        found = self.refusal(address)
        if found is not None:
            raise BlockedAddressError(host, address, found.reason, overridable=found.overridable)

    def check_literal_host(self, host: str) -> None:
        """Judge a URL host that is an IP literal; host names are judged after resolution."""
        if parse_ip(host) is not None:
            bare = host.strip("[]")
            self.check(bare, bare)


class GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` (the system resolver by default) and returns only the addresses
    the guard accepts, so the connector can only ever dial a vetted IP."""

    def __init__(self, guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._owns_inner = inner is None
        self._inner: AbstractResolver = inner if inner is not None else ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"no address found for {host}")
        allowed = [entry for entry in found if self._guard.refusal(entry["host"]) is None]
        if not allowed:
            first = found[0]["host"]
            refusal = self._guard.refusal(first)
            raise BlockedAddressError(
                host,
                first,
                refusal.reason if refusal else "refused",
                overridable=refusal.overridable if refusal else False,
            )
        return allowed

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def vetted_addresses(host: str, port: int, guard: AddressGuard) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` answers for ``host`` that the guard accepts, for a blocking client.

    Raises ``BlockedAddressError`` when the host is refused or resolves only to refused
    addresses, ``socket.gaierror`` when it does not resolve. The caller dials exactly these
    answers, so what was judged is what is connected to (no second lookup to rebind).
    """
    found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    allowed = [entry for entry in found if guard.refusal(str(entry[4][0])) is None]
    if not allowed:
        first = str(found[0][4][0])
        refusal = guard.refusal(first)
        raise BlockedAddressError(
            host.strip("[]"),
            first,
            refusal.reason if refusal else "refused",
            overridable=refusal.overridable if refusal else False,
        )
    return allowed


def connect_guarded(
    host: str,
    port: int,
    guard: AddressGuard,
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """A TCP connection to ``host`` for a blocking client (``socket.create_connection``'s
    job), made only to an address the guard accepts."""
    last_error: OSError | None = None
    for family, type_, proto, _, sockaddr in vetted_addresses(host, port, guard):
        sock = socket.socket(family, type_, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address is not None:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    assert last_error is not None  # vetted_addresses never answers an empty list
    raise last_error
