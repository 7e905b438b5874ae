"""Bytes stored per monitor-day: raw result rows, result blocks, and rollups, on PostgreSQL and SQLite.

Creates N monitors with a synthetic day of 30 s checks each (bench/storage/synthetic.py), measures
the raw rows, compacts every hour, and measures the blocks and the rollups. Also fills a
one-row-per-monitor-hour rollup table with the same numbers, to compare with the one row per
monitor-day that Veilleur uses. Run from the repository root:

    .venv/bin/python bench/storage/run.py --database-url postgres://root@127.0.0.1:5432/postgres

PostgreSQL: a database named veilleur_bench_storage is created next to the one in the URL and
dropped at the end; sizes are pg_total_relation_size (table, TOAST and indexes). SQLite: a
temporary data directory; sizes come from the dbstat virtual table (pages of the table and its
indexes). Each back end runs in its own process, since Django is set up once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DB = "veilleur_bench_storage"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TABLES = {
    "raw rows (monitoring_checkresult)": "monitoring_checkresult",
    "result blocks (history_resultblock)": "history_resultblock",
    "rollups, 1 row per monitor-day (history_rollupday)": "history_rollupday",
    "rollups, 1 row per monitor-hour (alternative)": "bench_rollup_hour",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create the bench database on")
    parser.add_argument("--monitors", type=int, default=200)
    parser.add_argument("--worker", choices=["postgresql", "sqlite"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.monitors)))
        return
    results = {}
    if args.database_url:
        results["PostgreSQL"] = run_postgresql(args.database_url, args.monitors)
    results["SQLite"] = run_worker("sqlite", args.monitors, {})
    print_table(results, args.monitors)


def run_postgresql(base_url: str, monitors: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    try:
        url = base_url.rsplit("/", 1)[0] + "/" + BENCH_DB
        return run_worker("postgresql", monitors, {"DATABASE_URL": url})
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def run_worker(backend: str, monitors: int, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        child_env = {**os.environ, **env, "VEILLEUR_DATA_DIR": data_dir, "VEILLEUR_LOG_LEVEL": "WARNING"}
        if backend == "sqlite":
            child_env.pop("DATABASE_URL", None)
        command = [sys.executable, str(Path(__file__)), "--worker", backend, "--monitors", str(monitors)]
        output = subprocess.run(command, env=child_env, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


# --- inside the worker process -----------------------------------------------------------------


def measure(backend: str, monitors: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from datetime import UTC, datetime, timedelta

    from veilleur.history.jobs import compact_finished_hours

    day = datetime(2026, 3, 2, tzinfo=UTC)
    started = time.perf_counter()
    monitor_ids = create_monitors(monitors)
    insert_results(monitor_ids, day)
    timings = {"insert_s": time.perf_counter() - started}
    sizes = {"raw rows (monitoring_checkresult)": table_bytes(backend, "monitoring_checkresult")}
    started = time.perf_counter()
    report = compact_finished_hours(now=day + timedelta(days=1, hours=1))
    timings["compact_s"] = time.perf_counter() - started
    timings["monitor_hours"] = report.hours
    fill_hourly_alternative(backend)
    for label, table in list(TABLES.items())[1:]:
        sizes[label] = table_bytes(backend, table)
    return {"sizes": sizes, "timings": timings, "monitors": monitors}


def create_monitors(count: int) -> list[int]:
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor
    from veilleur.plans.models import Plan

    agency = create_agency(key="bench", name="Bench")
    plan = Plan.objects.get(agency=agency, key="premium")
    client = Client.objects.create(agency=agency, key="bench", name="Bench", plan=plan)
    site = Site.objects.create(client=client, key="www", name="Bench", url="https://bench.example")
    monitors = Monitor.objects.bulk_create(
        Monitor(agency=agency, site=site, key=f"m{i}", url=f"https://bench.example/{i}") for i in range(count)
    )
    return [m.pk for m in monitors]


def insert_results(monitor_ids: list[int], day: Any) -> None:
    import random

    from django.db import connection, transaction
    from synthetic import synthetic_results

    rng = random.Random(42)
    sql = (
        "INSERT INTO monitoring_checkresult (monitor_id, checked_at, ok, confirmation, in_maintenance,"
        " error_class, status_code, dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms, message, region)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    for monitor_id in monitor_ids:
        rows = [
            (monitor_id, r.checked_at, r.ok, r.confirmation, r.in_maintenance, r.error_class, r.status_code,
             r.dns_ms, r.connect_ms, r.tls_ms, r.ttfb_ms, r.total_ms, r.message, r.region)
            for r in synthetic_results(rng, day, 24)
        ]  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def fill_hourly_alternative(backend: str) -> None:
    """The same rollups as one row per monitor-hour, with the columns such a model would have."""
    from datetime import UTC, datetime, time, timedelta

    from django.db import connection, transaction

    from veilleur.domain.rollups import unpack_day
    from veilleur.history.models import RollupDay

    key = "BIGSERIAL PRIMARY KEY" if backend == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    moment = "TIMESTAMPTZ" if backend == "postgresql" else "DATETIME"
    blob = "BYTEA" if backend == "postgresql" else "BLOB"
    counters = ", ".join(
        f"{name} INTEGER NOT NULL"
        for name in ("checks", "failures", "maintenance_checks", "confirmation_checks", "blips",
                     "apdex_threshold_ms", "apdex_samples", "apdex_satisfied", "apdex_tolerating")
    )  # fmt: skip
    rows = []
    for monitor_id, day, packed in RollupDay.objects.values_list("monitor_id", "day", "hours"):
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        for hour, r in unpack_day(bytes(packed)).items():
            rows.append(
                (monitor_id, midnight + timedelta(hours=hour), r.checks, r.failures, r.maintenance_checks,
                 r.confirmation_checks, r.blips, r.apdex_threshold_ms, r.apdex_samples, r.apdex_satisfied,
                 r.apdex_tolerating, r.latency.encode())
            )  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bench_rollup_hour (id {key}, monitor_id BIGINT NOT NULL,"
            f" hour_start {moment} NOT NULL, {counters}, latency {blob} NOT NULL,"
            " UNIQUE (monitor_id, hour_start))"
        )
        cursor.executemany(
            "INSERT INTO bench_rollup_hour (monitor_id, hour_start, checks, failures,"
            " maintenance_checks, confirmation_checks, blips, apdex_threshold_ms, apdex_samples,"
            " apdex_satisfied, apdex_tolerating, latency)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def table_bytes(backend: str, table: str) -> dict[str, int]:
    """Size of a table with its indexes (and TOAST): as written, and once dead rows are reclaimed."""
    from django.db import connection

    with connection.cursor() as cursor:
        if backend == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            as_written = int(cursor.fetchone()[0])
            cursor.execute(f"VACUUM FULL {table}")
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            return {"as_written": as_written, "compacted": int(cursor.fetchone()[0])}
        cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = %s", [table])
        names = [row[0] for row in cursor.fetchall()]
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({marks})", names)
        size = int(cursor.fetchone()[0])
        return {"as_written": size, "compacted": size}


# --- report ------------------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, Any]], monitors: int) -> None:
    print(f"{monitors} monitors x 1 day of 30 s checks (2,880 per monitor-day)\n")
    print("| back end | storage | bytes per monitor-day (as written) | after dead rows reclaimed |")
    print("|---|---|---:|---:|")
    for backend, result in results.items():
        for label, size in result["sizes"].items():
            written, reclaimed = (size[k] / result["monitors"] for k in ("as_written", "compacted"))
            print(f"| {backend} | {label} | {written:,.0f} | {reclaimed:,.0f} |")
    print()
    for backend, result in results.items():
        t = result["timings"]
        per_hour = t["compact_s"] / max(t["monitor_hours"], 1) * 1000
        print(
            f"{backend}: insert {t['insert_s']:.1f} s; compaction of {t['monitor_hours']} monitor-hours "
            f"{t['compact_s']:.1f} s ({per_hour:.1f} ms per monitor-hour)"
        )


if __name__ == "__main__":
    main()
