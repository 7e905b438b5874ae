"""``check_url`` and how its result reads as text and as JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from aiohttp import web

from tests.probes.conftest import Pki
from tests.probes.servers import StaticResolver, closed_port, http_server
from tests.probes.test_http_probe import page
from veilleur.probes import (
    CertificateInfo,
    ErrorClass,
    PhaseTimings,
    ProbeOutcome,
    RedirectHop,
    check_url,
    format_outcome,
    outcome_to_json,
)


def site(app: web.Application) -> None:
    async def old(_request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": "/home"})

    app.router.add_get("/", old)
    app.router.add_get("/home", page("Bonjour"))


def test_check_url_runs_the_probe_and_reads_the_certificate(pki: Pki) -> None:
    async def scenario() -> tuple[ProbeOutcome, CertificateInfo | None]:
        async with http_server(site, ssl_context=pki.good) as port:
            return await check_url(
                f"https://localhost:{port}/",
                keyword="Bonjour",
                timeout=3.0,
                allow_private=True,
                tls_context=pki.client_context,
                resolver=StaticResolver({"localhost": ["127.0.0.1"]}),
            )

    outcome, cert = asyncio.run(scenario())
    assert outcome.ok and len(outcome.redirects) == 1
    assert cert is not None and cert.verified and cert.subject_cn == "localhost"

    text = format_outcome(outcome, cert)
    assert text.startswith(f"UP    {outcome.url}: HTTP 200 OK in ")
    assert "phases: DNS " in text and ", TLS " in text and ", first byte " in text
    assert f"    1. 301 {outcome.url} -> /home" in text
    assert "  certificate (TLSv1.3, verified):" in text

    data = outcome_to_json(outcome, cert)
    assert json.loads(json.dumps(data)) == data
    assert data["error_class"] == "ok" and data["status"] == 200
    assert data["redirects"][0]["status"] == 301
    assert data["certificate"]["verified"] is True
    assert datetime.fromisoformat(data["certificate"]["not_after"]).tzinfo is not None


def test_check_url_skips_the_certificate_for_plain_http_and_when_asked() -> None:
    async def scenario() -> list[tuple[ProbeOutcome, CertificateInfo | None]]:
        async with http_server(site) as port:
            url = f"http://127.0.0.1:{port}/"
            return [
                await check_url(url, allow_private=True, timeout=3.0),
                await check_url(f"http://127.0.0.1:{closed_port()}/", allow_private=True, inspect_tls=False),
            ]

    (up, no_cert), (down, none_either) = asyncio.run(scenario())
    assert up.ok and no_cert is None
    assert down.error_class is ErrorClass.REFUSED and none_either is None
    assert format_outcome(down).startswith(f"DOWN  {down.url}: [refused] connection refused")


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("ftp://example.com/", {}),
        ("https://", {}),
        ("https://example.com/", {"expected_status": "2xx"}),
        ("https://example.com/", {"method": "BREW"}),
        ("https://example.com/", {"timeout": 0}),
        ("https://example.com/", {"keyword": ""}),
    ],
)
def test_check_url_rejects_bad_arguments_before_any_traffic(url: str, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        asyncio.run(check_url(url, **options))  # type: ignore[arg-type]


def test_an_invalid_certificate_is_shown_with_its_reason() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    outcome = ProbeOutcome(
        ok=False,
        error_class=ErrorClass.TLS_EXPIRED,
        message="TLS certificate has expired (certificate has expired)",
        url="https://shop.example/",
        final_url="https://shop.example/",
        checked_at=now,
        redirects=(RedirectHop("http://shop.example/", 301, "https://shop.example/", 12.0),),
        timings=PhaseTimings(dns_ms=1.5, connect_ms=2.25, total_ms=9.0),
        peer_ip="203.0.113.7",
    )
    cert = CertificateInfo(
        host="shop.example",
        port=443,
        peer_ip="203.0.113.7",
        subject="CN=shop.example",
        subject_cn="shop.example",
        sans=("shop.example", "www.shop.example"),
        issuer="CN=Example CA,O=Example",
        issuer_cn="Example CA",
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        not_after=datetime(2026, 2, 1, tzinfo=UTC),
        serial="1A2B",
        fingerprint_sha256="AB" * 32,
        verified=False,
        verify_error="certificate has expired",
        verify_error_class=ErrorClass.TLS_EXPIRED,
        protocol="TLSv1.2",
        days_until_expiry=-28,
        checked_at=now,
    )
    assert format_outcome(outcome, cert).splitlines() == [
        "DOWN  https://shop.example/: [tls_expired] TLS certificate has expired (certificate has expired)",
        "  phases: DNS 1.5 ms, connect 2.2 ms, total 9.0 ms",
        "  peer 203.0.113.7, 0 bytes read",
        "  redirects (1):",
        "    1. 301 http://shop.example/ -> https://shop.example/",
        "    final: https://shop.example/",
        "  certificate (TLSv1.2, NOT verified: certificate has expired [tls_expired]):",
        "    subject: CN=shop.example",
        "    names:   shop.example, www.shop.example",
        "    issuer:  CN=Example CA,O=Example",
        "    valid:   2025-01-01 00:00 to 2026-02-01 00:00 UTC (expired 28 days ago)",
        "    serial:  1A2B",
    ]
    assert outcome_to_json(outcome, cert)["certificate"]["verify_error_class"] == "tls_expired"
