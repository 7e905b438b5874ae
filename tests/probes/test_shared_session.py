"""Checks that share one aiohttp session (the checker's way) stay first visits, each its own:
new TCP and TLS connection every time, its own guard, cookies and certificate."""

from __future__ import annotations

import asyncio
import hashlib
import ssl

from aiohttp import web

from tests.probes.conftest import Pki
from tests.probes.servers import StaticResolver, http_server
from veilleur.probes import ErrorClass, ProbeOutcome, ProbeRequest, ProbeSession, probe

RESOLVER = StaticResolver({"localhost": ["127.0.0.1"]})


def test_checks_sharing_a_session_each_open_a_new_tls_connection(pki: Pki) -> None:
    seen: list[tuple[int, bool]] = []  # (client port, TLS session resumed) per request

    async def page(request: web.Request) -> web.Response:
        transport = request.transport
        assert transport is not None
        ssl_object = transport.get_extra_info("ssl_object")
        seen.append((transport.get_extra_info("peername")[1], ssl_object.session_reused))
        return web.Response(text="<h1>Bienvenue</h1>", content_type="text/html")

    async def scenario() -> tuple[list[ProbeOutcome], str]:
        shared = ProbeSession()
        async with http_server(lambda app: app.router.add_get("/", page), ssl_context=pki.good) as port:
            request = ProbeRequest(
                f"https://localhost:{port}/",
                keyword="Bienvenue",
                capture_certificate=True,
                total_timeout=5,
                connect_timeout=5,
            )

            def one() -> asyncio.Task[ProbeOutcome]:
                return asyncio.ensure_future(
                    probe(
                        request,
                        tls_context=pki.client_context,
                        allow_private=True,
                        resolver=RESOLVER,
                        session=shared,
                    )
                )

            outcomes = list(await asyncio.gather(*(one() for _ in range(5))))
            for _ in range(3):
                outcomes.append(await one())
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=pki.client_context, server_hostname="localhost"
            )
            served = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
            writer.close()
        await shared.close()
        return outcomes, hashlib.sha256(served).hexdigest().upper()

    outcomes, fingerprint = asyncio.run(scenario())
    assert all(outcome.ok for outcome in outcomes), [o.message for o in outcomes]
    assert len(seen) == 8  # the fingerprint's own connection sends no request
    assert len({port for port, _ in seen}) == 8, "a connection was reused"
    assert not any(resumed for _, resumed in seen), "a TLS session was resumed"
    for outcome in outcomes:
        timings = outcome.timings
        assert timings.dns_ms is not None and timings.connect_ms is not None and timings.tls_ms is not None
        assert timings.ttfb_ms is not None and timings.total_ms is not None
        assert outcome.peer_ip == "127.0.0.1"
        assert outcome.certificate_sha256 == fingerprint


def test_a_cookie_set_on_a_redirect_follows_that_check_and_no_other() -> None:
    async def start(_request: web.Request) -> web.Response:
        response = web.Response(status=302, headers={"Location": "/landing"})
        response.set_cookie("visit", "first")
        return response

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=f"cookie={request.cookies.get('visit', 'none')}", content_type="text/html")

    def setup(app: web.Application) -> None:
        app.router.add_get("/start", start)
        app.router.add_get("/landing", landing)

    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome]:
        shared = ProbeSession()
        async with http_server(setup) as port:
            resolver = StaticResolver({"site.test": ["127.0.0.1"]})

            async def check(path: str, keyword: str) -> ProbeOutcome:
                return await probe(
                    ProbeRequest(
                        f"http://site.test:{port}{path}", keyword=keyword, total_timeout=5, connect_timeout=5
                    ),
                    tls_context=ssl.create_default_context(),
                    allow_private=True,
                    resolver=resolver,
                    session=shared,
                )

            through_redirect = await check("/start", "cookie=first")
            next_check = await check("/landing", "cookie=none")
        await shared.close()
        return through_redirect, next_check

    through_redirect, next_check = asyncio.run(scenario())
    assert through_redirect.ok, through_redirect.message
    assert [hop.status for hop in through_redirect.redirects] == [302]
    assert next_check.ok, next_check.message


def test_each_check_keeps_its_own_address_guard_on_a_shared_session() -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def scenario() -> list[ProbeOutcome]:
        shared = ProbeSession()
        async with http_server(lambda app: app.router.add_get("/", page)) as port:
            resolver = StaticResolver({"site.test": ["127.0.0.1"]})
            request = ProbeRequest(f"http://site.test:{port}/", total_timeout=5, connect_timeout=5)
            outcomes = await asyncio.gather(
                *(
                    probe(
                        request,
                        tls_context=ssl.create_default_context(),
                        allow_private=allowed,
                        resolver=resolver,
                        session=shared,
                    )
                    for allowed in (True, False, True, False)
                )
            )
        await shared.close()
        return list(outcomes)

    outcomes = asyncio.run(scenario())
    assert [outcome.ok for outcome in outcomes] == [True, False, True, False]
    assert outcomes[1].error_class is ErrorClass.BLOCKED_ADDRESS, outcomes[1]
    assert outcomes[3].error_class is ErrorClass.BLOCKED_ADDRESS


def test_a_session_used_again_in_another_event_loop_starts_over() -> None:
    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    shared = ProbeSession()

    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", page)) as port:
            return await probe(
                ProbeRequest(f"http://site.test:{port}/", total_timeout=5, connect_timeout=5),
                tls_context=ssl.create_default_context(),
                allow_private=True,
                resolver=StaticResolver({"site.test": ["127.0.0.1"]}),
                session=shared,
            )

    first = asyncio.run(scenario())
    second = asyncio.run(scenario())  # the first loop has ended, and its session with it
    asyncio.run(shared.close())
    assert first.ok and second.ok, (first.message, second.message)
