"""The roles of a multi-host install against a PostgreSQL of the test's own, which the test
stops, crashes and starts again: no role exits, each says once that the database is lost and
once that it is back, and what was delivered meanwhile keeps its true time."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.notifications.mailsink import MailSink
from tests.pgcluster import Cluster, migrated_cluster, role_env, wait_for
from tests.targets import Target

REPOSITORY = Path(__file__).resolve().parents[2]
LOST = "database unavailable, waiting for it"
BACK = "database available again"
_names = itertools.count(1)


@dataclass
class Role:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Install:
    """One install's database in the cluster, and the role processes run against it."""

    cluster: Cluster
    database: str
    env: dict[str, str]
    directory: Path
    roles: list[Role] = field(default_factory=list)

    def seed(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.failover_world", *args],
            env=self.env,
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def start(self, *argv: str, **extra: str) -> Role:
        log = self.directory / f"role-{len(self.roles)}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "veilleur.cli", *argv],
                env={**self.env, **extra},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        role = Role(process, log)
        self.roles.append(role)
        return role

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.cluster.execute(sql, self.database)

    def count(self, sql: str) -> int:
        return int(self.query(sql)[0][0])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    made = migrated_cluster(tmp_path_factory.mktemp("pg"))
    yield made
    made.remove()


@pytest.fixture
def install(cluster: Cluster, tmp_path: Path) -> Iterator[Install]:
    if not cluster.is_running():
        cluster.start()
    name = f"install_{next(_names)}"
    cluster.new_database(name)
    made = Install(
        cluster, name, role_env(cluster, tmp_path, database=name, VEILLEUR_CONFIRM_DELAY_MS="300"), tmp_path
    )
    yield made
    for role in made.roles:
        if role.process.poll() is None:
            role.process.kill()
        role.process.wait(timeout=10)


def test_every_role_outlives_a_stopped_database(install: Install, target: Target) -> None:
    install.seed("--url", f"http://127.0.0.1:{target.port}/", "--monitors", "4", "--interval", "2")
    roles = [
        install.start("checker", "--no-migrate", "--region", "eu-west"),
        install.start("checker", "--no-migrate", "--region", "eu-east"),
        install.start("worker", "--no-migrate"),
    ]
    results = "SELECT count(*) FROM monitoring_checkresult"
    wait_for(lambda: install.count(results) >= 8, 30, "the first checks")

    install.cluster.stop()
    time.sleep(5)
    # A role started while the database is away waits for it too.
    roles.append(install.start("checker", "--region", "eu-west"))
    time.sleep(5)
    assert [role.process.poll() for role in roles] == [None] * len(roles)

    install.cluster.start()
    before = install.count(results)
    wait_for(lambda: install.count(results) >= before + 8, 30, "checks after the outage")
    wait_for(lambda: all(BACK in role.text() for role in roles), 30, "every role to see the database back")
    for role in roles:
        log = role.text()
        assert role.process.poll() is None, log
        assert log.count(LOST) == 1 and log.count(BACK) == 1, log
        assert "Traceback" not in log, log


class CrashingMailServer(MailSink):
    """Crashes the database while the first alert is being accepted: the worker is told "250"
    by a server that has the message, and cannot record it."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__()
        self.cluster = cluster
        self.crash_started: datetime | None = None
        self.first_accepted: datetime | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        first = self.crash_started is None
        if first:
            self.crash_started = datetime.now(UTC)
            self.cluster.crash()
        reply = await super().handle_DATA(server, session, envelope)
        if first:
            self.first_accepted = datetime.now(UTC)
        return reply


def test_notified_at_is_the_first_accepted_alert_across_a_database_crash(install: Install) -> None:
    made = install.seed("--url", "http://127.0.0.1:9/", "--interval", "3600", "--incident")
    sink = CrashingMailServer(install.cluster).start()
    try:
        worker = install.start("worker", "--no-migrate", VEILLEUR_SMTP_URL=sink.url)
        sink.wait_for(1, timeout=30)
        time.sleep(3)  # the database stays away a while after the alert was accepted
        install.cluster.start()
        notified = f"SELECT notified_at FROM incidents_incident WHERE id = {int(made['incident'])}"
        wait_for(lambda: install.query(notified)[0][0] is not None, 30, "notified_at")
        notified_at = install.query(notified)[0][0]
        assert sink.crash_started is not None and sink.first_accepted is not None
        assert (
            sink.crash_started - timedelta(seconds=1)
            <= notified_at
            <= sink.first_accepted + timedelta(seconds=1)
        )
        time.sleep(2)
        assert len({item.message_id for item in sink.messages()}) == 1  # a repeat, if any, is the same mail
        assert install.count("SELECT count(*) FROM notifications_outboxmessage WHERE state = 'sent'") == 1
        assert worker.process.poll() is None and "Traceback" not in worker.text()
    finally:
        sink.stop()


def test_checks_made_while_the_database_is_away_are_stored_and_date_the_incident(
    install: Install, target: Target
) -> None:
    install.seed("--url", f"http://127.0.0.1:{target.port}/", "--monitors", "3", "--interval", "2")
    checker = install.start("checker", "--no-migrate", "--region", "eu-west")
    results = "SELECT count(*) FROM monitoring_checkresult"
    wait_for(lambda: install.count(results) >= 6, 30, "the first checks")

    install.cluster.stop()
    stopped_at = datetime.now(UTC)
    time.sleep(2)
    went_down_at = datetime.now(UTC)
    target.healthy = False  # the site fails while nothing can be stored
    time.sleep(6)
    restarted_at = datetime.now(UTC)
    install.cluster.start()

    incidents = "SELECT first_failed_at FROM incidents_incident ORDER BY first_failed_at"
    wait_for(lambda: len(install.query(incidents)) == 3, 30, "an incident per monitor")
    for (first_failed_at,) in install.query(incidents):
        # The first failed check, made during the outage: not the first one after it.
        assert went_down_at <= first_failed_at <= went_down_at + timedelta(seconds=2 + 1)
    during = install.count(
        f"SELECT count(*) FROM monitoring_checkresult WHERE checked_at > '{stopped_at.isoformat()}' "
        f"AND checked_at < '{restarted_at.isoformat()}'"
    )
    assert during >= 3 * 3  # every monitor, at its cadence, all along the outage
    assert install.count("SELECT count(*) FROM monitoring_nodatagap") == 0
    # The checker says what it stored once the transaction that stored it (and opened the
    # incidents read above) has committed: a moment after those rows can be seen.
    wait_for(lambda: "stored" in checker.text(), 10, "the checker saying it stored the kept checks")
    log = checker.text()
    assert checker.process.poll() is None and "Traceback" not in log, log
    assert log.count(LOST) == 1, log
