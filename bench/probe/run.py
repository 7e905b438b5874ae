"""CPU cost of fresh HTTPS checks: the Veilleur probe against bare aiohttp, same run.

A small aiohttp HTTPS server (certificate from a throwaway trustme CA) runs in a child process
on 127.0.0.1, so its CPU is not counted. The parent makes ``--checks`` requests per variant,
every one on a new connection (DNS skipped: the URL is an IP literal, as the certificate allows),
with ``--concurrency`` in flight, the variants interleaved over ``--rounds`` rounds so that
machine noise falls on all of them alike. Reported: CPU seconds (user + system, this process
only) per 1,000 checks, and the ratio to the bare-aiohttp baseline.

    .venv/bin/python bench/probe/run.py [--checks 1000] [--concurrency 10] [--rounds 4]

Variants:
- bare aiohttp, new connector: ClientSession + TCPConnector per request (the baseline);
- bare aiohttp, shared force_close connector: one session for all, no connection reuse;
- probe: veilleur.probes.probe() with its guarded resolver, socket factory, trace hooks,
  redirect loop and bounded body read, on a session of its own (``veilleur check``'s way);
- probe, shared session: the same with one ``ProbeSession`` for every check (the checker's way;
  every check still opens a new connection).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import ssl
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import trustme
from aiohttp import web

from veilleur.probes import ProbeRequest, ProbeSession, make_tls_context, probe

BODY = b"<html><body><h1>Bienvenue</h1>" + b"." * 2000 + b"</body></html>"
Check = Callable[[], Awaitable[None]]


def serve(cert_file: str, key_file: str, ready: multiprocessing.Queue[int]) -> None:
    """The server child: HTTPS on an ephemeral port, until the parent terminates it."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="text/html")

    async def main() -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        app = web.Application()
        app.router.add_get("/", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context, backlog=1024).start()
        ready.put(runner.addresses[0][1])
        await asyncio.sleep(3600)

    asyncio.run(main())


def variants(
    url: str, context: ssl.SSLContext, shared: aiohttp.ClientSession, probe_session: ProbeSession
) -> dict[str, Check]:
    async def bare_new_connector() -> None:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session,
            session.get(url) as response,
        ):
            await response.read()
            assert response.status == 200

    async def bare_shared_force_close() -> None:
        async with shared.get(url) as response:
            await response.read()
            assert response.status == 200

    request = ProbeRequest(url, keyword="Bienvenue", total_timeout=10, connect_timeout=10)

    async def veilleur_probe() -> None:
        outcome = await probe(request, tls_context=context, allow_private=True)
        assert outcome.ok, outcome.message

    async def veilleur_probe_shared() -> None:
        outcome = await probe(request, tls_context=context, allow_private=True, session=probe_session)
        assert outcome.ok, outcome.message

    return {
        "bare aiohttp, new connector per check": bare_new_connector,
        "bare aiohttp, shared force_close connector": bare_shared_force_close,
        "veilleur probe (session of its own)": veilleur_probe,
        "veilleur probe (shared session)": veilleur_probe_shared,
    }


async def cpu_seconds(check: Check, count: int, concurrency: int) -> float:
    """Process CPU spent running ``count`` checks with ``concurrency`` in flight."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            await check()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.process_time() - started


async def measure(url: str, ca_file: str, checks: int, concurrency: int, rounds: int) -> dict[str, float]:
    context = make_tls_context(ca_file)
    connector = aiohttp.TCPConnector(ssl=context, force_close=True)
    probe_session = ProbeSession()
    async with aiohttp.ClientSession(connector=connector) as shared:
        found = variants(url, context, shared, probe_session)
        totals = dict.fromkeys(found, 0.0)
        for check in found.values():  # warm-up: imports, first contexts, caches
            await cpu_seconds(check, 20, concurrency)
        per_round = max(1, checks // rounds)
        for _ in range(rounds):
            for name, check in found.items():
                totals[name] += await cpu_seconds(check, per_round, concurrency)
    await probe_session.close()
    return {name: total * 1000 / (per_round * rounds) for name, total in totals.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1000, help="checks per variant (default 1000)")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        ca_file, cert_file, key_file = (str(Path(directory) / name) for name in ("ca", "cert", "key"))
        ca.cert_pem.write_to_path(ca_file)
        leaf.cert_chain_pems[0].write_to_path(cert_file)
        leaf.private_key_pem.write_to_path(key_file)

        ready: multiprocessing.Queue[int] = multiprocessing.Queue()
        server = multiprocessing.Process(target=serve, args=(cert_file, key_file, ready), daemon=True)
        server.start()
        try:
            port = ready.get(timeout=30)
            url = f"https://127.0.0.1:{port}/"
            results = asyncio.run(measure(url, ca_file, args.checks, args.concurrency, args.rounds))
        finally:
            server.terminate()
            server.join(5)

    baseline = results["bare aiohttp, new connector per check"]
    print(f"{args.checks} fresh HTTPS checks per variant, {args.concurrency} in flight, {args.rounds} rounds")
    print(f"Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}, OpenSSL {ssl.OPENSSL_VERSION}")
    print()
    print("| variant | CPU s per 1,000 checks | ratio to bare aiohttp |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} | {seconds / baseline:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
