"""Resolving the monitored host names through one chosen DNS server instead of the system's.

``VEILLEUR_CHECKER_DNS_SERVER`` points a checker's probes at a resolver of the operator's choice
(a local caching resolver, say). Its answers still go through the SSRF guard (guard.py), which
wraps this resolver like any other. Every failure is a ``socket.gaierror``, so that a name that
does not resolve, or a server that stops answering, is a DNS failure of the check.
"""

from __future__ import annotations

import socket

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult

DEFAULT_LIFETIME_SECONDS = 5.0


class ServerResolver(AbstractResolver):
    """Asks ``server`` (address, port) for A and AAAA records, giving up after ``lifetime``."""

    def __init__(self, server: tuple[str, int], lifetime: float = DEFAULT_LIFETIME_SECONDS) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=False)
        self._resolver.nameservers = [server[0]]
        self._resolver.port = server[1]
        self._resolver.lifetime = lifetime
        self._resolver.timeout = lifetime

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        kinds = [(socket.AF_INET, dns.rdatatype.A), (socket.AF_INET6, dns.rdatatype.AAAA)]
        if family != socket.AF_UNSPEC:
            kinds = [(kind_family, rdtype) for kind_family, rdtype in kinds if kind_family == family]
        found: list[ResolveResult] = []
        failure: socket.gaierror | None = None
        for kind_family, rdtype in kinds:
            try:
                answer = await self._resolver.resolve(host, rdtype, search=False)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers) as exc:
                failure = failure or socket.gaierror(socket.EAI_NONAME, f"{host}: {exc}")
                continue
            except dns.exception.Timeout:
                # A server that stops answering: nothing more to ask it for this name now.
                if found:
                    return found
                raise socket.gaierror(socket.EAI_AGAIN, f"the DNS server did not answer for {host}") from None
            except dns.exception.DNSException as exc:
                raise socket.gaierror(socket.EAI_FAIL, f"{host}: {exc}") from None
            found += [
                ResolveResult(
                    hostname=host,
                    host=record.to_text(),
                    port=port,
                    family=kind_family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
                for record in answer
            ]
        if not found:
            raise failure or socket.gaierror(socket.EAI_NONAME, f"no address found for {host}")
        return found

    async def close(self) -> None:
        return None
