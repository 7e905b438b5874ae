"""What checkers in several regions cost the checker's database side: CPU per 1,000 checks.

A fresh database (SQLite in a temporary directory, or the PostgreSQL database
``veilleur_bench_regions``, dropped at the end) with ``--monitors`` monitors at 30 s. A
simulated clock steps through ``--cycles`` intervals; at each second, what is due is leased and
recorded in batches, like the checker does, in three set-ups:

- ``one region``: three checkers of one region, as before regions existed (the lease query has
  no region filter, the recorder finds one region alive and steps the local state machine);
- ``three regions, all up``: one checker in each of three live regions (heartbeats written,
  regional lease filter, regions read per batch);

The checkers take turns to lease first, so each region makes regular checks.
- ``three regions, 5 % failing``: the same with 5 % of the monitors failing from one region
  only, so rounds across regions run and partial outages open.

Reported: this process's CPU (``time.process_time``) per 1,000 checks for leasing and for
recording, and the checks recorded. No network.

    .venv/bin/python bench/regions/dbside.py [--monitors 2000] [--cycles 3] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PG_SERVER = "postgres://root@127.0.0.1:5432"
PG_DATABASE = "veilleur_bench_regions"
REGIONS = ("eu-west", "us-east", "ap-south")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="veilleur-bench-regions-"))
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
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        for name, regions, failing in (
            ("one region", 1, 0.0),
            ("three regions, all up", 3, 0.0),
            ("three regions, 5 % failing", 3, 0.05),
        ):
            print(measure(name, args, regions, failing), flush=True)
    finally:
        if args.database == "postgres":
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def measure(name: str, args: argparse.Namespace, regions: int, failing: float) -> str:
    from veilleur.accounts.models import Agency
    from veilleur.accounts.provisioning import create_agency
    from veilleur.checker.leases import ensure_runtimes, lease_due
    from veilleur.checker.maintenance import MaintenanceCalendar
    from veilleur.checker.recorder import record_batch
    from veilleur.checker.work import Completed, Observation
    from veilleur.clients.models import Client, Site
    from veilleur.incidents.models import Incident
    from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, Monitor
    from veilleur.plans.models import Plan

    Monitor.objects.all().delete()  # the previous set-up's (their results and incidents go too)
    CheckerHeartbeat.objects.all().delete()
    agency = create_agency(key=f"bench-{Agency.objects.count()}", name="Bench")
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
    ids = sorted(Monitor.objects.values_list("pk", flat=True))
    bad = set(ids[: int(len(ids) * failing)])  # fail from ap-south only
    start = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    ensure_runtimes(start)
    calendar = MaintenanceCalendar()
    names = REGIONS[:regions]
    lease_cpu = record_cpu = 0.0
    leased_total = 0
    turn = 0
    now = start
    end = start + timedelta(seconds=30 * args.cycles)
    while now < end:
        now += timedelta(seconds=1)
        if regions > 1:
            for index, region in enumerate(names):  # the heartbeats, as the checkers' renewals write them
                CheckerHeartbeat.objects.update_or_create(
                    owner=f"bench:{region}:{index}", defaults={"region": region, "last_seen": now}
                )
        # Three checkers in every set-up (in one region, or one per region), taking turns to
        # lease first: as many lease queries per second either way.
        turn += 1
        for checker in range(6):
            index = (turn + checker) % 3
            region = names[index % regions]
            owner = f"bench:{region}:{index}"
            t = time.process_time()
            leased = lease_due(
                owner,
                now,
                timedelta(seconds=2),
                timedelta(seconds=120),
                500,
                calendar,
                region if regions > 1 else None,
            )
            lease_cpu += time.process_time() - t
            if not leased:
                continue
            leased_total += len(leased)
            completed = [
                Completed(
                    item,
                    Observation(
                        checked_at=max(item.due_at, now) + timedelta(milliseconds=3),
                        ok=not (item.monitor_id in bad and region == "ap-south"),
                        total_ms=3,
                    ),
                )
                for item in leased
            ]
            t = time.process_time()
            record_batch(owner, region, completed, now, timedelta(seconds=1))
            record_cpu += time.process_time() - t
    stored = CheckResult.objects.filter(monitor__agency=agency).count()
    partial = Incident.objects.filter(kind=Incident.Kind.PARTIAL).count()
    down = Incident.objects.filter(kind=Incident.Kind.DOWN).count()
    return (
        f"| {name} | {args.database} | {stored} | {1000 * lease_cpu / max(leased_total, 1):.3f} s | "
        f"{1000 * record_cpu / max(stored, 1):.3f} s | {partial} partial, {down} down |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
