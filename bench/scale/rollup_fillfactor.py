"""The rollup day row on PostgreSQL: its size as written for each table fillfactor.

A monitor's ``history_rollupday`` row is inserted when the day's first hour is compacted and
updated at each of the 23 others, growing from about 100 bytes to about 1 KB. With the default
fillfactor (100) pages are packed full of small rows at insert, so an update rarely finds room on
its page: the new version goes elsewhere (a non-HOT update, with a new index entry) and the old
one stays behind until vacuum. A lower fillfactor leaves room for the row to grow in place
(HOT updates, whose dead versions the next visit to the page prunes without vacuum).

For each fillfactor, in a database ``veilleur_bench_fillfactor`` (created next to the one in the
URL and dropped at the end), a table shaped like ``history_rollupday`` gets two days of
``--monitors`` monitors written as compaction writes them (hour 00 inserts the day's rows, hours
01–23 update them 200 rows per statement, with the packed days of bench/storage/synthetic.py
monitors), and a plain VACUUM at the end of each day (autovacuum runs about that often on a
table where one day's rows are a small share). Reported: bytes per monitor-day after the first
day (before any vacuum) and after both days, the share of HOT updates, and the time the updates
took.

    .venv/bin/python bench/scale/rollup_fillfactor.py --database-url postgres://root@127.0.0.1:5432/postgres
        [--monitors 10000] [--fillfactors 100,70,50,30,10]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "storage"))

BENCH_DB = "veilleur_bench_fillfactor"
POOL = 200
BATCH = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--fillfactors", default="100,70,50,30,10")
    args = parser.parse_args()
    import psycopg

    progressions = packed_days()
    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    url = args.database_url.rsplit("/", 1)[0] + "/" + BENCH_DB
    print(f"{args.monitors:,} monitors, load {os.getloadavg()[0]:.1f}\n")
    print("| fillfactor | bytes per monitor-day, first day as written | after two days (vacuum each night) "
          "| HOT updates | update time per hour of compaction |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|")
    try:
        with psycopg.connect(url, autocommit=True) as db:
            for fillfactor in (int(f) for f in args.fillfactors.split(",")):
                print(one_fillfactor(db, fillfactor, args.monitors, progressions), flush=True)
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    print(f"\nload at the end {os.getloadavg()[0]:.1f}")


def packed_days() -> list[list[bytes]]:
    """For each pool monitor, its day packed after hour 0, after hours 0–1, … after hours 0–23."""
    from synthetic import synthetic_results

    from veilleur.domain.rollups import pack_day, rollup_hour

    rng = random.Random(7)
    start = datetime(2026, 11, 30, tzinfo=UTC)
    progressions = []
    for _member in range(POOL):
        records = synthetic_results(rng, start, 24)
        hours = {}
        packed = []
        for hour in range(24):
            hour_records = [r for r in records if r.checked_at.hour == hour]
            hours[hour] = rollup_hour(hour_records, 500)
            packed.append(pack_day(hours))
        progressions.append(packed)
    return progressions


def one_fillfactor(db: Any, fillfactor: int, monitors: int, progressions: list[list[bytes]]) -> str:
    table = f"rollupday_ff{fillfactor}"
    db.execute(
        f"CREATE TABLE {table} (id bigserial PRIMARY KEY, monitor_id bigint NOT NULL, day date NOT NULL,"
        f" hours bytea NOT NULL, UNIQUE (monitor_id, day)) WITH (fillfactor = {fillfactor})"
    )
    updating = 0.0
    first_day = 0
    for day in (date(2026, 11, 30), date(2026, 12, 1)):
        with db.cursor() as cursor, cursor.copy(f"COPY {table} (monitor_id, day, hours) FROM STDIN") as copy:
            for n in range(monitors):
                copy.write_row((n, day, progressions[n % POOL][0]))
        ids = [
            row[0] for row in db.execute(f"SELECT id FROM {table} WHERE day = %s ORDER BY monitor_id", [day])
        ]
        began = time.perf_counter()
        for hour in range(1, 24):
            for start in range(0, monitors, BATCH):
                values = [
                    (ids[n], progressions[n % POOL][hour]) for n in range(start, min(start + BATCH, monitors))
                ]
                marks = ", ".join(["(%s::bigint, %s::bytea)"] * len(values))
                db.execute(
                    f"UPDATE {table} SET hours = v.hours FROM (VALUES {marks}) AS v(id, hours)"
                    f" WHERE {table}.id = v.id",
                    [x for pair in values for x in pair],
                )
        updating += time.perf_counter() - began
        if not first_day:
            first_day = total_bytes(db, table)
        db.execute(f"VACUUM {table}")
    db.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.5)
    updates, hot = db.execute(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = %s", [table]
    ).fetchone()
    both_days = total_bytes(db, table)
    db.execute(f"DROP TABLE {table}")
    per_hour_s = updating / 46
    return (
        f"| {fillfactor} | {first_day / monitors:,.0f} | {both_days / (2 * monitors):,.0f} "
        f"| {hot / max(updates, 1):.0%} | {per_hour_s * 100_000 / monitors:,.1f} s per 100,000 monitors |"
    )


def total_bytes(db: Any, table: str) -> int:
    return int(db.execute("SELECT pg_total_relation_size(%s)", [table]).fetchone()[0])


if __name__ == "__main__":
    main()
