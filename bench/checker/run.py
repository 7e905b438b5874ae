"""The checker role under load: N HTTPS monitors at 30 s against a local nginx, end to end.

Needs nginx (``apt-get install nginx``; only the binary is used, with a generated config) and,
for the PostgreSQL points, a server at 127.0.0.1:5432 where ``root`` may create databases. It
installs nothing itself.

For each database and each monitor count, a child process of this script:

1. creates a fresh database (SQLite in a temporary data directory, or the PostgreSQL database
   ``veilleur_bench_checker``, created here and dropped at the end), migrates it, and creates one
   agency, one client, one site and N monitors at ``https://localhost:PORT/``, interval 30 s;
2. starts ``--checkers`` processes of ``python -m veilleur.cli checker --no-migrate`` with
   VEILLEUR_ALLOW_PRIVATE_TARGETS=1 and VEILLEUR_CA_FILE set to the bench's throwaway CA;
3. waits ``--warmup`` seconds (the checker creates the runtime rows and settles), then measures
   for ``--seconds``: the checkers' CPU (utime + stime from /proc/PID/stat), nginx's and the
   database server's CPU, the checkers' RSS (VmRSS from /proc/PID/status);
4. stops the checkers (SIGTERM, they drain), then reads from the database the results whose
   ``checked_at`` falls in the window: checks/s, failures, and lateness = checked_at − the
   monitor's latest slot at or before checked_at (domain/schedule.py's phase), p50/p99/max;
5. measures what the raw results take: table + indexes of ``monitoring_checkresult``
   (PostgreSQL ``pg_total_relation_size``, SQLite ``dbstat`` pages) divided by its rows, times
   the 2,880 checks a 30 s monitor makes in a day.

nginx runs as a non-daemon child on 127.0.0.1 on a free port (HTTPS, certificate for
``localhost`` from a trustme CA, ``access_log off``, a 2 KB static page), stopped at the end.
All traffic is to 127.0.0.1. Everything is bounded in time; temporary files and the
PostgreSQL database are removed at the end.

    .venv/bin/python bench/checker/run.py [--monitors 1000,5000,10000,20000]
        [--databases sqlite,postgres] [--checkers 1] [--warmup 40] [--seconds 60]
        [--loop asyncio|uvloop] [--profile DIR] [--py-spy DIR] [--up]

``--up`` runs ``veilleur up`` instead (web role, worker and checker in its process of roles, plus
the extra checker processes it starts for the due rate); CPU and RSS are then summed over every
process under it, and "checkers" is the number of checker processes it ran at the end.
``--loop uvloop`` needs ``.venv/bin/pip install uvloop`` (not a dependency). ``--profile DIR``
runs each checker under cProfile (main thread only) and leaves the .prof files in DIR; the
figures of a profiled run are not comparable with the others. ``--py-spy DIR`` samples every
checker process with py-spy (``.venv/bin/pip install py-spy``, not a dependency) during the
measured window, all threads, without stopping them (``--nonblocking``), and leaves one
collapsed-stack file per process in DIR (``bench/checker/spy_summary.py`` sums them up).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://root@127.0.0.1:5432"
PG_DATABASE = "veilleur_bench_checker"
INTERVAL_SECONDS = 30
CHECKS_PER_MONITOR_DAY = 86_400 // INTERVAL_SECONDS
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = b"<!doctype html><html><body><h1>Bienvenue</h1>" + b"." * 2000 + b"</body></html>\n"
UVLOOP_MAIN = (
    "import asyncio, sys, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
    "from veilleur.cli import main; sys.exit(main(sys.argv[1:]))"
)


@dataclass
class PointResult:
    database: str
    monitors: int
    checkers: int
    loop: str
    seconds: float
    checks: int
    failures: int
    checks_per_s: float
    expected_per_s: float
    checker_cpu_s: float
    cpu_s_per_1000: float
    nginx_cpu_s: float
    db_cpu_s: float
    machine_busy_cores: float
    late_p50_ms: float
    late_p99_ms: float
    late_max_ms: float
    rss_mib: float
    raw_bytes_per_check: float
    raw_kb_per_monitor_day: float
    errors: dict[str, int]


# --- /proc readings -----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process we can see."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        fields = text.rpartition(")")[2].split()
        found.append((int(entry.name), int(fields[1]), name))
    return found


def nginx_pids(master: int) -> list[int]:
    return [master] + [pid for pid, parent, _ in processes() if parent == master]


def postgres_pids() -> list[int]:
    return [pid for pid, _, name in processes() if name.startswith("postgres")]


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLOCK_TICKS


# --- nginx --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nginx(workdir: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """nginx on 127.0.0.1:PORT with a trustme certificate for localhost; returns (process, port, CA file)."""
    import trustme

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        sys.exit("nginx not found: apt-get install nginx")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ca_file, cert_file, key_file = workdir / "ca.pem", workdir / "cert.pem", workdir / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(cert_file), append=True)
    cert.private_key_pem.write_to_path(str(key_file))
    html = workdir / "html"
    html.mkdir()
    (html / "index.html").write_bytes(PAGE)
    for path in (workdir, html, html / "index.html"):
        path.chmod(0o755)  # nginx workers run as nobody and must read the page
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes auto;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/tmp-body;
    proxy_temp_path {workdir}/tmp-proxy;
    fastcgi_temp_path {workdir}/tmp-fastcgi;
    uwsgi_temp_path {workdir}/tmp-uwsgi;
    scgi_temp_path {workdir}/tmp-scgi;
    server {{
        listen 127.0.0.1:{port} ssl backlog=4096;
        server_name localhost;
        ssl_certificate {cert_file};
        ssl_certificate_key {key_file};
        ssl_session_tickets off;
        root {html};
        location / {{ index index.html; }}
    }}
}}
"""
    )
    process = subprocess.Popen(
        [nginx, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")],
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"nginx exited: {(workdir / 'error.log').read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port, ca_file
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("nginx did not start listening within 10 s")


# --- one measured point (runs in its own process: Django is configured once per process) ----


def create_postgres_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")


def drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def populate(monitors: int, port: int, host: str) -> None:
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor
    from veilleur.plans.models import Plan

    agency = create_agency(key="bench", name="Bench agency")
    plan = Plan.objects.filter(agency=agency).order_by("pk").first()
    assert plan is not None
    client = Client.objects.create(agency=agency, key="bench", name="Bench client", plan=plan)
    url = f"https://{host}:{port}/"
    site = Site.objects.create(agency=agency, client=client, key="www", name="Site", url=url)
    Monitor.objects.bulk_create(
        (
            Monitor(
                agency=agency,
                site=site,
                key=f"m{n}",
                url=url,
                interval_seconds=INTERVAL_SECONDS,
                timeout_seconds=10,
            )
            for n in range(monitors)
        ),
        batch_size=1000,
    )


def descendants(roots: list[subprocess.Popen[bytes]]) -> list[int]:
    """Every process under ``roots``, the roots included."""
    table = processes()
    found = [p.pid for p in roots]
    for pid in found:
        found += [child for child, parent, _ in table if parent == pid and child not in found]
    return found


def checker_command(loop: str, profile: Path | None, name: str, up: bool = False) -> list[str]:
    if up:
        return [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{free_port()}"]
    args = ["checker", "--no-migrate", "--region", "bench"]
    if loop == "uvloop":
        return [sys.executable, "-c", UVLOOP_MAIN, *args]
    if profile is not None:
        script = Path(__file__).with_name("profiled_checker.py")
        return [sys.executable, str(script), str(profile / f"checker-{name}"), *args]
    return [sys.executable, "-m", "veilleur.cli", *args]


def start_py_spy(
    args: argparse.Namespace, checkers: list[subprocess.Popen[bytes]]
) -> list[subprocess.Popen[bytes]]:
    """py-spy on each checker for the measured window (``--py-spy DIR``), or nothing."""
    if not args.py_spy:
        return []
    spy = str(Path(sys.executable).with_name("py-spy"))
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(process.pid),
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "200",
                "--threads",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(Path(args.py_spy) / f"{args.database}-{args.monitors}-{i}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, process in enumerate(checkers)
    ]


def stop(processes_: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    for process in processes_:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes_:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def lateness_ms(monitor_id: int, checked_at: datetime) -> float:
    """How long after the monitor's latest slot at or before ``checked_at`` the check started."""
    from veilleur.domain.schedule import phase_offset_ms

    since_epoch = (checked_at - datetime(2020, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1)
    return (since_epoch - phase_offset_ms(monitor_id, INTERVAL_SECONDS)) % (INTERVAL_SECONDS * 1000)


def raw_bytes_per_check() -> float:
    from django.db import connection

    from veilleur.monitoring.models import CheckResult

    rows = CheckResult.objects.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('monitoring_checkresult')")
        else:
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat "
                "WHERE name IN ('monitoring_checkresult', 'result_monitor_time')"
            )
        size = int(cursor.fetchone()[0] or 0)
    return size / rows if rows else float("nan")


def run_point(args: argparse.Namespace) -> PointResult:
    data_dir = Path(args.data_dir)
    os.environ["VEILLEUR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "veilleur.settings"
    os.environ.pop("DATABASE_URL", None)
    if args.database == "postgres":
        create_postgres_database()
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DATABASE}"
    try:
        return measure_point(args, data_dir)
    finally:
        if args.database == "postgres":
            from django.db import connections

            connections.close_all()
            drop_postgres_database()


def measure_point(args: argparse.Namespace, data_dir: Path) -> PointResult:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from veilleur.monitoring.models import CheckResult

    call_command("migrate", verbosity=0, interactive=False)
    populate(args.monitors, args.port, args.host)
    connections.close_all()

    env = {
        **os.environ,
        "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1",
        "VEILLEUR_CA_FILE": args.ca_file,
        # One target host stands for a fleet of sites: the per-host cap (4 by default) would
        # otherwise be the only limit measured.
        "VEILLEUR_CHECKER_PER_HOST": os.environ.get("VEILLEUR_CHECKER_PER_HOST", "400"),
        "VEILLEUR_LOG_LEVEL": "WARNING",
    }
    profile = Path(args.profile) if args.profile else None
    if args.up:
        args.checkers = 1  # `veilleur up` decides how many checker processes run
    spies: list[subprocess.Popen[bytes]] = []
    checker_processes = args.checkers
    logs = [(data_dir / f"checker-{i}.log").open("wb") for i in range(args.checkers)]
    checkers = [
        subprocess.Popen(
            checker_command(args.loop, profile, f"{args.database}-{args.monitors}-{i}", args.up),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        for i, log in enumerate(logs)
    ]
    try:
        time.sleep(args.warmup)
        for process in checkers:
            if process.poll() is not None:
                raise RuntimeError(
                    f"checker exited early: {(data_dir / 'checker-0.log').read_text()[-3000:]}"
                )
        nginx = nginx_pids(args.nginx_pid)
        database = postgres_pids() if args.database == "postgres" else []
        start = datetime.now(UTC)
        # With --up, every process under `veilleur up` (its process of roles and the extra
        # checkers it started); a process that appears later counts from its start.
        measured = descendants(checkers) if args.up else [p.pid for p in checkers]
        cpu0 = sum(cpu_seconds(pid) for pid in measured)
        nginx0 = sum(cpu_seconds(pid) for pid in nginx)
        db0 = sum(cpu_seconds(pid) for pid in database)
        busy0, wall0 = machine_busy_seconds(), time.monotonic()
        spies = start_py_spy(args, checkers)
        rss = 0.0
        deadline = wall0 + args.seconds
        while time.monotonic() < deadline:
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            if args.up:
                measured += [pid for pid in descendants(checkers) if pid not in measured]
            rss = max(rss, sum(rss_mib(pid) for pid in measured))
        end = datetime.now(UTC)
        if args.up:
            measured += [pid for pid in descendants(checkers) if pid not in measured]
            checker_processes = len([pid for pid in descendants(checkers) if pid != checkers[0].pid])
        cpu = sum(cpu_seconds(pid) for pid in measured) - cpu0
        nginx_cpu = sum(cpu_seconds(pid) for pid in nginx) - nginx0
        db_cpu = sum(cpu_seconds(pid) for pid in database) - db0
        busy, wall = machine_busy_seconds() - busy0, time.monotonic() - wall0
    finally:
        for spy in spies:
            spy.wait(timeout=args.seconds + 60)
        stop(checkers)
        for log in logs:
            log.close()

    rows = list(
        CheckResult.objects.filter(checked_at__gte=start, checked_at__lt=end).values_list(
            "monitor_id", "checked_at", "ok", "error_class"
        )
    )
    late = sorted(lateness_ms(monitor_id, checked_at) for monitor_id, checked_at, _, _ in rows)
    errors: dict[str, int] = {}
    for _, _, ok, error_class in rows:
        if not ok:
            errors[error_class] = errors.get(error_class, 0) + 1
    per_check = raw_bytes_per_check()
    seconds = (end - start).total_seconds()
    return PointResult(
        database=args.database,
        monitors=args.monitors,
        checkers=checker_processes,
        loop="up" if args.up else args.loop,
        seconds=round(seconds, 1),
        checks=len(rows),
        failures=sum(errors.values()),
        checks_per_s=round(len(rows) / seconds, 1),
        expected_per_s=round(args.monitors / INTERVAL_SECONDS, 1),
        checker_cpu_s=round(cpu, 2),
        cpu_s_per_1000=round(1000 * cpu / len(rows), 3) if rows else float("nan"),
        nginx_cpu_s=round(nginx_cpu, 2),
        db_cpu_s=round(db_cpu, 2),
        machine_busy_cores=round(busy / wall, 2),
        late_p50_ms=round(percentile(late, 0.50), 1),
        late_p99_ms=round(percentile(late, 0.99), 1),
        late_max_ms=round(late[-1], 1) if late else float("nan"),
        rss_mib=round(rss, 1),
        raw_bytes_per_check=round(per_check, 1),
        raw_kb_per_monitor_day=round(per_check * CHECKS_PER_MONITOR_DAY / 1000, 1),
        errors=errors,
    )


# --- the driver ---------------------------------------------------------------------------


def table(results: list[PointResult]) -> str:
    lines = [
        "| db | monitors | checkers | loop | checks/s (due) | CPU-s / 1,000 checks "
        "| lateness p50 / p99 / max | RSS MiB | nginx CPU-s | PG CPU-s | machine busy cores "
        "| raw KB / monitor-day | failures |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.database} | {r.monitors:,} | {r.checkers} | {r.loop} "
            f"| {r.checks_per_s} ({r.expected_per_s}) "
            f"| {r.cpu_s_per_1000} | {r.late_p50_ms:.0f} / {r.late_p99_ms:.0f} / {r.late_max_ms:.0f} ms "
            f"| {r.rss_mib:.0f} | {r.nginx_cpu_s} | {r.db_cpu_s if r.database == 'postgres' else '–'} "
            f"| {r.machine_busy_cores} | {r.raw_kb_per_monitor_day} | {r.failures} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", default="1000,5000,10000,20000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--checkers", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=40.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--up",
        action="store_true",
        help="run `veilleur up` (web, worker, checker, extra checkers as it decides) instead of checkers",
    )
    parser.add_argument("--py-spy", default="", help="sample the checkers with py-spy into this directory")
    parser.add_argument(
        "--host",
        default="localhost",
        help="the monitors' host name: localhost (resolved each check) or 127.0.0.1",
    )
    parser.add_argument("--json", default="", help="also write the results to this file")
    # Internal: one point, run in a child process.
    parser.add_argument("--point", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ca-file", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--nginx-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.point:
        args.monitors = int(args.monitors)
        print("RESULT " + json.dumps(asdict(run_point(args))), flush=True)
        return 0

    for directory in (args.profile, args.py_spy):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
    results: list[PointResult] = []
    workdir = Path(tempfile.mkdtemp(prefix="veilleur-bench-checker-"))
    nginx, port, ca_file = start_nginx(workdir)
    try:
        for database in args.databases.split(","):
            for monitors in (int(n) for n in args.monitors.split(",")):
                data_dir = workdir / f"data-{database}-{monitors}"
                data_dir.mkdir()
                command = [
                    sys.executable,
                    __file__,
                    "--point",
                    f"--database={database}",
                    f"--monitors={monitors}",
                    f"--checkers={args.checkers}",
                    f"--warmup={args.warmup}",
                    f"--seconds={args.seconds}",
                    f"--loop={args.loop}",
                    f"--host={args.host}",
                    f"--profile={Path(args.profile).resolve() if args.profile else ''}",
                    f"--py-spy={Path(args.py_spy).resolve() if args.py_spy else ''}",
                    *(["--up"] if args.up else []),
                    f"--port={port}",
                    f"--ca-file={ca_file}",
                    f"--data-dir={data_dir}",
                    f"--nginx-pid={nginx.pid}",
                ]
                print(
                    f"# {database}, {monitors} monitors, {args.checkers} checker(s), {args.loop} …",
                    flush=True,
                )
                done = subprocess.run(
                    command,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=args.warmup + args.seconds + 600,
                    check=False,
                )
                lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
                if done.returncode != 0 or not lines:
                    print(done.stdout[-3000:], done.stderr[-5000:], file=sys.stderr)
                    continue
                result = PointResult(**json.loads(lines[-1].removeprefix("RESULT ")))
                print(json.dumps(asdict(result)), flush=True)
                results.append(result)
                shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        nginx.send_signal(signal.SIGQUIT)  # graceful stop, without daemon mode it stays our child
        try:
            nginx.wait(timeout=15)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
