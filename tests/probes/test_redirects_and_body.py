"""Redirects are followed hop by hop and recorded; bodies are read up to the limit only."""

from __future__ import annotations

import asyncio
import tracemalloc

from aiohttp import web

from tests.probes.servers import Handler, http_server
from tests.probes.test_http_probe import page, run_probe
from veilleur.probes import ErrorClass, ProbeOutcome
from veilleur.probes.outcome import ONE_MIB


def redirect(status: int, location: str) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    return handler


def test_a_redirect_chain_is_recorded_hop_by_hop() -> None:
    def setup(app: web.Application) -> None:
        app.router.add_get("/old", redirect(301, "/moved?x=1"))
        app.router.add_get("/moved", redirect(302, "final#section"))
        app.router.add_get("/final", page("arrived"))

    async def scenario() -> tuple[int, ProbeOutcome]:
        async with http_server(setup) as port:
            return port, await run_probe(f"http://127.0.0.1:{port}/old", keyword="arrived")

    port, outcome = asyncio.run(scenario())
    base = f"http://127.0.0.1:{port}"
    assert outcome.ok, outcome.message
    assert [(hop.url, hop.status, hop.location) for hop in outcome.redirects] == [
        (f"{base}/old", 301, "/moved?x=1"),
        (f"{base}/moved?x=1", 302, "final#section"),
    ]
    assert outcome.final_url == f"{base}/final"
    assert all(hop.elapsed_ms > 0 for hop in outcome.redirects)
    assert outcome.timings.total_ms >= sum(hop.elapsed_ms for hop in outcome.redirects)


def test_a_redirect_loop_is_too_many_redirects() -> None:
    def setup(app: web.Application) -> None:
        app.router.add_get("/a", redirect(302, "/b"))
        app.router.add_get("/b", redirect(302, "/a"))

    async def scenario() -> ProbeOutcome:
        async with http_server(setup) as port:
            return await run_probe(f"http://127.0.0.1:{port}/a")

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.TOO_MANY_REDIRECTS
    assert outcome.message.startswith("redirect loop back to http://127.0.0.1:")
    assert len(outcome.redirects) == 2


def test_more_redirects_than_allowed_is_too_many_redirects() -> None:
    async def endless(request: web.Request) -> web.Response:
        step = int(request.match_info["step"])
        return web.Response(status=307, headers={"Location": f"/hop/{step + 1}"})

    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome]:
        async with http_server(lambda app: app.router.add_get("/hop/{step}", endless)) as port:
            url = f"http://127.0.0.1:{port}/hop/0"
            return await run_probe(url), await run_probe(url, max_redirects=2)

    default, strict = asyncio.run(scenario())
    assert default.error_class is ErrorClass.TOO_MANY_REDIRECTS
    assert default.message == "more than 10 redirects" and len(default.redirects) == 11
    assert strict.message == "more than 2 redirects" and len(strict.redirects) == 3


def test_without_following_the_redirect_status_is_judged() -> None:
    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome]:
        async with http_server(lambda app: app.router.add_get("/", redirect(301, "/elsewhere"))) as port:
            url = f"http://127.0.0.1:{port}/"
            return (
                await run_probe(url, follow_redirects=False),
                await run_probe(url, follow_redirects=False, expected_status="200"),
            )

    accepted, rejected = asyncio.run(scenario())
    assert accepted.ok and accepted.status == 301 and accepted.redirects == ()
    assert rejected.error_class is ErrorClass.HTTP_STATUS


def test_a_redirect_to_another_scheme_is_a_protocol_error() -> None:
    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", redirect(302, "ftp://files/x"))) as port:
            return await run_probe(f"http://127.0.0.1:{port}/")

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.PROTOCOL
    assert outcome.message == "redirect to an unsupported URL: ftp://files/x"


def test_a_post_redirected_with_303_continues_as_get_and_credentials_stay_home() -> None:
    seen: list[tuple[str, str | None]] = []

    async def landing(request: web.Request) -> web.Response:
        seen.append((request.method, request.headers.get("Authorization")))
        return web.Response(text="done")

    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_route("*", "/", landing)) as other_port:

            def setup(app: web.Application) -> None:
                app.router.add_post("/form", redirect(303, f"http://127.0.0.1:{other_port}/"))

            async with http_server(setup) as port:
                return await run_probe(
                    f"http://127.0.0.1:{port}/form", method="POST", headers=(("Authorization", "Basic eDp5"),)
                )

    outcome = asyncio.run(scenario())
    assert outcome.ok
    assert seen == [("GET", None)]


def huge_stream(sent: list[int], size: int = 50 * ONE_MIB) -> Handler:
    """Streams ``size`` bytes of filler, noting how many it managed to send."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        chunk = b"<p>Welcome</p>" + b"." * (64 * 1024 - 14)
        try:
            while sent[0] < size:
                await response.write(chunk)
                sent[0] += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the probe hung up, as it should
        return response

    return handler


def test_a_huge_body_is_read_only_up_to_the_limit() -> None:
    sent = [0]

    async def scenario() -> tuple[ProbeOutcome, ProbeOutcome, int]:
        async with http_server(lambda app: app.router.add_get("/", huge_stream(sent))) as port:
            url = f"http://127.0.0.1:{port}/"
            tracemalloc.start()
            try:
                found = await run_probe(url, keyword="Welcome", forbidden_keyword="Fatal")
                missing = await run_probe(url, keyword="Goodbye")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            return found, missing, peak

    found, missing, peak = asyncio.run(scenario())
    for outcome in (found, missing):
        assert outcome.bytes_read == ONE_MIB and outcome.body_truncated
    assert found.ok
    assert found.message == "HTTP 200 OK; keywords checked in the first 1 MiB only"
    assert missing.error_class is ErrorClass.KEYWORD
    assert missing.message == (
        'keyword "Goodbye" not found in the first 1 MiB of the response '
        "(it is longer; only that much is read)"
    )
    # Two probes together made the server push less than half of one 50 MiB body (what it did
    # send beyond 1 MiB sat in socket buffers): the probe hung up after the limit.
    assert sent[0] < 25 * ONE_MIB
    assert peak < 16 * ONE_MIB


def test_a_body_of_exactly_the_limit_is_not_truncated() -> None:
    async def scenario() -> ProbeOutcome:
        async with http_server(lambda app: app.router.add_get("/", page("a" * 1000))) as port:
            return await run_probe(f"http://127.0.0.1:{port}/", body_limit=1000, keyword="b")

    outcome = asyncio.run(scenario())
    assert outcome.bytes_read == 1000 and not outcome.body_truncated
    assert outcome.message == 'keyword "b" not found in the response'
