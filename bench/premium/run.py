"""CPU cost of Premium monitoring in the checker: each variant against plain checks, same run.

A small aiohttp HTTPS server (certificate from a throwaway trustme CA) runs in a child process on
127.0.0.1, so its CPU is not counted. The parent plays the checker's probing side for
``--monitors`` Premium monitors (one check spec each, a distinct URL per monitor): the checker's
``HttpProber`` turns each spec into a probe and the probe's outcome into the observation the
recorder stores. Every check opens a new connection (TCP + TLS every time, as the checker does),
``--concurrency`` in flight; each of ``--rounds`` rounds checks every monitor once per variant,
the variants taking turns every ``--chunk`` checks so that machine noise falls on all of them
alike. Reported: CPU seconds (user + system, this process only) per 1,000 checks, and the ratio
to plain checks.

    .venv/bin/python bench/premium/run.py [--monitors 1000] [--concurrency 10] [--rounds 4] [--chunk 50]

Variants (add one per Premium feature that runs inside the regular check):
- plain checks: the plan without certificate monitoring;
- certificate fingerprint: ``watch_certificate`` on, the served leaf's SHA-256 noted per check.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import ssl
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import django
import trustme
from aiohttp import web

BODY = b"<html><body><h1>Bienvenue</h1>" + b"." * 2000 + b"</body></html>"
Check = Callable[[int], Awaitable[None]]


def serve(cert_file: str, key_file: str, ready: multiprocessing.Queue[int]) -> None:
    """The server child: HTTPS on an ephemeral port, until the parent terminates it."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="text/html")

    async def main() -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        app = web.Application()
        app.router.add_get("/{tail:.*}", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context, backlog=1024).start()
        ready.put(runner.addresses[0][1])
        await asyncio.sleep(3600)

    asyncio.run(main())


def variants(port: int, ca_file: str, monitors: int) -> dict[str, Check]:
    from veilleur.checker.probing import HttpProber
    from veilleur.checker.work import CheckSpec
    from veilleur.probes import make_tls_context

    prober = HttpProber(tls_context=make_tls_context(ca_file), allow_private=True)
    plain = [
        CheckSpec(
            url=f"https://127.0.0.1:{port}/monitor/{number}",
            method="GET",
            headers={},
            expected_status="200-399",
            keyword="Bienvenue",
            forbidden_keyword="",
            timeout_seconds=10,
            follow_redirects=True,
        )
        for number in range(monitors)
    ]
    watched = [replace(spec, watch_certificate=True) for spec in plain]

    def checking(specs: list[CheckSpec], wants_fingerprint: bool) -> Check:
        async def check(number: int) -> None:
            seen = await prober(specs[number % len(specs)])
            assert seen.ok, seen.message
            assert bool(seen.certificate_sha256) is wants_fingerprint

        return check

    return {
        "plain checks": checking(plain, False),
        "certificate fingerprint (SSL monitoring)": checking(watched, True),
    }


async def cpu_seconds(check: Check, first: int, count: int, concurrency: int) -> float:
    """Process CPU spent checking monitors ``first`` to ``first + count``, ``concurrency`` in flight."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(number: int) -> None:
        async with semaphore:
            await check(number)

    started = time.process_time()
    await asyncio.gather(*(one(first + offset) for offset in range(count)))
    return time.process_time() - started


async def measure(
    port: int, ca_file: str, monitors: int, concurrency: int, rounds: int, chunk: int
) -> dict[str, float]:
    found = variants(port, ca_file, monitors)
    totals = dict.fromkeys(found, 0.0)
    for check in found.values():  # warm-up: imports, first contexts, caches
        await cpu_seconds(check, 0, 20, concurrency)
    names = list(found)
    for round_number in range(rounds):
        for first in range(0, monitors, chunk):
            count = min(chunk, monitors - first)
            turn = names if (round_number + first // chunk) % 2 == 0 else names[::-1]
            for name in turn:
                totals[name] += await cpu_seconds(found[name], first, count, concurrency)
    return {name: total * 1000 / (monitors * rounds) for name, total in totals.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--monitors", type=int, default=1000, help="Premium monitors (default 1000)")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=50, help="checks per turn of a variant")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    django.setup()

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
            results = asyncio.run(
                measure(port, ca_file, args.monitors, args.concurrency, args.rounds, args.chunk)
            )
        finally:
            server.terminate()
            server.join(5)

    baseline = results["plain checks"]
    print(f"{args.monitors} Premium monitors, each checked once per variant and round (fresh HTTPS),")
    print(f"{args.concurrency} in flight, {args.rounds} rounds; Python {sys.version.split()[0]}")
    print(ssl.OPENSSL_VERSION)
    print()
    print("| variant | CPU s per 1,000 checks | ratio to plain checks |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} | {seconds / baseline:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
