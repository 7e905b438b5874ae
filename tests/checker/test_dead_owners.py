"""A checker restarted on the same host takes over the leases of the one that died, even while
the dead one is still a zombie that its parent has not reaped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from veilleur.checker.leases import ensure_runtimes, release_dead_local_owners
from veilleur.monitoring.models import Monitor, MonitorRuntime

pytestmark = pytest.mark.django_db


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def _lease_to(monitor: Monitor, owner: str) -> None:
    ensure_runtimes(timezone.now())
    MonitorRuntime.objects.filter(pk=monitor.pk).update(
        lease_owner=owner, lease_expires_at=timezone.now() + timedelta(seconds=120)
    )


def _owner(monitor: Monitor) -> str:
    return MonitorRuntime.objects.get(pk=monitor.pk).lease_owner


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rpartition(")")[2].split()[0]


def test_a_running_checkers_leases_are_kept(
    make_monitor: Callable[..., Monitor], child: subprocess.Popen[bytes]
) -> None:
    monitor = make_monitor()
    owner = f"{socket.gethostname()}:{child.pid}"
    _lease_to(monitor, owner)

    assert release_dead_local_owners(socket.gethostname()) == 0
    assert _owner(monitor) == owner


def test_a_zombie_checkers_leases_are_freed(
    make_monitor: Callable[..., Monitor], child: subprocess.Popen[bytes]
) -> None:
    monitor = make_monitor()
    _lease_to(monitor, f"{socket.gethostname()}:{child.pid}")
    child.kill()  # not reaped: the process stays a zombie until wait()
    deadline = time.monotonic() + 10
    while _state(child.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(child.pid) == "Z"

    assert release_dead_local_owners(socket.gethostname()) == 1
    assert _owner(monitor) == ""


def test_another_hosts_leases_are_left_to_expire(
    make_monitor: Callable[..., Monitor], child: subprocess.Popen[bytes]
) -> None:
    monitor = make_monitor()
    _lease_to(monitor, "another-host:1")

    assert release_dead_local_owners(socket.gethostname()) == 0
    assert _owner(monitor) == "another-host:1"
