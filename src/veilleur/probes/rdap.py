"""RDAP lookups of a domain's registration (RFC 9224 bootstrap, RFC 9083 answers).

The server's requests go through ``probes.fetch`` (the SSRF guard), never through whoisit's
own HTTP clients; whoisit reads the answers. A lookup ends in one of four ways, each with its
own words: an expiry date found; the registry publishes none (no RDAP service for the TLD, or
no "expiration" event: several European ccTLDs publish none); the registry does not know the
domain (404); or the lookup failed (``RdapFailed``: unreachable, garbage, too large).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from veilleur.domain.validators import one_line
from veilleur.probes.fetch import FetchFailed

MAX_BOOTSTRAP_BYTES = 2 * 1024 * 1024  # IANA's file is about 40 kB
MAX_ANSWER_BYTES = 512 * 1024
MAX_REGISTRAR_CHARS = 200
ACCEPT = "application/rdap+json, application/json;q=0.9"

# A GET of a URL: the body, or ``FetchFailed`` (whose ``status`` says an HTTP answer's code).
Fetch = Callable[[str], bytes]


class RdapFailed(Exception):
    """The lookup did not give an answer to believe; the message says why in a few words."""


@dataclass(frozen=True)
class Registration:
    published: bool  # False: the registry publishes no expiry date for this domain
    known: bool = True  # False: the registry answered that it has no such domain
    expires_at: datetime | None = None
    registrar: str = ""
    source_url: str = ""


def read_bootstrap(body: bytes) -> dict[str, tuple[str, ...]]:
    """The RDAP base URLs of each TLD in an IANA bootstrap file ("services": [[tlds], [urls]])."""
    try:
        document = json.loads(body)
        services = document["services"]
        if not isinstance(services, list):
            raise TypeError
        table: dict[str, tuple[str, ...]] = {}
        for tlds, urls in services:
            usable = tuple(
                url for url in urls if isinstance(url, str) and url.startswith(("https://", "http://"))
            )
            for tld in tlds:
                if isinstance(tld, str) and usable:
                    table[tld.lower().rstrip(".")] = usable
    except (ValueError, KeyError, TypeError) as exc:
        raise RdapFailed("the RDAP bootstrap file could not be read") from exc
    if not table:
        raise RdapFailed("the RDAP bootstrap file lists no service")
    return table


def domain_url(base: str, domain: str) -> str:
    return f"{base.rstrip('/')}/domain/{domain}"


def look_up(domain: str, tld: str, services: dict[str, tuple[str, ...]], fetch: Fetch) -> Registration:
    """Ask the registry of ``tld`` about ``domain``; follow its link to the registrar's own
    service when it gives one (thin registries such as .com keep the details there)."""
    bases = services.get(tld)
    if not bases:
        return Registration(published=False)
    # IANA lists the https service first where there are both.
    url = domain_url(sorted(bases, key=lambda base: not base.startswith("https://"))[0], domain)
    try:
        answer = _decode(fetch(url))
    except FetchFailed as failure:
        if failure.status == 404:
            return Registration(published=False, known=False, source_url=url)
        raise RdapFailed(str(failure)) from None
    facts = _facts(answer, domain)
    registrar_url = str(facts.get("registrar_url") or "")
    if registrar_url and registrar_url != url:
        try:
            more = _facts(_decode(fetch(registrar_url)), domain)
            facts = {key: facts[key] or more[key] for key in facts}  # the registry's facts first
        except (FetchFailed, RdapFailed):
            pass  # the registry's own answer stands; the registrar's is a bonus
    return _registration(facts, url)


def _decode(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_ANSWER_BYTES:
        raise RdapFailed(f"the registry's answer is larger than {MAX_ANSWER_BYTES} bytes")
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        raise RdapFailed("the registry's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise RdapFailed("the registry's answer is not an RDAP object")
    return answer


def _facts(answer: dict[str, Any], domain: str) -> dict[str, Any]:
    # Imported here, by the first answer to read: whoisit brings its own HTTP clients (httpx,
    # requests) and their command-line extras, some 10 MiB that the worker would otherwise hold
    # from its start even where no site has a public domain.
    from whoisit.bootstrap import _BootstrapWrapper  # type: ignore[import-untyped]
    from whoisit.parser import ParseDomain  # type: ignore[import-untyped]

    try:
        # Leniently: some registries give no handle, which whoisit would otherwise refuse.
        parsed = ParseDomain(_BootstrapWrapper(), answer, domain, using_overrides=True).parse()
    except Exception as exc:  # whoisit raises whatever a malformed document provokes
        raise RdapFailed("the registry's answer could not be read as an RDAP domain") from exc
    return {
        "expires_at": parsed.get("expiration_date"),
        "registrar": _registrar_name(parsed.get("entities")),
        "registrar_url": parsed.get("registrar_url") or "",
    }


def _registrar_name(entities: Any) -> str:
    if not isinstance(entities, dict):
        return ""
    for entity in entities.get("registrar") or []:
        if isinstance(entity, dict) and isinstance(entity.get("name"), str):
            return one_line(entity["name"])[:MAX_REGISTRAR_CHARS]
    return ""


def _registration(facts: dict[str, Any], url: str) -> Registration:
    expires_at = facts.get("expires_at")
    if not isinstance(expires_at, datetime):
        return Registration(published=False, registrar=facts.get("registrar", ""), source_url=url)
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)  # RDAP dates are UTC unless they say otherwise
    expires_at = expires_at.astimezone(UTC)
    if not 1990 <= expires_at.year <= 2200:
        raise RdapFailed(f"the registry's expiry date {expires_at:%Y-%m-%d} is not believable")
    return Registration(
        published=True, expires_at=expires_at, registrar=facts.get("registrar", ""), source_url=url
    )
