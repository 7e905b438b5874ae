"""``veilleur backup`` copies the SQLite database while it is written to, consistently, and checks
the copy; ``veilleur restore`` puts a backup back once Veilleur is stopped, keeping what it
replaces. On PostgreSQL both say to use pg_dump and exit 2."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.checker.conftest import make_monitor  # noqa: F401
from veilleur.cli import main
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.operations.backup import processes_using

sqlite_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite backup"
)


def rows_of(path: Path, table: str) -> list[int]:
    copy = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [row[0] for row in copy.execute(f"SELECT id FROM {table} ORDER BY id")]
    finally:
        copy.close()


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_made_while_results_are_written_is_whole_and_consistent(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_monitor: Callable[..., Monitor],  # noqa: F811
) -> None:
    monitor = make_monitor()
    stop = threading.Event()
    written: list[int] = []

    def write_results() -> None:
        """Each result in a transaction of its own, as fast as the database takes them."""
        started = timezone.now()
        try:
            while not stop.is_set():
                result = CheckResult.objects.create(
                    monitor=monitor,
                    checked_at=started + timedelta(seconds=len(written)),
                    ok=True,
                    total_ms=80,
                )
                written.append(result.pk)
        finally:
            connection.close()

    writer = threading.Thread(target=write_results)
    writer.start()
    try:
        while len(written) < 200:  # the writer is well under way
            time.sleep(0.01)
        copies = []
        for n in range(3):
            copies.append(tmp_path / f"backup-{n}.sqlite3")
            assert main(["backup", str(copies[-1])]) == 0
        during = len(written)
    finally:
        stop.set()
        writer.join()
    assert during > 200
    output = capsys.readouterr().out
    assert output.count("integrity check ok") == 3
    counts = []
    for copy in copies:
        ids = rows_of(copy, "monitoring_checkresult")
        counts.append(len(ids))
        # A consistent copy holds the results committed before one instant: the first ones,
        # none missing in between.
        assert ids == written[: len(ids)] and len(ids) >= 200
        assert sqlite3.connect(copy).execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert counts == sorted(counts) and counts[-1] <= during
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_never_replaces_a_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backup.sqlite3"
    target.write_text("last week's backup")
    assert main(["backup", str(target)]) == 2
    assert "exists; add --force to replace it" in capsys.readouterr().err
    assert target.read_text() == "last week's backup"
    assert main(["backup", "--force", str(target)]) == 0
    assert rows_of(target, "django_migrations")
    assert main(["backup", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "missing" / "b.sqlite3")]) == 2
    assert "does not exist" in capsys.readouterr().err


def veilleur(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update({"VEILLEUR_DATA_DIR": str(data_dir), **env})
    done = subprocess.run(
        [sys.executable, "-m", "veilleur.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_restore_brings_back_the_backup_and_keeps_the_database_it_replaces(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert veilleur(data, "up-prepare").returncode == 0  # a new install: its agency
    backup = tmp_path / "monday.sqlite3"
    assert veilleur(data, "backup", str(backup)).returncode == 0
    assert veilleur(data, "token", "create", "made-after-the-backup").returncode == 0

    done = veilleur(data, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert f"restored {backup} into {data / 'veilleur.sqlite3'}" in done.stdout
    assert veilleur(data, "token", "list").stdout == ""  # as on Monday
    [kept] = data.glob("veilleur.sqlite3.before-restore-*")
    assert f"kept as {kept}" in done.stdout
    assert rows_of(kept, "accounts_apitoken") != []  # nothing is lost: the replaced one is there
    assert veilleur(data, "doctor", "--resolve", "localhost").stdout.count("ok    database") == 1


def test_restore_refuses_while_veilleur_runs_and_a_file_that_is_no_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert veilleur(data, "up-prepare").returncode == 0
    database = data / "veilleur.sqlite3"
    backup = tmp_path / "b.sqlite3"
    assert veilleur(data, "backup", str(backup)).returncode == 0

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    done = veilleur(data, "restore", str(not_a_backup))
    assert done.returncode == 2 and "cannot be restored" in done.stderr
    other = sqlite3.connect(tmp_path / "other.sqlite3")
    other.execute("CREATE TABLE t (x)")
    other.close()
    done = veilleur(data, "restore", str(tmp_path / "other.sqlite3"))
    assert done.returncode == 2 and "not a Veilleur database" in done.stderr

    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "worker"],
        env={**environment, "VEILLEUR_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while worker.pid not in processes_using(database) and time.monotonic() < deadline:
            time.sleep(0.2)
        done = veilleur(data, "restore", str(backup))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert done.returncode == 1
    assert f"Veilleur is running: process(es) {worker.pid} have {database} open" in done.stderr
    assert not list(data.glob("*.before-restore-*"))  # nothing was touched


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_on_postgresql_the_commands_point_to_pg_dump(tmp_path: Path, command: str) -> None:
    done = veilleur(
        tmp_path,
        command,
        str(tmp_path / "b.sqlite3"),
        DATABASE_URL="postgres://veilleur@127.0.0.1:1/veilleur",
    )
    assert done.returncode == 2
    assert "pg_dump --format=custom" in done.stderr and "docs/operations.md" in done.stderr
    assert not (tmp_path / "b.sqlite3").exists()
