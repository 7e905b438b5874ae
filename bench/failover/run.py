"""Failover on PostgreSQL: takeover after a checker dies, resume after a database outage.

A PostgreSQL cluster of its own (tests/pgcluster.py: a temporary directory, a free port), one
install with ``--monitors`` monitors at ``--interval`` seconds, all on one HTTP site on
127.0.0.1, and two ``veilleur checker`` processes (regions "a" and "b", so that each result
says which checker made it). Then:

1. checker "a" is killed with SIGKILL and not restarted; for each monitor whose last check
   before the kill was made by "a", how late its next check (by "b") came after the slot it was
   due at — the takeover time;
2. the database is stopped (fast shutdown) for ``--outage`` seconds and started again; how long
   until the checks kept meanwhile are stored, and the longest gap between two stored checks of
   one monitor across the outage.

Run from the repository root: ``.venv/bin/python bench/failover/run.py --monitors 1000``.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.pgcluster import migrated_cluster, role_env, wait_for
from tests.targets import Target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--outage", type=int, default=60)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="veilleur-failover-bench-"))
    cluster = migrated_cluster(directory)
    target = Target()
    target.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cluster.new_database("bench")
        env = role_env(cluster, directory, database="bench")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.failover_world",
                "--url",
                f"http://127.0.0.1:{target.port}/",
                "--monitors",
                str(args.monitors),
                "--interval",
                str(args.interval),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

        def count(sql: str) -> int:
            return int(cluster.execute(sql, "bench")[0][0])

        def start(region: str) -> subprocess.Popen[bytes]:
            log = (directory / f"checker-{region}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", "veilleur.cli", "checker", "--no-migrate", "--region", region],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            return process

        doomed, survivor = start("a"), start("b")
        checked = "SELECT count(DISTINCT monitor_id) FROM monitoring_checkresult"
        wait_for(lambda: count(checked) == args.monitors, 4 * args.interval, "every monitor checked once")
        time.sleep(args.interval)  # a full round each, shared by the two checkers

        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        killed_at = datetime.now(UTC)
        time.sleep(args.interval + 15)
        lateness = takeover_lateness(cluster, killed_at, args.interval)
        print(f"takeover: {len(lateness)} monitors last checked by the killed checker")
        print(
            f"  their next check came {statistics.median(lateness):.1f} s (median), "
            f"{max(lateness):.1f} s (max) after its slot; allowed: interval + 10 s"
        )

        before = datetime.now(UTC)
        time.sleep(args.interval / 2)
        cluster.stop()
        stopped_at = datetime.now(UTC)
        time.sleep(args.outage)
        cluster.start()
        restarted = time.monotonic()
        restarted_at = datetime.now(UTC)
        log = directory / "checker-b.log"
        wait_for(lambda: "made while the database was away" in log.read_text(), 120, "kept checks stored")
        stored_after = time.monotonic() - restarted
        during = count(
            f"SELECT count(*) FROM monitoring_checkresult WHERE checked_at > '{stopped_at.isoformat()}' "
            f"AND checked_at < '{restarted_at.isoformat()}'"
        )
        time.sleep(args.interval + 5)
        gap = longest_gap(cluster, before, datetime.now(UTC))
        print(
            f"outage of {args.outage} s: {during} checks made during it, "
            f"stored {stored_after:.1f} s after restart"
        )
        print(f"  longest gap between two stored checks of one monitor across it: {gap:.1f} s")
        print("  " + [line for line in log.read_text().splitlines() if "made while" in line][-1])
        assert survivor.poll() is None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        target.stop()
        cluster.remove()


def takeover_lateness(cluster: object, killed_at: datetime, interval: int) -> list[float]:
    from tests.pgcluster import Cluster

    assert isinstance(cluster, Cluster)
    rows = cluster.execute(
        f"""
        WITH last_before AS (
            SELECT DISTINCT ON (monitor_id) monitor_id, checked_at, region
            FROM monitoring_checkresult WHERE checked_at < '{killed_at.isoformat()}' AND NOT confirmation
            ORDER BY monitor_id, checked_at DESC
        )
        SELECT l.monitor_id, l.checked_at,
               (SELECT min(r.checked_at) FROM monitoring_checkresult r
                WHERE r.monitor_id = l.monitor_id AND r.checked_at > l.checked_at)
        FROM last_before l WHERE l.region = 'a'
        """,
        "bench",
    )
    late = []
    for _monitor, last, following in rows:
        assert following is not None, "a monitor of the killed checker was never checked again"
        late.append((following - (last + timedelta(seconds=interval))).total_seconds())  # type: ignore[operator]
    return late


def longest_gap(cluster: object, start: datetime, end: datetime) -> float:
    from tests.pgcluster import Cluster

    assert isinstance(cluster, Cluster)
    rows = cluster.execute(
        f"""
        SELECT max(gap) FROM (
            SELECT extract(
                epoch FROM checked_at - lag(checked_at) OVER (PARTITION BY monitor_id ORDER BY checked_at)
            ) AS gap
            FROM monitoring_checkresult WHERE checked_at BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'
        ) gaps
        """,
        "bench",
    )
    if rows[0][0] is None:
        raise SystemExit("no monitor has two stored checks across the outage")
    return float(rows[0][0])  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
