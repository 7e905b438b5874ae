"""``veilleur backup`` and ``veilleur restore`` for the embedded SQLite database
(docs/operations.md; PostgreSQL has its own tools, pg_dump and pg_basebackup).

The backup is SQLite's online backup API in one step: it reads the database in one read
transaction, which in WAL mode never blocks the checker's writes and sees none of them, so the
copy is the database as it was at one instant. It is written next to its destination under a
temporary name, checked (``PRAGMA integrity_check``), then renamed into place: a failure at any
point leaves no half-written file under the name asked for.

A restore replaces the database file, so no process may have it open: the roles are stopped
first. The database it replaces is kept beside it, renamed, never deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# What every Veilleur database has: a file that lacks them is not one.
REQUIRED_TABLES = ("django_migrations", "accounts_agency", "monitoring_monitor")


class BackupError(Exception):
    """Why a backup or a restore was not made; ``bad_input`` when the command was asked wrong."""

    def __init__(self, message: str, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size: int


@dataclass(frozen=True)
class RestoreDone:
    database: Path
    previous: Path | None


def backup_sqlite(database: Path, destination: Path, *, force: bool) -> BackupDone:
    _check_destination(destination, force)
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    handle, temporary_name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial"
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        _copy(database, temporary)
        problem = integrity_problem(temporary)
        if problem:
            raise BackupError(f"the copy failed its integrity check: {problem}")
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(destination.parent)
    return BackupDone(destination, destination.stat().st_size)


def _check_destination(destination: Path, force: bool) -> None:
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder; give a file name", bad_input=True)
    if not destination.parent.is_dir():
        raise BackupError(f"the folder {destination.parent} does not exist", bad_input=True)
    if destination.exists() and not force:
        raise BackupError(f"{destination} exists; add --force to replace it", bad_input=True)


def _copy(database: Path, target: Path) -> None:
    # Read-only: a backup never creates, changes or checkpoints the live database.
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # every page in one step: one read transaction, one instant
            # One self-contained file, whatever the live database's journal mode.
            copy.execute("PRAGMA journal_mode=DELETE")
            copy.commit()
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {database}: {exc}") from exc
    finally:
        source.close()
    with open(target, "rb+") as written:
        os.fsync(written.fileno())


def integrity_problem(path: Path) -> str | None:
    """None when ``path`` is a sound Veilleur database, else what is wrong with it."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            return "; ".join(str(row) for row in rows[:3])
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:  # not a database at all
        return str(exc)
    finally:
        connection.close()
    missing = [table for table in REQUIRED_TABLES if table not in tables]
    if missing:
        return f"not a Veilleur database (no table {missing[0]})"
    return None


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def processes_using(database: Path) -> list[int]:
    """Other processes that have the database (or its WAL files) open, as far as /proc shows."""
    watched = {str(database.resolve()) + suffix for suffix in ("", "-wal", "-shm")}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:  # gone meanwhile, or another user's
            continue
        if watched.intersection(links):
            found.append(int(entry.name))
    return sorted(found)


def restore_sqlite(backup: Path, database: Path, now: datetime | None = None) -> RestoreDone:
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}", bad_input=True)
    problem = integrity_problem(backup)
    if problem:
        raise BackupError(f"{backup} cannot be restored: {problem}", bad_input=True)
    users = processes_using(database)
    if users:
        raise BackupError(
            f"Veilleur is running: process(es) {', '.join(map(str, users))} have {database} open. "
            "Stop every role first (veilleur up, web, checker, worker), then restore."
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        dir=database.parent, prefix=f".{database.name}.", suffix=".restoring"
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        _copy(backup, temporary)
        previous = _set_aside(database, now or datetime.now(UTC))
        os.replace(temporary, database)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(database.parent)
    return RestoreDone(database, previous)


def _set_aside(database: Path, now: datetime) -> Path | None:
    """Rename the current database (and its WAL files, which belong to it) out of the way."""
    if not database.exists():
        return None
    kept = database.with_name(f"{database.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{database}{suffix}")
        if companion.exists():
            os.replace(companion, Path(f"{kept}{suffix}"))
    os.replace(database, kept)
    return kept
