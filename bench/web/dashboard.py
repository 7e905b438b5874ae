"""The staff overview and incident queue at 500 and 5,000 monitors: time to first byte, queries.

Target (issue 11): with 5,000 monitors (1,000 clients) the overview's first byte in under 200 ms
and a filtered page in under 300 ms, with a number of SQL queries that does not grow with the rows.

For each size, in a fresh data directory (a temporary directory; with ``--database-url``, the
PostgreSQL database ``veilleur_bench_dashboard`` is created on that server and dropped at the end):

1. ``veilleur migrate``, one agency (``create_agency``) and N/5 clients spread over the three
   plans, each with two sites (three monitors and two), created 60 days ago; every monitor checked
   in the last minute (its runtime), the hourly rollups of yesterday and today (``RollupDay``, as
   compaction writes them) and the raw results of the last ten minutes (one a minute, not yet
   compacted); 2 % of monitors down now (an open incident), 10 % with an outage of 20 minutes
   earlier this month, a no-data gap on 5 %, a weekly maintenance window on 10 % of clients;
2. starts the web role as ``veilleur web`` runs it (``python -m veilleur.cli web --no-migrate``), signs
   a staff member in (a session row), and asks each page ``--repeat`` times over one keep-alive
   connection, timing from the request sent to the status line and headers received (the first
   byte: the view has rendered the whole page by then) and to the last byte;
3. counts each page's SQL queries by rendering it once more in this process.

    .venv/bin/python bench/web/dashboard.py [--sizes 500,5000] [--repeat 7]
        [--database-url postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BIN = Path(sys.executable).parent
BENCH_DB = "veilleur_bench_dashboard"
SEED = 20261204
MONITORS_PER_CLIENT = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="500,5000", help="numbers of monitors, comma-separated")
    parser.add_argument("--repeat", type=int, default=7, help="requests per page (the median is shown)")
    parser.add_argument("--database-url", help="a PostgreSQL server (127.0.0.1) for the bench database")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    sizes = [int(size) for size in args.sizes.split(",")]
    backend = "PostgreSQL" if args.database_url else "SQLite"
    rows = []
    for size in sizes:
        # Each size in its own process: Django is set up once per process and per database.
        argv = [sys.executable, __file__, "--one", str(size), "--repeat", str(args.repeat)]
        if args.database_url:
            argv += ["--database-url", args.database_url]
        output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        print(output, end="", flush=True)
        rows += [line for line in output.splitlines() if line.startswith("|")]
    print(
        f"\n{backend}:\n| monitors | page | first byte (median) | first byte (max) | last byte (median) "
        "| CPU in process | SQL |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))


def one_size(size: int, repeat: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-dashboard-") as data_dir:
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        if database_url:
            server = urlsplit(database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            os.environ["DATABASE_URL"] = server._replace(path="/" + BENCH_DB).geturl()
            _admin(
                database_url,
                f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)",
                f"CREATE DATABASE {BENCH_DB}",
            )
        try:
            _measure(size, repeat, Path(data_dir))
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if database_url:
                _admin(database_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _admin(server_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def _measure(size: int, repeat: int, data_dir: Path) -> None:
    subprocess.run([str(BIN / "veilleur"), "migrate"], check=True, capture_output=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    began = time.perf_counter()
    user, client_id, plan_id = build_agency(size)
    print(f"{size} monitors written in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    pages = [
        ("overview, default (problems first)", "/"),
        ("overview, filtered: down", "/?state=down"),
        ("overview, filtered: text", f"/?q=client+{client_id:04d}"),
        ("overview, filtered: plan, oldest check, page 3", f"/?plan={plan_id}&sort=last_check&page=3"),
        ("overview, live refresh (fragment)", "/overview/rows"),
        ("incident queue", "/incidents/"),
        ("incident queue, filtered: open, missed", "/incidents/?status=open&outcome=missed"),
    ]
    queries = {path: count_queries(user, path) for _, path in pages}
    cpu = {path: cpu_ms(user, path, repeat) for _, path in pages}
    from django.db import connections

    connections.close_all()
    cookie = session_cookie(user)
    port = free_port()
    with web_role(port, data_dir / "web.log"):
        for label, path in pages:
            first, last = timed_gets(port, path, cookie, repeat)
            print(
                f"| {size:,} | {label} | {statistics.median(first):.0f} ms | {max(first):.0f} ms "
                f"| {statistics.median(last):.0f} ms | {cpu[path]:.0f} ms | {queries[path]} |",
                flush=True,
            )


def build_agency(size: int) -> tuple[Any, int, int]:
    """The agency of ``size`` monitors; returns its owner, a client's number and a plan's id."""
    from django.db import transaction
    from django.utils import timezone

    from veilleur.accounts.models import StaffUser
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, MaintenanceWindow, Site
    from veilleur.incidents.models import Incident
    from veilleur.monitoring.models import Monitor, MonitorRuntime, NoDataGap
    from veilleur.plans.models import Plan

    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    created = now - timedelta(days=60)
    with transaction.atomic():
        agency = create_agency(key="bench", name="Agence Bench")
        owner = StaffUser.objects.create_user(email="owner@bench.example", agency=agency, role="owner")
        plans = list(Plan.objects.filter(agency=agency).order_by("id"))
        clients = Client.objects.bulk_create(
            Client(
                agency=agency,
                key=f"client-{n:04d}",
                name=f"Client {n:04d}",
                plan=plans[n % len(plans)],
                created_at=created,
            )
            for n in range(size // MONITORS_PER_CLIENT)
        )
        sites = Site.objects.bulk_create(
            Site(
                agency=agency,
                client=client,
                key=key,
                name=f"{client.name} {key}",
                url=f"https://{client.key}-{key}.example/",
            )
            for client in clients
            for key in ("www", "shop")
        )
        monitors = Monitor.objects.bulk_create(
            Monitor(agency=agency, site=site, key=f"page-{k}", url=f"{site.url}{k}", created_at=created)
            for site in sites
            for k in range(3 if site.key == "www" else 2)
        )
        MonitorRuntime.objects.bulk_create(
            MonitorRuntime(
                monitor=monitor,
                due_at=now,
                next_slot_at=now,
                last_checked_at=now - timedelta(seconds=rng.randint(1, 50)),
                last_ok=True,
            )
            for monitor in monitors
        )
        _history(monitors, now, rng)
        for index, monitor in enumerate(monitors):
            if index % 50 == 0:  # down now
                failed = now - timedelta(minutes=rng.randint(3, 120))
                Incident.objects.create(
                    monitor=monitor,
                    first_failed_at=failed,
                    confirmed_at=failed + timedelta(seconds=40),
                    sla_due_at=failed + timedelta(hours=1),
                    cause_error_class="http_status",
                    cause_status_code=503,
                )
            elif index % 10 == 1:  # an outage earlier this month
                failed = now - timedelta(hours=rng.randint(3, 24 * 3))
                Incident.objects.create(
                    monitor=monitor,
                    first_failed_at=failed,
                    confirmed_at=failed + timedelta(seconds=40),
                    acknowledged_at=failed + timedelta(minutes=5),
                    recovered_at=failed + timedelta(minutes=20),
                    resolved_at=failed + timedelta(minutes=21),
                    sla_due_at=failed + timedelta(hours=1),
                    cause_error_class="timeout",
                )
            if index % 20 == 3:
                gap = now - timedelta(hours=rng.randint(2, 30))
                NoDataGap.objects.create(monitor=monitor, started_at=gap, ended_at=gap + timedelta(minutes=7))
        for client in clients[::10]:
            MaintenanceWindow.objects.create(
                agency=agency,
                client=client,
                key="weekly",
                title="Mises à jour",
                start_date=(now - timedelta(days=40)).date(),
                start_time=datetime.min.time().replace(hour=6),
                duration_minutes=30,
                rrule="FREQ=WEEKLY",
            )
    return owner, len(clients) // 2, plans[1].pk


def _history(monitors: list[Any], now: datetime, rng: random.Random) -> None:
    """Yesterday's and today's hourly rollups, and ten minutes of raw results not compacted yet."""
    from veilleur.domain.resultcodec import ResultRecord
    from veilleur.domain.rollups import pack_day, rollup_hour
    from veilleur.history.models import RollupDay
    from veilleur.monitoring.models import CheckResult

    times = [int(rng.lognormvariate(5.5, 0.4)) for _ in range(60)]
    hour = rollup_hour((ResultRecord(checked_at=now, ok=True, total_ms=ms) for ms in times), 500)
    today = now.astimezone(UTC).date()
    yesterday_hours = pack_day(dict.fromkeys(range(24), hour))
    today_hours = pack_day(dict.fromkeys(range(now.astimezone(UTC).hour), hour))
    RollupDay.objects.bulk_create(
        (
            RollupDay(monitor=monitor, day=day, hours=packed)
            for monitor in monitors
            for day, packed in ((today - timedelta(days=1), yesterday_hours), (today, today_hours))
        ),
        batch_size=2000,
    )
    CheckResult.objects.bulk_create(
        (
            CheckResult(
                monitor=monitor,
                checked_at=now - timedelta(minutes=m),
                ok=True,
                status_code=200,
                total_ms=times[m],
            )
            for monitor in monitors
            for m in range(10)
        ),
        batch_size=5000,
    )


def count_queries(user: object, path: str) -> int:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    browser = HttpClient()
    browser.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        answer = browser.get(path, HTTP_HOST="127.0.0.1")
    assert answer.status_code == 200, (path, answer.status_code)
    return len(captured)


def cpu_ms(user: Any, path: str, repeat: int) -> float:
    """The page's CPU time in this process (median; the first render compiles the templates):
    what it costs whatever else the machine is doing."""
    from django.test import Client as HttpClient

    browser = HttpClient()
    browser.force_login(user)
    times = []
    for attempt in range(repeat + 1):
        began = time.process_time()
        browser.get(path, HTTP_HOST="127.0.0.1")
        if attempt:
            times.append((time.process_time() - began) * 1000)
    return statistics.median(times)


def session_cookie(user: object) -> str:
    from django.conf import settings
    from django.test import Client as HttpClient

    browser = HttpClient()
    browser.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"


def timed_gets(port: int, path: str, cookie: str, repeat: int) -> tuple[list[float], list[float]]:
    """Milliseconds to the first byte and to the last, for one warm-up and ``repeat`` requests."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    first, last = [], []
    for attempt in range(repeat + 1):
        began = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "fr"})
        answer = connection.getresponse()
        headers_at = time.perf_counter()
        body = answer.read()
        done = time.perf_counter()
        if answer.status != 200 or not body:
            raise SystemExit(f"{path}: HTTP {answer.status}")
        if attempt:  # the first one compiles templates and warms caches
            first.append((headers_at - began) * 1000)
            last.append((done - began) * 1000)
    connection.close()
    return first, last


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class web_role:
    """The web role as ``veilleur web`` runs it, in its own process group, stopped on the way out."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "veilleur.cli",
            "web",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-migrate",
        ]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the web role exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the web role did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


if __name__ == "__main__":
    if "--one" in sys.argv:
        one = argparse.ArgumentParser()
        one.add_argument("--one", type=int, required=True)
        one.add_argument("--repeat", type=int, default=7)
        one.add_argument("--database-url")
        chosen = one.parse_args()
        one_size(chosen.one, chosen.repeat, chosen.database_url)
    else:
        main()
