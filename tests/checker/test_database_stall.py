"""A stalled database makes checks late, never makes a site look down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections

from tests.targets import Target
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor

from .test_runner import run_checker_until

pytestmark = pytest.mark.django_db(transaction=True)


def hold_write_lock(seconds: float, started: threading.Event) -> None:
    """Block every writer for a while, from another connection, as a long migration or a
    saturated disk would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            if other.vendor == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            else:
                cursor.execute("BEGIN")
                cursor.execute("LOCK TABLE monitoring_monitorruntime IN ACCESS EXCLUSIVE MODE")
            started.set()
            time.sleep(seconds)
            cursor.execute("ROLLBACK")
    finally:
        other.close()


def test_checks_during_a_stall_are_stored_late_and_up(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1)
    run_checker_until(lambda: CheckResult.objects.filter(monitor=monitor).count() >= 2)
    connection.close()
    started = threading.Event()
    locker = threading.Thread(target=hold_write_lock, args=(4.0, started))
    locker.start()
    assert started.wait(10)
    hits_before = target.hits
    run_checker_until(lambda: CheckResult.objects.filter(monitor=monitor).count() >= 8, timeout=40)
    locker.join()
    assert target.hits > hits_before
    assert CheckResult.objects.filter(monitor=monitor, ok=False).count() == 0
    assert not Incident.objects.exists() and not Blip.objects.exists()
