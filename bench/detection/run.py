"""How long after a site fails its incident is confirmed, and how fast a restarted checker resumes.

Detection (the default): for each monitor count and each set-up, a child process of this script

1. creates a fresh SQLite data directory, migrates it, and creates N monitors at a 20 s interval
   (timeout 10 s, the plan's 2 confirmation checks) against HTTP sites on 127.0.0.1 served by this
   process: most share one server; ``--failing`` of them will refuse connections and as many will
   hang, each of those on a port of its own;
2. starts ``--checkers`` processes of ``python -m veilleur.cli checker --no-migrate`` with the
   set-up's environment, waits ``--warmup`` seconds, then switches each failing site at a random
   moment of the next ``--window`` seconds: *refuse* closes its listening socket (connections are
   refused), *hang* keeps accepting connections and reading requests but never answers;
3. waits until every switched monitor has an incident (or interval + 3 timeouts + 30 s after the
   last switch), stops the checkers and reads, per switched monitor, ``confirmed_at`` − the
   moment its site was switched; also the lateness of the regular checks during the window (how
   long after its slot each check started: whether the checker kept up) and incidents opened on
   monitors that were not switched (there should be none).

The set-ups: ``before`` is the behaviour before hedged confirmation (re-checks one after the
other, 3 s apart: ``VEILLEUR_CONFIRM_DELAY_MS=3000 VEILLEUR_HEDGE_AFTER_MS=0``), ``after`` the
defaults (re-checks 1 s apart, hedged re-checks after 2 s without an answer).

Restart (``--restart``): N healthy monitors, one checker; after ``--warmup`` seconds it is killed
with SIGKILL and *not reaped* (it stays a zombie, as under an orchestrator that restarts at once),
a new checker is started at once, and for each monitor the first check started after the kill is
read: when it came, and how long after its slot. ``before`` starts the new checker with the
liveness test it had before /proc was read (signal 0 only, which a zombie answers), ``after``
as it is.

All traffic is to 127.0.0.1; temporary directories are removed at the end.

    .venv/bin/python bench/detection/run.py [--monitors 1000,20000] [--setups before,after]
        [--failing 50] [--checkers 1] [--warmup 40] [--window 60] [--restart]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTERVAL_SECONDS = 20
TIMEOUT_SECONDS = 10
BODY = b"<!doctype html><html><body><h1>Bienvenue</h1></body></html>\n"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)
SETUPS = {
    "before": {"VEILLEUR_CONFIRM_DELAY_MS": "3000", "VEILLEUR_HEDGE_AFTER_MS": "0"},
    "after": {},
}


# --- the sites --------------------------------------------------------------------------------


class Site:
    """One listening socket on 127.0.0.1 that answers 200, until it is switched."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "healthy", "refuse" or "hang"
        self.hung = False
        self.port = 0
        self.server: asyncio.Server | None = None
        self.switched_at: datetime | None = None

    def switch(self) -> None:
        """Runs on the sites' loop: from now on, refuse or hang."""
        if self.kind == "refuse":
            assert self.server is not None
            self.server.close()  # the listening socket is closed: connections are refused
        else:
            self.hung = True
        self.switched_at = datetime.now(UTC)


class Answer(asyncio.Protocol):
    def __init__(self, site: Site) -> None:
        self.site = site
        self.received = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received += data
        if b"\r\n\r\n" not in self.received or self.site.hung:
            return  # a hung site reads the request and never answers; the client gives up
        assert self.transport is not None
        self.transport.write(RESPONSE)
        self.transport.close()


class Sites:
    """The sites' event loop, on a thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def start(self, site: Site) -> Site:
        async def listen() -> None:
            site.server = await self.loop.create_server(
                lambda: Answer(site), "127.0.0.1", 0, backlog=4096, reuse_address=True
            )
            site.port = site.server.sockets[0].getsockname()[1]

        asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)
        return site

    def switch(self, site: Site) -> None:
        self.loop.call_soon_threadsafe(site.switch)


# --- one measured point (its own process: Django is set up once per process) -----------------


@dataclass
class Point:
    setup: str
    monitors: int
    checkers: int
    switched: dict[str, int] = field(default_factory=dict)
    confirmed: dict[str, int] = field(default_factory=dict)
    detection: dict[str, dict[str, float]] = field(default_factory=dict)
    false_incidents: int = 0
    late_p50_ms: float = 0.0
    late_p99_ms: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    timeout_confirmations: int = 0


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {
        "mean": round(sum(ordered) / len(ordered), 2),
        "p50": round(percentile(ordered, 0.5), 2),
        "p95": round(percentile(ordered, 0.95), 2),
        "max": round(ordered[-1], 2),
    }


def lateness_ms(monitor_id: int, checked_at: datetime) -> float:
    from veilleur.domain.schedule import phase_offset_ms

    since_epoch = (checked_at - datetime(2020, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1)
    return (since_epoch - phase_offset_ms(monitor_id, INTERVAL_SECONDS)) % (INTERVAL_SECONDS * 1000)


def populate(urls: list[str]) -> list[int]:
    """One agency, one client on the first plan, one site, a monitor per URL; their ids."""
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor
    from veilleur.plans.models import Plan

    agency = create_agency(key="bench", name="Bench agency")
    plan = Plan.objects.filter(agency=agency).order_by("pk").first()
    assert plan is not None and plan.confirmation_checks == 2
    client = Client.objects.create(agency=agency, key="bench", name="Bench client", plan=plan)
    site = Site.objects.create(agency=agency, client=client, key="www", name="Site", url=urls[0])
    created = Monitor.objects.bulk_create(
        (
            Monitor(
                agency=agency,
                site=site,
                key=f"m{n}",
                url=url,
                interval_seconds=INTERVAL_SECONDS,
                timeout_seconds=TIMEOUT_SECONDS,
            )
            for n, url in enumerate(urls)
        ),
        batch_size=1000,
    )
    if created and created[0].pk is None:  # a back end that does not return ids
        return list(Monitor.objects.order_by("pk").values_list("pk", flat=True))
    return [monitor.pk for monitor in created]


CHECKER_ARGS = ["checker", "--no-migrate", "--region", "bench"]
# The checker as it judged a dead checker before /proc was read: alive whenever signal 0 reaches
# it, a zombie included (for the restart's "before" figures only).
SIGNAL_ZERO_ONLY = (
    "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'veilleur.settings'); "
    "django.setup(); import veilleur.checker.leases as leases; leases._proc_state = lambda pid: None; "
    "from veilleur.cli import main; sys.exit(main(sys.argv[1:]))"
)


def start_checkers(
    count: int, env: dict[str, str], data_dir: Path, tag: str, signal_zero_only: bool = False
) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "veilleur.cli", *CHECKER_ARGS]
    if signal_zero_only:
        command = [sys.executable, "-c", SIGNAL_ZERO_ONLY, *CHECKER_ARGS]
    started = []
    for index in range(count):
        with (data_dir / f"checker-{tag}-{index}.log").open("ab") as log:
            started.append(
                subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            )
    return started


def stop(processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def checker_env(setup: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VEILLEUR_CONFIRM_DELAY_MS", "VEILLEUR_HEDGE_AFTER_MS")
    }
    return {
        **env,
        **SETUPS[setup],
        "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1",
        # One target host stands for a fleet of sites: the per-host cap (4 by default) would
        # otherwise be the only limit measured (as in bench/checker).
        "VEILLEUR_CHECKER_PER_HOST": "400",
        "VEILLEUR_LOG_LEVEL": "WARNING",
    }


def setup_django(data_dir: Path) -> None:
    os.environ["VEILLEUR_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "veilleur.settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def measure_detection(args: argparse.Namespace, data_dir: Path) -> Point:
    setup_django(data_dir)
    from django.db import connections

    from veilleur.incidents.models import Incident
    from veilleur.monitoring.models import CheckResult

    sites = Sites()
    shared = sites.start(Site("healthy"))
    failing = [sites.start(Site(kind)) for kind in ("refuse", "hang") for _ in range(args.failing)]
    healthy = args.monitors - len(failing)
    urls = [f"http://127.0.0.1:{shared.port}/m{n}" for n in range(healthy)]
    urls += [f"http://127.0.0.1:{site.port}/" for site in failing]
    ids = populate(urls)
    site_of = dict(zip(ids[healthy:], failing, strict=True))
    connections.close_all()

    point = Point(args.setup, args.monitors, args.checkers)
    checkers = start_checkers(args.checkers, checker_env(args.setup), data_dir, args.setup)
    rng = random.Random(args.seed)
    try:
        time.sleep(args.warmup)
        if any(process.poll() is not None for process in checkers):
            raise RuntimeError("a checker exited early: see its log in " + str(data_dir))
        point.load_before = load_average()
        window_start = datetime.now(UTC)
        began = time.monotonic()
        moments = sorted((rng.uniform(0, args.window), site) for site in failing)
        for moment, site in moments:
            time.sleep(max(0.0, began + moment - time.monotonic()))
            sites.switch(site)
        window_end = datetime.now(UTC)
        give_up = time.monotonic() + INTERVAL_SECONDS + 3 * TIMEOUT_SECONDS + 30
        while time.monotonic() < give_up:
            opened = Incident.objects.filter(monitor_id__in=list(site_of)).count()
            connections.close_all()
            if opened >= len(failing):
                break
            time.sleep(2)
        point.load_after = load_average()
    finally:
        stop(checkers)

    incidents = {row.monitor_id: row for row in Incident.objects.filter(kind=Incident.Kind.DOWN)}
    point.false_incidents = sum(1 for monitor_id in incidents if monitor_id not in site_of)
    for kind in ("refuse", "hang"):
        times = []
        for monitor_id, site in site_of.items():
            incident = incidents.get(monitor_id)
            if site.kind != kind or incident is None or site.switched_at is None:
                continue
            times.append((incident.confirmed_at - site.switched_at).total_seconds())
        point.switched[kind] = args.failing
        point.confirmed[kind] = len(times)
        point.detection[kind] = summary(times)
    regular = CheckResult.objects.filter(
        checked_at__gte=window_start, checked_at__lt=window_end, confirmation=False
    ).values_list("monitor_id", "checked_at")
    late = sorted(lateness_ms(monitor_id, checked_at) for monitor_id, checked_at in regular)
    point.late_p50_ms = round(percentile(late, 0.5))
    point.late_p99_ms = round(percentile(late, 0.99))
    point.timeout_confirmations = CheckResult.objects.filter(
        monitor_id__in=list(site_of), confirmation=True, error_class="timeout"
    ).count()
    return point


@dataclass
class Restart:
    setup: str
    monitors: int
    zombie: bool
    checked_again: int = 0
    within_interval: int = 0
    last_after_restart_s: float = 0.0
    late_p50_ms: float = 0.0
    late_max_ms: float = 0.0
    load: float = 0.0


def measure_restart(args: argparse.Namespace, data_dir: Path) -> Restart:
    setup_django(data_dir)
    from django.db import connections

    from veilleur.monitoring.models import CheckResult

    sites = Sites()
    shared = sites.start(Site("healthy"))
    populate([f"http://127.0.0.1:{shared.port}/m{n}" for n in range(args.monitors)])
    connections.close_all()
    env = checker_env("after")
    (first,) = start_checkers(1, env, data_dir, "first")
    time.sleep(args.warmup)
    os.kill(first.pid, signal.SIGKILL)  # not reaped: Popen.wait is not called yet
    time.sleep(0.2)
    state = Path(f"/proc/{first.pid}/stat").read_text().rpartition(")")[2].split()[0]
    killed_at = datetime.now(UTC)
    (second,) = start_checkers(1, env, data_dir, "second", signal_zero_only=args.setup == "before")
    result = Restart(args.setup, args.monitors, zombie=state == "Z", load=load_average())
    try:
        time.sleep(INTERVAL_SECONDS + 15)
    finally:
        stop([second])
        first.wait()
    firsts: dict[int, datetime] = {}
    for monitor_id, checked_at in (
        CheckResult.objects.filter(checked_at__gte=killed_at)
        .order_by("checked_at")
        .values_list("monitor_id", "checked_at")
    ):
        firsts.setdefault(monitor_id, checked_at)
    after = sorted((checked_at - killed_at).total_seconds() for checked_at in firsts.values())
    late = sorted(lateness_ms(monitor_id, checked_at) for monitor_id, checked_at in firsts.items())
    result.checked_again = len(firsts)
    result.within_interval = sum(1 for seconds in after if seconds <= INTERVAL_SECONDS)
    result.last_after_restart_s = round(after[-1], 2) if after else float("nan")
    result.late_p50_ms = round(percentile(late, 0.5)) if late else float("nan")
    result.late_max_ms = round(late[-1]) if late else float("nan")
    return result


# --- the parent: one child process per point, then the tables ---------------------------------


def run_child(extra: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-detection-") as data_dir:
        command = [sys.executable, __file__, "--child", "--data-dir", data_dir, *extra]
        output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if output.returncode != 0:
            sys.exit(f"point {extra} failed:\n{output.stderr[-4000:]}")
        return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", default="1000,20000")
    parser.add_argument("--setups", default="before,after")
    parser.add_argument("--failing", type=int, default=50, help="sites that refuse, and as many that hang")
    parser.add_argument("--checkers", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=40)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--restart", action="store_true", help="measure a restart after SIGKILL instead")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        args.monitors = int(args.monitors)
        measured = measure_restart if args.restart else measure_detection
        print(json.dumps(asdict(measured(args, Path(args.data_dir)))))  # type: ignore[operator]
        return

    common = ["--failing", str(args.failing), "--checkers", str(args.checkers), "--warmup", str(args.warmup)]
    common += ["--window", str(args.window), "--seed", str(args.seed)]
    for monitors in args.monitors.split(","):
        for setup in args.setups.split(","):
            if args.restart:
                restart = run_child(["--restart", "--monitors", monitors, "--setup", setup, *common])
                print(json.dumps(restart), flush=True)
                continue
            point = run_child(["--monitors", monitors, "--setup", setup, *common])
            print(json.dumps(point), flush=True)


if __name__ == "__main__":
    main()
