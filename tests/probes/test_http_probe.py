"""The HTTP probe against real aiohttp and raw socket servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver

from tests.probes.servers import (
    FailingResolver,
    Handler,
    StaticResolver,
    answer_garbage,
    close_after_request,
    closed_port,
    http_server,
    raw_server,
    reset_after_request,
)
from veilleur.probes import ErrorClass, ProbeOutcome, ProbeRequest, make_tls_context, probe

PLAIN_CONTEXT = make_tls_context()


async def run_probe(
    url: str,
    *,
    resolver: AbstractResolver | None = None,
    tls_context: ssl.SSLContext | None = None,
    **fields: Any,
) -> ProbeOutcome:
    """Probe with private targets allowed: these servers are on loopback on purpose."""
    fields.setdefault("total_timeout", 5.0)
    fields.setdefault("connect_timeout", min(5.0, fields["total_timeout"]))
    return await probe(
        ProbeRequest(url, **fields),
        tls_context=tls_context or PLAIN_CONTEXT,
        allow_private=True,
        resolver=resolver or StaticResolver({"site.test": ["127.0.0.1"]}),
    )


def page(text: str, status: int = 200) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html")

    return handler


def test_a_healthy_page_is_up_with_every_phase_timed() -> None:
    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", page("<h1>Bienvenue</h1>"))) as port:
            return await run_probe(f"http://site.test:{port}/", keyword="Bienvenue")

    outcome = asyncio.run(scenario())
    assert outcome.ok and outcome.error_class is ErrorClass.OK
    assert outcome.status == 200 and outcome.message == "HTTP 200 OK"
    assert outcome.peer_ip == "127.0.0.1"
    assert outcome.bytes_read == len("<h1>Bienvenue</h1>") and not outcome.body_truncated
    phases = outcome.timings
    assert phases.tls_ms is None  # plain http
    measured = [phases.dns_ms, phases.connect_ms, phases.ttfb_ms, phases.download_ms]
    assert all(value is not None and value > 0 for value in measured)
    assert sum(value for value in measured if value is not None) <= phases.total_ms


def test_an_unexpected_status_is_http_status_and_the_spec_decides() -> None:
    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome]:
        async with http_server(lambda app: app.router.add_get("/", page("oops", status=500))) as port:
            url = f"http://127.0.0.1:{port}/"
            return await run_probe(url), await run_probe(url, expected_status="500")

    failing, expected = asyncio.run(scenario())
    assert failing.error_class is ErrorClass.HTTP_STATUS and not failing.ok
    assert failing.status == 500
    assert failing.message == "HTTP 500 Internal Server Error (expected 200-399)"
    assert expected.ok


def test_a_server_slower_than_the_limit_is_a_timeout() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.Response(text="late")

    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", slow)) as port:
            return await run_probe(f"http://127.0.0.1:{port}/", total_timeout=0.3)

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.TIMEOUT
    assert outcome.message == "timed out waiting for the response (limit 0.3 s)"
    assert outcome.timings.connect_ms is not None and outcome.timings.ttfb_ms is None


def test_a_tls_handshake_that_never_ends_is_a_connect_timeout() -> None:
    async def scenario() -> ProbeOutcome:
        async def silent(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(30)

        async with raw_server(silent) as server:
            return await run_probe(f"https://127.0.0.1:{server.port}/", connect_timeout=0.3)

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.TIMEOUT
    assert outcome.message == "timed out during the TLS handshake (connect limit 0.3 s)"


def test_a_connection_reset_is_reset() -> None:
    async def scenario() -> ProbeOutcome:
        async with raw_server(reset_after_request) as server:
            return await run_probe(f"http://127.0.0.1:{server.port}/")

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.RESET, outcome.message


def test_a_connection_closed_without_an_answer_is_reset() -> None:
    async def scenario() -> ProbeOutcome:
        async with raw_server(close_after_request) as server:
            return await run_probe(f"http://127.0.0.1:{server.port}/")

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.RESET
    assert outcome.message == "the server closed the connection without answering"


def test_a_closed_port_is_refused() -> None:
    outcome = asyncio.run(run_probe(f"http://127.0.0.1:{closed_port()}/"))
    assert outcome.error_class is ErrorClass.REFUSED
    assert outcome.message == "connection refused"
    assert outcome.status is None and outcome.timings.ttfb_ms is None


def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    async def scenario() -> ProbeOutcome:
        async with raw_server(answer_garbage) as server:
            return await run_probe(f"http://127.0.0.1:{server.port}/")

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.PROTOCOL
    assert outcome.message.startswith("malformed HTTP response")


def test_an_unknown_name_is_a_dns_error_without_asking_any_dns_server() -> None:
    resolver = FailingResolver()
    outcome = asyncio.run(run_probe("http://nowhere.invalid/", resolver=resolver))
    assert resolver.calls == ["nowhere.invalid"]
    assert outcome.error_class is ErrorClass.DNS
    assert outcome.message == "could not resolve the host name (Name or service not known)"


def test_keywords_required_and_forbidden() -> None:
    async def scenario() -> list[ProbeOutcome]:
        body = "<p>Fatal error: database unavailable</p>"
        async with http_server(lambda app: app.router.add_get("/", page(body))) as port:
            url = f"http://127.0.0.1:{port}/"
            return [
                await run_probe(url, keyword="Welcome"),
                await run_probe(url, forbidden_keyword="Fatal error"),
                await run_probe(url, keyword="database", forbidden_keyword="Maintenance"),
            ]

    missing, forbidden, fine = asyncio.run(scenario())
    assert missing.error_class is ErrorClass.KEYWORD
    assert missing.message == 'keyword "Welcome" not found in the response'
    assert missing.status == 200
    assert forbidden.error_class is ErrorClass.FORBIDDEN_KEYWORD
    assert forbidden.message == 'forbidden keyword "Fatal error" found'
    assert fine.ok


def test_keywords_are_matched_in_the_declared_charset_and_after_decompression() -> None:
    async def latin(_request: web.Request) -> web.Response:
        return web.Response(body="Café fermé".encode("latin-1"), content_type="text/html", charset="latin-1")

    async def gzipped(_request: web.Request) -> web.Response:
        response = web.Response(body=gzip.compress(b"<p>compressed hello</p>"), content_type="text/html")
        response.headers["Content-Encoding"] = "gzip"
        return response

    def setup(app: web.Application) -> None:
        app.router.add_get("/latin", latin)
        app.router.add_get("/gzip", gzipped)

    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome]:
        async with http_server(setup) as port:
            base = f"http://127.0.0.1:{port}"
            return (
                await run_probe(f"{base}/latin", keyword="fermé"),
                await run_probe(f"{base}/gzip", keyword="compressed hello"),
            )

    latin_outcome, gzip_outcome = asyncio.run(scenario())
    assert latin_outcome.ok, latin_outcome.message
    assert gzip_outcome.ok and gzip_outcome.bytes_read == len(b"<p>compressed hello</p>")


def test_a_head_request_reads_no_body() -> None:
    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", page("x" * 5000))) as port:
            return await run_probe(f"http://127.0.0.1:{port}/", method="HEAD")

    outcome = asyncio.run(scenario())
    assert outcome.ok and outcome.bytes_read == 0
