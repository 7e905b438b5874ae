"""A client's public status page under load: requests/s and p99 of the web role, as `veilleur up` runs it.

Target: at least 1,000 requests/s with a p99 under 50 ms for the HTML page (`/s/<slug>/`).

In a fresh data directory (a temporary directory; with ``--database-url``, the PostgreSQL database
``veilleur_bench_statuspage`` is created on that server and dropped at the end) this script:

1. runs ``veilleur migrate``, then writes one agency (``create_agency``), one client on the
   Standard plan with 20 sites of one monitor each, created 120 days ago, and a status page
   showing the 20 sites (in three groups). The history is what the page reads, not raw results:
   2 to 5 incidents per monitor over the last 90 days (a few degraded-performance ones, the rest
   outages of a few minutes to an hour, away from each other and from maintenance), public
   updates on about a third of them through ``post_update``, one outage still open with its
   updates (a page is read most when something is down), a 10-20 minute stop of the checker
   (a no-data gap on every monitor) and a few short gaps per monitor, a weekly maintenance
   window over every site and a one-off window coming up in three days on two of them;
2. renders the page with Django's test client in a fresh child process that loads what the web
   role loads and, as it does, leaves those start-up objects out of the collector's walks
   (``veilleur.heap``): ``--repeat`` cold renders (the cache emptied before each) and cached
   ones, with their SQL query counts;
3. starts the web role exactly as ``veilleur up`` starts it (``python -m veilleur.cli web --bind
   127.0.0.1:PORT --workers N --no-migrate``, N being the command's default), with its stdout and
   stderr (gunicorn's access log) going to a file, as they would to a log collector;
4. for the HTML page, the JSON summary, an uptime badge and ``/healthz`` (the server's floor: one
   query, a few bytes), each asked for with the ``Accept-Encoding`` browsers send (gzip among
   others), and for the HTML page once more without it, as a script would: checks the answer
   (compressed where expected), warms up with wrk for ``--warmup`` seconds, then runs
   ``wrk -t2 -c32 -d10s --latency`` ``--rounds`` times and shows the run with the median
   requests/s: its p50, p99 and max latency, and the CPU of the server's processes per request
   (from /proc; wrk shares the machine's cores with the server, its own CPU is shown too);
5. once more for the HTML page with the page's state version bumped half-way through the run, as
   a posted update or an incident opening does (and as the end of a rendering's lifetime does):
   every request then misses the cache at once. wrk's timeout is raised to 30 s for that run, so
   that slow answers count in the latencies instead of as timeouts.

Every process started here (the server's process group, wrk) is stopped at the end, whatever
happens; the temporary directory and the database are removed.

    .venv/bin/python bench/statuspage/run.py [--seconds 10] [--warmup 3] [--rounds 1]
        [--connections 32] [--database-url postgres://root@127.0.0.1:5432/postgres]
        [--components 20] [--render-only] [--profile]

``--components`` sets the page's size (one site per component), ``--render-only`` stops after
step 2, ``--profile`` prints a cProfile of one cold render.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BIN = Path(sys.executable).parent
BENCH_DB = "veilleur_bench_statuspage"
SLUG = "bench"
SITES = 20  # the page's components by default; --components for more
SEED = 20260301
GROUPS = ("Sites vitrines", "Boutiques", "Services")
TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# What Chromium and Firefox send: every browser asks for gzip.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


@dataclass(frozen=True)
class Target:
    label: str
    url: str
    content_type: str  # what the answer must be before the load starts
    change_midway: bool = False  # bump the page's state version half-way through the run
    accept_encoding: str = BROWSER_ENCODINGS  # sent with every request ("": none)
    compressed: bool = False  # the answer must come gzip-compressed (others may or may not)


@dataclass(frozen=True)
class Load:
    label: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers and socket errors
    server_cpu_ms: float  # per request, all the server's processes
    wrk_cpu_seconds: float


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="length of the wrk run before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=1, help="measured runs per page (the median is shown)")
    parser.add_argument("--repeat", type=int, default=5, help="cold renders timed (step 2)")
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (127.0.0.1) to create the bench database on"
    )
    parser.add_argument(
        "--components", type=int, default=SITES, help="components on the page (one site each)"
    )
    parser.add_argument(
        "--render-only", action="store_true", help="stop after the renders of step 2, without the web role"
    )
    parser.add_argument("--profile", action="store_true", help="print where a cold render spends its time")
    parser.add_argument("--render-child", help=argparse.SUPPRESS)  # step 2's process: where to write
    args = parser.parse_args()
    if args.render_child:
        render_child(Path(args.render_child), args.repeat, args.profile)
        return
    if args.components < 1:
        parser.error("--components must be at least 1")
    if not args.render_only and not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if min(args.repeat, args.seconds, args.rounds) < 1:
        parser.error("--repeat, --rounds and --seconds must be at least 1")
    # A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so every ``finally`` below runs.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-statuspage-") as data_dir:
        # Set here, read by Django in this process and inherited by `veilleur migrate` and the server.
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        if args.database_url:
            server = urlsplit(args.database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            os.environ["DATABASE_URL"] = server._replace(path="/" + BENCH_DB).geturl()
            create_database(args.database_url)
        try:
            run("PostgreSQL" if args.database_url else "SQLite", Path(data_dir), args)
        finally:
            close_connections()
            if args.database_url:
                drop_database(args.database_url)


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


def run(backend: str, data_dir: Path, args: argparse.Namespace) -> None:
    subprocess.run([str(BIN / "veilleur"), "migrate"], check=True, capture_output=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    began = time.perf_counter()
    summary = build_page(args.components)
    print(f"{backend}: page written in {time.perf_counter() - began:.1f} s: {summary}", flush=True)

    close_connections()  # the renders' process and the server's have the database to themselves
    cold, cold_queries, cached_ms, cached_queries = renders_in_a_fresh_process(args, data_dir)
    if args.render_only:
        return
    workers = default_web_workers()

    port = free_port()
    log_path = data_dir / "web.log"
    with web_role(port, workers, log_path) as master_pid:
        server = f"http://127.0.0.1:{port}"
        page = f"{server}/s/{SLUG}/"
        targets = [
            Target("HTML page", page, "text/html", compressed=True),
            Target("JSON summary", page + "api/status.json", "application/json"),
            Target("uptime badge", page + "badge/uptime.svg?window=30d", "image/svg+xml"),
            # What visitors see when an update is posted or the rendering expires under load.
            Target(
                "HTML page, its state changes half-way",
                page,
                "text/html",
                change_midway=True,
                compressed=True,
            ),
            # A client that does not ask for compression (a script, a monitoring probe).
            Target("HTML page, not compressed", page, "text/html", accept_encoding=""),
            # The server's floor on this machine: one query, a few bytes, the same middleware.
            Target("health check, for reference", server + "/healthz", ""),
        ]
        loads = []
        for target in targets:
            expect_ok(target)
            wrk(target, args.warmup, args.threads, args.connections)
            runs = [measure(target, master_pid, args) for _ in range(args.rounds)]
            loads.append(sorted(runs, key=lambda load: load.requests_per_second)[len(runs) // 2])
            print(
                f"  {target.label}: {', '.join(f'{run.requests_per_second:,.0f}' for run in runs)} requests/s"
            )
    log_lines = sum(1 for _ in log_path.open(errors="replace")) if log_path.exists() else 0

    print()
    print(
        f"{backend}, {args.components} components, `veilleur web` (gunicorn gthread, {workers} workers x "
        f"{web_threads()} threads), "
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s --latency on the same cores, "
        f"median of {args.rounds} run(s) by requests/s; {log_lines:,} lines in the server's log"
    )
    print()
    print("| page | requests/s | p50 | p99 | max | server CPU / request | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for load in loads:
        print(
            f"| {load.label} (`{load.path}`) | {load.requests_per_second:,.0f} | {load.p50_ms:.2f} ms "
            f"| {load.p99_ms:.2f} ms | {load.max_ms:.2f} ms | {load.server_cpu_ms:.2f} ms | {load.errors} |"
        )
    print()
    print(f"wrk's own CPU: {max(load.wrk_cpu_seconds / args.seconds for load in loads):.2f} cores at most")
    print(f"cold render (cache empty): min {cold[0]:.0f} ms, median {cold[1]:.0f} ms, {cold_queries} queries")
    print(f"cached render: {cached_ms:.2f} ms, {cached_queries} queries")
    html = loads[0]
    met = html.requests_per_second >= TARGET_RPS and html.p99_ms < TARGET_P99_MS and html.errors == 0
    print(
        f"target (HTML >= {TARGET_RPS:,.0f} requests/s, p99 < {TARGET_P99_MS:.0f} ms): "
        + ("met" if met else "NOT met")
    )


def web_threads() -> int:
    from veilleur.web_server import serve

    return int(inspect.signature(serve).parameters["threads"].default)


def default_web_workers() -> int:
    """What ``veilleur up`` passes to the web role: the command's own default."""
    from veilleur.cli import build_parser

    return int(build_parser().parse_args(["web"]).workers)


# --- the page and its history ----------------------------------------------------------------


def build_page(sites: int) -> str:
    from django.db import transaction
    from django.utils import timezone

    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, MaintenanceWindow, Site
    from veilleur.monitoring.models import Monitor, NoDataGap
    from veilleur.plans.models import Plan
    from veilleur.statuspages.models import StatusComponent, StatusPage, bump_pages_of_clients

    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    created = now - timedelta(days=120)
    with transaction.atomic():
        agency = create_agency(key="bench", name="Agence du banc d'essai")
        plan = Plan.objects.get(agency=agency, key="standard")
        if not plan.status_page:
            raise SystemExit("the Standard plan has no status page")
        client = Client.objects.create(
            agency=agency, key="bench-client", name="Client du banc d'essai", plan=plan, created_at=created
        )
        page = StatusPage.objects.create(client=client, slug=SLUG, title="État des services", language="fr")
        monitors = []
        for n in range(sites):
            site = Site.objects.create(
                client=client,
                key=f"site{n:03d}",
                name=f"Site {n:03d}",
                url=f"https://site{n:03d}.bench.example/",
                created_at=created,
            )
            monitors.append(Monitor.objects.create(site=site, key="home", url=site.url, created_at=created))
            StatusComponent.objects.create(
                page=page, site=site, public_name=f"Site {n:03d}", group=GROUPS[n % 3], position=n
            )
        weekly = MaintenanceWindow.objects.create(
            client=client,
            key="weekly",
            title="Mises à jour hebdomadaires",
            start_date=(created + timedelta(days=(1 - created.weekday()) % 7)).date(),  # a Tuesday
            start_time=datetime.min.time().replace(hour=22),
            duration_minutes=60,
            rrule="FREQ=WEEKLY;BYDAY=TU",
        )
        upcoming = MaintenanceWindow.objects.create(
            client=client,
            key="migration",
            title="Migration du serveur",
            start_date=(now + timedelta(days=3)).date(),
            start_time=datetime.min.time().replace(hour=6),
            duration_minutes=90,
        )
        upcoming.sites.set([monitors[0].site, monitors[1].site])
        busy = maintenance_spans(weekly, client.time_zone, now - timedelta(days=91), now)
        stop = checker_stop(now, rng)
        gaps = []
        counts = {"incidents": 0, "updates": 0}
        for index, monitor in enumerate(monitors):
            monitor_gaps = [stop, *short_gaps(now, rng, [*busy, stop])]
            gaps += [NoDataGap(monitor=monitor, started_at=a, ended_at=b) for a, b in monitor_gaps]
            for incident_counts in plant_incidents(
                monitor, now, rng, [*busy, *monitor_gaps], ongoing=index == 4
            ):
                counts["incidents"] += 1
                counts["updates"] += incident_counts
        NoDataGap.objects.bulk_create(gaps)
        bump_pages_of_clients([client.pk])
    return (
        f"{sites} components, {counts['incidents']} incidents ({counts['updates']} public updates), "
        f"{len(gaps)} no-data gaps, a weekly maintenance window and a coming one"
    )


Interval = tuple[datetime, datetime]


def maintenance_spans(window: Any, zone_name: str, start: datetime, end: datetime) -> list[Interval]:
    from zoneinfo import ZoneInfo

    from veilleur.domain.maintenance import occurrences

    return occurrences(window.rule(ZoneInfo(zone_name)), start, end)


def checker_stop(now: datetime, rng: random.Random) -> Interval:
    """Our own outage, once, on every monitor: the checker stopped for 10 to 20 minutes."""
    at = (now - timedelta(days=rng.uniform(20, 70))).replace(second=0)
    return at, at + timedelta(minutes=rng.randint(10, 20))


def free_slot(now: datetime, rng: random.Random, busy: list[Interval], length: timedelta) -> datetime | None:
    """A start in the last 90 days (not the last 3 hours) whose span keeps 2 h from anything busy."""
    from veilleur.demo.command import SPACING, _free

    earliest, latest = now - timedelta(days=90) + timedelta(hours=2), now - timedelta(hours=3) - length
    for _attempt in range(50):
        at = (earliest + (latest - earliest) * rng.random()).replace(microsecond=0)
        if _free(busy, at - SPACING, at + length + SPACING):
            return at
    return None


def short_gaps(now: datetime, rng: random.Random, busy: list[Interval]) -> list[Interval]:
    gaps: list[Interval] = []
    for _ in range(rng.randint(0, 2)):
        length = timedelta(minutes=rng.uniform(3, 10))
        at = free_slot(now, rng, [*busy, *gaps], length)
        if at is not None:
            gaps.append((at, at + length))
    return gaps


UPDATE_TEXTS = (
    ("investigating", "Le site ne répond plus, nous cherchons la cause."),
    ("identified", "L'hébergeur a un incident réseau dans son centre de données."),
    ("monitoring", "Le site répond de nouveau, nous surveillons."),
    ("resolved", "Incident terminé : le service est rétabli."),
)


def plant_incidents(
    monitor: Any, now: datetime, rng: random.Random, busy: list[Interval], *, ongoing: bool
) -> Iterator[int]:
    """2 to 5 past incidents (one in eight degraded), about a third with public updates; with
    ``ongoing``, one more outage still open. Yields each incident's number of updates."""
    from veilleur.demo.command import _outage_length
    from veilleur.incidents.models import Incident

    taken = list(busy)
    for _ in range(rng.randint(2, 5)):
        length = _outage_length(rng)
        at = free_slot(now, rng, taken, length)
        if at is None:
            continue
        taken.append((at, at + length))
        kind = Incident.Kind.DEGRADED if rng.random() < 0.125 else Incident.Kind.DOWN
        incident = record_incident(monitor, kind, at, at + length, rng)
        yield post_updates(incident, rng) if rng.random() < 0.35 else 0
    if ongoing:
        incident = record_incident(monitor, Incident.Kind.DOWN, now - timedelta(minutes=25), None, rng)
        yield post_updates(incident, rng, steps=2)


def record_incident(
    monitor: Any, kind: str, first_failed: datetime, recovered: datetime | None, rng: random.Random
) -> Any:
    """An incident as the checker records it, acknowledged by the on-call person unless it
    recovered first."""
    from veilleur.incidents.models import AckChannel, Incident
    from veilleur.incidents.sla import sla_fields
    from veilleur.monitoring.models import Monitor

    monitor = Monitor.objects.select_related("site__client__plan").get(pk=monitor.pk)
    confirmed = first_failed + timedelta(seconds=rng.randint(5, 20))
    acknowledged: datetime | None = confirmed + timedelta(minutes=rng.uniform(2, 40))
    if recovered is not None and acknowledged is not None and acknowledged >= recovered:
        acknowledged = None
    down = kind == Incident.Kind.DOWN
    return Incident.objects.create(
        monitor=monitor,
        kind=kind,
        **sla_fields(monitor, confirmed),
        first_failed_at=first_failed,
        confirmed_at=confirmed,
        notified_at=confirmed + timedelta(seconds=2),
        acknowledged_at=acknowledged,
        acknowledged_by_label="Astreinte" if acknowledged else "",
        ack_channel=AckChannel.EMAIL_LINK if acknowledged else "",
        recovered_at=recovered,
        resolved_at=recovered + timedelta(seconds=rng.randint(5, 20)) if recovered else None,
        cause_error_class="http_status" if down else "other",
        cause_status_code=503 if down else None,
        cause_message="Service Unavailable" if down else "response time above the threshold",
    )


def post_updates(incident: Any, rng: random.Random, steps: int | None = None) -> int:
    """Public updates through the product's own path (first_client_update_at, subscribers)."""
    from veilleur.incidents.updates import post_update

    count = steps if steps is not None else rng.randint(1, 3)
    chosen = (
        UPDATE_TEXTS[:count]
        if incident.recovered_at is None
        else (*UPDATE_TEXTS[: count - 1], UPDATE_TEXTS[3])
    )
    end = incident.recovered_at or incident.confirmed_at + timedelta(minutes=20)
    for number, (status, message) in enumerate(chosen):
        at = incident.confirmed_at + (end - incident.confirmed_at) * (number + 1) / (len(chosen) + 1)
        if status == "resolved":
            at = incident.recovered_at + timedelta(minutes=rng.uniform(1, 10))
        post_update(incident, status, message, by_label="Astreinte", at=at)
    return len(chosen)


# --- rendering in a fresh process -------------------------------------------------------------


def renders_in_a_fresh_process(
    args: argparse.Namespace, data_dir: Path
) -> tuple[tuple[float, float], int, float, int]:
    """The renders of step 2, timed in a child process that starts as the web role does: its
    heap holds the web role's start-up objects, not the thousands of rows this process wrote."""
    results = data_dir / "renders.json"
    command = [sys.executable, __file__, "--render-child", str(results), "--repeat", str(args.repeat)]
    subprocess.run(command + (["--profile"] if args.profile else []), check=True)
    found = json.loads(results.read_text())
    fastest, median = found["cold"]
    return (fastest, median), found["cold_queries"], found["cached_ms"], found["cached_queries"]


def render_child(results: Path, repeat: int, profile: bool) -> None:
    """``--render-child``: load what the web role loads, leave it to the collector as the web role
    does (``veilleur.heap``), then time the renders and write their figures to ``results``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    from veilleur.heap import freeze_start_up_objects
    from veilleur.wsgi import application  # noqa: F401 (loaded by the web role before it serves)

    freeze_start_up_objects()
    cold, cold_queries, cached_ms, cached_queries, html_bytes = render_in_process(repeat)
    print(
        f"in a fresh process: cold render (cache empty) min {cold[0]:.0f} ms, median {cold[1]:.0f} ms, "
        f"{cold_queries} SQL queries; cached {cached_ms:.2f} ms, {cached_queries} SQL queries; "
        f"HTML {html_bytes / 1024:.0f} KiB ({gzipped_size() / 1024:.0f} KiB gzipped)",
        flush=True,
    )
    for label, path in extra_pages():
        cold_ms, queries, size = cold_render_of(path, repeat)
        print(
            f"  {label}: cold render CPU median {cold_ms:.0f} ms, {queries} SQL queries, "
            f"{size / 1024:.0f} KiB",
            flush=True,
        )
    if profile:
        profile_cold_render()
    close_connections()
    found = {
        "cold": cold,
        "cold_queries": cold_queries,
        "cached_ms": cached_ms,
        "cached_queries": cached_queries,
    }
    results.write_text(json.dumps(found))


def render_in_process(repeat: int) -> tuple[tuple[float, float], int, float, int, int]:
    """Cold renders (min, median ms) and their query count; a cached one's ms and query count;
    the HTML's size. The first render (imports, template compilation) is not counted."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    browser = HttpClient()

    def get() -> bytes:
        response = browser.get(f"/s/{SLUG}/", HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            raise SystemExit(f"the page answered {response.status_code}")
        return bytes(response.content)

    cache.clear()
    body = get()
    times = []
    cpu = []
    for _ in range(repeat):
        cache.clear()
        cpu_before = time.process_time()
        times.append(elapsed_ms(get))
        cpu.append((time.process_time() - cpu_before) * 1000)
    print(f"cold render CPU time (the renders' process): median {statistics.median(cpu):.0f} ms", flush=True)
    # Counted at once: the next request clears the connection's query log the counts read.
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        get()
    cold_queries = len(cold.captured_queries)
    with CaptureQueriesContext(connection) as warm:
        get()
    cached_queries = len(warm.captured_queries)
    cached = [elapsed_ms(get) for _ in range(200)]
    return (
        (min(times), statistics.median(times)),
        cold_queries,
        statistics.median(cached),
        cached_queries,
        len(body),
    )


def page_get(path: str) -> bytes:
    from django.test import Client as HttpClient

    response = HttpClient().get(path, HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return bytes(response.content)


def gzipped_size() -> int:
    """What the page weighs compressed, as the documented Caddy serves it."""
    import gzip

    from django.core.cache import cache

    cache.clear()
    return len(gzip.compress(page_get(f"/s/{SLUG}/"), 6))


def extra_pages() -> list[tuple[str, str]]:
    """The page's other renderings that read the whole page's data: the JSON summary, and the
    first component's day-by-day page when the page has one."""
    from veilleur.statuspages.models import StatusComponent

    pages = [("JSON summary", f"/s/{SLUG}/api/status.json")]
    first = StatusComponent.objects.filter(page__slug=SLUG).order_by("position", "id").first()
    if first is not None:
        with suppress(SystemExit):
            page_get(f"/s/{SLUG}/components/{first.pk}/")
            pages.append(("a component's day-by-day page", f"/s/{SLUG}/components/{first.pk}/"))
    return pages


def cold_render_of(path: str, repeat: int) -> tuple[float, int, int]:
    """Median cold render (ms), its SQL queries, and the answer's size."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    body = page_get(path)
    cpu = []
    for _ in range(repeat):
        cache.clear()
        cpu_before = time.process_time()
        page_get(path)
        cpu.append((time.process_time() - cpu_before) * 1000)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        page_get(path)
    return statistics.median(cpu), len(cold.captured_queries), len(body)


def profile_cold_render() -> None:
    """cProfile of one cold render of the HTML page: the functions with the most time of their own,
    and those with the most time below them."""
    import cProfile
    import pstats

    from django.core.cache import cache

    cache.clear()
    profiler = cProfile.Profile()
    profiler.runcall(page_get, f"/s/{SLUG}/")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(40)


def elapsed_ms(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return (time.perf_counter() - started) * 1000


# --- the web role ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def web_role(port: int, workers: int, log_path: Path) -> Iterator[int]:
    """The web role as the supervisor of ``veilleur up`` starts it, in its own process group,
    stopped (and its group killed if it lingers) on the way out."""
    argv = [sys.executable, "-m", "veilleur.cli", "web", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--no-migrate"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(port, process, log_path)
            yield process.pid
        finally:
            stop_group(process)


def wait_ready(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"the web role exited with {process.returncode}:\n{log_path.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the web role did not answer within 60 s")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
    process.wait()


def expect_ok(target: Target) -> None:
    request = urllib.request.Request(target.url, headers=encoding_header(target))
    with urllib.request.urlopen(request, timeout=30) as response:
        encoding = response.headers.get("Content-Encoding", "")
        if (
            response.status != 200
            or not response.headers["Content-Type"].startswith(target.content_type)
            or (target.compressed and encoding != "gzip")
            or (not target.accept_encoding and encoding)
        ):
            raise SystemExit(
                f"{target.url}: {response.status} {response.headers['Content-Type']}, encoding {encoding!r}"
            )


def encoding_header(target: Target) -> dict[str, str]:
    return {"Accept-Encoding": target.accept_encoding} if target.accept_encoding else {}


def group_cpu_seconds(master_pid: int) -> float:
    """utime + stime of the server's master and its workers (the processes whose parent it is)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if master_pid in (pid, parent):
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def wrk(target: Target, seconds: int, threads: int, connections: int, timeout: int = 2) -> str:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in encoding_header(target).items():
        command += ["-H", f"{name}: {value}"]
    if timeout != 2:  # wrk's default: slower answers count as timeouts, outside the latencies
        command.append(f"--timeout={timeout}s")
    return subprocess.run(
        [*command, target.url], capture_output=True, text=True, check=True, timeout=seconds + timeout + 60
    ).stdout


def measure(target: Target, master_pid: int, args: argparse.Namespace) -> Load:
    change = threading.Timer(args.seconds / 2, bump_state_version) if target.change_midway else None
    cpu_before = group_cpu_seconds(master_pid)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if change:
        change.start()
    try:
        # With a state change, the slowest answers are the point: they must be counted.
        out = wrk(target, args.seconds, args.threads, args.connections, timeout=30 if change else 2)
    finally:
        if change:
            change.cancel()
            change.join()
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = group_cpu_seconds(master_pid) - cpu_before
    requests = int(wrk_value(r"(\d+) requests in", out))
    errors = int(wrk_value(r"Non-2xx or 3xx responses:\s+(\d+)", out, "0"))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(count) for count in socket_errors.groups())
    url = urlsplit(target.url)
    return Load(
        label=target.label,
        path=url.path + (f"?{url.query}" if url.query else ""),
        requests_per_second=float(wrk_value(r"Requests/sec:\s+([\d.]+)", out)),
        p50_ms=duration_ms(wrk_value(r"^\s+50%\s+(\S+)", out)),
        p99_ms=duration_ms(wrk_value(r"^\s+99%\s+(\S+)", out)),
        max_ms=duration_ms(wrk_value(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out)),
        errors=errors,
        server_cpu_ms=server_cpu * 1000 / max(1, requests),
        wrk_cpu_seconds=(wrk_after.ru_utime + wrk_after.ru_stime)
        - (wrk_before.ru_utime + wrk_before.ru_stime),
    )


def bump_state_version() -> None:
    """What the checker or a posted update does to the page: its cached renderings are stale."""
    from django.db import connection

    from veilleur.statuspages.models import StatusPage, bump_pages_of_clients

    try:
        bump_pages_of_clients(StatusPage.objects.filter(slug=SLUG).values_list("client_id", flat=True))
    finally:
        connection.close()  # this thread's own


def wrk_value(pattern: str, text: str, default: str | None = None) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    if found:
        return found.group(1)
    if default is not None:
        return default
    raise SystemExit(f"wrk's output has no {pattern!r}:\n{text}")


def duration_ms(text: str) -> float:
    """wrk's durations: 850.00us, 12.34ms, 1.20s, 2.00m."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


if __name__ == "__main__":
    main()
