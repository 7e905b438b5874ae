"""What the metrics cost: the checker's per-check counting against a check, and a scrape of
``/metrics`` on a database with many monitors.

1. Counting: ``count_check`` (one counter increment and one histogram observation, what the
   checker adds to each check) called ``--calls`` times with outcomes and lateness drawn like a
   real mix, CPU time per call (``time.process_time``).
2. A check: ``HttpProber`` (what the checker runs per check) against a plain HTTP server on
   127.0.0.1 that runs in a child process (so only the checker's side is counted), ``--checks``
   checks one after the other, CPU time per check. The probe alone is less than the checker's
   whole work per check (leasing and storing come on top), so the ratio is an upper bound.
3. A scrape: the database's gauges (``DatabaseCollector``) read on a fresh SQLite database
   holding ``--monitors`` monitors, a tenth of them overdue and a third leased; median of
   ``--scrapes`` scrapes, wall time.

    .venv/bin/python bench/operations/run.py [--calls 1000000] [--checks 2000] [--monitors 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_django(data_dir: str) -> None:
    os.environ["VEILLEUR_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "veilleur.settings"
    import django

    django.setup()


def counting_cost(calls: int) -> float:
    from veilleur.operations.metrics import count_check

    rng = random.Random(1)
    outcomes = [
        "" if rng.random() < 0.99 else rng.choice(["timeout", "refused", "http_status"]) for _ in range(1000)
    ]
    lateness = [rng.expovariate(50) for _ in range(1000)]
    started = time.process_time()
    for n in range(calls):
        count_check(outcomes[n % 1000], lateness[n % 1000])
    return (time.process_time() - started) / calls


def check_cost(checks: int) -> float:
    from veilleur.checker.probing import HttpProber
    from veilleur.checker.work import CheckSpec

    port = free_port()
    folder = tempfile.mkdtemp(prefix="veilleur-bench-site-")
    Path(folder, "index.html").write_text("<!doctype html><title>ok</title>" + "x" * 2000)
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        prober = HttpProber(allow_private=True)
        spec = CheckSpec(
            url=f"http://127.0.0.1:{port}/",
            method="GET",
            headers={},
            expected_status="200-399",
            keyword="",
            forbidden_keyword="",
            timeout_seconds=10,
            follow_redirects=True,
        )

        async def run() -> float:
            for _ in range(20):  # warm up
                await prober(spec)
            started = time.process_time()
            for _ in range(checks):
                observation = await prober(spec)
                assert observation.ok, observation
            return (time.process_time() - started) / checks

        return asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=10)


def scrape_time(monitors: int, scrapes: int) -> float:
    from django.db import transaction
    from prometheus_client import generate_latest

    from veilleur.accounts.provisioning import create_agency, prepare_database
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor, MonitorRuntime
    from veilleur.operations.metrics import database_registry
    from veilleur.plans.models import Plan

    prepare_database()
    agency = create_agency(key="bench", name="Bench")
    plan = Plan.objects.get(agency=agency, key="standard")
    now = datetime.now(UTC)
    with transaction.atomic():
        client = Client.objects.create(agency=agency, key="c", name="Client", plan=plan)
        site = Site.objects.create(client=client, key="www", name="Site", url="http://127.0.0.1:9/")
        created = Monitor.objects.bulk_create(
            [
                Monitor(agency=agency, site=site, key=f"m{n}", url=f"http://127.0.0.1:9/{n}")
                for n in range(monitors)
            ],
            batch_size=2000,
        )
        runtimes = []
        for n, monitor in enumerate(created):
            due = now - timedelta(minutes=10) if n % 10 == 0 else now + timedelta(seconds=n % 60)
            leased = n % 3 == 0
            runtimes.append(
                MonitorRuntime(
                    monitor=monitor,
                    due_at=due,
                    next_slot_at=due,
                    lease_owner=f"checker-{n % 2}:1" if leased else "",
                    lease_expires_at=now + timedelta(hours=1) if leased else None,
                )
            )
        MonitorRuntime.objects.bulk_create(runtimes, batch_size=2000)
    registry = database_registry()
    times = []
    for _ in range(scrapes):
        started = time.perf_counter()
        generate_latest(registry)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-ops-") as data_dir:
        setup_django(data_dir)
        counting = counting_cost(args.calls)
        check = check_cost(args.checks)
        scrape = scrape_time(args.monitors, args.scrapes)
    print(f"count_check: {counting * 1e6:.2f} µs CPU per check ({args.calls:,} calls)")
    print(f"HTTP probe on loopback: {check * 1e6:.0f} µs CPU per check ({args.checks:,} checks)")
    print(f"counting / probe: {counting / check:.2%}")
    print(f"/metrics database gauges, {args.monitors:,} monitors on SQLite: {scrape * 1000:.1f} ms (median)")


if __name__ == "__main__":
    main()
