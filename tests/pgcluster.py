"""A PostgreSQL cluster of the test's own, which the test starts, stops and crashes.

Never the shared server: the cluster lives in a temporary directory, listens on a free port of
127.0.0.1 and is removed afterwards. ``initdb`` and the server refuse to run as root, so as
root (CI) they run as the ``postgres`` system user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest


def postgres_bin() -> Path | None:
    """The newest installed server's binaries (Debian's layout), or VEILLEUR_TEST_PG_BIN."""
    configured = os.environ.get("VEILLEUR_TEST_PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        binaries = postgres_bin()
        if binaries is None or not (binaries / "initdb").exists():
            if os.environ.get("CI") == "true":
                pytest.fail(
                    "PostgreSQL server binaries are required under CI=true (apt-get install postgresql)"
                )
            pytest.skip("PostgreSQL server binaries are not installed")
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="veilleur-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def url_of(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_of()

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url_of(database), autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(sql)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def new_database(self, name: str, template: str = "veilleur_template") -> str:
        """A database copied from the migrated template: a fresh install in a fraction of a second."""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url_of(name)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """A clean, fast shutdown: sessions are ended, the server is gone until started again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def crash(self) -> None:
        """An immediate shutdown: no checkpoint, crash recovery at the next start, as after a power cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.is_running():
            self.crash()
        shutil.rmtree(self.root, ignore_errors=True)


def veilleur(env: Mapping[str, str], *args: str, timeout: float = 120) -> str:
    """Run a ``veilleur`` command against the cluster; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "veilleur.cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"veilleur {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def migrated_cluster(data_dir: Path) -> Cluster:
    """A started cluster whose ``veilleur_template`` database has the schema, for ``new_database``."""
    cluster = Cluster()
    try:
        cluster.start()
        cluster.execute('CREATE DATABASE "veilleur_template"')
        veilleur(role_env(cluster, data_dir, database="veilleur_template"), "migrate")
    except BaseException:
        cluster.remove()
        raise
    return cluster


def role_env(cluster: Cluster, data_dir: Path, database: str = "postgres", **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1", **extra}
    env["DATABASE_URL"] = cluster.url_of(database)
    env["VEILLEUR_DATA_DIR"] = str(data_dir)
    env.pop("VEILLEUR_TEST_DATABASE_NAME", None)
    return env


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
