"""The chaos run: a real multi-process install on loopback, its sites going down and coming back
on a seeded schedule, and faults struck while they do; then what was recorded against the truth.

Two parts, each with its own install:

1. PostgreSQL (a cluster of the run's own, tests/pgcluster.py): ``veilleur web``, two
   ``veilleur checker`` (regions a and b) and ``veilleur worker`` as separate processes, each
   restarted 1-5 s after it dies, as a service manager would. Faults: kill -9 of each role
   (its whole process group), PostgreSQL stopped (60 s; 20 s with --quick) and started again,
   the SMTP server stopped and started again, a role's wall clock stepped ahead and back
   (libfaketime).
2. SQLite (``veilleur up``, its data folder on a tmpfs of a few MiB mounted by the run, which
   needs root): the disk filled to the last byte for a while, then freed.

It asserts and prints: every true outage has its incident and no incident lacks one; every
incident's notices were delivered, with at most one repeated mail per worker crash; the web role
answered a clear 503 (JSON, no traceback) to every request while the database was away and never
a 500; after each fault, results and mail flowed again within --resume-within seconds; no role
exited by itself. Exit status 0 only when all of it holds.

Run from the repository root: ``.venv/bin/python bench/chaos/run.py --seed 1 --minutes 13``, or
``--quick`` for a run of a few minutes (the smoke test, ``pytest -m chaos``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.chaos.install import (
    Clock,
    Database,
    Sample,
    Sampler,
    Service,
    Watchdog,
    WebPoller,
    clear_unavailable,
    faketime_library,
    migrate,
    now,
    seed,
)
from bench.chaos.truth import (
    Fault,
    Notice,
    Span,
    Switch,
    first_after,
    judge_incidents,
    judge_notices,
    outages,
    plan_faults,
    plan_targets,
    schedule_length,
)
from bench.chaos.world import ON_CALL
from tests.notifications.mailsink import MailSink, free_port
from tests.pgcluster import migrated_cluster, role_env
from tests.targets import Target

INTERVAL = 5  # seconds between two checks of a monitor
CONFIRM_DELAY_MS = 1000
DOWN = (20.0, 45.0)  # an outage's length: well past a check and its confirmation
UP = (25.0, 45.0)  # the up time between two: long enough to confirm the recovery
BLIP = 0.4  # shorter than the confirmation delay: a failed check, never an incident
# An incident belongs to a true outage it overlaps, both widened this much: a check's interval,
# its confirmation, and a checker taking over a killed one's monitors (its lease's 8 s).
SLACK = timedelta(seconds=12)
WARM_UP = 15.0
TAIL = 25.0  # the last seconds of the schedule: every target up, no fault
FAULT_GAP = 8.0  # seconds between a fault's end and the next one's earliest start


@dataclass
class Verdict:
    part: str
    check: str
    measured: str
    wanted: str
    holds: bool | None  # None: information only
    details: tuple[str, ...] = ()  # every item, when the table shows the first few


@dataclass
class Happened:
    """What the run did, as it happened."""

    switches: list[tuple[datetime, Switch]] = field(default_factory=list)
    faults: list[tuple[Fault, datetime, datetime]] = field(default_factory=list)  # begun, over
    restoring: list[datetime] = field(default_factory=list)  # each fault's undoing begun


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--minutes", type=float, default=13.0, help="length of the PostgreSQL part's schedule"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a run of a few minutes: shorter outages and faults"
    )
    parser.add_argument("--targets", type=int, default=6)
    parser.add_argument(
        "--database-outage", type=float, default=60.0, help="seconds PostgreSQL stays stopped"
    )
    parser.add_argument(
        "--smtp-outage", type=float, default=60.0, help="seconds the SMTP server stays stopped"
    )
    parser.add_argument(
        "--clock-step", type=float, default=45.0, help="seconds a role's clock is stepped ahead"
    )
    parser.add_argument("--disk-full", type=float, default=45.0, help="seconds the SQLite disk stays full")
    parser.add_argument(
        "--resume-within", type=float, default=90.0, help="seconds allowed to resume after a fault"
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL part's logs and data")
    args = parser.parse_args()
    if args.quick:
        args.minutes = 3.3
        args.database_outage = min(args.database_outage, 20.0)
        args.smtp_outage = min(args.smtp_outage, 20.0)
        args.clock_step = min(args.clock_step, 30.0)
        args.disk_full = min(args.disk_full, 20.0)

    started = time.monotonic()
    # The two parts run side by side, each with its own install, targets and mail server.
    with ThreadPoolExecutor(max_workers=2) as pool:
        postgres = pool.submit(postgres_part, args, random.Random(args.seed))
        disk = pool.submit(disk_part, args, random.Random(args.seed + 1))
        verdicts = postgres.result() + disk.result()
    print_table(verdicts)
    failed = [verdict for verdict in verdicts if verdict.holds is False]
    print(f"\nchaos run, seed {args.seed}: {len(failed)} check(s) failed, {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


# -- part 1: PostgreSQL, every role a process of its own --------------------------------------


def postgres_part(args: argparse.Namespace, rng: random.Random) -> list[Verdict]:
    part = "PostgreSQL"
    directory = Path(tempfile.mkdtemp(prefix="veilleur-chaos-"))
    print(f"[{part}] preparing a cluster of its own in {directory}", flush=True)
    cluster = migrated_cluster(directory)
    sink = MailSink().start()
    targets = started_targets(args.targets)
    services: list[Service] = []
    try:
        cluster.new_database("chaos")
        env = role_env(
            cluster,
            directory,
            database="chaos",
            VEILLEUR_CONFIRM_DELAY_MS=str(CONFIRM_DELAY_MS),
            VEILLEUR_SMTP_URL=sink.url,
        )
        world = seed(env, [f"http://127.0.0.1:{target.port}/" for target in targets], INTERVAL)
        port = free_port()
        library, why_not = faketime_library()

        def service(name: str, argv: list[str], clock: bool = False) -> Service:
            stepped = Clock(library, directory / f"{name}.clock") if clock and library else None
            return Service(name, argv, env, directory / f"{name}.log", stepped)

        services = [
            service("web", ["web", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-migrate"]),
            service("checker-a", ["checker", "--no-migrate", "--region", "a"]),
            service("checker-b", ["checker", "--no-migrate", "--region", "b"], clock=True),
            service("worker", ["worker", "--no-migrate"], clock=True),
        ]
        for each in services:
            each.start()
        roles = {each.name: each for each in services}
        database = Database(postgres_url=cluster.url_of("chaos"))
        poller = WebPoller(f"http://127.0.0.1:{port}", world["token"])
        wait_until(lambda: poller.ask("/healthz").status == 200, 90, "the web role")
        wait_until(
            lambda: len(database.rows("SELECT id FROM monitoring_checkresult")) >= len(targets), 60, "checks"
        )

        kinds = postgres_faults(args, rng, library is not None, args.minutes * 60)
        length = max(args.minutes * 60, schedule_length(kinds, WARM_UP + 5, FAULT_GAP, TAIL))
        switches = plan_targets(rng, len(targets), WARM_UP, length - TAIL, DOWN, UP, BLIP)
        transitions = [switch.at for switch in switches if not switch.blip]
        faults = plan_faults(rng, kinds, transitions, WARM_UP + 5, FAULT_GAP)

        def strike(fault: Fault) -> datetime:
            """Strike and undo the fault; the moment its undoing began."""
            if fault.kind == "kill":
                roles[fault.role].kill()
                time.sleep(fault.seconds)
                restoring = now()
                roles[fault.role].start()
            elif fault.kind == "database":
                cluster.stop()
                time.sleep(fault.seconds)
                restoring = now()
                cluster.start()
            elif fault.kind == "smtp":
                sink.stop()
                time.sleep(fault.seconds)
                restoring = now()
                sink.start()
            else:
                stepped = roles[fault.role].clock
                assert fault.kind == "clock" and stepped is not None
                stepped.set(fault.shift)
                time.sleep(fault.seconds)
                restoring = now()
                stepped.set(0)
            return restoring

        sampler = Sampler(database)
        watchdog = Watchdog(services, lambda: rng.uniform(1, 5))
        happened = run_schedule(part, targets, switches, faults, strike, [sampler, poller, watchdog], length)
        settle(part, database, 180)
        for observer in (sampler, poller, watchdog):
            observer.done.set()
        verdicts = judge_part(part, database, sink, happened, sampler, args.resume_within)
        verdicts += judge_web(part, poller, happened, args.resume_within)
        verdicts += judge_roles(part, services)
        if library is None:
            verdicts.append(Verdict(part, "clock step", "not covered", why_not, None))
        return verdicts
    finally:
        for each in services:
            each.stop()
        sink.stop()
        for target in targets:
            target.stop()
        if args.keep:
            cluster.stop()
            print(f"[{part}] kept: {directory} (the cluster's data in {cluster.root})", flush=True)
        else:
            cluster.remove()
            shutil.rmtree(directory, ignore_errors=True)


def postgres_faults(args: argparse.Namespace, rng: random.Random, clock: bool, length: float) -> list[Fault]:
    """Every kind of fault once, in a shuffled order, then again while the schedule lasts."""

    def restart() -> float:
        return rng.uniform(1, 5)

    def one_round() -> list[Fault]:
        kills = [Fault(0, "kill", role, restart()) for role in ("checker-a", "checker-b", "worker", "web")]
        others = [Fault(0, "database", "", args.database_outage), Fault(0, "smtp", "", args.smtp_outage)]
        if clock:
            others.append(Fault(0, "clock", rng.choice(["checker-b", "worker"]), 20.0, args.clock_step))
        faults = kills + others
        rng.shuffle(faults)
        return faults

    kinds = one_round()
    while True:
        more = one_round()
        if schedule_length(kinds + more, WARM_UP + 5, FAULT_GAP, TAIL) > length:
            return kinds
        kinds += more


# -- part 2: SQLite, the disk under its folder filled -------------------------------------------


def disk_part(args: argparse.Namespace, rng: random.Random) -> list[Verdict]:
    part = "SQLite"
    root = Path(tempfile.mkdtemp(prefix="veilleur-chaos-disk-"))
    data = root / "data"
    data.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(data)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        reason = (mounted.stderr.strip() or "mount failed") + " (mounting a tmpfs needs root)"
        print(f"[{part}] disk-full scenario skipped: {reason}", flush=True)
        shutil.rmtree(root, ignore_errors=True)
        return [Verdict(part, "disk full", "not covered", reason, None)]
    sink = MailSink().start()
    targets = started_targets(3)
    services: list[Service] = []
    try:
        env = {
            **role_env_sqlite(data),
            "VEILLEUR_CONFIRM_DELAY_MS": str(CONFIRM_DELAY_MS),
            "VEILLEUR_SMTP_URL": sink.url,
        }
        migrate(env)
        world = seed(env, [f"http://127.0.0.1:{target.port}/" for target in targets], INTERVAL)
        used = sum(path.stat().st_size for path in data.iterdir())
        # A few MiB free: what the install writes during the run, and no more.
        room = used + 8 * 1024 * 1024
        subprocess.run(["mount", "-o", f"remount,size={room}", str(data)], check=True)
        print(
            f"[{part}] data folder on a tmpfs of {room / 2**20:.1f} MiB ({used / 2**20:.1f} MiB used)",
            flush=True,
        )
        port = free_port()
        up = Service("up", ["up", "--bind", f"127.0.0.1:{port}"], env, root / "up.log")
        services = [up]
        up.start()
        database = Database(sqlite_path=data / "veilleur.sqlite3")
        poller = WebPoller(f"http://127.0.0.1:{port}", world["token"])
        wait_until(lambda: poller.ask("/healthz").status == 200, 90, "the web role")

        kinds = [Fault(0, "disk", "", args.disk_full)]
        length = max(
            3 * 60.0 if not args.quick else 90.0, schedule_length(kinds, WARM_UP + 10, FAULT_GAP, TAIL)
        )
        switches = plan_targets(rng, len(targets), WARM_UP, length - TAIL, DOWN, UP, BLIP)
        transitions = [switch.at for switch in switches if not switch.blip]
        faults = plan_faults(rng, kinds, transitions, WARM_UP + 10, FAULT_GAP)

        def strike(fault: Fault) -> datetime:
            with filled(data):
                time.sleep(fault.seconds)
                return now()

        sampler = Sampler(database)
        watchdog = Watchdog(services, lambda: rng.uniform(1, 5))
        happened = run_schedule(part, targets, switches, faults, strike, [sampler, poller, watchdog], length)
        settle(part, database, 180)
        for observer in (sampler, poller, watchdog):
            observer.done.set()
        verdicts = judge_part(part, database, sink, happened, sampler, args.resume_within)
        verdicts += judge_web(part, poller, happened, args.resume_within)
        verdicts += judge_roles(part, services)
        return verdicts
    finally:
        for each in services:
            each.stop()
        sink.stop()
        for target in targets:
            target.stop()
        subprocess.run(["umount", "-l", str(data)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def role_env_sqlite(data: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1"}
    env["VEILLEUR_DATA_DIR"] = str(data)
    for name in ("DATABASE_URL", "VEILLEUR_TEST_DATABASE_NAME", "VEILLEUR_SQLITE_PATH"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def filled(folder: Path) -> Iterator[None]:
    """The filesystem under ``folder`` full to the last block while inside."""
    filler = folder / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as output:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    output.write(chunk[:size])
    try:
        yield
    finally:
        filler.unlink()


# -- running a schedule -------------------------------------------------------------------------


def started_targets(count: int) -> list[Target]:
    targets = [Target() for _ in range(count)]
    for target in targets:
        target.start()
    return targets


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def run_schedule(
    part: str,
    targets: list[Target],
    switches: list[Switch],
    faults: list[Fault],
    strike: Callable[[Fault], datetime],
    observers: list[threading.Thread],
    length: float,
) -> Happened:
    """The targets switched and the faults struck at their planned times, observed all along."""
    happened = Happened()
    origin = time.monotonic()

    def at(offset: float) -> None:
        time.sleep(max(0.0, origin + offset - time.monotonic()))

    def switch_targets() -> None:
        for switch in switches:
            at(switch.at)
            targets[switch.target].healthy = switch.healthy
            happened.switches.append((now(), switch))

    def strike_faults() -> None:
        for fault in faults:
            at(fault.at)
            begun = now()
            print(f"[{part}] {begun:%H:%M:%S} {describe(fault)}", flush=True)
            happened.restoring.append(strike(fault))
            happened.faults.append((fault, begun, now()))

    for observer in observers:
        observer.start()
    workers = [threading.Thread(target=switch_targets), threading.Thread(target=strike_faults)]
    print(
        f"[{part}] {len(switches)} target switches and {len(faults)} faults over {length:.0f} s", flush=True
    )
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    at(length)
    for target in targets:
        target.healthy = True
    return happened


def describe(fault: Fault) -> str:
    if fault.kind == "kill":
        return f"kill -9 {fault.role}, restarted after {fault.seconds:.1f} s"
    if fault.kind == "clock":
        return f"{fault.role}'s clock stepped {fault.shift:+.0f} s for {fault.seconds:.0f} s, then back"
    what = {"database": "PostgreSQL stopped", "smtp": "SMTP server stopped", "disk": "disk full"}[fault.kind]
    return f"{what} for {fault.seconds:.0f} s"


def settle(part: str, database: Database, timeout: float) -> None:
    """Until every incident is recovered and the outbox is empty (every target is up now)."""
    print(f"[{part}] {now():%H:%M:%S} schedule over; waiting for the install to settle", flush=True)
    deadline = time.monotonic() + timeout
    time.sleep(2 * INTERVAL)
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            open_incidents = database.rows(
                "SELECT count(*) FROM incidents_incident WHERE kind = 'down' AND recovered_at IS NULL"
            )[0][0]
            unsent = database.rows(
                "SELECT count(*) FROM notifications_outboxmessage WHERE state IN ('pending', 'sending')"
            )[0][0]
            if not open_incidents and not unsent:
                time.sleep(2)
                return
        time.sleep(1)
    print(f"[{part}] not settled after {timeout:.0f} s", flush=True)


# -- judging ------------------------------------------------------------------------------------


def judge_part(
    part: str, database: Database, sink: MailSink, happened: Happened, sampler: Sampler, within: float
) -> list[Verdict]:
    monitors = {
        int(monitor): number
        for number, (monitor,) in enumerate(database.rows("SELECT id FROM monitoring_monitor ORDER BY id"))
    }
    incidents = database.rows(
        "SELECT id, monitor_id, first_failed_at, recovered_at FROM incidents_incident WHERE kind = 'down'"
    )
    recorded: dict[int, list[Span]] = {}
    for _, monitor, first_failed, recovered in sorted(incidents, key=lambda row: str(row[2])):
        start = Database.moment(first_failed)
        assert start is not None
        recorded.setdefault(monitors[int(monitor)], []).append(Span(start, Database.moment(recovered)))
    truth = outages(happened.switches, blips=False)
    judged = judge_incidents(truth, recorded, SLACK)
    blips = sum(len(spans) for spans in outages(happened.switches, blips=True).values())
    wrong = judged.false + judged.split + judged.merged
    verdicts = [
        Verdict(
            part,
            "incidents expected / recorded",
            f"{judged.expected} / {judged.recorded}",
            "equal",
            judged.expected == judged.recorded,
        ),
        Verdict(
            part, "lost incidents", count_and_list(judged.lost), "0", not judged.lost, tuple(judged.lost)
        ),
        Verdict(
            part,
            f"false incidents ({blips} blips shorter than the confirmation)",
            count_and_list(wrong),
            "0",
            not wrong,
            tuple(wrong),
        ),
        Verdict(
            part,
            "incident times vs truth (largest error)",
            f"start {judged.start_error:.1f} s ({judged.worst[0] if judged.worst else '-'}), "
            f"end {judged.end_error:.1f} s ({judged.worst[1] if judged.worst else '-'})",
            "information",
            None,
        ),
    ]
    notices = [
        Notice(int(incident), str(kind), str(state), str(message_id))
        for incident, kind, state, message_id in database.rows(
            "SELECT incident_id, kind, state, message_id FROM notifications_outboxmessage "
            "WHERE incident_id IS NOT NULL AND recipient = ?",
            ON_CALL,
        )
    ]
    received = [item.message_id for item in sink.to(ON_CALL)]
    recovered_by_incident = {int(row[0]): row[3] is not None for row in incidents}
    mail = judge_notices(notices, received, recovered_by_incident)
    worker_crashes = sum(
        1 for fault, _, _ in happened.faults if fault.kind == "kill" and fault.role in ("worker", "up")
    )
    lost = mail.lost + mail.missing
    verdicts += [
        Verdict(
            part,
            "notices queued / delivered",
            f"{mail.queued} / {mail.delivered}",
            "equal",
            mail.queued == mail.delivered,
        ),
        Verdict(part, "lost notifications", count_and_list(lost), "0", not lost, tuple(lost)),
        Verdict(
            part,
            "duplicate mails",
            str(mail.duplicates),
            f"<= {worker_crashes} (worker crashes)",
            mail.duplicates <= worker_crashes,
        ),
    ]
    verdicts.append(longest_gap(part, database, monitors))
    verdicts += judge_resumption(part, happened, sampler, within)
    return verdicts


def longest_gap(part: str, database: Database, monitors: dict[int, int]) -> Verdict:
    """The longest time a monitor went unchecked (between two stored checks), for information:
    a site's change within such a gap is seen late or not at all."""
    rows = database.rows(
        "SELECT monitor_id, checked_at, gap FROM (SELECT monitor_id, checked_at, checked_at - "
        "lag(checked_at) OVER (PARTITION BY monitor_id ORDER BY checked_at) AS gap "
        "FROM monitoring_checkresult) gaps WHERE gap IS NOT NULL"
        if database.postgres_url
        else "SELECT monitor_id, checked_at, julianday(checked_at) - julianday(lag(checked_at) OVER "
        "(PARTITION BY monitor_id ORDER BY checked_at)) FROM monitoring_checkresult"
    )
    worst = (0.0, "")
    for monitor, checked_at, gap in rows:
        if gap is None:
            continue
        seconds = gap.total_seconds() if isinstance(gap, timedelta) else float(gap) * 86400
        if seconds > worst[0]:
            moment = Database.moment(checked_at)
            assert moment is not None
            worst = (seconds, f"target {monitors[int(monitor)]}, until {moment:%H:%M:%S}")
    measured = f"{worst[0]:.1f} s ({worst[1]})" if worst[1] else "-"
    return Verdict(
        part, f"longest time a monitor went unchecked (interval {INTERVAL} s)", measured, "information", None
    )


def judge_resumption(part: str, happened: Happened, sampler: Sampler, within: float) -> list[Verdict]:
    """After each fault, the seconds until the part it hit worked again."""
    samples = sampler.samples
    drained = [(sample.at, sample.unsent == 0) for sample in samples]
    verdicts = []
    for fault, _, over in happened.faults:
        if fault.kind == "kill" and fault.role in ("web", "up"):
            continue  # the web role: judged by its answers (judge_web)
        if fault.role.startswith("checker"):
            waits = {"its checks stored": first_after(stored_since(samples, over, fault.role[-1]), over)}
        elif fault.role == "worker" or fault.kind == "smtp":
            waits = {"outbox empty": first_after(drained, over)}
        else:
            waits = {
                "checks stored": first_after(stored_since(samples, over, None), over),
                "outbox empty": first_after(drained, over),
            }
        # Mail that failed while the server was away is tried again 30 s, 60 s, 2 min… after its
        # first failure: the next try may come up to the outage's length after it ended.
        allowed = within + (fault.seconds if fault.kind == "smtp" else 0.0)
        holds = all(wait is not None and wait <= allowed for wait in waits.values())
        measured = ", ".join(
            f"{name} {'never' if wait is None else f'{wait:.1f} s'}" for name, wait in waits.items()
        )
        verdicts.append(
            Verdict(
                part,
                f"resumed after {over:%H:%M:%S} {describe(fault)}",
                measured,
                f"<= {allowed:.0f} s",
                holds,
            )
        )
    return verdicts


def stored_since(samples: list[Sample], moment: datetime, region: str | None) -> list[tuple[datetime, bool]]:
    """For each sample, whether a check (of ``region``, or any) was stored since ``moment``."""

    def newest(sample: Sample) -> int:
        return sample.newest if region is None else sample.newest_by_region.get(region, 0)

    before = [newest(sample) for sample in samples if sample.at <= moment]
    floor = before[-1] if before else 0
    return [(sample.at, newest(sample) > floor) for sample in samples]


def judge_web(part: str, poller: WebPoller, happened: Happened, within: float) -> list[Verdict]:
    """While the database is away: a clear 503 to every request. Always: never a 500 nor a
    traceback, and an answer except while the web role is killed (and starting again)."""
    # From a second after the stop (connections closing) to the moment the start was asked for:
    # the server may accept connections before the start command returns.
    away = [
        (begun + timedelta(seconds=1), restoring)
        for (fault, begun, _), restoring in zip(happened.faults, happened.restoring, strict=True)
        if fault.kind == "database"
    ]
    # After the database is back, a web process asks again within 5 s (unavailable.py). A full
    # disk makes SQLite refuse writes (a token's last use): the same clear 503.
    excused_503 = [
        (begun, over + timedelta(seconds=10))
        for fault, begun, over in happened.faults
        if fault.kind in ("database", "disk")
    ]
    # A request under way when the web role is killed gets no answer (the poller waits 5 s at
    # most), nor do those until it listens again.
    silent = [
        (begun - timedelta(seconds=5), over + timedelta(seconds=20))
        for fault, begun, over in happened.faults
        if fault.kind == "kill" and fault.role in ("web", "up")
    ]

    def inside(moment: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
        return any(start <= moment <= end for start, end in spans)

    during = [answer for answer in poller.answers if inside(answer.at, away)]
    clear = [answer for answer in during if clear_unavailable(answer)]
    unclear = [answer for answer in during if not clear_unavailable(answer)]
    wrong = []
    for answer in poller.answers:
        if answer.status is None and not inside(answer.at, silent):
            wrong.append(f"{answer.at:%H:%M:%S} {answer.path}: no answer ({answer.body[:60]})")
        elif answer.status == 500 or "Traceback" in answer.body or answer.status not in (200, 503, None):
            wrong.append(f"{answer.at:%H:%M:%S} {answer.path}: {answer.status}")
        elif answer.status == 503 and not inside(answer.at, excused_503):
            wrong.append(f"{answer.at:%H:%M:%S} {answer.path}: 503 with the database up")
        elif answer.status == 503 and not clear_unavailable(answer):
            wrong.append(f"{answer.at:%H:%M:%S} {answer.path}: 503 without the documented body")
    verdicts = []
    full = [(begun, over) for fault, begun, over in happened.faults if fault.kind == "disk"]
    if full:
        answers = [answer for answer in poller.answers if inside(answer.at, full)]
        ok = sum(1 for answer in answers if answer.status == 200)
        refused = sum(1 for answer in answers if clear_unavailable(answer))
        verdicts.append(
            Verdict(
                part,
                "web answers while the disk was full",
                f"{ok} 200 and {refused} clear 503 of {len(answers)}",
                "information",
                None,
            )
        )
    if away:
        verdicts.append(
            Verdict(
                part,
                "web answers while the database was away",
                f"{len(clear)} clear 503 of {len(during)}"
                + "".join(f"; {a.at:%H:%M:%S} {a.path}: {a.status} {a.body[:60]}" for a in unclear[:3]),
                "all",
                bool(during) and len(clear) == len(during),
            )
        )
    verdicts.append(
        Verdict(
            part,
            "web answers: 500, traceback, unexpected, none",
            count_and_list(wrong),
            "0",
            not wrong,
            tuple(wrong),
        )
    )
    for fault, _, over in happened.faults:
        if fault.kind in ("database", "disk") or (fault.kind == "kill" and fault.role in ("web", "up")):
            healthy = [
                (answer.at, answer.status == 200) for answer in poller.answers if answer.path == "/healthz"
            ]
            wait = first_after(healthy, over)
            verdicts.append(
                Verdict(
                    part,
                    f"web healthy again after {over:%H:%M:%S} {describe(fault)}",
                    "never" if wait is None else f"{wait:.1f} s",
                    f"<= {within:.0f} s",
                    wait is not None and wait <= within,
                )
            )
    return verdicts


def judge_roles(part: str, services: list[Service]) -> list[Verdict]:
    exits = [f"{each.name}: {exit}" for each in services for exit in each.exits]
    tracebacks = {each.name: each.tracebacks() for each in services}
    return [
        Verdict(part, "roles that exited by themselves", count_and_list(exits), "0", not exits),
        Verdict(
            part,
            "tracebacks in the role logs",
            ", ".join(f"{name} {count}" for name, count in tracebacks.items()),
            "information",
            None,
        ),
    ]


def count_and_list(items: list[str]) -> str:
    if not items:
        return "0"
    shown = "; ".join(items[:4]) + ("; …" if len(items) > 4 else "")
    return f"{len(items)}: {shown}"


def print_table(verdicts: list[Verdict]) -> None:
    print("\n| part | check | measured | wanted | holds |\n|---|---|---|---|---|")
    for verdict in verdicts:
        holds = {True: "yes", False: "**NO**", None: "–"}[verdict.holds]
        print(f"| {verdict.part} | {verdict.check} | {verdict.measured} | {verdict.wanted} | {holds} |")
    for verdict in verdicts:
        if len(verdict.details) > 4:
            print(f"\n{verdict.part}, {verdict.check}:")
            for item in verdict.details:
                print(f"  {item}")


if __name__ == "__main__":
    sys.exit(main())
