"""Data at scale on PostgreSQL: 100,000 monitors' storage, compaction, retention, report and pages.

In a PostgreSQL database ``veilleur_bench_scale`` (created next to the one in the URL, dropped at
the end) this script:

1. migrates, then writes one agency with 2,000 clients (the three plans in turn) of 10 sites of
   5 monitors each (100,000 monitors, created in October 2026), a staff owner, a status page for
   the first client, and every monitor's runtime;
2. writes history as the worker leaves it, set-based (COPY): the rollup rows of every day from
   1 November to 1 December 2026 (1 December up to 12:00), the result blocks of 29 and
   30 November and of 1 December up to 12:00, and the raw results of 1 December 12:00–13:00, one
   check every 30 s per monitor (12 million rows). The contents come from
   bench/storage/synthetic.py for a pool of 200 monitors (their blocks encoded and their days
   rolled up by Veilleur's own codecs), monitor n taking pool member n mod 200: sizes and costs
   are real, and generating them takes minutes, not hours;
3. measures bytes per monitor-day of each table (heap, TOAST and indexes apart);
4. compacts the raw hour: first a sample of monitors one transaction per monitor-hour (the path
   the worker used before: ``compact_monitor_hour``), then all the others with
   ``compact_finished_hours`` (batches of ``BATCH`` monitor-hours per transaction), timing the
   DELETE of the compacted rows apart, then the VACUUM that the deleted rows leave to do;
   optionally (``--workers 2``) a second raw hour compacted by that many worker processes at once;
5. compares a raw table partitioned by day with the plain one on a sample of the raw rows:
   insert time, then removing the rows (DELETE + VACUUM against DROP of the partition);
6. applies the retention to a day of blocks (``apply_retention``), timed;
7. times the monthly report's figures (``monthly_report``) for a client of 50 monitors, the staff
   overview and the status page (Django test client, in this process, 5 times each: first and
   median).

    .venv/bin/python bench/scale/run.py --database-url postgres://root@127.0.0.1:5432/postgres
        [--monitors 100000] [--sample 2000] [--workers 2] [--keep]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "storage"))

BENCH_DB = "veilleur_bench_scale"
SEED = 20261204
POOL = 200
CLIENTS_PER_1000_MONITORS = 20  # 2,000 clients for 100,000 monitors
SITES_PER_CLIENT = 10
MONITORS_PER_SITE = 5
CREATED = datetime(2026, 10, 1, tzinfo=UTC)
FIRST_DAY = date(2026, 11, 1)  # first rollup day
BLOCK_DAYS = (date(2026, 11, 29), date(2026, 11, 30))  # full days of blocks, then 1 December 00–12
RAW_HOUR = datetime(2026, 12, 1, 12, tzinfo=UTC)
SECOND_RAW_HOUR = RAW_HOUR + timedelta(hours=1)
TABLES = ("monitoring_checkresult", "history_resultblock", "history_rollupday")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL server to create the bench database on"
    )
    parser.add_argument("--monitors", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="monitors compacted the former way")
    parser.add_argument(
        "--workers", type=int, default=0, help="also compact a second hour with this many workers"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at it afterwards)")
    parser.add_argument("--database-name", default=BENCH_DB, help="the bench database's name")
    parser.add_argument("--compact-worker", help=argparse.SUPPRESS)  # a worker process of step 4
    parser.add_argument(
        "--reads-only", action="store_true", help="steps 6 and 7 only, on a bench database kept by --keep"
    )
    args = parser.parse_args()
    if args.reads_only:
        _setup(args.database_url.rsplit("/", 1)[0] + "/" + args.database_name)
        print(json.dumps(reads_only(), indent=1, default=str), flush=True)
        return
    if args.compact_worker:
        _setup(args.compact_worker)
        print(json.dumps(compact_as_worker()), flush=True)
        return
    import psycopg

    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {args.database_name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {args.database_name}")
    url = args.database_url.rsplit("/", 1)[0] + "/" + args.database_name
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            os.environ["VEILLEUR_DATA_DIR"] = data_dir
            _setup(url)
            results = run(url, args.monitors, args.sample, args.workers)
        print(json.dumps(results, indent=1, default=str))
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.database_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {args.database_name} WITH (FORCE)")


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("VEILLEUR_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()


def say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", file=sys.stderr, flush=True)


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = step()
    return time.perf_counter() - began, value


def run(url: str, monitors: int, sample: int, workers: int) -> dict[str, Any]:
    from django.core.management import call_command

    results: dict[str, Any] = {"monitors": monitors, "load_before": os.getloadavg()}
    call_command("migrate", verbosity=0)
    seconds, ids = timed(lambda: build_agency(monitors))
    owner, client_id, first_monitor = ids
    say(f"agency of {monitors} monitors in {seconds:.0f} s")
    pool = Pool(random.Random(SEED))
    say("pool generated")
    writes = {
        "rollups": timed(lambda: copy_rollups(pool, first_monitor, monitors))[0],
        "blocks": timed(lambda: copy_blocks(pool, first_monitor, monitors))[0],
        "raw hour": timed(lambda: copy_raw(pool, first_monitor, monitors, RAW_HOUR))[0],
    }
    results["writes_s"] = writes
    say(f"history written: {writes}")
    analyze()
    results["sizes_before"] = sizes()
    results["partitioning"] = partition_sample(first_monitor, min(monitors, 10_000))
    results["compaction"] = compact(first_monitor, sample)
    results["sizes_after"] = sizes()
    if workers:
        copy_raw(pool, first_monitor, monitors, SECOND_RAW_HOUR)
        analyze()
        results["parallel"] = compact_in_parallel(url, workers)
    results["retention"] = retention()
    results["reads"] = reads(owner, client_id)
    results["load_after"] = os.getloadavg()
    return results


# --- the agency --------------------------------------------------------------------------------


def build_agency(monitors: int) -> tuple[Any, int, int]:
    """2,000 clients × 10 sites × 5 monitors (for 100,000); returns the owner, the first client
    and the first monitor's id (ids are consecutive: one bulk insert)."""
    from django.db import transaction

    from veilleur.accounts.models import StaffUser
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor, MonitorRuntime
    from veilleur.plans.models import Plan
    from veilleur.statuspages.models import StatusComponent, StatusPage

    per_client = SITES_PER_CLIENT * MONITORS_PER_SITE
    with transaction.atomic():
        agency = create_agency(key="bench", name="Agence Bench")
        owner = StaffUser.objects.create_user(email="owner@bench.example", agency=agency, role="owner")
        plans = list(Plan.objects.filter(agency=agency).order_by("id"))
        premium = next(p for p in plans if p.key == "premium")
        clients = Client.objects.bulk_create(
            Client(
                agency=agency,
                key=f"client-{n:05d}",
                name=f"Client {n:05d}",
                plan=premium if n == 0 else plans[n % len(plans)],
                created_at=CREATED,
            )
            for n in range(max(1, monitors // per_client))
        )
        sites = Site.objects.bulk_create(
            (
                Site(
                    agency=agency,
                    client=client,
                    key=f"site-{s}",
                    name=f"{client.name} site {s}",
                    url=f"https://{client.key}-{s}.example/",
                    created_at=CREATED,
                )
                for client in clients
                for s in range(SITES_PER_CLIENT)
            ),
            batch_size=5000,
        )
        created = Monitor.objects.bulk_create(
            (
                Monitor(
                    agency=agency,
                    site=site,
                    key=f"page-{k}",
                    url=f"{site.url}{k}",
                    interval_seconds=30,
                    created_at=CREATED,
                )
                for site in sites
                for k in range(MONITORS_PER_SITE)
            ),
            batch_size=5000,
        )
        last_check = RAW_HOUR + timedelta(minutes=59, seconds=50)
        MonitorRuntime.objects.bulk_create(
            (
                MonitorRuntime(
                    monitor=m,
                    due_at=last_check,
                    next_slot_at=last_check,
                    last_checked_at=last_check,
                    last_ok=True,
                )
                for m in created
            ),
            batch_size=5000,
        )
        page = StatusPage.objects.create(
            client=clients[0], slug="bench", title="État des services", language="fr"
        )
        for position, site in enumerate(s for s in sites if s.client_id == clients[0].pk):
            StatusComponent.objects.create(page=page, site=site, position=position)
    ids = [m.pk for m in created]
    assert ids == list(range(ids[0], ids[0] + len(ids))), "monitor ids are expected consecutive"
    return owner, clients[0].pk, ids[0]


# --- history, from a pool of synthetic monitors ---------------------------------------------------


class Pool:
    """Blocks, rollup days and raw rows of POOL synthetic monitors, ready to COPY for many."""

    def __init__(self, rng: random.Random) -> None:
        from synthetic import synthetic_results

        from veilleur.domain.resultcodec import encode_results
        from veilleur.domain.rollups import pack_day, rollup_hour

        first = datetime.combine(BLOCK_DAYS[0], datetime.min.time(), tzinfo=UTC)
        hours = int((SECOND_RAW_HOUR + timedelta(hours=1) - first) / timedelta(hours=1))
        self.blocks: dict[datetime, list[str]] = {}  # hour → COPY text after the monitor id
        self.raw: dict[datetime, list[str]] = {}  # hour → COPY text of the hour's rows after the id
        self.days: list[str] = []  # packed full days, as COPY text
        self.partial_day: list[str] = []  # packed hours 00–11 of 1 December
        for _member in range(POOL):
            records = synthetic_results(rng, first, hours)
            by_hour: dict[datetime, list[Any]] = {}
            for record in records:
                by_hour.setdefault(record.checked_at.replace(minute=0, second=0, microsecond=0), []).append(
                    record
                )
            rollups = {}
            for hour_start, hour_records in sorted(by_hour.items()):
                if hour_start >= RAW_HOUR:
                    self.raw.setdefault(hour_start, []).append("".join(_raw_line(r) for r in hour_records))
                    continue
                failures = sum(not r.ok for r in hour_records)
                data = encode_results(hour_records).hex()
                line = f"\t{hour_start.isoformat()}\t{len(hour_records)}\t{failures}\t\\\\x{data}\n"
                self.blocks.setdefault(hour_start, []).append(line)
                rollups[hour_start] = rollup_hour(hour_records, 500)
            for day in (*BLOCK_DAYS, RAW_HOUR.date()):
                hours_of_day = {h.hour: r for h, r in rollups.items() if h.date() == day}
                packed = "\\\\x" + pack_day(hours_of_day).hex()
                (self.partial_day if day == RAW_HOUR.date() else self.days).append(packed)


def _raw_line(r: Any) -> str:
    def text(value: object) -> str:
        return "\\N" if value is None else str(value)

    fields = (
        r.checked_at.isoformat(), "t" if r.ok else "f", "t" if r.confirmation else "f",
        "t" if r.in_maintenance else "f", r.error_class, text(r.status_code), text(r.dns_ms),
        text(r.connect_ms), text(r.tls_ms), text(r.ttfb_ms), text(r.total_ms), r.message, r.region,
    )  # fmt: skip
    return "\t" + "\t".join(fields) + "\n"


def _copy(table: str, columns: str, lines: Iterator[str]) -> None:
    """COPY text lines into ``table``, in one transaction, a few MB at a time."""
    from django.db import connection, transaction

    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        buffer = io.StringIO()
        for line in lines:
            buffer.write(line)
            if buffer.tell() > 8_000_000:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def copy_rollups(pool: Pool, first: int, monitors: int) -> None:
    def lines() -> Iterator[str]:
        day = FIRST_DAY
        while day <= RAW_HOUR.date():
            for n in range(monitors):
                if day == RAW_HOUR.date():
                    packed = pool.partial_day[n % POOL]
                else:
                    packed = pool.days[(n + day.toordinal()) % len(pool.days)]
                yield f"{first + n}\t{day.isoformat()}\t{packed}\n"
            day += timedelta(days=1)

    _copy("history_rollupday", "monitor_id, day, hours", lines())


def copy_blocks(pool: Pool, first: int, monitors: int) -> None:
    def lines() -> Iterator[str]:
        for _hour, members in sorted(pool.blocks.items()):
            for n in range(monitors):
                yield f"{first + n}{members[n % POOL]}"

    _copy("history_resultblock", "monitor_id, hour_start, count, failures, data", lines())


RAW_COLUMNS = (
    "monitor_id, checked_at, ok, confirmation, in_maintenance, error_class, status_code, dns_ms,"
    " connect_ms, tls_ms, ttfb_ms, total_ms, message, region"
)


def copy_raw(pool: Pool, first: int, monitors: int, hour: datetime) -> None:
    def lines() -> Iterator[str]:
        members = pool.raw[hour]
        for n in range(monitors):
            prefix = str(first + n)
            yield "".join(prefix + line + "\n" for line in members[n % POOL].split("\n")[:-1])

    _copy("monitoring_checkresult", RAW_COLUMNS, lines())


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


# --- measurements -------------------------------------------------------------------------------


def sizes() -> dict[str, dict[str, int]]:
    """Heap (with TOAST) and indexes of each table, and its live rows."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                "SELECT pg_table_size(%s), pg_indexes_size(%s), (SELECT count(*) FROM " + table + ")",
                [table, table],
            )
            heap, indexes, rows = cursor.fetchone()
            found[table] = {"heap": int(heap), "indexes": int(indexes), "rows": int(rows)}
    return found


def compact(first: int, sample: int) -> dict[str, Any]:
    """The raw hour: a sample one monitor-hour per transaction, then the rest in batches."""
    from veilleur.history import jobs

    deleting = {"s": 0.0, "statements": 0}
    original_delete = jobs._delete_results

    def timed_delete(ids: list[int]) -> None:
        began = time.perf_counter()
        original_delete(ids)
        deleting["s"] += time.perf_counter() - began
        deleting["statements"] += 1

    threshold = 500
    items = [jobs.PendingHour(first + n, RAW_HOUR, threshold) for n in range(sample)]
    say(f"compacting {sample} monitor-hours one per transaction")
    cpu = CpuClock()
    began = time.perf_counter()
    for item in items:
        jobs.compact_monitor_hour(item, 0)
    one_by_one = time.perf_counter() - began
    one_by_one_cpu = cpu.lap()
    say(f"... {one_by_one:.1f} s; now the others in batches of {jobs.BATCH}")
    jobs._delete_results = timed_delete  # type: ignore[assignment]
    try:
        seconds, report = timed(lambda: jobs.compact_finished_hours(RAW_HOUR + timedelta(hours=1, minutes=5)))
    finally:
        jobs._delete_results = original_delete  # type: ignore[assignment]
    batched_cpu = cpu.lap()
    say(f"... {report.hours} monitor-hours in {seconds:.1f} s, CPU {batched_cpu}")
    from django.db import connection

    with connection.cursor() as cursor:
        vacuum_s, _ = timed(lambda: cursor.execute("VACUUM monitoring_checkresult"))
    return {
        "one_per_transaction": {"monitor_hours": sample, "s": one_by_one, "cpu_s": one_by_one_cpu},
        "batched": {
            "monitor_hours": report.hours,
            "results": report.results,
            "failed": report.failed,
            "s": seconds,
            "delete_s": deleting["s"],
            "delete_statements": deleting["statements"],
            "cpu_s": batched_cpu,
        },
        "vacuum_after_s": vacuum_s,
        "load": os.getloadavg(),
    }


class CpuClock:
    """CPU seconds used by this process and by its PostgreSQL backend (same machine) since the
    last lap: what the work costs whatever else the machine is running."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = int(cursor.fetchone()[0])
        self.last = self._now()

    def _now(self) -> tuple[float, float]:
        fields = Path(f"/proc/{self.backend}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return time.process_time(), (int(fields[11]) + int(fields[12])) / ticks

    def lap(self) -> dict[str, float]:
        now = self._now()
        python, database = (now[0] - self.last[0], now[1] - self.last[1])
        self.last = now
        return {"python": round(python, 1), "postgresql": round(database, 1)}


def compact_as_worker() -> dict[str, Any]:
    from veilleur.history.jobs import compact_finished_hours

    seconds, report = timed(lambda: compact_finished_hours(SECOND_RAW_HOUR + timedelta(hours=1, minutes=5)))
    return {"s": seconds, "monitor_hours": report.hours, "skipped": report.skipped, "results": report.results}


def compact_in_parallel(url: str, workers: int) -> dict[str, Any]:
    say(f"compacting the second hour with {workers} worker processes")
    command = [sys.executable, str(Path(__file__)), "--database-url", url, "--compact-worker", url]
    began = time.perf_counter()
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(workers)
    ]
    reports = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    wall = time.perf_counter() - began
    say(f"... {wall:.1f} s: {reports}")
    return {"wall_s": wall, "workers": reports, "load": os.getloadavg()}


def partition_sample(first: int, monitors: int) -> dict[str, Any]:
    """The same raw rows in a plain table and in a table partitioned by day: insert, then remove."""
    from django.db import connection

    day = RAW_HOUR.date()
    found: dict[str, Any] = {"monitors": monitors}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw_plain (LIKE monitoring_checkresult INCLUDING ALL)")
        cursor.execute(
            "CREATE TABLE bench_raw_by_day (LIKE monitoring_checkresult INCLUDING DEFAULTS)"
            " PARTITION BY RANGE (checked_at)"
        )
        cursor.execute(
            "CREATE TABLE bench_raw_day PARTITION OF bench_raw_by_day"
            f" FOR VALUES FROM ('{day}') TO ('{day + timedelta(days=1)}')"
        )
        cursor.execute("ALTER TABLE bench_raw_by_day ADD PRIMARY KEY (id, checked_at)")
        cursor.execute("CREATE INDEX ON bench_raw_by_day (monitor_id, checked_at)")
        chosen = f"SELECT * FROM monitoring_checkresult WHERE monitor_id < {first + monitors}"
        found["insert_plain_s"], _ = timed(lambda: cursor.execute(f"INSERT INTO bench_raw_plain {chosen}"))
        found["insert_partitioned_s"], _ = timed(
            lambda: cursor.execute(f"INSERT INTO bench_raw_by_day {chosen}")
        )
        found["rows"] = cursor.rowcount
        found["delete_plain_s"], _ = timed(lambda: cursor.execute("DELETE FROM bench_raw_plain"))
        found["vacuum_plain_s"], _ = timed(lambda: cursor.execute("VACUUM bench_raw_plain"))
        found["drop_partition_s"], _ = timed(lambda: cursor.execute("DROP TABLE bench_raw_day"))
        cursor.execute("DROP TABLE bench_raw_plain")
        cursor.execute("DROP TABLE bench_raw_by_day")
    say(f"partitioning sample: {found}")
    return found


def retention() -> dict[str, Any]:
    """Blocks of 29 November go: retention of one day, applied on 1 December 00:30."""
    from veilleur.history.jobs import apply_retention

    seconds, report = timed(lambda: apply_retention(datetime(2026, 12, 1, 0, 30, tzinfo=UTC), days=1))
    say(f"retention: {report.blocks_deleted} blocks in {seconds:.1f} s")
    return {"blocks_deleted": report.blocks_deleted, "s": seconds, "load": os.getloadavg()}


def reads_only() -> dict[str, Any]:
    from veilleur.accounts.models import StaffUser
    from veilleur.clients.models import Client

    owner = StaffUser.objects.get(email="owner@bench.example")
    client_id = Client.objects.get(key="client-00000").pk
    found = {"load_before": os.getloadavg(), "retention": retention(), "reads": reads(owner, client_id)}
    found["load_after"] = os.getloadavg()
    return found


def reads(owner: Any, client_id: int) -> dict[str, Any]:
    from django.test import Client as HttpClient

    from veilleur.clients.models import Client
    from veilleur.reports.data import monthly_report

    def figures() -> object:
        client = Client.objects.select_related("plan", "agency").get(pk=client_id)
        return monthly_report(client, 2026, 11, datetime(2026, 12, 1, 13, 10, tzinfo=UTC))

    staff = HttpClient()
    staff.force_login(owner)
    anonymous = HttpClient()

    def get(browser: HttpClient, path: str) -> Callable[[], object]:
        def fetch() -> object:
            answer = browser.get(path, HTTP_HOST="127.0.0.1")
            assert answer.status_code == 200, (path, answer.status_code)
            return answer

        return fetch

    steps = {
        "monthly report figures (50 monitors)": figures,
        "staff overview": get(staff, "/"),
        "staff overview, filtered by text": get(staff, "/?q=client+01000"),
        "status page (50 monitors)": get(anonymous, "/s/bench/"),
    }
    found = {}
    for label, step in steps.items():
        times = [timed(step)[0] for _ in range(5)]
        found[label] = {"first_s": times[0], "median_s": statistics.median(times)}
        say(f"{label}: {found[label]}")
    return found


if __name__ == "__main__":
    main()
