"""The moving parts of a chaos run: role processes under a small service manager, switchable
targets, the database seen from outside, and the observers (web answers, progress samples)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]


def now() -> datetime:
    return datetime.now(UTC)


def faketime_library() -> tuple[Path | None, str]:
    """libfaketime's preload library (the ``libfaketime`` package builds it), or why not."""
    try:
        import libfaketime  # type: ignore[import-untyped]
    except ImportError:
        return None, "the libfaketime package is not installed (pip install -e '.[test]')"
    library = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not library.exists():
        return None, f"{library} is missing from the libfaketime package"
    return library, ""


class Clock:
    """A role's wall clock, stepped from outside: libfaketime reads the offset from a file
    (at most a second late); the monotonic clock is left alone, as by an NTP step."""

    def __init__(self, library: Path, path: Path) -> None:
        self.library = library
        self.path = path
        self.set(0)

    def set(self, seconds: float) -> None:
        self.path.write_text(f"{seconds:+.0f}\n")

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(self.library),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_CACHE_DURATION": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }


@dataclass
class Service:
    """One role as a service manager runs it: its own process group (killed whole, as a
    control group is), restarted when it dies."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    clock: Clock | None = None
    process: subprocess.Popen[bytes] | None = None
    killed: bool = False  # by the run, on purpose: not an exit of its own
    exits: list[str] = field(default_factory=list)

    def start(self) -> None:
        env = {**self.env, **(self.clock.env() if self.clock else {})}
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "veilleur.cli", *self.argv],
                env=env,
                cwd=REPOSITORY,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.killed = False

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        self.killed = True
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        self.killed = True
        self.signal(signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def exited_by_itself(self) -> bool:
        return not self.killed and self.process is not None and self.process.poll() is not None

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


class Watchdog(threading.Thread):
    """Restarts a role that exited by itself after ``delay()`` seconds, and notes it."""

    def __init__(self, services: list[Service], delay: Callable[[], float]) -> None:
        super().__init__(daemon=True)
        self.services = services
        self.delay = delay
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for service in self.services:
                if service.exited_by_itself():
                    assert service.process is not None
                    service.exits.append(f"{now():%H:%M:%S} exit status {service.process.returncode}")
                    time.sleep(self.delay())
                    service.start()


class Database:
    """The install's database read from outside, PostgreSQL or SQLite."""

    def __init__(self, postgres_url: str = "", sqlite_path: Path | None = None) -> None:
        self.postgres_url = postgres_url
        self.sqlite_path = sqlite_path

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.postgres_url, autocommit=True, connect_timeout=2) as server:
                cursor = server.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []
        assert self.sqlite_path is not None
        reader = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=2)
        try:
            return reader.execute(sql, [self.param(p) for p in params]).fetchall()
        finally:
            reader.close()

    def param(self, value: Any) -> Any:
        if isinstance(value, datetime) and not self.postgres_url:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as Django stores it
        return value

    @staticmethod
    def moment(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    at: datetime
    newest_by_region: dict[str, int]
    newest: int
    unsent: int  # notices pending or being sent


class Sampler(threading.Thread):
    """Every half second, how far the results and the outbox have got (nothing while the
    database does not answer)."""

    def __init__(self, database: Database) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.samples: list[Sample] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            try:
                regions = self.database.rows(
                    "SELECT region, max(id) FROM monitoring_checkresult GROUP BY region"
                )
                unsent = self.database.rows(
                    "SELECT count(*) FROM notifications_outboxmessage WHERE state IN ('pending', 'sending')"
                )
            except Exception:
                continue
            newest = {str(region): int(last) for region, last in regions}
            self.samples.append(Sample(now(), newest, max(newest.values(), default=0), int(unsent[0][0])))


@dataclass(frozen=True)
class Answer:
    at: datetime
    path: str
    status: int | None  # None: no answer (refused, timed out)
    body: str


class WebPoller(threading.Thread):
    """Asks the web role for ``/healthz`` and an API list every half second, and keeps each answer."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.token = token
        self.answers: list[Answer] = []
        self.done = threading.Event()

    def ask(self, path: str) -> Answer:
        request = urllib.request.Request(
            self.base_url + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        at = now()
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return Answer(at, path, response.status, response.read(2000).decode(errors="replace"))
        except urllib.error.HTTPError as error:
            return Answer(at, path, error.code, error.read(2000).decode(errors="replace"))
        except OSError as error:
            return Answer(at, path, None, str(error))

    def run(self) -> None:
        while not self.done.wait(0.5):
            for path in ("/healthz", "/api/v1/monitors"):
                self.answers.append(self.ask(path))


def clear_unavailable(answer: Answer) -> bool:
    """A clear 503: the documented JSON body, no traceback."""
    if answer.status != 503 or "Traceback" in answer.body:
        return False
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    if answer.path == "/healthz":
        return bool(body == {"status": "unavailable", "database": "down"})
    return "database is unavailable" in str(body.get("error", ""))


def seed(env: Mapping[str, str], urls: list[str], interval: int) -> dict[str, Any]:
    """The agency, client, monitors and token of world.py, in a process of its own."""
    done = subprocess.run(
        [sys.executable, str(REPOSITORY / "bench" / "chaos" / "world.py"), "--interval", str(interval)]
        + [argument for url in urls for argument in ("--url", url)],
        env=dict(env),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"seeding failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def migrate(env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "veilleur.cli", "migrate"],
        env=dict(env),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"migrate failed:\n{done.stderr}")
