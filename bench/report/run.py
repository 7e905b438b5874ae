"""The monthly report of one client: 10 sites at 30 s checks over a month, figures, HTML and PDF.

Target (spec): under 1 s for the figures and under 5 s for the PDF, read from the rollups and the
incidents, never from a scan of the raw results.

In a fresh data directory (a temporary directory; with ``--database-url``, the PostgreSQL
database ``veilleur_bench_report`` is created on that server and dropped at the end) this script:

1. migrates, then writes through the demo's own functions (``veilleur.demo.command``) one agency
   and one client on the premium plan with 10 sites of one monitor each at 30 s, and the history
   of October 2026 in the client's zone (plus a day on each side), as the worker leaves it once
   compacted: one result block per monitor-hour and one rollup row per monitor-day, no raw rows.
   The demo plants the incidents (at least one per monitor), a few blips per monitor, a one-off
   maintenance window over all the sites (with an outage inside it) and a 10 to 20 minute stop of
   the checker (a no-data gap on every monitor);
2. times, ``--repeat`` times each, ``monthly_report`` (the figures), ``render_html`` on those
   figures and ``render_pdf`` on them (which renders the HTML again, then lays out the PDF), and
   prints min and median;
3. counts the SQL queries of one ``monthly_report`` (``CaptureQueriesContext``) and which tables
   they read, to show that neither the raw results nor the result blocks are read.

Everything stays in local files or on 127.0.0.1; the temporary directory and the database are
removed at the end.

    .venv/bin/python bench/report/run.py [--repeat 5]
        [--database-url postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

BENCH_DB = "veilleur_bench_report"
YEAR, MONTH = 2026, 10
SITES = 10
INTERVAL_SECONDS = 30
SEED = 20261001
# The simulated history runs from a day before the month to a day after it (whole UTC hours),
# so that the month's first and last local days are complete and the last hour is finished.
HISTORY_START = datetime(2026, 9, 29, 0, 0, tzinfo=UTC)
HISTORY_END = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
REPORT_NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # when the report is built

T = TypeVar("T")


@dataclass
class Timing:
    label: str
    seconds: list[float]

    @property
    def minimum(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (127.0.0.1) to create the bench database on"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each step")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-report-") as data_dir:
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ["VEILLEUR_LOG_LEVEL"] = "WARNING"
        # Blocks for the whole month, as for a recent month: they are there, and must not be read.
        os.environ["VEILLEUR_RAW_RETENTION_DAYS"] = "60"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
        if args.database_url:
            server = urlsplit(args.database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            bench_url = server._replace(path="/" + BENCH_DB).geturl()
            create_database(args.database_url)
            os.environ["DATABASE_URL"] = bench_url
            try:
                run("PostgreSQL", args.repeat)
            finally:
                close_connections()
                drop_database(args.database_url)
        else:
            os.environ.pop("DATABASE_URL", None)
            try:
                run("SQLite", args.repeat)
            finally:
                close_connections()


# --- the PostgreSQL bench database ---------------------------------------------------------


def create_database(server_url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")


def drop_database(server_url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def close_connections() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


# --- the run ---------------------------------------------------------------------------------


def run(backend: str, repeat: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from veilleur.reports.data import monthly_report
    from veilleur.reports.render import render_html, render_pdf

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    client_id = build_history()
    written = time.perf_counter() - began
    stored = stored_rows()
    print(f"{backend}: history written in {written:.1f} s: {describe(stored)}", flush=True)

    from veilleur.clients.models import Client

    def load_client() -> Any:
        return Client.objects.select_related("plan", "agency").get(pk=client_id)

    def figures() -> Any:
        return monthly_report(load_client(), YEAR, MONTH, REPORT_NOW)

    report = figures()  # warm-up: imports, template loading, first connection
    html = render_html(report)
    pdf = render_pdf(report)
    queries, tables = count_queries(figures)

    timings = [
        Timing("figures (monthly_report)", measure(figures, repeat)),
        Timing("HTML (render_html)", measure(lambda: render_html(report), repeat)),
        Timing("PDF (render_pdf, HTML included)", measure(lambda: render_pdf(report), repeat)),
    ]
    total = Timing(
        "figures + PDF",
        [a + b for a, b in zip(timings[0].seconds, timings[2].seconds, strict=True)],
    )
    checks = report.checks
    print()
    print(
        f"{backend}, {YEAR}-{MONTH:02d}, {len(report.sites)} sites, {checks:,} checks in the rollups, "
        f"{report.incident_count} incidents, HTML {len(html) / 1024:,.0f} KiB, "
        f"PDF {len(pdf) / 1024:,.0f} KiB, "
        f"{repeat} runs each"
    )
    print()
    print("| step | min | median | target |")
    print("|---|---:|---:|---:|")
    targets = {timings[0].label: "1 s", timings[2].label: "5 s"}
    for timing in [*timings, total]:
        target = targets.get(timing.label, "—")
        print(f"| {timing.label} | {seconds(timing.minimum)} | {seconds(timing.median)} | {target} |")
    print()
    print(f"monthly_report: {queries} SQL queries; tables read: {describe(tables)}")
    # history.read rolls up on the fly the hours not compacted yet: an index range on
    # (monitor, checked_at) per read, which finds nothing here (no raw rows are stored).
    print(
        f"queries on the raw results: {tables.get('monitoring_checkresult', 0)} "
        f"(rows stored: {stored['raw rows']}); on the result blocks: {tables.get('history_resultblock', 0)}"
    )
    met = timings[0].median < 1.0 and timings[2].median < 5.0 and "history_resultblock" not in tables
    print(f"targets met: {'yes' if met else 'no'}")


def measure(step: Callable[[], T], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return times


def seconds(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:.2f} s"


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))


def count_queries(step: Callable[[], object]) -> tuple[int, dict[str, int]]:
    """The number of SQL statements ``step`` runs and how many of them name each table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        step()
    tables: Counter[str] = Counter()
    for query in captured.captured_queries:
        for name in set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"], flags=re.IGNORECASE)):
            tables[name] += 1
    return len(captured.captured_queries), dict(tables)


def stored_rows() -> dict[str, int]:
    from veilleur.history.models import ResultBlock, RollupDay
    from veilleur.incidents.models import Blip, Incident
    from veilleur.monitoring.models import CheckResult, NoDataGap

    return {
        "raw rows": CheckResult.objects.count(),
        "result blocks": ResultBlock.objects.count(),
        "rollup days": RollupDay.objects.count(),
        "incidents": Incident.objects.count(),
        "blips": Blip.objects.count(),
        "no-data gaps": NoDataGap.objects.count(),
    }


# --- the history, through the demo's functions -----------------------------------------------


def build_history() -> int:
    """One agency, one premium client with 10 sites × 1 monitor at 30 s; returns the client's id."""
    from django.db import transaction

    from veilleur.clients.models import Client
    from veilleur.demo import catalogue
    from veilleur.demo.command import DemoSummary, _agency, _checker_stop, _client, _owner

    sites = tuple(
        catalogue.SiteSpec(
            key=f"site{n:02d}",
            name=f"Site {n:02d}",
            url=f"https://site{n:02d}.bench.example/",
            median_ms=150 + 45 * n,
            spread=0.25 + 0.02 * n,
            # 1 to 3 incidents a month per monitor: ``_scenario`` plants at least one.
            monitors=(catalogue.MonitorSpec("home", "", 3 + 3 * (n % 3)),),
        )
        for n in range(1, SITES + 1)
    )
    spec = catalogue.ClientSpec(
        key="bench-report",
        name="Client du banc d'essai",
        plan="premium",
        contacts=(("Contact", "contact@bench.example", True),),
        sites=sites,
        windows=(
            catalogue.WindowSpec(
                key="migration", title="Migration du serveur", duration_minutes=90, outage_inside=True
            ),
        ),
    )
    rng = random.Random(SEED)
    summary = DemoSummary()
    with transaction.atomic():
        agency = _agency(HISTORY_START, HISTORY_END)
        owner = _owner(agency)
        stopped = _checker_stop(HISTORY_START, HISTORY_END, rng)
        _client(agency, owner, spec, HISTORY_START, HISTORY_END, stopped, rng, summary)
    client = Client.objects.get(key=spec.key)
    from veilleur.monitoring.models import Monitor

    monitors = Monitor.objects.filter(site__client=client).select_related("site__client__plan")
    intervals = {monitor.effective_interval_seconds() for monitor in monitors}
    if len(monitors) != SITES or intervals != {INTERVAL_SECONDS}:
        raise SystemExit(
            f"expected {SITES} monitors at {INTERVAL_SECONDS} s, found {len(monitors)} at {intervals}"
        )
    return int(client.pk)


if __name__ == "__main__":
    main()
