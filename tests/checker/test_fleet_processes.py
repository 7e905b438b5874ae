"""`veilleur up` runs extra `veilleur checker` processes while the due rate needs them: they
share the monitors through leases, one that dies is started again, and they stop when the rate
falls and when `veilleur up` stops. A small per-process rate (a setting) stands for a big load."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from tests.targets import Target
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

from .roles import role_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return found


def command_line(pid: int) -> list[str]:
    try:
        return [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def extra_checkers(supervisor: int) -> list[int]:
    """The supervisor's children that are plain `veilleur checker` processes."""
    return [pid for pid in children(supervisor) if "checker" in command_line(pid)[3:4]]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout:.0f} s: {what}")


def leased_by(pid: int) -> bool:
    connection.close()  # a fresh read of what the processes wrote
    return MonitorRuntime.objects.filter(lease_owner__endswith=f":{pid}").exists()


def test_up_starts_restarts_and_stops_extra_checkers_as_the_rate_needs(
    target: Target, make_monitor: Callable[..., Monitor], tmp_path: Path
) -> None:
    monitors = [make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1) for _ in range(12)]
    env = role_env(
        VEILLEUR_DATA_DIR=str(tmp_path / "data"),
        # 12 checks a second against 1 a process: as many processes as allowed, here 2.
        VEILLEUR_CHECKER_PROCESS_RATE="1",
        VEILLEUR_CHECKER_PROCESSES="2",
        VEILLEUR_CHECKER_FLEET_SECONDS="1",
        VEILLEUR_LOG_LEVEL="INFO",
    )
    env.pop("VEILLEUR_WEB_WORKERS", None)
    log = tmp_path / "up.log"
    with log.open("wb") as output:
        up = subprocess.Popen(
            [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{free_port()}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: len(extra_checkers(up.pid)) == 1, 90, "one extra checker started")
        first = extra_checkers(up.pid)[0]
        assert command_line(first)[1:6] == ["-m", "veilleur.cli", "checker", "--no-migrate", "--region"]
        # It shares the monitors with the checker of the process of roles, through leases.
        wait_for(lambda: leased_by(first), 60, "the extra checker leases monitors")
        before = CheckResult.objects.count()
        wait_for(lambda: CheckResult.objects.count() > before + 12, 60, "checks recorded")

        # One that dies is started again.
        time.sleep(1)
        os.kill(first, signal.SIGKILL)
        wait_for(
            lambda: [pid for pid in extra_checkers(up.pid) if pid != first] != [],
            60,
            "the killed checker started again",
        )
        second = extra_checkers(up.pid)[0]
        assert second != first

        # The rate falls (every monitor paused): the extra checker stops, the roles go on.
        Monitor.objects.filter(pk__in=[m.pk for m in monitors]).update(paused=True)
        wait_for(lambda: extra_checkers(up.pid) == [], 60, "the extra checker stopped")
        wait_for(lambda: not Path(f"/proc/{second}").exists(), 30, "the stopped checker reaped")
        assert any("roles" in command_line(pid) for pid in children(up.pid))

        # The rate rises again, then `veilleur up` stops: every process ends with it.
        Monitor.objects.filter(pk__in=[m.pk for m in monitors]).update(paused=False)
        wait_for(lambda: len(extra_checkers(up.pid)) == 1, 60, "an extra checker started again")
        last = extra_checkers(up.pid)[0]
        everyone = children(up.pid)
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
        for pid in everyone:
            assert not Path(f"/proc/{pid}").exists(), f"process {pid} outlived veilleur up"
        assert last in everyone
        text = log.read_text(errors="replace")
        assert "starting another checker process" in text and "stopping checker 2" in text
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
