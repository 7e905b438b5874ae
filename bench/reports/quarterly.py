"""The quarterly review of one client: 10 sites at 30 s checks over a quarter, figures and PDF.

Target (issue 14): under 2 s for the figures and under 8 s for the PDF, read from the rollups and
the incidents, never from a scan of the raw results.

In a fresh data directory (a temporary directory; with ``--database-url``, the PostgreSQL
database ``veilleur_bench_quarterly`` is created on that server and dropped at the end) this
script writes, through the monthly report bench's own builder (``bench/report/run.py``, which uses
the demo's functions), one agency and one premium client with 10 sites of one monitor each at
30 s, and the history of the third and fourth quarters of 2026 in the client's zone (plus a day on
each side) as the worker leaves it once compacted: the review reads the fourth quarter, compares it
with the third, and finds nothing for the same quarter of 2025. It then times, ``--repeat`` times
each, ``quarterly_review`` (the figures, client loaded included) and ``render_pdf`` on them (HTML
included), prints min and median, and counts the SQL queries of one ``quarterly_review``.

    .venv/bin/python bench/reports/quarterly.py [--repeat 5]
        [--database-url postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
# The monthly report bench: its client of 10 sites at 30 s, its database helpers and timers.
import run as monthly_bench

BENCH_DB = "veilleur_bench_quarterly"
YEAR, QUARTER = 2026, 4
HISTORY_START = datetime(2026, 6, 29, 0, 0, tzinfo=UTC)
HISTORY_END = datetime(2027, 1, 2, 0, 0, tzinfo=UTC)
REVIEW_NOW = datetime(2027, 1, 3, 9, 0, tzinfo=UTC)
FIGURES_TARGET, PDF_TARGET = 2.0, 8.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (127.0.0.1) to create the bench database on"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each step")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    # The history the monthly bench's builder writes: half a year instead of a month.
    monthly_bench.BENCH_DB = BENCH_DB
    monthly_bench.HISTORY_START = HISTORY_START
    monthly_bench.HISTORY_END = HISTORY_END
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-quarterly-") as data_dir:
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ["VEILLEUR_LOG_LEVEL"] = "WARNING"
        os.environ["VEILLEUR_RAW_RETENTION_DAYS"] = "60"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
        if args.database_url:
            server = urlsplit(args.database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            monthly_bench.create_database(args.database_url)
            os.environ["DATABASE_URL"] = server._replace(path="/" + BENCH_DB).geturl()
            try:
                run("PostgreSQL", args.repeat)
            finally:
                monthly_bench.close_connections()
                monthly_bench.drop_database(args.database_url)
        else:
            os.environ.pop("DATABASE_URL", None)
            try:
                run("SQLite", args.repeat)
            finally:
                monthly_bench.close_connections()


def run(backend: str, repeat: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from veilleur.clients.models import Client
    from veilleur.reports.data import monthly_report
    from veilleur.reports.review import quarterly_review
    from veilleur.reports.review_render import render_html, render_pdf

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    client_id = monthly_bench.build_history()
    stored = monthly_bench.stored_rows()
    print(
        f"{backend}: history written in {time.perf_counter() - began:.1f} s: {monthly_bench.describe(stored)}"
    )

    def review_client() -> Any:
        return Client.objects.select_related("plan", "agency").get(pk=client_id)

    def figures() -> Any:
        return quarterly_review(review_client(), YEAR, QUARTER, REVIEW_NOW)

    review = figures()  # warm-up: imports, template loading, first connection
    html = render_html(review)
    pdf = render_pdf(review)
    queries, tables = monthly_bench.count_queries(figures)
    timings = [
        monthly_bench.Timing("figures (quarterly_review)", monthly_bench.measure(figures, repeat)),
        monthly_bench.Timing(
            "PDF (render_pdf, HTML included)", monthly_bench.measure(lambda: render_pdf(review), repeat)
        ),
    ]
    # The monthly report of the quarter's first month on the same data, timed in the same run: the
    # ratio says what the quarter costs whatever else the machine is doing.
    month = monthly_bench.Timing(
        "for comparison: one month's figures (monthly_report)",
        monthly_bench.measure(
            lambda: monthly_report(review_client(), YEAR, 3 * QUARTER - 2, REVIEW_NOW), repeat
        ),
    )
    print()
    print(
        f"{backend}, {YEAR}Q{QUARTER}, {len(review.sites)} sites, {review.figures.latency.checks:,} checks "
        f"in the rollups ({review.previous.latency.checks:,} the quarter before), "
        f"{review.figures.incidents} incidents, HTML {len(html) / 1024:,.0f} KiB, "
        f"PDF {len(pdf) / 1024:,.0f} KiB, "
        f"{repeat} runs each"
    )
    print()
    print("| step | min | median | target |")
    print("|---|---:|---:|---:|")
    for timing, target in zip(timings, (FIGURES_TARGET, PDF_TARGET), strict=True):
        print(
            f"| {timing.label} | {monthly_bench.seconds(timing.minimum)} | "
            f"{monthly_bench.seconds(timing.median)} | {target:.0f} s |"
        )
    print(
        f"| {month.label} | {monthly_bench.seconds(month.minimum)} | "
        f"{monthly_bench.seconds(month.median)} | — |"
    )
    print()
    print(f"quarterly_review: {queries} SQL queries; tables read: {monthly_bench.describe(tables)}")
    met = (
        timings[0].median < FIGURES_TARGET
        and timings[1].median < PDF_TARGET
        and "history_resultblock" not in tables
    )
    print(f"targets met: {'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
