"""The worker's degraded-performance job at 1,000 Premium monitors: the time of one run.

In a fresh data directory (a temporary directory; with ``--database-url``, the PostgreSQL database
``veilleur_bench_degraded`` is created on that server and dropped at the end) this script migrates,
creates one agency with 1,000 monitors on the Premium plan (checks every 30 s), and stores for
each the last hour and a quarter of raw regular checks (what the job reads: its one-hour look-back
plus the 15-minute window of the baseline rule) and 14 days of daily rollups (the baseline). One
monitor in ten is slow for its last ten minutes. It then times the first run of
``evaluate_degraded_performance`` (it reads 100 baselines and opens the slowdowns it can judge),
the reading of one monitor's baseline (the rest are read here, as the next runs of a day would),
and ``--repeat`` runs once every baseline is known, with the share of one core that a run every
30 s takes.

    .venv/bin/python bench/degraded/run.py [--monitors 1000] [--repeat 5]
        [--database-url postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

BENCH_DB = "veilleur_bench_degraded"
INTERVAL_SECONDS = 30
RAW_SPAN = timedelta(minutes=75)
SLOW_SPAN = timedelta(minutes=10)
BASELINE_DAYS = 14
SEED = 20261204


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (127.0.0.1) to create the bench database on"
    )
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1 or args.monitors < 1:
        parser.error("--repeat and --monitors must be at least 1")
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-degraded-") as data_dir:
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ["VEILLEUR_LOG_LEVEL"] = "WARNING"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
        if args.database_url:
            server = urlsplit(args.database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            _admin(args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            _admin(args.database_url, f"CREATE DATABASE {BENCH_DB}")
            os.environ["DATABASE_URL"] = server._replace(path="/" + BENCH_DB).geturl()
            try:
                run("PostgreSQL", args.monitors, args.repeat)
            finally:
                _close()
                _admin(args.database_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        else:
            os.environ.pop("DATABASE_URL", None)
            try:
                run("SQLite", args.monitors, args.repeat)
            finally:
                _close()


def _admin(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(statement)


def _close() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def run(backend: str, monitors: int, repeat: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from veilleur.incidents.degraded import evaluate_degraded_performance
    from veilleur.incidents.models import Incident

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC).replace(microsecond=0)
    began = time.perf_counter()
    raw = build(monitors, now)
    print(
        f"{backend}: {monitors} monitors, {raw:,} raw checks written in {time.perf_counter() - began:.1f} s"
    )

    def timed() -> float:
        start = time.perf_counter()
        evaluate_degraded_performance(now)
        return time.perf_counter() - start

    first = timed()
    # What the first runs of a day share out, 100 monitors a run: every monitor's 14 days of rollups.
    from veilleur.incidents.degraded import usual_p95
    from veilleur.monitoring.models import Monitor

    start = time.perf_counter()
    for monitor_id in Monitor.objects.values_list("pk", flat=True):
        usual_p95(monitor_id, now.date())
    per_baseline = (time.perf_counter() - start) / monitors
    later = [timed() for _ in range(repeat)]
    median = statistics.median(later)
    opened = Incident.objects.filter(kind=Incident.Kind.DEGRADED, resolved_at__isnull=True).count()
    print(f"open slowdowns: {opened} ({monitors // 10} monitors made slow)")
    print("| step | seconds | share of one core at one run per 30 s |")
    print("|---|---:|---:|")
    print(f"| first run (100 baselines read, slowdowns opened) | {first:.2f} s | — |")
    print(f"| one monitor's baseline (14 days of rollups) | {per_baseline * 1000:.1f} ms | — |")
    print(f"| a run once every baseline is read, median of {repeat} | {median:.2f} s | {median / 30:.0%} |")


def build(monitors: int, now: datetime) -> int:
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.domain.histogram import LatencyHistogram
    from veilleur.domain.rollups import HourRollup, pack_day
    from veilleur.history.models import RollupDay
    from veilleur.monitoring.models import CheckResult, Monitor
    from veilleur.plans.models import Plan

    rng = random.Random(SEED)
    agency = create_agency(key="bench", name="Bench")
    premium = Plan.objects.get(agency=agency, key="premium")
    raw = 0
    per_client = 10
    for first in range(0, monitors, per_client):
        client = Client.objects.create(agency=agency, key=f"c{first}", name=f"Client {first}", plan=premium)
        for n in range(first, min(first + per_client, monitors)):
            site = Site.objects.create(
                client=client, key=f"s{n}", name=f"Site {n}", url=f"https://s{n}.example/"
            )
            monitor = Monitor.objects.create(site=site, key="home", url=f"https://s{n}.example/")
            median_ms = rng.uniform(80, 600)
            slow = n % 10 == 0
            rows = []
            at = now - RAW_SPAN
            while at < now:
                total = int(rng.lognormvariate(0, 0.3) * median_ms)
                if slow and at >= now - SLOW_SPAN:
                    total *= 4
                rows.append(
                    CheckResult(monitor=monitor, checked_at=at, ok=rng.random() > 0.004, total_ms=total)
                )
                at += timedelta(seconds=INTERVAL_SECONDS)
            CheckResult.objects.bulk_create(rows)
            raw += len(rows)
            # A usual day (the same for each of the 14: the baseline only needs its histogram).
            usual = LatencyHistogram.of(int(rng.lognormvariate(0, 0.3) * median_ms) for _ in range(120))
            packed = pack_day({hour: HourRollup(latency=usual) for hour in range(24)})
            days = [
                RollupDay(monitor=monitor, day=now.date() - timedelta(days=back), hours=packed)
                for back in range(1, BASELINE_DAYS + 1)
            ]
            RollupDay.objects.bulk_create(days)
    return raw


if __name__ == "__main__":
    main()
