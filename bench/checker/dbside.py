"""The checker's database side alone, in-process: CPU per leased and per recorded check.

Creates a fresh database (SQLite in a temporary directory, or the PostgreSQL database
``veilleur_bench_checker_db``, dropped at the end) with ``--monitors`` monitors at 30 s, then
steps a simulated clock through ``--cycles`` intervals: at each step, ``lease_due`` leases what
is due and ``record_batch`` records an ``ok`` observation for each, in batches like the
checker's writer. Reported: this process's CPU (``time.process_time``) per 1,000 checks for
leasing and for recording, and the wall time of one batch. ``--profile FILE`` writes a cProfile
of the whole run. No network.

    .venv/bin/python bench/checker/dbside.py [--monitors 5000] [--cycles 3] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PG_SERVER = "postgres://root@127.0.0.1:5432"
PG_DATABASE = "veilleur_bench_checker_db"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=5000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="veilleur-bench-dbside-"))
    os.environ["VEILLEUR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "veilleur.settings"
    os.environ.pop("DATABASE_URL", None)
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    try:
        run(args)
    finally:
        if args.database == "postgres":
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from veilleur.accounts.provisioning import create_agency
    from veilleur.checker.leases import ensure_runtimes, lease_due
    from veilleur.checker.maintenance import MaintenanceCalendar
    from veilleur.checker.recorder import record_batch
    from veilleur.checker.work import Completed, Observation
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import CheckResult, Monitor
    from veilleur.plans.models import Plan

    call_command("migrate", verbosity=0, interactive=False)
    agency = create_agency(key="bench", name="Bench")
    plan = Plan.objects.filter(agency=agency).order_by("pk").first()
    assert plan is not None
    client = Client.objects.create(agency=agency, key="c", name="C", plan=plan)
    site = Site.objects.create(agency=agency, client=client, key="www", name="S", url="https://localhost/")
    Monitor.objects.bulk_create(
        (
            Monitor(agency=agency, site=site, key=f"m{n}", url="https://localhost/", interval_seconds=30)
            for n in range(args.monitors)
        ),
        batch_size=1000,
    )
    start = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    ensure_runtimes(start)
    calendar = MaintenanceCalendar()
    lease_cpu = record_cpu = 0.0
    leased_total = 0
    batch_walls: list[float] = []
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    now = start
    end = start + timedelta(seconds=30 * args.cycles)
    while now < end:
        now += timedelta(seconds=1)
        while True:
            t = time.process_time()
            leased = lease_due("bench:1", now, timedelta(seconds=2), timedelta(seconds=120), 500, calendar)
            lease_cpu += time.process_time() - t
            if not leased:
                break
            leased_total += len(leased)
            completed = [
                Completed(
                    item, Observation(checked_at=item.due_at + timedelta(milliseconds=3), ok=True, total_ms=3)
                )
                for item in leased
            ]
            for i in range(0, len(completed), args.batch):
                t, wall = time.process_time(), time.perf_counter()
                record_batch("bench:1", "bench", completed[i : i + args.batch], now, timedelta(seconds=3))
                record_cpu += time.process_time() - t
                batch_walls.append(time.perf_counter() - wall)
            if len(leased) < 500:
                break
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    stored = CheckResult.objects.count()
    batch_walls.sort()
    print(
        f"{args.database}: {args.monitors} monitors, {leased_total} checks leased, {stored} recorded; "
        f"CPU per 1,000: lease {1000 * lease_cpu / leased_total:.3f} s, "
        f"record {1000 * record_cpu / stored:.3f} s; "
        f"record_batch wall p50 {1000 * batch_walls[len(batch_walls) // 2]:.1f} ms, "
        f"max {1000 * batch_walls[-1]:.1f} ms ({len(batch_walls)} batches)"
    )


if __name__ == "__main__":
    sys.exit(main())
