"""``veilleur doctor``: one line per part of the install, each ok and failing with real parts (an
SMTP server on loopback or a port that refuses, a tiny or read-only disk, a resolver that does
not answer, a CA file); exit 1 on a FAIL, 0 otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from django.test import override_settings
from django.utils import timezone

from tests.checker.conftest import make_monitor  # noqa: F401
from tests.notifications.mailsink import MailSink, free_port
from veilleur.cli import main
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.operations.doctor import FAIL, OK, WARN, clock_skew_finding

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    "configuration",
    "database",
    "SMTP",
    "DNS",
    "clock",
    "TLS trust store",
    "disk",
    "checker lateness",
    "checker network",
]


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def healthy(smtp: MailSink, ca_file: Path, tmp_path: Path) -> Iterator[None]:
    """SMTP on loopback, a CA file, a data directory of the test's own."""
    with override_settings(VEILLEUR_SMTP_URL=smtp.url, VEILLEUR_CA_FILE=str(ca_file), DATA_DIR=tmp_path):
        yield


def doctor(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """The doctor run in this process (on the test's database), its exit status and findings."""
    status = main(["doctor", "--json", "--resolve", "localhost", *options])
    report = json.loads(capsys.readouterr().out)
    findings = {item["check"]: item for item in report["checks"]}
    assert list(findings) == CHECKS
    assert report["ok"] == (status == 0)
    return status, findings


def statuses(findings: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {check: item["status"] for check, item in findings.items()}


def test_a_healthy_install_is_ok_on_every_line(
    healthy: None,
    capsys: pytest.CaptureFixture[str],
    make_monitor: Callable[..., Monitor],  # noqa: F811
) -> None:
    monitor = make_monitor(interval_seconds=60)
    now = timezone.now()
    MonitorRuntime.objects.create(monitor=monitor, due_at=now, next_slot_at=now)
    status, findings = doctor(capsys, "--min-free-gib", "0")
    assert status == 0, findings
    assert set(statuses(findings).values()) == {OK}
    assert "schema up to date" in findings["database"]["detail"]
    assert "answered EHLO (no mail sent)" in findings["SMTP"]["detail"]
    assert "localhost → " in findings["DNS"]["detail"]
    assert findings["TLS trust store"]["detail"].startswith("1 CA certificate(s)")
    assert "1 monitor(s) scheduled, none overdue" in findings["checker lateness"]["detail"]
    data_dir = Path(findings["disk"]["detail"].rsplit(" under ", 1)[1])
    assert os.listdir(data_dir) == ["ca.pem"]  # the doctor's written probe is removed


def test_the_lines_read_status_what_and_detail(healthy: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--resolve", "localhost", "--min-free-gib", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" — ")[0].split(None, 1) for line in lines] == [[OK, check] for check in CHECKS]
    assert lines[1].startswith("ok    database — ")


def test_an_smtp_server_that_refuses_is_a_fail_and_exit_1(
    healthy: None, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    with override_settings(VEILLEUR_SMTP_URL=f"smtp://127.0.0.1:{port}?timeout=5"):
        status, findings = doctor(capsys, "--min-free-gib", "0")
    assert status == 1
    assert findings["SMTP"]["status"] == FAIL
    assert f"127.0.0.1:{port}" in findings["SMTP"]["detail"] and "refused" in findings["SMTP"]["detail"]
    assert [check for check, value in statuses(findings).items() if value != OK] == ["SMTP"]


def test_monitors_overdue_by_twice_their_interval_fail_checker_lateness(
    healthy: None,
    capsys: pytest.CaptureFixture[str],
    make_monitor: Callable[..., Monitor],  # noqa: F811
) -> None:
    now = timezone.now()
    for seconds_late, interval in ((119, 60), (121, 60), (0, 60)):
        monitor = make_monitor(interval_seconds=interval)
        due = now - timedelta(seconds=seconds_late)
        MonitorRuntime.objects.create(monitor=monitor, due_at=due, next_slot_at=due)
    paused = make_monitor(interval_seconds=60, paused=True)  # a paused monitor is not late
    MonitorRuntime.objects.create(monitor=paused, due_at=now - timedelta(hours=1), next_slot_at=now)
    status, findings = doctor(capsys, "--min-free-gib", "0")
    assert status == 1
    lateness = findings["checker lateness"]
    assert lateness["status"] == FAIL
    assert lateness["detail"].startswith("1 of 3 monitors overdue by more than 2 × their interval")
    assert "Is a checker running?" in lateness["detail"]


def test_a_ca_file_without_certificates_fails_the_trust_store(
    healthy: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with override_settings(VEILLEUR_CA_FILE=str(empty)):
        status, findings = doctor(capsys, "--min-free-gib", "0")
    assert status == 1 and findings["TLS trust store"]["status"] == FAIL
    assert str(empty) in findings["TLS trust store"]["detail"]


def test_less_free_disk_than_the_threshold_warns(healthy: None, capsys: pytest.CaptureFixture[str]) -> None:
    status, findings = doctor(capsys, "--min-free-gib", "1000000")
    assert status == 0  # a warning is not a failure
    assert findings["disk"]["status"] == WARN and "below 1000000.0 GiB" in findings["disk"]["detail"]


@pytest.mark.parametrize(
    ("skew", "round_trip", "expected"),
    [
        (0.2, 0.01, OK),
        (-0.9, 0.01, OK),
        (1.5, 0.01, WARN),
        (-1.5, 0.01, WARN),
        (6, 0.01, FAIL),
        (5.5, 2, WARN),
    ],
)
def test_clock_skew_beyond_the_round_trip_warns_then_fails(
    skew: float, round_trip: float, expected: str
) -> None:
    before = datetime(2026, 12, 4, 20, tzinfo=UTC)
    after = before + timedelta(seconds=round_trip)
    database_now = before + timedelta(seconds=round_trip / 2 + skew)
    finding = clock_skew_finding(before, database_now, after)
    assert finding.status == expected
    assert ("behind" if skew > 0 else "ahead of") in finding.detail


def test_the_clock_is_compared_with_postgresql_and_skipped_on_sqlite(
    healthy: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.db import connection

    _, findings = doctor(capsys, "--min-free-gib", "0")
    clock = findings["clock"]
    assert clock["status"] == OK
    if connection.vendor == "sqlite":
        assert clock["detail"].startswith("skipped: SQLite")
    else:
        assert "the database's clock" in clock["detail"]


# In a process of its own: what needs a different environment, a mount or a resolver.


def run_doctor(data_dir: Path, *options: str, prefix: tuple[str, ...] = (), **env: str) -> tuple[int, str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.pop("VEILLEUR_TEST_DATABASE_NAME", None)
    environment.update({"VEILLEUR_DATA_DIR": str(data_dir), "VEILLEUR_SECRET_KEY": "k" * 50, **env})
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "veilleur.cli", "doctor", *options],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def test_a_fresh_data_directory_has_no_database_and_the_doctor_creates_none(tmp_path: Path) -> None:
    status, output = run_doctor(tmp_path, "--resolve", "localhost")
    assert status == 1
    assert f"FAIL  database — no database at {tmp_path / 'veilleur.sqlite3'}" in output
    assert "warn  checker lateness — not checked: the database did not answer" in output
    assert not (tmp_path / "veilleur.sqlite3").exists()


def test_settings_that_do_not_load_are_one_fail_line(tmp_path: Path) -> None:
    status, output = run_doctor(tmp_path, VEILLEUR_MIN_INTERVAL_SECONDS="often")
    assert status == 1
    assert output.splitlines() == [
        "FAIL  configuration — the settings do not load: VEILLEUR_MIN_INTERVAL_SECONDS must be an integer, "
        "got 'often'"
    ]


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_unshare = pytest.mark.skipif(
    not _unshare_works(), reason="needs unshare -m (root with CAP_SYS_ADMIN) for a private mount"
)


def in_private_mounts(*commands: str) -> tuple[str, ...]:
    """Run the doctor after ``commands`` in a mount namespace of its own: nothing outside sees them."""
    return ("unshare", "-m", "sh", "-c", " && ".join(commands) + ' && exec "$@"', "sh")


@needs_unshare
@pytest.mark.parametrize(
    ("options", "expected"), [("size=1m", "warn  disk — "), ("size=1m,ro", "FAIL  disk — ")]
)
def test_a_tiny_disk_warns_and_a_read_only_one_fails(tmp_path: Path, options: str, expected: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    prefix = in_private_mounts(f"mount -t tmpfs -o {options} tmpfs {data_dir}")
    _, output = run_doctor(
        data_dir, "--resolve", "localhost", prefix=prefix, VEILLEUR_SQLITE_PATH=str(tmp_path / "db.sqlite3")
    )
    [line] = [line for line in output.splitlines() if " disk — " in line]
    assert line.startswith(expected), line
    if "ro" in options:
        assert line == f"FAIL  disk — cannot write in {data_dir}: Read-only file system"
    else:
        assert "free of 1.0 MiB" in line and "below 1.0 GiB" in line


@needs_unshare
def test_a_resolver_that_does_not_answer_fails_dns(tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    # Nothing answers DNS on this loopback port: every lookup fails at once.
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
    prefix = in_private_mounts(f"mount --bind {resolv} /etc/resolv.conf")
    status, output = run_doctor(tmp_path, "--resolve", "site.example", prefix=prefix)
    [line] = [line for line in output.splitlines() if " DNS — " in line]
    assert line.startswith("FAIL  DNS — the system resolver did not answer: site.example: ")
    assert status == 1


def test_a_database_that_does_not_answer_fails_and_the_checks_that_need_it_say_so(tmp_path: Path) -> None:
    nowhere = free_port()
    status, output = run_doctor(
        tmp_path,
        "--resolve",
        "localhost",
        DATABASE_URL=f"postgres://veilleur:pw@127.0.0.1:{nowhere}/veilleur",
    )
    assert status == 1
    lines = output.splitlines()
    assert lines[1].startswith(f"FAIL  database — cannot use 127.0.0.1:{nowhere}/veilleur: ")
    assert "pw" not in lines[1]  # the password is never shown
    assert "warn  clock — not checked: the database did not answer" in lines


def test_migrations_not_applied_fail_the_database_line(tmp_path: Path) -> None:
    import sqlite3

    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "migrate"],
        env={**environment, "VEILLEUR_DATA_DIR": str(tmp_path)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    database = sqlite3.connect(tmp_path / "veilleur.sqlite3")
    with database:  # as if this release brought a migration the database has not had yet
        database.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'monitoring')"
        )
    database.close()
    status, output = run_doctor(tmp_path, "--resolve", "localhost")
    assert status == 1
    assert "1 migration(s) not applied; run 'veilleur migrate'" in output.splitlines()[1]
