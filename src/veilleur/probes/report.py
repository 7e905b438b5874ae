"""One-off checks for people: ``check_url`` runs a probe (and a certificate inspection), and the
outcome is shown as text or as JSON-ready data."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver

from veilleur.probes.guard import IPNetwork
from veilleur.probes.http import make_tls_context, probe
from veilleur.probes.outcome import ErrorClass, PhaseTimings, ProbeFailure, ProbeOutcome, ProbeRequest
from veilleur.probes.tls import CertificateInfo, inspect_certificate

# Without an answer from the network there is no certificate to look at either.
_NO_CERTIFICATE_AFTER = frozenset(
    {ErrorClass.DNS, ErrorClass.REFUSED, ErrorClass.BLOCKED_ADDRESS, ErrorClass.TIMEOUT}
)


async def check_url(
    url: str,
    *,
    keyword: str | None = None,
    forbidden_keyword: str | None = None,
    expected_status: str = "200-399",
    method: str = "GET",
    timeout: float = 10.0,
    follow_redirects: bool = True,
    inspect_tls: bool = True,
    allow_private: bool = False,
    headers: Mapping[str, str] | None = None,
    tls_context: ssl.SSLContext | None = None,
    resolver: AbstractResolver | None = None,
    exempt_networks: Iterable[IPNetwork] = (),
) -> tuple[ProbeOutcome, CertificateInfo | None]:
    """Check ``url`` once, and when it ends on https:// (or started there), read its certificate.

    Raises ``ValueError`` for a bad argument (URL, method, status spec, timeout), with a message
    for the user; everything the site or the network does is in the returned outcome.
    """
    request = ProbeRequest(
        url=url,
        method=method,
        headers=tuple((headers or {}).items()),
        connect_timeout=timeout,
        total_timeout=timeout,
        follow_redirects=follow_redirects,
        expected_status=expected_status,
        keyword=keyword,
        forbidden_keyword=forbidden_keyword,
    )
    context = tls_context or make_tls_context()
    networks = tuple(exempt_networks)
    outcome = await probe(
        request, tls_context=context, allow_private=allow_private, resolver=resolver, exempt_networks=networks
    )
    target = _https_target(outcome)
    if not inspect_tls or target is None or outcome.error_class in _NO_CERTIFICATE_AFTER:
        return outcome, None
    try:
        certificate = await inspect_certificate(
            target[0],
            target[1],
            tls_context=context,
            timeout=timeout,
            allow_private=allow_private,
            resolver=resolver,
            exempt_networks=networks,
        )
    except ProbeFailure:
        return outcome, None
    return outcome, certificate


def _https_target(outcome: ProbeOutcome) -> tuple[str, int] | None:
    """The host whose certificate matters: where the check ended, else where it began."""
    for url in (outcome.final_url, outcome.url):
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return parts.hostname, parts.port or 443
    return None


def format_outcome(outcome: ProbeOutcome, cert: CertificateInfo | None = None) -> str:
    """A few lines for a terminal: verdict, phases, redirects, certificate."""
    lines = [_verdict_line(outcome), f"  phases: {_phases_text(outcome.timings)}"]
    details = [f"peer {outcome.peer_ip}"] if outcome.peer_ip else []
    details.append(f"{outcome.bytes_read:,} bytes read" + (" (truncated)" if outcome.body_truncated else ""))
    lines.append("  " + ", ".join(details))
    if outcome.redirects:
        lines.append(f"  redirects ({len(outcome.redirects)}):")
        for number, hop in enumerate(outcome.redirects, start=1):
            lines.append(f"    {number}. {hop.status} {hop.url} -> {hop.location}")
        lines.append(f"    final: {outcome.final_url}")
    if cert is not None:
        lines.extend(_certificate_lines(cert))
    return "\n".join(lines)


def _verdict_line(outcome: ProbeOutcome) -> str:
    if outcome.ok:
        return f"UP    {outcome.url}: {outcome.message} in {outcome.timings.total_ms:.0f} ms"
    return f"DOWN  {outcome.url}: [{outcome.error_class.value}] {outcome.message}"


def _phases_text(timings: PhaseTimings) -> str:
    named = (
        ("DNS", timings.dns_ms),
        ("connect", timings.connect_ms),
        ("TLS", timings.tls_ms),
        ("first byte", timings.ttfb_ms),
        ("download", timings.download_ms),
        ("total", timings.total_ms),
    )
    return ", ".join(f"{name} {value:.1f} ms" for name, value in named if value is not None)


def _certificate_lines(cert: CertificateInfo) -> list[str]:
    trust = "verified" if cert.verified else f"NOT verified: {cert.verify_error} [{cert.verify_error_class}]"
    expiry = (
        f"expires in {cert.days_until_expiry} days"
        if cert.days_until_expiry >= 0
        else f"expired {-cert.days_until_expiry} days ago"
    )
    return [
        f"  certificate ({cert.protocol or 'TLS'}, {trust}):",
        f"    subject: {cert.subject}",
        f"    names:   {', '.join(cert.sans) or '(none)'}",
        f"    issuer:  {cert.issuer}",
        f"    valid:   {cert.not_before:%Y-%m-%d %H:%M} to {cert.not_after:%Y-%m-%d %H:%M} UTC ({expiry})",
        f"    serial:  {cert.serial}",
    ]


def outcome_to_json(outcome: ProbeOutcome, cert: CertificateInfo | None = None) -> dict[str, Any]:
    """Plain JSON types only: enums as their value, datetimes in ISO 8601 with their offset."""
    data = _plain(outcome)
    data["certificate"] = _plain(cert) if cert is not None else None
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    return value
